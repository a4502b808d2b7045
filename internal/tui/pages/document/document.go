// Package document is one document of an organization's collection:
// pretty-printed in relaxed Extended JSON and coloured, in a scrollable
// view; edited in the person's editor and saved with data.update's
// replace; or deleted. An edit that cannot be saved is kept, and the next
// edit starts from it.
package document

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/jsonview"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/editor"
	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/deletedocument"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Model is the page of one document.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization

	id   string         // _id, compact canonical: the document's key
	doc  *extjson.Value // as orgd has it
	text string         // doc relaxed and indented: what shows and what the editor gets
	vp   viewport.Model

	editing bool   // the editor is open, or a save is under way
	draft   string // an edit that was not saved, for the next e
	note    string // why it was not saved, or what esc will do
	leaving bool   // esc was pressed once while an edit is kept
	err     string // the document could not be loaded again
	spin    spin.Model
}

// editTag marks the editor's Done of this document.
type editTag struct{ org, id string }

type savedMsg struct {
	org, id string
	updated *rpc.DataUpdated
	err     error
}

type loadedMsg struct {
	org, id string
	found   *rpc.DataFound
	err     error
}

// New returns the page of doc (canonical Extended JSON) of o's collection.
// With edit, the editor opens on it straight away.
func New(c pages.Common, o rpc.Organization, doc json.RawMessage, edit bool) Model {
	vp := viewport.New()
	vp.SoftWrap = true
	vp.MouseWheelEnabled = false
	m := Model{c: c, org: o, vp: vp, editing: edit, spin: spin.New(c.Styles)}
	m.set(doc)
	return m
}

// set shows doc.
func (m *Model) set(doc json.RawMessage) {
	v, err := extjson.Parse(doc)
	if err != nil {
		m.err = "orgd sent a document that is not JSON: " + err.Error()
		return
	}
	m.doc = v
	m.id = v.Get("_id").Compact()
	m.text = extjson.Relax(v).Indent()
	m.vp.SetContent(jsonview.Colour(m.c.Styles, m.text))
}

// Init opens the editor when the page was asked to.
func (m Model) Init() tea.Cmd {
	if m.editing {
		return m.c.Editor.Edit(m.text+"\n", m.tag())
	}
	return nil
}

func (m Model) tag() editTag { return editTag{org: m.org.ID, id: m.id} }

// Title names the page.
func (m Model) Title() string {
	return m.org.Name + " › " + extjson.ShortID(m.doc.Get("_id"))
}

// Typing reports false: the page has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports false: the page fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the page's bindings.
func (m Model) Help() keymap.Help {
	return m.c.Keys.DocumentHelp(m.c.CanChangeOrg(m.org), m.c.Editor.Available())
}

// Text returns the document as it shows: relaxed and indented.
func (m Model) Text() string { return m.text }

// Draft returns the edit that was kept because it could not be saved.
func (m Model) Draft() string { return m.draft }

// Note returns what the page says under the document.
func (m Model) Note() string { return m.note }

// Editing reports whether the editor is open or a save under way.
func (m Model) Editing() bool { return m.editing }

// Update handles keys, the editor, the save and changes.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case pages.Reload:
		next := m.reload()
		return m, next
	case editor.Done:
		if msg.Tag != m.tag() {
			return m, nil
		}
		return m.edited(msg)
	case savedMsg:
		if msg.org != m.org.ID || msg.id != m.id {
			return m, nil
		}
		return m.saved(msg)
	case loadedMsg:
		if msg.org != m.org.ID || msg.id != m.id {
			return m, nil
		}
		return m.loaded(msg)
	case pages.DocumentChanged:
		if msg.Org != m.org.ID || msg.ID != m.id {
			return m, nil
		}
		if msg.Doc == nil {
			return m, pages.Send(pages.Back{})
		}
		m.set(msg.Doc)
		m.layout()
		return m, nil
	case pages.Changed:
		if msg.Event.Organization.ID != m.org.ID {
			return m, nil
		}
		if msg.Event.Type == rpc.EventDeleted {
			return m, pages.Send(pages.Back{})
		}
		m.org = msg.Event.Organization
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
	if !key.Matches(k, keys.Back) && m.leaving {
		m.leaving = false
		m.note = keptNote
		m.layout()
	}
	switch {
	case key.Matches(k, keys.Up):
		m.vp.ScrollUp(1)
	case key.Matches(k, keys.Down):
		m.vp.ScrollDown(1)
	case key.Matches(k, keys.PageUp):
		m.vp.PageUp()
	case key.Matches(k, keys.PageDown):
		m.vp.PageDown()
	case key.Matches(k, keys.Top):
		m.vp.GotoTop()
	case key.Matches(k, keys.Bottom):
		m.vp.GotoBottom()
	case key.Matches(k, keys.Back):
		if m.draft != "" && !m.leaving {
			m.leaving = true
			m.note = "Your edit is not saved: press e to go on with it, or esc again to drop it."
			m.layout()
			return m, nil
		}
		return m, pages.Send(pages.Back{})
	case m.editing:
		return m, nil
	case key.Matches(k, keys.Refresh):
		next := m.reload()
		return m, next
	case !m.c.CanChangeOrg(m.org):
		return m, nil
	case key.Matches(k, keys.EditDocument):
		if !m.c.Editor.Available() {
			return m, nil
		}
		return m.edit()
	case key.Matches(k, keys.DeleteDocument):
		raw := json.RawMessage(m.doc.Compact())
		return m, pages.Send(pages.Open{Page: deletedocument.New(m.c, m.org, raw)})
	}
	return m, nil
}

// edit opens the editor on the kept edit, or on the document.
func (m Model) edit() (pages.Page, tea.Cmd) {
	if m.editing || m.doc == nil {
		return m, nil
	}
	text := m.draft
	if text == "" {
		text = m.text + "\n"
	}
	m.editing = true
	return m, m.c.Editor.Edit(text, m.tag())
}

// reload asks orgd for the document again.
func (m *Model) reload() tea.Cmd {
	if m.id == "" {
		return nil
	}
	orgID, name, id := m.org.ID, m.org.Name, m.id
	load := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: token, Org: name, Filter: json.RawMessage(`{"_id":` + id + `}`), Limit: 1})
		return loadedMsg{org: orgID, id: id, found: found, err: err}, err
	})
	return tea.Batch(load, m.spin.Start())
}

func (m Model) loaded(msg loadedMsg) (pages.Page, tea.Cmd) {
	m.spin.Stop()
	switch {
	case msg.err != nil:
		m.err = remote.Describe(msg.err)
	case len(msg.found.Documents) == 0:
		return m, tea.Batch(
			pages.Send(pages.DocumentChanged{Org: m.org.ID, ID: m.id}),
			pages.Send(pages.Flash{Text: "document " + extjson.ShortID(m.doc.Get("_id")) + " no longer exists", Err: true}))
	default:
		m.err = ""
		doc := msg.found.Documents[0]
		m.set(doc)
		m.layout()
		return m, pages.Send(pages.DocumentChanged{Org: m.org.ID, ID: m.id, Doc: doc})
	}
	m.layout()
	return m, nil
}

// layout sizes the viewport to what the header and the note leave.
func (m *Model) layout() {
	m.vp.SetWidth(max(1, m.width))
	m.vp.SetHeight(max(1, m.height-1-len(m.noteLines())))
	m.vp.SetYOffset(m.vp.YOffset()) // stay within the content after a resize
}

// View draws the header line, the document and the note.
func (m Model) View() string {
	st := m.c.Styles
	left := st.Title.Render("Document") + " " + extjson.Relax(m.doc.Get("_id")).Compact() + st.Subtle.Render(" in "+m.org.Collection)
	if m.spin.Active() {
		left += "  " + m.spin.View()
	}
	right := ""
	if total := m.vp.TotalLineCount(); total > m.vp.Height() {
		top := m.vp.YOffset() + 1
		right = st.Subtle.Render(fmt.Sprintf("lines %d–%d of %d", top, min(total, top+m.vp.Height()-1), total))
	}
	left = layout.Line(left, max(0, m.width-lipgloss.Width(right)-1))
	header := left + strings.Repeat(" ", max(1, m.width-lipgloss.Width(left)-lipgloss.Width(right))) + right
	lines := []string{header}
	if m.err != "" {
		lines = append(lines, st.Error.Render(styles.ErrorMark+m.err))
	}
	body := layout.Fit(strings.Join(append(lines, m.vp.View()), "\n"), m.width, m.height-len(m.noteLines()))
	if note := m.noteLines(); len(note) > 0 {
		body += "\n" + strings.Join(note, "\n")
	}
	return layout.Fit(body, m.width, m.height)
}

// noteLines is the note wrapped to the width (at most three lines).
func (m Model) noteLines() []string {
	lines := layout.Message(styles.ErrorMark, m.note, m.width, 3)
	for i, l := range lines {
		lines[i] = m.c.Styles.Error.Render(l)
	}
	return lines
}
