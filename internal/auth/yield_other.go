//go:build !linux

package auth

// yieldThread does nothing: only Linux sets one thread's priority.
func yieldThread() (restore func() bool) { return func() bool { return true } }
