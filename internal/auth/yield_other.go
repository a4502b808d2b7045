//go:build !linux

package auth

// yielding runs f. Only Linux lowers a single thread's priority.
func yielding(f func()) { f() }
