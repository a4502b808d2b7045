package keys

import (
	"context"
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

// RemoveModel is the dialog that removes an SSH key (auth.keys.remove):
// enter removes it, escape cancels, tab moves between the buttons (SPEC
// §6). orgd ends the SSH sessions the key opened.
type RemoveModel struct {
	c             pages.Common
	width, height int
	email         string // whose key; empty for the signed-in account's own
	key           rpc.Key
	plain         confirm.Plain
	busy          bool
	err           string
	spin          spin.Model
}

type removedMsg struct {
	fingerprint string
	err         error
}

// NewRemove returns the dialog that removes k, a key of the account email,
// or of the signed-in account when email is empty.
func NewRemove(c pages.Common, email string, k rpc.Key) RemoveModel {
	if strings.EqualFold(email, c.Email) {
		email = ""
	}
	return RemoveModel{c: c, email: email, key: k,
		plain: confirm.NewPlain(c.Styles, c.Keys, "Remove", true), spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m RemoveModel) Init() tea.Cmd { return nil }

// Title names the dialog.
func (m RemoveModel) Title() string { return "Remove the SSH key " + Name(m.key) }

// Typing reports false: the dialog has no text field.
func (m RemoveModel) Typing() bool { return false }

// Dialog reports true: the dialog is drawn over the page below.
func (m RemoveModel) Dialog() bool { return true }

// Help returns the dialog's bindings.
func (m RemoveModel) Help() keymap.Help { return m.c.Keys.ConfirmHelp("remove") }

// Err returns the error the dialog shows.
func (m RemoveModel) Err() string { return m.err }

// Update handles keys and the reply.
func (m RemoveModel) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case removedMsg:
		if msg.fingerprint != m.key.Fingerprint {
			return m, nil
		}
		return m.removed(msg)
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

func (m *RemoveModel) act() tea.Cmd {
	m.busy = true
	m.err = ""
	p := rpc.KeyRemoveParams{Fingerprint: m.key.Fingerprint, Email: m.email}
	call := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		p.Token = token
		err := c.RemoveKey(ctx, p)
		return removedMsg{fingerprint: p.Fingerprint, err: err}, err
	})
	return tea.Batch(call, m.spin.Start())
}

func (m RemoveModel) removed(msg removedMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	changed := pages.Send(changedMsg{whose: m.email})
	switch {
	case msg.err == nil:
		return m, tea.Batch(changed, pages.BackWith("removed the SSH key "+Name(m.key)+"; the SSH sessions it opened end"))
	case rpc.ErrorCode(msg.err) == rpc.CodeNotFound:
		return m, tea.Batch(changed, pages.BackWith("the SSH key "+Name(m.key)+" was already removed"))
	}
	m.err = remote.Describe(msg.err)
	return m, nil
}

// View draws the dialog box; the application centres it over the page
// below.
func (m RemoveModel) View() string {
	st := m.c.Styles
	lines := []string{
		dialog.Wrap(m.width, st.Error.Render("Remove the SSH key "+Name(m.key)+"?")),
		"",
		dialog.Wrap(m.width, st.Subtle.Render(m.key.Type)+" "+m.key.Fingerprint),
		"",
	}
	if m.email == "" {
		lines = append(lines, dialog.Wrap(m.width, "It can no longer log you in, and the SSH sessions it opened end at once; this one too, if it opened it."))
	} else {
		lines = append(lines, dialog.Wrap(m.width, m.email+" can no longer log in with it, and the SSH sessions it opened end at once."))
	}
	lines = append(lines, "", m.plain.View())
	switch {
	case m.busy:
		lines = append(lines, "", m.spin.View()+" removing…")
	case m.err != "":
		lines = append(lines, "", dialog.Wrap(m.width, st.Error.Render(styles.ErrorMark+m.err)))
	}
	return dialog.Box(st, m.width, true, lines...)
}
