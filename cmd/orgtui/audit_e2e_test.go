package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// TestAuditEndToEndInTmux reads the audit log in orgtui on a real orgd,
// at 80×24, after changes made through the API: the operator sees every
// entry, newest first, with the names organizations had (one renamed, one
// deleted), filters by action, and opens an entry; an admin sees their
// organization's entries only.
func TestAuditEndToEndInTmux(t *testing.T) {
	needTmux(t)
	dir := testenv.ShortDir(t)
	bin := buildOrgtui(t, dir)
	d := testenv.Start(t, testenv.Options{})
	token := d.Operator(t) // ops@example.com, operator-password
	c := d.Client(t)
	ctx := context.Background()
	for _, name := range []string{"Acme", "Beta"} {
		if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: token, Name: name, AdminEmail: "admin@" + strings.ToLower(name) + ".example",
			AdminPassword: "admin-password"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: token, Name: "Acme", NewName: new("Acme Renamed")}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteOrg(ctx, token, "Beta"); err != nil {
		t.Fatal(err)
	}

	ops := startTerminal(t, bin, d.Addr, filepath.Join(dir, "operator"))
	ops.login("ops@example.com", "operator-password")
	ops.waitFor("Acme Renamed", "ops@example.com (operator)")
	ops.press("a")
	screen := ops.waitFor("Audit log", "Every organization's entries", "5 entries", "org.delete", "org.rename", "auth.bootstrap")
	// Newest first, each under the name the organization had then.
	lines := strings.Split(screen, "\n")
	row := func(action, org string) int {
		for i, l := range lines {
			if f := strings.Fields(strings.TrimPrefix(l, "›")); len(f) >= 5 && f[3] == action && strings.Join(f[4:], " ") == org {
				return i
			}
		}
		t.Fatalf("no row of %s %s:\n%s", action, org, screen)
		return 0
	}
	want := [][2]string{{"org.delete", "Beta"}, {"org.rename", "Acme Renamed"}, {"org.create", "Beta"}, {"org.create", "Acme"}, {"auth.bootstrap", "—"}}
	for i := 1; i < len(want); i++ {
		if row(want[i][0], want[i][1]) != row(want[i-1][0], want[i-1][1])+1 {
			t.Fatalf("%v does not come right after %v:\n%s", want[i], want[i-1], screen)
		}
	}

	ops.press("/")
	ops.waitFor("Filter the audit log", "Organization")
	ops.press("Tab", "Tab")
	ops.typeText("org.create")
	ops.press("Enter")
	screen = ops.waitFor("Filter: action org.create", "2 entries")
	if strings.Contains(screen, "org.delete") {
		t.Fatalf("the filter on org.create shows a deletion:\n%s", screen)
	}
	ops.press("Enter")
	ops.waitFor("Audit entry", "org.create", "Beta", "admin@beta.example", "ops@example.com (operator)", "uid:")
	ops.press("Escape")
	ops.waitWithout("Audit entry")
	ops.press("Escape")
	ops.waitFor("Every organization's entries", "5 entries")

	admin := startTerminal(t, bin, d.Addr, filepath.Join(dir, "admin"))
	admin.login("admin@acme.example", "admin-password")
	admin.waitFor("Acme Renamed", "admin of Acme Renamed")
	admin.press("a")
	screen = admin.waitFor("Entries of Acme Renamed", "2 entries", "org.rename", "org.create")
	if strings.Contains(screen, "Beta") || strings.Contains(screen, "auth.bootstrap") {
		t.Fatalf("an admin of Acme sees other entries:\n%s", screen)
	}
}
