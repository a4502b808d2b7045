package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/sshd"
	"github.com/orgd/orgd/rpc"
)

// The SSH rows' client: golang.org/x/crypto/ssh in the bench's process,
// logged in with an Ed25519 key registered to the operator, each session
// on a PTY of 80×24 as the orgtui rows' tmux pane, its output read as it
// arrives.

// terminalWidth and terminalHeight are the size of every terminal the
// bench reads orgtui on.
const (
	terminalWidth  = 80
	terminalHeight = 24
	terminalType   = "xterm-256color"
)

// sshClient is what an SSH session of the bench needs: orgd's address, its
// host key, and the operator's key.
type sshClient struct {
	addr string
	cfg  *ssh.ClientConfig
}

// sshSetup registers a new key to the operator and returns the client of
// the SSH rows; the first call does it, the others return the same.
func (e *env) sshSetup(ctx context.Context) (*sshClient, error) {
	if e.ssh != nil {
		return e.ssh, nil
	}
	addrs := e.d.SSHAddrs()
	if len(addrs) != 1 {
		return nil, fmt.Errorf("orgd serves SSH on %v, want one address", addrs)
	}
	host, err := sshd.LoadOrCreateHostKey(e.config().SSHHostKey(), false)
	if err != nil {
		return nil, fmt.Errorf("orgd's host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key.PublicKey())))
	if _, err := e.client.AddKey(ctx, rpc.KeyAddParams{Token: e.token, PublicKey: line, Name: "orgbench"}); err != nil {
		return nil, fmt.Errorf("auth.keys.add: %w", err)
	}
	e.ssh = &sshClient{
		addr: strings.TrimPrefix(addrs[0], "tcp://"),
		cfg: &ssh.ClientConfig{
			User:            operatorEmail,
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(key)},
			HostKeyCallback: ssh.FixedHostKey(host.PublicKey()),
			Timeout:         10 * time.Second,
		},
	}
	return e.ssh, nil
}

// terminal is an SSH session running orgtui on a PTY: keys go in, and
// what orgd draws goes to the writer given to open.
type terminal struct {
	conn   *ssh.Client
	sess   *ssh.Session
	in     io.WriteCloser
	stderr bytes.Buffer
	done   chan error
}

// open connects, logs in with the key, asks for a PTY and starts orgtui,
// whose output goes to out.
func (c *sshClient) open(out io.Writer) (*terminal, error) {
	conn, err := ssh.Dial("tcp", c.addr, c.cfg)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", c.addr, err)
	}
	t := &terminal{conn: conn, done: make(chan error, 1)}
	if t.sess, err = conn.NewSession(); err != nil {
		conn.Close()
		return nil, err
	}
	t.sess.Stdout, t.sess.Stderr = out, &t.stderr
	if t.in, err = t.sess.StdinPipe(); err == nil {
		err = t.sess.RequestPty(terminalType, terminalHeight, terminalWidth, ssh.TerminalModes{})
	}
	if err == nil {
		err = t.sess.Shell()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start orgtui over SSH: %w", err)
	}
	go func() { t.done <- t.sess.Wait() }()
	return t, nil
}

// ended reports whether the session is over, and why, without waiting.
func (t *terminal) ended() (bool, error) {
	select {
	case err := <-t.done:
		t.done <- err
		return true, err
	default:
		return false, nil
	}
}

// close quits orgtui (ctrl+c) and waits for the session to end: by then
// orgd has logged and audited its end. It fails when the session had
// ended before, or ended other than with status 0.
func (t *terminal) close() error {
	defer t.conn.Close()
	if over, err := t.ended(); over {
		return fmt.Errorf("the SSH session ended early (%v): %q", err, strings.TrimSpace(t.stderr.String()))
	}
	if _, err := io.WriteString(t.in, "\x03"); err != nil {
		return fmt.Errorf("quit orgtui: %w", err)
	}
	select {
	case err := <-t.done:
		if err != nil {
			return fmt.Errorf("the SSH session ended with %v: %q", err, strings.TrimSpace(t.stderr.String()))
		}
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("the SSH session did not end within 10s of ctrl+c")
	}
}

// screen is a terminal's output as the bench reads it: it notes when the
// text, control sequences left out, first shows every one of wants, and
// from then on only counts the bytes. orgtui's renderer writes each
// changed stretch of a line whole (and, for xterm, never abbreviates a
// run of the same character), so a name it paints arrives in one piece.
type screen struct {
	wants []string
	shown chan time.Time
	bytes atomic.Int64

	mu   sync.Mutex
	seen bool
	raw  []byte
}

func newScreen(wants ...string) *screen {
	return &screen{wants: wants, shown: make(chan time.Time, 1)}
}

// Write takes output as it arrives; the time of its arrival is when the
// screen showed it.
func (s *screen) Write(p []byte) (int, error) {
	now := time.Now()
	s.bytes.Add(int64(len(p)))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen {
		return len(p), nil
	}
	s.raw = append(s.raw, p...)
	text := ansi.Strip(string(s.raw))
	if !slices.ContainsFunc(s.wants, func(w string) bool { return !strings.Contains(text, w) }) {
		s.seen, s.raw = true, nil
		s.shown <- now
	}
	return len(p), nil
}

// expect makes the screen wait for wants in what arrives from now on.
func (s *screen) expect(wants ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wants, s.seen, s.raw = wants, false, nil
	select {
	case <-s.shown:
	default:
	}
}

// wait returns when the screen showed what it waits for.
func (s *screen) wait(ctx context.Context, timeout time.Duration) (time.Time, error) {
	select {
	case t := <-s.shown:
		return t, nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	case <-time.After(timeout):
		s.mu.Lock()
		defer s.mu.Unlock()
		return time.Time{}, fmt.Errorf("the screen did not show %q within %s; it showed:\n%s", s.wants, timeout, ansi.Strip(string(s.raw)))
	}
}
