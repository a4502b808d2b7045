package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// terminal is orgtui running in a tmux session of its own, 80×24.
type terminal struct {
	t        *testing.T
	socket   string
	exitFile string // where its exit status goes
}

func (term *terminal) tmux(args ...string) string {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", term.socket}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is what the terminal shows.
func (term *terminal) screen() string {
	term.t.Helper()
	return term.tmux("capture-pane", "-p", "-t", "orgtui")
}

// waitFor waits until every one of wants shows on the screen, and returns
// the screen.
func (term *terminal) waitFor(wants ...string) string {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := term.screen()
		missing := slices.IndexFunc(wants, func(w string) bool { return !strings.Contains(screen, w) })
		if missing < 0 {
			return screen
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen does not show %q:\n%s", wants[missing], screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForRow waits until one line of the screen shows every one of cells,
// and returns the screen. A list's row is waited for this way: its words
// may show elsewhere before the list has loaded, as the organization's
// name does in a member's status bar.
func (term *terminal) waitForRow(cells ...string) string {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := term.screen()
		if slices.ContainsFunc(strings.Split(screen, "\n"), func(line string) bool {
			return !slices.ContainsFunc(cells, func(c string) bool { return !strings.Contains(line, c) })
		}) {
			return screen
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("no line of the screen shows all of %q:\n%s", cells, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitWithout waits until gone no longer shows on the screen.
func (term *terminal) waitWithout(gone string) {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := term.screen()
		if !strings.Contains(screen, gone) {
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen still shows %q:\n%s", gone, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// typeText types s literally.
func (term *terminal) typeText(s string) {
	term.t.Helper()
	term.tmux("send-keys", "-t", "orgtui", "-l", s)
}

// press sends keys by tmux's names (Enter, Tab, C-u).
func (term *terminal) press(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		term.tmux("send-keys", "-t", "orgtui", k)
	}
}

// needTmux skips the test where tmux is missing or -short is given.
func needTmux(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts orgd and orgtui; skipped with -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("SKIP: tmux is not installed (make test installs it with apt-get install -y tmux); the orgtui end-to-end test did not run")
	}
}

// buildOrgtui builds orgtui into dir, with make build's flags (one build
// cache), and returns its path.
func buildOrgtui(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "orgtui")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build orgtui: %v\n%s", err, out)
	}
	return bin
}

// startTerminal runs orgtui (bin) against the orgd at addr in a tmux
// server of its own, 80×24, with its files (tmux socket, log, exit
// status) under prefix, and env added to its environment. The tmux
// server is killed when the test ends; orgtui's log is shown if it fails.
func startTerminal(t *testing.T, bin, addr, prefix string, env ...string) *terminal {
	t.Helper()
	log := prefix + ".log"
	argv := append([]string{"env", "ORGD_ADDR=" + addr, "TERM=xterm-256color", "VISUAL="}, env...)
	argv = append(argv, bin, "--log", log)
	term := startCommand(t, prefix, argv...)
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(log); err == nil {
				t.Logf("orgtui's log (%s):\n%s", filepath.Base(prefix), b)
			}
		}
	})
	return term
}

// startCommand runs argv in a tmux server of its own, 80×24, with its
// files (tmux socket, exit status) under prefix. The pane stays after the
// command exits, so that its last words can be read; the tmux server is
// killed when the test ends.
func startCommand(t *testing.T, prefix string, argv ...string) *terminal {
	t.Helper()
	term := &terminal{t: t, socket: prefix + ".tmux", exitFile: prefix + ".exit"}
	// The exit status goes to a file: tmux may mark the pane dead without
	// recording the status of its process.
	args := []string{"-f", "/dev/null", "new-session", "-d", "-s", "orgtui", "-x", "80", "-y", "24",
		"sh", "-c", `"$0" "$@"; echo $? > "` + term.exitFile + `"`}
	args = append(args, argv...)
	term.tmux(args...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", term.socket, "kill-server").Run() })
	term.tmux("set-option", "-t", "orgtui", "remain-on-exit", "on")
	return term
}

// login logs email in through the login dialog.
func (term *terminal) login(email, password string) {
	term.t.Helper()
	term.waitFor("Log in to orgd")
	term.typeText(email)
	term.press("Enter")
	term.typeText(password)
	term.press("Enter")
}

// TestEndToEndInTmux runs the built orgtui against a real orgd on the
// embedded store, in tmux at 80×24, the way a person would use it: create
// the first operator, log out and in, browse an organization's documents
// (with a scripted $EDITOR), create an organization, filter to it, rename
// it and delete it (after an enter that deletes nothing), reading the
// screen at each step.
func TestEndToEndInTmux(t *testing.T) {
	needTmux(t)
	dir := testenv.ShortDir(t)
	bin := buildOrgtui(t, dir)
	d := testenv.Start(t, testenv.Options{})
	ed := newScriptedEditor(t, dir)
	term := startTerminal(t, bin, d.Addr, filepath.Join(dir, "main"), "EDITOR="+ed.path)
	exitFile := term.exitFile

	// First run: orgd has no operator, orgtui offers to create one.
	term.waitFor("Welcome to orgd: first run", "orgd has no operator yet")
	term.typeText("ops@example.com")
	term.press("Enter")
	term.typeText("operator-password")
	term.press("Enter")
	term.typeText("operator-password")
	term.press("Enter")
	term.waitFor("No organizations yet. Press n to create one.", "ops@example.com (operator)", "connected")

	// Log out and in again.
	term.press("L")
	term.waitFor("Logged out.", "Log in to orgd")
	term.typeText("ops@example.com")
	term.press("Enter")
	term.typeText("wrong-password")
	term.press("Enter")
	term.waitFor("wrong email or password")
	term.typeText("operator-password")
	term.press("Enter")
	term.waitFor("No organizations yet.")

	// Another organization, made by someone else, arrives live.
	token := d.Operator(t)
	c := d.Client(t)
	ctx := context.Background()
	if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: token, Name: "Beta Ltd", AdminEmail: "admin@beta.example", AdminPassword: "beta-password"}); err != nil {
		t.Fatal(err)
	}
	term.waitFor("Beta Ltd", "org_beta_ltd")

	// Beta Ltd's documents: insert, filter, view, edit, delete.
	if !t.Run("documents", func(t *testing.T) {
		browseDocuments(t, &terminal{t: t, socket: term.socket}, c, token, ed)
	}) {
		t.FailNow()
	}

	// Create.
	term.press("n")
	term.waitFor("New organization", "Admin email")
	term.typeText("Acme Corp")
	term.press("Enter")
	term.typeText("admin@acme.example")
	term.press("Enter")
	term.typeText("acme-password")
	term.press("Enter")
	term.typeText("acme-password")
	term.press("Enter")
	term.waitFor("created Acme Corp", "org_acme_corp", "Beta Ltd")

	// Filter to it.
	term.press("/")
	term.typeText("acme")
	screen := term.waitFor("/ acme", "1 of 1")
	if strings.Contains(screen, "Beta Ltd") {
		t.Errorf("the filter still lists Beta Ltd:\n%s", screen)
	}
	term.press("Enter")
	term.waitFor("filter: acme", "Acme Corp")

	// Rename it.
	term.press("e")
	term.waitFor("Edit Acme Corp", "org_acme_corp")
	term.press("C-u")
	term.typeText("Acme Industries")
	// Enter saves a form that is valid (SPEC §6): the edit form is.
	term.press("Enter")
	term.waitFor("renamed Acme Corp to Acme Industries", "org_acme_indu")

	// Delete it (SPEC §6): enter with the name not typed deletes nothing and
	// says what to type; escape cancels; the name typed exactly and enter
	// delete.
	term.press("d")
	term.waitFor("Delete Acme Industries?", "org_acme_industries", "with 0")
	term.press("Enter")
	term.waitFor("Nothing was done", `type "Acme Industries"`)
	if _, err := c.GetOrg(ctx, token, "Acme Industries"); err != nil {
		t.Errorf("enter without the name typed deleted: org.get says %v", err)
	}
	term.press("Escape")
	// The list shows under the dialog all along: wait for the dialog to go,
	// or the next keys may reach it, or the list before the next dialog.
	term.waitWithout("Delete Acme Industries?")
	term.waitFor("filter: acme", "Acme Industries")
	term.press("d")
	term.waitFor("Delete Acme Industries?")
	term.typeText("Acme Industries")
	term.press("Enter")
	term.waitFor("deleted Acme Industries", "No organization matches")
	if _, err := c.GetOrg(ctx, token, "Acme Industries"); rpc.ErrorCode(err) != rpc.CodeNotFound {
		t.Errorf("after deleting in orgtui, org.get says %v, want not found", err)
	}

	// Quit.
	term.press("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, err := os.ReadFile(exitFile)
		if err == nil && len(status) > 0 {
			if got := strings.TrimSpace(string(status)); got != "0" {
				t.Errorf("orgtui exited with status %s:\n%s", got, term.screen())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit:\n%s", term.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scriptedEditor is the $EDITOR of the end-to-end test: a script that runs
// the step the test sets before each edit on the file orgtui hands it.
type scriptedEditor struct {
	t    *testing.T
	path string // the script
	step string // what it runs: sh step FILE
}

func newScriptedEditor(t *testing.T, dir string) *scriptedEditor {
	t.Helper()
	e := &scriptedEditor{t: t, path: filepath.Join(dir, "editor"), step: filepath.Join(dir, "editor-step")}
	script := "#!/bin/sh\nexec sh '" + e.step + "' \"$@\"\n"
	if err := os.WriteFile(e.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

// next sets the shell commands the next edit runs; $1 is the file.
func (e *scriptedEditor) next(t *testing.T, commands string) {
	t.Helper()
	if err := os.WriteFile(e.step, []byte(commands+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// browseDocuments is the document browser's part of the end-to-end test,
// from the organization list (Beta Ltd selected) back to it.
func browseDocuments(t *testing.T, term *terminal, c *rpc.Client, token string, ed *scriptedEditor) {
	ctx := context.Background()
	_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: token, Org: "Beta Ltd", Limit: 1})
	if err != nil {
		t.Fatalf("data.find: %v", err)
	}
	if _, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: token, Org: "Beta Ltd",
		Documents: []json.RawMessage{json.RawMessage(`{"name": "Someone Else", "patents": 0}`)}}); err != nil {
		t.Fatalf("data.insert: %v", err)
	}

	term.press("Enter")
	term.waitFor("enter documents")
	term.press("Enter")
	term.waitFor("Beta Ltd › documents", `name: "Someone Else"`, "1 of 1")

	// Insert: the editor writes a document into the file.
	ed.next(t, `printf '%s\n' '{"name": "Hedy Lamarr", "patents": 1}' > "$1"`)
	term.press("i")
	term.waitFor("inserted document", `name: "Hedy Lamarr"`, "of 2")

	// Filter to it.
	term.press("/")
	term.typeText(`{"name": "Hedy Lamarr"}`)
	term.press("Enter")
	screen := term.waitFor(`filter: {"name":"Hedy Lamarr"}`, "1 of 1")
	if strings.Contains(screen, "Someone Else") {
		t.Errorf("the filter still lists the other document:\n%s", screen)
	}

	// View it, then edit it: the editor changes a field.
	term.press("Enter")
	term.waitFor(`"name": "Hedy Lamarr"`, `"patents": 1`, "in org_beta_ltd")
	ed.next(t, `sed -i 's/"patents": 1/"patents": 2/' "$1"`)
	term.press("e")
	term.waitFor("saved document", `"patents": 2`)
	found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: token, Org: "Beta Ltd", Filter: json.RawMessage(`{"name": "Hedy Lamarr"}`)})
	if err != nil || len(found.Documents) != 1 || !strings.Contains(string(found.Documents[0]), `"patents":{"$numberInt":"2"}`) {
		t.Errorf("after the edit orgd has %v (%v)", found, err)
	}

	// Delete it: the word typed and enter delete (SPEC §6).
	term.press("x")
	term.waitFor("Delete this document?", "Type delete to delete it:")
	term.typeText("delete")
	term.press("Enter")
	term.waitFor("deleted document", "No document matches the filter.")
	found, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: token, Org: "Beta Ltd", Filter: json.RawMessage(`{"name": "Hedy Lamarr"}`)})
	if err != nil || len(found.Documents) != 0 {
		t.Errorf("after deleting in orgtui, data.find finds %v (%v)", found, err)
	}

	// Back to the organization list: esc clears the filter, then leaves.
	term.press("Escape")
	term.waitFor(`name: "Someone Else"`, "1 of 1")
	term.press("Escape")
	term.waitFor("enter documents")
	term.press("Escape")
	term.waitFor("Organizations", "Beta Ltd")
}
