package auth

import (
	"runtime"
	"sync"
)

// A crew is the threads a Hasher computes on. Each is an OS thread of the
// crew's own, locked to one goroutine for as long as the crew lasts, and
// at a lower priority than the threads that serve requests where the
// system allows it (yieldThread): when a request and a bcrypt computation
// are both ready to run, the kernel gives the core to the request.
//
// The threads are started as computations need them, at most one per
// slot, and kept: a thread is never ended, because a thread's end sends
// the death signal (Pdeathsig) of every child process started from it.
type crew struct {
	jobs chan func()
	quit chan struct{}
	stop sync.Once

	mu   sync.Mutex
	size int // threads started
}

func newCrew() *crew {
	return &crew{jobs: make(chan func()), quit: make(chan struct{})}
}

// run runs f on one of the crew's threads and returns when f has; a panic
// in f is the caller's, as if f had run there. The crew grows to at most
// limit threads; once it has stopped, f runs on the caller's own thread.
func (c *crew) run(f func(), limit int) {
	done := make(chan struct{})
	var panicked any
	job := func() {
		defer close(done)
		defer func() { panicked = recover() }()
		f()
	}
	select {
	case c.jobs <- job:
	case <-c.quit:
		job()
	default:
		if !c.grow(job, limit) {
			select {
			case c.jobs <- job:
			case <-c.quit:
				job()
			}
		}
	}
	<-done
	if panicked != nil {
		panic(panicked)
	}
}

// grow starts a thread for job unless the crew has limit threads already.
func (c *crew) grow(job func(), limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size >= max(1, limit) {
		return false
	}
	c.size++
	go c.work(job)
	return true
}

// started is how many threads the crew has started.
func (c *crew) started() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

func (c *crew) work(first func()) {
	runtime.LockOSThread()
	restore := yieldThread()
	first()
	for {
		select {
		case job := <-c.jobs:
			job()
		case <-c.quit:
			if restore() {
				runtime.UnlockOSThread()
				return
			}
			// The priority cannot be raised back without the privilege
			// to: the thread stays, idle, rather than serve other
			// goroutines at bcrypt's priority or end (see crew).
			<-make(chan struct{})
		}
	}
}

// close gives the threads back to the runtime at their former priority.
// Computations after it run on their callers' threads.
func (c *crew) close() { c.stop.Do(func() { close(c.quit) }) }
