package packaging_test

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
)

// freePort returns a TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestActivatedTCP hands orgd a TCP socket on every interface, as a
// ListenStream=7443 drop-in for orgd.socket does. Only loopback is ever
// dialled.
func TestActivatedTCP(t *testing.T) {
	need(t, "systemd-socket-activate")
	bin := orgdBinary(t)

	t.Run("plain TCP on every interface is refused", func(t *testing.T) {
		dir := shortDir(t)
		port := strconv.Itoa(freePort(t))
		p := start(t, baseEnv(), "systemd-socket-activate", "--listen=0.0.0.0:"+port,
			bin, "serve", "--data-dir", filepath.Join(dir, "data"))
		var c net.Conn
		var err error
		for i := 0; i < 100; i++ {
			if c, err = net.Dial("tcp", "127.0.0.1:"+port); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer c.Close()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Fatal("orgd still runs on a plain TCP socket bound to every interface")
		}
		if code := p.cmd.ProcessState.ExitCode(); code == 0 {
			t.Errorf("exit code 0, want a failure")
		}
		if !strings.Contains(p.stderr.String(), "refusing plain TCP") {
			t.Errorf("the log does not say why orgd stopped:\n%s", p.stderr.String())
		}
	})

	t.Run("with a certificate orgd serves TLS on it", func(t *testing.T) {
		dir := shortDir(t)
		cert, key, pool := testenv.SelfSignedCert(t, dir)
		port := strconv.Itoa(freePort(t))
		p := start(t, baseEnv(), "systemd-socket-activate", "--listen=0.0.0.0:"+port,
			"-E", "ORGD_TLS_CERT="+cert, "-E", "ORGD_TLS_KEY="+key,
			bin, "serve", "--data-dir", filepath.Join(dir, "data"))
		var c net.Conn
		var err error
		for i := 0; i < 100; i++ {
			d := &net.Dialer{Timeout: 30 * time.Second}
			if c, err = tls.DialWithDialer(d, "tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		var h health
		if err := newRPC(t, c).call(t, "system.health", nil, &h); err != nil || h.Status != "ok" {
			t.Errorf("system.health over TLS: %+v, %v", h, err)
		}
		if code := p.stop(t); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
	})
}
