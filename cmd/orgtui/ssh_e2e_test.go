package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// exited waits for the command of term to exit and returns its status.
func (term *terminal) exited(within time.Duration) string {
	term.t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, err := os.ReadFile(term.exitFile)
		if err == nil && len(status) > 0 {
			return strings.TrimSpace(string(status))
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the command did not exit within %s:\n%s", within, term.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForCount waits until want shows n times on the screen: ssh
// discards what was typed before its prompt, so each password waits for
// its own.
func (term *terminal) waitForCount(want string, n int) {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(term.screen(), want) < n {
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen does not show %q %d times:\n%s", want, n, term.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// needSSH skips the test where OpenSSH's client is missing.
func needSSH(t *testing.T) {
	t.Helper()
	needTmux(t)
	for _, tool := range []string{"ssh", "ssh-keygen", "ssh-agent", "sftp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: %s is not installed (make test installs openssh-client); the SSH end-to-end test did not run", tool)
		}
	}
}

// sshClient runs OpenSSH's ssh against orgd's SSH port, trusting its host
// key on first use into a known_hosts file of the test's own.
type sshClient struct {
	t          *testing.T
	port       string
	knownHosts string
	key        string // private key file
}

// args returns ssh's arguments before the destination: the port, the
// test's known_hosts, and the key (or, without one, password only).
func (c *sshClient) args(withKey bool, extra ...string) []string {
	a := []string{"-p", c.port,
		"-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + c.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-F", "/dev/null"}
	if withKey {
		a = append(a, "-i", c.key, "-o", "PreferredAuthentications=publickey", "-o", "BatchMode=yes")
	} else {
		a = append(a, "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=3")
	}
	return append(a, extra...)
}

// run runs ssh without a terminal and returns its exit status and
// standard error.
func (c *sshClient) run(withKey bool, args ...string) (int, string) {
	c.t.Helper()
	cmd := exec.Command("ssh", append(c.args(withKey), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdin = strings.NewReader("")
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	c.t.Fatalf("ssh %v: %v", args, err)
	return 0, ""
}

// sshPort returns the port of the SSH address that orgd's log names.
func sshPort(t *testing.T, p *testenv.Process) string {
	t.Helper()
	re := regexp.MustCompile(`serving orgtui over SSH.*listen=\[tcp://127\.0\.0\.1:(\d+)\]`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(p.Log()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("orgd's log names no SSH address:\n%s", p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSSHEndToEndInTmux runs OpenSSH's ssh, in tmux, against a real orgd
// serve --ssh-listen on loopback, the way an operator would: a key login
// lands on the organization list and a resize redraws it; a second
// account logs in with its password; a wrong password is refused and
// repeated failures are throttled; a command, -N -L, -T and sftp are each
// refused with their line; removing the key over JSON-RPC ends the live
// session, and logging out ends the password one.
func TestSSHEndToEndInTmux(t *testing.T) {
	needSSH(t)
	dir := testenv.ShortDir(t)
	p := testenv.StartProcess(t, "--ssh-listen", "tcp://127.0.0.1:0")
	port := sshPort(t, p)
	c := &rpc.Client{Addr: p.Addr}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	sess, err := c.Bootstrap(ctx, "ops@example.com", "operator-password")
	if err != nil {
		t.Fatal(err)
	}
	op := sess.Token
	if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Acme", AdminEmail: "admin@acme.example", AdminPassword: "acme-password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddMember(ctx, rpc.MemberAddParams{Token: op, Org: "Acme", Email: "viewer@acme.example", Password: "viewer-password", Role: rpc.RoleViewer}); err != nil {
		t.Fatal(err)
	}

	// The operator registers a key made by ssh-keygen.
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ops@laptop", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.AddKey(ctx, rpc.KeyAddParams{Token: op, PublicKey: string(pub)})
	if err != nil {
		t.Fatal(err)
	}
	ssh := &sshClient{t: t, port: port, knownHosts: filepath.Join(dir, "known_hosts"), key: key}

	// Key login lands on the organization list; the agent forwarding asked
	// for (-A, with an agent running) is refused, and the session goes on.
	agentSock := filepath.Join(dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", agentSock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(agentSock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent made no socket")
		}
	}
	ops := startCommand(t, filepath.Join(dir, "ops"), append([]string{"env", "SSH_AUTH_SOCK=" + agentSock, "ssh"}, ssh.args(true, "-A", "-t", "anyone@127.0.0.1")...)...)
	ops.waitFor("Acme", "ops@example.com (operator)")
	t.Run("the host key ssh trusted is the one orgd ssh-host-key shows", func(t *testing.T) {
		known, err := os.ReadFile(ssh.knownHosts)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(p.Binary(t), "ssh-host-key", "--data-dir", p.DataDir).Output()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 || !strings.Contains(string(known), lines[1]) {
			t.Errorf("known_hosts holds %q; orgd ssh-host-key shows %q", known, out)
		}
	})
	t.Run("a resize redraws", func(t *testing.T) {
		ops.tmux("resize-window", "-t", "orgtui", "-x", "120", "-y", "30")
		deadline := time.Now().Add(10 * time.Second)
		for {
			screen := ops.screen()
			lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
			widest := 0
			for _, l := range lines {
				widest = max(widest, len([]rune(l)))
			}
			if widest > 80 && len(lines) >= 29 && strings.Contains(screen, "ops@example.com (operator)") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after a resize to 120×30 the screen is still:\n%s", screen)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	// A second account logs in with its password; the email is the user.
	admin := startCommand(t, filepath.Join(dir, "admin"), append([]string{"ssh"}, ssh.args(false, "-t", "admin@acme.example@127.0.0.1")...)...)
	admin.waitFor("admin@acme.example@127.0.0.1's password:")
	admin.typeText("acme-password")
	admin.press("Enter")
	admin.waitFor("Acme", "admin@acme.example (admin of Acme)")

	t.Run("a wrong password is refused, and repeated failures are throttled", func(t *testing.T) {
		wrong := startCommand(t, filepath.Join(dir, "wrong"), append([]string{"ssh"}, ssh.args(false, "-t", "viewer@acme.example@127.0.0.1")...)...)
		for i := range 3 {
			wrong.waitForCount("password:", i+1)
			wrong.typeText("not-the-password")
			wrong.press("Enter")
		}
		wrong.waitFor("Permission denied")
		if status := wrong.exited(10 * time.Second); status != "255" {
			t.Errorf("ssh with a wrong password exited %s", status)
		}
		// Two more failures reach the limit of 5 per email; the next
		// attempt, even with the right password, is refused with a banner.
		again := startCommand(t, filepath.Join(dir, "again"), append([]string{"ssh"}, ssh.args(false, "-t", "viewer@acme.example@127.0.0.1")...)...)
		for i, pw := range []string{"not-the-password", "not-the-password", "viewer-password"} {
			again.waitForCount("password:", i+1)
			again.typeText(pw)
			again.press("Enter")
		}
		again.waitFor("too many failed logins; try again in")
		if strings.Contains(again.screen(), "viewer@acme.example (viewer of Acme)") {
			t.Errorf("a throttled email logged in:\n%s", again.screen())
		}
	})

	t.Run("what is not orgtui is refused, each with its line", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"ssh host ls", []string{"127.0.0.1", "ls"}, `orgd runs no commands (asked for "ls")`},
			{"ssh -T", []string{"-T", "127.0.0.1"}, "orgtui needs a terminal"},
		} {
			code, stderr := ssh.run(true, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s: exit %d, stderr %q; want 1 and %q", tc.name, code, stderr, tc.want)
			}
		}
		sftp := exec.Command("sftp", append([]string{"-P", port}, append(ssh.args(true)[2:], "127.0.0.1")...)...)
		out, err := sftp.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no sftp here") {
			t.Errorf("sftp: %v, %q", err, out)
		}

		// ssh -N -L: the forwarding is refused when something connects.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		local := ln.Addr().String()
		ln.Close()
		fwd := exec.Command("ssh", append(ssh.args(true, "-N", "-L", local+":127.0.0.1:9"), "127.0.0.1")...)
		var stderr lockedBuffer
		fwd.Stderr = &stderr
		if err := fwd.Start(); err != nil {
			t.Fatal(err)
		}
		defer fwd.Process.Kill()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), "orgd forwards no ports") {
			if nc, err := net.Dial("tcp", local); err == nil {
				nc.Close()
			}
			if time.Now().After(deadline) {
				t.Fatalf("ssh -N -L printed %q", stderr.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("removing the key through JSON-RPC ends the live session", func(t *testing.T) {
		if err := c.RemoveKey(ctx, rpc.KeyRemoveParams{Token: op, Fingerprint: k.Fingerprint}); err != nil {
			t.Fatal(err)
		}
		ops.waitFor("the SSH key this session logged in with was removed", "orgd: agent forwarding refused")
		if status := ops.exited(10 * time.Second); status != "1" {
			t.Errorf("ssh exited %s", status)
		}
	})

	t.Run("logging out ends the session", func(t *testing.T) {
		admin.press("L")
		admin.waitFor("Logged out.")
		if status := admin.exited(10 * time.Second); status != "0" {
			t.Errorf("ssh exited %s after logging out", status)
		}
	})
}

// lockedBuffer is a buffer a command writes to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
