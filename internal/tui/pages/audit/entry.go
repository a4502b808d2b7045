package audit

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/dialog"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/rpc"
)

// Entry shows one audit entry in full, in a dialog over the log; the
// arrows move to the entry before or after it, and the log's cursor
// follows.
type Entry struct {
	c             pages.Common
	width, height int
	items         []rpc.AuditEntry
	i             int
}

func newEntry(c pages.Common, items []rpc.AuditEntry, i int) Entry {
	return Entry{c: c, items: items, i: i}
}

// Init starts nothing.
func (m Entry) Init() tea.Cmd { return nil }

// Title names the page.
func (m Entry) Title() string { return "Audit entry" }

// Typing reports false.
func (m Entry) Typing() bool { return false }

// Dialog reports true: the entry is drawn over the log.
func (m Entry) Dialog() bool { return true }

// Help returns the page's bindings.
func (m Entry) Help() keymap.Help { return m.c.Keys.AuditEntryHelp() }

// Shown returns the entry shown.
func (m Entry) Shown() rpc.AuditEntry { return m.items[m.i] }

// Update handles keys.
func (m Entry) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		keys := m.c.Keys
		switch {
		case key.Matches(msg, keys.Back), key.Matches(msg, keys.ShowEntry):
			return m, pages.Send(pages.Back{})
		case key.Matches(msg, keys.Up) && m.i > 0:
			m.i--
			return m, pages.Send(moveMsg{id: m.items[m.i].ID})
		case key.Matches(msg, keys.Down) && m.i < len(m.items)-1:
			m.i++
			return m, pages.Send(moveMsg{id: m.items[m.i].ID})
		}
	}
	return m, nil
}

// View draws the entry's fields, one a line, in a box.
func (m Entry) View() string {
	st := m.c.Styles
	e := m.items[m.i]
	actor := orNone(e.Actor)
	if e.Role != "" {
		actor += " (" + e.Role + ")"
	}
	org := orNone(e.OrgName)
	if e.OrgID != "" {
		org += st.Subtle.Render("  id " + e.OrgID)
	}
	rows := [][2]string{
		{"When", e.At.UTC().Format(time.RFC3339Nano)},
		{"Actor", actor},
		{"From", orNone(e.Peer)},
		{"Action", st.AuditAction.Render(e.Action)},
		{"Organization", org},
		{"Account", orNone(e.Target)},
		{"Detail", orNone(e.Detail)},
		{"Entry", st.Subtle.Render(e.ID)},
	}
	inner := dialog.Inner(m.width)
	lines := []string{st.Title.Render("Audit entry"), ""}
	for _, r := range rows {
		label := st.Label.Render(r[0] + strings.Repeat(" ", 13-lipgloss.Width(r[0])))
		value := lipgloss.NewStyle().Width(max(10, inner-13)).Render(r[1])
		lines = append(lines, lipgloss.JoinHorizontal(lipgloss.Top, label, value))
	}
	lines = append(lines, "", st.Subtle.Render("↑/↓ a newer or an older entry · esc back"))
	return dialog.Box(st, m.width, false, lines...)
}
