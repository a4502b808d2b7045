package daemon

import "runtime"

// ReserveProcessor raises GOMAXPROCS by one and returns what puts it back.
// auth.Hasher lets bcrypt use every P but one, so that a request never
// waits for a bcrypt computation to be preempted; with one P more than
// the machine has cores, bcrypt still has every core, and the spare P
// leaves it to the kernel to share the cores between bcrypt and requests,
// which it does within a millisecond. It changes the whole process: orgd
// serve calls it once, before Start.
func ReserveProcessor() (restore func()) {
	prev := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(prev + 1)
	return func() { runtime.GOMAXPROCS(prev) }
}
