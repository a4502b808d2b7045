// Package accountform is the form that adds an account, an operator
// (operator.create) or a member of an organization with a role
// (member.add), and the form that sets another account's new password
// (member.update, operator.update). orgd validates; its errors land on the
// field they name.
package accountform

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/form"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Field keys: the params the fields edit.
const (
	FieldEmail    = "email"
	FieldRole     = "role"
	FieldPassword = "password"
	FieldConfirm  = "confirm"
)

// kind is what the form does.
type kind int

const (
	addOperator kind = iota
	addMember
	resetPassword
)

// Model is the form.
type Model struct {
	c             pages.Common
	width, height int
	kind          kind
	org           *rpc.Organization // the members' organization; nil for an operator
	account       rpc.Account       // whose password is reset
	form          form.Model
	err           string
	busy          bool
	spin          spin.Model
}

type savedMsg struct {
	account *rpc.Account
	err     error
}

// NewOperator returns the form that adds an operator.
func NewOperator(c pages.Common) Model {
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldEmail, Label: "Email", Placeholder: "someone@example.com"},
		form.Spec{Key: FieldPassword, Label: "Password", Placeholder: "8–72 bytes", Secret: true},
		form.Spec{Key: FieldConfirm, Label: "Repeat password", Secret: true},
	)
	return Model{c: c, kind: addOperator, form: f, spin: spin.New(c.Styles)}
}

// NewMember returns the form that adds a member to o, a viewer unless
// admin is chosen.
func NewMember(c pages.Common, o rpc.Organization) Model {
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldEmail, Label: "Email", Placeholder: "someone@example.com"},
		form.Spec{Key: FieldRole, Label: "Role", Choices: []string{rpc.RoleViewer, rpc.RoleAdmin}, Value: rpc.RoleViewer},
		form.Spec{Key: FieldPassword, Label: "Password", Placeholder: "8–72 bytes", Secret: true},
		form.Spec{Key: FieldConfirm, Label: "Repeat password", Secret: true},
	)
	return Model{c: c, kind: addMember, org: &o, form: f, spin: spin.New(c.Styles)}
}

// NewPassword returns the form that sets a new password for a, a member
// of o.
func NewPassword(c pages.Common, o rpc.Organization, a rpc.Account) Model {
	m := NewOperatorPassword(c, a)
	m.org = &o
	return m
}

// NewOperatorPassword returns the form that sets a new password for a,
// another operator.
func NewOperatorPassword(c pages.Common, a rpc.Account) Model {
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldPassword, Label: "New password", Placeholder: "8–72 bytes", Secret: true},
		form.Spec{Key: FieldConfirm, Label: "Repeat password", Secret: true},
	)
	return Model{c: c, kind: resetPassword, account: a, form: f, spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m Model) Init() tea.Cmd { return nil }

// Title names the page.
func (m Model) Title() string {
	switch m.kind {
	case addMember:
		return m.org.Name + " › add member"
	case resetPassword:
		return "Password of " + m.account.Email
	}
	return "Add operator"
}

// Typing reports true: a field always has the focus.
func (m Model) Typing() bool { return true }

// Dialog reports false: the form fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the form's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.FormHelp(m.form.OnChoice()) }

// Form returns the form, for tests.
func (m Model) Form() form.Model { return m.form }

// Err returns the error shown under the form.
func (m Model) Err() string { return m.err }

// Update handles keys, the reply to the save, and changes to the
// organization.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.form.SetWidth(min(m.width, 76))
		return m, nil
	case savedMsg:
		return m.saved(msg)
	case pages.Changed:
		if m.org != nil && msg.Event.Organization.ID == m.org.ID {
			if msg.Event.Type == rpc.EventDeleted {
				return m, pages.BackWith(m.org.Name + " was deleted")
			}
			o := msg.Event.Organization
			m.org = &o
		}
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.Cancel) {
			return m, pages.Send(pages.Back{})
		}
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		var submit bool
		m.form, cmd, submit = m.form.Update(msg)
		if submit {
			next := m.submit()
			return m, next
		}
		return m, cmd
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.form, cmd, _ = m.form.Update(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m *Model) submit() tea.Cmd {
	m.form.ClearErrors()
	m.err = ""
	password := m.form.Value(FieldPassword)
	if password != m.form.Value(FieldConfirm) {
		m.form.SetError(FieldConfirm, "the passwords differ")
		return nil
	}
	email := strings.TrimSpace(m.form.Value(FieldEmail))
	var call remote.Func
	switch m.kind {
	case addOperator:
		call = func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			a, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: token, Email: email, Password: password})
			return savedMsg{account: a, err: err}, err
		}
	case addMember:
		org, role := m.org.Name, m.form.Value(FieldRole)
		call = func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			a, err := c.AddMember(ctx, rpc.MemberAddParams{Token: token, Org: org, Email: email, Password: password, Role: role})
			return savedMsg{account: a, err: err}, err
		}
	case resetPassword:
		email := m.account.Email
		if m.org == nil {
			call = func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
				a, err := c.UpdateOperator(ctx, rpc.OperatorUpdateParams{Token: token, Email: email, Password: password})
				return savedMsg{account: a, err: err}, err
			}
			break
		}
		org := m.org.Name
		call = func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			a, err := c.UpdateMember(ctx, rpc.MemberUpdateParams{Token: token, Org: org, Email: email, Password: &password})
			return savedMsg{account: a, err: err}, err
		}
	}
	m.busy = true
	return tea.Batch(m.c.Orgd.Call(call), m.spin.Start())
}

func (m Model) saved(msg savedMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	if msg.err != nil {
		text := remote.Describe(msg.err)
		switch {
		case remote.IsUnauthenticated(msg.err):
			m.err = "your session ended: log in, then submit again"
		case rpc.ErrorCode(msg.err) == rpc.CodeConflict && m.kind != resetPassword:
			m.form.SetError(FieldEmail, text)
		case rpc.ErrorCode(msg.err) == rpc.CodeNotFound && m.kind == resetPassword && m.org == nil:
			m.err = m.account.Email + " is no longer an operator: " + text
		case rpc.ErrorCode(msg.err) == rpc.CodeNotFound && m.kind == resetPassword:
			m.err = m.account.Email + " is no longer a member: " + text
		case m.form.SetError(fieldOf(msg.err), text):
		default:
			m.err = text
		}
		return m, nil
	}
	// The password is not kept once orgd has it.
	m.form.SetValue(FieldPassword, "")
	m.form.SetValue(FieldConfirm, "")
	a := *msg.account
	changed := pages.AccountsChanged{Email: a.Email}
	var flash string
	switch m.kind {
	case addOperator:
		flash = "added operator " + a.Email
	case addMember:
		changed.Org = m.org.ID
		flash = fmt.Sprintf("added %s to %s as %s", a.Email, m.org.Name, a.Role)
	case resetPassword:
		if m.org != nil {
			changed.Org = m.org.ID
		}
		flash = "set a new password for " + a.Email + "; their sessions ended"
	}
	return m, tea.Batch(pages.Send(changed), pages.BackWith(flash))
}

// fieldOf returns the form field that err names: member.update names the
// new password "password" as the others do.
func fieldOf(err error) string {
	switch f := remote.FieldOf(err); f {
	case "new_password":
		return FieldPassword
	default:
		return f
	}
}

// View draws the form.
func (m Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render(m.Title()) + "\n\n")
	switch m.kind {
	case addOperator:
		b.WriteString(st.Subtle.Render("An operator manages every organization and every account.") + "\n\n")
	case addMember:
		b.WriteString(st.Subtle.Render("An admin manages "+m.org.Name+" and its members; a viewer may only read.") + "\n\n")
	case resetPassword:
		b.WriteString(st.Subtle.Render(m.account.Email+" logs in with the new password; their sessions end now.") + "\n\n")
	}
	b.WriteString(m.form.View() + "\n\n")
	switch {
	case m.busy:
		b.WriteString(m.spin.View() + " saving…")
	case m.err != "":
		b.WriteString(st.Error.Render(styles.ErrorMark + m.err))
	default:
		b.WriteString(st.Subtle.Render("enter saves once every field is filled; esc cancels"))
	}
	return layout.Fit(b.String(), m.width, m.height)
}
