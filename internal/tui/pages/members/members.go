// Package members is an organization's members page, opened from its
// detail: every member with role, created and last login, from which
// operators and the organization's admins add members, switch them
// between admin and viewer, set their passwords and remove them, and
// operators open a member's SSH keys. Viewers, and everyone while the
// organization is suspended, see the list only.
// The organization's last admin is never offered for removal or demotion
// (orgd would refuse: an organization always keeps one admin).
package members

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/accountlist"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/accountconfirm"
	"github.com/orgd/orgd/internal/tui/pages/accountform"
	sshkeys "github.com/orgd/orgd/internal/tui/pages/keys"
	"github.com/orgd/orgd/internal/tui/pages/password"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/rpc"
)

// Model is the members page of one organization.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	list          accountlist.Model
}

type orgMsg struct {
	id  string
	org *rpc.Organization
	err error
}

// loadMsg asks the page of organization id to load.
type loadMsg struct{ id string }

// New returns the members page of o; Init loads it.
func New(c pages.Common, o rpc.Organization) Model {
	name := o.Name
	list := accountlist.New(c.Orgd, c.Keys, c.Styles, accountlist.Options{
		Roles: true,
		You:   c.Email,
		Noun:  "members",
		Load: func(ctx context.Context, cl remote.Client, token, cursor string, limit int) (*rpc.AccountList, error) {
			return cl.ListMembers(ctx, rpc.MemberListParams{Token: token, Org: name, Cursor: cursor, Limit: limit})
		},
	})
	return Model{c: c, org: o, list: list}
}

// Init loads the members and the organization (for its admins).
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{id: m.org.ID}) }

// Title names the page.
func (m Model) Title() string { return m.org.Name + " › members" }

// Typing reports false: the page has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports false: the page fills the screen.
func (m Model) Dialog() bool { return false }

// List returns the list, for tests.
func (m Model) List() accountlist.Model { return m.list }

// canChange reports whether the signed-in account may change the members:
// an operator or an admin of the organization, while it is not suspended.
func (m Model) canChange() bool { return m.c.CanChangeOrg(m.org) }

// onlyAdmin reports whether a is the organization's only admin, as far as
// the page can tell: from the organization's admins, or else from the
// whole list once it is loaded.
func (m Model) onlyAdmin(a rpc.Account) bool {
	if a.Role != rpc.RoleAdmin {
		return false
	}
	if m.org.Admins != nil {
		return len(m.org.Admins) <= 1
	}
	if !m.list.Loaded() {
		return false
	}
	n := 0
	for _, b := range m.list.Items() {
		if b.Role == rpc.RoleAdmin {
			n++
		}
	}
	return n <= 1
}

// Help returns the page's bindings: what may be done to the selected
// member.
func (m Model) Help() keymap.Help {
	change := m.canChange()
	a, selected := m.list.Selected()
	keep := selected && m.onlyAdmin(a)
	return m.c.Keys.AccountsHelp(keymap.AccountsOffer{
		Add:           change,
		ChangeRole:    change && selected && !keep,
		ResetPassword: change && selected,
		Remove:        change && selected && !keep,
		Keys:          m.c.IsOperator() && selected,
	})
}

// Update handles keys, the loads and changes.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.list.SetSize(m.width, m.listHeight())
		return m, nil
	case loadMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		next := m.load("")
		return m, next
	case pages.Reload:
		next := m.load("")
		return m, next
	case pages.AccountsChanged:
		if msg.Org != m.org.ID {
			return m, nil
		}
		next := m.load(msg.Email)
		return m, next
	case orgMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		switch {
		case rpc.ErrorCode(msg.err) == rpc.CodeNotFound:
			return m, pages.BackWith(m.org.Name + " no longer exists")
		case msg.err == nil:
			m.org = *msg.org
			m.list.SetSize(m.width, m.listHeight())
		}
		return m, nil
	case pages.Changed:
		if msg.Event.Organization.ID != m.org.ID {
			return m, nil
		}
		if msg.Event.Type == rpc.EventDeleted {
			return m, pages.BackWith(m.org.Name + " was deleted")
		}
		// Someone else's change to the members shows in the organization's
		// count and admins: the list is loaded again then.
		was := m.org
		m.org = msg.Event.Organization
		m.list.SetSize(m.width, m.listHeight())
		if was.Members != m.org.Members || !slices.Equal(was.Admins, m.org.Admins) {
			next := m.list.Reload("")
			return m, next
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

// load loads the members (putting the cursor on focus, if set) and the
// organization.
func (m *Model) load(focus string) tea.Cmd {
	id, name := m.org.ID, m.org.Name
	get := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		o, err := c.GetOrg(ctx, token, name)
		return orgMsg{id: id, org: o, err: err}, err
	})
	return tea.Batch(m.list.Reload(focus), get)
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Back):
		return m, pages.Send(pages.Back{})
	case key.Matches(k, keys.Refresh):
		next := m.load("")
		return m, next
	case key.Matches(k, keys.AddAccount):
		if !m.canChange() {
			return m, nil
		}
		return m, pages.Send(pages.Open{Page: accountform.NewMember(m.c, m.org)})
	}
	a, ok := m.list.Selected()
	if ok && m.c.IsOperator() && key.Matches(k, keys.AccountKeys) {
		// Keys are the account's own business, suspended or not: an
		// operator sees and removes them.
		return m, pages.Send(pages.Open{Page: sshkeys.New(m.c, a.Email)})
	}
	if !ok || !m.canChange() {
		var cmd tea.Cmd
		m.list, cmd = m.list.Update(k)
		return m, cmd
	}
	switch {
	case key.Matches(k, keys.ChangeRole), key.Matches(k, keys.RemoveAccount):
		if m.onlyAdmin(a) {
			return m, pages.Send(pages.Flash{Text: a.Email + " is the only admin: make another member admin first", Err: true})
		}
		if key.Matches(k, keys.ChangeRole) {
			return m, pages.Send(pages.Open{Page: accountconfirm.NewChangeRole(m.c, m.org, a)})
		}
		return m, pages.Send(pages.Open{Page: accountconfirm.NewRemoveMember(m.c, m.org, a)})
	case key.Matches(k, keys.ResetPassword):
		if strings.EqualFold(a.Email, m.c.Email) {
			// One's own password is changed with the current one, and the
			// session goes on with the new one.
			return m, pages.Send(pages.Open{Page: password.New(m.c)})
		}
		return m, pages.Send(pages.Open{Page: accountform.NewPassword(m.c, m.org, a)})
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(k)
	return m, cmd
}

// note is the line above the list, if any: why the list cannot be
// changed, or how many admins the organization has.
func (m Model) note() string {
	st := m.c.Styles
	switch {
	case m.org.State == rpc.StateSuspended:
		return st.StateSuspended.Render("suspended") + st.Subtle.Render(": members cannot be changed until an operator resumes it")
	case !m.c.CanChange():
		return st.Subtle.Render("You may only read: viewers change nothing.")
	case len(m.org.Admins) == 1:
		return st.Subtle.Render(fmt.Sprintf("%s is the only admin: it cannot be removed or made a viewer.", m.org.Admins[0]))
	}
	return ""
}

func (m Model) listHeight() int {
	if m.note() != "" {
		return max(1, m.height-2)
	}
	return m.height
}

// View draws the note and the list.
func (m Model) View() string {
	body := m.list.View()
	if note := m.note(); note != "" {
		body = layout.Line(note, m.width) + "\n\n" + body
	}
	return layout.Fit(body, m.width, m.height)
}
