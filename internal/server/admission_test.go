package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func TestAdmission(t *testing.T) {
	t.Run("work beyond the slots waits, and is refused after the timeout with a hint", func(t *testing.T) {
		a := newAdmission(2, 50*time.Millisecond)
		r1, err1 := a.admit(context.Background())
		r2, err2 := a.admit(context.Background())
		if err1 != nil || err2 != nil {
			t.Fatalf("the first two: %v, %v", err1, err2)
		}
		start := time.Now()
		_, err := a.admit(context.Background())
		var oe *org.Error
		if !errors.As(err, &oe) || oe.Code != org.EBUSY || oe.RetryAfter < 100*time.Millisecond {
			t.Fatalf("the third: %v", err)
		}
		if took := time.Since(start); took < 50*time.Millisecond {
			t.Errorf("refused after %s, before the queue timeout", took)
		}
		if q := a.queue(); q.Inflight != 2 || q.Waiting != 0 || !q.Busy || q.Refusals != 1 {
			t.Errorf("queue %+v", q)
		}
		r1()
		r1() // twice is once
		if q := a.queue(); q.Inflight != 1 {
			t.Errorf("after one release, %d in flight", q.Inflight)
		}
		r2()
	})
	t.Run("a slot freed while waiting is taken", func(t *testing.T) {
		a := newAdmission(1, time.Second)
		r, _ := a.admit(context.Background())
		go func() {
			time.Sleep(20 * time.Millisecond)
			r()
		}()
		r2, err := a.admit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r2()
		if q := a.queue(); q.Busy || q.Refusals != 0 {
			t.Errorf("queue %+v", q)
		}
	})
	t.Run("a request that ends while waiting gives up with its context's error", func(t *testing.T) {
		a := newAdmission(1, time.Second)
		r, _ := a.admit(context.Background())
		defer r()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if _, err := a.admit(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the hint grows with the queue and stays within 100 ms and 10 s", func(t *testing.T) {
		a := newAdmission(2, time.Second)
		a.work = 300 * time.Millisecond
		if got := a.retryAfter(); got != 300*time.Millisecond {
			t.Errorf("empty queue: %s", got)
		}
		a.waiting.Store(10)
		if got := a.retryAfter(); got != 6*300*time.Millisecond {
			t.Errorf("10 waiting for 2 slots: %s", got)
		}
		a.waiting.Store(1000)
		if got := a.retryAfter(); got != 10*time.Second {
			t.Errorf("a long queue: %s", got)
		}
		a.work = time.Millisecond
		a.waiting.Store(0)
		if got := a.retryAfter(); got != 100*time.Millisecond {
			t.Errorf("quick work: %s", got)
		}
	})
}

func TestAdmissionRefusesAtOnceWhatCouldNotStartInTime(t *testing.T) {
	a := newAdmission(2, 500*time.Millisecond)
	r1, _ := a.admit(context.Background())
	r2, _ := a.admit(context.Background())
	defer r1()
	defer r2()

	// Work has been holding its slot 200 ms: with 6 waiting for 2 slots,
	// one more would wait about 4 × 200 ms, over the 500 ms timeout.
	a.work = 200 * time.Millisecond
	a.waiting.Store(6)
	start := time.Now()
	_, err := a.admit(context.Background())
	var oe *org.Error
	if !errors.As(err, &oe) || oe.Code != org.EBUSY {
		t.Fatalf("admit with a long queue = %v, want EBUSY", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("refused after %s, want at once", took)
	}
	if oe.RetryAfter != 800*time.Millisecond {
		t.Errorf("retry hint %s, want the expected wait, 800ms", oe.RetryAfter)
	}
	if q := a.queue(); !q.Busy || q.Refusals != 1 || q.Waiting != 6 {
		t.Errorf("queue %+v", q)
	}

	// With a short queue, the same request waits its turn instead.
	a.waiting.Store(0)
	go func() {
		time.Sleep(20 * time.Millisecond)
		r1()
	}()
	r3, err := a.admit(context.Background())
	if err != nil {
		t.Fatalf("admit with a slot coming free = %v", err)
	}
	r3()
}
