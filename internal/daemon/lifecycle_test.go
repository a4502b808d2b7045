package daemon_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func TestSocketAndDirectoryModes(t *testing.T) {
	dir := testenv.ShortDir(t)
	sock := filepath.Join(dir, "run", "orgd.sock")
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) { c.Listen = []string{"unix://" + sock} }})
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket mode %v, want socket 0660", fi.Mode())
	}
	di, err := os.Stat(filepath.Dir(sock))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o750 {
		t.Errorf("socket directory mode %04o, want 0750", di.Mode().Perm())
	}
	if _, err := d.Client(t).Health(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestANewDataDirectoryKeepsOthersOut(t *testing.T) {
	dir := filepath.Join(testenv.ShortDir(t), "new", "orgd")
	d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true})
	d.Operator(t)
	for _, c := range []struct {
		path string
		mode os.FileMode // the bits that must be clear
		what string
	}{
		{dir, 0o027, "the data directory: no access for others, no writes by the group"},
		{filepath.Join(dir, "jwt.key"), 0o177, "the signing key: read and write by orgd alone"},
		{filepath.Join(dir, "store"), 0o077, "the embedded store: orgd alone"},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&c.mode != 0 {
			t.Errorf("%s has mode %04o; want %s", c.path, fi.Mode().Perm(), c.what)
		}
	}
}

func TestAKeyFileOthersMayReadIsRefused(t *testing.T) {
	key := filepath.Join(testenv.ShortDir(t), "shared.key")
	if _, err := auth.LoadOrCreateKey(key, true); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testenv.Config(t, testenv.Options{Configure: func(c *daemon.Config) { c.JWTKeyFile = key }})
	d, err := daemon.Start(ctxT(t), cfg, testenv.Logger(testenv.WatchLog(t)), daemon.Hooks{BcryptCost: 4})
	if err == nil {
		d.Close(ctxT(t))
		t.Fatal("orgd started with a signing key everyone may read")
	}
	if !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("refusal %q does not say how to fix it", err)
	}
}

func TestStaleSocketIsReplacedAndALiveOneRefused(t *testing.T) {
	dir := testenv.ShortDir(t)
	sock := filepath.Join(dir, "orgd.sock")
	// A socket file nobody listens on, as a killed daemon leaves it.
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}

	listen := func(c *daemon.Config) { c.Listen = []string{"unix://" + sock} }
	d := testenv.Start(t, testenv.Options{Configure: listen})
	if _, err := d.Client(t).Health(ctxT(t)); err != nil {
		t.Fatalf("daemon on a formerly stale socket: %v", err)
	}

	cfg := testenv.Config(t, testenv.Options{Configure: listen})
	_, err = daemon.Start(ctxT(t), cfg, testenv.Logger(testenv.WatchLog(t)), daemon.Hooks{})
	if err == nil || !strings.Contains(err.Error(), "already serving") {
		t.Fatalf("second daemon on a live socket: %v, want a refusal", err)
	}
	if _, err := d.Client(t).Health(ctxT(t)); err != nil {
		t.Fatalf("first daemon hurt by the second: %v", err)
	}
}

func TestMaxConnsIsEnforcedWithAClearError(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) { c.MaxConns = 2 }})
	a, b := d.Dial(t), d.Dial(t)
	for _, r := range []*testenv.Raw{a, b} {
		if rep := r.Call(rpc.MethodSystemHealth, 1, nil); rep.Error != nil {
			t.Fatal(rep.Error)
		}
	}
	third := d.Dial(t)
	rep := third.Read()
	if rep.Error == nil || rep.Error.Code != rpc.CodeServerBusy || !strings.Contains(rep.Error.Message, "--max-conns 2") {
		t.Fatalf("third connection got %+v", rep.Error)
	}
	if _, err := third.ReadLine(5 * time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("third connection not closed: %v", err)
	}
	a.Conn.Close()
	waitFor(t, "a free connection slot", func() bool { return d.Server().Conns() < 2 })
	if rep := d.Dial(t).Call(rpc.MethodSystemHealth, 2, nil); rep.Error != nil {
		t.Fatalf("after one left: %+v", rep.Error)
	}
}

func TestIdleConnectionsAreClosedEvenMidLine(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) { c.IdleTimeout = 300 * time.Millisecond }})
	r := d.Dial(t)
	if _, err := io.WriteString(r.Conn, `{"jsonrpc":"2.0","id":1,"meth`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := r.ReadLine(5 * time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("stalled connection: read gave %v, want EOF", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("closed after %s, want about the idle timeout", took)
	}
}

func TestPlainTCPIsOnlyForLoopback(t *testing.T) {
	cfg := testenv.Config(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = append(c.Listen, "tcp://0.0.0.0:0")
	}})
	_, err := daemon.Start(ctxT(t), cfg, testenv.Logger(testenv.WatchLog(t)), daemon.Hooks{})
	if err == nil || !strings.Contains(err.Error(), "--insecure-tcp") {
		t.Fatalf("plain TCP on 0.0.0.0: %v, want a refusal naming --insecure-tcp", err)
	}

	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = append(c.Listen, "tcp://127.0.0.1:0")
	}})
	c := &rpc.Client{Addr: d.Addrs()[1]}
	defer c.Close()
	if _, err := c.Health(ctxT(t)); err != nil {
		t.Fatalf("loopback TCP: %v", err)
	}

	// --insecure-tcp is the way to have plain TCP on every interface.
	insecure := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = append(c.Listen, "tcp://0.0.0.0:0")
		c.InsecureTCP = true
	}})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(insecure.Addrs()[1], "tcp://"))
	anywhere := &rpc.Client{Addr: "tcp://127.0.0.1:" + port}
	defer anywhere.Close()
	if _, err := anywhere.Health(ctxT(t)); err != nil {
		t.Fatalf("plain TCP on 0.0.0.0 with --insecure-tcp: %v", err)
	}
}

func TestTLSListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := testenv.SelfSignedCert(t, dir)
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = append(c.Listen, "tcp://0.0.0.0:0")
		c.TLSCert, c.TLSKey = certFile, keyFile
	}})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(d.Addrs()[1], "tcp://"))
	c := &rpc.Client{Addr: "tls://127.0.0.1:" + port, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
	defer c.Close()
	// auth.bootstrap is for the Unix socket alone, even while no operator
	// exists.
	_, err := c.Bootstrap(ctxT(t), "tcp@example.com", "operator-password")
	wantCode(t, err, rpc.CodeForbidden)
	if d.Store().Directory.HasOperator() {
		t.Fatal("a bootstrap over TLS created an operator")
	}
	op := d.Operator(t)
	if _, err := c.Whoami(ctxT(t), op); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	_, err = c.Bootstrap(ctxT(t), "tcp@example.com", "operator-password")
	wantCode(t, err, rpc.CodeForbidden) // never over TCP, and an operator exists

	plain := &rpc.Client{Addr: "tcp://127.0.0.1:" + port}
	defer plain.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := plain.Health(ctx); err == nil {
		t.Error("plain JSON-RPC on the TLS port worked")
	}

	old := &rpc.Client{Addr: "tls://127.0.0.1:" + port, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS11}}
	defer old.Close()
	if _, err := old.Health(ctx); err == nil {
		t.Error("a TLS 1.1 client was served; orgd wants TLS 1.2 at least")
	}
	untrusting := &rpc.Client{Addr: "tls://127.0.0.1:" + port, TLSConfig: &tls.Config{ServerName: "localhost", MinVersion: tls.VersionTLS12}}
	defer untrusting.Close()
	if _, err := untrusting.Health(ctx); err == nil {
		t.Error("a client that does not trust the test certificate was served: is TLS on at all?")
	}
}

func TestShutdownLetsRequestsInFlightFinish(t *testing.T) {
	started := make(chan struct{}, 1)
	slow := func(step string) error {
		if step == "create:inserted" {
			started <- struct{}{}
			time.Sleep(500 * time.Millisecond) // a slow store: in flight when shutdown starts
		}
		return nil
	}
	d := testenv.Start(t, testenv.Options{Failpoint: slow})
	op := d.Operator(t)
	c := d.Client(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateOrg(context.Background(), rpc.OrgCreateParams{Token: op, Name: "Late", AdminEmail: "late@example.com", AdminPassword: adminPassword})
		done <- err
	}()
	<-started
	d.Stop(t)
	if err := <-done; err != nil {
		t.Fatalf("request in flight during shutdown: %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("waited %s for %s", time.Since(start).Round(time.Millisecond), what)
}
