package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// admission admits store work through a bounded queue (SPEC §10): at most
// MaxStoreInflight requests do store work at once, and a request that
// cannot start within StoreQueueTimeout is refused (-32053) before it did
// anything. What is served from memory never comes here.
type admission struct {
	slots   chan struct{}
	timeout time.Duration

	waiting atomic.Int64
	// refused is when the last request was refused, in Unix nanoseconds:
	// system.health says busy for a while after.
	refused atomic.Int64
	// refusals counts every refusal.
	refusals atomic.Int64
	// queued, when set, hears of each request that starts (+1) and stops
	// (-1) waiting: the metrics' gauge of queued store work.
	queued func(delta int)

	mu sync.Mutex
	// work is a moving average of how long admitted work holds its slot,
	// from which the retry hint is made.
	work time.Duration
}

// busyFor is how long after a refusal system.health still says busy.
const busyFor = 5 * time.Second

func newAdmission(inflight int, timeout time.Duration) *admission {
	return &admission{slots: make(chan struct{}, inflight), timeout: timeout, work: 50 * time.Millisecond}
}

// admit waits for a slot, at most the queue timeout, and returns the
// function that gives it back. It fails with an org.EBUSY error when no
// slot came in time, or at once when none is expected to, and with ctx's
// error when the request ended first.
func (a *admission) admit(ctx context.Context) (release func(), err error) {
	select {
	case a.slots <- struct{}{}:
		return a.releaser(), nil
	default:
	}
	// A request that would find no slot within the timeout, at the pace
	// work has been leaving the queue, is refused at once, rather than
	// after waiting the whole timeout for nothing.
	if wait := a.expectedWait(); wait > a.timeout {
		return nil, a.refuse()
	}
	a.waiting.Add(1)
	defer a.waiting.Add(-1)
	if a.queued != nil {
		a.queued(1)
		defer a.queued(-1)
	}
	t := time.NewTimer(a.timeout)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return a.releaser(), nil
	case <-t.C:
		return nil, a.refuse()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// releaser returns the function that frees a slot taken now, and learns
// how long the work held it.
func (a *admission) releaser() func() {
	start := time.Now()
	var once sync.Once
	return func() {
		once.Do(func() {
			<-a.slots
			held := time.Since(start)
			a.mu.Lock()
			a.work += (held - a.work) / 8
			a.mu.Unlock()
		})
	}
}

// refuse counts a refusal and returns its error, with a retry hint.
func (a *admission) refuse() error {
	a.refused.Store(time.Now().UnixNano())
	a.refusals.Add(1)
	return org.ErrBusy(a.retryAfter(), "too much store work is queued")
}

// retryAfter is the hint of when to retry: the expected wait, at least
// 100 ms and at most 10 s.
func (a *admission) retryAfter() time.Duration {
	return min(max(a.expectedWait(), 100*time.Millisecond), 10*time.Second)
}

// expectedWait estimates when a slot may be free for one more request:
// the queue ahead of it, at the pace work has been leaving it.
func (a *admission) expectedWait() time.Duration {
	a.mu.Lock()
	work := a.work
	a.mu.Unlock()
	ahead := a.waiting.Load()/int64(cap(a.slots)) + 1
	return time.Duration(ahead) * work
}

// Queue is the store work under way and waiting.
type Queue struct {
	Inflight, Waiting int
	// Busy is set while requests are being refused (one was in the last
	// few seconds).
	Busy bool
	// Refusals counts the refusals since the start.
	Refusals int64
}

func (a *admission) queue() Queue {
	last := a.refused.Load()
	return Queue{
		Inflight: len(a.slots),
		Waiting:  int(a.waiting.Load()),
		Busy:     last != 0 && time.Since(time.Unix(0, last)) < busyFor,
		Refusals: a.refusals.Load(),
	}
}
