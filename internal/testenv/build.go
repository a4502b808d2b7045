package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// A test process builds the commands it runs (orgd, the store process) once
// and keeps them, like the shared store's files, in directories named for
// its process id: nothing can remove them when the process ends, so each
// new test process removes those of processes that are gone.
const (
	binPrefix   = "orgd-test-bin-"
	storePrefix = "orgd-test-store-"
)

// command is a command of this module built for the tests of this process.
type command struct {
	once sync.Once
	path string
	err  error
}

var (
	orgdCommand  command
	storeCommand command
	sweepOnce    sync.Once
)

// build returns the path of pkg's command, building it the first time with
// make build's flags (-trimpath, no cgo) so that the build cache of make
// test serves it.
func (c *command) build(t testing.TB, pkg string) string {
	t.Helper()
	c.once.Do(func() {
		dir, err := processDir(binPrefix)
		if err != nil {
			c.err = err
			return
		}
		path := filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command(goTool(), "build", "-trimpath", "-o", path, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			c.err = fmt.Errorf("build %s: %w\n%s", pkg, err, out)
			return
		}
		c.path = path
	})
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.path
}

// processDir makes (or finds) the directory prefix+pid in the temporary
// directory, after removing those of test processes that have exited.
func processDir(prefix string) (string, error) {
	sweepOnce.Do(sweep)
	dir := filepath.Join(os.TempDir(), prefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// sweep removes the directories that test processes no longer running left
// behind.
func sweep() {
	for _, prefix := range []string{binPrefix, storePrefix} {
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
		for _, dir := range dirs {
			pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), prefix))
			if err != nil || pid == os.Getpid() || alive(pid) {
				continue
			}
			os.RemoveAll(dir)
		}
	}
}

// alive reports whether a process pid exists (signal 0 checks without
// sending anything).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func goTool() string {
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
