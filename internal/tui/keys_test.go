package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/pages/keys"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func TestKOpensMyOwnKeysForEveryRole(t *testing.T) {
	t.Parallel()
	for _, role := range []string{rpc.RoleOperator, rpc.RoleAdmin, rpc.RoleViewer} {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			f := memberFake(role)
			if role == rpc.RoleOperator {
				f = operatorFake(remotetest.NewOrg("Acme", "admin@acme.example"))
			}
			f.PutKey(opsEmail, remotetest.KeyLine(1, "ops@laptop"), "laptop")
			a := startApp(t, f, 80, 24)
			a.login()
			a.d.Press("?")
			a.wantScreen("K", "my ssh keys")
			a.step("esc", "K")
			p, ok := a.top().(keys.Model)
			if !ok || p.Email() != "" {
				t.Fatalf("K did not open my own keys:\n%s", a.screen())
			}
			a.wantScreen("orgtui › My SSH keys", "laptop", "SHA256:mXhe4VT8IZgX1fUCWPH5SZ")
			if calls := a.fake.CallsOf(rpc.MethodAuthKeysList); len(calls) != 1 || calls[0].Params.(rpc.KeyListParams).Email != "" {
				t.Errorf("auth.keys.list was called %+v, want once for my own", calls)
			}
		})
	}
}

func TestKIsTypedWhileAFieldHasTheFocus(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.d.Press("/", "K")
	if _, ok := a.top().(keys.Model); ok {
		t.Fatal("K opened the keys while typing in the filter")
	}
	a.wantScreen("/ K")
}

func TestAddingAndRemovingMyKeyInTheApp(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.d.Press("K")
	a.wantScreen("You have no SSH keys yet")
	a.d.Press("n")
	a.d.Send(tea.PasteMsg{Content: remotetest.KeyLine(1, "ops@laptop") + "\n"})
	a.d.Press("enter")
	a.wantScreen("orgtui › My SSH keys", "added the SSH key ops@laptop", "1 key", "SHA256:mXhe4VT8IZgX1fUCWPH5SZ3xupG1AvwouipH1zOKCA0")
	a.d.Press("d")
	a.wantScreen("Remove the SSH key ops@laptop?")
	a.d.Press("enter")
	a.wantScreen("removed the SSH key ops@laptop", "You have no SSH keys yet")
	if left := a.fake.Keys(opsEmail); len(left) != 0 {
		t.Errorf("orgd keeps %+v", left)
	}
	a.d.Press("esc")
	a.wantScreen("orgtui › Organizations")
}

func TestOperatorsOpenAnotherAccountsKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		keys  []string
		whose string // the page's email; empty: my own
	}{
		{"s on another operator opens theirs", []string{"A", "j", "s"}, "second@example.com"},
		{"s on myself opens my own", []string{"A", "s"}, ""},
		{"s on a member opens theirs", []string{"enter", "m", "j", "s"}, "viewer@acme.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := operatorFake(remotetest.NewOrg("Acme", "admin@acme.example"))
			f.PutOperator("second@example.com", "operator-password")
			f.PutMember("Acme", "viewer@acme.example", "member-password", rpc.RoleViewer)
			f.PutKey("second@example.com", remotetest.KeyLine(2, "second@desk"), "")
			f.PutKey("viewer@acme.example", remotetest.KeyLine(3, "viewer@phone"), "")
			a := startApp(t, f, 80, 24)
			a.login()
			a.step(tt.keys...)
			p, ok := a.top().(keys.Model)
			if !ok || p.Email() != tt.whose {
				t.Fatalf("%v opened %T for %q:\n%s", tt.keys, a.top(), tt.whose, a.screen())
			}
			calls := a.fake.CallsOf(rpc.MethodAuthKeysList)
			if len(calls) != 1 || calls[0].Params.(rpc.KeyListParams).Email != tt.whose {
				t.Errorf("auth.keys.list was called %+v", calls)
			}
			if tt.whose != "" {
				a.wantScreen("SSH keys of "+tt.whose, strings.Split(tt.whose, "@")[0]+"@")
			}
		})
	}
}

func TestAnAdminIsNotOfferedAMembersKeys(t *testing.T) {
	t.Parallel()
	f := memberFake(rpc.RoleAdmin)
	f.PutMember("Acme", "viewer@acme.example", "member-password", rpc.RoleViewer)
	a := startApp(t, f, 80, 24)
	a.login()
	a.step("enter", "m", "j")
	a.wantScreen("Acme › members")
	if strings.Contains(a.screen(), "s ssh keys") {
		t.Errorf("the members page offers an admin a member's keys:\n%s", a.screen())
	}
	a.d.Press("s")
	if _, ok := a.top().(keys.Model); ok {
		t.Error("s opened a member's keys for an admin")
	}
	if n := len(a.fake.CallsOf(rpc.MethodAuthKeysList)); n != 0 {
		t.Errorf("auth.keys.list was called %d times", n)
	}
}
