package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/server"
)

// scrapeInterval is how often the row's scraper reads /metrics: fifteen
// times as often as Prometheus does by default, to count the scrapes'
// cost too.
const scrapeInterval = time.Second

// rowMetricsCost measures what metrics cost (SPEC §10): org.get served
// with metrics on, and scraped, against the same served with them off, in
// alternating windows. Both are JSON-RPC servers in this process over the
// daemon's one service, alike but for their metrics: the daemon's own
// (started without --metrics-listen), and a second one that records every
// request into a registry served on /metrics.
func (e *env) rowMetricsCost(ctx context.Context) error {
	cfg := e.config()
	m := metrics.New(metrics.Options{Version: cfg.Version})
	quiet := slog.New(slog.DiscardHandler)
	srv, err := server.New(e.d.Service(), server.Config{
		MaxConns:        cfg.MaxConns,
		MaxMessageBytes: cfg.MaxMessageBytes,
		IdleTimeout:     cfg.IdleTimeout,
		RequestTimeout:  cfg.RequestTimeout,
		Version:         cfg.Version,
		Logger:          quiet,
		Metrics:         m,
	})
	if err != nil {
		return err
	}
	sock, metricsSock := e.dir+"/metrics-on.sock", e.dir+"/metrics.sock"
	stop, err := serveMetricsRow(srv, m, sock, metricsSock, quiet)
	if err != nil {
		return err
	}
	defer stop()

	toks, err := e.tokens(ctx, e.o.Clients)
	if err != nil {
		return err
	}
	off, err := dialAll(e.socket, e.o.Clients)
	if err != nil {
		return err
	}
	defer closeAll(off)
	on, err := dialAll(sock, e.o.Clients)
	if err != nil {
		return err
	}
	defer closeAll(on)
	rnd := rand.New(rand.NewPCG(3, 4))
	reqs := make([][][]byte, e.o.Clients)
	for w := range reqs {
		reqs[w] = e.getRequests(toks[w], 256, rnd)
	}
	get := func(conns []*lineConn) op {
		return func(_ context.Context, w, i int) error {
			line, err := conns[w].roundTrip(reqs[w][i%len(reqs[w])])
			if err == nil {
				err = checkReply(line)
			}
			return err
		}
	}

	sctx, cancel := context.WithCancel(ctx)
	scrapes := make(chan scrapeCount, 1)
	go func() { scrapes <- scrapeEvery(sctx, metricsSock, scrapeInterval) }()
	base, fig, ratios, err := e.pairs(ctx, get(off), get(on))
	cancel()
	sc := <-scrapes
	if err != nil {
		return err
	}
	if sc.err != nil {
		return fmt.Errorf("scrape /metrics: %w", sc.err)
	}
	ratio := median(ratios)
	e.rows = append(e.rows, Row{
		Key:      "metrics-cost",
		What:     fmt.Sprintf("org.get with metrics on and scraped, %d clients", e.o.Clients),
		Figure:   fmtFigure(fig),
		Spread:   fmtOpsSpread(fig),
		Baseline: "metrics off: " + fmtFigure(base),
		Ratio:    fmtRatio(ratio),
		Target:   "≥ 0.95× with metrics off",
		Result:   verdict(ratio >= 0.95),
		Note: fmt.Sprintf("Two JSON-RPC servers in the same process over the daemon's one service and directory, alike but for "+
			"metrics, driven by the same clients and requests as the org.get row: the daemon's own, without --metrics-listen, "+
			"and one that counts and times every request and connection, while /metrics was scraped every %s (%d scrapes). "+
			"They run in %d pairs of back-to-back windows, which of the two goes first alternating; the ratio is the median of "+
			"the pairs' ratios (lowest %s, highest %s), so that a neighbour's load weighs on both sides of a pair alike.",
			scrapeInterval, sc.n, len(ratios), fmtRatio(slices.Min(ratios)), fmtRatio(slices.Max(ratios))),
	})
	return nil
}

// pairs measures off and on in 2×Runs pairs of back-to-back windows, after
// a warm-up of each, alternating which goes first, and returns both
// figures and the ratio on/off of each pair.
func (e *env) pairs(ctx context.Context, off, on op) (base, fig Figure, ratios []float64, err error) {
	warm := e.o.Window / 4
	for _, fn := range []op{off, on} {
		if _, err := forDuration(ctx, e.o.Clients, warm, fn); err != nil {
			return base, fig, nil, err
		}
	}
	for i := range 2 * e.o.Runs {
		var b, f Sample
		first, second, fs, ss := off, on, &b, &f
		if i%2 == 1 {
			first, second, fs, ss = on, off, &f, &b
		}
		if *fs, err = forDuration(ctx, e.o.Clients, e.o.Window, first); err != nil {
			return base, fig, nil, err
		}
		if *ss, err = forDuration(ctx, e.o.Clients, e.o.Window, second); err != nil {
			return base, fig, nil, err
		}
		base.Add(b)
		fig.Add(f)
		ratios = append(ratios, f.OpsPerSec()/b.OpsPerSec())
	}
	return base, fig, ratios, nil
}

// serveMetricsRow serves srv on sock and m's /metrics on metricsSock, and
// returns what stops both.
func serveMetricsRow(srv *server.Server, m *metrics.Metrics, sock, metricsSock string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	mln, err := net.Listen("unix", metricsSock)
	if err != nil {
		ln.Close()
		return nil, err
	}
	ms := metrics.NewServer(m, log)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	wg.Go(func() { _ = ms.Serve(mln) })
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = ms.Shutdown(ctx)
		wg.Wait()
	}, nil
}

// scrapeCount is how many scrapes succeeded, or why one failed.
type scrapeCount struct {
	n   int
	err error
}

// scrapeEvery gets /metrics on the Unix socket every interval until ctx
// ends, reading each answer whole, as Prometheus would.
func scrapeEvery(ctx context.Context, socket string, interval time.Duration) scrapeCount {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
	defer client.CloseIdleConnections()
	t := time.NewTicker(interval)
	defer t.Stop()
	var sc scrapeCount
	for {
		select {
		case <-ctx.Done():
			return sc
		case <-t.C:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://orgd/metrics", nil)
		if err != nil {
			return scrapeCount{n: sc.n, err: err}
		}
		resp, err := client.Do(req)
		if errors.Is(ctx.Err(), context.Canceled) {
			return sc
		}
		if err != nil {
			return scrapeCount{n: sc.n, err: err}
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /metrics: %s", resp.Status)
		}
		if err != nil {
			return scrapeCount{n: sc.n, err: err}
		}
		sc.n++
	}
}
