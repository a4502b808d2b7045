package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testKey is a fixed key, so that fuzz inputs stay meaningful between runs.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func newTestSigner(t testing.TB) *Signer {
	t.Helper()
	return NewSigner(testKey, time.Hour)
}

func adminClaims() Claims {
	return NewClaims("admin-1", "boss@acme.example", "admin", "org-1", 3)
}

// wantInvalidToken fails unless Verify refuses token with ErrInvalidToken.
func wantInvalidToken(t *testing.T, s *Signer, token string) {
	t.Helper()
	c, err := s.Verify(token)
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", c, err)
	}
	if c != nil {
		t.Fatalf("Verify refused the token but returned claims %+v", c)
	}
}

// sign signs claims with method and key, as an attacker or another
// program might.
func sign(t *testing.T, method jwt.SigningMethod, claims jwt.Claims, key any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign with %s: %v", method.Alg(), err)
	}
	return tok
}

func TestIssueAndVerify(t *testing.T) {
	s := newTestSigner(t)
	before := time.Now().Truncate(time.Second)
	tok, exp, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil {
		t.Fatalf("Verify of a fresh token: %v", err)
	}

	t.Run("the claims come back as issued", func(t *testing.T) {
		if c.Subject != "admin-1" || c.Email != "boss@acme.example" || c.Role != "admin" || c.Org != "org-1" || c.CredVersion != 3 {
			t.Fatalf("claims = %+v", c)
		}
	})
	t.Run("iss, iat, exp and jti are filled in", func(t *testing.T) {
		if c.Issuer != Issuer || c.ID == "" || c.IssuedAt == nil || c.ExpiresAt == nil {
			t.Fatalf("claims = %+v", c.RegisteredClaims)
		}
		if !c.ExpiresAt.Equal(exp) || exp.Sub(c.IssuedAt.Time) != time.Hour {
			t.Fatalf("iat %s exp %s, Issue said %s; want an hour apart", c.IssuedAt, c.ExpiresAt, exp)
		}
		if c.IssuedAt.Before(before) || c.IssuedAt.After(time.Now()) {
			t.Fatalf("iat %s is not now", c.IssuedAt)
		}
	})
	t.Run("two tokens have different ids", func(t *testing.T) {
		tok2, _, err := s.Issue(adminClaims())
		if err != nil {
			t.Fatal(err)
		}
		c2, err := s.Verify(tok2)
		if err != nil {
			t.Fatal(err)
		}
		if c2.ID == c.ID {
			t.Fatalf("both tokens have jti %s", c.ID)
		}
	})
	t.Run("another signer with the same key accepts the token", func(t *testing.T) {
		if _, err := NewSigner(testKey, time.Minute).Verify(tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the header says EdDSA", func(t *testing.T) {
		head, _, _ := strings.Cut(tok, ".")
		raw, err := base64.RawURLEncoding.DecodeString(head)
		if err != nil {
			t.Fatal(err)
		}
		var h struct{ Alg string }
		if err := json.Unmarshal(raw, &h); err != nil || h.Alg != "EdDSA" {
			t.Fatalf("header %s", raw)
		}
	})
}

func TestVerifyRefuses(t *testing.T) {
	s := newTestSigner(t)
	good, _, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	valid := func(change func(*Claims)) Claims {
		c := adminClaims()
		c.Issuer = Issuer
		c.IssuedAt = jwt.NewNumericDate(now)
		c.ExpiresAt = jwt.NewNumericDate(now.Add(time.Hour))
		c.ID = "jti"
		if change != nil {
			change(&c)
		}
		return c
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	parts := strings.Split(good, ".")

	tests := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"an empty token", func(*testing.T) string { return "" }},
		{"a token that is not a JWT", func(*testing.T) string { return "not a token" }},
		{"a token of two parts", func(*testing.T) string { return parts[0] + "." + parts[1] }},
		{"a token with a fourth part", func(*testing.T) string { return good + ".x" }},
		{"alg none", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, valid(nil), jwt.UnsafeAllowNoneSignatureType)
		}},
		{"alg none with the signature of a real token", func(t *testing.T) string {
			none := sign(t, jwt.SigningMethodNone, valid(nil), jwt.UnsafeAllowNoneSignatureType)
			return strings.TrimSuffix(none, ".") + "." + parts[2]
		}},
		{"HS256 with the public key as the secret", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, valid(nil), []byte(testKey.Public().(ed25519.PublicKey)))
		}},
		{"HS256 with the PEM public key as the secret", func(t *testing.T) string {
			der, err := x509.MarshalPKIXPublicKey(testKey.Public())
			if err != nil {
				t.Fatal(err)
			}
			return sign(t, jwt.SigningMethodHS256, valid(nil), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		}},
		{"an edited payload", func(t *testing.T) string {
			raw, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			edited := bytes.Replace(raw, []byte(`"role":"admin"`), []byte(`"role":"operator"`), 1)
			if bytes.Equal(edited, raw) {
				t.Fatalf("payload %s has no role to edit", raw)
			}
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(edited) + "." + parts[2]
		}},
		{"a token signed with another key", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(nil), otherKey)
		}},
		{"an expired token", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) {
				c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
				c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
			}), testKey)
		}},
		{"a token expired beyond the leeway", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-10 * time.Second)) }), testKey)
		}},
		{"a token without exp", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.ExpiresAt = nil }), testKey)
		}},
		{"a token issued in the future", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute)) }), testKey)
		}},
		{"a token not valid before a time to come", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute)) }), testKey)
		}},
		{"a token of another issuer", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.Issuer = "someone-else" }), testKey)
		}},
		{"a token without an issuer", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.Issuer = "" }), testKey)
		}},
		{"a token without a subject", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.Subject = "" }), testKey)
		}},
		{"a token without a role", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.Role = "" }), testKey)
		}},
		{"a second spelling of a real token's signature", func(*testing.T) string { return respell(good) }},
		{"a token over MaxTokenBytes", func(t *testing.T) string {
			c := adminClaims()
			c.Email = strings.Repeat("a", MaxTokenBytes) + "@example.com"
			tok, _, err := s.Issue(c)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			wantInvalidToken(t, s, tt.token(t))
		})
	}

	t.Run("accepts a token expired within the five seconds of leeway", func(t *testing.T) {
		tok := sign(t, jwt.SigningMethodEdDSA, valid(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-2 * time.Second)) }), testKey)
		if _, err := s.Verify(tok); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIssueUsesTheClock(t *testing.T) {
	s := newTestSigner(t)
	s.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	tok, exp, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(exp) > -59*time.Minute {
		t.Fatalf("a token issued two hours ago expires at %s", exp)
	}
	wantInvalidToken(t, newTestSigner(t), tok)
}

// writeKey writes a PEM PRIVATE KEY block of der to path with mode.
func writeKey(t *testing.T, path string, der []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Run("a new key is created with mode 0600 in a new directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sub", "jwt.key")
		key, err := LoadOrCreateKey(path, true)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %04o, want 0600", fi.Mode().Perm())
		}
		if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm()&0o077 != 0 {
			t.Fatalf("key directory mode %04o, want no access for others", di.Mode().Perm())
		}
		again, err := LoadOrCreateKey(path, true)
		if err != nil {
			t.Fatal(err)
		}
		if !key.Equal(again) {
			t.Fatal("the key read back differs from the one created")
		}
		if read, err := LoadOrCreateKey(path, false); err != nil || !key.Equal(read) {
			t.Fatalf("read without create: %v", err)
		}
	})
	t.Run("a missing key is an error without create", func(t *testing.T) {
		_, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "jwt.key"), false)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want a not-exist error", err)
		}
	})
	t.Run("a world-readable key file is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "jwt.key")
		der, _ := x509.MarshalPKCS8PrivateKey(testKey)
		writeKey(t, path, der, 0o644)
		if _, err := LoadOrCreateKey(path, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("got %v, want a refusal that says to chmod 600", err)
		}
		if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte("PRIVATE KEY")) {
			t.Fatal("the refused key file was overwritten")
		}
	})
	t.Run("a key file that is not PEM is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "jwt.key")
		if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateKey(path, true); err == nil {
			t.Fatal("accepted a file that is not PEM")
		}
	})
	t.Run("a key of another type is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "jwt.key")
		ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(ec)
		writeKey(t, path, der, 0o600)
		if _, err := LoadOrCreateKey(path, true); err == nil || !strings.Contains(err.Error(), "Ed25519") {
			t.Fatalf("got %v, want a refusal naming Ed25519", err)
		}
	})
	t.Run("a key file written elsewhere is read", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "jwt.key")
		der, _ := x509.MarshalPKCS8PrivateKey(testKey)
		writeKey(t, path, der, 0o600)
		key, err := LoadOrCreateKey(path, true)
		if err != nil || !key.Equal(testKey) {
			t.Fatalf("LoadOrCreateKey = %v", err)
		}
	})
}

func TestLoadOrCreateKeyConcurrently(t *testing.T) {
	const creators = 8
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "jwt.key")
		keys := make([]ed25519.PrivateKey, creators)
		errs := make([]error, creators)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range creators {
			wg.Go(func() {
				<-start
				keys[i], errs[i] = LoadOrCreateKey(path, true)
			})
		}
		close(start)
		wg.Wait()
		for i := range creators {
			if errs[i] != nil {
				t.Fatalf("round %d: creator %d: %v", round, i, errs[i])
			}
			if !keys[i].Equal(keys[0]) {
				t.Fatalf("round %d: creators 0 and %d hold different keys", round, i)
			}
		}
		if onDisk, err := LoadOrCreateKey(path, false); err != nil || !onDisk.Equal(keys[0]) {
			t.Fatalf("round %d: the key on disk is not the one the creators hold (%v)", round, err)
		}
	}
}

// FuzzVerify checks that Verify accepts only tokens that Issue made. Only
// Issue signs with testKey, so a token was made by Issue when its signature
// verifies over its own first two parts, and each part is the one encoding
// of its bytes (so that no second spelling of a token passes as well).
func FuzzVerify(f *testing.F) {
	s := newTestSigner(f)
	for _, c := range []Claims{adminClaims(), NewClaims("op-1", "ops@example.com", "operator", "", 1)} {
		tok, _, err := s.Issue(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".e30." + parts[2])
		f.Add(tok + "=")
		f.Add(respell(tok))
		// Base64 decoding skips line breaks: a second spelling.
		f.Add(parts[0] + "." + parts[1] + "." + parts[2][:10] + "\r\n" + parts[2][10:])
		f.Add(parts[0] + "\n." + parts[1] + "." + parts[2])
	}
	now := time.Now()
	forged := jwt.RegisteredClaims{Issuer: Issuer, Subject: "x", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
	for _, tok := range []string{
		mustSign(f, jwt.SigningMethodNone, forged, jwt.UnsafeAllowNoneSignatureType),
		mustSign(f, jwt.SigningMethodHS256, forged, []byte(testKey.Public().(ed25519.PublicKey))),
		"", ".", "..", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.",
	} {
		f.Add(tok)
	}
	pub := testKey.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify failed with %v, not ErrInvalidToken", err)
			}
			if c != nil {
				t.Fatalf("Verify failed but returned claims %+v", c)
			}
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("Verify accepted %q of %d parts", token, len(parts))
		}
		for _, p := range parts {
			raw, err := base64.RawURLEncoding.DecodeString(p)
			if err != nil || base64.RawURLEncoding.EncodeToString(raw) != p {
				t.Fatalf("Verify accepted %q, whose part %q is not the one encoding of its bytes", token, p)
			}
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
			t.Fatalf("Verify accepted %q, which testKey did not sign", token)
		}
	})
}

// respell returns token with its last character changed in bits that the
// base64 encoding of a 64-byte signature does not use: a different string
// that decodes to the same signature.
func respell(token string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	return token[:len(token)-1] + string(alphabet[last^1])
}

func mustSign(f *testing.F, method jwt.SigningMethod, claims jwt.Claims, key any) string {
	f.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		f.Fatal(err)
	}
	return tok
}
