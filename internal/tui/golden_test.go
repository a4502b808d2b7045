package tui

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// render returns the screen as a terminal of profile p would get it.
func render(t *testing.T, m Model, p colorprofile.Profile) string {
	t.Helper()
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	if _, err := w.WriteString(m.Render()); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/tui -run TestGolden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("the screen differs from %s (rerun with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGoldenScreens draws each screen at 80×24 and compares it with the
// files in testdata/: NAME.golden is the text, NAME.ansi.golden the screen
// as a 16-colour terminal gets it (the colour profile is pinned, so the
// files do not depend on the terminal running the tests).
func TestGoldenScreens(t *testing.T) {
	acme := remotetest.NewOrg("Acme Corp", "admin@acme.example")
	orgs := append([]rpc.Organization{acme,
		remotetest.NewOrg("Müller GmbH", "it@mueller.example"),
		remotetest.NewOrg("SpaceX", "ops@spacex.example"),
		remotetest.NewOrg("A very long organization name that will not fit", "someone.with.a.long.address@example.com"),
	}, remotetest.Orgs(30)...)
	busy := remotetest.NewOrg("Renaming Ltd", "r@renaming.example")
	busy.State = rpc.StateRenaming
	orgs = append(orgs, busy)

	// labelled is orgs with labels on some, and Müller GmbH suspended.
	labelled := func() []rpc.Organization {
		out := slices.Clone(orgs)
		out[0].Labels = map[string]string{"env": "prod", "tier": "gold"}
		out[1].Labels = map[string]string{"env": "prod", "tier": "free"}
		at := time.Date(2026, 3, 12, 16, 45, 0, 0, time.UTC)
		out[1].State, out[1].SuspendedAt, out[1].SuspendReason = rpc.StateSuspended, &at, "invoice 2026-02 unpaid"
		out[2].Labels = map[string]string{"env": "prod", "team": "rockets"}
		return out
	}
	// members is an orgd where Acme Corp has a second admin and viewers.
	members := func() *remotetest.Fake {
		f := operatorFake(orgs...)
		f.PutMember("Acme Corp", "grace@acme.example", "member-password", rpc.RoleAdmin)
		f.PutMember("Acme Corp", "ada@acme.example", "member-password", rpc.RoleViewer)
		f.PutMember("Acme Corp", "zoe@acme.example", "member-password", rpc.RoleViewer)
		return f
	}

	tests := []struct {
		name  string
		fake  func() *remotetest.Fake
		steps func(a *app)
	}{
		{"first-run", func() *remotetest.Fake { return &remotetest.Fake{} }, func(*app) {}},
		{"login-error", func() *remotetest.Fake { return operatorFake() }, func(a *app) {
			a.d.Type(opsEmail)
			a.d.Press("enter")
			a.d.Type("wrong-password")
			a.d.Press("enter")
		}},
		{"list", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("j", "j")
		}},
		{"list-empty", func() *remotetest.Fake { return operatorFake() }, func(a *app) { a.login() }},
		{"list-filtered", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("/")
			a.d.Type("gmbh")
			a.d.SettleFor(400 * 1e6)
			a.d.Press("enter")
		}},
		{"detail", func() *remotetest.Fake {
			f := operatorFake(orgs...)
			f.Stats["Acme Corp"] = rpc.OrgStats{Documents: 120431, SizeBytes: 48 << 20, Indexes: 1}
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("j", "enter")
		}},
		{"create-error", func() *remotetest.Fake {
			f := operatorFake(orgs...)
			f.FailNext(rpc.MethodOrgCreate, &rpc.Error{Code: rpc.CodeConflict, Message: `the name conflicts with the existing organization "Acme Corp" (same slug)`,
				Data: &rpc.ErrorData{Field: "name", Reason: "taken", Existing: "Acme Corp"}})
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("n")
			a.d.Type("acme corp")
			a.d.Press("enter")
			a.d.Type("new@acme.example")
			a.d.Press("enter")
			a.d.Type("a-password")
			a.d.Press("enter")
			a.d.Type("a-password")
			a.d.Press("enter")
		}},
		{"edit", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("e")
		}},
		{"delete", func() *remotetest.Fake {
			f := operatorFake(orgs...)
			f.Stats["Acme Corp"] = rpc.OrgStats{Documents: 120431, SizeBytes: 48 << 20}
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("j", "d")
			a.d.Type("Acme Corp")
		}},
		{"delete-refused", func() *remotetest.Fake {
			f := operatorFake(orgs...)
			f.Stats["Acme Corp"] = rpc.OrgStats{Documents: 120431, SizeBytes: 48 << 20}
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("j", "d")
			a.d.Type("Acme")
			a.d.Press("enter")
		}},
		{"list-labels", func() *remotetest.Fake { return operatorFake(labelled()...) }, func(a *app) {
			a.login()
			a.d.Press("/")
			a.d.Type("label:env=prod")
			a.d.SettleFor(400 * 1e6)
			a.d.Press("enter", "j")
		}},
		{"detail-suspended", func() *remotetest.Fake { return operatorFake(labelled()...) }, func(a *app) {
			a.login()
			a.d.Press("j", "j", "enter")
		}},
		{"suspend", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("j", "s")
			a.d.Type("unpaid invoice")
			a.d.Press("enter")
			a.d.Type("Acme Co")
		}},
		{"resume", func() *remotetest.Fake { return operatorFake(labelled()...) }, func(a *app) {
			a.login()
			a.d.Press("j", "j", "s")
		}},
		{"accounts", func() *remotetest.Fake {
			f := operatorFake(orgs...)
			f.PutOperator("night-shift@example.com", "operator-password")
			f.PutOperator("backup@example.com", "operator-password")
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("A", "j")
		}},
		{"members", members, func(a *app) {
			a.login()
			a.d.Press("j", "enter", "m", "j")
		}},
		{"members-only-admin", func() *remotetest.Fake {
			f := operatorFake(orgs...)
			f.PutMember("Acme Corp", "ada@acme.example", "member-password", rpc.RoleViewer)
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("j", "enter", "m", "j", "d")
		}},
		{"member-add", members, func(a *app) {
			a.login()
			a.d.Press("j", "enter", "m", "n")
			a.d.Type("new@acme.example")
			a.d.Press("tab", "right")
		}},
		{"member-role", members, func(a *app) {
			a.login()
			a.d.Press("j", "enter", "m", "j", "j", "e")
		}},
		{"password", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("P")
			a.d.Type("operator-password")
			a.d.Press("enter")
		}},
		{"login-suspended", func() *remotetest.Fake {
			f := operatorFake(labelled()...)
			f.Role, f.MemberOf = rpc.RoleAdmin, "Müller GmbH"
			return f
		}, func(a *app) {
			a.d.Type(opsEmail)
			a.d.Press("enter")
			a.d.Type(opsPassword)
			a.d.Press("enter")
		}},
		{"keys", keysFake(orgs), func(a *app) {
			a.login()
			a.d.Press("K", "j")
		}},
		{"keys-empty", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("K")
		}},
		{"key-add", keysFake(orgs), func(a *app) {
			a.login()
			a.d.Press("K", "n")
			a.d.Send(tea.PasteMsg{Content: remotetest.KeyLine(7, "ops@new-laptop") + "\n"})
		}},
		{"key-add-refused", keysFake(orgs), func(a *app) {
			a.login()
			a.d.Press("K", "n")
			a.d.Send(tea.PasteMsg{Content: remotetest.DSAKeyLine("ops@1999")})
			a.d.Press("enter")
		}},
		{"key-remove", keysFake(orgs), func(a *app) {
			a.login()
			a.d.Press("K", "d")
		}},
		{"member-keys", func() *remotetest.Fake {
			f := members()
			f.PutKey("grace@acme.example", remotetest.KeyLine(11, "grace@workstation"), "")
			return f
		}, func(a *app) {
			a.login()
			a.d.Press("j", "enter", "m", "j", "j", "s")
		}},
		{"help", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.d.Press("?")
		}},
		{"session-ended", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "the token was revoked"})
			a.d.Press("r")
		}},
		{"disconnected", func() *remotetest.Fake { return operatorFake(orgs...) }, func(a *app) {
			a.login()
			a.fake.SetDown(true)
			a.d.Press("r")
		}},
		{"documents", acmeWithDocuments, func(a *app) {
			a.openDocuments()
			a.d.Press("j")
		}},
		{"documents-refused-filter", acmeWithDocuments, func(a *app) {
			a.openDocuments()
			a.d.Press("/")
			a.d.Type(`{"$where": "this.age > 30"}`)
			a.d.Press("enter")
		}},
		{"document", acmeWithDocuments, func(a *app) {
			a.openDocuments()
			a.d.Press("G", "k", "enter")
		}},
		{"document-save-failed", acmeWithDocuments, func(a *app) {
			a.openDocuments()
			a.d.Press("j", "j", "enter")
			a.editor.Write(`{"_id": {"$oid": "65f1c0ffee00000000000001"}, "name": "Ada King", "age": 36}`)
			a.fake.FailNext(rpc.MethodDataUpdate, &rpc.Error{Code: rpc.CodeStoreUnavailable, Message: "store unavailable"})
			a.d.Press("e")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, tt.fake(), 80, 24)
			tt.steps(a)
			m := a.model()
			golden(t, tt.name+".golden", render(t, m, colorprofile.NoTTY))
			golden(t, tt.name+".ansi.golden", render(t, m, colorprofile.ANSI))
		})
	}
}

// keysFake is an orgd where the operator has two SSH keys, the first one
// used since.
func keysFake(orgs []rpc.Organization) func() *remotetest.Fake {
	return func() *remotetest.Fake {
		f := operatorFake(orgs...)
		laptop := f.PutKey(opsEmail, remotetest.KeyLine(1, "ops@laptop"), "laptop")
		f.PutKey(opsEmail, remotetest.RSAKeyLine(3072, "ops@backup"), "")
		f.KeyUsed(laptop.Fingerprint, time.Date(2026, 3, 14, 9, 45, 0, 0, time.UTC))
		return f
	}
}

// sgrColour matches a select-graphic-rendition sequence that sets a colour.
var sgrColour = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m`)

func TestNoColorKeepsMeaningWithoutColour(t *testing.T) {
	a := startApp(t, operatorFake(remotetest.Orgs(5)...), 80, 24)
	a.login()
	a.d.Press("j")
	out := render(t, a.model(), colorprofile.Ascii)
	if loc := sgrColour.FindStringIndex(out); loc != nil {
		t.Errorf("with NO_COLOR the screen still sets a colour: %q", out[loc[0]:min(len(out), loc[1]+10)])
	}
	if !strings.Contains(out, "\x1b[") {
		t.Error("without colour the screen has no attributes left (the selected row must stay visible)")
	}
	if !strings.Contains(ansi.Strip(out), "› Org 00002") {
		t.Errorf("the selected row has no pointer:\n%s", ansi.Strip(out))
	}
}

func TestNoColorDocumentHasNoColourButKeepsWrappersApart(t *testing.T) {
	a := startApp(t, acmeWithDocuments(), 80, 24)
	a.openDocuments()
	a.d.Press("G", "k", "enter")
	out := render(t, a.model(), colorprofile.Ascii)
	if loc := sgrColour.FindStringIndex(out); loc != nil {
		t.Errorf("with NO_COLOR the document still sets a colour: %q", out[loc[0]:min(len(out), loc[1]+10)])
	}
	// Wrappers are bold, so they stand out without colour.
	if !strings.Contains(out, "\x1b[1m\"$oid\"") {
		t.Errorf("with NO_COLOR an Extended JSON wrapper is not marked:\n%q", out)
	}
	if !strings.Contains(ansi.Strip(out), `"name": "Zoë Müller"`) {
		t.Errorf("the document does not show:\n%s", ansi.Strip(out))
	}
}
