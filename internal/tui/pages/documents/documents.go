// Package documents is an organization's documents: a table of one
// summarised document per row, paged from orgd as the cursor moves down
// (data.find's cursor), filtered by a JSON query typed after /, from which
// a document is viewed, edited or deleted, and a new one inserted through
// the person's editor.
package documents

import (
	"context"
	"encoding/json"
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/deletedocument"
	"github.com/orgd/orgd/internal/tui/pages/document"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/rpc"
)

const (
	// PageSize is how many documents one data.find call asks for while
	// scrolling.
	PageSize = 100
	// BulkPageSize is the page size used to reach the end of the list (G).
	BulkPageSize = rpc.MaxFindLimit
	// FilterLimit bounds the length of a typed filter.
	FilterLimit = 4096
)

// Model is the list of an organization's documents.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization

	docs   []row
	next   string // data.find cursor of the next page; empty when all are loaded
	total  int64  // documents in the collection (org.stats); -1 when unknown
	loaded bool   // a first page has arrived
	err    string

	loading bool
	loads   pages.Loads // replies of older loads, or of another list, are dropped
	spin    spin.Model

	cursor, offset int
	focusID        string // put the cursor on this _id once it is loaded
	toBottom       bool   // G was pressed while pages remained

	filter    string // the filter asked for (compact JSON); empty for none
	shown     string // the filter of the documents shown
	input     textinput.Model
	filtering bool
	filterErr string // why the typed filter was not applied

	inserting bool   // the editor is open on a new document, or its insert is under way
	draft     string // a new document that was not inserted, for the next i
	note      string // why it was not inserted
}

// row is one document.
type row struct {
	raw json.RawMessage
	id  string // _id, compact canonical: the document's key
	doc *extjson.Value
}

func newRow(raw json.RawMessage) row {
	r := row{raw: raw}
	if v, err := extjson.Parse(raw); err == nil {
		r.doc = v
		if id := v.Get("_id"); id != nil {
			r.id = id.Compact()
		}
	}
	return r
}

// loadedMsg is a page of data.find.
type loadedMsg struct {
	org    string
	load   pages.Load
	more   bool   // appends to what is loaded
	filter string // the filter it was asked with
	found  *rpc.DataFound
	err    error
}

// totalMsg is the number of documents from org.stats.
type totalMsg struct {
	org   string
	load  pages.Load
	total int64
}

// loadMsg asks the list of organization org to load its first page.
type loadMsg struct{ org string }

// New returns the documents of o; Init loads the first page.
func New(c pages.Common, o rpc.Organization) Model {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = `a JSON filter, e.g. {"name": "Ada"}`
	in.SetStyles(c.Styles.Input)
	in.CharLimit = FilterLimit
	return Model{c: c, org: o, input: in, total: -1, spin: spin.New(c.Styles)}
}

// Init loads the first page.
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{org: m.org.ID}) }

// Title names the page.
func (m Model) Title() string { return m.org.Name + " › documents" }

// Typing reports whether the filter line has the focus.
func (m Model) Typing() bool { return m.filtering }

// Dialog reports false: the list fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the list's bindings.
func (m Model) Help() keymap.Help {
	if m.filtering {
		return m.c.Keys.JSONFilterHelp()
	}
	return m.c.Keys.DocumentsHelp(m.filter != "", m.c.CanChangeOrg(m.org), m.c.Editor.Available())
}

// Filter returns the filter in force (compact JSON), empty for none.
func (m Model) Filter() string { return m.filter }

// Selected returns the document under the cursor (canonical Extended
// JSON).
func (m Model) Selected() (json.RawMessage, bool) {
	if m.cursor < 0 || m.cursor >= len(m.docs) {
		return nil, false
	}
	return m.docs[m.cursor].raw, true
}

// Editing reports whether the editor is open on a new document, or its
// insert is under way.
func (m Model) Editing() bool { return m.inserting }

// Len returns how many documents are loaded.
func (m Model) Len() int { return len(m.docs) }

// Update handles keys, pages from orgd, the editor and changes.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.SetWidth(max(10, m.width-24)) // room for the prompt and the position
		m.scroll()
		next := m.prefetch()
		return m, next
	case loadMsg:
		if msg.org != m.org.ID {
			return m, nil
		}
		next := m.reload()
		return m, next
	case pages.Reload:
		next := m.reload()
		return m, next
	case loadedMsg:
		if msg.org != m.org.ID {
			return m, nil
		}
		return m.onLoaded(msg)
	case totalMsg:
		if msg.org == m.org.ID && m.loads.Latest(msg.load) && m.filter == "" {
			m.total = msg.total
		}
		return m, nil
	case pages.DocumentChanged:
		if msg.Org == m.org.ID {
			m.apply(msg)
		}
		return m, nil
	case pages.Changed:
		if msg.Event.Organization.ID != m.org.ID {
			return m, nil
		}
		if msg.Event.Type == rpc.EventDeleted {
			return m, pages.BackWith(m.org.Name + " was deleted")
		}
		m.org = msg.Event.Organization
		return m, nil
	case tea.KeyPressMsg:
		if m.filtering {
			return m.filterKey(msg)
		}
		return m.key(msg)
	case tea.PasteMsg:
		if m.filtering {
			return m.typeFilter(msg)
		}
		return m, nil
	}
	if next, cmd, ok := m.onInsert(msg); ok {
		return next, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Up):
		m.move(-1)
	case key.Matches(k, keys.Down):
		m.move(1)
	case key.Matches(k, keys.PageUp):
		m.move(-m.rows())
	case key.Matches(k, keys.PageDown):
		m.move(m.rows())
	case key.Matches(k, keys.Top):
		m.cursor = 0
		m.toBottom = false
		m.scroll()
	case key.Matches(k, keys.Bottom):
		m.cursor = max(0, len(m.docs)-1)
		m.scroll()
		if m.next != "" {
			m.toBottom = true
			next := m.more(BulkPageSize)
			return m, next
		}
		return m, nil
	case key.Matches(k, keys.Refresh):
		next := m.reload()
		return m, next
	case key.Matches(k, keys.Filter):
		m.filtering = true
		m.filterErr = ""
		if m.input.Value() == "" {
			m.input.SetValue(m.filter)
		}
		m.input.CursorEnd()
		next := m.input.Focus()
		return m, next
	case key.Matches(k, keys.ClearFilter) && m.filter != "":
		m.filter = ""
		m.input.SetValue("")
		next := m.reload()
		return m, next
	case key.Matches(k, keys.Back):
		return m, pages.Send(pages.Back{})
	case key.Matches(k, keys.InsertDocument):
		if !m.c.CanChangeOrg(m.org) || !m.c.Editor.Available() {
			return m, nil
		}
		return m.insert()
	}
	r, ok := m.selected()
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, keys.ViewDocument):
		return m, pages.Send(pages.Open{Page: document.New(m.c, m.org, r.raw, false)})
	case key.Matches(k, keys.EditDocument) && m.c.CanChangeOrg(m.org) && m.c.Editor.Available():
		return m, pages.Send(pages.Open{Page: document.New(m.c, m.org, r.raw, true)})
	case key.Matches(k, keys.DeleteDocument) && m.c.CanChangeOrg(m.org):
		return m, pages.Send(pages.Open{Page: deletedocument.New(m.c, m.org, r.raw)})
	}
	next := m.prefetch()
	return m, next
}

func (m Model) selected() (row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.docs) || m.docs[m.cursor].id == "" {
		return row{}, false
	}
	return m.docs[m.cursor], true
}

// move moves the cursor by n rows.
func (m *Model) move(n int) {
	m.toBottom = false
	m.cursor = max(0, min(len(m.docs)-1, m.cursor+n))
	m.scroll()
}

// rows is how many table rows fit: the page less the summary line, the
// column header (or the filter's error in its place) and the note.
func (m Model) rows() int {
	return max(1, m.height-1-max(1, len(m.filterErrLines()))-len(m.noteLines()))
}

// scroll keeps the cursor within the visible rows.
func (m *Model) scroll() {
	rows := m.rows()
	m.cursor = max(0, min(m.cursor, len(m.docs)-1))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, len(m.docs)-rows))
}

// reload loads the list again from the top with the filter in force,
// keeping the cursor on the document it is on.
func (m *Model) reload() tea.Cmd {
	if r, ok := m.selected(); ok && m.focusID == "" {
		m.focusID = r.id
	}
	load := m.loads.Next()
	m.loading = true
	m.toBottom = false
	cmds := []tea.Cmd{m.fetch(load, "", PageSize, false), m.spin.Start()}
	if m.filter == "" {
		cmds = append(cmds, m.count(load))
	}
	return tea.Batch(cmds...)
}

// more loads the page after what is loaded.
func (m *Model) more(limit int) tea.Cmd {
	if m.loading || m.next == "" {
		return nil
	}
	m.loading = true
	return tea.Batch(m.fetch(m.loads.Current(), m.next, limit, true), m.spin.Start())
}

// prefetch loads the next page when the cursor is within a screen of the
// end of what is loaded.
func (m *Model) prefetch() tea.Cmd {
	if m.next != "" && m.cursor >= len(m.docs)-m.rows()-1 {
		return m.more(PageSize)
	}
	return nil
}

func (m Model) fetch(load pages.Load, cursor string, limit int, more bool) tea.Cmd {
	orgID, name, filter := m.org.ID, m.org.Name, m.filter
	return m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		p := rpc.DataFindParams{Token: token, Org: name, Limit: limit, Cursor: cursor}
		if filter != "" {
			p.Filter = json.RawMessage(filter)
		}
		found, err := c.FindDocuments(ctx, p)
		return loadedMsg{org: orgID, load: load, more: more, filter: filter, found: found, err: err}, err
	})
}

// count asks org.stats how many documents the collection holds: a figure
// orgd reads from collStats, which costs nothing, unlike data.count.
func (m Model) count(load pages.Load) tea.Cmd {
	orgID, name := m.org.ID, m.org.Name
	return m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		s, err := c.OrgStats(ctx, token, name)
		if err != nil {
			// The figure is a nicety: the list does without it. The error
			// still goes to the application, which notices a lost
			// connection or an ended session from it.
			return nil, err
		}
		return totalMsg{org: orgID, load: load, total: s.Documents}, nil
	})
}

func (m Model) onLoaded(msg loadedMsg) (pages.Page, tea.Cmd) {
	if !m.loads.Latest(msg.load) {
		return m, nil
	}
	m.loading = false
	m.spin.Stop()
	if msg.err != nil {
		m.toBottom = false
		if msg.filter != "" && !msg.more && rpc.ErrorCode(msg.err) == rpc.CodeInvalidParams {
			// orgd refused the filter: back to the filter line, as typed,
			// with orgd's reason; the list stays as it was.
			m.filtering = true
			m.filterErr = "refused by orgd: " + remote.Describe(msg.err)
			m.filter = m.shown
			next := m.input.Focus()
			return m, next
		}
		m.err = remote.Describe(msg.err)
		return m, nil
	}
	m.err = ""
	if !msg.more {
		if msg.filter != m.shown {
			m.cursor, m.offset = 0, 0
		}
		m.docs = nil
		m.loaded = true
		m.shown = msg.filter
		if msg.filter != "" {
			m.total = -1
		}
	}
	have := make(map[string]bool, len(m.docs))
	for _, r := range m.docs {
		have[r.id] = true
	}
	for _, raw := range msg.found.Documents {
		r := newRow(raw)
		if r.id == "" || !have[r.id] {
			m.docs = append(m.docs, r)
			have[r.id] = true
		}
	}
	m.next = msg.found.NextCursor
	if m.focusID != "" {
		if i := m.index(m.focusID); i >= 0 {
			m.cursor = i
		}
		m.focusID = ""
	}
	if m.toBottom {
		if m.next != "" {
			m.scroll()
			next := m.more(BulkPageSize)
			return m, next
		}
		m.toBottom = false
		m.cursor = len(m.docs) - 1
	}
	m.scroll()
	next := m.prefetch()
	return m, next
}

func (m Model) index(id string) int {
	for i, r := range m.docs {
		if r.id == id {
			return i
		}
	}
	return -1
}

// apply applies a change this application made to a document.
func (m *Model) apply(ch pages.DocumentChanged) {
	i := m.index(ch.ID)
	if i < 0 {
		return
	}
	if ch.Doc == nil {
		m.docs = append(m.docs[:i:i], m.docs[i+1:]...)
		if m.total > 0 {
			m.total--
		}
		m.scroll()
		return
	}
	m.docs[i] = newRow(ch.Doc)
}

// position says where the cursor is among how many.
func (m Model) position() string {
	n := len(m.docs)
	if n == 0 {
		return "0"
	}
	of := pages.Count(n)
	switch {
	case m.filter == "" && m.total >= 0:
		of = pages.Count(max(m.total, int64(n)))
	case m.next != "":
		of += "+"
	}
	return fmt.Sprintf("%s of %s", pages.Count(m.cursor+1), of)
}
