package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/orgd/orgd/rpc"
)

// request is one JSON-RPC request line.
func request(method string, params any) []byte {
	m := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		m["params"] = params
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // the bench's own params always marshal
	}
	return append(b, '\n')
}

// rowRoundTrip holds a request that touches no store (system.health, which
// answers from the last probe) against the echo server, 16 clients each.
// The runs alternate between the two, so that a noisy neighbour weighs on
// both alike.
func (e *env) rowRoundTrip(ctx context.Context) error {
	echo, err := startEcho(e.dir + "/echo.sock")
	if err != nil {
		return err
	}
	defer echo.Close()
	echoConns, err := dialAll(e.dir+"/echo.sock", e.o.Clients)
	if err != nil {
		return err
	}
	defer closeAll(echoConns)
	conns, err := dialAll(e.socket, e.o.Clients)
	if err != nil {
		return err
	}
	defer closeAll(conns)

	req := request(rpc.MethodSystemHealth, nil)
	echoOp := func(_ context.Context, w, _ int) error {
		line, err := echoConns[w].roundTrip(req)
		if err == nil && !bytes.Equal(line, req) {
			err = fmt.Errorf("the echo server answered %q", line)
		}
		return err
	}
	orgdOp := func(_ context.Context, w, _ int) error {
		line, err := conns[w].roundTrip(req)
		if err == nil {
			err = checkReply(line)
		}
		return err
	}
	base, fig, err := e.alternate(ctx, e.o.Clients, echoOp, orgdOp)
	if err != nil {
		return err
	}
	e.roundTrip = fig
	ratio := fig.OpsPerSec() / base.OpsPerSec()
	e.rows = append(e.rows, Row{
		Key:      "roundtrip",
		What:     fmt.Sprintf("JSON-RPC round trip touching no store (system.health), %d clients", e.o.Clients),
		Figure:   fmtFigure(fig),
		Spread:   fmtOpsSpread(fig),
		Baseline: "newline echo server: " + fmtFigure(base),
		Ratio:    fmtRatio(ratio),
		Target:   "≥ 0.5× the echo server",
		Result:   verdict(ratio >= 0.5),
		Note: "Each client holds its own connection and sends its next request when the last answer arrived. " +
			"The echo server (written in the bench) reads a line and writes it back; the same client code drives both, " +
			"in alternating runs.",
	})
	return nil
}

// alternate measures a baseline and orgd in alternating windows, after a
// short warm-up of each.
func (e *env) alternate(ctx context.Context, workers int, baseOp, orgdOp op) (base, fig Figure, err error) {
	warm := e.o.Window / 4
	if _, err := forDuration(ctx, workers, warm, baseOp); err != nil {
		return base, fig, fmt.Errorf("baseline: %w", err)
	}
	if _, err := forDuration(ctx, workers, warm, orgdOp); err != nil {
		return base, fig, err
	}
	for range e.o.Runs {
		s, err := forDuration(ctx, workers, e.o.Window, baseOp)
		if err != nil {
			return base, fig, fmt.Errorf("baseline: %w", err)
		}
		base.Add(s)
		if s, err = forDuration(ctx, workers, e.o.Window, orgdOp); err != nil {
			return base, fig, err
		}
		fig.Add(s)
	}
	return base, fig, nil
}

// tokens logs the operator in n times, once per client.
func (e *env) tokens(ctx context.Context, n int) ([]string, error) {
	out := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := &rpc.Client{Addr: "unix://" + e.socket}
			defer c.Close()
			s, err := loginRetrying(ctx, c, operatorEmail, operatorPassword)
			if err != nil {
				errs[i] = fmt.Errorf("log in: %w", err)
				return
			}
			out[i] = s.Token
		})
	}
	wg.Wait()
	return out, firstError(errs)
}

// loginRetrying logs in as a well-behaved client does: a refusal of a
// saturated orgd (-32053; n logins at once on fewer cores) is sent again
// after the wait it hints.
func loginRetrying(ctx context.Context, c *rpc.Client, email, password string) (*rpc.Session, error) {
	for {
		s, err := c.Login(ctx, email, password)
		var rerr *rpc.Error
		if !rpc.IsBusy(err) || !errors.As(err, &rerr) {
			return s, err
		}
		wait := 100 * time.Millisecond
		if rerr.Data != nil && rerr.Data.RetryAfterMS > 0 {
			wait = time.Duration(rerr.Data.RetryAfterMS) * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// getRequests returns n org.get requests for organizations picked at
// random among the seeded ones.
func (e *env) getRequests(token string, n int, rnd *rand.Rand) [][]byte {
	reqs := make([][]byte, n)
	for i := range reqs {
		name := seedName(1 + rnd.IntN(e.seeded))
		reqs[i] = request(rpc.MethodOrgGet, rpc.OrgNameParams{Token: token, Name: name})
	}
	return reqs
}

// orgGetLoad opens the clients of the org.get rows: o.Clients
// connections, each with a token of its own (the same ones for every row),
// and returns the operation of one client: org.get of an organization
// picked at random among the seeded ones, its answer checked. done closes
// the connections.
func (e *env) orgGetLoad(ctx context.Context) (get op, done func(), err error) {
	if e.getTokens == nil {
		if e.getTokens, err = e.tokens(ctx, e.o.Clients); err != nil {
			return nil, nil, err
		}
	}
	toks := e.getTokens
	conns, err := dialAll(e.socket, e.o.Clients)
	if err != nil {
		return nil, nil, err
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	reqs := make([][][]byte, e.o.Clients)
	for w := range reqs {
		reqs[w] = e.getRequests(toks[w], 256, rnd)
	}
	get = func(_ context.Context, w, i int) error {
		line, err := conns[w].roundTrip(reqs[w][i%len(reqs[w])])
		if err == nil {
			err = checkReply(line)
		}
		return err
	}
	return get, func() { closeAll(conns) }, nil
}

// rowOrgGet measures org.get with every organization seeded, one token
// per client, each checked on every call; it is held against the round
// trip of rowRoundTrip.
func (e *env) rowOrgGet(ctx context.Context) error {
	get, done, err := e.orgGetLoad(ctx)
	if err != nil {
		return err
	}
	defer done()
	if _, err := forDuration(ctx, e.o.Clients, e.o.Window/4, get); err != nil {
		return err
	}
	var fig Figure
	for range e.o.Runs {
		s, err := forDuration(ctx, e.o.Clients, e.o.Window, get)
		if err != nil {
			return err
		}
		fig.Add(s)
	}
	ratio := fig.OpsPerSec() / e.roundTrip.OpsPerSec()
	e.rows = append(e.rows, Row{
		Key:      "org-get",
		What:     fmt.Sprintf("org.get with %s organizations, %d clients, each with its own token", count(e.seeded), e.o.Clients),
		Figure:   fmtFigure(fig),
		Spread:   fmtOpsSpread(fig),
		Baseline: "round trip of row 1: " + fmtOps(e.roundTrip.OpsPerSec()),
		Ratio:    fmtRatio(ratio),
		Target:   "≥ 0.5× the round trip",
		Result:   verdict(ratio >= 0.5),
		Note: "Each request names an organization picked at random among all of them; every call carries its token, " +
			"which orgd checks (signature or cache, expiry, revocation) before answering.",
	})
	return nil
}

// rowGetUnderLogin measures org.get's latency from one client while other
// clients log in without pause, against the same client alone.
func (e *env) rowGetUnderLogin(ctx context.Context) error {
	toks, err := e.tokens(ctx, 1)
	if err != nil {
		return err
	}
	getConn, err := dialLine(e.socket)
	if err != nil {
		return err
	}
	defer getConn.Close()
	loginConns, err := dialAll(e.socket, e.o.LoginClients)
	if err != nil {
		return err
	}
	defer closeAll(loginConns)
	reqs := e.getRequests(toks[0], 256, rand.New(rand.NewPCG(3, 4)))
	get := func(_ context.Context, _, i int) error {
		line, err := getConn.roundTrip(reqs[i%len(reqs)])
		if err == nil {
			err = checkReply(line)
		}
		return err
	}
	logins := make([][]byte, e.o.LoginClients)
	for w := range logins {
		logins[w] = request(rpc.MethodAuthLogin, rpc.LoginParams{Email: seedEmail(w + 1), Password: seedPassword})
	}

	var base, fig Figure
	var loggedIn int
	var loginTime time.Duration
	for range e.o.Runs {
		s, err := forDuration(ctx, 1, e.o.Window, get)
		if err != nil {
			return err
		}
		base.Add(s)

		lctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		errs := make([]error, len(loginConns))
		counts := make([]int, len(loginConns))
		for w, c := range loginConns {
			wg.Go(func() {
				for lctx.Err() == nil {
					line, err := c.roundTrip(logins[w])
					if err == nil {
						err = checkReply(line)
					}
					if err != nil {
						errs[w] = err
						return
					}
					counts[w]++
				}
			})
		}
		time.Sleep(20 * time.Millisecond) // the logins are under way
		t0 := time.Now()
		s, err = forDuration(ctx, 1, e.o.Window, get)
		loginTime += time.Since(t0)
		stop()
		wg.Wait()
		if err != nil {
			return err
		}
		if err := firstError(errs); err != nil {
			return fmt.Errorf("login: %w", err)
		}
		for _, n := range counts {
			loggedIn += n
		}
		fig.Add(s)
	}
	p99 := fig.P99()
	lo, hi := fig.P99Spread()
	e.rows = append(e.rows, Row{
		Key:      "get-under-login",
		What:     fmt.Sprintf("org.get p99, 1 client, while %d other clients log in continuously", e.o.LoginClients),
		Figure:   fmtFigure(fig),
		Spread:   fmt.Sprintf("p99 %s–%s", fmtDur(lo), fmtDur(hi)),
		Baseline: "the same client, no logins: " + fmtFigure(base),
		Ratio:    fmtRatio(float64(p99) / float64(base.P99())),
		Target:   "p99 ≤ 5 ms",
		Result:   verdict(p99 <= 5*time.Millisecond),
		Note: fmt.Sprintf("The login clients keep a bcrypt comparison (cost %d) running on every core orgd allows; "+
			"they completed about %.1f logins/s while org.get was measured.", e.o.BcryptCost, float64(loggedIn)/loginTime.Seconds()),
	})
	return nil
}

// rowLogin holds auth.login's throughput against bcrypt comparisons alone
// on every core, at the same cost.
func (e *env) rowLogin(ctx context.Context) error {
	emails := make([]string, e.o.Clients)
	for w := range emails {
		emails[w] = seedEmail(w + 1)
	}
	return e.loginRow(ctx, "login", fmt.Sprintf("auth.login throughput, %d clients", e.o.Clients), emails, "")
}

// loginRow holds auth.login's throughput, each client w logging in as
// emails[w] with seedPassword, against bcrypt comparisons alone on every
// core, at the same cost, and adds the row key.
func (e *env) loginRow(ctx context.Context, key, what string, emails []string, note string) error {
	conns, err := dialAll(e.socket, len(emails))
	if err != nil {
		return err
	}
	defer closeAll(conns)
	logins := make([][]byte, len(emails))
	for w, email := range emails {
		logins[w] = request(rpc.MethodAuthLogin, rpc.LoginParams{Email: email, Password: seedPassword})
	}
	raw := func(context.Context, int, int) error {
		return bcrypt.CompareHashAndPassword(e.hash, []byte(seedPassword))
	}
	login := func(_ context.Context, w, _ int) error {
		line, err := conns[w].roundTrip(logins[w])
		if err == nil {
			err = checkReply(line)
		}
		return err
	}
	var base, fig Figure
	for range e.o.SlowRuns {
		s, err := fixedWork(ctx, cores(), e.o.SlowOps, raw)
		if err != nil {
			return fmt.Errorf("bcrypt: %w", err)
		}
		base.Add(s)
		if s, err = fixedWork(ctx, len(emails), e.o.SlowOps, login); err != nil {
			return err
		}
		fig.Add(s)
	}
	ratio := fig.OpsPerSec() / base.OpsPerSec()
	e.rows = append(e.rows, Row{
		Key:      key,
		What:     what,
		Figure:   fmtFigure(fig),
		Spread:   fmtOpsSpread(fig),
		Baseline: fmt.Sprintf("bcrypt.CompareHashAndPassword on %d goroutines: %s", cores(), fmtFigure(base)),
		Ratio:    fmtRatio(ratio),
		Target:   "≥ 0.9× raw bcrypt",
		Result:   verdict(ratio >= 0.9),
		Note: fmt.Sprintf("Each run is %d logins (or comparisons) shared by the clients, timed from the first start to the last end, "+
			"so no work in progress is cut off; bcrypt cost %d on both sides.%s", e.o.SlowOps, e.o.BcryptCost, note),
	})
	return nil
}

// rowList measures the first page of org.list, from one client.
func (e *env) rowList(ctx context.Context) error {
	page, err := e.client.ListOrgs(ctx, rpc.OrgListParams{Token: e.token})
	if err != nil {
		return err
	}
	if want := min(e.seeded, 50); page.Total != e.seeded || len(page.Items) != want {
		return fmt.Errorf("org.list gives %d items of %d, want %d of %d", len(page.Items), page.Total, want, e.seeded)
	}
	return e.firstPageRow(ctx, Row{
		Key:    "list",
		What:   fmt.Sprintf("org.list first page (50) with %s organizations, 1 client", count(e.seeded)),
		Target: "p50 ≤ 1 ms",
		Note:   "Latency from writing the request to reading the whole answer (50 organizations, about 13 KB).",
	}, request(rpc.MethodOrgList, rpc.OrgListParams{Token: e.token}))
}

// firstPageRow measures req, a call served from memory, from one client,
// against system.health on the same connection, and adds row with the
// figures: PASS when its p50 is at most 1 ms.
func (e *env) firstPageRow(ctx context.Context, row Row, req []byte) error {
	c, err := dialLine(e.socket)
	if err != nil {
		return err
	}
	defer c.Close()
	health := request(rpc.MethodSystemHealth, nil)
	call := func(req []byte) op {
		return func(context.Context, int, int) error {
			line, err := c.roundTrip(req)
			if err == nil {
				err = checkReply(line)
			}
			return err
		}
	}
	base, fig, err := e.alternate(ctx, 1, call(health), call(req))
	if err != nil {
		return err
	}
	lo, hi := fig.P50Spread()
	row.Figure = fmtFigure(fig)
	row.Spread = fmt.Sprintf("p50 %s–%s", fmtDur(lo), fmtDur(hi))
	row.Baseline = "system.health, 1 client: " + fmtFigure(base)
	row.Ratio = fmtRatio(float64(fig.P50()) / float64(base.P50()))
	row.Result = verdict(fig.P50() <= time.Millisecond)
	e.rows = append(e.rows, row)
	return nil
}
