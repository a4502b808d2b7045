package testenv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
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

// storeproc returns the path of the store process command, built once per
// test process without the race detector.
func storeproc(t testing.TB) string {
	t.Helper()
	return storeCommand.build(t, "github.com/orgd/orgd/internal/testenv/storeproc")
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
		dir, err := processDir(storePrefix)
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
