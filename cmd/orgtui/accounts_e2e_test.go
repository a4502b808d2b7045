package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// TestAccountsEndToEndInTmux drives one whole flow of accounts in two
// orgtui sessions on a real orgd, at 80×24: the operator adds an admin and
// a viewer to an organization; the viewer logs in and is offered nothing
// that writes, and what they try anyway does nothing; the admin logs in;
// the operator suspends the organization (a reason and its name typed)
// and the admin's session is refused; the operator resumes it (its name
// typed) and the admin is back in.
func TestAccountsEndToEndInTmux(t *testing.T) {
	needTmux(t)
	dir := testenv.ShortDir(t)
	bin := buildOrgtui(t, dir)
	d := testenv.Start(t, testenv.Options{})
	token := d.Operator(t) // ops@example.com, operator-password
	c := d.Client(t)
	ctx := context.Background()
	if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: token, Name: "Acme", AdminEmail: "admin@acme.example", AdminPassword: "acme-password"}); err != nil {
		t.Fatal(err)
	}

	ops := startTerminal(t, bin, d.Addr, filepath.Join(dir, "operator"))
	ops.login("ops@example.com", "operator-password")
	ops.waitFor("Acme", "ops@example.com (operator)")

	// The operator adds an admin and a viewer from Acme's members.
	ops.press("Enter")
	ops.waitFor("m members")
	ops.press("m")
	ops.waitFor("Acme › members", "admin@acme.example", "1 member")
	addMember := func(email string, admin bool) {
		t.Helper()
		ops.press("n")
		ops.waitFor("Acme › add member", "( ) admin")
		ops.typeText(email)
		ops.press("Enter")
		if admin {
			ops.press("Right")
			ops.waitFor("(•) admin")
		}
		ops.press("Enter")
		ops.typeText("member-password")
		ops.press("Enter")
		ops.typeText("member-password")
		ops.press("Enter")
	}
	addMember("second@acme.example", true)
	ops.waitFor("added second@acme.example to Acme as admin", "2 members")
	addMember("viewer@acme.example", false)
	ops.waitFor("added viewer@acme.example to Acme as viewer", "3 members")
	l, err := c.ListMembers(ctx, rpc.MemberListParams{Token: token, Org: "Acme"})
	if err != nil || l.Total != 3 {
		t.Fatalf("after adding in orgtui, member.list = %+v, %v", l, err)
	}
	for _, a := range l.Items {
		want := rpc.RoleAdmin
		if a.Email == "viewer@acme.example" {
			want = rpc.RoleViewer
		}
		if a.Role != want {
			t.Errorf("%s is %s, want %s", a.Email, a.Role, want)
		}
	}

	// The viewer logs in: nothing that writes is offered, and what they
	// try anyway does nothing.
	member := startTerminal(t, bin, d.Addr, filepath.Join(dir, "member"))
	member.login("viewer@acme.example", "member-password")
	member.waitFor("viewer@acme.example (viewer of Acme)")
	screen := member.waitForRow("Acme", "admin@acme.example", "active")
	for _, offer := range []string{"n new", "e edit", "d delete", "s suspend"} {
		if strings.Contains(screen, offer) {
			t.Errorf("the viewer's list offers %q:\n%s", offer, screen)
		}
	}
	member.press("e", "d")
	member.press("Enter")
	screen = member.waitFor("m members", "enter documents")
	for _, offer := range []string{"e edit", "d delete"} {
		if strings.Contains(screen, offer) {
			t.Errorf("the viewer's detail offers %q:\n%s", offer, screen)
		}
	}
	if strings.Contains(screen, "Edit Acme") || strings.Contains(screen, "Delete Acme?") {
		t.Errorf("e or d opened a change for the viewer:\n%s", screen)
	}
	member.press("m")
	screen = member.waitFor("Acme › members", "3 members")
	if strings.Contains(screen, "n add") || strings.Contains(screen, "d remove") {
		t.Errorf("the viewer's members page offers changes:\n%s", screen)
	}
	member.press("n")
	member.waitWithout("add member")
	if o, err := c.GetOrg(ctx, token, "Acme"); err != nil || o.Members != 3 || o.Name != "Acme" {
		t.Fatalf("after the viewer's keys orgd has %+v, %v", o, err)
	}

	// The admin logs in in the same terminal.
	member.press("L")
	member.login("second@acme.example", "member-password")
	member.waitFor("second@acme.example (admin of Acme)")
	member.waitForRow("Acme", "admin@acme.example", "active")

	// The operator suspends Acme, with a reason and its name typed.
	ops.press("Escape")
	ops.waitFor("enter documents")
	ops.press("Escape")
	ops.waitFor("Organizations", "Acme")
	ops.press("s")
	ops.waitFor("Suspend Acme?", "Reason")
	ops.typeText("unpaid invoice")
	ops.press("Enter")
	ops.typeText("Acme")
	ops.press("Enter")
	ops.waitFor("suspended")
	o, err := c.GetOrg(ctx, token, "Acme")
	if err != nil || o.State != rpc.StateSuspended || o.SuspendReason != "unpaid invoice" {
		t.Fatalf("after suspending in orgtui, org.get = %+v, %v", o, err)
	}

	// The admin's session is refused, and so is a new login.
	member.waitFor("Your organization is suspended")
	member.typeText("member-password")
	member.press("Enter")
	member.waitFor("Your organization is suspended")

	// The operator resumes it; the admin is back in.
	ops.press("s")
	ops.waitFor("Resume Acme?", "It is suspended since")
	ops.typeText("Acme")
	ops.press("Enter")
	ops.waitWithout("Resume Acme?")
	ops.waitWithout("suspended")
	if o, err := c.GetOrg(ctx, token, "Acme"); err != nil || o.State != rpc.StateActive {
		t.Fatalf("after resuming in orgtui, org.get = %+v, %v", o, err)
	}
	member.press("C-u")
	member.typeText("member-password")
	member.press("Enter")
	member.waitFor("second@acme.example (admin of Acme)")
	member.waitForRow("Acme", "admin@acme.example", "active")
}
