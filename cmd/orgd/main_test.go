package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// orgd runs the command line in process and returns its exit code and
// output.
func orgd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCallExitCodes(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	t.Setenv("ORGD_ADDR", d.Addr)

	code, out, _ := orgd(t, "", "call", "system.health")
	var h rpc.Health
	if code != exitOK || json.Unmarshal([]byte(out), &h) != nil || h.Status != "ok" {
		t.Errorf("system.health: exit %d, stdout %q", code, out)
	}

	code, out, errOut := orgd(t, "", "call", "org.list")
	var e rpc.Error
	if code != exitFailure || out != "" || json.Unmarshal([]byte(errOut), &e) != nil || e.Code != rpc.CodeUnauthenticated {
		t.Errorf("org.list without a token: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, _, errOut = orgd(t, "", "call", "--addr", "unix:///nonexistent/orgd.sock", "system.health")
	if code != exitConnect || !strings.Contains(errOut, "cannot reach orgd") {
		t.Errorf("unreachable daemon: exit %d, stderr %q", code, errOut)
	}

	code, _, _ = orgd(t, "", "call", "system.health", "[1,2]")
	if code != exitUsage {
		t.Errorf("params that are not an object: exit %d, want %d", code, exitUsage)
	}
}

func TestCallPutsTheTokenIntoParams(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	t.Setenv("ORGD_ADDR", d.Addr)

	code, out, errOut := orgd(t, "", "call", "auth.bootstrap", `{"email":"ops@example.com","password":"operator-password"}`)
	if code != exitOK {
		t.Fatalf("bootstrap: exit %d: %s", code, errOut)
	}
	var s rpc.Session
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGD_TOKEN", s.Token)

	code, out, errOut = orgd(t, "", "call", "org.create", `{"name":"Acme","admin_email":"a@acme.example","admin_password":"admin-password"}`)
	if code != exitOK || !strings.Contains(out, `"org_acme"`) {
		t.Fatalf("org.create with ORGD_TOKEN: exit %d, %s %s", code, out, errOut)
	}
	code, out, _ = orgd(t, `{"name":"acme"}`, "call", "org.get", "-")
	if code != exitOK || !strings.Contains(out, `"Acme"`) {
		t.Errorf("org.get with params from stdin: exit %d, %s", code, out)
	}
	code, out, _ = orgd(t, "", "call", "--token", "bogus", "org.get", `{"name":"acme"}`)
	if code != exitFailure {
		t.Errorf("--token overrides ORGD_TOKEN: exit %d, %s", code, out)
	}
}

func TestCheckAndOperatorsOnAStoppedStore(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	op := d.Operator(t)
	c := d.Client(t)
	if _, err := c.CreateOrg(context.Background(), rpc.OrgCreateParams{Token: op, Name: "Acme", AdminEmail: "a@acme.example", AdminPassword: "admin-password"}); err != nil {
		t.Fatal(err)
	}
	store := []string{"--data-dir", d.DataDir}
	if d.Config.MongoURI != "" {
		store = append(store, "--mongo-uri", d.Config.MongoURI, "--db", d.DB)
	} else {
		// The embedded store belongs to the running daemon.
		code, _, errOut := orgd(t, "", append([]string{"check"}, store...)...)
		if code != exitFailure || !strings.Contains(errOut, "in use") {
			t.Errorf("check while orgd runs on the embedded store: exit %d, %s", code, errOut)
		}
		// So do its operators: the commands say which call to make
		// instead, at once, before asking for a password.
		for cmd, method := range map[string]string{"create": "operator.create", "reset-password": "operator.update"} {
			start := time.Now()
			code, _, errOut = orgd(t, "", append([]string{"operator", cmd, "--email", "second@example.com"}, store...)...)
			if code != exitFailure || !strings.Contains(errOut, "orgd call "+method) || time.Since(start) > 10*time.Second {
				t.Errorf("operator %s while orgd runs: exit %d after %s, %q; want a refusal naming %s", cmd, code, time.Since(start), errOut, method)
			}
		}
		d.Stop(t)
	}

	code, out, errOut := orgd(t, "", append([]string{"check"}, store...)...)
	if code != exitOK || !strings.Contains(out, "ok: no broken invariants (1 organizations, 1 operators)") {
		t.Errorf("check: exit %d, %q %q", code, out, errOut)
	}

	code, out, errOut = orgd(t, "second-password\n", append([]string{"operator", "create", "--email", "second@example.com", "--bcrypt-cost", "10"}, store...)...)
	if code != exitOK || !strings.Contains(out, "operator second@example.com created") {
		t.Errorf("operator create: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = orgd(t, "short\n", append([]string{"operator", "create", "--email", "third@example.com"}, store...)...)
	if code != exitFailure || !strings.Contains(errOut, "at least 8") {
		t.Errorf("operator create with a short password: exit %d, %q", code, errOut)
	}
	code, _, errOut = orgd(t, "second-password\n", append([]string{"operator", "create", "--email", "SECOND@example.com", "--bcrypt-cost", "10"}, store...)...)
	if code != exitFailure || !strings.Contains(errOut, "already in use") {
		t.Errorf("operator create with a taken email: exit %d, %q", code, errOut)
	}

	// The way back in for a team that lost its passwords.
	code, out, errOut = orgd(t, "recovered-password\n", append([]string{"operator", "reset-password", "--email", "OPS@example.com", "--bcrypt-cost", "10"}, store...)...)
	if code != exitOK || !strings.Contains(out, "operator ops@example.com has a new password") {
		t.Errorf("operator reset-password: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = orgd(t, "recovered-password\n", append([]string{"operator", "reset-password", "--email", "a@acme.example"}, store...)...)
	if code != exitFailure || !strings.Contains(errOut, "no operator with the email") {
		t.Errorf("operator reset-password of an admin: exit %d, %q", code, errOut)
	}
	if d.Config.MongoURI != "" {
		return // the daemon still runs
	}
	d = testenv.Start(t, testenv.Options{DataDir: d.DataDir, Embedded: true})
	_, err := d.Client(t).Whoami(context.Background(), op)
	if rpc.ErrorCode(err) != rpc.CodeUnauthenticated {
		t.Errorf("the operator's old token after the reset: %v, want it revoked", err)
	}
	if _, err := d.Client(t).Login(context.Background(), "ops@example.com", "recovered-password"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if _, err := d.Client(t).Login(context.Background(), "second@example.com", "second-password"); err != nil {
		t.Errorf("login of the operator made on the stopped store: %v", err)
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := orgd(t, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "orgd ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	for _, cmd := range [][]string{{"serve"}, {"call"}, {"export"}, {"import"}, {"operator", "create"}, {"operator", "reset-password"}, {"check"}, {"version"}} {
		code, out, _ := orgd(t, "", append(cmd, "--help")...)
		if code != exitOK || !strings.Contains(out, "Usage:") || (cmd[0] != "version" && !strings.Contains(out, "Examples:")) {
			t.Errorf("%v --help: exit %d, %q", cmd, code, out)
		}
	}
	code, _, _ = orgd(t, "", "serve", "--bcrypt-cost", "99")
	if code != exitUsage {
		t.Errorf("serve with a bad flag value: exit %d, want %d", code, exitUsage)
	}
}
