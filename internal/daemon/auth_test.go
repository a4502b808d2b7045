package daemon_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func TestBootstrapCreatesTheFirstOperatorOnce(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	ctx := ctxT(t)

	_, err := c.Login(ctx, "ops@example.com", "operator-password")
	wantCode(t, err, rpc.CodeUnauthenticated)

	s, err := c.Bootstrap(ctx, "ops@example.com", "operator-password")
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if s.Role != rpc.RoleOperator || s.Org != nil || s.TokenType != "Bearer" || s.Token == "" {
		t.Errorf("bootstrap session = %+v", s)
	}
	if until := time.Until(s.ExpiresAt); until < 59*time.Minute || until > 61*time.Minute {
		t.Errorf("token expires in %s, want about 1h", until)
	}
	who, err := c.Whoami(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if who.Email != "ops@example.com" || who.Role != rpc.RoleOperator || who.Org != nil || who.ID == "" {
		t.Errorf("whoami = %+v", who)
	}

	_, err = c.Bootstrap(ctx, "second@example.com", "operator-password")
	wantCode(t, err, rpc.CodeForbidden)

	if _, err := c.Login(ctx, "OPS@Example.com", "operator-password"); err != nil {
		t.Errorf("login with the email in another case: %v", err)
	}
}

func TestLoginRefusesWrongCredentialsAlike(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	ctx := ctxT(t)
	d.Operator(t)

	_, errUnknown := c.Login(ctx, "nobody@example.com", "operator-password")
	_, errWrong := c.Login(ctx, "ops@example.com", "wrong-password")
	eu := wantCode(t, errUnknown, rpc.CodeUnauthenticated)
	ew := wantCode(t, errWrong, rpc.CodeUnauthenticated)
	if eu.Message != ew.Message {
		t.Errorf("unknown email says %q, wrong password says %q: they must not differ", eu.Message, ew.Message)
	}

	_, err := c.Login(ctx, "", "operator-password")
	wantField(t, err, "email")
	_, err = c.Login(ctx, "ops@example.com", strings.Repeat("x", 73))
	wantField(t, err, "password")
}

func TestLoginThrottlesPerEmailAndPerPeer(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	ctx := ctxT(t)
	d.Operator(t)

	for range 5 {
		_, err := c.Login(ctx, "ops@example.com", "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	}
	_, err := c.Login(ctx, "ops@example.com", "operator-password")
	e := wantCode(t, err, rpc.CodeTooManyAttempts)
	if e.Data == nil || e.Data.RetryAfterS <= 0 || e.Data.RetryAfterS > 15*60 {
		t.Errorf("retry_after_s = %+v, want 1–900", e.Data)
	}
	if !strings.Contains(e.Message, "retry in") {
		t.Errorf("message %q does not say when to retry", e.Message)
	}

	// The peer has failed 5 times; 15 more failures on other emails make
	// 20, after which even an untried email is refused from this peer.
	for i := range 15 {
		_, err := c.Login(ctx, "guess"+string(rune('a'+i))+"@example.com", "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	}
	_, err = c.Login(ctx, "fresh@example.com", "whatever-password")
	wantCode(t, err, rpc.CodeTooManyAttempts)
}

// forge re-signs or rewrites a token's parts.
func tokenParts(t *testing.T, token string) (header, payload map[string]any, sig string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1]), parts[2]
}

func enc(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestForgedTokensAreRefused(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	ctx := ctxT(t)
	opToken := d.Operator(t)
	create(t, c, opToken, "Acme")
	create(t, c, opToken, "Globex")
	admin := adminLogin(t, c, "Acme")

	header, payload, sig := tokenParts(t, admin)
	key, err := auth.LoadOrCreateKey(filepath.Join(d.DataDir, "jwt.key"), false)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)

	promoted := map[string]any{}
	for k, v := range payload {
		promoted[k] = v
	}
	promoted["role"] = "operator"

	noneHeader := map[string]any{"alg": "none", "typ": "JWT"}
	hsHeader := map[string]any{"alg": "HS256", "typ": "JWT"}
	hsInput := enc(t, hsHeader) + "." + enc(t, promoted)
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(hsInput))

	expired, _, err := auth.NewSigner(key, -time.Hour).Issue(auth.NewClaims(payload["sub"].(string), payload["email"].(string), "admin", payload["org"].(string), 1))
	if err != nil {
		t.Fatal(err)
	}
	otherKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	foreign, _, err := auth.NewSigner(otherKey, time.Hour).Issue(auth.NewClaims(payload["sub"].(string), payload["email"].(string), "operator", "", 1))
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]string{
		"an edited role keeps its old signature": enc(t, header) + "." + enc(t, promoted) + "." + sig,
		"alg none":                               enc(t, noneHeader) + "." + enc(t, promoted) + ".",
		"HS256 keyed with the public key":        hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		"an expired token":                       expired,
		"a token signed by another key":          foreign,
		"garbage":                                "not.a.token",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: tok})
			wantCode(t, err, rpc.CodeUnauthenticated)
		})
	}
	// The unedited token still works, and sees only its own organization.
	l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: admin})
	if err != nil || l.Total != 1 || l.Items[0].Name != "Acme" {
		t.Fatalf("genuine admin token: %+v, %v", l, err)
	}
}

func TestTokensAreRevokedByPasswordChangeAndDelete(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	old := adminLogin(t, c, "Acme")

	newPassword := "a-new-password"
	if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: old, Name: "Acme", AdminPassword: &newPassword}); err != nil {
		t.Fatalf("admin changes own password: %v", err)
	}
	_, err := c.GetOrg(ctx, old, "Acme")
	wantCode(t, err, rpc.CodeUnauthenticated)
	_, err = c.Login(ctx, adminEmail("Acme"), adminPassword)
	wantCode(t, err, rpc.CodeUnauthenticated)
	s, err := c.Login(ctx, adminEmail("Acme"), newPassword)
	if err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if s.Role != rpc.RoleAdmin || s.Org == nil || s.Org.Name != "Acme" {
		t.Errorf("admin session = %+v", s)
	}

	if err := c.DeleteOrg(ctx, op, "Acme"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Whoami(ctx, s.Token)
	wantCode(t, err, rpc.CodeUnauthenticated)
	_, err = c.Login(ctx, adminEmail("Acme"), newPassword)
	wantCode(t, err, rpc.CodeUnauthenticated)
}

func TestKeyFileIsPrivateAndSharedKeysWork(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	fi, err := os.Stat(filepath.Join(d.DataDir, "jwt.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}

	// A second daemon given the same key file accepts the first one's
	// tokens (it has its own store here, so the operator is unknown to it:
	// the token must get past the signature to be refused as revoked).
	second := testenv.Start(t, testenv.Options{Configure: func(cfg *daemon.Config) {
		cfg.JWTKeyFile = filepath.Join(d.DataDir, "jwt.key")
	}})
	_, err = second.Client(t).Whoami(ctxT(t), op)
	e := wantCode(t, err, rpc.CodeUnauthenticated)
	if !strings.Contains(e.Message, "revoked") {
		t.Errorf("second daemon says %q; want the signature accepted and the account unknown (revoked)", e.Message)
	}
	if _, err := c.Whoami(ctxT(t), op); err != nil {
		t.Error(err)
	}
}

// TestBcryptSlotsBoundTheLoginsCheckedAtOnce starts orgd with one bcrypt
// slot and with three, as orgd serve sets them from the cores
// (Config.BcryptSlots), and sends three logins at once, each a comparison
// far longer than the wait for a slot.
func TestBcryptSlotsBoundTheLoginsCheckedAtOnce(t *testing.T) {
	for _, slots := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d slots", slots), func(t *testing.T) {
			d := testenv.Start(t, testenv.Options{BcryptCost: auth.MinCost, Configure: func(cfg *daemon.Config) {
				cfg.BcryptSlots = slots
				cfg.StoreQueueTimeout = 20 * time.Millisecond
			}})
			d.Operator(t)
			const logins = 3
			clients := make([]*rpc.Client, logins)
			for i := range clients {
				clients[i] = d.Client(t)
				if _, err := clients[i].Health(ctxT(t)); err != nil {
					t.Fatal(err)
				}
			}
			start := make(chan struct{})
			errs := make([]error, logins)
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Go(func() {
					<-start
					_, errs[i] = c.Login(ctxT(t), "ops@example.com", "operator-password")
				})
			}
			close(start)
			wg.Wait()
			var busy int
			for _, err := range errs {
				switch rpc.ErrorCode(err) {
				case 0:
				case rpc.CodeBusy:
					busy++
				default:
					t.Errorf("login: %v", err)
				}
			}
			switch {
			case slots == 1 && (busy == 0 || busy == logins):
				t.Errorf("with one slot, %d of %d logins at once were refused busy, want some but not all", busy, logins)
			case slots == logins && busy > 0:
				t.Errorf("with %d slots, %d of %d logins at once were refused busy, want none", slots, busy, logins)
			}
		})
	}
}
