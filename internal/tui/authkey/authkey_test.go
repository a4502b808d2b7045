package authkey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/authkey"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
)

// ed25519Line is remotetest.KeyLine(1, "ada@laptop"); ssh-keygen -lf prints
// its fingerprint as ed25519Fingerprint.
const (
	ed25519Line        = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop ada@laptop"
	ed25519Fingerprint = "SHA256:mXhe4VT8IZgX1fUCWPH5SZ3xupG1AvwouipH1zOKCA0"
)

func TestParseReadsAKeyAsSSHKeygenDoes(t *testing.T) {
	t.Parallel()
	if got := remotetest.KeyLine(1, "ada@laptop"); got != ed25519Line {
		t.Fatalf("the test key changed: %q", got)
	}
	tests := []struct {
		name, line, typ, comment string
	}{
		{"an Ed25519 line with a comment", ed25519Line, "ssh-ed25519", "ada@laptop"},
		{"a line pasted with blanks and a newline around it", "  " + ed25519Line + " \n", "ssh-ed25519", "ada@laptop"},
		{"a line without a comment", strings.TrimSuffix(ed25519Line, " ada@laptop"), "ssh-ed25519", ""},
		{"a line with options before the key", `from="10.0.0.0/8" ` + ed25519Line, "ssh-ed25519", "ada@laptop"},
		{"an RSA key of 3072 bits", remotetest.RSAKeyLine(3072, "big"), "ssh-rsa", "big"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := authkey.Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if k.Type != tt.typ || k.Comment != tt.comment {
				t.Errorf("type %q comment %q, want %q %q", k.Type, k.Comment, tt.typ, tt.comment)
			}
			if tt.typ == "ssh-ed25519" && k.Fingerprint != ed25519Fingerprint {
				t.Errorf("fingerprint %s, want %s as ssh-keygen -lf prints it", k.Fingerprint, ed25519Fingerprint)
			}
			if !strings.HasPrefix(k.Fingerprint, "SHA256:") || len(k.Fingerprint) != len(ed25519Fingerprint) {
				t.Errorf("fingerprint %q is not SHA256:<43 characters>", k.Fingerprint)
			}
		})
	}
}

func TestParseRefusesWhatOrgdRefuses(t *testing.T) {
	t.Parallel()
	private := "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ -----END OPENSSH PRIVATE KEY-----"
	tests := []struct {
		name, line, reason, says string
	}{
		{"nothing pasted", "   ", authkey.ReasonFormat, "paste a public key"},
		{"a line that is not a key", "hello world", authkey.ReasonFormat, "not a public key line"},
		{"a key whose base64 is cut", ed25519Line[:40], authkey.ReasonFormat, "not a public key line"},
		{"two keys", ed25519Line + "\n" + remotetest.KeyLine(2, "other"), authkey.ReasonFormat, "more than one key"},
		{"a DSA key", remotetest.DSAKeyLine("old"), authkey.ReasonWeak, "DSA keys (ssh-dss) are weak"},
		{"an RSA key of 1024 bits", remotetest.RSAKeyLine(1024, "old"), authkey.ReasonWeak, "has 1024 bits; at least 2048"},
		{"a private key", private, authkey.ReasonPrivate, "this is a private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := authkey.Parse(tt.line)
			e, ok := errors.AsType[*authkey.Error](err)
			if !ok {
				t.Fatalf("Parse = %v, want an *authkey.Error", err)
			}
			if e.Reason != tt.reason || !strings.Contains(e.Message, tt.says) {
				t.Errorf("Parse = %q (%s), want reason %s saying %q", e.Message, e.Reason, tt.reason, tt.says)
			}
			if tt.reason == authkey.ReasonPrivate && strings.Contains(e.Message, "b3Blbn") {
				t.Error("the error repeats the private key")
			}
		})
	}
}

func TestIsPrivateSpotsAPartOfAPrivateKey(t *testing.T) {
	t.Parallel()
	if !authkey.IsPrivate("-----BEGIN RSA PRIVATE KEY-----") || authkey.IsPrivate(ed25519Line) {
		t.Error("IsPrivate does not tell a private key's header from a public key")
	}
}
