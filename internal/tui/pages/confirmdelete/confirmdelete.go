// Package confirmdelete is the dialog that deletes an organization. It
// shows what will be dropped (the collection and how many documents it
// holds), starts on Cancel, and enables Delete only once the
// organization's name has been typed exactly.
package confirmdelete

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Buttons.
const (
	Cancel = iota
	Delete
)

// Model is the delete dialog.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	stats         *rpc.OrgStats
	statsErr      string
	input         textinput.Model
	button        int
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
	in := textinput.New()
	in.Prompt = styles.Pointer
	in.SetStyles(c.Styles.Input)
	in.CharLimit = 256
	in.Focus()
	return Model{c: c, org: o, input: in, button: Cancel, spin: spin.New(c.Styles)}
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
func (m Model) Help() keymap.Help { return m.c.Keys.DeleteHelp() }

// Button returns the selected button, Cancel or Delete.
func (m Model) Button() int { return m.button }

// Armed reports whether Delete is enabled: the typed name is the
// organization's, exactly.
func (m Model) Armed() bool { return m.input.Value() == m.org.Name }

// Update handles keys, the figures and the reply to the delete.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.SetWidth(max(10, m.boxWidth()-10))
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
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Cancel):
		return m, pages.Send(pages.Back{})
	case m.busy:
		return m, nil
	case k.String() == "tab" || k.String() == "shift+tab":
		m.button = 1 - m.button
		return m, nil
	case key.Matches(k, keys.Submit):
		if m.button == Cancel {
			return m, pages.Send(pages.Back{})
		}
		if !m.Armed() {
			m.err = "type the name exactly to enable Delete"
			return m, nil
		}
		m.busy = true
		m.err = ""
		id, name := m.org.ID, m.org.Name
		del := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			err := c.DeleteOrg(ctx, token, name)
			return deletedMsg{id: id, err: err}, err
		})
		spin := m.spin.Start()
		return m, tea.Batch(del, spin)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	m.err = ""
	return m, cmd
}

func (m Model) boxWidth() int { return min(m.width-2, 64) }

// View draws the dialog box; the application centres it over the page
// below.
func (m Model) View() string {
	st := m.c.Styles
	inner := m.boxWidth() - 6 // border and padding
	what := "counting its documents…"
	switch {
	case m.stats != nil:
		what = fmt.Sprintf("%s documents (%s)", pages.Count(m.stats.Documents), pages.Size(m.stats.SizeBytes))
	case m.statsErr != "":
		what = "documents: unknown (" + m.statsErr + ")"
	}
	wrap := lipgloss.NewStyle().Width(inner)
	lines := []string{
		wrap.Render(st.Error.Render("Delete " + m.org.Name + "?")),
		"",
		wrap.Render("This drops the collection " + st.Key.Render(m.org.Collection) + " with " + what +
			", and the admin account " + m.org.AdminEmail + ". It cannot be undone."),
		"",
		"Type the organization's name to enable Delete:",
		m.input.View(),
		"",
		m.buttons(),
	}
	switch {
	case m.busy:
		lines = append(lines, "", m.spin.View()+" deleting…")
	case m.err != "":
		lines = append(lines, "", st.Error.Render(styles.ErrorMark+m.err))
	}
	box := st.DangerDialog.Width(inner + 6).Render(layout.Width(strings.Join(lines, "\n"), inner))
	return layout.Width(box, m.width)
}

func (m Model) buttons() string {
	st := m.c.Styles
	cancel, del := st.Button.Render("[ Cancel ]"), st.Button.Render("[ Delete ]")
	switch {
	case m.button == Cancel:
		cancel = st.ActiveButton.Render("[ Cancel ]")
		if !m.Armed() {
			del = st.DisabledButton.Render("[ Delete ]")
		}
	case m.Armed():
		del = st.DangerButton.Render("[ Delete ]")
	default:
		del = st.ActiveButton.Faint(true).Render("[ Delete ]") + st.Subtle.Render(" (type the name)")
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, cancel, "  ", del)
}
