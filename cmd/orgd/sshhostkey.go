package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/sshd"
)

func sshHostKeyCommand(e *env) *cobra.Command {
	cfg := daemon.DefaultConfig()
	var host string
	cmd := &cobra.Command{
		Use:   "ssh-host-key",
		Short: "Show the SSH host key's fingerprint, to compare or pin",
		Long: `Print the fingerprint of the host key orgd serve --ssh-listen uses, as ssh shows
it on the first connection ("ED25519 key fingerprint is SHA256:…"), and the public
key. With --known-hosts, print a line for ~/.ssh/known_hosts instead, so that
clients trust the key without asking. The key is read from --ssh-host-key-file,
or from ssh_host_ed25519_key in --data-dir, which orgd serve --ssh-listen creates
on its first start. Nothing is changed.`,
		Example: `  orgd ssh-host-key --data-dir /var/lib/orgd
  orgd ssh-host-key --known-hosts '[orgd.example.com]:2222' >> ~/.ssh/known_hosts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := fromEnv(cmd.Flags()); err != nil {
				return err
			}
			path := cfg.SSHHostKey()
			key, err := sshd.LoadOrCreateHostKey(path, false)
			if errors.Is(err, fs.ErrNotExist) {
				return &exitError{code: exitFailure, err: fmt.Errorf("no SSH host key at %s yet: orgd serve --ssh-listen creates it on its first start", path)}
			}
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			pub := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key.PublicKey())))
			if host != "" {
				fmt.Fprintf(e.stdout, "%s %s\n", host, pub)
				return nil
			}
			fmt.Fprintf(e.stdout, "%s (%s)\n%s\n", sshd.Fingerprint(key), keyType(key.PublicKey()), pub)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "orgd's data directory")
	fs.StringVar(&cfg.SSHHostKeyFile, "ssh-host-key-file", cfg.SSHHostKeyFile, "the host key, when orgd serve is given one")
	fs.StringVar(&host, "known-hosts", "", "print a known_hosts line for this host, e.g. '[orgd.example.com]:2222'")
	return cmd
}

// keyType names a key's type as ssh-keygen -l does: ED25519, RSA, ECDSA.
func keyType(k gossh.PublicKey) string {
	switch t := k.Type(); {
	case t == gossh.KeyAlgoED25519:
		return "ED25519"
	case t == gossh.KeyAlgoRSA:
		return "RSA"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	default:
		return strings.ToUpper(t)
	}
}
