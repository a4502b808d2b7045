package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss claim of every token orgd signs.
const Issuer = "orgd"

// MaxTokenBytes bounds the tokens Verify will parse.
const MaxTokenBytes = 4096

// ErrInvalidToken is returned for any token that does not verify: malformed,
// badly signed, of another algorithm, expired or not yet valid.
var ErrInvalidToken = errors.New("invalid token")

// Claims are what a token says about its holder.
type Claims struct {
	Email string `json:"email"`
	Role  string `json:"role"`
	// Org is the organization id of an admin; ids, not names, so a rename
	// keeps sessions valid.
	Org string `json:"org,omitempty"`
	// CredVersion is the account's credential version at issue; a password
	// change or deletion moves it on and so revokes the token.
	CredVersion int64 `json:"cv"`
	jwt.RegisteredClaims
}

// NewClaims returns the claims of a token for the account subject.
func NewClaims(subject, email, role, org string, credVersion int64) Claims {
	return Claims{Email: email, Role: role, Org: org, CredVersion: credVersion, RegisteredClaims: jwt.RegisteredClaims{Subject: subject}}
}

// leeway is how far past its expiry a token is still accepted, for clocks
// of daemons that share a key and disagree a little.
const leeway = 5 * time.Second

// Signer issues and verifies EdDSA (Ed25519) tokens. It is safe for
// concurrent use.
type Signer struct {
	key    ed25519.PrivateKey
	pub    ed25519.PublicKey
	ttl    time.Duration
	parser *jwt.Parser
	now    func() time.Time

	verified verified
	// signatureChecks counts the tokens parsed and checked in full.
	signatureChecks atomic.Int64
}

// NewSigner returns a Signer whose tokens live for ttl.
func NewSigner(key ed25519.PrivateKey, ttl time.Duration) *Signer {
	s := &Signer{
		key: key,
		pub: key.Public().(ed25519.PublicKey),
		ttl: ttl,
		now: time.Now,
	}
	// Only EdDSA is accepted: no "none", and no HS256 signed with the
	// public key. Strict decoding refuses base64 with stray bits, so that
	// a token has one spelling only.
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithStrictDecoding(),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return s.now() }),
	)
	return s
}

// Issue signs a token for c, filling iss, iat, exp and jti.
func (s *Signer) Issue(c Claims) (token string, expires time.Time, err error) {
	now := s.now().UTC().Truncate(time.Second)
	expires = now.Add(s.ttl)
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("token id: %w", err)
	}
	c.Issuer = Issuer
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(expires)
	c.ID = fmt.Sprintf("%x", jti)
	token, err = jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return token, expires, nil
}

// Verify checks token's signature, algorithm, issuer and lifetime and
// returns its claims. Every failure is ErrInvalidToken (wrapped with the
// reason, which never includes the token). A token verified before is not
// parsed again, only checked for expiry (see verified); the caller still
// checks it is not revoked.
func (s *Signer) Verify(token string) (*Claims, error) {
	if token == "" || len(token) > MaxTokenBytes {
		return nil, ErrInvalidToken
	}
	if c, ok := s.verified.get(token); ok {
		if expired(c, s.now()) {
			s.verified.forget(token)
			return nil, fmt.Errorf("%w: %w", ErrInvalidToken, jwt.ErrTokenExpired)
		}
		cp := *c
		return &cp, nil
	}
	// What the cache holds was spelled right; anything else is looked at.
	if !oneSpelling(token) {
		return nil, ErrInvalidToken
	}
	s.signatureChecks.Add(1)
	var c Claims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.pub, nil })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" || c.Role == "" {
		return nil, fmt.Errorf("%w: missing subject or role", ErrInvalidToken)
	}
	cp := c
	s.verified.put(token, &cp, s.now())
	return &c, nil
}

// oneSpelling reports whether token holds nothing but base64url and the
// dots between its parts. Strict decoding alone does not make a token's
// spelling unique: Go's base64 decoders skip line breaks, so a token with
// \r or \n inside a part would pass as a second spelling of the same.
func oneSpelling(token string) bool {
	for i := range len(token) {
		switch c := token[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// Forget drops token from the tokens Verify remembers: the caller found it
// revoked.
func (s *Signer) Forget(token string) { s.verified.forget(token) }

// Remembers reports whether Verify remembers token as verified.
func (s *Signer) Remembers(token string) bool {
	_, ok := s.verified.get(token)
	return ok
}

// LoadOrCreateKey reads the Ed25519 private key (PKCS #8, PEM) at path, or,
// when create is true and the file does not exist, generates one there with
// mode 0600. Two daemons starting at once on one file end up with the same
// key: creation is exclusive, and the loser reads the winner's file.
func LoadOrCreateKey(path string, create bool) (ed25519.PrivateKey, error) {
	key, err := readKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !create {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	// The key is written in full to a file of its own, then linked into
	// place, which fails if path exists: a daemon that loses the race
	// never sees a key file half written.
	f, err := os.CreateTemp(filepath.Dir(path), ".jwt-key-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(f.Name())
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := errors.Join(werr, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	err = os.Link(f.Name(), path)
	if errors.Is(err, fs.ErrExist) {
		return readKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return priv, nil
}

func readKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return nil, fmt.Errorf("key file %s is readable by everyone (mode %04o); chmod 600 it", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("key file %s: no PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key file %s: not an Ed25519 key", path)
	}
	return priv, nil
}
