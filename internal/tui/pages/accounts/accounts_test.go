package accounts

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/accountconfirm"
	"github.com/orgd/orgd/internal/tui/pages/accountform"
	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/pages/password"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// operators is an orgd whose operators are ops@example.com (signed in)
// and others.
func operators(others ...string) *remotetest.Fake {
	f := &remotetest.Fake{
		Orgs:     []rpc.Organization{remotetest.NewOrg("Acme", "admin@acme.test")},
		Accounts: map[string]string{"ops@example.com": "operator-password"},
	}
	for _, e := range others {
		f.PutOperator(e, "operator-password")
	}
	return f
}

func start(t *testing.T, f *remotetest.Fake) *pagetest.Harness {
	t.Helper()
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	return pagetest.Start(t, f, c, New(c))
}

func TestTheOperatorsAreListedWithoutMembers(t *testing.T) {
	t.Parallel()
	f := operators("b@example.com", "a@example.com")
	h := start(t, f)
	var emails []string
	for _, a := range h.Page.(Model).List().Items() {
		emails = append(emails, a.Email)
	}
	if got := strings.Join(emails, " "); got != "a@example.com b@example.com ops@example.com" {
		t.Errorf("the page lists %q, want the three operators by email (not Acme's admin)", got)
	}
	screen := h.Screen()
	for _, want := range []string{"3 operators", "ops@example.com (you)", "LAST LOGIN", "CREATED", "2026-03-14"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the page does not show %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "ROLE") {
		t.Errorf("the operators' list has a role column:\n%s", screen)
	}
}

func TestKeysOnTheOperatorsPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		others []string
		keys   []string
		opens  string
		flash  string
	}{
		{name: "n adds an operator", keys: []string{"n"}, opens: "accountform"},
		{name: "d removes another operator", others: []string{"a@example.com"}, keys: []string{"d"}, opens: "accountconfirm"},
		{name: "p on my own row changes my password", others: []string{"a@example.com"}, keys: []string{"j", "p"}, opens: "password"},
		{name: "p on another operator sets their password", others: []string{"a@example.com"}, keys: []string{"p"}, opens: "accountform"},
		{name: "d on the only operator says why not", keys: []string{"d"},
			flash: "ops@example.com is the only operator left, and orgd keeps one: add another first."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, operators(tt.others...))
			h.D.Press(tt.keys...)
			switch {
			case tt.opens != "":
				if len(h.Opened) != 1 || kind(h.Opened[0]) != tt.opens {
					t.Errorf("%v opened %v, want %s", tt.keys, h.Opened, tt.opens)
				}
			default:
				if len(h.Opened) != 0 {
					t.Errorf("%v opened %T", tt.keys, h.Opened[0])
				}
				if got := h.LastFlash(); got != tt.flash {
					t.Errorf("%v says %q, want %q", tt.keys, got, tt.flash)
				}
			}
		})
	}
}

func TestTheOnlyOperatorIsNotOfferedForRemoval(t *testing.T) {
	t.Parallel()
	h := start(t, operators())
	if h.Offers("d") {
		t.Error("d is offered on the only operator")
	}
	if !h.Offers("n") || !h.Offers("p") {
		t.Error("n and p are not offered")
	}
	h2 := start(t, operators("a@example.com"))
	if !h2.Offers("d") {
		t.Error("with two operators, d is not offered")
	}
	if !h2.Offers("p") {
		t.Error("p is not offered on another operator")
	}
}

func TestAnAddedOperatorIsSelected(t *testing.T) {
	t.Parallel()
	f := operators("a@example.com")
	h := start(t, f)
	f.PutOperator("z@example.com", "operator-password")
	h.D.Send(pages.AccountsChanged{Email: "z@example.com"})
	if a, _ := h.Page.(Model).List().Selected(); a.Email != "z@example.com" {
		t.Errorf("after adding, the cursor is on %q", a.Email)
	}
	h.D.Send(pages.AccountsChanged{Org: "id_acme", Email: "v@acme.test"})
	if n := len(f.CallsOf(rpc.MethodOperatorList)); n != 2 {
		t.Errorf("operator.list was called %d times, want twice (a member's change is not the operators')", n)
	}
}

func kind(p pages.Page) string {
	switch p.(type) {
	case accountform.Model:
		return "accountform"
	case accountconfirm.Model:
		return "accountconfirm"
	case password.Model:
		return "password"
	}
	return "other"
}
