package auth

import (
	"sync"
	"time"
)

// Throttle limits failed logins: after PerEmail failures for one email, or
// PerPeer failures from one peer, within Window, further attempts for that
// email or from that peer are refused until the oldest failure leaves the
// window. It is safe for concurrent use, and its memory is bounded by
// MaxKeys.
type Throttle struct {
	// PerEmail and PerPeer are the failures allowed within Window; 0 means
	// no limit.
	PerEmail int
	PerPeer  int
	Window   time.Duration
	// MaxKeys bounds the emails and peers remembered; past it, keys whose
	// failures have left the window are forgotten, then arbitrary ones.
	MaxKeys int

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle returns the throttle SPEC §4 asks for: 5 failures per email
// and 20 per peer within 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{PerEmail: 5, PerPeer: 20, Window: 15 * time.Minute, MaxKeys: 100_000}
}

// Check reports how long a login for emailKey from peerKey must wait; zero
// means it may proceed.
func (t *Throttle) Check(emailKey, peerKey string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.waitLocked("e:"+emailKey, t.PerEmail, now), t.waitLocked("p:"+peerKey, t.PerPeer, now))
}

func (t *Throttle) waitLocked(key string, limit int, now time.Time) time.Duration {
	fs := t.pruneLocked(key, now)
	if limit <= 0 || len(fs) < limit {
		return 0 // a limit of 0 means none
	}
	// The attempt may proceed once enough failures have aged out.
	return fs[len(fs)-limit].Add(t.Window).Sub(now)
}

func (t *Throttle) pruneLocked(key string, now time.Time) []time.Time {
	fs := t.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.Window {
		i++
	}
	if i == len(fs) {
		delete(t.failures, key)
		return nil
	}
	fs = fs[i:]
	t.failures[key] = fs
	return fs
}

// Fail records a failed login.
func (t *Throttle) Fail(emailKey, peerKey string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = make(map[string][]time.Time)
	}
	for _, k := range []struct {
		key   string
		limit int
	}{{"e:" + emailKey, t.PerEmail}, {"p:" + peerKey, t.PerPeer}} {
		fs := append(t.pruneLocked(k.key, now), now)
		if k.limit > 0 && len(fs) > k.limit {
			fs = fs[len(fs)-k.limit:]
		}
		t.failures[k.key] = fs
	}
	if len(t.failures) > t.MaxKeys {
		t.evictLocked(now)
	}
}

// Succeed forgets the failures of an email after a correct password. The
// peer's failures stay: they may be guesses at other accounts.
func (t *Throttle) Succeed(emailKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "e:"+emailKey)
}

func (t *Throttle) evictLocked(now time.Time) {
	for k := range t.failures {
		t.pruneLocked(k, now)
	}
	// Still too many: drop arbitrary keys (map order) down to 90 %.
	for k := range t.failures {
		if len(t.failures) <= t.MaxKeys*9/10 {
			break
		}
		delete(t.failures, k)
	}
}
