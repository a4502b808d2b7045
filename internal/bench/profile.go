package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// profile runs fn, and when Options.ProfileDir is set writes a CPU profile
// of it (name.cpu.pprof) and an allocation profile (name.allocs.pprof) of
// everything allocated so far, to compare with go tool pprof -base.
func (e *env) profile(name string, fn func() error) (err error) {
	if e.o.ProfileDir == "" {
		return fn()
	}
	if err := os.MkdirAll(e.o.ProfileDir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(e.o.ProfileDir, name+".cpu.pprof"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	err = fn()
	pprof.StopCPUProfile()
	runtime.GC()
	a, cerr := os.Create(filepath.Join(e.o.ProfileDir, name+".allocs.pprof"))
	if cerr != nil {
		return cerr
	}
	defer a.Close()
	if werr := pprof.Lookup("allocs").WriteTo(a, 0); werr != nil && err == nil {
		err = fmt.Errorf("allocation profile: %w", werr)
	}
	return err
}
