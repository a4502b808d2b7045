// Package testenv starts real things for tests: the embedded store engine,
// or a database on the MongoDB named by ORGD_TEST_MONGO_URI, and a whole
// orgd listening on a Unix socket. Everything is cleaned up with t.Cleanup.
package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/rpc"
)

// MongoURIEnv names the environment variable that points the suite at a
// real MongoDB instead of the embedded engine.
const MongoURIEnv = "ORGD_TEST_MONGO_URI"

// TenantsPerDBEnv names the environment variable that sets every test
// daemon's --tenants-per-db, to run the suite on either layout: 0 keeps
// every tenant in the main database, as earlier orgds did, and a small
// number spreads a test's few organizations over several databases.
// Unset, each store has its default.
const TenantsPerDBEnv = "ORGD_TEST_TENANTS_PER_DB"

// Options change what Daemon starts.
type Options struct {
	// Configure edits the configuration before start.
	Configure func(*daemon.Config)
	// Failpoint is passed to the store.
	Failpoint func(step string) error
	// BcryptCost is the cost of password hashes; bcrypt's cheapest (4) when
	// zero, since under the race detector cost 10 takes a second a hash.
	BcryptCost int
	// DataDir reuses a data directory (to restart on the same store).
	DataDir string
	// DB reuses a database name (with ORGD_TEST_MONGO_URI).
	DB string
	// Log receives the daemon's log (at debug level) too. Every line is
	// also scanned for secrets, and a leak fails the test (see WatchLog).
	Log io.Writer
	// Secrets are passwords, beyond SuitePasswords, that the test sends
	// and that must never appear in the log.
	Secrets []string
	// Embedded runs the store engine inside the daemon, as orgd does by
	// default. Otherwise the daemon gets --mongo-uri: the MongoDB of
	// ORGD_TEST_MONGO_URI, or else a database of its own on an engine in
	// a child process shared by the tests of this process (which keeps the
	// engine out of the race detector's way).
	Embedded bool
	// LongStart is passed to the daemon (see daemon.Hooks.LongStart).
	LongStart time.Duration
}

// Daemon is an orgd started for a test.
type Daemon struct {
	*daemon.Daemon
	Addr    string
	Socket  string
	DataDir string
	DB      string
	Config  daemon.Config
	// LogScan scans the daemon's log for secrets.
	LogScan *LogScanner
}

// ShortDir returns a new directory with a short path, for Unix sockets
// (whose paths are limited to 108 bytes; t.TempDir's can be longer).
func ShortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "orgd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

var dbSeq struct {
	sync.Mutex
	n int
}

// UniqueDB returns a database name no other test of this run uses.
func UniqueDB(t testing.TB) string {
	dbSeq.Lock()
	defer dbSeq.Unlock()
	dbSeq.n++
	return fmt.Sprintf("orgdtest_%d_%d", os.Getpid(), dbSeq.n)
}

// Config returns a daemon configuration for tests: a private data
// directory and socket, bcrypt at its cheapest, quick refreshes, and the
// MongoDB of ORGD_TEST_MONGO_URI when set.
func Config(t testing.TB, o Options) daemon.Config {
	t.Helper()
	cfg := daemon.DefaultConfig()
	cfg.DataDir = o.DataDir
	if cfg.DataDir == "" {
		cfg.DataDir = ShortDir(t)
	}
	cfg.Listen = []string{"unix://" + filepath.Join(cfg.DataDir, "orgd.sock")}
	cfg.BcryptCost = 10
	cfg.RefreshInterval = 200 * time.Millisecond
	// A loaded machine running the race detector can be slow to answer;
	// tests of the store timeout set their own.
	cfg.StoreTimeout = 10 * time.Second
	cfg.Version = "test"
	uri := os.Getenv(MongoURIEnv)
	if uri == "" && !o.Embedded {
		uri = sharedStore(t)
	}
	if uri != "" {
		cfg.MongoURI = uri
		cfg.DB = o.DB
		if cfg.DB == "" {
			cfg.DB = UniqueDB(t)
			t.Cleanup(func() { dropDB(t, uri, cfg.DB) })
		}
	}
	if v := os.Getenv(TenantsPerDBEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", TenantsPerDBEnv, v, err)
		}
		cfg.TenantsPerDB = n
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	return cfg
}

// Logger returns a logger for w (discarding when nil) at debug level.
func Logger(w io.Writer) *slog.Logger {
	if w == nil {
		w = io.Discard
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Start starts an orgd and stops it when the test ends.
func Start(t testing.TB, o Options) *Daemon {
	t.Helper()
	cfg := Config(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cost := o.BcryptCost
	if cost == 0 {
		cost = 4
	}
	// Registered before the daemon's Stop, the scan's check runs after it.
	scan := WatchLog(t, o.Secrets...)
	var w io.Writer = scan
	if o.Log != nil {
		w = io.MultiWriter(scan, o.Log)
	}
	d, err := daemon.Start(ctx, cfg, Logger(w), daemon.Hooks{Failpoint: o.Failpoint, BcryptCost: cost, LongStart: o.LongStart})
	if err != nil {
		t.Fatalf("start orgd: %v", err)
	}
	td := &Daemon{Daemon: d, Addr: d.Addrs()[0], DataDir: cfg.DataDir, DB: cfg.DB, Config: cfg, LogScan: scan}
	td.Socket = strings.TrimPrefix(td.Addr, "unix://")
	t.Cleanup(func() { td.Stop(t) })
	return td
}

// Stop stops the daemon; it is safe to call more than once.
func (d *Daemon) Stop(t testing.TB) {
	t.Helper()
	if d.Daemon == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Errorf("stop orgd: %v", err)
	}
	d.Daemon = nil
}

// Client returns a client connected to the daemon, closed when the test
// ends.
func (d *Daemon) Client(t testing.TB) *rpc.Client {
	t.Helper()
	c := &rpc.Client{Addr: d.Addr}
	t.Cleanup(func() { c.Close() })
	return c
}

// Operator bootstraps the first operator (if none) and returns a token.
func (d *Daemon) Operator(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	c := d.Client(t)
	login := c.Login
	if !d.Store().Directory.HasOperator() {
		login = c.Bootstrap
	}
	s, err := login(ctx, "ops@example.com", "operator-password")
	if err != nil {
		t.Fatalf("operator login: %v", err)
	}
	return s.Token
}

// Raw is a plain connection to the socket that writes and reads lines, for
// tests of the framing itself.
type Raw struct {
	t    testing.TB
	Conn net.Conn
	r    *bufio.Reader
}

// Dial opens a raw connection to the daemon's socket.
func (d *Daemon) Dial(t testing.TB) *Raw {
	t.Helper()
	c, err := net.Dial("unix", d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &Raw{t: t, Conn: c, r: bufio.NewReaderSize(c, 1<<20)}
}

// Send writes s and a newline.
func (r *Raw) Send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.Conn, s+"\n"); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// Reply is a JSON-RPC reply as read off the wire.
type Reply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"` // set on notifications
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *rpc.Error      `json:"error"`
}

// Read reads one line and decodes it, failing the test after 10 s.
func (r *Raw) Read() Reply {
	r.t.Helper()
	line, err := r.ReadLine(10 * time.Second)
	if err != nil {
		r.t.Fatalf("read reply: %v", err)
	}
	var rep Reply
	if err := json.Unmarshal(line, &rep); err != nil {
		r.t.Fatalf("reply %q is not JSON: %v", line, err)
	}
	return rep
}

// ReadLine reads one raw line, or fails with the read error.
func (r *Raw) ReadLine(timeout time.Duration) ([]byte, error) {
	_ = r.Conn.SetReadDeadline(time.Now().Add(timeout))
	return r.r.ReadBytes('\n')
}

// Call sends a request and reads its reply.
func (r *Raw) Call(method string, id int, params any) Reply {
	r.t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	b, err := json.Marshal(req)
	if err != nil {
		r.t.Fatal(err)
	}
	r.Send(string(b))
	return r.Read()
}

// dropDB drops a test database on the MongoDB at uri, and its tenant
// databases.
func dropDB(t testing.TB, uri, db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Logf("drop %s: %v", db, err)
		return
	}
	defer c.Disconnect(ctx)
	names, err := c.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		t.Logf("drop %s: %v", db, err)
		return
	}
	for _, name := range names {
		if name != db && !strings.HasPrefix(name, db+"_t") {
			continue
		}
		if err := c.Database(name).Drop(ctx); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	}
}
