package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/auth"
)

func authorizedLine(t testing.TB, pub any, comment string) string {
	t.Helper()
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	if comment != "" {
		line += " " + comment
	}
	return line
}

// dsaLine is a real 1024-bit DSA key (SSH's only size), made once with
// crypto/dsa.
const dsaLine = "ssh-dss AAAAB3NzaC1kc3MAAACBANC4FppdqnpwTQjpSqCf288BBeiwN0J0pAz+c1tab1uPRFy8452+OAK515c9DWF9aJFsvFPUvxJIFIOoa6e6p5kerrwamzYb5wMKfXYE3/mWq6nhd43C2UmOz64TAB6rd93LjTP83R9FU4Sq4gWyiEGI7L+Dsg+ynmrzvZp6s68DAAAAFQCJ/MMOpEoMwv8kI+xSABhVD/CaiQAAAIEAp/Yigmjuj/GmNt2XFoiCaeVyLjWIpaqA43AN2f+8uxj8OsC/QtqgUiIizr3FyPEZTCDdLBL/dHywU+zfLNEq7rsSFB22MkFiNtPXYCAxrygk2xW7Gof9Xwdr62h5jciu81xLBVOQd0ZXX2VGiHPLBnzKdFTqsY8Zh/o0FfY/s5YAAACABuRcxS1Alr5ZJJNISHKQwxa/jinTbavfd4MYFDp1Dhp2hCEE/y+Y0yuxu9ysTm4VY93eYZplmfhGQPmGUPRqikmtfsZjIMwW190bprfGW3p3yaDxApn/snAAE1sIIj8VBylxK1jFb6BcucZVVjN+bcqzi+v4FhKrToAV+OtwmPE=" + " old@box"

func TestParsePublicKey(t *testing.T) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed := authorizedLine(t, edPub, "ana@laptop")
	t.Run("an ed25519 line gives its type, fingerprint and comment", func(t *testing.T) {
		k, err := auth.ParsePublicKey("  " + ed + "\n")
		want, _ := ssh.NewPublicKey(edPub)
		if err != nil || k.Type != "ssh-ed25519" || k.Comment != "ana@laptop" || k.Fingerprint != ssh.FingerprintSHA256(want) {
			t.Fatalf("ParsePublicKey = %+v, %v", k, err)
		}
		back, err := auth.ParseWireKey(k.Wire)
		if err != nil || ssh.FingerprintSHA256(back) != k.Fingerprint {
			t.Fatalf("the wire form reads back as %v, %v", back, err)
		}
	})
	t.Run("an ecdsa line is taken", func(t *testing.T) {
		if k, err := auth.ParsePublicKey(authorizedLine(t, &ec.PublicKey, "")); err != nil || k.Type != "ecdsa-sha2-nistp256" {
			t.Fatalf("ParsePublicKey = %+v, %v", k, err)
		}
	})
	refused := []struct{ name, line, says string }{
		{"an empty line", "", "empty"},
		{"text", "hello world", "authorized_keys"},
		{"a broken base64 key", "ssh-ed25519 AAAA!!!", "authorized_keys"},
		{"two lines", ed + "\n" + ed, "one line"},
		{"options before the type", `no-pty,command="ls" ` + ed, "options"},
		{"a DSA key", dsaLine, "DSA keys are too weak"},
	}
	for _, tt := range refused {
		t.Run(tt.name+" is refused, saying why", func(t *testing.T) {
			_, err := auth.ParsePublicKey(tt.line)
			if !errors.Is(err, auth.ErrKey) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("ParsePublicKey(%q) = %v, want ErrKey saying %q", tt.line, err, tt.says)
			}
		})
	}
}

// FuzzParsePublicKey: whatever a line holds, ParsePublicKey refuses it
// with ErrKey, or gives a key whose wire form reads back to the same
// fingerprint and type.
func FuzzParsePublicKey(f *testing.F) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, s := range []string{authorizedLine(f, edPub, "x"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "ssh-rsa AAAA", "", "a b c", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		k, err := auth.ParsePublicKey(line)
		if err != nil {
			if !errors.Is(err, auth.ErrKey) {
				t.Fatalf("ParsePublicKey(%q) = %v, not ErrKey", line, err)
			}
			return
		}
		back, err := auth.ParseWireKey(k.Wire)
		if err != nil || ssh.FingerprintSHA256(back) != k.Fingerprint || back.Type() != k.Type {
			t.Fatalf("ParsePublicKey(%q) = %+v, whose wire form reads back as %v, %v", line, k, back, err)
		}
	})
}
