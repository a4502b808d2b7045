package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// HostKeyName is the host key's file in the data directory.
const HostKeyName = "ssh_host_ed25519_key"

// LoadOrCreateHostKey reads the SSH host key (an OpenSSH private key, as
// ssh-keygen writes it) at path, or, when create is set and the file does
// not exist, generates an Ed25519 one there with mode 0600. Two daemons
// starting at once on one file end up with the same key.
func LoadOrCreateHostKey(path string, create bool) (gossh.Signer, error) {
	signer, err := readHostKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !create {
		return signer, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate the SSH host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "orgd host key")
	if err != nil {
		return nil, fmt.Errorf("encode the SSH host key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("SSH host key directory: %w", err)
	}
	// Written whole to a file of its own, then linked into place, which
	// fails if path exists: nobody sees a key half written.
	f, err := os.CreateTemp(filepath.Dir(path), ".ssh-host-key-*")
	if err != nil {
		return nil, fmt.Errorf("create the SSH host key: %w", err)
	}
	defer os.Remove(f.Name())
	werr := pem.Encode(f, block)
	if err := errors.Join(werr, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("write the SSH host key %s: %w", path, err)
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create the SSH host key: %w", err)
	}
	return readHostKey(path)
}

func readHostKey(path string) (gossh.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("SSH host key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("SSH host key %s is readable by others (mode %04o); chmod 600 it", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("SSH host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("SSH host key %s: %w", path, err)
	}
	return signer, nil
}

// Fingerprint is the host key's SHA256 fingerprint, as ssh-keygen -lf
// and the SSH client's first connection show it.
func Fingerprint(signer gossh.Signer) string {
	return gossh.FingerprintSHA256(signer.PublicKey())
}
