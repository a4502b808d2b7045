// Package embedded runs the embedded MongoDB-compatible engine (FerretDB v1
// with its SQLite backend) inside the orgd process, for when no MongoDB is
// given. Its files live under the data directory; it listens only on a
// private Unix socket, and only one process may use a data directory at a
// time. Tenant databases have engines of their own, behind the one socket
// (tenants.go, router.go).
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"golang.org/x/sys/unix"
)

// Dir is where the engine keeps its files, under the data directory.
const Dir = "store"

// maxSocketPath leaves room under the kernel's 108-byte limit on Unix socket
// paths.
const maxSocketPath = 100

// ErrLocked is returned when another process uses the data directory.
var ErrLocked = errors.New("the embedded store is in use by another process")

// Engine is a running embedded engine: the store's, or a tenant
// database's.
type Engine struct {
	dir     string
	uri     string
	socket  string // where the engine itself listens
	cancel  context.CancelFunc
	done    chan struct{}
	lock    *os.File
	tempDir string

	// The store's engine only: what serves its socket, and the engines of
	// its tenant databases.
	router  *router
	tenants *tenantEngines
}

// Options tune Start.
type Options struct {
	// Log receives the engine's errors only: it logs every refused
	// command as a warning, which is noise for orgd.
	Log *slog.Logger
	// TenantDatabase tells the databases that get an engine of their own
	// (see tenants.go); none does when it is nil.
	TenantDatabase func(name string) bool
	// TenantIdle is how long a connection to a tenant database's engine
	// stays open without carrying anything; the engine stops once it has
	// none. DefaultTenantIdle when zero; below zero, at once.
	TenantIdle time.Duration
}

// Start starts the engine on the data directory dataDir, which is created
// (mode 0750) if missing, and serves it on the store's socket.
func Start(ctx context.Context, dataDir string, o Options) (*Engine, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	switch {
	case o.TenantIdle == 0:
		o.TenantIdle = DefaultTenantIdle
	case o.TenantIdle < 0:
		o.TenantIdle = 0
	}
	dir := filepath.Join(dataDir, Dir)
	// ferretdb.New refuses a directory that does not exist.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	e, err := run(ctx, dir, "engine.sock", o.Log)
	if err != nil {
		lock.Close()
		return nil, err
	}
	e.lock = lock
	socket, err := e.socketPath(dir, "mongo.sock")
	if err == nil {
		err = removeStale(socket)
	}
	var ln net.Listener
	if err == nil {
		ln, err = net.Listen("unix", socket)
	}
	if err != nil {
		_ = e.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("embedded store socket: %w", err)
	}
	e.tenants = newTenantEngines(filepath.Join(dir, TenantsDir), o.TenantDatabase, o.Log)
	e.router = newRouter(ln, e.socket, e.tenants, o.TenantIdle, o.Log)
	e.uri = (&url.URL{Scheme: "mongodb", Host: socket, Path: "/"}).String()
	return e, nil
}

// run starts an engine on the SQLite files of dir, which exists and which
// the caller has locked, listening on the socket name in dir.
func run(ctx context.Context, dir, name string, log *slog.Logger) (*Engine, error) {
	e := &Engine{dir: dir, done: make(chan struct{})}
	socket, err := e.socketPath(dir, name)
	if err == nil {
		err = removeStale(socket)
	}
	if err != nil {
		e.unlock()
		return nil, fmt.Errorf("embedded store socket: %w", err)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    slog.New(minLevel{inner: log.Handler(), level: slog.LevelError}),
	})
	if err != nil {
		e.unlock()
		return nil, fmt.Errorf("start embedded store: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	e.uri, e.socket = f.MongoDBURI(), socket
	return e, nil
}

// socketPath is where a socket named name goes: in dir, or for a deep dir
// in a private directory of the engine's own.
func (e *Engine) socketPath(dir, name string) (string, error) {
	socket := filepath.Join(dir, name)
	if len(socket) <= maxSocketPath {
		return socket, nil
	}
	if e.tempDir == "" {
		var err error
		if e.tempDir, err = os.MkdirTemp("", "orgd-store-"); err != nil {
			return "", err
		}
	}
	return filepath.Join(e.tempDir, name), nil
}

// removeStale removes a socket file left by an earlier process: the
// directory is locked, so nobody listens on it.
func removeStale(socket string) error {
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// URI is the connection string of the store's socket, which serves every
// database.
func (e *Engine) URI() string { return e.uri }

// TenantDatabasesRunning reports how many tenant databases have their
// engine running.
func (e *Engine) TenantDatabasesRunning() int { return e.tenants.running() }

// Close stops the engine and waits for it, ending the connections to it
// first.
func (e *Engine) Close(ctx context.Context) error {
	if e.router != nil {
		e.router.close()
	}
	if e.tenants != nil {
		e.tenants.close()
	}
	e.cancel()
	select {
	case <-e.done:
	case <-ctx.Done():
		return fmt.Errorf("stop embedded store: %w", ctx.Err())
	}
	e.unlock()
	return nil
}

func (e *Engine) unlock() {
	if e.tempDir != "" {
		os.RemoveAll(e.tempDir)
	}
	if e.lock != nil {
		e.lock.Close() // closing the file releases the flock
	}
}

// lockDir takes an exclusive lock on dir/LOCK, recording our pid in it.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded store lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(holder))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("%w (pid %s) at %s: stop it, or give it a --mongo-uri", ErrLocked, pid, dir)
		}
		return nil, fmt.Errorf("embedded store lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// minLevel drops records below a level. The engine makes a logger with
// attributes of its own for every message it handles, and hardly ever logs
// at the level orgd lets through: attributes and groups wait here, and
// reach the inner handler, which would format them at once, only with a
// record it writes.
type minLevel struct {
	inner slog.Handler
	level slog.Level
	with  []func(slog.Handler) slog.Handler // in the order given
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.inner.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	inner := h.inner
	for _, with := range h.with {
		inner = with(inner)
	}
	return inner.Handle(ctx, r)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.and(func(inner slog.Handler) slog.Handler { return inner.WithAttrs(attrs) })
}

func (h minLevel) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.and(func(inner slog.Handler) slog.Handler { return inner.WithGroup(name) })
}

// and returns h with one more step for the inner handler; h's own steps
// are shared, never appended to.
func (h minLevel) and(with func(slog.Handler) slog.Handler) minLevel {
	return minLevel{inner: h.inner, level: h.level, with: append(slices.Clip(h.with), with)}
}
