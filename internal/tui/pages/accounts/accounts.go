// Package accounts is the operators' page, for operators only, opened
// from the organization list: every operator with created and last login,
// from which an operator adds operators, removes them (never the last
// one), gives another operator a new password, changes their own, and
// opens an operator's SSH keys.
package accounts

import (
	"context"
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

// Model is the operators' page.
type Model struct {
	c             pages.Common
	width, height int
	list          accountlist.Model
}

// loadMsg asks the page to load.
type loadMsg struct{}

// New returns the page; Init loads it.
func New(c pages.Common) Model {
	list := accountlist.New(c.Orgd, c.Keys, c.Styles, accountlist.Options{
		You:  c.Email,
		Noun: "operators",
		Load: func(ctx context.Context, cl remote.Client, token, cursor string, limit int) (*rpc.AccountList, error) {
			return cl.ListOperators(ctx, rpc.OperatorListParams{Token: token, Cursor: cursor, Limit: limit})
		},
	})
	return Model{c: c, list: list}
}

// Init loads the operators.
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{}) }

// Title names the page.
func (m Model) Title() string { return "Operators" }

// Typing reports false: the page has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports false: the page fills the screen.
func (m Model) Dialog() bool { return false }

// List returns the list, for tests.
func (m Model) List() accountlist.Model { return m.list }

// only reports whether the list shows a single operator, whom orgd keeps.
func (m Model) only() bool { return m.list.Loaded() && m.list.Total() <= 1 }

// Help returns the page's bindings.
func (m Model) Help() keymap.Help {
	_, selected := m.list.Selected()
	return m.c.Keys.AccountsHelp(keymap.AccountsOffer{
		Add:           true,
		ResetPassword: selected,
		Remove:        selected && !m.only(),
		Keys:          selected,
	})
}

func (m Model) you(a rpc.Account) bool { return strings.EqualFold(a.Email, m.c.Email) }

// Update handles keys, the list's pages and changes.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.list.SetSize(m.width, m.height-2)
		return m, nil
	case loadMsg, pages.Reload:
		next := m.list.Reload("")
		return m, next
	case pages.AccountsChanged:
		if msg.Org != "" {
			return m, nil
		}
		next := m.list.Reload(msg.Email)
		return m, next
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Back):
		return m, pages.Send(pages.Back{})
	case key.Matches(k, keys.Refresh):
		next := m.list.Reload("")
		return m, next
	case key.Matches(k, keys.AddAccount):
		return m, pages.Send(pages.Open{Page: accountform.NewOperator(m.c)})
	}
	a, ok := m.list.Selected()
	switch {
	case !ok:
	case key.Matches(k, keys.RemoveAccount):
		if m.only() {
			return m, pages.Send(pages.Flash{Text: accountconfirm.Refusal(&rpc.Error{Code: rpc.CodeConflict,
				Data: &rpc.ErrorData{Reason: rpc.ReasonLastOperator}}, a.Email, nil), Err: true})
		}
		return m, pages.Send(pages.Open{Page: accountconfirm.NewRemoveOperator(m.c, a)})
	case key.Matches(k, keys.AccountKeys):
		return m, pages.Send(pages.Open{Page: sshkeys.New(m.c, a.Email)})
	case key.Matches(k, keys.ResetPassword):
		if m.you(a) {
			// One's own password is confirmed with the current one.
			return m, pages.Send(pages.Open{Page: password.New(m.c)})
		}
		return m, pages.Send(pages.Open{Page: accountform.NewOperatorPassword(m.c, a)})
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(k)
	return m, cmd
}

// View draws a line about operators and the list.
func (m Model) View() string {
	st := m.c.Styles
	note := st.Subtle.Render("Operators manage every organization and every account.")
	return layout.Fit(layout.Line(note, m.width)+"\n\n"+m.list.View(), m.width, m.height)
}
