package auth

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// threadNice is the nice value of thread tid (getpriority returns 20
// minus it).
func threadNice(tid int) (int, error) {
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	return 20 - p, err
}

// niceOf is threadNice for the test's own goroutine: never call it on a
// crew thread, which t.Fatal would end.
func niceOf(t *testing.T, tid int) int {
	t.Helper()
	nice, err := threadNice(tid)
	if err != nil {
		t.Fatalf("thread %d: %v", tid, err)
	}
	return nice
}

// canRaisePriority reports whether this process may lower a thread's nice
// value, as root with CAP_SYS_NICE may.
func canRaisePriority(t *testing.T) bool {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	nice := niceOf(t, tid)
	if nice == -20 {
		return true
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice-1); err != nil {
		return false
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
		t.Fatal(err)
	}
	return true
}

// ownHasher is a hasher of the test's own, with a crew of its own, closed
// when the test ends.
func ownHasher(t *testing.T) *Hasher {
	t.Helper()
	h, err := NewHasherUnchecked(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func TestBcryptRunsOnThreadsOfLowerPriorityThatItKeeps(t *testing.T) {
	h := ownHasher(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := syscall.Gettid()
	before := niceOf(t, caller)

	var tids []int
	var nices []int
	var errs []error
	for range 3 {
		h.crew.run(func() {
			tid := syscall.Gettid()
			nice, err := threadNice(tid)
			tids, nices, errs = append(tids, tid), append(nices, nice), append(errs, err)
		}, cap(h.slots))
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := min(19, before+yieldingNice)
	for i, tid := range tids {
		if tid == caller {
			t.Fatalf("computation %d ran on the caller's thread", i)
		}
		if nices[i] != want {
			t.Errorf("computation %d ran at nice %d, want %d", i, nices[i], want)
		}
	}
	if tids[0] != tids[1] || tids[1] != tids[2] {
		t.Errorf("one after the other, the computations ran on threads %v, want one thread kept", tids)
	}
	if after := niceOf(t, caller); after != before {
		t.Errorf("the caller's thread went from nice %d to %d", before, after)
	}

	// Hashes and comparisons still work, on the crew.
	hash, err := h.Hash(context.Background(), "a password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Compare(context.Background(), hash, "a password"); err != nil || !ok {
		t.Fatalf("Compare = %v, %v", ok, err)
	}
	if n := h.crew.started(); n != 1 {
		t.Errorf("one computation at a time started %d threads, want 1", n)
	}

	// Close gives the thread back, alive, and at its former priority if
	// this process may raise it.
	h.Close()
	tid := tids[0]
	raised := canRaisePriority(t)
	// The thread raises itself once it runs, at nice 19 on a busy machine
	// perhaps not at once.
	for deadline := time.Now().Add(10 * time.Second); raised && niceOf(t, tid) != before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got := niceOf(t, tid); raised && got != before {
		t.Errorf("after Close, the crew's thread is at nice %d, want %d", got, before)
	}
	// After Close, computations run on their callers' threads.
	var ran int
	h.crew.run(func() { ran = syscall.Gettid() }, cap(h.slots))
	if ran != caller {
		t.Errorf("after Close, a computation ran on thread %d, want the caller's %d", ran, caller)
	}
}

func TestTheCrewHasAtMostOneThreadPerSlot(t *testing.T) {
	h := ownHasher(t)
	h.SetSlots(2)
	hash := quickHash(t, "a password")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if ok, err := h.Compare(context.Background(), hash, "a password"); err != nil || !ok {
				t.Errorf("Compare = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if n := h.crew.started(); n < 1 || n > 2 {
		t.Errorf("20 comparisons over 2 slots started %d threads, want 1 or 2", n)
	}
}

func TestAPanicInAComputationIsTheCallers(t *testing.T) {
	h := ownHasher(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := syscall.Gettid()
	var got any
	func() {
		defer func() { got = recover() }()
		h.crew.run(func() { panic("bcrypt failed") }, cap(h.slots))
	}()
	if got != "bcrypt failed" {
		t.Fatalf("the caller recovered %v, want the computation's panic", got)
	}
	// The crew goes on, on a thread that is not the caller's.
	var ran int
	h.crew.run(func() { ran = syscall.Gettid() }, cap(h.slots))
	if ran == 0 || ran == caller {
		t.Errorf("after a panic, a computation ran on thread %d (the caller's is %d)", ran, caller)
	}
}
