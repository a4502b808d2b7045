package daemon_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

const memberPassword = "member-password"

// addMember adds email to the organization name with role, failing the
// test on an error.
func addMember(t *testing.T, c *rpc.Client, token, name, email, role string) *rpc.Account {
	t.Helper()
	a, err := c.AddMember(ctxT(t), rpc.MemberAddParams{Token: token, Org: name, Email: email, Password: memberPassword, Role: role})
	if err != nil {
		t.Fatalf("add %s to %s as %s: %v", email, name, role, err)
	}
	return a
}

// login logs email in with password, failing the test on an error.
func login(t *testing.T, c *rpc.Client, email, password string) string {
	t.Helper()
	s, err := c.Login(ctxT(t), email, password)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return s.Token
}

// wantReason fails unless err is code with data.reason reason.
func wantReason(t *testing.T, err error, code int64, reason string) {
	t.Helper()
	e := wantCode(t, err, code)
	if e.Data == nil || e.Data.Reason != reason {
		t.Fatalf("error %q has data %+v, want reason %q", e.Message, e.Data, reason)
	}
}

func emails(l *rpc.AccountList) []string {
	var out []string
	for _, a := range l.Items {
		out = append(out, a.Email)
	}
	return out
}

func TestOperatorsAreManagedWhileOrgdRuns(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)

	second, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: "second@example.com", Password: "second-password"})
	if err != nil || second.Role != rpc.RoleOperator || second.Org != nil || second.LastLoginAt != nil {
		t.Fatalf("operator.create = %+v, %v", second, err)
	}
	t.Run("the new operator logs in, and the login is shown", func(t *testing.T) {
		tok := login(t, c, "second@example.com", "second-password")
		if w, err := c.Whoami(ctx, tok); err != nil || w.Role != rpc.RoleOperator {
			t.Fatalf("whoami = %+v, %v", w, err)
		}
		l, err := c.ListOperators(ctx, rpc.OperatorListParams{Token: op})
		if err != nil || l.Total != 2 {
			t.Fatalf("operator.list = %+v, %v", l, err)
		}
		for _, a := range l.Items {
			if a.Email == "second@example.com" && a.LastLoginAt == nil {
				t.Error("the new operator's last login is not shown")
			}
		}
	})
	t.Run("operator.list pages by email", func(t *testing.T) {
		l, err := c.ListOperators(ctx, rpc.OperatorListParams{Token: op, Limit: 1})
		if err != nil || len(l.Items) != 1 || l.NextCursor == "" || l.Total != 2 {
			t.Fatalf("first page = %+v, %v", l, err)
		}
		next, err := c.ListOperators(ctx, rpc.OperatorListParams{Token: op, Limit: 1, Cursor: l.NextCursor})
		if err != nil || len(next.Items) != 1 || next.NextCursor != "" || next.Items[0].Email == l.Items[0].Email {
			t.Fatalf("second page = %+v, %v", next, err)
		}
	})
	t.Run("an email any account uses is taken, in any case", func(t *testing.T) {
		create(t, c, op, "Taken Co")
		for _, email := range []string{"SECOND@example.com", adminEmail("Taken Co")} {
			_, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: email, Password: "third-password"})
			wantCode(t, err, rpc.CodeConflict)
		}
	})
	t.Run("bad params name their field", func(t *testing.T) {
		_, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: "not-an-email", Password: "third-password"})
		wantField(t, err, "email")
		_, err = c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: "third@example.com", Password: "short"})
		wantField(t, err, "password")
		_, err = c.ListOperators(ctx, rpc.OperatorListParams{Token: op, Limit: 501})
		wantField(t, err, "limit")
	})
	t.Run("an admin may not manage operators", func(t *testing.T) {
		admin := adminLogin(t, c, "Taken Co")
		_, err := c.ListOperators(ctx, rpc.OperatorListParams{Token: admin})
		wantCode(t, err, rpc.CodeForbidden)
		_, err = c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: admin, Email: "third@example.com", Password: "third-password"})
		wantCode(t, err, rpc.CodeForbidden)
		wantCode(t, c.DeleteOperator(ctx, admin, "second@example.com"), rpc.CodeForbidden)
	})
	t.Run("operator.update gives a new password and revokes the old tokens", func(t *testing.T) {
		old := login(t, c, "second@example.com", "second-password")
		if _, err := c.UpdateOperator(ctx, rpc.OperatorUpdateParams{Token: op, Email: "second@example.com", Password: "second-password-2"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Whoami(ctx, old)
		wantCode(t, err, rpc.CodeUnauthenticated)
		_, err = c.Login(ctx, "second@example.com", "second-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
		login(t, c, "second@example.com", "second-password-2")
		_, err = c.UpdateOperator(ctx, rpc.OperatorUpdateParams{Token: op, Email: "nobody@example.com", Password: "whatever-password"})
		wantCode(t, err, rpc.CodeNotFound)
	})
	t.Run("a deleted operator's tokens stop working", func(t *testing.T) {
		tok := login(t, c, "second@example.com", "second-password-2")
		if err := c.DeleteOperator(ctx, op, "second@example.com"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Whoami(ctx, tok)
		wantCode(t, err, rpc.CodeUnauthenticated)
		wantCode(t, c.DeleteOperator(ctx, op, "second@example.com"), rpc.CodeNotFound)
	})
	t.Run("the last operator is never deleted", func(t *testing.T) {
		w, err := c.Whoami(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		wantReason(t, c.DeleteOperator(ctx, op, w.Email), rpc.CodeConflict, rpc.ReasonLastOperator)
	})
	checkClean(t, d)
}

func TestMembersAndTheirRoles(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	create(t, c, op, "Beta")
	admin := adminLogin(t, c, "Acme")

	second := addMember(t, c, admin, "Acme", "second-admin@acme.example", rpc.RoleAdmin)
	if second.Role != rpc.RoleAdmin || second.Org == nil || second.Org.Name != "Acme" {
		t.Fatalf("member.add = %+v", second)
	}
	addMember(t, c, op, "Acme", "viewer@acme.example", rpc.RoleViewer)
	viewer := login(t, c, "viewer@acme.example", memberPassword)

	t.Run("the organization shows its admins oldest first and counts its members", func(t *testing.T) {
		o, err := c.GetOrg(ctx, viewer, "Acme")
		if err != nil || !slices.Equal(o.Admins, []string{adminEmail("Acme"), "second-admin@acme.example"}) || o.Members != 3 || o.AdminEmail != adminEmail("Acme") {
			t.Fatalf("org.get = %+v, %v", o, err)
		}
	})
	t.Run("members are listed to operators and to the organization's members, by email", func(t *testing.T) {
		want := []string{adminEmail("Acme"), "second-admin@acme.example", "viewer@acme.example"}
		slices.Sort(want)
		for _, tok := range []string{op, admin, viewer} {
			l, err := c.ListMembers(ctx, rpc.MemberListParams{Token: tok, Org: "Acme"})
			if err != nil || !slices.Equal(emails(l), want) || l.Total != 3 {
				t.Fatalf("member.list = %v, %v; want %v", emails(l), err, want)
			}
		}
		_, err := c.ListMembers(ctx, rpc.MemberListParams{Token: viewer, Org: "Beta"})
		wantCode(t, err, rpc.CodeNotFound)
	})
	t.Run("a viewer reads but may not write", func(t *testing.T) {
		if _, err := c.OrgStats(ctx, viewer, "Acme"); err != nil {
			t.Errorf("org.stats: %v", err)
		}
		if _, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: viewer, Org: "Acme"}); err != nil {
			t.Errorf("data.find: %v", err)
		}
		if _, err := c.CountDocuments(ctx, rpc.DataCountParams{Token: viewer, Org: "Acme"}); err != nil {
			t.Errorf("data.count: %v", err)
		}
		if _, err := c.ListIndexes(ctx, rpc.DataIndexesParams{Token: viewer, Org: "Acme"}); err != nil {
			t.Errorf("data.indexes.list: %v", err)
		}
		name := "Acme 2"
		_, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: viewer, Name: "Acme", NewName: &name})
		wantCode(t, err, rpc.CodeForbidden)
		_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: viewer, Org: "Acme", Documents: []json.RawMessage{json.RawMessage(`{"a":1}`)}})
		wantCode(t, err, rpc.CodeForbidden)
		_, err = c.AddMember(ctx, rpc.MemberAddParams{Token: viewer, Org: "Acme", Email: "x@acme.example", Password: memberPassword, Role: rpc.RoleViewer})
		wantCode(t, err, rpc.CodeForbidden)
		wantCode(t, c.DeleteOrg(ctx, viewer, "Acme"), rpc.CodeForbidden)
		_, err = c.CreateIndex(ctx, rpc.DataIndexCreateParams{Token: viewer, Org: "Acme", Keys: json.RawMessage(`{"a":1}`)})
		wantCode(t, err, rpc.CodeForbidden)
	})
	t.Run("an admin manages only their own organization's members", func(t *testing.T) {
		_, err := c.AddMember(ctx, rpc.MemberAddParams{Token: admin, Org: "Beta", Email: "x@beta.example", Password: memberPassword, Role: rpc.RoleViewer})
		wantCode(t, err, rpc.CodeNotFound)
		wantCode(t, c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: admin, Org: "Beta", Email: adminEmail("Beta")}), rpc.CodeNotFound)
		wantCode(t, c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: admin, Org: "Acme", Email: adminEmail("Beta")}), rpc.CodeNotFound)
	})
	t.Run("bad params name their field", func(t *testing.T) {
		_, err := c.AddMember(ctx, rpc.MemberAddParams{Token: admin, Org: "Acme", Email: "x@acme.example", Password: memberPassword, Role: "owner"})
		wantField(t, err, "role")
		_, err = c.AddMember(ctx, rpc.MemberAddParams{Token: admin, Org: "Acme", Email: "x", Password: memberPassword, Role: rpc.RoleViewer})
		wantField(t, err, "email")
		_, err = c.AddMember(ctx, rpc.MemberAddParams{Token: admin, Org: "Acme", Email: "x@acme.example", Password: "short", Role: rpc.RoleViewer})
		wantField(t, err, "password")
		_, err = c.AddMember(ctx, rpc.MemberAddParams{Token: admin, Org: "Acme", Email: "viewer@ACME.example", Password: memberPassword, Role: rpc.RoleViewer})
		wantCode(t, err, rpc.CodeConflict)
		_, err = c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: admin, Org: "Acme", Email: "nobody@acme.example", Password: ptr("new-password")})
		if e := wantCode(t, err, rpc.CodeNotFound); e.Data == nil || e.Data.Field != "email" {
			t.Fatalf("an unknown member's error names %+v, want email", e.Data)
		}
	})
	t.Run("a role change revokes the member's tokens and takes effect", func(t *testing.T) {
		tok := login(t, c, "viewer@acme.example", memberPassword)
		a, err := c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: admin, Org: "Acme", Email: "viewer@acme.example", Role: ptr(rpc.RoleAdmin)})
		if err != nil || a.Role != rpc.RoleAdmin {
			t.Fatalf("member.update = %+v, %v", a, err)
		}
		_, err = c.Whoami(ctx, tok)
		wantCode(t, err, rpc.CodeUnauthenticated)
		s, err := c.Login(ctx, "viewer@acme.example", memberPassword)
		if err != nil || s.Role != rpc.RoleAdmin || s.Org == nil || s.Org.Name != "Acme" {
			t.Fatalf("login after promotion = %+v, %v", s, err)
		}
		if _, err := c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: op, Org: "Acme", Email: "viewer@acme.example", Role: ptr(rpc.RoleViewer)}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a password reset revokes the member's tokens", func(t *testing.T) {
		tok := login(t, c, "viewer@acme.example", memberPassword)
		if _, err := c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: admin, Org: "Acme", Email: "viewer@acme.example", Password: ptr("viewer-password-2")}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Whoami(ctx, tok)
		wantCode(t, err, rpc.CodeUnauthenticated)
		viewer = login(t, c, "viewer@acme.example", "viewer-password-2")
	})
	t.Run("the last admin is never demoted nor removed", func(t *testing.T) {
		if err := c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: admin, Org: "Acme", Email: "second-admin@acme.example"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: op, Org: "Acme", Email: adminEmail("Acme"), Role: ptr(rpc.RoleViewer)})
		wantReason(t, err, rpc.CodeConflict, rpc.ReasonLastAdmin)
		wantReason(t, c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: admin, Org: "Acme", Email: adminEmail("Acme")}), rpc.CodeConflict, rpc.ReasonLastAdmin)
		o, _ := c.GetOrg(ctx, op, "Acme")
		if !slices.Equal(o.Admins, []string{adminEmail("Acme")}) || o.Members != 2 {
			t.Fatalf("after the refusals: admins %v, members %d", o.Admins, o.Members)
		}
	})
	t.Run("a removed member's tokens stop working and the email is free again", func(t *testing.T) {
		if err := c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: op, Org: "Acme", Email: "viewer@acme.example"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Whoami(ctx, viewer)
		wantCode(t, err, rpc.CodeUnauthenticated)
		_, err = c.Login(ctx, "viewer@acme.example", "viewer-password-2")
		wantCode(t, err, rpc.CodeUnauthenticated)
		addMember(t, c, op, "Beta", "viewer@acme.example", rpc.RoleViewer)
	})
	t.Run("deleting an organization removes its members", func(t *testing.T) {
		tok := login(t, c, "viewer@acme.example", memberPassword)
		if err := c.DeleteOrg(ctx, op, "Beta"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Whoami(ctx, tok)
		wantCode(t, err, rpc.CodeUnauthenticated)
		addMember(t, c, op, "Acme", "viewer@acme.example", rpc.RoleViewer)
	})
	checkClean(t, d)
}

func TestOwnPasswordAndLogout(t *testing.T) {
	top := t
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	email := adminEmail("Acme")

	t.Run("a wrong current password changes nothing", func(t *testing.T) {
		tok := login(t, c, email, adminPassword)
		e := wantCode(t, c.ChangePassword(ctx, tok, "wrong-password", "admin-password-2"), rpc.CodeUnauthenticated)
		if e.Data == nil || e.Data.Field != "current_password" {
			t.Fatalf("error data %+v, want field current_password", e.Data)
		}
		wantField(t, c.ChangePassword(ctx, tok, adminPassword, "short"), "new_password")
		if _, err := c.Whoami(ctx, tok); err != nil {
			t.Fatalf("the token stopped working: %v", err)
		}
	})
	t.Run("a changed password revokes every token, the caller's too", func(t *testing.T) {
		tok1, tok2 := login(t, c, email, adminPassword), login(t, c, email, adminPassword)
		if err := c.ChangePassword(ctx, tok1, adminPassword, "admin-password-2"); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{tok1, tok2} {
			_, err := c.Whoami(ctx, tok)
			wantCode(t, err, rpc.CodeUnauthenticated)
		}
		_, err := c.Login(ctx, email, adminPassword)
		wantCode(t, err, rpc.CodeUnauthenticated)
		login(t, c, email, "admin-password-2")
	})
	t.Run("logout revokes that token only", func(t *testing.T) {
		tok1, tok2 := login(t, c, email, "admin-password-2"), login(t, c, email, "admin-password-2")
		if err := c.Logout(ctx, tok1, false); err != nil {
			t.Fatal(err)
		}
		_, err := c.Whoami(ctx, tok1)
		wantCode(t, err, rpc.CodeUnauthenticated)
		if _, err := c.Whoami(ctx, tok2); err != nil {
			t.Fatalf("another token of the account: %v", err)
		}
	})
	t.Run("logout with all revokes every token of the account", func(t *testing.T) {
		tok1, tok2 := login(t, c, email, "admin-password-2"), login(t, c, email, "admin-password-2")
		if err := c.Logout(ctx, tok1, true); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{tok1, tok2} {
			_, err := c.Whoami(ctx, tok)
			wantCode(t, err, rpc.CodeUnauthenticated)
		}
		login(t, c, email, "admin-password-2")
	})
	t.Run("a revoked token stays revoked after a restart", func(t *testing.T) {
		tok := login(t, c, email, "admin-password-2")
		if err := c.Logout(ctx, tok, false); err != nil {
			t.Fatal(err)
		}
		d.Stop(t)
		d = testenv.Start(top, testenv.Options{DataDir: d.DataDir, Embedded: true})
		_, err := d.Client(t).Whoami(ctx, tok)
		wantCode(t, err, rpc.CodeUnauthenticated)
	})
	checkClean(t, d)
}

func TestSuspension(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	if _, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: admin, Org: "Acme", Documents: []json.RawMessage{json.RawMessage(`{"_id":1,"kept":true}`)}}); err != nil {
		t.Fatal(err)
	}
	events, err := d.Client(t).Subscribe(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	adminEvents, err := d.Client(t).Subscribe(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.SuspendOrg(ctx, admin, "Acme", "no")
	wantCode(t, err, rpc.CodeForbidden)
	_, err = c.SuspendOrg(ctx, op, "Acme", strings.Repeat("r", 257))
	wantField(t, err, "reason")
	o, err := c.SuspendOrg(ctx, op, "Acme", "unpaid invoice")
	if err != nil || o.State != rpc.StateSuspended || o.SuspendReason != "unpaid invoice" || o.SuspendedAt == nil {
		t.Fatalf("org.suspend = %+v, %v", o, err)
	}

	t.Run("the suspension is an event, with when and why", func(t *testing.T) {
		ev := nextEvent(t, events, func(ev rpc.OrgEvent) bool { return ev.Organization.Name == "Acme" })
		if ev.Type != rpc.EventUpdated || ev.Organization.State != rpc.StateSuspended || ev.Organization.SuspendReason != "unpaid invoice" {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("its members are told by the event, and then nothing more", func(t *testing.T) {
		ev := nextEvent(t, adminEvents, func(rpc.OrgEvent) bool { return true })
		if ev.Organization.State != rpc.StateSuspended {
			t.Fatalf("the admin's event %+v", ev)
		}
	})
	t.Run("operators see it suspended in org.get and org.list", func(t *testing.T) {
		got, err := c.GetOrg(ctx, op, "Acme")
		if err != nil || got.State != rpc.StateSuspended || got.SuspendedAt == nil || got.SuspendReason != "unpaid invoice" {
			t.Fatalf("org.get = %+v, %v", got, err)
		}
		l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: op})
		if err != nil || len(l.Items) != 1 || l.Items[0].State != rpc.StateSuspended {
			t.Fatalf("org.list = %+v, %v", l, err)
		}
	})
	t.Run("its members' tokens and logins are refused as suspended", func(t *testing.T) {
		_, err := c.GetOrg(ctx, admin, "Acme")
		wantCode(t, err, rpc.CodeSuspended)
		_, err = c.Whoami(ctx, admin)
		wantCode(t, err, rpc.CodeSuspended)
		_, err = c.Login(ctx, adminEmail("Acme"), adminPassword)
		e := wantCode(t, err, rpc.CodeSuspended)
		if !strings.Contains(e.Message, "unpaid invoice") {
			t.Fatalf("the refusal %q does not say why", e.Message)
		}
		_, err = c.Login(ctx, adminEmail("Acme"), "wrong-password")
		wantCode(t, err, rpc.CodeUnauthenticated)
	})
	t.Run("operators read its data but change nothing in it", func(t *testing.T) {
		found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme"})
		if err != nil || len(found.Documents) != 1 {
			t.Fatalf("data.find = %+v, %v", found, err)
		}
		_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Acme", Documents: []json.RawMessage{json.RawMessage(`{"a":1}`)}})
		wantCode(t, err, rpc.CodeSuspended)
		_, err = c.AddMember(ctx, rpc.MemberAddParams{Token: op, Org: "Acme", Email: "x@acme.example", Password: memberPassword, Role: rpc.RoleViewer})
		wantCode(t, err, rpc.CodeSuspended)
		name := "Acme 2"
		_, err = c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Acme", NewName: &name})
		wantCode(t, err, rpc.CodeSuspended)
		_, err = c.SuspendOrg(ctx, op, "Acme", "again")
		wantCode(t, err, rpc.CodeConflict)
	})
	t.Run("resume restores everything, passwords included", func(t *testing.T) {
		_, err := c.ResumeOrg(ctx, admin, "Acme")
		wantCode(t, err, rpc.CodeSuspended)
		o, err := c.ResumeOrg(ctx, op, "Acme")
		if err != nil || o.State != rpc.StateActive || o.SuspendedAt != nil || o.SuspendReason != "" {
			t.Fatalf("org.resume = %+v, %v", o, err)
		}
		if _, err := c.GetOrg(ctx, admin, "Acme"); err != nil {
			t.Fatalf("the admin's token of before: %v", err)
		}
		// The subscription of the suspended admin ended with the
		// suspension: the resumption is not sent to it.
		select {
		case ev, ok := <-adminEvents:
			if ok {
				t.Fatalf("the admin's old subscription still gets events: %+v", ev)
			}
		case <-time.After(500 * time.Millisecond):
		}
		login(t, c, adminEmail("Acme"), adminPassword)
		_, err = c.ResumeOrg(ctx, op, "Acme")
		wantCode(t, err, rpc.CodeConflict)
	})
	t.Run("operators delete a suspended organization", func(t *testing.T) {
		if _, err := c.SuspendOrg(ctx, op, "Acme", ""); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteOrg(ctx, op, "Acme"); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetOrg(ctx, op, "Acme")
		wantCode(t, err, rpc.CodeNotFound)
	})
	checkClean(t, d)
}

func TestLabels(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	mk := func(name string, labels map[string]string) {
		t.Helper()
		if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: name, AdminEmail: adminEmail(name), AdminPassword: adminPassword, Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	mk("Prod Gold", map[string]string{"env": "prod", "tier": "gold"})
	mk("Prod Free", map[string]string{"env": "prod", "tier": "free"})
	mk("Dev", map[string]string{"env": "dev", "example.com/team": "platform"})
	mk("Plain", nil)

	names := func(selector string) []string {
		t.Helper()
		l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Selector: selector})
		if err != nil {
			t.Fatalf("selector %q: %v", selector, err)
		}
		var out []string
		for _, o := range l.Items {
			out = append(out, o.Name)
		}
		return out
	}
	selections := []struct{ selector, want string }{
		{"", "Dev,Plain,Prod Free,Prod Gold"},
		{"env=prod", "Prod Free,Prod Gold"},
		{"env=prod,tier!=free", "Prod Gold"},
		{"example.com/team", "Dev"},
		{"!env", "Plain"},
	}
	for _, s := range selections {
		t.Run("selector "+s.selector+" lists "+s.want, func(t *testing.T) {
			if got := strings.Join(names(s.selector), ","); got != s.want {
				t.Fatalf("got %s", got)
			}
		})
	}
	t.Run("labels are shown, and {} when there are none", func(t *testing.T) {
		o, err := c.GetOrg(ctx, op, "Prod Gold")
		if err != nil || o.Labels["tier"] != "gold" {
			t.Fatalf("org.get = %+v, %v", o, err)
		}
		raw := d.Dial(t).Call(rpc.MethodOrgGet, 1, map[string]string{"token": op, "name": "Plain"})
		if !strings.Contains(string(raw.Result), `"labels":{}`) {
			t.Fatalf("org.get of an organization without labels: %s", raw.Result)
		}
	})
	t.Run("org.update replaces the labels, and null leaves them", func(t *testing.T) {
		labels := map[string]string{"env": "dev"}
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Prod Free", Labels: &labels}); err != nil {
			t.Fatal(err)
		}
		newName := "Was Free"
		o, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Prod Free", NewName: &newName})
		if err != nil || len(o.Labels) != 1 || o.Labels["env"] != "dev" {
			t.Fatalf("after a rename the labels are %v, %v", o.Labels, err)
		}
		if got := strings.Join(names("env=dev"), ","); got != "Dev,Was Free" {
			t.Fatalf("env=dev lists %s", got)
		}
		empty := map[string]string{}
		if o, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Was Free", Labels: &empty}); err != nil || len(o.Labels) != 0 {
			t.Fatalf("labels {} gives %v, %v", o.Labels, err)
		}
	})
	t.Run("bad labels and selectors name their field", func(t *testing.T) {
		_, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Bad", AdminEmail: "bad@example.com", AdminPassword: adminPassword,
			Labels: map[string]string{"-bad-": "x"}})
		wantField(t, err, "labels")
		many := map[string]string{}
		for i := range 33 {
			many[strings.Repeat("k", i+1)] = "v"
		}
		_, err = c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Dev", Labels: &many})
		wantField(t, err, "labels")
		_, err = c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Selector: "env=prod,,tier"})
		wantField(t, err, "selector")
	})
	checkClean(t, d)
}

// TestAccountChangesAreAudited: every account change, suspension and
// resumption is in the audit trail with who did it, to whom and from
// where, and no password, hash or token is.
func TestAccountChangesAreAudited(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	addMember(t, c, op, "Acme", "viewer@acme.example", rpc.RoleViewer)
	if _, err := c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: op, Org: "Acme", Email: "viewer@acme.example", Role: ptr(rpc.RoleAdmin), Password: ptr("secret-password-9")}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: op, Org: "Acme", Email: "viewer@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: "second@example.com", Password: "second-password"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteOperator(ctx, op, "second@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendOrg(ctx, op, "Acme", "audit me"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResumeOrg(ctx, op, "Acme"); err != nil {
		t.Fatal(err)
	}
	admin := adminLogin(t, c, "Acme")
	if err := c.ChangePassword(ctx, admin, adminPassword, "admin-password-2"); err != nil {
		t.Fatal(err)
	}

	cur, err := d.Store().Database().Collection("audit").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []bson.M
	if err := cur.All(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // action → target
		"member.add": "viewer@acme.example", "member.role": "viewer@acme.example", "member.password": "viewer@acme.example",
		"member.remove": "viewer@acme.example", "operator.create": "second@example.com", "operator.delete": "second@example.com",
		"org.suspend": "", "org.resume": "", "auth.password": adminEmail("Acme"),
	}
	found := map[string]bool{}
	for _, e := range entries {
		text, _ := json.Marshal(e)
		for _, secret := range []string{"secret-password-9", "second-password", adminPassword, "admin-password-2", "$2a$", op, admin} {
			if strings.Contains(string(text), secret) {
				t.Errorf("an audit entry holds a secret: %s", text)
			}
		}
		action, _ := e["action"].(string)
		target, ok := want[action]
		if !ok {
			continue
		}
		found[action] = true
		if e["actor"] == nil || e["peer"] == nil || !strings.HasPrefix(e["peer"].(string), "uid:") {
			t.Errorf("%s has no actor or peer: %s", action, text)
		}
		if target != "" && e["target"] != target {
			t.Errorf("%s names target %v, want %s", action, e["target"], target)
		}
		if strings.HasPrefix(action, "org.") && e["org_name"] != "Acme" {
			t.Errorf("%s names organization %v, want Acme", action, e["org_name"])
		}
	}
	for action := range want {
		if !found[action] {
			t.Errorf("no audit entry for %s", action)
		}
	}
}

func ptr[T any](v T) *T { return &v }
