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
	// DataDir is its data directory (its key file is jwt.key there).
	DataDir string

	args  []string
	log   *strings.Builder
	logMu *sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
}

// orgd returns the path of cmd/orgd, built once per test process.
func orgd(t testing.TB) string {
	t.Helper()
	return orgdCommand.build(t, "github.com/orgd/orgd/cmd/orgd")
}

// ProcessOptions change what StartProcessWith starts.
type ProcessOptions struct {
	// MongoURI and DB put the process on a store that already runs
	// (another process's, to run several daemons on one store); by
	// default it gets the MongoDB of ORGD_TEST_MONGO_URI or else its own
	// embedded store.
	MongoURI, DB string
	// JWTKeyFile shares a signing key between daemons.
	JWTKeyFile string
	// RefreshInterval is --refresh-interval (200ms when zero).
	RefreshInterval time.Duration
	// Flags are more flags of orgd serve (a --listen adds an address;
	// Addr stays the Unix socket).
	Flags []string
}

// StartProcess starts orgd serve in a child process, on the MongoDB of
// ORGD_TEST_MONGO_URI or else on its own embedded store, and stops it when
// the test ends. extra are more flags of orgd serve (a --listen adds an
// address; Addr stays the Unix socket). Its log, at debug level, goes to
// the test's log on failure, and is scanned for secrets (see WatchLog).
func StartProcess(t testing.TB, extra ...string) *Process {
	t.Helper()
	return StartProcessWith(t, ProcessOptions{Flags: extra})
}

// StartProcessWith starts orgd serve in a child process as o says, and
// stops it when the test ends. Its log goes to the test's log on failure.
func StartProcessWith(t testing.TB, o ProcessOptions) *Process {
	t.Helper()
	// With a store given, Config need not find one (Embedded keeps it from
	// choosing one); the given URI replaces what it filled in.
	cfg := Config(t, Options{Embedded: o.MongoURI != "" || os.Getenv(MongoURIEnv) == ""})
	if o.MongoURI != "" {
		cfg.MongoURI, cfg.DB = o.MongoURI, o.DB
		if cfg.DB == "" {
			cfg.DB = UniqueDB(t)
		}
	}
	if o.RefreshInterval > 0 {
		cfg.RefreshInterval = o.RefreshInterval
	}
	args := []string{"serve", "--listen", cfg.Listen[0], "--data-dir", cfg.DataDir, "--db", cfg.DB,
		"--bcrypt-cost", "10", "--refresh-interval", cfg.RefreshInterval.String(), "--store-timeout", cfg.StoreTimeout.String(),
		"--log-level", "debug"}
	if o.JWTKeyFile != "" {
		args = append(args, "--jwt-key-file", o.JWTKeyFile)
	}
	args = append(args, o.Flags...)
	uri := cfg.MongoURI
	if uri != "" {
		args = append(args, "--mongo-uri", uri)
	} else {
		// The embedded engine's socket, which other clients may use too.
		uri = (&url.URL{Scheme: "mongodb", Host: filepath.Join(cfg.DataDir, embedded.Dir, "mongo.sock"), Path: "/"}).String()
	}
	p := &Process{Addr: cfg.Listen[0], MongoURI: uri, DB: cfg.DB, DataDir: cfg.DataDir, args: args, log: &strings.Builder{}, logMu: &sync.Mutex{}}
	// One scan across restarts. Registered before the cleanup that stops
	// orgd, its check runs after it.
	p.LogScan = WatchLog(t)
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			p.logMu.Lock()
			t.Logf("orgd's log:\n%s", p.log.String())
			p.logMu.Unlock()
		}
	})
	p.start(t)
	return p
}

// start runs orgd with p's arguments and waits until it answers.
func (p *Process) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(orgd(t), p.args...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	w := io.MultiWriter(lockedWriter{mu: p.logMu, b: p.log}, p.LogScan)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start orgd: %v", err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() { _ = cmd.Wait(); close(done) }()
	c := &rpc.Client{Addr: p.Addr}
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-done:
			p.logMu.Lock()
			defer p.logMu.Unlock()
			t.Fatalf("orgd exited at start:\n%s", p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("orgd does not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop stops orgd with SIGTERM (SIGKILL after 30 s), if it runs.
func (p *Process) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// Kill kills orgd at once (SIGKILL), as a crash or the OOM killer would:
// nothing of it runs on, not even the embedded engine inside it.
func (p *Process) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// Stop stops orgd as systemd would (SIGTERM), waiting for it to finish.
func (p *Process) Stop() { p.stop() }

// Restart starts orgd again, with the same flags, on the same data
// directory and store; a running orgd is stopped first.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	p.stop()
	p.start(t)
}

// Binary returns the path of the orgd binary the process runs, for tests
// that run its other commands (orgd check) on the same store.
func (p *Process) Binary(t testing.TB) string {
	t.Helper()
	return orgd(t)
}

// Log returns what orgd has logged so far, across restarts.
func (p *Process) Log() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
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
