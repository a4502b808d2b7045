package auth

import "syscall"

// yieldingNice is how many steps of nice the crew's threads are below the
// process. At nineteen, when a request's thread and one in bcrypt are both
// ready to run, the kernel gives the request's some 68 times bcrypt's
// share of the core (weights 1024 and 15), and at once: under 200 writers,
// readers' org.get p99 went from 5.5 ms (no step) and 5 ms (ten steps) to
// 4 ms. bcrypt still has every core nothing else wants, which is most of
// them even then: those writers' creates, each a bcrypt hash, went on at
// the same pace.
const yieldingNice = 19

// yieldThread lowers the calling thread's priority, on Linux the thread's
// own, by yieldingNice steps of nice, and returns how to raise it back
// (false when the system refuses: raising needs CAP_SYS_NICE or an
// RLIMIT_NICE that allows it). When the priority cannot be lowered (a
// system call filter that refuses setpriority), the thread stays as it
// is. The caller must be locked to its thread.
func yieldThread() (restore func() bool) {
	tid := syscall.Gettid()
	// The system call returns 20 - nice, Go passes it on as it is.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return func() bool { return true }
	}
	nice := 20 - p
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, nice+yieldingNice)); err != nil {
		return func() bool { return true }
	}
	return func() bool { return syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice) == nil }
}
