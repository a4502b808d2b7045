package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var (
	sharedHasherOnce sync.Once
	sharedHasher     *Hasher
	sharedHasherErr  error
)

// newTestHasher returns a Hasher at cost 10, the fastest orgd allows. It is
// shared: making one hashes a dummy password, which is slow under the race
// detector.
func newTestHasher(t *testing.T) *Hasher {
	t.Helper()
	sharedHasherOnce.Do(func() { sharedHasher, sharedHasherErr = NewHasher(MinCost) })
	if sharedHasherErr != nil {
		t.Fatal(sharedHasherErr)
	}
	return sharedHasher
}

// quickHash is a bcrypt hash at bcrypt's own minimum cost: Compare reads the
// cost from the hash, so comparing against it is fast.
func quickHash(t *testing.T, password string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewHasherCostBounds(t *testing.T) {
	for _, cost := range []int{0, 4, 9, 15, 31} {
		t.Run(fmt.Sprintf("cost %d is refused", cost), func(t *testing.T) {
			if _, err := NewHasher(cost); err == nil {
				t.Fatalf("NewHasher(%d) accepted", cost)
			}
		})
	}
	t.Run("cost 10 is accepted", func(t *testing.T) {
		if c := newTestHasher(t).Cost(); c != 10 {
			t.Fatalf("Cost = %d", c)
		}
	})
}

func TestHasher(t *testing.T) {
	h := newTestHasher(t)
	ctx := context.Background()

	t.Run("Hash makes a hash at the hasher's cost that Compare accepts", func(t *testing.T) {
		hash, err := h.Hash(ctx, "a password")
		if err != nil {
			t.Fatal(err)
		}
		if cost, err := bcrypt.Cost(hash); err != nil || cost != MinCost {
			t.Fatalf("cost %d (%v), want %d", cost, err, MinCost)
		}
		if ok, err := h.Compare(ctx, hash, "a password"); !ok || err != nil {
			t.Fatalf("Compare = %v, %v", ok, err)
		}
	})
	hash := quickHash(t, "a password")
	tests := []struct {
		name     string
		hash     []byte
		password string
		want     bool
		err      bool
	}{
		{"the right password matches", hash, "a password", true, false},
		{"a wrong password does not match", hash, "A password", false, false},
		{"a password with more after it does not match", hash, "a password!", false, false},
		{"72 bytes match", quickHash(t, strings.Repeat("x", 72)), strings.Repeat("x", 72), true, false},
		{"a nil hash (an unknown account) matches nothing", nil, "a password", false, false},
		{"a hash that is not bcrypt is an error", []byte("plain text"), "plain text", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Compare(ctx, tt.hash, tt.password)
			if ok != tt.want || (err != nil) != tt.err {
				t.Fatalf("Compare = %v, %v; want %v, error %v", ok, err, tt.want, tt.err)
			}
		})
	}
}

func TestHasherWaitsForAFreeCore(t *testing.T) {
	h := newTestHasher(t)
	// Take every slot, as that many bcrypt computations would.
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	release := func() {
		for range cap(h.slots) {
			h.release()
		}
	}

	t.Run("a hash gives up when its context ends first", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := h.Hash(ctx, "a password"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Hash = %v, want DeadlineExceeded", err)
		}
		if _, err := h.Compare(ctx, quickHash(t, "x"), "x"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Compare = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("with a bounded wait, a burst is refused as busy, nothing computed", func(t *testing.T) {
		h.SetMaxWait(30 * time.Millisecond)
		defer h.SetMaxWait(0)
		start := time.Now()
		if _, err := h.Compare(context.Background(), quickHash(t, "x"), "x"); !errors.Is(err, ErrBusy) {
			t.Fatalf("Compare = %v, want ErrBusy", err)
		}
		if took := time.Since(start); took < 30*time.Millisecond || took > 5*time.Second {
			t.Errorf("refused after %s, want after the wait of 30ms", took)
		}
		if _, err := h.Hash(context.Background(), "a password"); !errors.Is(err, ErrBusy) {
			t.Fatalf("Hash = %v, want ErrBusy", err)
		}
	})
	t.Run("a compare goes ahead once a slot is free", func(t *testing.T) {
		hash := quickHash(t, "a password")
		done := make(chan error, 1)
		go func() {
			ok, err := h.Compare(context.Background(), hash, "a password")
			if err == nil && !ok {
				err = errors.New("no match")
			}
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("Compare finished while every slot was taken: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		release()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Compare still waits after the slots were freed")
		}
	})
	if n := len(h.slots); n != 0 {
		t.Fatalf("%d slots still taken", n)
	}
}

func TestBcryptLeavesAProcessorFree(t *testing.T) {
	prev := runtime.GOMAXPROCS(3)
	defer runtime.GOMAXPROCS(prev)
	if n := bcryptSlots(); n != 2 {
		t.Errorf("with GOMAXPROCS 3, bcrypt may run %d at once, want 2", n)
	}
	runtime.GOMAXPROCS(1)
	if n := bcryptSlots(); n != 1 {
		t.Errorf("with GOMAXPROCS 1, bcrypt may run %d at once, want 1", n)
	}
}

func TestSetSlotsBoundsTheComputationsAtOnce(t *testing.T) {
	// A hasher of its own: the shared one's slots are other tests'.
	h, err := NewHasherUnchecked(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h.SetSlots(5)
	if n := cap(h.slots); n != 5 {
		t.Errorf("after SetSlots(5), %d computations may run at once, want 5", n)
	}
	h.SetSlots(0)
	if n := cap(h.slots); n != 1 {
		t.Errorf("after SetSlots(0), %d computations may run at once, want 1", n)
	}
	// A slot is still a bound: with it taken, a hash waits.
	h.slots <- struct{}{}
	h.SetMaxWait(20 * time.Millisecond)
	if _, err := h.Hash(context.Background(), "a password"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with the one slot taken = %v, want ErrBusy", err)
	}
}
