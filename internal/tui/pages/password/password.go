// Package password is the form that changes the signed-in account's own
// password (auth.password: current, new, repeated). orgd then revokes
// every token of the account, this session's too, so the form logs in
// again with the new password at once, and the session goes on where it
// was.
package password

import (
	"context"
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

// Field keys: the params of auth.password.
const (
	FieldCurrent = "current_password"
	FieldNew     = "new_password"
	FieldConfirm = "confirm"
)

// Model is the form.
type Model struct {
	c             pages.Common
	width, height int
	form          form.Model
	err           string
	busy          bool
	spin          spin.Model
}

// changedMsg is the outcome: the password change, then the new login.
type changedMsg struct {
	err      error        // auth.password's error; nothing changed
	wrong    bool         // err means the current password is wrong
	session  *rpc.Session // the new session
	loginErr error        // the password changed, but logging in again failed
}

// New returns the form.
func New(c pages.Common) Model {
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldCurrent, Label: "Current password", Secret: true},
		form.Spec{Key: FieldNew, Label: "New password", Placeholder: "8–72 bytes", Secret: true, Aliases: []string{"password"}},
		form.Spec{Key: FieldConfirm, Label: "Repeat new password", Secret: true},
	)
	return Model{c: c, form: f, spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m Model) Init() tea.Cmd { return nil }

// Title names the page.
func (m Model) Title() string { return "My password" }

// Typing reports true: a field always has the focus.
func (m Model) Typing() bool { return true }

// Dialog reports false: the form fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the form's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.FormHelp(false) }

// Form returns the form, for tests.
func (m Model) Form() form.Model { return m.form }

// Err returns the error shown under the form.
func (m Model) Err() string { return m.err }

// Update handles keys and the reply.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.form.SetWidth(min(m.width, 76))
		return m, nil
	case changedMsg:
		return m.changed(msg)
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.Cancel) && !m.busy {
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
	current, next := m.form.Value(FieldCurrent), m.form.Value(FieldNew)
	switch {
	case next != m.form.Value(FieldConfirm):
		m.form.SetError(FieldConfirm, "the passwords differ")
		return nil
	case next == current:
		m.form.SetError(FieldNew, "the new password is the current one")
		return nil
	}
	email := m.c.Email
	m.busy = true
	call := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		if err := c.ChangePassword(ctx, token, current, next); err != nil {
			if remote.IsUnauthenticated(err) {
				// A wrong current password and a dead session may both be
				// -32001: the session tells them apart. Only a dead session
				// goes on to the application, which ends it.
				if _, werr := c.Whoami(ctx, token); werr == nil {
					return changedMsg{err: err, wrong: true}, nil
				}
			}
			return changedMsg{err: err, wrong: remote.FieldOf(err) == FieldCurrent}, err
		}
		s, err := c.Login(ctx, email, next)
		if err != nil {
			// The old token is revoked: the application must not take this
			// for a session that ended by itself (the form says what
			// happened) unless orgd is out of reach.
			if remote.IsUnreachable(err) {
				return changedMsg{session: nil, loginErr: err}, err
			}
			return changedMsg{loginErr: err}, nil
		}
		return changedMsg{session: s}, nil
	})
	return tea.Batch(call, m.spin.Start())
}

func (m Model) changed(msg changedMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	switch {
	case msg.wrong:
		m.form.SetValue(FieldCurrent, "")
		m.form.SetError(FieldCurrent, "this is not your current password")
		return m, nil
	case msg.err != nil:
		text := remote.Describe(msg.err)
		if !m.form.SetError(remote.FieldOf(msg.err), text) {
			m.err = text
		}
		return m, nil
	}
	// The passwords are not kept once orgd has them.
	for _, f := range []string{FieldCurrent, FieldNew, FieldConfirm} {
		m.form.SetValue(f, "")
	}
	if msg.loginErr != nil {
		return m, pages.Send(pages.EndSession{Notice: "Your password was changed, but logging in again failed (" +
			remote.Describe(msg.loginErr) + "). Log in with the new password."})
	}
	return m, tea.Batch(pages.Send(pages.Renewed{Session: *msg.session}),
		pages.BackWith("password changed; logged in again with the new one"))
}

// View draws the form.
func (m Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Change my password") + "\n\n")
	b.WriteString(st.Subtle.Render("Every session of "+m.c.Email+" ends; this one goes on with the new password.") + "\n\n")
	b.WriteString(m.form.View() + "\n\n")
	switch {
	case m.busy:
		b.WriteString(m.spin.View() + " changing…")
	case m.err != "":
		b.WriteString(st.Error.Render(styles.ErrorMark + m.err))
	default:
		b.WriteString(st.Subtle.Render("enter saves once every field is filled; esc cancels"))
	}
	return layout.Fit(b.String(), m.width, m.height)
}
