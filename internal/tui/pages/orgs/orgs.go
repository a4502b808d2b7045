// Package orgs is the organization list: a table that pages from orgd as
// the cursor moves down (org.list's cursor), filters through org.list's
// query and label selector ("acme label:env=prod") while the person types,
// and follows org.event notifications while keeping the cursor on the same
// organization. Suspended organizations are marked in the STATE column.
package orgs

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/accounts"
	"github.com/orgd/orgd/internal/tui/pages/audit"
	"github.com/orgd/orgd/internal/tui/pages/detail"
	"github.com/orgd/orgd/internal/tui/pages/orgform"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/rpc"
)

const (
	// PageSize is how many organizations one org.list call asks for while
	// scrolling.
	PageSize = 100
	// BulkPageSize is the page size used to reach the end of the list (G).
	BulkPageSize = 500
	// FilterDelay is how long typing must pause before the filter is sent.
	FilterDelay = 250 * time.Millisecond
)

// Model is the organization list.
type Model struct {
	c             pages.Common
	width, height int

	items  []rpc.Organization
	next   string // org.list cursor of the next page; empty when all are loaded
	total  int
	loaded bool // a first page has arrived
	err    string

	loading bool
	loads   pages.Loads // replies of older loads, or of another list, are dropped
	spin    spin.Model

	cursor, offset int
	focusID        string          // put the cursor here once the organization is loaded
	applied        map[string]bool // changes applied, by type, id and time
	toBottom       bool            // G was pressed while pages remained

	query     string
	filter    textinput.Model
	filtering bool
	filterSeq int
}

// loadedMsg is a page of org.list.
type loadedMsg struct {
	load pages.Load
	more bool // appends to what is loaded
	list *rpc.OrgList
	err  error
}

// filterMsg fires FilterDelay after a keystroke in the filter.
type filterMsg struct{ seq int }

// New returns the list; Init loads its first page.
func New(c pages.Common) Model {
	f := textinput.New()
	f.Prompt = "/ "
	f.Placeholder = "name, slug, email or label:env=prod"
	f.SetStyles(c.Styles.Input)
	f.CharLimit = 128
	return Model{c: c, filter: f, spin: spin.New(c.Styles)}
}

// loadMsg asks the list to load its first page.
type loadMsg struct{}

// Init loads the first page.
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{}) }

// Title names the page.
func (m Model) Title() string { return "Organizations" }

// Typing reports whether the filter line has the focus.
func (m Model) Typing() bool { return m.filtering }

// Dialog reports false: the list fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the list's bindings.
func (m Model) Help() keymap.Help {
	if m.filtering {
		return m.c.Keys.FilterHelp()
	}
	o, selected := m.Selected()
	offer := detail.Offer(m.c, o)
	return m.c.Keys.ListHelp(keymap.ListOffer{
		Create:   m.c.CanCreate(),
		Edit:     selected && offer.Edit,
		Delete:   selected && offer.Delete,
		Suspend:  selected && offer.Suspend,
		Resume:   selected && offer.Resume,
		Accounts: m.c.IsOperator(),
		Audit:    audit.Offered(m.c),
	})
}

// Selected returns the organization under the cursor.
func (m Model) Selected() (rpc.Organization, bool) {
	if m.cursor < 0 || m.cursor >= len(m.items) {
		return rpc.Organization{}, false
	}
	return m.items[m.cursor], true
}

// Query returns the filter in force.
func (m Model) Query() string { return m.query }

// Update handles keys, pages from orgd, the filter's timer and changes.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.filter.SetWidth(max(10, m.width/2))
		m.scroll()
		next := m.prefetch()
		return m, next
	case pages.Reload, loadMsg:
		next := m.reload()
		return m, next
	case loadedMsg:
		return m.onLoaded(msg)
	case filterMsg:
		if msg.seq != m.filterSeq || m.filter.Value() == m.query {
			return m, nil
		}
		m.query = m.filter.Value()
		next := m.reload()
		return m, next
	case pages.Changed:
		m.apply(msg.Event, msg.Focus)
		next := m.prefetch()
		return m, next
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
		m.cursor = max(0, len(m.items)-1)
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
		m.filter.SetValue(m.query)
		m.filter.CursorEnd()
		next := m.filter.Focus()
		return m, next
	case key.Matches(k, keys.ClearFilter):
		if m.query != "" {
			m.query = ""
			m.filter.SetValue("")
			next := m.reload()
			return m, next
		}
		return m, nil
	case key.Matches(k, keys.Create):
		if !m.c.CanCreate() {
			return m, nil
		}
		return m, pages.Send(pages.Open{Page: orgform.NewCreate(m.c)})
	case key.Matches(k, keys.Accounts):
		if !m.c.IsOperator() {
			return m, nil
		}
		return m, pages.Send(pages.Open{Page: accounts.New(m.c)})
	case key.Matches(k, keys.Audit):
		if !audit.Offered(m.c) {
			return m, nil
		}
		return m, pages.Send(pages.Open{Page: audit.New(m.c)})
	}
	o, ok := m.Selected()
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, keys.Open):
		return m, pages.Send(pages.Open{Page: detail.New(m.c, o)})
	}
	if p, ok := detail.Action(m.c, o, k); ok {
		return m, pages.Send(pages.Open{Page: p})
	}
	next := m.prefetch()
	return m, next
}

func (m Model) filterKey(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.ApplyFilter):
		m.filtering = false
		m.filter.Blur()
		if m.filter.Value() != m.query {
			m.query = m.filter.Value()
			next := m.reload()
			return m, next
		}
		return m, nil
	case key.Matches(k, keys.ClearFilter):
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue("")
		if m.query != "" {
			m.query = ""
			next := m.reload()
			return m, next
		}
		return m, nil
	case k.String() == "up":
		m.move(-1)
		return m, nil
	case k.String() == "down":
		m.move(1)
		next := m.prefetch()
		return m, next
	}
	return m.typeFilter(k)
}

// typeFilter hands a key or a paste to the filter line, and sends the
// filter once typing pauses.
func (m Model) typeFilter(msg tea.Msg) (pages.Page, tea.Cmd) {
	before := m.filter.Value()
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() == before {
		return m, cmd
	}
	m.filterSeq++
	seq := m.filterSeq
	return m, tea.Batch(cmd, tea.Tick(FilterDelay, func(time.Time) tea.Msg { return filterMsg{seq: seq} }))
}

// move moves the cursor by n rows and loads the next page when the cursor
// comes near the end of what is loaded.
func (m *Model) move(n int) {
	m.toBottom = false
	m.cursor = max(0, min(len(m.items)-1, m.cursor+n))
	m.scroll()
}

// rows is how many table rows fit.
func (m Model) rows() int { return max(1, m.height-2) }

// scroll keeps the cursor within the visible rows.
func (m *Model) scroll() {
	rows := m.rows()
	m.cursor = max(0, min(m.cursor, len(m.items)-1))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, len(m.items)-rows))
}

// reload loads the list again from the top, keeping the cursor on the
// organization it is on.
func (m *Model) reload() tea.Cmd {
	if o, ok := m.Selected(); ok && m.focusID == "" {
		m.focusID = o.ID
	}
	m.loading = true
	m.toBottom = false
	return tea.Batch(m.fetch(m.loads.Next(), "", PageSize, false), m.spin.Start())
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
	if m.next != "" && m.cursor >= len(m.items)-m.rows()-1 {
		return m.more(PageSize)
	}
	return nil
}

func (m Model) fetch(load pages.Load, cursor string, limit int, more bool) tea.Cmd {
	q, sel := SplitFilter(m.query)
	return m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: token, Query: q, Selector: sel, Limit: limit, Cursor: cursor})
		return loadedMsg{load: load, more: more, list: l, err: err}, err
	})
}

func (m Model) onLoaded(msg loadedMsg) (pages.Page, tea.Cmd) {
	if !m.loads.Latest(msg.load) {
		return m, nil
	}
	m.loading = false
	m.spin.Stop()
	if msg.err != nil {
		m.err = remote.Describe(msg.err)
		m.toBottom = false
		return m, nil
	}
	m.err = ""
	m.loaded = true
	if msg.more {
		m.items = pages.AppendPage(m.items, msg.list.Items, func(x rpc.Organization) string { return x.ID })
	} else {
		m.items = append([]rpc.Organization(nil), msg.list.Items...)
	}
	m.next = msg.list.NextCursor
	m.total = msg.list.Total
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
		m.cursor = len(m.items) - 1
	}
	m.scroll()
	next := m.prefetch()
	return m, next
}

func (m Model) index(id string) int {
	for i, o := range m.items {
		if o.ID == id {
			return i
		}
	}
	return -1
}
