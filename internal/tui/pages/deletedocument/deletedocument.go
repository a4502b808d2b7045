// Package deletedocument is the dialog that deletes one document of an
// organization: it shows the document's _id and first fields, starts on
// Cancel, and deletes with data.delete on the document's _id.
package deletedocument

import (
	"context"
	"encoding/json"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/extjson"
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

// Model is the dialog.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	doc           *extjson.Value
	id            string // _id, compact canonical
	button        int
	busy          bool
	err           string
	spin          spin.Model
}

type deletedMsg struct {
	org, id string
	deleted *rpc.DataDeleted
	err     error
}

// New returns the dialog that deletes doc (canonical Extended JSON) from
// o's collection.
func New(c pages.Common, o rpc.Organization, doc json.RawMessage) Model {
	m := Model{c: c, org: o, button: Cancel, spin: spin.New(c.Styles)}
	if v, err := extjson.Parse(doc); err == nil {
		m.doc = v
		if id := v.Get("_id"); id != nil {
			m.id = id.Compact()
		}
	}
	return m
}

// Init does nothing: the dialog waits for a button.
func (m Model) Init() tea.Cmd { return nil }

// Title names the dialog.
func (m Model) Title() string { return "Delete document" }

// Typing reports false: the dialog has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports true: the dialog is drawn over the page below.
func (m Model) Dialog() bool { return true }

// Help returns the dialog's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.DeleteHelp() }

// Button returns the selected button, Cancel or Delete.
func (m Model) Button() int { return m.button }

// Update handles keys and the reply to the delete.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case deletedMsg:
		if msg.org != m.org.ID || msg.id != m.id {
			return m, nil
		}
		m.busy = false
		m.spin.Stop()
		if msg.err != nil {
			m.err = remote.Describe(msg.err)
			return m, nil
		}
		flash := "deleted document " + m.short()
		if msg.deleted.Deleted == 0 {
			flash = "document " + m.short() + " was already deleted"
		}
		return m, tea.Batch(
			pages.Send(pages.DocumentChanged{Org: m.org.ID, ID: m.id}),
			pages.BackWith(flash))
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
	case k.String() == "tab" || k.String() == "shift+tab" || k.String() == "left" || k.String() == "right":
		m.button = 1 - m.button
		return m, nil
	case key.Matches(k, keys.Submit):
		if m.button == Cancel || m.id == "" {
			return m, pages.Send(pages.Back{})
		}
		m.busy = true
		m.err = ""
		orgID, name, id := m.org.ID, m.org.Name, m.id
		del := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			r, err := c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: token, Org: name, Filter: json.RawMessage(`{"_id":` + id + `}`)})
			return deletedMsg{org: orgID, id: id, deleted: r, err: err}, err
		})
		return m, tea.Batch(del, m.spin.Start())
	}
	return m, nil
}

func (m Model) short() string { return extjson.ShortID(m.doc.Get("_id")) }

func (m Model) boxWidth() int { return min(m.width-2, 64) }

// View draws the dialog box; the application centres it over the page
// below.
func (m Model) View() string {
	st := m.c.Styles
	inner := max(10, m.boxWidth()-6) // border and padding
	wrap := lipgloss.NewStyle().Width(inner)
	lines := []string{
		st.Error.Render("Delete this document?"),
		"",
		layout.Line(st.Subtle.Render("_id ")+m.doc.Get("_id").Compact(), inner),
	}
	_, fields := extjson.Summary(m.doc)
	for i, f := range fields {
		if i == 3 {
			lines = append(lines, st.Subtle.Render("…"))
			break
		}
		lines = append(lines, layout.Line(st.Subtle.Render(f.Key+": ")+f.Value, inner))
	}
	lines = append(lines, "",
		wrap.Render("It is removed from "+st.Key.Render(m.org.Collection)+". This cannot be undone."),
		"", m.buttons())
	switch {
	case m.busy:
		lines = append(lines, "", m.spin.View()+" deleting…")
	case m.err != "":
		lines = append(lines, "", wrap.Render(st.Error.Render(styles.ErrorMark+m.err)))
	}
	box := st.DangerDialog.Width(inner + 6).Render(layout.Width(strings.Join(lines, "\n"), inner))
	return layout.Width(box, m.width)
}

func (m Model) buttons() string {
	st := m.c.Styles
	cancel, del := st.Button.Render("[ Cancel ]"), st.Button.Render("[ Delete ]")
	if m.button == Cancel {
		cancel = st.ActiveButton.Render("[ Cancel ]")
	} else {
		del = st.DangerButton.Render("[ Delete ]")
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, cancel, "  ", del)
}
