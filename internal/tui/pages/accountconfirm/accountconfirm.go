// Package accountconfirm is the yes/no dialogs that change an account at
// once: remove an operator (operator.delete), remove a member
// (member.remove), or switch a member between admin and viewer
// (member.update). Enter does it, escape cancels (SPEC §6). When orgd
// refuses because the account is the last operator or the organization's
// last admin, the dialog says so in plain words.
package accountconfirm

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/confirm"
	"github.com/orgd/orgd/internal/tui/components/dialog"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// kind is what the dialog does.
type kind int

const (
	removeOperator kind = iota
	removeMember
	changeRole
)

// Model is the dialog.
type Model struct {
	c             pages.Common
	width, height int
	kind          kind
	org           *rpc.Organization // the member's organization
	account       rpc.Account
	role          string // the role changeRole gives
	plain         confirm.Plain
	busy          bool
	err           string
	spin          spin.Model
}

type doneMsg struct {
	email string
	err   error
}

// NewRemoveOperator returns the dialog that removes the operator a.
func NewRemoveOperator(c pages.Common, a rpc.Account) Model {
	return Model{c: c, kind: removeOperator, account: a,
		plain: confirm.NewPlain(c.Styles, c.Keys, "Remove", true), spin: spin.New(c.Styles)}
}

// NewRemoveMember returns the dialog that removes a from o.
func NewRemoveMember(c pages.Common, o rpc.Organization, a rpc.Account) Model {
	return Model{c: c, kind: removeMember, org: &o, account: a,
		plain: confirm.NewPlain(c.Styles, c.Keys, "Remove", true), spin: spin.New(c.Styles)}
}

// NewChangeRole returns the dialog that makes a, a member of o, an admin
// if a viewer and a viewer if an admin.
func NewChangeRole(c pages.Common, o rpc.Organization, a rpc.Account) Model {
	role := rpc.RoleAdmin
	if a.Role == rpc.RoleAdmin {
		role = rpc.RoleViewer
	}
	return Model{c: c, kind: changeRole, org: &o, account: a, role: role,
		plain: confirm.NewPlain(c.Styles, c.Keys, "Make "+role, false), spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m Model) Init() tea.Cmd { return nil }

// Title names the dialog.
func (m Model) Title() string {
	if m.kind == changeRole {
		return "Role of " + m.account.Email
	}
	return "Remove " + m.account.Email
}

// Typing reports false: the dialog has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports true: the dialog is drawn over the page below.
func (m Model) Dialog() bool { return true }

// Help returns the dialog's bindings.
func (m Model) Help() keymap.Help {
	if m.kind == changeRole {
		return m.c.Keys.ConfirmHelp("make " + m.role)
	}
	return m.c.Keys.ConfirmHelp("remove")
}

// Err returns the error the dialog shows.
func (m Model) Err() string { return m.err }

// Update handles keys and the reply.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case doneMsg:
		if msg.email != m.account.Email {
			return m, nil
		}
		return m.replied(msg)
	case pages.Changed:
		if m.org != nil && msg.Event.Organization.ID == m.org.ID {
			if msg.Event.Type == rpc.EventDeleted && !m.busy {
				return m, pages.BackWith(m.org.Name + " was deleted")
			}
			o := msg.Event.Organization
			m.org = &o
		}
		return m, nil
	case tea.KeyPressMsg:
		var out confirm.Outcome
		m.plain, out = m.plain.Update(msg)
		switch {
		case out == confirm.Cancelled:
			return m, pages.Send(pages.Back{})
		case out == confirm.Confirmed && !m.busy:
			return m, m.act()
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m *Model) act() tea.Cmd {
	m.busy = true
	m.err = ""
	email, kind, role := m.account.Email, m.kind, m.role
	org := ""
	if m.org != nil {
		org = m.org.Name
	}
	call := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		var err error
		switch kind {
		case removeOperator:
			err = c.DeleteOperator(ctx, token, email)
		case removeMember:
			err = c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: token, Org: org, Email: email})
		case changeRole:
			_, err = c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: token, Org: org, Email: email, Role: &role})
		}
		return doneMsg{email: email, err: err}, err
	})
	return tea.Batch(call, m.spin.Start())
}

func (m Model) replied(msg doneMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	changed := pages.AccountsChanged{Email: m.account.Email}
	if m.org != nil {
		changed.Org = m.org.ID
	}
	switch {
	case msg.err == nil:
	case rpc.ErrorCode(msg.err) == rpc.CodeNotFound && m.kind != changeRole:
		return m, tea.Batch(pages.Send(changed), pages.BackWith(m.account.Email+" was already removed"))
	default:
		m.err = Refusal(msg.err, m.account.Email, m.org)
		return m, nil
	}
	var flash string
	switch m.kind {
	case removeOperator:
		flash = "removed operator " + m.account.Email
	case removeMember:
		flash = fmt.Sprintf("removed %s from %s", m.account.Email, m.org.Name)
	case changeRole:
		flash = fmt.Sprintf("%s is now %s of %s", m.account.Email, article(m.role), m.org.Name)
	}
	if strings.EqualFold(m.account.Email, m.c.Email) {
		flash += "; your session ends"
	}
	return m, tea.Batch(pages.Send(changed), pages.BackWith(flash))
}

// Refusal says why orgd refused a change to the account email, in plain
// words where orgd gave a reason: the last operator, or the last admin of
// org, is always kept.
func Refusal(err error, email string, org *rpc.Organization) string {
	switch remote.ReasonOf(err) {
	case rpc.ReasonLastOperator:
		return email + " is the only operator left, and orgd keeps one: add another first."
	case rpc.ReasonLastAdmin:
		name := "the organization"
		if org != nil {
			name = org.Name
		}
		return fmt.Sprintf("%s is the only admin of %s: make another member admin first.", email, name)
	}
	return remote.Describe(err)
}

func article(role string) string {
	if role == rpc.RoleAdmin {
		return "an admin"
	}
	return "a viewer"
}

// View draws the dialog box; the application centres it over the page
// below.
func (m Model) View() string {
	st := m.c.Styles
	you := strings.EqualFold(m.account.Email, m.c.Email)
	var lines []string
	switch m.kind {
	case removeOperator:
		lines = []string{
			dialog.Wrap(m.width, st.Error.Render("Remove the operator "+m.account.Email+"?")),
			"",
			dialog.Wrap(m.width, "They can no longer log in, and their sessions end at once."),
		}
	case removeMember:
		lines = []string{
			dialog.Wrap(m.width, st.Error.Render(fmt.Sprintf("Remove %s from %s?", m.account.Email, m.org.Name))),
			"",
			dialog.Wrap(m.width, fmt.Sprintf("The %s can no longer log in, and their sessions end at once. The organization's data stays.", m.account.Role)),
		}
	case changeRole:
		what := "An admin manages " + m.org.Name + " and its members."
		if m.role == rpc.RoleViewer {
			what = "A viewer may only read " + m.org.Name + "."
		}
		lines = []string{
			dialog.Wrap(m.width, st.Title.Render(fmt.Sprintf("Make %s %s of %s?", m.account.Email, article(m.role), m.org.Name))),
			"",
			dialog.Wrap(m.width, what+" Their sessions end at once; they log in again with the same password."),
		}
	}
	if you {
		lines = append(lines, "", dialog.Wrap(m.width, st.Warning.Render("This is you: your own session ends too.")))
	}
	lines = append(lines, "", m.plain.View())
	switch {
	case m.busy:
		lines = append(lines, "", m.spin.View()+" saving…")
	case m.err != "":
		lines = append(lines, "", dialog.Wrap(m.width, st.Error.Render(styles.ErrorMark+m.err)))
	}
	return dialog.Box(st, m.width, m.kind != changeRole, lines...)
}
