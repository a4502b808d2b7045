package sshd

import (
	"fmt"
	"sync"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// What orgd's SSH server refuses, each with a line that says why (SPEC
// §9): it serves orgtui and nothing else. Commands, terminal-less sessions
// and too many sessions are refused in session.go.

// refuseForward answers a port forwarding in either direction: a
// direct-tcpip channel (ssh -L, ssh -D) is rejected with a reason the
// client prints ("administratively prohibited: …").
func refuseForward(_ *ssh.Server, _ *gossh.ServerConn, newChan gossh.NewChannel, _ ssh.Context) {
	_ = newChan.Reject(gossh.Prohibited, "orgd forwards no ports; it serves only orgtui")
}

// refuseRemoteForward answers ssh -R's tcpip-forward request with a
// refusal; OpenSSH then says that the remote port forwarding failed.
func refuseRemoteForward(ssh.Context, *ssh.Server, *gossh.Request) (bool, []byte) {
	return false, nil
}

// refuseSubsystem ends a subsystem (sftp, or any other) with a line on
// its standard error and exit status 1.
func refuseSubsystem(s ssh.Session) {
	fmt.Fprintf(s.Stderr(), "orgd: no %s here; orgd serves only orgtui: ssh -t without a command\r\n", s.Subsystem())
	_ = s.Exit(1)
}

// refusals remembers the session requests that were refused before the
// session started, so that the session can say so in a line.
type refusals struct {
	mu    sync.Mutex
	agent bool
	x11   bool
}

// lines returns the lines to show the person about what was refused.
func (r *refusals) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var l []string
	if r.agent {
		l = append(l, "orgd: agent forwarding refused; orgtui does not need it")
	}
	if r.x11 {
		l = append(l, "orgd: X11 forwarding refused; orgtui does not need it")
	}
	return l
}

// refusalsKey holds a connection's *refusals in its ssh.Context.
type refusalsKey struct{}

// refusalsOf returns the refusals of the connection of ctx (set when it
// was admitted).
func refusalsOf(ctx ssh.Context) *refusals {
	r, _ := ctx.Value(refusalsKey{}).(*refusals)
	if r == nil {
		return &refusals{}
	}
	return r
}

// sessionChannel serves a session channel as the SSH library does, except
// that it refuses agent and X11 forwarding itself: the library would
// accept an agent request, and refuse X11 without a word.
func sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx ssh.Context) {
	ssh.DefaultSessionHandler(srv, conn, &filteredChannel{NewChannel: newChan, refused: refusalsOf(ctx)}, ctx)
}

// filteredChannel is a session channel whose forwarding requests are
// answered with a refusal before the library sees them.
type filteredChannel struct {
	gossh.NewChannel
	refused *refusals
}

// Accept accepts the channel and returns its requests without the
// forwarding ones.
func (c *filteredChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, in, err := c.NewChannel.Accept()
	if err != nil {
		return ch, in, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		for req := range in {
			switch req.Type {
			case "auth-agent-req@openssh.com":
				c.refused.mu.Lock()
				c.refused.agent = true
				c.refused.mu.Unlock()
			case "x11-req":
				c.refused.mu.Lock()
				c.refused.x11 = true
				c.refused.mu.Unlock()
			default:
				out <- req
				continue
			}
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}()
	return ch, out, nil
}
