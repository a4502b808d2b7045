package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// pressTogether sends keys in one tmux command, which writes them to
// orgtui at once: Escape followed by j arrives as ESC j, as from a fast
// typist or over SSH.
func (term *terminal) pressTogether(keys ...string) {
	term.t.Helper()
	term.tmux(append([]string{"send-keys", "-t", "orgtui"}, keys...)...)
}

// paste pastes text the way a terminal does when the program asked for
// bracketed paste (Bubble Tea does): wrapped in ESC[200~ … ESC[201~.
func (term *terminal) paste(text string) {
	term.t.Helper()
	term.tmux("set-buffer", "-b", "e2e", text)
	term.tmux("paste-buffer", "-p", "-d", "-b", "e2e", "-t", "orgtui")
}

// TestEscapeAndPasteInTmux runs the built orgtui against a real orgd in
// tmux: the password is pasted into the login dialog (bracketed paste);
// then Escape sent together with the next key (tmux send-keys Escape j,
// one write that the terminal's input reads as alt+j) leaves the delete
// dialog, the filter line and the help, and the next key moves the cursor
// each time.
func TestEscapeAndPasteInTmux(t *testing.T) {
	needTmux(t)
	dir := testenv.ShortDir(t)
	bin := buildOrgtui(t, dir)
	d := testenv.Start(t, testenv.Options{})
	token := d.Operator(t) // ops@example.com, operator-password
	c := d.Client(t)
	ctx := context.Background()
	for _, name := range []string{"Acme", "Beta", "Gamma"} {
		if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: token, Name: name, AdminEmail: "admin@" + strings.ToLower(name) + ".example", AdminPassword: "admin-password"}); err != nil {
			t.Fatal(err)
		}
	}
	term := startTerminal(t, bin, d.Addr, filepath.Join(dir, "input"))

	// The password, pasted.
	term.waitFor("Log in to orgd")
	term.typeText("ops@example.com")
	term.press("Enter")
	term.paste("operator-password")
	term.press("Enter")
	term.waitFor("ops@example.com (operator)", "1 of 3")

	// Escape leaves the delete dialog; j moves down.
	term.press("d")
	term.waitFor("Delete Acme?")
	term.pressTogether("Escape", "j")
	term.waitWithout("Delete Acme?")
	term.waitFor("2 of 3")

	// Escape leaves the filter line and clears it; k moves up.
	term.press("/")
	term.typeText("a")
	term.waitFor("/ a", "2 of 3")
	term.pressTogether("Escape", "k")
	term.waitWithout("/ a")
	term.waitFor("1 of 3")

	// Escape closes the help; j moves down.
	term.press("?")
	term.waitFor("Keys on this screen")
	term.pressTogether("Escape", "j")
	term.waitWithout("Keys on this screen")
	term.waitFor("2 of 3")

	l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: token})
	if err != nil || l.Total != 3 {
		t.Errorf("after the keys orgd has %+v, %v; want the 3 organizations", l, err)
	}
	log, err := os.ReadFile(filepath.Join(dir, "input.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "escape and a key read together"); n != 3 {
		t.Errorf("orgtui read Escape and the next key together %d times, want 3 (else this test did not test that):\n%s", n, log)
	}
	if strings.Contains(string(log), "operator-password") {
		t.Error("orgtui's log holds the password")
	}
}
