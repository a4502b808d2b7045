package tui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/pages/confirmdelete"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// A terminal in bracketed-paste mode (Bubble Tea asks for it) sends what
// is pasted as one tea.PasteMsg.

func TestAPastedPasswordLogsIn(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.d.Press("ctrl+u")
	a.d.Send(tea.PasteMsg{Content: opsEmail})
	a.d.Press("tab")
	a.d.Send(tea.PasteMsg{Content: opsPassword})
	if a.model().session != nil {
		t.Fatal("a paste logged in without enter")
	}
	a.d.Press("enter")
	if a.model().session == nil {
		t.Fatalf("the pasted email and password did not log in:\n%s", a.screen())
	}
	a.wantScreen("Acme", "ops@example.com (operator)")
}

func TestAPasteGoesToTheFieldThatHasTheFocus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		keys  []string
		paste string
		check func(a *app)
	}{
		{"into the organization filter", []string{"/"}, "beta", func(a *app) {
			a.d.SettleFor(2 * 250 * time.Millisecond)
			a.wantScreen("/ beta", "1 of 1")
		}},
		{"into the delete dialog, which it arms without deleting", []string{"d"}, "Acme", func(a *app) {
			d, ok := a.top().(confirmdelete.Model)
			if !ok || !d.Armed() {
				a.t.Fatalf("the delete dialog is not armed by the pasted name:\n%s", a.screen())
			}
			if n := len(a.fake.CallsOf(rpc.MethodOrgDelete)); n != 0 {
				a.t.Errorf("a paste deleted (%d calls)", n)
			}
			a.d.Press("enter")
			a.wantScreen("deleted Acme")
		}},
		{"into the new organization form", []string{"n"}, "Initech", func(a *app) {
			a.wantScreen("Name", "Initech")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test"), remotetest.NewOrg("Beta", "b@beta.test")), 80, 24)
			a.login()
			a.d.Press(tt.keys...)
			a.d.Send(tea.PasteMsg{Content: tt.paste})
			tt.check(a)
		})
	}
}

func TestAPasteWhereNothingIsTypedDoesNothing(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.d.Send(tea.PasteMsg{Content: "dnLq"})
	if a.d.Quit || len(a.model().stack) != 1 || a.model().session == nil {
		t.Errorf("pasted keys acted on the list:\n%s", a.screen())
	}
	a.wantScreen("orgtui › Organizations", "Acme")
}
