package daemon_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/sshd"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// startSSH starts a daemon serving orgtui over SSH on a loopback port,
// with configure's changes.
func startSSH(t *testing.T, configure func(*daemon.Config)) (*testenv.Daemon, string) {
	t.Helper()
	d := testenv.Start(t, testenv.Options{Embedded: true, Configure: func(c *daemon.Config) {
		c.SSHListen = []string{"tcp://127.0.0.1:0"}
		c.RefreshInterval = 200 * time.Millisecond
		if configure != nil {
			configure(c)
		}
	}})
	addrs := d.SSHAddrs()
	if len(addrs) != 1 {
		t.Fatalf("SSH addresses %v", addrs)
	}
	return d, strings.TrimPrefix(addrs[0], "tcp://")
}

// signer returns a new ed25519 key, to sign with and to register.
func signer(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
}

// register registers key's line to the account of token.
func register(t *testing.T, c *rpc.Client, token, line string) {
	t.Helper()
	if _, err := c.AddKey(ctxT(t), rpc.KeyAddParams{Token: token, PublicKey: line, Name: "test"}); err != nil {
		t.Fatalf("auth.keys.add: %v", err)
	}
}

// hostKeyOf returns the daemon's SSH host key, read from its file, so
// that the client checks the server it talks to.
func hostKeyOf(t *testing.T, d *testenv.Daemon) ssh.PublicKey {
	t.Helper()
	s, err := sshd.LoadOrCreateHostKey(filepath.Join(d.DataDir, sshd.HostKeyName), false)
	if err != nil {
		t.Fatal(err)
	}
	return s.PublicKey()
}

// sshConfig is a client configuration for user with auth, checking d's
// host key; banner lines land in banners.
func sshConfig(t *testing.T, d *testenv.Daemon, user string, banners *strings.Builder, auth ...ssh.AuthMethod) *ssh.ClientConfig {
	t.Helper()
	cfg := &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: ssh.FixedHostKey(hostKeyOf(t, d)), Timeout: 10 * time.Second}
	if banners != nil {
		cfg.BannerCallback = func(m string) error { banners.WriteString(m); return nil }
	}
	return cfg
}

func dialSSH(t *testing.T, addr string, cfg *ssh.ClientConfig) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("ssh %s: %v", cfg.User, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// terminal is an SSH session running orgtui on a PTY, whose output is
// kept to be read as text.
type terminal struct {
	t    *testing.T
	sess *ssh.Session
	in   io.WriteCloser
	mu   sync.Mutex
	out  bytes.Buffer
	errs bytes.Buffer
	done chan error
}

// openTerminal opens a session with a PTY of 100×30 and starts orgtui.
func openTerminal(t *testing.T, c *ssh.Client) *terminal {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{t: t, sess: sess, done: make(chan error, 1)}
	sess.Stdout = lockedWriter{&tm.mu, &tm.out}
	sess.Stderr = lockedWriter{&tm.mu, &tm.errs}
	if tm.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 30, 100, ssh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.done <- sess.Wait() }()
	t.Cleanup(func() { sess.Close() })
	return tm
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// escapes matches terminal control sequences.
var escapes = regexp.MustCompile(`\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[()][0-9A-Za-z]|[=>78cDEHM])`)

// text returns what the session printed, without control sequences.
func (tm *terminal) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return escapes.ReplaceAllString(tm.out.String(), "")
}

// stderr returns what the session wrote to its standard error.
func (tm *terminal) stderr() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.errs.String()
}

// waitFor waits until the session printed want.
func (tm *terminal) waitFor(want string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(tm.text(), want) {
		if time.Now().After(deadline) {
			tm.t.Fatalf("the session never showed %q; it showed:\n%s\nstderr: %s", want, tm.text(), tm.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ended waits for the session to end and returns its exit status and
// standard error.
func (tm *terminal) ended(within time.Duration) (int, string) {
	tm.t.Helper()
	select {
	case err := <-tm.done:
		var ee *ssh.ExitError
		switch {
		case err == nil:
			return 0, tm.stderr()
		case errors.As(err, &ee):
			return ee.ExitStatus(), tm.stderr()
		default:
			tm.t.Fatalf("the session ended without a status: %v; stderr %q", err, tm.stderr())
		}
	case <-time.After(within):
		tm.t.Fatalf("the session did not end within %s; it showed:\n%s", within, tm.text())
	}
	return 0, ""
}

// sessionStarts returns the emails of the accounts the audit trail says
// SSH sessions started as, oldest first.
func sessionStarts(t *testing.T, d *testenv.Daemon) []string {
	t.Helper()
	ctx := ctxT(t)
	cur, err := d.Store().Database().Collection("audit").Find(ctx, bson.D{{Key: "action", Value: sshd.ActionSessionStart}})
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		ActorEmail string `bson:"actor_email"`
	}
	if err := cur.All(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, e := range entries {
		emails = append(emails, e.ActorEmail)
	}
	return emails
}

// unsignable offers a key without its private key: the server says the
// key would do, and the client cannot sign with it.
type unsignable struct{ pub ssh.PublicKey }

func (u unsignable) PublicKey() ssh.PublicKey { return u.pub }

func (u unsignable) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return nil, errors.New("this client does not hold the private key")
}

// offerThenSign is a client configuration that offers offered (the server
// answers that it would do), cannot sign with it, then logs in with
// signed: the CVE-2024-45337 pattern.
func offerThenSign(t *testing.T, d *testenv.Daemon, offered ssh.PublicKey, signed ssh.Signer) *ssh.ClientConfig {
	cfg := sshConfig(t, d, "anyone", nil, ssh.PublicKeys(unsignable{offered}))
	var used bool
	cfg.AuthCallback = func(ctx *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
		if used || !slices.Contains(ctx.TriedMethods, "publickey") {
			return nil, nil
		}
		used = true
		return ssh.PublicKeys(signed), nil
	}
	return cfg
}

// TestSSHSessionIsTheAccountWhoseKeySigned is the CVE-2024-45337 pattern:
// a client offers a key registered to one account, which the server
// accepts for the asking, cannot sign with it, then logs in with another
// account's key. The session is the second account's, whichever way
// round.
func TestSSHSessionIsTheAccountWhoseKeySigned(t *testing.T) {
	d, addr := startSSH(t, nil)
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	opKey, opLine := signer(t)
	adminKey, adminLine := signer(t)
	register(t, c, op, opLine)
	register(t, c, admin, adminLine)

	for _, tc := range []struct {
		name    string
		offered ssh.Signer
		signed  ssh.Signer
		wantWho string
	}{
		{"the operator's key offered, the admin's signed", opKey, adminKey, adminEmail("Acme")},
		{"the admin's key offered, the operator's signed", adminKey, opKey, "ops@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(sessionStarts(t, d))
			cl := dialSSH(t, addr, offerThenSign(t, d, tc.offered.PublicKey(), tc.signed))
			tm := openTerminal(t, cl)
			tm.waitFor(tc.wantWho)
			starts := sessionStarts(t, d)
			if len(starts) != before+1 || starts[len(starts)-1] != tc.wantWho {
				t.Fatalf("sessions started as %v, want the last to be %s", starts, tc.wantWho)
			}
		})
	}
}

// run runs cmd in a session without a PTY and returns its exit status and
// standard error.
func run(t *testing.T, cl *ssh.Client, do func(*ssh.Session) error) (int, string) {
	t.Helper()
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	err = do(sess)
	if err == nil {
		err = sess.Wait()
	}
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitStatus(), stderr.String()
	default:
		t.Fatalf("session: %v", err)
	}
	return 0, ""
}

// TestSSHRefusesAllButOrgtui: commands, sessions without a terminal,
// subsystems and forwarding are each refused with a line saying why.
func TestSSHRefusesAllButOrgtui(t *testing.T) {
	d, addr := startSSH(t, nil)
	c := d.Client(t)
	op := d.Operator(t)
	key, line := signer(t)
	register(t, c, op, line)
	cl := dialSSH(t, addr, sshConfig(t, d, "ops@example.com", nil, ssh.PublicKeys(key)))

	for _, tc := range []struct {
		name string
		do   func(*ssh.Session) error
		want string
	}{
		{"a command (ssh host ls)", func(s *ssh.Session) error { return s.Start("ls -l") }, `orgd runs no commands (asked for "ls -l")`},
		{"a session without a terminal (ssh -T)", func(s *ssh.Session) error { return s.Shell() }, "orgtui needs a terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := run(t, cl, tc.do)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 1 and one line with %q", code, stderr, tc.want)
			}
		})
	}
	t.Run("sftp", func(t *testing.T) {
		sess, err := cl.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		stderr, err := sess.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.RequestSubsystem("sftp"); err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(stderr)
		if !strings.Contains(string(got), "no sftp here") {
			t.Errorf("sftp read %q", got)
		}
	})
	t.Run("a local port forwarding (ssh -L)", func(t *testing.T) {
		_, err := cl.Dial("tcp", "127.0.0.1:9")
		if err == nil || !strings.Contains(err.Error(), "orgd forwards no ports") {
			t.Errorf("forwarding = %v, want a refusal that says why", err)
		}
	})
	t.Run("a remote port forwarding (ssh -R)", func(t *testing.T) {
		ln, err := cl.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			ln.Close()
			t.Error("a remote forwarding was accepted")
		}
	})
	t.Run("agent and X11 forwarding", func(t *testing.T) {
		sess, err := cl.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if ok, err := sess.SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
			t.Errorf("agent forwarding: accepted %v, %v", ok, err)
		}
		x11 := struct {
			Single        bool
			Proto, Cookie string
			Screen        uint32
		}{false, "MIT-MAGIC-COOKIE-1", "00", 0}
		if ok, err := sess.SendRequest("x11-req", true, ssh.Marshal(&x11)); ok || err != nil {
			t.Errorf("X11 forwarding: accepted %v, %v", ok, err)
		}
	})
}

// TestSSHLimits: --ssh-max-sessions, --ssh-idle-timeout, the bound on
// connections that have not logged in, and the handshake deadline.
func TestSSHLimits(t *testing.T) {
	d, addr := startSSH(t, func(c *daemon.Config) {
		c.SSHMaxSessions = 1
		c.SSHIdleTimeout = 2 * time.Second
		c.SSHHandshakeTimeout = time.Second
	})
	c := d.Client(t)
	op := d.Operator(t)
	key, line := signer(t)
	register(t, c, op, line)
	cfg := sshConfig(t, d, "ops@example.com", nil, ssh.PublicKeys(key))

	t.Run("a session over --ssh-max-sessions is refused, and one idle too long ends", func(t *testing.T) {
		first := openTerminal(t, dialSSH(t, addr, cfg))
		first.waitFor("ops@example.com")
		second := openTerminal(t, dialSSH(t, addr, cfg))
		code, stderr := second.ended(10 * time.Second)
		if code != 1 || !strings.Contains(stderr, "all 1 SSH sessions are in use") {
			t.Errorf("the second session: exit %d, %q", code, stderr)
		}
		code, stderr = first.ended(10 * time.Second)
		if code != 1 || !strings.Contains(stderr, "nothing typed for 2s") {
			t.Errorf("the idle session: exit %d, %q", code, stderr)
		}
	})
	t.Run("typing keeps a session open", func(t *testing.T) {
		tm := openTerminal(t, dialSSH(t, addr, cfg))
		tm.waitFor("ops@example.com")
		for range 6 {
			time.Sleep(500 * time.Millisecond)
			if _, err := tm.in.Write([]byte("j")); err != nil {
				t.Fatalf("typing: %v", err)
			}
		}
		select {
		case err := <-tm.done:
			t.Fatalf("a session in use ended: %v, %q", err, tm.stderr())
		default:
		}
	})
	t.Run("an address has at most 10 connections logging in", func(t *testing.T) {
		var open []net.Conn
		defer func() {
			for _, nc := range open {
				nc.Close()
			}
		}()
		for range 10 {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, nc)
		}
		time.Sleep(100 * time.Millisecond)
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.ReadAll(nc)
		if !strings.Contains(string(got), "too many connections from 127.0.0.1 are logging in") {
			t.Errorf("the 11th connection read %q", got)
		}
		if strings.HasPrefix(string(got), "SSH-2.0") {
			t.Errorf("the 11th connection was served: %q", got)
		}
	})
	t.Run("a client stalled in the handshake is dropped", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		start := time.Now()
		_, err = io.Copy(io.Discard, nc)
		if err != nil || time.Since(start) > 5*time.Second {
			t.Errorf("the connection stayed open %s: %v", time.Since(start), err)
		}
	})
}

// TestSSHPassword: the SSH user name is the email; a wrong password is
// refused without saying whether the email exists, and the login
// throttle applies, with a banner saying so. An unknown key falls
// through to the password.
func TestSSHPassword(t *testing.T) {
	d, addr := startSSH(t, nil)
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	stranger, _ := signer(t)

	tm := openTerminal(t, dialSSH(t, addr, sshConfig(t, d, adminEmail("Acme"), nil, ssh.PublicKeys(stranger), ssh.Password(adminPassword))))
	tm.waitFor(adminEmail("Acme"))
	if s := sessionStarts(t, d); len(s) != 1 || s[0] != adminEmail("Acme") {
		t.Errorf("sessions started as %v", s)
	}

	for _, user := range []string{adminEmail("Acme"), "nobody@example.com"} {
		var banners strings.Builder
		_, err := ssh.Dial("tcp", addr, sshConfig(t, d, user, &banners, ssh.Password("wrong-password")))
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") || banners.Len() != 0 {
			t.Errorf("%s with a wrong password: %v, banner %q", user, err, banners.String())
		}
	}
	var banners strings.Builder
	wrong := ssh.RetryableAuthMethod(ssh.Password("wrong-password"), 6)
	if _, err := ssh.Dial("tcp", addr, sshConfig(t, d, adminEmail("Acme"), &banners, wrong)); err == nil {
		t.Fatal("a wrong password logged in")
	}
	if !strings.Contains(banners.String(), "too many failed logins; try again in") {
		t.Errorf("no throttle banner after repeated failures: %q", banners.String())
	}
	if _, err := ssh.Dial("tcp", addr, sshConfig(t, d, adminEmail("Acme"), nil, ssh.Password(adminPassword))); err == nil {
		t.Error("a throttled email logged in with the right password")
	}
}

// TestSSHSessionsEndWhenTheirLoginIsRevoked: removing the session's key,
// changing the account's password, and shutting orgd down each end a
// live session with a line that says why.
func TestSSHSessionsEndWhenTheirLoginIsRevoked(t *testing.T) {
	d, addr := startSSH(t, nil)
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	key, line := signer(t)
	register(t, c, admin, line)
	cfg := sshConfig(t, d, "x", nil, ssh.PublicKeys(key), ssh.Password(adminPassword))

	t.Run("removing the key", func(t *testing.T) {
		tm := openTerminal(t, dialSSH(t, addr, cfg))
		tm.waitFor(adminEmail("Acme"))
		if err := c.RemoveKey(ctx, rpc.KeyRemoveParams{Token: admin, Fingerprint: ssh.FingerprintSHA256(key.PublicKey())}); err != nil {
			t.Fatal(err)
		}
		code, stderr := tm.ended(2 * time.Second)
		if code != 1 || !strings.Contains(stderr, "SSH key this session logged in with was removed") {
			t.Errorf("exit %d, %q", code, stderr)
		}
	})
	t.Run("changing the password", func(t *testing.T) {
		cfg.User = adminEmail("Acme")
		tm := openTerminal(t, dialSSH(t, addr, cfg))
		tm.waitFor(adminEmail("Acme"))
		if err := c.ChangePassword(ctx, admin, adminPassword, "admin-password-2"); err != nil {
			t.Fatal(err)
		}
		code, stderr := tm.ended(2 * time.Second)
		if code != 1 || !strings.Contains(stderr, "your login was revoked") {
			t.Errorf("exit %d, %q", code, stderr)
		}
	})
	t.Run("suspending the organization", func(t *testing.T) {
		cfg.Auth = []ssh.AuthMethod{ssh.Password("admin-password-2")}
		tm := openTerminal(t, dialSSH(t, addr, cfg))
		tm.waitFor(adminEmail("Acme"))
		if _, err := c.SuspendOrg(ctx, op, "Acme", "unpaid"); err != nil {
			t.Fatal(err)
		}
		code, stderr := tm.ended(2 * time.Second)
		if code != 1 || !strings.Contains(stderr, "suspended") {
			t.Errorf("exit %d, %q", code, stderr)
		}
		if _, err := c.ResumeOrg(ctx, op, "Acme"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("orgd shutting down", func(t *testing.T) {
		tm := openTerminal(t, dialSSH(t, addr, cfg))
		tm.waitFor(adminEmail("Acme"))
		d.Stop(t)
		code, stderr := tm.ended(2 * time.Second)
		if code != 1 || !strings.Contains(stderr, "orgd is shutting down") {
			t.Errorf("exit %d, %q", code, stderr)
		}
	})
}

// TestSSHSessionEndsWhenItsKeyIsRemovedOnAnotherDaemon: on two daemons
// sharing one store, removing a key on one ends the session it logged in
// on the other, within the refresh interval.
func TestSSHSessionEndsWhenItsKeyIsRemovedOnAnotherDaemon(t *testing.T) {
	a := testenv.Start(t, testenv.Options{})
	if a.Config.MongoURI == "" {
		t.Fatal("several daemons need a store outside the daemon")
	}
	b := testenv.Start(t, testenv.Options{DB: a.DB, Configure: func(c *daemon.Config) {
		c.MongoURI = a.Config.MongoURI
		c.JWTKeyFile = filepath.Join(a.DataDir, "jwt.key")
		c.SSHListen = []string{"tcp://127.0.0.1:0"}
		c.RefreshInterval = 200 * time.Millisecond
	}})
	ca, cb := a.Client(t), b.Client(t)
	ctx := ctxT(t)
	op := a.Operator(t)
	key, line := signer(t)
	k, err := ca.AddKey(ctx, rpc.KeyAddParams{Token: op, PublicKey: line})
	if err != nil {
		t.Fatal(err)
	}
	propagates(t, "b to know a's key", func() bool {
		l, err := cb.ListKeys(ctx, rpc.KeyListParams{Token: op})
		return err == nil && len(l.Items) == 1
	})
	tm := openTerminal(t, dialSSH(t, strings.TrimPrefix(b.SSHAddrs()[0], "tcp://"), sshConfig(t, b, "x", nil, ssh.PublicKeys(key))))
	tm.waitFor("ops@example.com")
	start := time.Now()
	if err := ca.RemoveKey(ctx, rpc.KeyRemoveParams{Token: op, Fingerprint: k.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	code, stderr := tm.ended(5 * time.Second)
	if code != 1 || !strings.Contains(stderr, "was removed") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the session ended %s after the removal; the refresh interval is 200ms", took)
	}
}
