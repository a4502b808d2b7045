package daemon_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// scrapeMetrics gets GET /metrics from the daemon over HTTP, on the
// address it serves them on (tcp:// or unix://), and parses the answer
// with Prometheus's own text parser.
func scrapeMetrics(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	a, err := rpc.ParseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, a.Network, a.Address)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, "http://orgd/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics on %s: %v", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s, %s\n%.500s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the scrape is not valid Prometheus text: %v\n%s", err, body)
	}
	return fams
}

// metricOf returns the sample of family name with the label pairs labels,
// or nil.
func metricOf(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

// sampleOf returns the value of the sample of family name with the label
// pairs labels (a histogram's count), and whether there is one.
func sampleOf(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	if m := metricOf(fams, name, labels...); m != nil {
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// startWithMetrics starts a daemon on the embedded store that serves
// metrics on a loopback port and orgtui over SSH.
func startWithMetrics(t *testing.T) (*testenv.Daemon, string) {
	t.Helper()
	d, sshAddr := startSSH(t, func(c *daemon.Config) { c.MetricsListen = "tcp://127.0.0.1:0" })
	if !strings.HasPrefix(d.MetricsAddr(), "tcp://127.0.0.1:") {
		t.Fatalf("metrics served on %q, want a loopback port", d.MetricsAddr())
	}
	return d, sshAddr
}

func TestAScrapeAfterKnownTrafficShowsItsCounts(t *testing.T) {
	d, sshAddr := startWithMetrics(t)
	ctx := ctxT(t)
	c := d.Client(t)
	op := d.Operator(t) // auth.bootstrap: not a login
	create(t, c, op, "Acme")

	// 3 org.get answered, 1 refused (no such organization).
	for range 3 {
		if _, err := c.GetOrg(ctx, op, "Acme"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.GetOrg(ctx, op, "Nobody")
	wantCode(t, err, rpc.CodeNotFound)

	// 2 failed logins and 1 that succeeds.
	for range 2 {
		_, err := c.Login(ctx, adminEmail("Acme"), "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	}
	if _, err := c.Login(ctx, adminEmail("Acme"), adminPassword); err != nil {
		t.Fatal(err)
	}
	// 5 failures for an unknown email, then the throttle.
	for range 5 {
		_, err := c.Login(ctx, "ghost@example.com", "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	}
	_, err = c.Login(ctx, "ghost@example.com", "wrong-password")
	wantCode(t, err, rpc.CodeTooManyAttempts)

	// One subscriber, held open.
	sub := &rpc.Client{Addr: d.Addr}
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Subscribe(ctx, op); err != nil {
		t.Fatal(err)
	}

	// Over SSH: a wrong password (auth.login on an in-process connection),
	// then a session logged in with a key.
	if _, err := ssh.Dial("tcp", sshAddr, sshConfig(t, d, adminEmail("Acme"), nil, ssh.Password("wrong-password"))); err == nil {
		t.Fatal("an SSH login with a wrong password succeeded")
	}
	key, line := signer(t)
	register(t, c, op, line)
	tm := openTerminal(t, dialSSH(t, sshAddr, sshConfig(t, d, "ops@example.com", nil, ssh.PublicKeys(key))))
	tm.waitFor("ops@example.com")

	// orgtui in the SSH session subscribes too, once it has drawn.
	fams := scrapeMetrics(t, d.MetricsAddr())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); fams = scrapeMetrics(t, d.MetricsAddr()) {
		if n, _ := sampleOf(fams, "orgd_subscribers"); n == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"orgd_requests_total", []string{"method", "org.get", "code", "ok"}, 3},
		{"orgd_requests_total", []string{"method", "org.get", "code", "-32004"}, 1},
		{"orgd_requests_total", []string{"method", "org.create", "code", "ok"}, 1},
		{"orgd_requests_total", []string{"method", "auth.login", "code", "-32029"}, 1},
		{"orgd_request_duration_seconds", []string{"method", "org.get"}, 4},
		// 2 + 5 wrong passwords over the socket, 1 over SSH; 1 login with a
		// password, 1 with a key.
		{"orgd_logins_total", []string{"result", "failure"}, 8},
		{"orgd_logins_total", []string{"result", "success"}, 2},
		{"orgd_logins_total", []string{"result", "throttled"}, 1},
		{"orgd_throttled_attempts_total", nil, 1},
		{"orgd_busy_refusals_total", nil, 0},
		{"orgd_store_operation_duration_seconds", []string{"operation", "create_organization"}, 1},
		{"orgd_store_operations_inflight", nil, 0},
		{"orgd_store_operations_queued", nil, 0},
		{"orgd_store_up", nil, 1},
		{"orgd_tenants", nil, 1},
		{"orgd_tenants_limit", nil, 0},
		{"orgd_subscribers", nil, 2}, // the test's, and orgtui's over SSH
		{"orgd_subscribers_dropped_total", nil, 0},
		{"orgd_ssh_sessions", nil, 1},
		{"orgd_ssh_auth_failures_total", nil, 1},
		{"orgd_connections", []string{"listener", "in-process"}, 1},
		{"orgd_build_info", []string{"version", "test"}, 1},
	} {
		got, ok := sampleOf(fams, w.name, w.labels...)
		if !ok || got != w.want {
			t.Errorf("%s%v = %v (present: %v), want %v", w.name, w.labels, got, ok, w.want)
		}
	}
	if got, _ := sampleOf(fams, "orgd_connections", "listener", d.Addr); got < 2 {
		t.Errorf("orgd_connections{listener=%q} = %v, want the client and the subscriber at least", d.Addr, got)
	}
	if got, _ := sampleOf(fams, "orgd_connections_accepted_total", "listener", d.Addr); got < 2 {
		t.Errorf("orgd_connections_accepted_total{listener=%q} = %v, want 2 at least", d.Addr, got)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("the scrape lacks %s (the Go and process collectors)", name)
		}
	}

	t.Run("no label holds a name, an email or a token", func(t *testing.T) {
		for name, f := range fams {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					v := l.GetValue()
					if strings.Contains(v, "@") || strings.Contains(v, "Acme") || strings.Contains(v, "acme") ||
						strings.Contains(v, op) || strings.HasPrefix(v, "eyJ") {
						t.Errorf("%s{%s=%q}", name, l.GetName(), v)
					}
				}
			}
		}
	})
}

func TestMetricsAreOffByDefault(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	if d.MetricsAddr() != "" || d.Metrics() != nil {
		t.Errorf("metrics on %q without --metrics-listen", d.MetricsAddr())
	}
}

func TestMetricsServeOnAUnixSocket(t *testing.T) {
	dir := testenv.ShortDir(t)
	sock := filepath.Join(dir, "run", "metrics.sock")
	d := testenv.Start(t, testenv.Options{Embedded: true, Configure: func(c *daemon.Config) { c.MetricsListen = "unix://" + sock }})
	if d.MetricsAddr() != "unix://"+sock {
		t.Fatalf("metrics on %q, want unix://%s", d.MetricsAddr(), sock)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 {
		t.Errorf("the metrics socket has mode %o, want 0660 as the API's", fi.Mode().Perm())
	}
	if _, err := d.Client(t).Health(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	fams := scrapeMetrics(t, d.MetricsAddr())
	if got, _ := sampleOf(fams, "orgd_requests_total", "method", "system.health", "code", "ok"); got != 1 {
		t.Errorf("system.health counted %v times, want 1", got)
	}
}

func TestMetricsRefusePlainTCPOffLoopback(t *testing.T) {
	cfg := testenv.Config(t, testenv.Options{Embedded: true, Configure: func(c *daemon.Config) { c.MetricsListen = "tcp://0.0.0.0:0" }})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, cfg, testenv.Logger(nil), daemon.Hooks{BcryptCost: 4})
	if err == nil {
		d.Close(ctx)
		t.Fatal("orgd served metrics on 0.0.0.0 without --insecure-tcp")
	}
	if !strings.Contains(err.Error(), "--metrics-listen") || !strings.Contains(err.Error(), "--insecure-tcp") {
		t.Errorf("the refusal does not say which flag and what to do: %v", err)
	}
}

// TestEveryStoreOperationThatWaitsIsTimed keeps the metered store in step
// with org.Store: every method that may wait on the store is timed in
// metered.go, not passed through untimed by the embedded interface.
func TestEveryStoreOperationThatWaitsIsTimed(t *testing.T) {
	untimed := map[string]bool{"Kind": true, "TouchLogin": true, "TouchKey": true}
	f, err := parser.ParseFile(token.NewFileSet(), "metered.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	timed := map[string]bool{}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv != nil {
			timed[fn.Name.Name] = true
		}
	}
	st := reflect.TypeFor[org.Store]()
	for i := range st.NumMethod() {
		name := st.Method(i).Name
		switch {
		case untimed[name] && timed[name]:
			t.Errorf("%s waits on nothing, yet metered.go times it", name)
		case !untimed[name] && !timed[name]:
			t.Errorf("org.Store.%s is not timed in metered.go", name)
		}
	}
}

func TestTheMetricsAddressIsCheckedBeforeStart(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"", true},
		{"tcp://127.0.0.1:9464", true},
		{"unix:///run/orgd/metrics.sock", true},
		{"tls://127.0.0.1:9464", false},
		{"http://127.0.0.1:9464", false},
		{"127.0.0.1:9464", false},
		{"tcp://127.0.0.1", false},
	} {
		name := "--metrics-listen " + c.addr + " is refused"
		if c.ok {
			name = "--metrics-listen " + c.addr + " is taken"
		}
		t.Run(name, func(t *testing.T) {
			cfg := daemon.DefaultConfig()
			cfg.MetricsListen = c.addr
			err := cfg.Validate()
			if c.ok != (err == nil) {
				t.Errorf("Validate: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "--metrics-listen") {
				t.Errorf("the error does not name the flag: %v", err)
			}
		})
	}
}
