package auth

import (
	"sync"
	"time"
)

// Checking an Ed25519 signature costs tens of microseconds, more than the
// rest of most requests, and a client sends the same token with every
// call. So a Signer remembers the tokens whose signature it checked, with
// their claims, until they expire. A remembered token is looked up by its
// exact spelling, so only the very string that was verified finds it; its
// lifetime is checked again on every use; and revocation is the caller's
// comparison of the claims' credential version with the account's, made
// on every call whatever the cache holds (and Forget drops a token found
// revoked).

// maxVerified bounds the tokens a Signer remembers.
const maxVerified = 4096

// verified are the tokens a Signer has checked and their claims.
type verified struct {
	mu     sync.RWMutex
	tokens map[string]*Claims
}

func (v *verified) get(token string) (*Claims, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	c, ok := v.tokens[token]
	return c, ok
}

// put remembers token. When the cache is full it first forgets the
// expired tokens, then, if need be, a quarter of the others.
func (v *verified) put(token string, c *Claims, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tokens == nil {
		v.tokens = make(map[string]*Claims)
	}
	if len(v.tokens) >= maxVerified {
		for t, c := range v.tokens {
			if expired(c, now) {
				delete(v.tokens, t)
			}
		}
		for t := range v.tokens {
			if len(v.tokens) < maxVerified*3/4 {
				break
			}
			delete(v.tokens, t) // maps iterate in no set order: these are any
		}
	}
	v.tokens[token] = c
}

func (v *verified) forget(token string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.tokens, token)
}

func (v *verified) len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.tokens)
}

// expired reports whether claims that were valid when verified have since
// expired, with the leeway Verify grants. (Issued-at and not-before only
// grow truer with time.)
func expired(c *Claims, now time.Time) bool {
	return c.ExpiresAt == nil || !now.Before(c.ExpiresAt.Add(leeway))
}
