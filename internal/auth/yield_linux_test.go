package auth

import (
	"runtime"
	"syscall"
	"testing"
)

// niceOf is the nice value of the calling thread (getpriority returns 20
// minus it).
func niceOf(t *testing.T) int {
	t.Helper()
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - p
}

func TestBcryptRunsOnAThreadOfLowerPriorityThatEndsWithIt(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := niceOf(t)
	var inside, tid int
	yielding(func() {
		inside = niceOf(t)
		tid = syscall.Gettid()
	})
	if inside != yieldingNice {
		t.Errorf("the computation ran at nice %d, want %d", inside, yieldingNice)
	}
	if tid == syscall.Gettid() {
		t.Error("the computation ran on the caller's thread")
	}
	if after := niceOf(t); after != before {
		t.Errorf("the caller's thread went from nice %d to %d", before, after)
	}
	// Its thread is gone: no other goroutine ever runs at that priority.
	if _, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil {
		// The runtime may take a moment to end it; give it a few tries.
		for range 100 {
			runtime.Gosched()
			if _, err = syscall.Getpriority(syscall.PRIO_PROCESS, tid); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("thread %d of the computation still runs", tid)
		}
	}
}
