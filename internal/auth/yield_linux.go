package auth

import (
	"runtime"
	"syscall"
)

// yieldingNice is the nice value of the threads bcrypt runs on: ten steps
// below a request's, so that the kernel gives a thread that was woken for
// a request about ten times bcrypt's share of a core, and at once. bcrypt
// still has every core nothing else wants.
const yieldingNice = 10

// yielding runs f on an OS thread of its own, at nice yieldingNice. The
// thread ends with f: a goroutine that exits locked to its thread takes
// the thread with it, so no thread of lowered priority ever serves other
// goroutines (and an unprivileged process could not raise it back). When
// the priority cannot be lowered (a system call filter that refuses
// setpriority), f runs all the same.
func yielding(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// On Linux, setpriority on a thread id changes that thread only.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), yieldingNice)
		f()
	}()
	<-done
}
