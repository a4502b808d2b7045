// Package auth holds orgd's credentials machinery: bcrypt password hashes,
// Ed25519-signed JWTs, and login throttling. It knows nothing of
// organizations; internal/org decides who gets a token.
package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Bcrypt cost bounds and default.
const (
	MinCost     = 10
	MaxCost     = 14
	DefaultCost = 12
)

// Hasher hashes and checks passwords with bcrypt, at most one computation
// per slot: by default every P (GOMAXPROCS) but one, and one at least,
// since with every P in bcrypt a request arriving meanwhile would wait for
// the Go scheduler to preempt one, ten milliseconds and more. orgd serve
// runs more Ps than the machine has cores (daemon.ReserveProcessors) and
// gives bcrypt a slot per core (SetSlots): more would not finish sooner.
// The computations run on threads of their own, at a lower priority than
// requests' (see crew); Close gives them back.
type Hasher struct {
	cost  int
	slots chan struct{}
	crew  *crew
	dummy []byte
	// maxWait bounds the wait for a free slot; 0 waits as long as the
	// context lets it.
	maxWait time.Duration
}

// ErrBusy is what Hash and Compare return when no slot came free within
// the wait SetMaxWait allows: too many passwords are being hashed or
// checked at once. Nothing was computed.
var ErrBusy = errors.New("bcrypt: every core is busy with other passwords")

// SetMaxWait bounds how long Hash and Compare wait for a free core before
// they give up with ErrBusy, so that a burst of logins is refused rather
// than queued until every request's deadline. Set it before use.
func (h *Hasher) SetMaxWait(d time.Duration) { h.maxWait = d }

// SetSlots sets how many computations run at once (at least one). Set it
// before use.
func (h *Hasher) SetSlots(n int) { h.slots = make(chan struct{}, max(1, n)) }

// NewHasher returns a Hasher that hashes at cost (10–14).
func NewHasher(cost int) (*Hasher, error) {
	if cost < MinCost || cost > MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d–%d", cost, MinCost, MaxCost)
	}
	return NewHasherUnchecked(cost)
}

// NewHasherUnchecked is NewHasher for any cost bcrypt accepts (4–31), for
// tests that cannot wait for real costs.
func NewHasherUnchecked(cost int) (*Hasher, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d–%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	// The dummy hash is compared against when an email is unknown, so that
	// the answer takes as long as for a wrong password.
	dummy, err := bcrypt.GenerateFromPassword([]byte("orgd: no such account"), cost)
	if err != nil {
		return nil, fmt.Errorf("bcrypt: %w", err)
	}
	return &Hasher{cost: cost, slots: make(chan struct{}, bcryptSlots()), crew: newCrew(), dummy: dummy}, nil
}

// bcryptSlots is how many bcrypt computations may run at once: one per P
// but one, and one at least.
func bcryptSlots() int {
	return max(1, runtime.GOMAXPROCS(0)-1)
}

// Close gives the hasher's threads back to the runtime, at their former
// priority. A process that may not raise a thread's priority (without
// CAP_SYS_NICE or an RLIMIT_NICE that allows it) keeps them instead, idle,
// one per slot used. Hash and Compare still work after Close, on their
// callers' threads.
func (h *Hasher) Close() { h.crew.close() }

// Cost returns the cost new hashes are made with.
func (h *Hasher) Cost() int { return h.cost }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	var expired <-chan time.Time
	if h.maxWait > 0 {
		t := time.NewTimer(h.maxWait)
		defer t.Stop()
		expired = t.C
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-expired:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the bcrypt hash of password. It waits for a free core, or
// returns ctx's error.
func (h *Hasher) Hash(ctx context.Context, password string) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	var hash []byte
	var err error
	h.crew.run(func() { hash, err = bcrypt.GenerateFromPassword([]byte(password), h.cost) }, cap(h.slots))
	if err != nil {
		return nil, fmt.Errorf("bcrypt: %w", err)
	}
	return hash, nil
}

// Compare reports whether password matches hash. A nil hash (an unknown
// account) is compared against a dummy hash of the same cost, so it takes
// as long and reports false.
func (h *Hasher) Compare(ctx context.Context, hash []byte, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if hash == nil {
		h.crew.run(func() { _ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password)) }, cap(h.slots))
		return false, nil
	}
	var err error
	h.crew.run(func() { err = bcrypt.CompareHashAndPassword(hash, []byte(password)) }, cap(h.slots))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("bcrypt: %w", err)
}
