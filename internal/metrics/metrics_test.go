package metrics_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/orgd/orgd/internal/metrics"
)

// traffic records a little of everything, as a running orgd would.
func traffic(m *metrics.Metrics) {
	get := m.Method("org.get")
	get.Done(0, 80*time.Microsecond)
	get.Done(0, 120*time.Microsecond)
	get.Done(-32004, 60*time.Microsecond)
	m.Method(metrics.Other).Count(-32700)
	l := m.Listener("unix:///run/orgd/orgd.sock")
	l.Opened()
	l.Opened()
	l.Closed()
	m.StoreCall("create_organization")()
	m.StoreQueued(1)
	m.StoreQueued(-1)
	m.BusyRefused()
	m.Login(metrics.LoginSuccess)
	m.Login(metrics.LoginFailure)
	m.Throttled()
	m.Observe(metrics.Sources{
		Tenants:            func() int { return 7 },
		TenantLimit:        func() int { return 100 },
		StoreUp:            func() bool { return true },
		Subscribers:        func() int { return 2 },
		DroppedSubscribers: func() int64 { return 1 },
		SSHSessions:        func() int { return 3 },
		SSHAuthFailures:    func() int64 { return 4 },
	})
}

// scrape gets /metrics from h and parses it with Prometheus's text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels are
// labels, and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestTheFamiliesPassPrometheusLint(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "v1.2.3"})
	traffic(m)
	problems, err := testutil.CollectAndLint(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// The Go and process collectors are served too, and lint clean.
	problems, err = testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint of the whole registry: %s: %s", p.Metric, p.Text)
	}
}

func TestAScrapeShowsWhatWasRecorded(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "v1.2.3"})
	traffic(m)
	fams := scrape(t, m.Handler(nil))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"orgd_requests_total", []string{"method", "org.get", "code", "ok"}, 2},
		{"orgd_requests_total", []string{"method", "org.get", "code", "-32004"}, 1},
		{"orgd_requests_total", []string{"method", "other", "code", "-32700"}, 1},
		{"orgd_request_duration_seconds", []string{"method", "org.get"}, 3},
		{"orgd_connections", []string{"listener", "unix:///run/orgd/orgd.sock"}, 1},
		{"orgd_connections_accepted_total", []string{"listener", "unix:///run/orgd/orgd.sock"}, 2},
		{"orgd_store_operation_duration_seconds", []string{"operation", "create_organization"}, 1},
		{"orgd_store_operations_inflight", nil, 0},
		{"orgd_store_operations_queued", nil, 0},
		{"orgd_busy_refusals_total", nil, 1},
		{"orgd_logins_total", []string{"result", "success"}, 1},
		{"orgd_logins_total", []string{"result", "failure"}, 1},
		{"orgd_logins_total", []string{"result", "throttled"}, 0},
		{"orgd_throttled_attempts_total", nil, 1},
		{"orgd_tenants", nil, 7},
		{"orgd_tenants_limit", nil, 100},
		{"orgd_store_up", nil, 1},
		{"orgd_subscribers", nil, 2},
		{"orgd_subscribers_dropped_total", nil, 1},
		{"orgd_ssh_sessions", nil, 3},
		{"orgd_ssh_auth_failures_total", nil, 4},
		{"orgd_build_info", []string{"version", "v1.2.3"}, 1},
	} {
		got, ok := value(fams, c.name, c.labels...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present: %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "go_gc_duration_seconds", "process_resident_memory_bytes", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("the scrape lacks %s (Go and process collectors)", name)
		}
	}
	for name, f := range fams {
		if f.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
}

func TestTheDurationBucketsRunFrom50MicrosecondsTo30Seconds(t *testing.T) {
	b := metrics.Buckets
	if b[0] != 50e-6 || b[len(b)-1] != 30 {
		t.Errorf("buckets %v: want 50 µs to 30 s", b)
	}
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Errorf("buckets %v are not increasing at %d", b, i)
		}
	}
}

func TestSourcesNotGivenReadAsZero(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.Observe(metrics.Sources{Tenants: func() int { return 3 }})
	fams := scrape(t, m.Handler(nil))
	if v, _ := value(fams, "orgd_tenants"); v != 3 {
		t.Errorf("orgd_tenants = %v, want 3", v)
	}
	for _, name := range []string{"orgd_ssh_sessions", "orgd_store_up", "orgd_subscribers_dropped_total"} {
		if v, ok := value(fams, name); !ok || v != 0 {
			t.Errorf("%s = %v (present: %v), want 0", name, v, ok)
		}
	}
}

func TestANilMetricsRecordsNothingAndDoesNotPanic(t *testing.T) {
	var m *metrics.Metrics
	traffic(m)
	m.Method("org.get").Done(0, time.Millisecond)
	m.Listener("x").Opened()
}

func TestTheServerServesMetricsAndNothingElse(t *testing.T) {
	m := metrics.New(metrics.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := metrics.NewServer(m, nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	for _, c := range []struct {
		method, path string
		code         int
		body         string
	}{
		{http.MethodGet, "/metrics", http.StatusOK, "# HELP orgd_build_info"},
		{http.MethodHead, "/metrics", http.StatusOK, ""},
		{http.MethodGet, "/", http.StatusOK, "/metrics"},
		{http.MethodPost, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/debug/pprof/", http.StatusNotFound, ""},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.body) {
			t.Errorf("%s %s: %d, want %d with %q in:\n%.300s", c.method, c.path, resp.StatusCode, c.code, c.body, body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, metrics.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v, want ErrServerClosed", err)
	}
}
