// Package embedded runs the embedded MongoDB-compatible engine (FerretDB v1
// with its SQLite backend) inside the orgd process, for when no MongoDB is
// given. Its files live under the data directory; it listens only on a
// private Unix socket, and only one process may use a data directory at a
// time.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// Engine is a running embedded engine.
type Engine struct {
	dir     string
	uri     string
	cancel  context.CancelFunc
	done    chan struct{}
	lock    *os.File
	tempDir string
}

// Start starts the engine on the data directory dataDir, which is created
// (mode 0750) if missing. log receives the engine's errors only: it logs
// every refused command as a warning, which is noise for orgd.
func Start(ctx context.Context, dataDir string, log *slog.Logger) (*Engine, error) {
	dir := filepath.Join(dataDir, Dir)
	// ferretdb.New refuses a directory that does not exist.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	e := &Engine{dir: dir, lock: lock, done: make(chan struct{})}

	socket := filepath.Join(dir, "mongo.sock")
	if len(socket) > maxSocketPath {
		// A deep data directory: put the socket in a private directory of
		// its own instead.
		if e.tempDir, err = os.MkdirTemp("", "orgd-store-"); err != nil {
			e.unlock()
			return nil, fmt.Errorf("embedded store socket directory: %w", err)
		}
		socket = filepath.Join(e.tempDir, "mongo.sock")
	}
	// We hold the lock, so a socket file left here is stale.
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		e.unlock()
		return nil, fmt.Errorf("remove stale embedded socket: %w", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    slog.New(minLevel{log.Handler(), slog.LevelError}),
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
	e.uri = f.MongoDBURI()
	return e, nil
}

// URI is the connection string of the engine.
func (e *Engine) URI() string { return e.uri }

// Close stops the engine and waits for it. Disconnect every client first:
// the engine waits up to 3 s for open connections to drain.
func (e *Engine) Close(ctx context.Context) error {
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
	e.lock.Close() // closing the file releases the flock
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

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}
