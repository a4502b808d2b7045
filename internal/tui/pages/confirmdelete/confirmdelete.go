// Package confirmdelete is the dialog that deletes an organization. It
// shows what will be dropped (the collection and how many documents it
// holds) and deletes once the organization's name is typed exactly and
// enter pressed (SPEC §6).
package confirmdelete

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
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

// Model is the delete dialog.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	stats         *rpc.OrgStats
	statsErr      string
	confirm       confirm.Typed
	busy          bool
	deleted       bool // the dialog is closing
	err           string
	spin          spin.Model
}

type statsMsg struct {
	id    string
	stats *rpc.OrgStats
	err   error
}

type deletedMsg struct {
	id  string
	err error
}

// New returns the dialog that deletes o.
func New(c pages.Common, o rpc.Organization) Model {
	t := confirm.NewTyped(c.Styles, c.Keys, "Delete", o.Name, "Type the organization's name to delete it:")
	return Model{c: c, org: o, confirm: t, spin: spin.New(c.Styles)}
}

// Init counts the documents that would be dropped.
func (m Model) Init() tea.Cmd {
	id, name := m.org.ID, m.org.Name
	return m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		s, err := c.OrgStats(ctx, token, name)
		return statsMsg{id: id, stats: s, err: err}, err
	})
}

// Title names the dialog.
func (m Model) Title() string { return "Delete " + m.org.Name }

// Typing reports true: the name field has the focus.
func (m Model) Typing() bool { return true }

// Dialog reports true: the dialog is drawn over the page below.
func (m Model) Dialog() bool { return true }

// Help returns the dialog's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.ConfirmHelp("delete") }

// Armed reports whether enter deletes: the typed name is the
// organization's, exactly.
func (m Model) Armed() bool { return m.confirm.Armed() }

// Hint returns what the dialog says after an enter that did nothing:
// exactly what to type.
func (m Model) Hint() string { return m.confirm.Hint() }

// Update handles keys, the figures and the reply to the delete.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.confirm.SetWidth(dialog.Inner(m.width))
		return m, nil
	case statsMsg:
		if msg.id == m.org.ID {
			m.stats = msg.stats
			if msg.err != nil {
				m.statsErr = remote.Describe(msg.err)
			}
		}
		return m, nil
	case deletedMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		m.busy = false
		m.spin.Stop()
		if msg.err != nil {
			m.err = remote.Describe(msg.err)
			if rpc.ErrorCode(msg.err) == rpc.CodeNotFound {
				m.deleted = true
				return m, tea.Batch(
					pages.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventDeleted, Organization: m.org}}),
					pages.BackWith(m.org.Name+" was already deleted"))
			}
			return m, nil
		}
		m.deleted = true
		return m, tea.Batch(
			pages.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventDeleted, Organization: m.org}}),
			pages.BackWith(fmt.Sprintf("deleted %s and its collection %s", m.org.Name, m.org.Collection)))
	case pages.Changed:
		if msg.Event.Organization.ID != m.org.ID || m.deleted {
			return m, nil
		}
		if msg.Event.Type == rpc.EventDeleted && !m.busy {
			return m, pages.BackWith(m.org.Name + " was deleted")
		}
		if msg.Event.Type != rpc.EventDeleted {
			// Renamed meanwhile: the name to type is the new one.
			m.org = msg.Event.Organization
			m.confirm.SetWant(m.org.Name)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.confirm, cmd = m.confirm.Paste(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	if m.busy {
		if key.Matches(k, m.c.Keys.Cancel) {
			return m, pages.Send(pages.Back{})
		}
		return m, nil
	}
	var cmd tea.Cmd
	var out confirm.Outcome
	m.confirm, cmd, out = m.confirm.Update(k)
	switch out {
	case confirm.Cancelled:
		return m, pages.Send(pages.Back{})
	case confirm.Confirmed:
		m.busy = true
		m.err = ""
		id, name := m.org.ID, m.org.Name
		del := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			err := c.DeleteOrg(ctx, token, name)
			return deletedMsg{id: id, err: err}, err
		})
		return m, tea.Batch(del, m.spin.Start())
	}
	if m.confirm.Typed() != "" {
		m.err = ""
	}
	return m, cmd
}

// View draws the dialog box; the application centres it over the page
// below.
func (m Model) View() string {
	st := m.c.Styles
	inner := dialog.Inner(m.width)
	what := "counting its documents…"
	switch {
	case m.stats != nil:
		what = fmt.Sprintf("%s documents (%s)", pages.Count(m.stats.Documents), pages.Size(m.stats.SizeBytes))
	case m.statsErr != "":
		what = "documents: unknown (" + m.statsErr + ")"
	}
	accounts := "the admin account " + m.org.AdminEmail
	if m.org.Members > 1 {
		accounts = fmt.Sprintf("its %d member accounts", m.org.Members)
	}
	lines := []string{
		dialog.Wrap(m.width, st.Error.Render("Delete "+m.org.Name+"?")),
		"",
		dialog.Wrap(m.width, "This drops the collection "+st.Key.Render(m.org.Collection)+" with "+what+
			", and "+accounts+". It cannot be undone."),
		"",
		m.confirm.View(inner),
	}
	switch {
	case m.busy:
		lines = append(lines, "", m.spin.View()+" deleting…")
	case m.err != "":
		lines = append(lines, "", dialog.Wrap(m.width, st.Error.Render(styles.ErrorMark+m.err)))
	}
	return dialog.Box(st, m.width, true, lines...)
}
