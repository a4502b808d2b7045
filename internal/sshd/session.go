package sshd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"

	"github.com/orgd/orgd/internal/tui"
	"github.com/orgd/orgd/rpc"
)

// session is one SSH session running orgtui.
type session struct {
	account     Account
	token       string
	fingerprint string // the key that logged it in; "" for a password
	remote      string
	started     time.Time

	// ready is set once the fields above are, after the login: the
	// watcher checks only sessions that are ready.
	ready    atomic.Bool
	cancel   context.CancelFunc
	input    atomic.Int64 // when the person last typed, in Unix nanoseconds
	mu       sync.Mutex
	reason   string // why orgd ended the session; "" while it runs or when the person quit
	endedFor bool
}

// end ends the session, saying reason to the person; the first reason
// wins.
func (se *session) end(reason string) {
	se.mu.Lock()
	if !se.endedFor {
		se.endedFor, se.reason = true, reason
	}
	se.mu.Unlock()
	se.cancel()
}

// endReason returns why orgd ended the session, "" when it did not.
func (se *session) endReason() string {
	se.mu.Lock()
	defer se.mu.Unlock()
	return se.reason
}

// lastInput returns when the person last typed.
func (se *session) lastInput() time.Time {
	return time.Unix(0, se.input.Load())
}

// typed notes that the person typed now.
func (se *session) typed() {
	se.input.Store(time.Now().UnixNano())
}

// fail writes line to the client's standard error and ends the session
// with exit status 1.
func fail(s ssh.Session, format string, args ...any) {
	fmt.Fprintf(s.Stderr(), "orgd: "+format+"\r\n", args...)
	_ = s.Exit(1)
}

// handle serves a session: orgtui when it has a terminal and asks for no
// command, a one-line refusal otherwise.
func (s *Server) handle(sess ssh.Session) {
	if cmd := sess.RawCommand(); cmd != "" {
		fail(sess, "orgd runs no commands (asked for %q); it serves orgtui: ssh -t without a command", clip(cmd, 60))
		return
	}
	_, winch, ok := sess.Pty()
	if !ok {
		fail(sess, "orgtui needs a terminal; connect without -T, or with -t")
		return
	}
	se := &session{remote: sess.RemoteAddr().String(), started: time.Now()}
	se.typed()
	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	se.cancel = cancel
	if msg := s.register(se); msg != "" {
		fail(sess, "%s", msg)
		return
	}
	defer s.deregister(se)

	login, err := s.login(ctx, se, sess.Permissions().Extensions)
	if err != nil {
		fail(sess, "cannot start the session: %v", err)
		return
	}

	se.ready.Store(true)
	s.startSession(ctx, se)
	for _, line := range refusalsOf(sess.Context()).lines() {
		fmt.Fprintf(sess.Stderr(), "%s\r\n", line)
	}
	ended, err := s.runTUI(ctx, sess, se, login, winch)
	reason := se.endReason()
	switch {
	case reason != "":
	case err != nil:
		s.log.Error("orgtui stopped", "account", se.account.Email, "remote", se.remote, "err", err)
		reason = "orgtui stopped on an error; connect again"
	case ended != "":
		// orgtui ended the session itself: logged out (exit 0), or its
		// login was refused (exit 1).
		s.endSession(se, ended)
		fmt.Fprintf(sess.Stderr(), "orgd: %s\r\n", ended)
		_ = sess.Exit(exitStatus(ended))
		return
	}
	s.endSession(se, reason)
	if reason != "" {
		fail(sess, "%s", reason)
		return
	}
	_ = sess.Exit(0)
}

// login returns the session that the connection's authentication left in
// ext: a new one for the key that signed it, or the one a password login
// got.
func (s *Server) login(ctx context.Context, se *session, ext map[string]string) (rpc.Session, error) {
	se.fingerprint = ext[extKey]
	if se.fingerprint != "" {
		login, acct, err := s.accounts.KeyLogin(ctx, se.fingerprint)
		se.token, se.account = login.Token, acct
		return login, err
	}
	se.token = ext[extToken]
	if se.token == "" {
		return rpc.Session{}, errors.New("not logged in")
	}
	acct, err := s.accounts.Identify(se.token)
	if err != nil {
		return rpc.Session{}, err
	}
	se.account = acct
	login := rpc.Session{Token: se.token, TokenType: "Bearer", Role: acct.Role}
	login.ExpiresAt, _ = time.Parse(time.RFC3339Nano, ext[extExpires])
	if acct.OrgID != "" {
		login.Org = &rpc.OrgRef{ID: acct.OrgID, Name: acct.OrgName}
	}
	return login, nil
}

// exitStatus is the SSH exit status of a session that orgtui ended with
// reason: 0 when the person logged out, 1 when the session ended on them.
func exitStatus(reason string) int {
	if reason == tui.LoggedOut {
		return 0
	}
	return 1
}

// register counts se among the open sessions, or says why it cannot be.
func (s *Server) register(se *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return "orgd is shutting down; connect again in a moment"
	case len(s.sessions) >= s.cfg.MaxSessions:
		return fmt.Sprintf("all %d SSH sessions are in use (--ssh-max-sessions); try again later", s.cfg.MaxSessions)
	}
	s.sessions[se] = struct{}{}
	s.wg.Add(1)
	return ""
}

// deregister forgets se.
func (s *Server) deregister(se *session) {
	s.mu.Lock()
	delete(s.sessions, se)
	s.mu.Unlock()
	s.wg.Done()
}

// startSession logs and audits the start of se.
func (s *Server) startSession(ctx context.Context, se *session) {
	s.log.Info("ssh session started", "account", se.account.Email, "remote", se.remote, "key", keyOrPassword(se.fingerprint))
	s.accounts.Audit(ctx, se.account, Event{Action: ActionSessionStart, Remote: se.remote, Fingerprint: se.fingerprint})
}

// endSession logs and audits the end of se.
func (s *Server) endSession(se *session, reason string) {
	d := time.Since(se.started).Round(time.Second)
	why := reason
	if why == "" {
		why = "quit"
	}
	s.log.Info("ssh session ended", "account", se.account.Email, "remote", se.remote, "key", keyOrPassword(se.fingerprint), "duration", d.String(), "reason", why)
	// The session's context is over; its last audit entry is not.
	s.accounts.Audit(context.Background(), se.account, Event{Action: ActionSessionEnd, Remote: se.remote, Fingerprint: se.fingerprint, Duration: d, Reason: why})
}

// keyOrPassword names how a session logged in, for its log lines.
func keyOrPassword(fingerprint string) string {
	if fingerprint == "" {
		return "password"
	}
	return fingerprint
}

// clip shortens s to at most n runes for a message.
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
