// Package server is where JSON-RPC requests enter orgd: listeners (Unix,
// TCP with TLS, systemd-activated), newline-delimited framing with its
// limits, peer credentials, one method table that both dispatches requests
// and generates the OpenRPC document, and org.event notifications.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// Config holds the server's limits. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// MaxConns bounds open connections; one more is answered with -32000
	// and closed.
	MaxConns int
	// MaxMessageBytes bounds a request line; a longer one is answered with
	// -32600 and the connection is closed.
	MaxMessageBytes int
	// IdleTimeout closes connections that sent nothing for this long while
	// no request of theirs was in flight.
	IdleTimeout time.Duration
	// RequestTimeout is every request's deadline. It also bounds how long
	// a reply may wait for the client to read it: that long at least, half
	// as much again at most (see lineStream.write).
	RequestTimeout time.Duration
	// MaxInflight bounds the requests of one connection served at once;
	// beyond it, orgd stops reading that connection until one finishes.
	MaxInflight int
	// MaxStoreInflight bounds the requests doing store work at once;
	// StoreQueueTimeout bounds how long one more waits for its turn before
	// it is refused with -32053 (SPEC §10).
	MaxStoreInflight  int
	StoreQueueTimeout time.Duration
	// Version is reported by system.health and rpc.discover.
	Version string
	// StoreCapacity is the store's tested capacity, reported by
	// system.health; nil for none (MongoDB).
	StoreCapacity *rpc.StoreCapacity
	// Logger receives one line per request at debug level.
	Logger *slog.Logger
	// Metrics receives every request, connection and login (see
	// metrics.go); nil records nothing.
	Metrics *metrics.Metrics
}

// DefaultConfig returns the limits SPEC §5 sets.
func DefaultConfig() Config {
	return Config{
		MaxConns:        1024,
		MaxMessageBytes: 1 << 20,
		IdleTimeout:     10 * time.Minute,
		RequestTimeout:  30 * time.Second,
		MaxInflight:     32,
		// Measured on the embedded engine with 2 cores (docs/reliability.md):
		// beyond 8 store calls at once its latency grows and its throughput
		// does not; 2 s of waiting is well within every client's patience
		// and the request deadline.
		MaxStoreInflight:  8,
		StoreQueueTimeout: 2 * time.Second,
		Version:           "dev",
	}
}

// Server serves orgd's JSON-RPC API on any number of listeners.
type Server struct {
	svc     *org.Service
	cfg     Config
	log     *slog.Logger
	methods map[string]*route
	doc     json.RawMessage
	// admission admits store work (admission.go).
	admission *admission
	started   time.Time
	rec       recorders

	// base is the context of every connection; it is cancelled when a
	// shutdown runs out of time.
	base       context.Context
	cancelBase context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	connWG    sync.WaitGroup
	serveWG   sync.WaitGroup
	closing   bool
}

// New returns a server for svc.
func New(svc *org.Service, cfg Config) (*Server, error) {
	def := DefaultConfig()
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = def.MaxConns
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = def.MaxMessageBytes
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = def.RequestTimeout
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = def.MaxInflight
	}
	if cfg.MaxStoreInflight <= 0 {
		cfg.MaxStoreInflight = def.MaxStoreInflight
	}
	if cfg.StoreQueueTimeout <= 0 {
		cfg.StoreQueueTimeout = def.StoreQueueTimeout
	}
	if cfg.Version == "" {
		cfg.Version = def.Version
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		svc:       svc,
		cfg:       cfg,
		log:       cfg.Logger,
		started:   time.Now(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		admission: newAdmission(cfg.MaxStoreInflight, cfg.StoreQueueTimeout),
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	table := s.routes()
	s.methods = make(map[string]*route, len(table))
	for i := range table {
		r := &table[i]
		if _, dup := s.methods[r.name]; dup {
			return nil, fmt.Errorf("method %s registered twice", r.name)
		}
		if r.inline && r.notifies != nil {
			return nil, fmt.Errorf("method %s is served inline, but inline methods cannot notify", r.name)
		}
		if r.store = !r.inline && !r.withoutStore; r.store {
			r.errors = append(r.errors, rpc.CodeBusy, rpc.CodeOutcomeUnknown)
		}
		s.methods[r.name] = r
	}
	s.rec = newRecorders(cfg.Metrics, s.methods)
	if cfg.Metrics != nil {
		s.admission.queued = cfg.Metrics.StoreQueued
	}
	doc, err := json.Marshal(describe(cfg.Version, table))
	if err != nil {
		return nil, fmt.Errorf("build the OpenRPC document: %w", err)
	}
	s.doc = doc
	return s, nil
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server closed")

// Serve accepts connections on ln until Shutdown. It always returns an
// error: ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.serveWG.Add(1)
	s.mu.Unlock()
	defer s.serveWG.Done()
	stats := s.rec.m.Listener(listenerName(ln.Addr()))

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				// Out of file descriptors or the like: wait and retry, as
				// net/http does, instead of spinning or giving up.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "error", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accept on %s: %w", ln.Addr(), err)
		}
		backoff = 0
		s.accept(nc, stats)
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops accepting, lets in-flight requests finish and their
// answers go out, and closes every connection. When ctx ends first, the
// remaining requests are cancelled and their connections closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		for ln := range s.listeners {
			ln.Close()
		}
		for c := range s.conns {
			c.stopReading()
		}
	}
	s.mu.Unlock()
	s.serveWG.Wait()

	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancelBase()
		return nil
	case <-ctx.Done():
	}
	s.cancelBase()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	<-done
	return fmt.Errorf("shutdown: requests still running when time ran out: %w", ctx.Err())
}

// Conns returns the number of open connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Document returns the OpenRPC document, as rpc.discover answers it.
func (s *Server) Document() json.RawMessage { return s.doc }

func (s *Server) uptime() time.Duration { return time.Since(s.started) }

// rejectBusy tells a connection over --max-conns why it is closed.
func (s *Server) rejectBusy(nc net.Conn) {
	msg := fmt.Sprintf("too many connections (--max-conns %d); try again later", s.cfg.MaxConns)
	b, _ := json.Marshal(errorLine{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: rpc.Error{Code: rpc.CodeServerBusy, Message: msg}})
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = nc.Write(append(b, '\n'))
	nc.Close()
	s.log.Warn("connection refused: too many connections", "limit", s.cfg.MaxConns, "remote", remoteName(nc))
}
