// Package sshd serves orgtui over SSH (SPEC §9), so that an operator with
// only an SSH client reaches orgd: ssh -p 2222 orgd.example.com. A
// connection logs in with a public key registered to an account, or with
// the account's password (the SSH user name is the email), and its session
// runs the same orgtui as the orgtui command, on an in-process connection
// to orgd's JSON-RPC server with a token of that account: every rule is
// checked there, as for any socket client. This package knows no rules of
// its own; it asks orgd's accounts (Accounts) and serves.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/rpc"
)

// Config says how the SSH server serves. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// HostKey signs the server's side of every handshake.
	HostKey gossh.Signer
	// MaxSessions bounds the sessions at once; one more is refused with a
	// message.
	MaxSessions int
	// IdleTimeout ends a session that typed nothing for this long.
	IdleTimeout time.Duration
	// HandshakeTimeout drops a connection that has not logged in this long
	// after it opened.
	HandshakeTimeout time.Duration
	// MaxUnauthenticated bounds the connections of one address that have
	// not logged in yet.
	MaxUnauthenticated int
	// CheckInterval is how often each session's token (and key) is
	// checked again: a revoked one ends its session within it.
	CheckInterval time.Duration
	// Version names orgd in the SSH version string.
	Version string
	// Logger receives the sessions' starts and ends and failed logins.
	Logger *slog.Logger
}

// DefaultConfig returns the limits SPEC §9 sets.
func DefaultConfig() Config {
	return Config{
		MaxSessions:        64,
		IdleTimeout:        15 * time.Minute,
		HandshakeTimeout:   30 * time.Second,
		MaxUnauthenticated: 10,
		CheckInterval:      2 * time.Second,
		Version:            "dev",
	}
}

// Accounts is what the SSH server asks of orgd about accounts; the daemon
// answers from its service, the same rules and directory the JSON-RPC
// server uses. A password login is not here: it is auth.login itself, on
// an in-process connection.
type Accounts interface {
	// KeyCanLogIn reports whether the key with fingerprint is registered
	// to an account that may log in now.
	KeyCanLogIn(fingerprint string) bool
	// KeyLogin starts a session, as auth.login would, for the account of
	// the key with fingerprint, which signed the connection's
	// authentication.
	KeyLogin(ctx context.Context, fingerprint string) (rpc.Session, Account, error)
	// Identify returns the account that token was issued to.
	Identify(token string) (Account, error)
	// Check says why a session logged in with token (and, when not
	// empty, the key with fingerprint) must end now: its token was
	// revoked or expired, its organization suspended, its key removed.
	// "" lets it go on.
	Check(token, fingerprint string) (reason string)
	// Audit writes an entry about a session of a to the audit trail.
	Audit(ctx context.Context, a Account, e Event)
}

// Account is who a session is logged in as.
type Account struct {
	ID    string
	Email string
	Role  string
	// OrgID and OrgName are the member's organization; empty for an
	// operator.
	OrgID, OrgName string
}

// The actions of the audit entries of sessions.
const (
	ActionSessionStart = "ssh.session_start"
	ActionSessionEnd   = "ssh.session_end"
)

// Event is a session's start or end, for the audit trail.
type Event struct {
	// Action is ActionSessionStart or ActionSessionEnd.
	Action string
	// Remote is the client's address.
	Remote string
	// Fingerprint is the key that logged the session in; empty for a
	// password.
	Fingerprint string
	// Duration and Reason are set at the end.
	Duration time.Duration
	Reason   string
}

// Connector opens a connection to orgd's JSON-RPC server in this process,
// served as coming from peer (e.g. "ip:192.0.2.7", which the login
// throttle counts).
type Connector func(peer string) net.Conn

// Server serves orgtui over SSH.
type Server struct {
	cfg      Config
	log      *slog.Logger
	accounts Accounts
	connect  Connector
	ssh      *ssh.Server

	mu       sync.Mutex
	sessions map[*session]struct{}
	pending  map[string]int          // "ip:…" → its connections not logged in yet
	unauth   map[string]*trackedConn // remote address → a connection not logged in yet
	failures atomic.Int64
	closing  bool
	wg       sync.WaitGroup
	stop     chan struct{}
	watching sync.Once
}

// New returns an SSH server that logs in through accounts and serves each
// session on a connection from connect.
func New(cfg Config, accounts Accounts, connect Connector) (*Server, error) {
	if cfg.HostKey == nil {
		return nil, errors.New("sshd: no host key")
	}
	def := DefaultConfig()
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = def.MaxSessions
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = def.HandshakeTimeout
	}
	if cfg.MaxUnauthenticated <= 0 {
		cfg.MaxUnauthenticated = def.MaxUnauthenticated
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = def.CheckInterval
	}
	if cfg.Version == "" {
		cfg.Version = def.Version
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, accounts: accounts, connect: connect,
		sessions: make(map[*session]struct{}),
		pending:  make(map[string]int),
		unauth:   make(map[string]*trackedConn),
		stop:     make(chan struct{}),
	}
	srv, err := wish.NewServer(
		wish.WithVersion("orgd_"+cfg.Version),
		wish.WithMiddleware(func(ssh.Handler) ssh.Handler { return s.handle }),
		func(srv *ssh.Server) error {
			srv.HostSigners = []ssh.Signer{cfg.HostKey}
			srv.HandshakeTimeout = cfg.HandshakeTimeout
			srv.ConnCallback = s.admit
			// Authentication is gossh's own callbacks, not the library's
			// handlers: each returns permissions of its own, and gossh
			// keeps those of the key that signed (see auth.go).
			srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{
					PublicKeyCallback: s.publicKey,
					PasswordCallback:  s.password,
					AuthLogCallback:   s.authLog,
					MaxAuthTries:      6,
				}
			}
			// Refused, each saying why (see refuse.go): port forwarding
			// both ways, agent and X11 forwarding, and the subsystems
			// (sftp).
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": sessionChannel, "direct-tcpip": refuseForward}
			srv.RequestHandlers = map[string]ssh.RequestHandler{"tcpip-forward": refuseRemoteForward, "cancel-tcpip-forward": refuseRemoteForward}
			srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{"default": refuseSubsystem}
			return nil
		},
	)
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	s.ssh = srv
	return s, nil
}

// Serve serves SSH on ln until Shutdown. It always returns an error;
// ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.watching.Do(func() { go s.watch() })
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// ErrServerClosed is what Serve returns after Shutdown.
var ErrServerClosed = errors.New("sshd: server closed")

// Shutdown stops accepting, ends every session with a message saying
// that orgd is stopping, and waits for them to close until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	sessions := make([]*session, 0, len(s.sessions))
	for se := range s.sessions {
		sessions = append(sessions, se)
	}
	s.mu.Unlock()
	close(s.stop)
	for _, se := range sessions {
		se.end("orgd is shutting down; connect again in a moment")
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("sshd: sessions still open when time ran out: %w", ctx.Err())
	}
	// Every session has said why it ends: close the listeners and the
	// connections, which clients keep open after their sessions.
	if cerr := s.ssh.Close(); cerr != nil && !errors.Is(cerr, ssh.ErrServerClosed) && err == nil {
		err = fmt.Errorf("sshd: %w", cerr)
	}
	return err
}

// Sessions returns the number of sessions open now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// AuthFailures returns how many authentications have failed since the
// server started: wrong passwords and other refusals, but not a key that
// was only offered and refused (clients offer every key they have).
func (s *Server) AuthFailures() int64 { return s.failures.Load() }

// watch checks every session every CheckInterval: a revoked token, a
// removed key or a session idle for too long ends it.
func (s *Server) watch() {
	t := time.NewTicker(s.cfg.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		sessions := make([]*session, 0, len(s.sessions))
		for se := range s.sessions {
			sessions = append(sessions, se)
		}
		s.mu.Unlock()
		for _, se := range sessions {
			if !se.ready.Load() {
				continue
			}
			if reason := s.accounts.Check(se.token, se.fingerprint); reason != "" {
				se.end(reason)
				continue
			}
			if idle := time.Since(se.lastInput()); idle >= s.cfg.IdleTimeout {
				se.end(fmt.Sprintf("nothing typed for %s: the session ended (--ssh-idle-timeout)", s.cfg.IdleTimeout.Round(time.Second)))
			}
		}
	}
}
