package sshd_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/orgd/orgd/internal/sshd"
)

func TestHostKey(t *testing.T) {
	t.Run("it is created once, mode 0600, and read back the same", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data", sshd.HostKeyName)
		first, err := sshd.LoadOrCreateHostKey(path, true)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("host key file: %v, %v", fi, err)
		}
		again, err := sshd.LoadOrCreateHostKey(path, true)
		if err != nil || !bytes.Equal(again.PublicKey().Marshal(), first.PublicKey().Marshal()) {
			t.Fatalf("the second start has another key: %v", err)
		}
		if first.PublicKey().Type() != "ssh-ed25519" || !strings.HasPrefix(sshd.Fingerprint(first), "SHA256:") {
			t.Errorf("key %s, fingerprint %s", first.PublicKey().Type(), sshd.Fingerprint(first))
		}
	})
	t.Run("daemons starting at once end up with one key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sshd.HostKeyName)
		var wg sync.WaitGroup
		fps := make([]string, 8)
		for i := range fps {
			wg.Go(func() {
				s, err := sshd.LoadOrCreateHostKey(path, true)
				if err != nil {
					t.Error(err)
					return
				}
				fps[i] = sshd.Fingerprint(s)
			})
		}
		wg.Wait()
		for _, fp := range fps {
			if fp != fps[0] {
				t.Fatalf("fingerprints differ: %v", fps)
			}
		}
	})
	t.Run("a key given but missing is an error, not a new key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "given")
		if _, err := sshd.LoadOrCreateHostKey(path, false); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want not exist", err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("a key was created")
		}
	})
	t.Run("a key others can read is refused, saying how to fix it", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sshd.HostKeyName)
		if _, err := sshd.LoadOrCreateHostKey(path, true); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := sshd.LoadOrCreateHostKey(path, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a key made by ssh-keygen is taken, with ssh-keygen's fingerprint", func(t *testing.T) {
		if _, err := exec.LookPath("ssh-keygen"); err != nil {
			t.Skip("no ssh-keygen")
		}
		path := filepath.Join(t.TempDir(), "key")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		s, err := sshd.LoadOrCreateHostKey(path, false)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ssh-keygen", "-lf", path).Output()
		if err != nil || !strings.Contains(string(out), sshd.Fingerprint(s)) {
			t.Errorf("ssh-keygen -lf says %q (%v); orgd says %s", out, err, sshd.Fingerprint(s))
		}
	})
}
