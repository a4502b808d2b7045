package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

const (
	// readWindow is the span of the run over which readers' p99 is taken.
	readWindow      = 10 * time.Second
	overloadWriters = 200
	overloadReaders = 20
	// overloadReportEnv names a file for the overload test's table.
	overloadReportEnv = "ORGD_OVERLOAD_REPORT"
)

// writerOrg is what a writer knows of its organization: its name, the
// documents it inserted that orgd acknowledged, and those whose insert's
// outcome is unknown (-32052).
type writerOrg struct {
	name            string
	acked, unsure   int
	deleted, doubts bool
}

// overloadStats is what one client saw.
type overloadStats struct {
	calls     int
	refusals  []time.Duration // how long each -32053 took to come
	noHint    int             // -32053 without retry_after_ms
	uncertain int             // -32052
	internal  []error         // -32603
	deadline  []error         // requests that reached --request-timeout
	other     []error
	reads     []time.Duration // readers' org.get
	readAt    []time.Time     // when each began
	orgs      []*writerOrg
}

// overloadCall makes one call and sorts its outcome; it returns the error
// code (0 for success) and, for -32053, how long to wait.
func (s *overloadStats) call(timeout time.Duration, f func() error) (int64, time.Duration) {
	s.calls++
	start := time.Now()
	err := f()
	took := time.Since(start)
	code := rpc.ErrorCode(err)
	switch {
	case err == nil:
	case code == rpc.CodeBusy:
		s.refusals = append(s.refusals, took)
		var re *rpc.Error
		if !asRPC(err, &re) || re.Data == nil || re.Data.RetryAfterMS <= 0 {
			s.noHint++
			return code, 100 * time.Millisecond
		}
		return code, time.Duration(re.Data.RetryAfterMS) * time.Millisecond
	case code == rpc.CodeOutcomeUnknown:
		s.uncertain++
	case code == rpc.CodeInternalError:
		s.internal = append(s.internal, err)
	case took >= timeout:
		s.deadline = append(s.deadline, err)
	case code == rpc.CodeConflict, code == rpc.CodeNotFound:
		// A rename or delete of an organization whose change is still
		// being finished after an unknown outcome: retried below.
	default:
		s.other = append(s.other, err)
	}
	if took >= timeout && code != rpc.CodeInternalError {
		s.deadline = append(s.deadline, fmt.Errorf("%w (took %s)", err, took))
	}
	return code, 0
}

func asRPC(err error, re **rpc.Error) bool {
	e, ok := err.(*rpc.Error)
	if ok {
		*re = e
	}
	return ok
}

// overloadWriter creates, fills, renames and deletes organizations of its
// own until the deadline, backing off as -32053 says, and keeps what orgd
// acknowledged.
func overloadWriter(ctx context.Context, c *rpc.Client, op string, i int, deadline time.Time, timeout time.Duration, s *overloadStats) {
	rng := rand.New(rand.NewPCG(uint64(i), 11))
	var own *writerOrg
	// settle learns, after an unknown outcome, whether the organization is
	// there under name.
	settle := func(name string) bool {
		for time.Now().Before(deadline.Add(timeout)) {
			_, err := c.GetOrg(ctx, op, name)
			switch rpc.ErrorCode(err) {
			case 0:
				return true
			case rpc.CodeNotFound:
				return false
			}
			time.Sleep(100 * time.Millisecond)
		}
		return false
	}
	for n := 0; time.Now().Before(deadline); n++ {
		var code int64
		var wait time.Duration
		switch r := rng.IntN(100); {
		case own == nil:
			name := fmt.Sprintf("Over W%d N%d", i, n)
			code, wait = s.call(timeout, func() error {
				_, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: name, AdminEmail: adminEmail(name), AdminPassword: adminPassword})
				return err
			})
			if code == 0 || (code == rpc.CodeOutcomeUnknown && settle(name)) {
				own = &writerOrg{name: name}
				s.orgs = append(s.orgs, own)
			}
		case r < 60:
			doc := json.RawMessage(fmt.Sprintf(`{"w":%d,"n":%d}`, i, n))
			code, wait = s.call(timeout, func() error {
				_, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: own.name, Documents: []json.RawMessage{doc}})
				return err
			})
			switch code {
			case 0:
				own.acked++
			case rpc.CodeOutcomeUnknown:
				own.unsure++
			}
		case r < 80:
			code, wait = s.call(timeout, func() error {
				_, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: op, Org: own.name,
					Filter: json.RawMessage(`{}`), Update: json.RawMessage(`{"$inc":{"touched":1}}`), Many: true})
				return err
			})
		case r < 92:
			name := fmt.Sprintf("Over W%d N%d", i, n)
			code, wait = s.call(timeout, func() error {
				_, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: own.name, NewName: &name})
				return err
			})
			if code == 0 || (code == rpc.CodeOutcomeUnknown && settle(name)) {
				own.name = name
			} else if code == rpc.CodeOutcomeUnknown && !settle(own.name) {
				own.doubts = true // neither name answers: checked at the end
			}
		default:
			code, wait = s.call(timeout, func() error { return c.DeleteOrg(ctx, op, own.name) })
			if code == 0 || (code == rpc.CodeOutcomeUnknown && !settle(own.name)) {
				own.deleted = true
				own = nil
			}
		}
		if wait > 0 {
			time.Sleep(min(wait, time.Second))
		}
	}
}

// overloadReader reads the seed organizations until the deadline.
func overloadReader(ctx context.Context, c *rpc.Client, op string, i int, deadline time.Time, timeout time.Duration, s *overloadStats) {
	rng := rand.New(rand.NewPCG(uint64(i), 13))
	for time.Now().Before(deadline) {
		name := fmt.Sprintf("Load Seed %d", rng.IntN(loadSeedOrgs))
		start := time.Now()
		code, _ := s.call(timeout, func() error { _, err := c.GetOrg(ctx, op, name); return err })
		if code == 0 {
			s.reads = append(s.reads, time.Since(start))
			s.readAt = append(s.readAt, start)
		}
		time.Sleep(time.Duration(5+rng.IntN(10)) * time.Millisecond)
	}
}

// TestOverloadIsAnsweredHonestly runs 200 clients that write (creates,
// renames, deletes, data inserts and updates) against the embedded store,
// with 20 more reading, for ORGD_LOAD_SECONDS (3 s unless set), and checks
// SPEC §10's answers under overload: no -32603 and no request reaching
// --request-timeout; every refusal is -32053 with a retry hint; every
// acknowledged change is there afterwards and orgd check is clean. At full
// size (ORGD_LOAD_SECONDS set, no race detector), it also holds refusals to
// --store-queue-timeout + 50 ms at p99 and readers' org.get to 5 ms at p99.
func TestOverloadIsAnsweredHonestly(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	seconds := envInt(t, loadSecondsEnv, 3)
	full := os.Getenv(loadSecondsEnv) != ""
	// orgd runs in a process of its own, on its embedded store, as in
	// production: the clients' own work does not count as orgd's.
	cfg := daemon.DefaultConfig()
	// It logs at orgd's default level, not at the tests' debug level, which
	// writes a line per request. Its metrics tell orgd's own time for a
	// request from the time the clients see, which includes waiting for a
	// core of a busy machine.
	metricsAddr := "unix://" + filepath.Join(t.TempDir(), "metrics.sock")
	p := testenv.StartProcess(t, "--max-conns", fmt.Sprint(overloadWriters+overloadReaders+10), "--log-level", "info",
		"--metrics-listen", metricsAddr)
	setup := &rpc.Client{Addr: p.Addr}
	sess, err := setup.Bootstrap(ctxT(t), "ops@example.com", "operator-password")
	if err != nil {
		t.Fatal(err)
	}
	op := sess.Token
	for i := range loadSeedOrgs {
		name := fmt.Sprintf("Load Seed %d", i)
		if _, err := setup.CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: op, Name: name, AdminEmail: adminEmail(name), AdminPassword: adminPassword}); err != nil {
			t.Fatal(err)
		}
	}
	setup.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+2*time.Minute)
	defer cancel()
	// Every client connects first: the figures are of requests, not of
	// 220 connections being accepted at once.
	clients := make([]*rpc.Client, overloadWriters+overloadReaders)
	for i := range clients {
		clients[i] = &rpc.Client{Addr: p.Addr}
		defer clients[i].Close()
		if _, err := clients[i].Health(ctx); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	deadline := start.Add(time.Duration(seconds) * time.Second)
	stats := make([]*overloadStats, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		stats[i] = &overloadStats{}
		if i < overloadWriters {
			wg.Go(func() { overloadWriter(ctx, c, op, i, deadline, cfg.RequestTimeout, stats[i]) })
		} else {
			wg.Go(func() { overloadReader(ctx, c, op, i, deadline, cfg.RequestTimeout, stats[i]) })
		}
	}
	// The health check says busy while requests are refused, and shows
	// the queue.
	var sawBusy bool
	var maxWaiting int
	health := &rpc.Client{Addr: p.Addr}
	for time.Now().Before(deadline) {
		if h, err := health.Health(ctx); err == nil {
			sawBusy = sawBusy || h.Status == "busy"
			maxWaiting = max(maxWaiting, h.Queue.Waiting)
			if h.Queue.Inflight > cfg.MaxStoreInflight {
				t.Errorf("%d requests do store work at once, over --max-store-inflight %d", h.Queue.Inflight, cfg.MaxStoreInflight)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	health.Close()
	wg.Wait()
	elapsed := time.Since(start)

	var all overloadStats
	for _, s := range stats {
		all.calls += s.calls
		all.refusals = append(all.refusals, s.refusals...)
		all.noHint += s.noHint
		all.uncertain += s.uncertain
		all.internal = append(all.internal, s.internal...)
		all.deadline = append(all.deadline, s.deadline...)
		all.other = append(all.other, s.other...)
		all.reads = append(all.reads, s.reads...)
		all.readAt = append(all.readAt, s.readAt...)
		all.orgs = append(all.orgs, s.orgs...)
	}
	fams := scrapeMetrics(t, metricsAddr)
	// Readers' p99 in each 10 s of the run, for "throughout".
	windows := make([][]time.Duration, (int(elapsed/readWindow))+1)
	for i, at := range all.readAt {
		w := int(at.Sub(start) / readWindow)
		windows[w] = append(windows[w], all.reads[i])
	}
	var windowP99 []string
	var worstWindow time.Duration
	for _, w := range windows {
		if len(w) < 100 {
			continue // a last sliver of the run
		}
		slices.Sort(w)
		p := percentile(w, 99)
		worstWindow = max(worstWindow, p)
		windowP99 = append(windowP99, roundMS(p))
	}
	slices.Sort(all.refusals)
	slices.Sort(all.reads)
	var report strings.Builder
	fmt.Fprintf(&report, "%d writers and %d readers on the embedded store, %s, --max-store-inflight %d, --store-queue-timeout %s\n\n",
		overloadWriters, overloadReaders, elapsed.Round(time.Millisecond), cfg.MaxStoreInflight, cfg.StoreQueueTimeout)
	report.WriteString("| what | figure |\n| --- | ---: |\n")
	fmt.Fprintf(&report, "| calls | %d |\n| -32603 | %d |\n| reached --request-timeout | %d |\n", all.calls, len(all.internal), len(all.deadline))
	fmt.Fprintf(&report, "| -32053 refusals | %d (p50 %s, p99 %s after the request) |\n", len(all.refusals), roundMS(percentile(all.refusals, 50)), roundMS(percentile(all.refusals, 99)))
	fmt.Fprintf(&report, "| -32053 without retry_after_ms | %d |\n| -32052 (outcome unknown) | %d |\n", all.noHint, all.uncertain)
	fmt.Fprintf(&report, "| readers' org.get | %d (p50 %s, p99 %s) |\n", len(all.reads), roundMS(percentile(all.reads, 50)), roundMS(percentile(all.reads, 99)))
	fmt.Fprintf(&report, "| readers' org.get p99 in each %s | %s |\n", readWindow, strings.Join(windowP99, ", "))
	fmt.Fprintf(&report, "| orgd's own time for org.get (its metrics) | p99 ≤ %s |\n", bucketAt(fams, "orgd_request_duration_seconds", 0.99, "method", "org.get"))
	fmt.Fprintf(&report, "| system.health said busy | %v (at most %d waiting) |\n", sawBusy, maxWaiting)
	t.Logf("overload:\n%s", report.String())
	if path := os.Getenv(overloadReportEnv); path != "" {
		if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
			t.Errorf("write the overload report: %v", err)
		}
	}

	fail := func(what string, errs []error) {
		for i, err := range errs {
			if i == 3 {
				t.Errorf("%s: %d more", what, len(errs)-3)
				break
			}
			t.Errorf("%s: %v", what, err)
		}
	}
	fail("-32603 under load", all.internal)
	fail("a request reached --request-timeout", all.deadline)
	fail("an unexpected error", all.other)
	if all.noHint > 0 {
		t.Errorf("%d refusals without data.retry_after_ms", all.noHint)
	}
	if len(all.internal)+len(all.deadline)+len(all.other) > 0 {
		t.Logf("orgd's log holds every error; it is shown when the test fails")
	}
	if full {
		if p99 := percentile(all.refusals, 99); p99 > cfg.StoreQueueTimeout+50*time.Millisecond {
			t.Errorf("refusals came %s after the request at p99; want within --store-queue-timeout + 50 ms", p99)
		}
		if worstWindow > 5*time.Millisecond {
			t.Errorf("readers' org.get took %s at p99 in its worst %s; want ≤ 5 ms throughout", worstWindow, readWindow)
		}
	}

	// Every acknowledged change is there.
	c := &rpc.Client{Addr: p.Addr}
	defer c.Close()
	for _, o := range all.orgs {
		got, err := c.GetOrg(ctxT(t), op, o.name)
		switch {
		case o.deleted:
			if err == nil {
				t.Errorf("%s was deleted (acknowledged) but is there: %+v", o.name, got)
			}
			continue
		case o.doubts:
			continue
		case err != nil:
			t.Errorf("%s (acknowledged) is not there: %v", o.name, err)
			continue
		}
		n, err := c.CountDocuments(ctxT(t), rpc.DataCountParams{Token: op, Org: o.name})
		if err != nil {
			t.Errorf("count %s: %v", o.name, err)
			continue
		}
		if n.Count < int64(o.acked) || n.Count > int64(o.acked+o.unsure) {
			t.Errorf("%s holds %d documents; %d inserts were acknowledged and %d had an unknown outcome", o.name, n.Count, o.acked, o.unsure)
		}
	}
	waitOrgdCheck(t, p, 30*time.Second)
}

// bucketAt returns the upper bound of the bucket of histogram name (the
// sample with the label pairs labels) that holds its q-quantile, as a
// duration; "?" without such a histogram.
func bucketAt(fams map[string]*dto.MetricFamily, name string, q float64, labels ...string) string {
	h := metricOf(fams, name, labels...).GetHistogram()
	if h.GetSampleCount() == 0 {
		return "?"
	}
	rank := q * float64(h.GetSampleCount())
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= rank {
			return time.Duration(b.GetUpperBound() * float64(time.Second)).String()
		}
	}
	return "+Inf"
}
