package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages/accounts"
	"github.com/orgd/orgd/internal/tui/pages/login"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func TestLogoutRevokesTheTokenFirst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fail error
	}{
		{"orgd revokes it", nil},
		{"an orgd without auth.logout still logs out", &rpc.Error{Code: rpc.CodeMethodNotFound, Message: "method not found"}},
		{"an unreachable orgd still logs out", rpc.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
			a.login()
			if tt.fail != nil {
				a.fake.FailNext(rpc.MethodAuthLogout, tt.fail)
			}
			a.d.Press("L")
			a.wantScreen("Logged out.", "Log in to orgd")
			if n := len(a.fake.CallsOf(rpc.MethodAuthLogout)); n != 1 {
				t.Errorf("auth.logout was called %d times, want once", n)
			}
			_, err := a.fake.Whoami(context.Background(), remotetest.Token)
			if revoked := rpc.ErrorCode(err) == rpc.CodeUnauthenticated; revoked != (tt.fail == nil) {
				t.Errorf("after logging out the token answers %v", err)
			}
			if a.model().session != nil {
				t.Error("the session stays")
			}
		})
	}
}

// memberFake is an orgd where opsEmail is an admin (or viewer) of Acme.
func memberFake(role string) *remotetest.Fake {
	f := operatorFake(remotetest.NewOrg("Acme", "admin@acme.example"), remotetest.NewOrg("Beta", "b@beta.example"))
	f.Role = role
	f.MemberOf = "Acme"
	return f
}

func TestAMembersSessionEndsWhenTheirOrganizationIsSuspended(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		suspend func(a *app)
	}{
		{"a call refused with -32010", func(a *app) {
			a.fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeSuspended, Message: `organization "Acme" is suspended`})
			a.d.Press("r")
		}},
		{"an event that says so", func(a *app) {
			o, _ := a.fake.Org("Acme")
			o.State = rpc.StateSuspended
			a.fake.Send(rpc.OrgEvent{Type: rpc.EventUpdated, Organization: o})
			a.d.Settle()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, memberFake(rpc.RoleAdmin), 80, 24)
			a.login()
			a.wantScreen("Acme", "admin of Acme")
			tt.suspend(a)
			a.wantScreen(login.SuspendedNotice, "Log in to orgd")
			if a.model().session != nil || len(a.model().stack) != 0 {
				t.Error("the session or its pages stay")
			}
			if strings.Contains(a.screen(), "ADMIN EMAIL") {
				t.Errorf("the organization list still shows under the login:\n%s", a.screen())
			}
		})
	}
}

func TestAMemberOfASuspendedOrganizationIsToldAtLogin(t *testing.T) {
	t.Parallel()
	f := memberFake(rpc.RoleViewer)
	f.Orgs[0].State = rpc.StateSuspended
	a := startApp(t, f, 80, 24)
	a.d.Press("ctrl+u")
	a.d.Type(opsEmail)
	a.d.Press("tab")
	a.d.Type(opsPassword)
	a.d.Press("enter")
	a.wantScreen(login.SuspendedNotice)
	if a.model().session != nil {
		t.Error("a member of a suspended organization was let in")
	}
}

func TestAnOperatorsSuspendedRefusalKeepsTheSession(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeSuspended, Message: `organization "Acme" is suspended`})
	a.d.Press("r")
	if a.model().session == nil || a.model().login != nil {
		t.Fatalf("an operator's -32010 ended the session:\n%s", a.screen())
	}
	a.wantScreen(`organization "Acme" is suspended`)
}

func TestChangingMyPasswordKeepsMeWhereIWas(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.d.Press("enter") // Acme's detail
	a.d.Press("P")
	a.wantScreen("Change my password", "Current password")
	a.d.Type(opsPassword)
	a.d.Press("enter")
	a.d.Type("a-new-password")
	a.d.Press("enter")
	a.d.Type("a-new-password")
	a.d.Press("enter")
	a.wantScreen("orgtui › Acme", "password changed; logged in again with the new one")
	if a.model().login != nil {
		t.Fatalf("the login dialog shows:\n%s", a.screen())
	}
	if !a.fake.LogsIn(opsEmail, "a-new-password") {
		t.Error("the password did not change")
	}
	// The session goes on: a reload works with the new token.
	a.d.Press("r")
	if a.model().login != nil {
		t.Errorf("after the change the next call ended the session:\n%s", a.screen())
	}
}

func TestTheOperatorsPageIsForOperatorsOnly(t *testing.T) {
	t.Parallel()
	for _, role := range []string{rpc.RoleOperator, rpc.RoleAdmin, rpc.RoleViewer} {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			f := memberFake(role)
			a := startApp(t, f, 80, 24)
			a.login()
			a.d.Press("A")
			_, opened := a.top().(accounts.Model)
			if opened != (role == rpc.RoleOperator) {
				t.Errorf("A opened the operators' page: %v", opened)
			}
			if opened {
				a.wantScreen("orgtui › Operators", "ops@example.com (you)")
			}
		})
	}
}

func TestAViewerIsOfferedNoChange(t *testing.T) {
	t.Parallel()
	f := memberFake(rpc.RoleViewer)
	f.PutDocuments("Acme", sampleDocuments...)
	a := startApp(t, f, 80, 24)
	a.login()
	screens := []struct {
		keys   []string
		title  string
		absent []string
	}{
		{nil, "orgtui › Organizations", []string{"n", "e", "d", "s", "A"}},
		{[]string{"enter"}, "orgtui › Acme", []string{"e", "d", "s"}},
		{[]string{"enter"}, "orgtui › Acme › documents", []string{"i", "e", "x"}},
		{[]string{"enter"}, "orgtui › Acme › 42", []string{"e", "x"}},
	}
	for _, s := range screens {
		a.d.Press(s.keys...)
		a.wantScreen(s.title)
		help := a.model().top().Help()
		for _, k := range s.absent {
			for _, col := range help.FullHelp() {
				for _, b := range col {
					if b.Enabled() && b.Help().Key == k {
						t.Errorf("%s offers %s %s to a viewer", s.title, k, b.Help().Desc)
					}
				}
			}
			before := len(a.model().stack)
			a.d.Press(k)
			if len(a.model().stack) != before || a.editor.Ran() {
				t.Errorf("%s on %s opened something for a viewer:\n%s", k, s.title, a.screen())
				a.d.Press("esc")
			}
		}
	}
	for _, m := range []string{rpc.MethodOrgUpdate, rpc.MethodOrgDelete, rpc.MethodOrgSuspend, rpc.MethodDataInsert, rpc.MethodDataUpdate, rpc.MethodDataDelete} {
		if n := len(a.fake.CallsOf(m)); n != 0 {
			t.Errorf("a viewer's keys called %s %d times", m, n)
		}
	}
}
