package daemon_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// newKey returns a new ed25519 key's authorized_keys line, with comment,
// and its fingerprint.
func newKey(t *testing.T, comment string) (line, fingerprint string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	if comment != "" {
		line += " " + comment
	}
	return line, ssh.FingerprintSHA256(k)
}

func TestSSHKeys(t *testing.T) {
	top := t
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	addMember(t, c, op, "Acme", "viewer@acme.example", rpc.RoleViewer)
	viewer := login(t, c, "viewer@acme.example", memberPassword)

	line, fp := newKey(t, "ana@laptop")
	k, err := c.AddKey(ctx, rpc.KeyAddParams{Token: viewer, PublicKey: line})
	if err != nil || k.Fingerprint != fp || k.Type != "ssh-ed25519" || k.Name != "ana@laptop" || k.Email != "viewer@acme.example" || k.LastUsedAt != nil {
		t.Fatalf("auth.keys.add = %+v, %v", k, err)
	}
	t.Run("the fingerprint is ssh-keygen's", func(t *testing.T) {
		if !strings.HasPrefix(k.Fingerprint, "SHA256:") || strings.HasSuffix(k.Fingerprint, "=") {
			t.Errorf("fingerprint %q", k.Fingerprint)
		}
	})
	t.Run("anyone lists their own keys", func(t *testing.T) {
		l, err := c.ListKeys(ctx, rpc.KeyListParams{Token: viewer})
		if err != nil || len(l.Items) != 1 || l.Items[0].Fingerprint != fp {
			t.Fatalf("auth.keys.list = %+v, %v", l, err)
		}
	})
	t.Run("a key is registered once, to one account", func(t *testing.T) {
		for _, tok := range []string{viewer, admin} {
			_, err := c.AddKey(ctx, rpc.KeyAddParams{Token: tok, PublicKey: line, Name: "again"})
			if e := wantCode(t, err, rpc.CodeConflict); e.Data == nil || e.Data.Field != "public_key" {
				t.Fatalf("a key registered twice: %+v", e)
			}
		}
	})
	t.Run("a line that is not a key orgd takes names public_key", func(t *testing.T) {
		weak, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		wk, _ := ssh.NewPublicKey(&weak.PublicKey)
		for _, bad := range []string{
			"not a key",
			"ssh-ed25519 AAAAnot-base64!",
			`command="ls" ` + line,
			line + "\n" + line,
			strings.TrimSpace(string(ssh.MarshalAuthorizedKey(wk))),
		} {
			_, err := c.AddKey(ctx, rpc.KeyAddParams{Token: viewer, PublicKey: bad})
			wantField(t, err, "public_key")
		}
		other, _ := newKey(t, "")
		_, err = c.AddKey(ctx, rpc.KeyAddParams{Token: viewer, PublicKey: other, Name: strings.Repeat("n", 65)})
		wantField(t, err, "name")
	})
	t.Run("only operators manage another account's keys", func(t *testing.T) {
		other, otherFP := newKey(t, "")
		_, err := c.AddKey(ctx, rpc.KeyAddParams{Token: admin, PublicKey: other, Email: "viewer@acme.example"})
		wantCode(t, err, rpc.CodeForbidden)
		_, err = c.ListKeys(ctx, rpc.KeyListParams{Token: admin, Email: "viewer@acme.example"})
		wantCode(t, err, rpc.CodeForbidden)
		wantCode(t, c.RemoveKey(ctx, rpc.KeyRemoveParams{Token: admin, Fingerprint: fp, Email: "viewer@acme.example"}), rpc.CodeForbidden)

		k, err := c.AddKey(ctx, rpc.KeyAddParams{Token: op, PublicKey: other, Name: "given", Email: "viewer@acme.example"})
		if err != nil || k.Email != "viewer@acme.example" || k.Name != "given" {
			t.Fatalf("an operator adds a key to a viewer: %+v, %v", k, err)
		}
		l, err := c.ListKeys(ctx, rpc.KeyListParams{Token: op, Email: "viewer@acme.example"})
		if err != nil || len(l.Items) != 2 || l.Items[0].Fingerprint != fp || l.Items[1].Fingerprint != otherFP {
			t.Fatalf("an operator lists a viewer's keys, oldest first: %+v, %v", l, err)
		}
		_, err = c.ListKeys(ctx, rpc.KeyListParams{Token: op, Email: "nobody@example.com"})
		wantCode(t, err, rpc.CodeNotFound)
		if err := c.RemoveKey(ctx, rpc.KeyRemoveParams{Token: op, Fingerprint: otherFP, Email: "viewer@acme.example"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a key of another account is not found among one's own", func(t *testing.T) {
		e := wantCode(t, c.RemoveKey(ctx, rpc.KeyRemoveParams{Token: admin, Fingerprint: fp}), rpc.CodeNotFound)
		if e.Data == nil || e.Data.Field != "fingerprint" {
			t.Fatalf("error data %+v", e.Data)
		}
	})
	t.Run("keys stay over a restart", func(t *testing.T) {
		d.Stop(t)
		d = testenv.Start(top, testenv.Options{DataDir: d.DataDir, Embedded: true})
		c = d.Client(t)
		l, err := c.ListKeys(ctx, rpc.KeyListParams{Token: op, Email: "viewer@acme.example"})
		if err != nil || len(l.Items) != 1 || l.Items[0].Fingerprint != fp {
			t.Fatalf("after a restart: %+v, %v", l, err)
		}
	})
	t.Run("a removed account's keys go with it", func(t *testing.T) {
		if err := c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: op, Org: "Acme", Email: "viewer@acme.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddKey(ctx, rpc.KeyAddParams{Token: admin, PublicKey: line}); err != nil {
			t.Fatalf("the removed viewer's key is still registered: %v", err)
		}
	})
	checkClean(t, d)
}
