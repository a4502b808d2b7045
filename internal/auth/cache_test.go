package auth

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestVerifyChecksEachTokensSignatureOnce(t *testing.T) {
	s := newTestSigner(t)
	tok, _, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c, err := s.Verify(tok)
		if err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
		if c.Subject != adminClaims().Subject || c.CredVersion != adminClaims().CredVersion {
			t.Fatalf("use %d: claims %+v", i+1, c)
		}
		c.Role = "operator" // the caller's copy, not the remembered claims
	}
	if n := s.signatureChecks.Load(); n != 1 {
		t.Fatalf("the signature was checked %d times in three uses, want once", n)
	}
	if c, _ := s.Verify(tok); c.Role != "admin" {
		t.Fatalf("a caller changed the remembered claims: role %q", c.Role)
	}
}

func TestRememberedTokensAreOnlyThoseVerified(t *testing.T) {
	s := newTestSigner(t)
	good, _, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(good); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{
		"another spelling of its signature": respell(good),
		"itself with a character more":      good + "A",
		"a prefix of it":                    good[:len(good)-1],
	} {
		if _, err := s.Verify(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("with %s remembered, Verify(%s) = %v, want ErrInvalidToken", "a verified token", name, err)
		}
		if s.Remembers(tok) {
			t.Errorf("%s is remembered", name)
		}
	}
	wantInvalidToken(t, s, "")
}

func TestARememberedTokenStillExpires(t *testing.T) {
	s := newTestSigner(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	tok, exp, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(tok); err != nil {
		t.Fatal(err)
	}
	now = exp.Add(leeway - time.Second)
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("within the leeway after its expiry: %v", err)
	}
	now = exp.Add(leeway)
	if _, err := s.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("after its expiry and the leeway: %v, want ErrInvalidToken", err)
	}
	if s.Remembers(tok) {
		t.Fatal("an expired token is still remembered")
	}
	if n := s.signatureChecks.Load(); n != 1 {
		t.Fatalf("%d signature checks, want 1", n)
	}
}

func TestForgetMakesVerifyCheckAgain(t *testing.T) {
	s := newTestSigner(t)
	tok, _, err := s.Issue(adminClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(tok); err != nil {
		t.Fatal(err)
	}
	s.Forget(tok)
	if s.Remembers(tok) {
		t.Fatal("Forget left the token remembered")
	}
	if _, err := s.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if n := s.signatureChecks.Load(); n != 2 {
		t.Fatalf("%d signature checks, want 2: one before Forget and one after", n)
	}
}

func TestRememberedTokensAreBounded(t *testing.T) {
	s := newTestSigner(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range maxVerified/2 + 100 {
				tok, _, err := s.Issue(NewClaims(fmt.Sprintf("a-%d-%d", w, i), "a@example.com", "admin", "org", 1))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Verify(tok); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.verified.len(); n > maxVerified || n == 0 {
		t.Fatalf("%d tokens remembered, want 1 to %d", n, maxVerified)
	}
}
