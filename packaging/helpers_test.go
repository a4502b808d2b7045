package packaging_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
)

// testVersion is the version the test binary of orgd is built with.
const testVersion = "v0.0.0-packaging-test"

// binDir holds the binaries built for this test run; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orgd-packaging-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the top of the repository (the tests run in packaging/).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readRepoFile returns a file of the repository, by its path from the top.
func readRepoFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var orgdBuild struct {
	once sync.Once
	path string
	err  error
}

// orgdBinary builds bin/orgd from this tree once per test run, with the
// flags make build uses (so that the build cache serves both), and returns
// its path.
func orgdBinary(t testing.TB) string {
	t.Helper()
	orgdBuild.once.Do(func() {
		path := filepath.Join(binDir, "orgd")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+testVersion, "-o", path, "./cmd/orgd")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			orgdBuild.err = fmt.Errorf("go build ./cmd/orgd: %v\n%s", err, out)
			return
		}
		orgdBuild.path = path
	})
	if orgdBuild.err != nil {
		t.Fatal(orgdBuild.err)
	}
	return orgdBuild.path
}

// need skips the test, saying so, when a command is not installed.
func need(t testing.TB, commands ...string) {
	t.Helper()
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("SKIP: %s is not installed (make test-deps installs it)", c)
		}
	}
}

// shortDir returns a new directory with a path short enough for Unix
// sockets (108 bytes at most; t.TempDir's can be longer).
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "orgd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// baseEnv is a clean environment for orgd: no ORGD_* settings and no
// JOURNAL_STREAM from whoever runs the tests.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ORGD_") || name == "JOURNAL_STREAM" || name == "NOTIFY_SOCKET" || strings.HasPrefix(name, "LISTEN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// lockedBuffer is a bytes.Buffer safe for a process to write while the
// test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a command started by a test, stopped at cleanup if still
// running.
type process struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
	err    error
}

// start starts name (orgd serve, directly or under systemd's tools) with
// args and env, logging its output into the test's log if the test fails.
// The output is orgd's log: a line holding a password, hash or token fails
// the test (see testenv.WatchLog).
func start(t *testing.T, env []string, name string, args ...string) *process {
	t.Helper()
	p := &process{stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Env = env
	// Registered before the cleanup that stops the process, the scan's
	// check runs after it.
	// The passwords are those the tests of this package send.
	out := io.MultiWriter(p.stderr, testenv.WatchLog(t, "operator-secret-1", "admin-secret-2", "a long passphrase"))
	p.cmd.Stdout = out
	p.cmd.Stderr = out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.stderr.String())
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("still running 60 s after SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitForSocket waits until path is a socket.
func waitForSocket(t *testing.T, path string, p *process) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Type() == os.ModeSocket {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("exited before %s appeared: %v", path, p.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not appear within 30 s", path)
}

// rpcConn is a newline-delimited JSON-RPC 2.0 connection.
type rpcConn struct {
	c  net.Conn
	r  *bufio.Reader
	id int
}

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

// dialRPC connects to a Unix socket.
func dialRPC(t *testing.T, path string) *rpcConn {
	t.Helper()
	c, err := net.DialTimeout("unix", path, 10*time.Second)
	if err != nil {
		t.Fatalf("connect to %s: %v", path, err)
	}
	return newRPC(t, c)
}

// newRPC speaks JSON-RPC over c, which it closes at cleanup.
func newRPC(t *testing.T, c net.Conn) *rpcConn {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	return &rpcConn{c: c, r: bufio.NewReader(c)}
}

// call sends one request and decodes the result into result. It waits up
// to a minute: the first request to a socket-activated orgd waits for it
// to start.
func (rc *rpcConn) call(t *testing.T, method string, params, result any) error {
	t.Helper()
	rc.id++
	req := map[string]any{"jsonrpc": "2.0", "id": rc.id, "method": method}
	if params != nil {
		req["params"] = params
	}
	line, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	deadline, _ := ctx.Deadline()
	_ = rc.c.SetDeadline(deadline)
	if _, err := rc.c.Write(append(line, '\n')); err != nil {
		t.Fatalf("%s: write: %v", method, err)
	}
	reply, err := rc.r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s: read the reply: %v", method, err)
	}
	var resp struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      int             `json:"id"`
		Result  json.RawMessage `json:"result"`
		Error   *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(reply, &resp); err != nil {
		t.Fatalf("%s: the reply %q is not JSON: %v", method, reply, err)
	}
	if resp.JSONRPC != "2.0" || resp.ID != rc.id {
		t.Fatalf("%s: reply %s does not answer request %d", method, reply, rc.id)
	}
	if resp.Error != nil {
		return resp.Error
	}
	if result != nil {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			t.Fatalf("%s: result %s: %v", method, resp.Result, err)
		}
	}
	return nil
}

// notifySocket is a stand-in for systemd's notification socket.
type notifySocket struct {
	path string
	msgs chan string
}

// listenNotify opens a unixgram socket in dir that collects sd_notify
// messages, one state (like READY=1) per message line.
func listenNotify(t *testing.T, dir string) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(dir, "notify.sock"), msgs: make(chan string, 64)}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, _, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(string(buf[:k])), "\n") {
				n.msgs <- line
			}
		}
	}()
	return n
}

// wait waits for the state want (like "READY=1"), failing after timeout.
func (n *notifySocket) wait(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	var seen []string
	deadline := time.After(timeout)
	for {
		select {
		case m := <-n.msgs:
			if m == want {
				return
			}
			seen = append(seen, m)
		case <-deadline:
			t.Fatalf("no %s on NOTIFY_SOCKET within %s; got %q", want, timeout, seen)
		}
	}
}

// logLines parses every non-empty line of a JSON log.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(log, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %q: %v", line, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// findLog returns the first log record with message msg, or nil.
func findLog(lines []map[string]any, msg string) map[string]any {
	for _, l := range lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}
