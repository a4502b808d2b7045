package testenv

import (
	"context"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/rpc"
)

// Process is an orgd running as a child process, built without the race
// detector, on a store of its own: for tests that measure the client side
// alone, or that move too much data for a daemon under the race detector.
type Process struct {
	Addr string
	// MongoURI and DB are the store it runs on, for tests that look at it
	// directly.
	MongoURI string
	DB       string
	// LogScan scans its log, written at debug level, for secrets; a leak
	// fails the test.
	LogScan *LogScanner

	cmd  *exec.Cmd
	done chan struct{}
}

// orgd returns the path of cmd/orgd, built once per test process.
func orgd(t testing.TB) string {
	t.Helper()
	return orgdCommand.build(t, "github.com/orgd/orgd/cmd/orgd")
}

// StartProcess starts orgd serve in a child process, on the MongoDB of
// ORGD_TEST_MONGO_URI or else on its own embedded store, and stops it when
// the test ends. extra are more flags of orgd serve (a --listen adds an
// address; Addr stays the Unix socket). Its log, at debug level, goes to
// the test's log on failure, and is scanned for secrets (see WatchLog).
func StartProcess(t testing.TB, extra ...string) *Process {
	t.Helper()
	cfg := Config(t, Options{Embedded: os.Getenv(MongoURIEnv) == ""})
	var log strings.Builder
	var logMu sync.Mutex
	args := []string{"serve", "--listen", cfg.Listen[0], "--data-dir", cfg.DataDir, "--db", cfg.DB,
		"--bcrypt-cost", "10", "--refresh-interval", cfg.RefreshInterval.String(), "--store-timeout", cfg.StoreTimeout.String(),
		"--log-level", "debug"}
	args = append(args, extra...)
	uri := cfg.MongoURI
	if uri != "" {
		args = append(args, "--mongo-uri", uri)
	} else {
		// The embedded engine's socket, which other clients may use too.
		uri = (&url.URL{Scheme: "mongodb", Host: filepath.Join(cfg.DataDir, embedded.Dir, "mongo.sock"), Path: "/"}).String()
	}
	cmd := exec.Command(orgd(t), args...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	// Registered before the cleanup that stops orgd, the scan's check
	// runs after it.
	scan := WatchLog(t)
	w := io.MultiWriter(lockedWriter{mu: &logMu, b: &log}, scan)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start orgd: %v", err)
	}
	p := &Process{Addr: cfg.Listen[0], MongoURI: uri, DB: cfg.DB, LogScan: scan, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("orgd's log:\n%s", log.String())
			logMu.Unlock()
		}
	})
	c := &rpc.Client{Addr: p.Addr}
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Health(ctx)
		cancel()
		if err == nil {
			return p
		}
		select {
		case <-p.done:
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("orgd exited at start:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("orgd does not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// OrgdBinary returns cmd/orgd built for the tests (once per test process),
// for tests that run orgd's command line as a child process.
func OrgdBinary(t testing.TB) string {
	t.Helper()
	return orgd(t)
}
