package members

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

// acme is an orgd with Acme, whose admin is admin@acme.test, and the
// members given as email → role; the signed-in account (Token) is
// signer, of role.
func acme(role, signer string, members map[string]string) *remotetest.Fake {
	f := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "admin@acme.test")}, Role: role}
	if signer != "" {
		f.Accounts = map[string]string{signer: "signer-password"}
	}
	for email, r := range members {
		f.PutMember("Acme", email, "member-password", r)
	}
	return f
}

func start(t *testing.T, f *remotetest.Fake, role, email string) *pagetest.Harness {
	t.Helper()
	o, _ := f.Org("Acme")
	var ref *rpc.OrgRef
	if role != rpc.RoleOperator {
		ref = &rpc.OrgRef{ID: o.ID, Name: o.Name}
	}
	c := pagetest.Common(f, role, email, ref)
	return pagetest.Start(t, f, c, New(c, o))
}

func (m Model) emails() []string {
	var out []string
	for _, a := range m.list.Items() {
		out = append(out, a.Email)
	}
	return out
}

func TestTheListShowsEveryMemberWithRoleAndLogins(t *testing.T) {
	t.Parallel()
	f := acme(rpc.RoleAdmin, "boss@acme.test", map[string]string{"zed@acme.test": rpc.RoleViewer, "Amy@acme.test": rpc.RoleViewer})
	h := start(t, f, rpc.RoleAdmin, "boss@acme.test")
	got := strings.Join(h.Page.(Model).emails(), " ")
	if want := "admin@acme.test Amy@acme.test boss@acme.test zed@acme.test"; got != want {
		t.Errorf("the members are listed as %q, want %q (by email, case-insensitively)", got, want)
	}
	screen := h.Screen()
	for _, want := range []string{"EMAIL", "ROLE", "CREATED", "LAST LOGIN", "4 members", "boss@acme.test (you)", "viewer", "never"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the page does not show %q:\n%s", want, screen)
		}
	}
}

func TestWhatIsOfferedFollowsTheRoleAndTheMember(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		role      string
		members   map[string]string
		suspended bool
		select_   int // rows down from the first (admin@acme.test)
		offered   []string
		hidden    []string
	}{
		{name: "an operator on a viewer is offered everything", role: rpc.RoleOperator,
			members: map[string]string{"v@acme.test": rpc.RoleViewer}, select_: 1, offered: []string{"n", "e", "p", "d"}},
		{name: "an admin on a viewer is offered everything", role: rpc.RoleAdmin,
			members: map[string]string{"v@acme.test": rpc.RoleViewer}, select_: 1, offered: []string{"n", "e", "p", "d"}},
		{name: "the only admin is not offered for removal or demotion", role: rpc.RoleOperator,
			members: map[string]string{"v@acme.test": rpc.RoleViewer}, offered: []string{"n", "p"}, hidden: []string{"e", "d"}},
		{name: "one of two admins is offered for removal and demotion", role: rpc.RoleOperator,
			members: map[string]string{"second@acme.test": rpc.RoleAdmin}, offered: []string{"n", "e", "p", "d"}},
		{name: "a viewer is offered nothing", role: rpc.RoleViewer,
			members: map[string]string{"v@acme.test": rpc.RoleViewer}, select_: 1, hidden: []string{"n", "e", "p", "d"}},
		{name: "nothing is offered while the organization is suspended", role: rpc.RoleOperator, suspended: true,
			members: map[string]string{"v@acme.test": rpc.RoleViewer}, select_: 1, hidden: []string{"n", "e", "p", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme(tt.role, "", tt.members)
			if tt.suspended {
				f.Orgs[0].State = rpc.StateSuspended
			}
			h := start(t, f, tt.role, "someone@example.com")
			for range tt.select_ {
				h.D.Press("j")
			}
			for _, k := range tt.offered {
				if !h.Offers(k) {
					t.Errorf("%s is not offered", k)
				}
			}
			for _, k := range tt.hidden {
				if h.Offers(k) {
					t.Errorf("%s is offered", k)
				}
				h.D.Press(k)
			}
			if len(h.Opened) != 0 {
				t.Errorf("keys that are not offered opened %T", h.Opened[0])
			}
		})
	}
}

func TestKeysOpenTheFormsAndDialogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want any
	}{
		{"n", accountform.Model{}},
		{"e", accountconfirm.Model{}},
		{"p", accountform.Model{}},
		{"d", accountconfirm.Model{}},
	}
	for _, tt := range tests {
		t.Run(tt.key+" opens a page", func(t *testing.T) {
			t.Parallel()
			f := acme(rpc.RoleOperator, "", map[string]string{"v@acme.test": rpc.RoleViewer})
			h := start(t, f, rpc.RoleOperator, "ops@example.com")
			h.D.Press("j", tt.key)
			if len(h.Opened) != 1 {
				t.Fatalf("%s opened %d pages", tt.key, len(h.Opened))
			}
			if got, want := typeName(h.Opened[0]), typeName(tt.want); got != want {
				t.Errorf("%s opened %s, want %s", tt.key, got, want)
			}
		})
	}
}

func TestTheOnlyAdminIsKeptAndTheReasonSaid(t *testing.T) {
	t.Parallel()
	f := acme(rpc.RoleOperator, "", map[string]string{"v@acme.test": rpc.RoleViewer})
	h := start(t, f, rpc.RoleOperator, "ops@example.com")
	if !strings.Contains(h.Screen(), "admin@acme.test is the only admin") {
		t.Errorf("the page does not say who the only admin is:\n%s", h.Screen())
	}
	for _, k := range []string{"d", "e"} {
		h.D.Press(k)
		if len(h.Opened) != 0 {
			t.Fatalf("%s on the only admin opened %T", k, h.Opened[0])
		}
		if got := h.LastFlash(); !strings.Contains(got, "admin@acme.test is the only admin: make another member admin first") {
			t.Errorf("%s on the only admin says %q", k, got)
		}
	}
}

func TestMyOwnPasswordIsChangedWithTheCurrentOne(t *testing.T) {
	t.Parallel()
	f := acme(rpc.RoleAdmin, "boss@acme.test", nil)
	h := start(t, f, rpc.RoleAdmin, "boss@acme.test")
	h.D.Press("j", "p") // boss@acme.test, after admin@acme.test
	if len(h.Opened) != 1 {
		t.Fatalf("p opened %d pages", len(h.Opened))
	}
	if _, ok := h.Opened[0].(password.Model); !ok {
		t.Errorf("p on my own row opened %T, want the password form", h.Opened[0])
	}
}

func TestAChangedMemberIsLoadedAgainAndSelected(t *testing.T) {
	t.Parallel()
	f := acme(rpc.RoleOperator, "", map[string]string{"b@acme.test": rpc.RoleViewer})
	h := start(t, f, rpc.RoleOperator, "ops@example.com")
	f.PutMember("Acme", "c@acme.test", "member-password", rpc.RoleAdmin)
	h.D.Send(pages.AccountsChanged{Org: f.Orgs[0].ID, Email: "c@acme.test"})
	m := h.Page.(Model)
	if a, _ := m.list.Selected(); a.Email != "c@acme.test" {
		t.Errorf("after the change the cursor is on %q, want c@acme.test", a.Email)
	}
	if len(m.org.Admins) != 2 {
		t.Errorf("the organization was not loaded again: admins %v", m.org.Admins)
	}
	if !h.Offers("d") {
		t.Error("with a second admin, removing one is still not offered")
	}
	h.D.Send(pages.AccountsChanged{Org: "another", Email: "x@y.test"})
	if n := len(f.CallsOf(rpc.MethodMemberList)); n != 2 {
		t.Errorf("member.list was called %d times, want twice (another organization's change is not ours)", n)
	}
}

func TestTheOrganizationsDeletionGoesBack(t *testing.T) {
	t.Parallel()
	f := acme(rpc.RoleOperator, "", nil)
	h := start(t, f, rpc.RoleOperator, "ops@example.com")
	h.D.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventDeleted, Organization: f.Orgs[0]}})
	if len(h.Back) != 1 || !strings.Contains(h.Back[0].Flash, "Acme was deleted") {
		t.Errorf("after the deletion the page sent %+v", h.Back)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case accountform.Model:
		return "accountform"
	case accountconfirm.Model:
		return "accountconfirm"
	case password.Model:
		return "password"
	}
	return "other"
}

func TestAnotherSessionsMemberChangeReloadsTheList(t *testing.T) {
	t.Parallel()
	f := acme(rpc.RoleOperator, "", nil)
	h := start(t, f, rpc.RoleOperator, "ops@example.com")
	f.PutMember("Acme", "new@acme.test", "member-password", rpc.RoleViewer)
	o, _ := f.Org("Acme")
	h.D.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventUpdated, Organization: o}})
	if got := strings.Join(h.Page.(Model).emails(), " "); got != "admin@acme.test new@acme.test" {
		t.Errorf("after the event the list holds %q", got)
	}
	h.D.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventUpdated, Organization: o}})
	if n := len(f.CallsOf(rpc.MethodMemberList)); n != 2 {
		t.Errorf("member.list was called %d times, want twice (the same members again load nothing)", n)
	}
}
