package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// failEvery records n failures for email from peer, one every step from
// start, and returns the time of the last.
func failEvery(th *Throttle, email, peer string, n int, start time.Time, step time.Duration) time.Time {
	at := start
	for i := range n {
		at = start.Add(time.Duration(i) * step)
		th.Fail(email, peer, at)
	}
	return at
}

func TestThrottlePerEmail(t *testing.T) {
	th := NewThrottle()
	last := failEvery(th, "a@example.com", "uid:1", 4, t0, time.Minute)

	t.Run("four failures do not throttle", func(t *testing.T) {
		if wait := th.Check("a@example.com", "uid:1", last); wait != 0 {
			t.Fatalf("wait %s, want 0", wait)
		}
	})
	last = last.Add(time.Minute)
	th.Fail("a@example.com", "uid:1", last) // the fifth, at t0+4m
	t.Run("the fifth failure throttles the email", func(t *testing.T) {
		if wait := th.Check("a@example.com", "uid:1", last); wait != 15*time.Minute-4*time.Minute {
			t.Fatalf("wait %s, want 11m0s: until the first failure leaves the window", wait)
		}
	})
	t.Run("from any peer", func(t *testing.T) {
		if wait := th.Check("a@example.com", "uid:2", last.Add(time.Second)); wait != 11*time.Minute-time.Second {
			t.Fatalf("wait %s, want 10m59s", wait)
		}
	})
	t.Run("other emails from the same peer are not throttled", func(t *testing.T) {
		if wait := th.Check("b@example.com", "uid:1", last); wait != 0 {
			t.Fatalf("wait %s, want 0", wait)
		}
	})
	t.Run("the window slides: once the first failure is 15 minutes old the email may try again", func(t *testing.T) {
		if wait := th.Check("a@example.com", "uid:1", t0.Add(15*time.Minute-time.Nanosecond)); wait != time.Nanosecond {
			t.Fatalf("a nanosecond early: wait %s, want 1ns", wait)
		}
		if wait := th.Check("a@example.com", "uid:1", t0.Add(15*time.Minute)); wait != 0 {
			t.Fatalf("on time: wait %s, want 0", wait)
		}
	})
	t.Run("a failure then throttles again until the second failure ages out", func(t *testing.T) {
		at := t0.Add(15 * time.Minute)
		th.Fail("a@example.com", "uid:1", at)
		if wait := th.Check("a@example.com", "uid:1", at); wait != time.Minute {
			t.Fatalf("wait %s, want 1m0s", wait)
		}
	})
}

func TestThrottlePerPeer(t *testing.T) {
	th := NewThrottle()
	for i := range 19 {
		th.Fail(fmt.Sprintf("user%d@example.com", i), "ip:192.0.2.7", t0.Add(time.Duration(i)*time.Second))
	}
	t.Run("19 failures from a peer do not throttle it", func(t *testing.T) {
		if wait := th.Check("new@example.com", "ip:192.0.2.7", t0.Add(time.Minute)); wait != 0 {
			t.Fatalf("wait %s, want 0", wait)
		}
	})
	th.Fail("user19@example.com", "ip:192.0.2.7", t0.Add(19*time.Second))
	t.Run("the 20th throttles the peer for every email", func(t *testing.T) {
		if wait := th.Check("new@example.com", "ip:192.0.2.7", t0.Add(time.Minute)); wait != 14*time.Minute {
			t.Fatalf("wait %s, want 14m0s", wait)
		}
	})
	t.Run("other peers are not throttled", func(t *testing.T) {
		if wait := th.Check("new@example.com", "ip:192.0.2.8", t0.Add(time.Minute)); wait != 0 {
			t.Fatalf("wait %s, want 0", wait)
		}
	})
	t.Run("the longer of the two waits wins", func(t *testing.T) {
		failEvery(th, "x@example.com", "ip:192.0.2.9", 5, t0.Add(10*time.Minute), time.Second)
		if wait := th.Check("x@example.com", "ip:192.0.2.7", t0.Add(11*time.Minute)); wait != 14*time.Minute {
			t.Fatalf("wait %s, want the email's 14m0s", wait)
		}
	})
}

func TestThrottleSucceed(t *testing.T) {
	th := NewThrottle()
	for i := range 20 {
		email := "victim@example.com"
		if i >= 5 {
			email = fmt.Sprintf("other%d@example.com", i)
		}
		th.Fail(email, "uid:1000", t0)
	}
	th.Succeed("victim@example.com")

	t.Run("success clears the email's failures", func(t *testing.T) {
		if wait := th.Check("victim@example.com", "uid:2000", t0); wait != 0 {
			t.Fatalf("wait %s, want 0", wait)
		}
	})
	t.Run("but not the peer's, which may be guessing at other accounts", func(t *testing.T) {
		if wait := th.Check("victim@example.com", "uid:1000", t0); wait != 15*time.Minute {
			t.Fatalf("wait %s, want 15m0s", wait)
		}
	})
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	t.Run("failures kept per key stop at the limit", func(t *testing.T) {
		th := NewThrottle()
		for i := range 1000 {
			th.Fail("a@example.com", "uid:1", t0.Add(time.Duration(i)*time.Millisecond))
		}
		if n := len(th.failures["e:a@example.com"]); n != th.PerEmail {
			t.Errorf("%d failures kept for the email, want %d", n, th.PerEmail)
		}
		if n := len(th.failures["p:uid:1"]); n != th.PerPeer {
			t.Errorf("%d failures kept for the peer, want %d", n, th.PerPeer)
		}
	})
	t.Run("keys stay within MaxKeys", func(t *testing.T) {
		th := NewThrottle()
		th.MaxKeys = 100
		for i := range 5000 {
			th.Fail(fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("ip:10.0.%d.%d", i/256, i%256), t0.Add(time.Duration(i)*time.Millisecond))
			if n := len(th.failures); n > th.MaxKeys {
				t.Fatalf("after %d failures: %d keys, over %d", i+1, n, th.MaxKeys)
			}
		}
	})
	t.Run("keys whose failures left the window are forgotten first", func(t *testing.T) {
		th := NewThrottle()
		th.MaxKeys = 10
		for i := range 5 {
			th.Fail(fmt.Sprintf("old%d@example.com", i), "uid:1", t0)
		}
		later := t0.Add(time.Hour)
		failEvery(th, "recent@example.com", "uid:2", 5, later, 0)
		for i := range 3 {
			th.Fail(fmt.Sprintf("new%d@example.com", i), "uid:3", later)
		}
		if wait := th.Check("recent@example.com", "uid:9", later); wait != 15*time.Minute {
			t.Fatalf("wait %s, want 15m0s: a live key was forgotten", wait)
		}
	})
	t.Run("checks of unknown keys remember nothing", func(t *testing.T) {
		th := NewThrottle()
		for i := range 100 {
			th.Check(fmt.Sprintf("u%d@example.com", i), "uid:1", t0)
		}
		if n := len(th.failures); n != 0 {
			t.Fatalf("%d keys after checks alone", n)
		}
	})
}

func TestThrottleConcurrently(t *testing.T) {
	th := NewThrottle()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				email := fmt.Sprintf("u%d@example.com", i%7)
				at := t0.Add(time.Duration(i) * time.Second)
				th.Check(email, fmt.Sprintf("uid:%d", g), at)
				th.Fail(email, fmt.Sprintf("uid:%d", g), at)
				if i%13 == 0 {
					th.Succeed(email)
				}
			}
		})
	}
	wg.Wait()
	if wait := th.Check("u1@example.com", "uid:0", t0.Add(200*time.Second)); wait <= 0 || wait > 15*time.Minute {
		t.Fatalf("wait %s after hundreds of failures, want up to 15m", wait)
	}
}

func TestAThrottleWithoutLimitsNeverRefuses(t *testing.T) {
	th := &Throttle{Window: time.Minute, MaxKeys: 10}
	now := time.Unix(1_800_000_000, 0)
	for range 50 {
		th.Fail("a@example.com", "uid:1", now)
	}
	if wait := th.Check("a@example.com", "uid:1", now); wait != 0 {
		t.Fatalf("limits of 0 made the throttle refuse for %s", wait)
	}
}
