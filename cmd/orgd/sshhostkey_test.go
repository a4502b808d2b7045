package main

import (
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/sshd"
)

func TestSSHHostKeyCommand(t *testing.T) {
	dir := t.TempDir()
	t.Run("without a key yet it says who makes one", func(t *testing.T) {
		code, _, stderr := orgd(t, "", "ssh-host-key", "--data-dir", dir)
		if code != exitFailure || !strings.Contains(stderr, "orgd serve --ssh-listen creates it") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	key, err := sshd.LoadOrCreateHostKey(filepath.Join(dir, sshd.HostKeyName), true)
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key.PublicKey())))
	t.Run("it prints the fingerprint as ssh shows it, and the key", func(t *testing.T) {
		code, stdout, stderr := orgd(t, "", "ssh-host-key", "--data-dir", dir)
		want := sshd.Fingerprint(key) + " (ED25519)\n" + pub + "\n"
		if code != 0 || stdout != want {
			t.Fatalf("exit %d, stdout %q, want %q; stderr %q", code, stdout, want, stderr)
		}
	})
	t.Run("--known-hosts prints a line for known_hosts", func(t *testing.T) {
		code, stdout, _ := orgd(t, "", "ssh-host-key", "--data-dir", dir, "--known-hosts", "[orgd.example.com]:2222")
		if code != 0 || stdout != "[orgd.example.com]:2222 "+pub+"\n" {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
	})
	t.Run("--ssh-host-key-file names another key", func(t *testing.T) {
		code, _, stderr := orgd(t, "", "ssh-host-key", "--ssh-host-key-file", filepath.Join(dir, "missing"))
		if code != exitFailure || !strings.Contains(stderr, "missing") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestServeRefusesBadSSHSettings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--ssh-listen", "unix:///tmp/x.sock"}, "want tcp://host:port"},
		{[]string{"--ssh-listen", "tls://127.0.0.1:2222"}, "want tcp://host:port"},
		{[]string{"--ssh-listen", "tcp://127.0.0.1:2222", "--ssh-max-sessions", "0"}, "--ssh-max-sessions"},
		{[]string{"--ssh-listen", "tcp://127.0.0.1:2222", "--ssh-idle-timeout", "10ms"}, "--ssh-idle-timeout"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"serve", "--data-dir", t.TempDir()}, tc.args...)
			code, _, stderr := orgd(t, "", args...)
			if code != exitUsage || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, stderr, exitUsage, tc.says)
			}
		})
	}
}
