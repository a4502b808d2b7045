package sshd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/rpc"
)

// The extensions a successful authentication leaves on the connection's
// permissions, which the session reads. Each authentication callback
// returns permissions of its own, and the SSH library keeps those of the
// method and key that completed the authentication: a key that was only
// offered, never signed with, leaves nothing behind (CVE-2024-45337).
const (
	extKey     = "orgd-key"     // the fingerprint of the key that signed
	extToken   = "orgd-token"   // the token a password login got
	extExpires = "orgd-expires" // and when it expires (RFC 3339)
)

// errDenied is what a refused authentication answers; the client sees
// only that it failed, and tries its next method or key.
var errDenied = errors.New("permission denied")

// publicKey answers whether key would log in: it does when it is
// registered to an account that may log in now. The client still has to
// prove that it holds the key; the permissions returned here are kept only
// if it does.
func (s *Server) publicKey(conn gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
	fp := gossh.FingerprintSHA256(key)
	if !s.accounts.KeyCanLogIn(fp) {
		return nil, errDenied
	}
	return &gossh.Permissions{Extensions: map[string]string{extKey: fp}}, nil
}

// password logs in with the SSH user name as the email, through auth.login
// on an in-process connection: the same bcrypt, the same equal-time
// failure and the same throttle (by email and by the client's address) as
// a socket client's login.
func (s *Server) password(conn gossh.ConnMetadata, password []byte) (*gossh.Permissions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HandshakeTimeout)
	defer cancel()
	c := s.client(peerOf(conn.RemoteAddr()), "")
	defer c.Close()
	sess, err := c.Login(ctx, conn.User(), string(password))
	if err == nil {
		return &gossh.Permissions{Extensions: map[string]string{
			extToken:   sess.Token,
			extExpires: sess.ExpiresAt.Format(time.RFC3339Nano),
		}}, nil
	}
	var rerr *rpc.Error
	if errors.As(err, &rerr) {
		switch rerr.Code {
		case rpc.CodeTooManyAttempts:
			wait := rerr.Data.RetryAfterS
			return nil, &gossh.BannerError{
				Err:     errDenied,
				Message: fmt.Sprintf("orgd: too many failed logins; try again in %d s\r\n", max(wait, 1)),
			}
		case rpc.CodeSuspended:
			return nil, &gossh.BannerError{Err: errDenied, Message: "orgd: " + rerr.Message + "\r\n"}
		case rpc.CodeBusy:
			return nil, &gossh.BannerError{Err: errDenied, Message: "orgd: too many logins at once; try again in a moment\r\n"}
		case rpc.CodeUnauthenticated, rpc.CodeInvalidParams:
			return nil, errDenied
		}
	}
	s.log.Warn("ssh password login failed", "remote", conn.RemoteAddr().String(), "user", conn.User(), "err", err)
	return nil, &gossh.BannerError{Err: errDenied, Message: "orgd: logins cannot be checked right now; try again shortly\r\n"}
}

// client returns a JSON-RPC client whose connections are in-process ones
// served as coming from peer; name is what orgtui shows as its address.
func (s *Server) client(peer, name string) *rpc.Client {
	return &rpc.Client{Addr: name, Dialer: func(context.Context) (net.Conn, error) { return s.connect(peer), nil }}
}

// authLog counts and logs failed authentications (never the password),
// and marks the connection logged in once one succeeds, so that it no
// longer counts towards its address's unauthenticated connections.
func (s *Server) authLog(conn gossh.ConnMetadata, method string, err error) {
	if err == nil {
		s.loggedIn(conn.RemoteAddr())
		return
	}
	// "none" is every client's first question (which methods are there?);
	// a key refused for the asking is the client trying the next one.
	if method == "none" || (method == "publickey" && errors.Is(err, errDenied)) {
		return
	}
	s.failures.Add(1)
	s.log.Info("ssh authentication failed", "remote", conn.RemoteAddr().String(), "user", conn.User(), "method", method)
}

// peerOf names an SSH client's address the way the login throttle counts
// TCP peers.
func peerOf(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok {
		return "ip:" + ta.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "ip:" + addr.String()
	}
	return "ip:" + host
}

// admit accepts a new connection unless its address already has
// MaxUnauthenticated connections that have not logged in; a refused one
// reads a line saying why before it is closed.
func (s *Server) admit(ctx ssh.Context, nc net.Conn) net.Conn {
	tc := &trackedConn{Conn: nc, srv: s, ip: peerOf(nc.RemoteAddr())}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	if s.pending[tc.ip] >= s.cfg.MaxUnauthenticated {
		s.mu.Unlock()
		s.log.Warn("ssh connection refused: too many connections logging in", "remote", nc.RemoteAddr().String())
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		// Before the version exchange a server may send lines of text;
		// OpenSSH shows them.
		_, _ = fmt.Fprintf(nc, "orgd: too many connections from %s are logging in at once; try again shortly\r\n", tc.ip[len("ip:"):])
		return nil
	}
	s.pending[tc.ip]++
	s.unauth[nc.RemoteAddr().String()] = tc
	s.mu.Unlock()
	ctx.SetValue(refusalsKey{}, &refusals{})
	return tc
}

// loggedIn stops counting the connection from remote as unauthenticated.
func (s *Server) loggedIn(remote net.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tc, ok := s.unauth[remote.String()]; ok {
		s.forgetLocked(tc)
	}
}

// forgetLocked stops counting tc; s.mu is held.
func (s *Server) forgetLocked(tc *trackedConn) {
	if s.unauth[tc.RemoteAddr().String()] != tc {
		return
	}
	delete(s.unauth, tc.RemoteAddr().String())
	if s.pending[tc.ip]--; s.pending[tc.ip] <= 0 {
		delete(s.pending, tc.ip)
	}
}

// trackedConn is a connection counted towards its address's
// unauthenticated ones until it logs in or closes.
type trackedConn struct {
	net.Conn
	srv *Server
	ip  string
}

// Close closes the connection and stops counting it.
func (c *trackedConn) Close() error {
	c.srv.mu.Lock()
	c.srv.forgetLocked(c)
	c.srv.mu.Unlock()
	return c.Conn.Close()
}
