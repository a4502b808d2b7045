package testenv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StoreProcess is the embedded store engine running in a child process.
type StoreProcess struct {
	// URI is the engine's connection string (a Unix socket in Dir).
	URI string
	// Dir is the engine's data directory.
	Dir string

	ephemeral bool
	cmd       *exec.Cmd
	stdin     io.WriteCloser
}

var storeBinary struct {
	once sync.Once
	path string
	err  error
}

// storeproc builds the storeproc command once per test process, without the
// race detector, into a private directory.
func storeproc(t testing.TB) string {
	t.Helper()
	storeBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "orgd-storeproc")
		if err != nil {
			storeBinary.err = err
			return
		}
		path := filepath.Join(dir, "storeproc")
		// The flags of make build, so that the build cache serves both.
		cmd := exec.Command(goTool(), "build", "-trimpath", "-o", path, "github.com/orgd/orgd/internal/testenv/storeproc")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			storeBinary.err = fmt.Errorf("build storeproc: %w\n%s", err, out)
			return
		}
		storeBinary.path = path
	})
	if storeBinary.err != nil {
		t.Fatal(storeBinary.err)
	}
	return storeBinary.path
}

func goTool() string {
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// StartStoreProcess starts the engine in a child process on dir and stops
// it when the test ends. The child stops with the test process.
func StartStoreProcess(t testing.TB, dir string) *StoreProcess {
	t.Helper()
	p := &StoreProcess{Dir: dir}
	if err := p.start(t); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func (p *StoreProcess) start(t testing.TB) error {
	args := []string{p.Dir}
	if p.ephemeral {
		args = []string{"-ephemeral", p.Dir}
	}
	cmd := exec.Command(storeproc(t), args...)
	// Should the test process die, so does the engine, cleanly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start storeproc: %w", err)
	}
	uri := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		uri <- strings.TrimSpace(line)
	}()
	select {
	case u := <-uri:
		if u == "" {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("storeproc on %s did not start", p.Dir)
		}
		p.URI = u
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("storeproc on %s: no URI within 30 s", p.Dir)
	}
	p.cmd, p.stdin = cmd, stdin
	return nil
}

// Kill kills the engine at once (SIGKILL), as a crash would.
func (p *StoreProcess) Kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.cmd = nil
}

// Restart starts the engine again on the same directory and socket.
func (p *StoreProcess) Restart(t testing.TB) {
	t.Helper()
	p.Kill()
	if err := p.start(t); err != nil {
		t.Fatal(err)
	}
}

// Stop stops the engine cleanly.
func (p *StoreProcess) Stop() {
	if p.cmd == nil {
		return
	}
	p.stdin.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

var shared struct {
	once sync.Once
	proc *StoreProcess
	err  error
}

// sharedStore returns the URI of one engine process shared by every test
// of this test process; each test uses a database of its own on it.
func sharedStore(t testing.TB) string {
	t.Helper()
	storeproc(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "orgd-store")
		if err != nil {
			shared.err = err
			return
		}
		// Never stopped here: it stops, and removes its directory, when
		// the test process exits.
		p := &StoreProcess{Dir: dir, ephemeral: true}
		shared.err = p.start(t)
		shared.proc = p
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.proc.URI
}
