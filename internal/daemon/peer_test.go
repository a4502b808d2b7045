package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// otherUser runs orgd's command line as the user nobody, a peer that is
// neither root nor orgd's own user.
type otherUser struct {
	bin   string // orgd, where nobody may run it
	group string
	uid   string
}

// nobody returns a way to run orgd call as nobody, or skips the test when
// that is impossible: it takes root, setpriv and a nobody user.
func nobody(t *testing.T) *otherUser {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running a client as another user (nobody) takes root; run the tests as root to check peers by uid")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot run a client as nobody")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody to run a client as: %v", err)
	}
	group := "nogroup"
	if _, err := user.LookupGroup(group); err != nil {
		group = u.Gid
	}
	// The test binary's copy of orgd lives in a private directory; nobody
	// needs one it may reach.
	dir := publicDir(t)
	bin := filepath.Join(dir, "orgd")
	src, err := os.ReadFile(testenv.OrgdBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return &otherUser{bin: bin, group: group, uid: u.Uid}
}

// publicDir returns a new directory anyone may enter, removed when the test
// ends.
func publicDir(t *testing.T) string {
	t.Helper()
	dir := testenv.ShortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startForEveryone starts a daemon whose socket any user may connect to,
// as a deployment that adds nobody to orgd's group would allow: orgd's own
// socket mode (0660) admits only root and orgd's group.
func startForEveryone(t *testing.T, secrets ...string) *testenv.Daemon {
	t.Helper()
	sock := filepath.Join(publicDir(t), "orgd.sock")
	d := testenv.Start(t, testenv.Options{Secrets: secrets, Configure: func(c *daemon.Config) {
		c.Listen = []string{"unix://" + sock}
	}})
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	return d
}

// run runs orgd call --addr ADDR ARGS... as the other user, and returns
// its exit code and output.
func (u *otherUser) run(t *testing.T, addr string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	argv := append([]string{"--reuid=" + u.uid, "--regid=" + u.group, "--clear-groups", "--", u.bin, "call", "--addr", addr}, args...)
	cmd := exec.Command("setpriv", argv...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent"}
	cmd.Dir = "/"
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("orgd call as nobody: %v", err)
	return 0, "", ""
}

// call runs orgd call METHOD PARAMS as the other user against d, and
// returns the result, or the JSON-RPC error orgd call reports.
func (u *otherUser) call(t *testing.T, d *testenv.Daemon, method, params string) (json.RawMessage, *rpc.Error) {
	t.Helper()
	code, out, errOut := u.run(t, d.Addr, method, params)
	switch code {
	case 0:
		return json.RawMessage(out), nil
	case 1:
		var e rpc.Error
		if err := json.Unmarshal([]byte(errOut), &e); err != nil || e.Code == 0 {
			t.Fatalf("orgd call %s as nobody: stderr %q is no JSON-RPC error", method, errOut)
		}
		return nil, &e
	}
	t.Fatalf("orgd call %s as nobody: exit %d\n%s", method, code, errOut)
	return nil, nil
}

func TestTheSocketModeKeepsOtherUsersOut(t *testing.T) {
	u := nobody(t)
	// A directory anyone may enter, so that only the socket's own mode
	// (0660, root's group here) stands between nobody and orgd.
	sock := filepath.Join(publicDir(t), "orgd.sock")
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = []string{"unix://" + sock}
	}})
	code, _, errOut := u.run(t, d.Addr, rpc.MethodSystemHealth)
	if code != 2 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("nobody on a 0660 socket: exit %d, stderr %q; want exit 2 (cannot connect), permission denied", code, errOut)
	}
	if !strings.Contains(errOut, "add this user to group orgd") {
		t.Errorf("a refusal by the socket's group does not say which group to join: %q", errOut)
	}

	// The socket's mode, and nothing else, kept nobody out.
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := u.run(t, d.Addr, rpc.MethodSystemHealth); code != 0 {
		t.Fatalf("nobody on the socket made 0666: exit %d, %s", code, errOut)
	}

	// A socket directory orgd makes itself (0750) keeps nobody out even
	// of a socket anyone could otherwise use.
	inner := filepath.Join(publicDir(t), "run", "orgd.sock")
	d2 := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = []string{"unix://" + inner}
	}})
	if err := os.Chmod(inner, 0o666); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = u.run(t, d2.Addr, rpc.MethodSystemHealth)
	if code != 2 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("nobody behind orgd's 0750 socket directory: exit %d, stderr %q; want exit 2, permission denied", code, errOut)
	}
}

func TestBootstrapFromAnotherUserIsRefused(t *testing.T) {
	u := nobody(t)
	d := startForEveryone(t, "intruder-password")

	// nobody reaches the daemon: what follows is a refusal, not a failure
	// to connect.
	if _, e := u.call(t, d, rpc.MethodSystemHealth, "{}"); e != nil {
		t.Fatalf("system.health as nobody: %+v", e)
	}
	_, e := u.call(t, d, "auth.bootstrap", `{"email":"intruder@example.com","password":"intruder-password"}`)
	if e == nil || e.Code != rpc.CodeForbidden || !strings.Contains(e.Message, "root or orgd's own user") {
		t.Fatalf("auth.bootstrap as nobody: %+v, want -32003 naming who may", e)
	}
	if d.Store().Directory.HasOperator() {
		t.Fatal("an operator exists after nobody's refused bootstrap")
	}

	// Root, the daemon's own user here, still may; nobody's account was
	// never made.
	d.Operator(t)
	_, err := d.Client(t).Login(ctxT(t), "intruder@example.com", "intruder-password")
	wantCode(t, err, rpc.CodeUnauthenticated)
}

func TestThrottleCountsEachPeerApartAndEachEmailAcrossPeers(t *testing.T) {
	u := nobody(t)
	d := startForEveryone(t)
	c := d.Client(t)
	ctx := ctxT(t)
	create(t, c, d.Operator(t), "Acme")

	// Five failures for the admin's email from nobody block that email
	// for every peer: root's right password is refused too.
	login := func(email, password string) string {
		b, err := json.Marshal(map[string]string{"email": email, "password": password})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for range 5 {
		_, e := u.call(t, d, "auth.login", login(adminEmail("Acme"), "wrong-password"))
		if e == nil || e.Code != rpc.CodeUnauthenticated {
			t.Fatalf("a wrong password as nobody: %+v, want -32001", e)
		}
	}
	_, err := c.Login(ctx, adminEmail("Acme"), adminPassword)
	wantCode(t, err, rpc.CodeTooManyAttempts)

	// Twenty failures from root, on emails never tried, block root, and
	// only root: nobody, with its own five failures (under the 20 a peer
	// may have), still logs in.
	for i := range 20 {
		_, err := c.Login(ctx, "guess"+string(rune('a'+i))+"@example.com", "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	}
	_, err = c.Login(ctx, "ops@example.com", "operator-password")
	wantCode(t, err, rpc.CodeTooManyAttempts)

	out, e := u.call(t, d, "auth.login", login("ops@example.com", "operator-password"))
	if e != nil {
		t.Fatalf("nobody, blocked by neither its email nor its own failures: %+v", e)
	}
	var s rpc.Session
	if err := json.Unmarshal(out, &s); err != nil || s.Role != rpc.RoleOperator {
		t.Fatalf("nobody's login: %s (%v)", out, err)
	}
}

// loginFrom logs in over TCP from the loopback address ip and returns the
// answer.
func loginFrom(t *testing.T, addr string, ip net.IP, email, password string) testenv.Reply {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "auth.login",
		"params": map[string]string{"email": email, "password": password}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(append(req, '\n')); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		t.Fatalf("login of %s from %s: %v", email, ip, err)
	}
	var rep testenv.Reply
	if err := json.Unmarshal(line, &rep); err != nil {
		t.Fatalf("answer %q: %v", line, err)
	}
	return rep
}

func TestThrottleCountsEachTCPAddressApart(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.Listen = append(c.Listen, "tcp://127.0.0.1:0")
	}})
	d.Operator(t)
	addr := strings.TrimPrefix(d.Addrs()[1], "tcp://")
	guesser, other := net.IPv4(127, 0, 3, 1), net.IPv4(127, 0, 3, 2)

	for i := range 20 {
		rep := loginFrom(t, addr, guesser, fmt.Sprintf("guess%d@example.com", i), "wrong-password")
		if rep.Error == nil || rep.Error.Code != rpc.CodeUnauthenticated {
			t.Fatalf("failure %d from %s: %+v, want -32001", i+1, guesser, rep.Error)
		}
	}
	rep := loginFrom(t, addr, guesser, "ops@example.com", "operator-password")
	if rep.Error == nil || rep.Error.Code != rpc.CodeTooManyAttempts {
		t.Fatalf("after 20 failures from %s: %+v, want -32029", guesser, rep.Error)
	}
	rep = loginFrom(t, addr, other, "ops@example.com", "operator-password")
	if rep.Error != nil {
		t.Fatalf("from %s, which never failed: %+v; the throttle must count each address apart", other, rep.Error)
	}
}

// TestAnInProcessConnectionGoesThroughEveryCheck: a connection the SSH
// server opens in process (ServeConn, and rpc.Client's Dialer) is served
// as a socket's is, as the peer it names: never trusted, and throttled as
// that peer.
func TestAnInProcessConnectionGoesThroughEveryCheck(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	op := d.Operator(t)
	ctx := ctxT(t)
	c := &rpc.Client{Addr: "in process", Dialer: func(context.Context) (net.Conn, error) {
		client, server := net.Pipe()
		d.Server().ServeConn(server, org.Peer{Key: "ip:192.0.2.9"})
		return client, nil
	}}
	defer c.Close()
	if w, err := c.Whoami(ctx, op); err != nil || w.Role != rpc.RoleOperator {
		t.Fatalf("whoami over an in-process connection: %+v, %v", w, err)
	}
	_, err := c.ListOrgs(ctx, rpc.OrgListParams{})
	wantCode(t, err, rpc.CodeUnauthenticated)
	_, err = c.Bootstrap(ctx, "second@example.com", "second-password")
	wantCode(t, err, rpc.CodeForbidden)
	for i := range 20 {
		_, err = c.Login(ctx, fmt.Sprintf("nobody%d@example.com", i), "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	}
	_, err = c.Login(ctx, "ops@example.com", "operator-password")
	wantCode(t, err, rpc.CodeTooManyAttempts)
	// Another peer is not throttled.
	if _, err := d.Client(t).Login(ctx, "ops@example.com", "operator-password"); err != nil {
		t.Fatalf("a login over the socket after the in-process peer was throttled: %v", err)
	}
}
