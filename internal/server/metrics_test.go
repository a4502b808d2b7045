package server

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/metrics"
)

// metricsServer serves a server without a service (only methods that need
// none answer) with metrics on a Unix socket, and returns a connection
// to it.
func metricsServer(t *testing.T) (*Server, *metrics.Metrics, net.Conn, string) {
	t.Helper()
	m := metrics.New(metrics.Options{Version: "test"})
	s, err := New(nil, Config{Version: "test", Metrics: m, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(t.Context()) })
	nc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return s, m, nc, "unix://" + sock
}

// sample returns the value of the sample of family name that has the
// label pairs labels, or 0 when there is none.
func sample(t *testing.T, m *metrics.Metrics, name string, labels ...string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if s.GetCounter() != nil {
				return s.GetCounter().GetValue()
			}
			return s.GetGauge().GetValue()
		}
	}
	return 0
}

// eventually waits up to 5 s for f to return want, and returns what it
// returned last: an answer is written before it is counted.
func eventually(want float64, f func() float64) float64 {
	got := f()
	for deadline := time.Now().Add(5 * time.Second); got != want && time.Now().Before(deadline); got = f() {
		time.Sleep(5 * time.Millisecond)
	}
	return got
}

func TestTheMethodTableCountsEveryAnswerOnce(t *testing.T) {
	_, m, nc, _ := metricsServer(t)
	r := bufio.NewReader(nc)
	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}`,                  // inline
		`{"jsonrpc":"2.0","id":2,"method":"rpc.discover"}`,                  // inline
		`{"jsonrpc":"2.0","id":3,"method":"org.create","params":{}}`,        // through the library: -32602
		`{"jsonrpc":"2.0","id":4,"method":"no.such.method"}`,                // -32601, as "other"
		`{"jsonrpc":"2.0","id":5,"method":"alice@example.com","params":{}}`, // an email as a method: "other"
		`not json`, // -32700, as "other"
		`{"jsonrpc":"2.0","id":6,"method":"rpc.discover","params":{"x":1}}`,  // -32602
		`{"jsonrpc":"2.0","id":7,"method":"org.get","params":{"token":"t"}}`, // -32602: name is required
	}
	for _, l := range lines {
		if _, err := io.WriteString(nc, l+"\n"); err != nil {
			t.Fatal(err)
		}
		if err := nc.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("answer to %s: %v", l, err)
		}
	}
	for _, c := range []struct {
		method, code string
		want         float64
	}{
		{"rpc.discover", "ok", 2},
		{"rpc.discover", "-32602", 1},
		{"org.create", "-32602", 1},
		{"org.get", "-32602", 1},
		{"other", "-32601", 2},
		{"other", "-32700", 1},
		{"auth.login", "ok", 0},
	} {
		got := eventually(c.want, func() float64 { return sample(t, m, "orgd_requests_total", "method", c.method, "code", c.code) })
		if got != c.want {
			t.Errorf("orgd_requests_total{method=%q,code=%q} = %v, want %v", c.method, c.code, got, c.want)
		}
	}
}

func TestMethodLabelsComeOnlyFromTheMethodTable(t *testing.T) {
	s, m, nc, _ := metricsServer(t)
	r := bufio.NewReader(nc)
	for _, method := range []string{"alice@example.com", "Acme GmbH", "eyJhbGciOiJFZERTQSJ9.x.y", "org.get\u0000"} {
		line := `{"jsonrpc":"2.0","id":1,"method":` + jsonString(method) + `}` + "\n"
		if _, err := io.WriteString(nc, line); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	if got := eventually(4, func() float64 { return sample(t, m, "orgd_requests_total", "method", metrics.Other, "code", "-32601") }); got != 4 {
		t.Errorf("orgd_requests_total{method=other,code=-32601} = %v, want 4", got)
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "orgd_request") {
			continue
		}
		for _, sm := range f.GetMetric() {
			for _, l := range sm.GetLabel() {
				if l.GetName() == "method" && l.GetValue() != metrics.Other && s.methods[l.GetValue()] == nil {
					t.Errorf("%s has method label %q, which the method table does not hold", f.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestConnectionsAreCountedByListener(t *testing.T) {
	_, m, nc, addr := metricsServer(t)
	open := func() float64 { return sample(t, m, "orgd_connections", "listener", addr) }
	if got := eventually(1, open); got != 1 {
		t.Fatalf("orgd_connections{listener=%q} = %v with one client, want 1", addr, got)
	}
	nc.Close()
	if got := eventually(0, open); got != 0 {
		t.Errorf("orgd_connections = %v after the client left, want 0", got)
	}
	if got := sample(t, m, "orgd_connections_accepted_total", "listener", addr); got != 1 {
		t.Errorf("orgd_connections_accepted_total = %v, want 1", got)
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
