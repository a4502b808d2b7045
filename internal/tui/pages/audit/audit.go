// Package audit is the audit log (SPEC §10): who did what, to which
// organization, when and from where, newest first, loaded from orgd a
// page at a time as the cursor moves down. Operators see every entry and
// admins their organization's; viewers are not offered the page. / filters
// by organization, actor, action and time; enter shows an entry in full.
//
// orgd reads a bounded number of entries per call, so with a filter a
// page may come back short, even empty, with more to read: the page then
// goes on reading by itself, a few calls at a time, while the list does
// not fill the screen.
package audit

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/components/table"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

const (
	// PageSize is how many entries one call asks for while scrolling.
	PageSize = 100
	// BulkPageSize is the page size used to reach the end (G).
	BulkPageSize = 500
	// MaxSearchCalls is how many calls in a row the page makes by itself
	// while they come back short (a filter that matches few entries);
	// moving down at the end of the list goes on.
	MaxSearchCalls = 8
)

// TimeLayout is how the list shows when an entry was written (UTC).
const TimeLayout = "2006-01-02 15:04"

// Model is the audit log.
type Model struct {
	c             pages.Common
	width, height int
	filter        Filter

	items  []rpc.AuditEntry
	next   string
	loaded bool
	err    string

	loading  bool
	loads    pages.Loads
	spin     spin.Model
	win      table.Window
	searched int  // calls in a row that came back short
	toBottom bool // G: keep loading to the end
}

// loadMsg asks the page to load.
type loadMsg struct{}

// loadedMsg is a page of the log.
type loadedMsg struct {
	load  pages.Load
	more  bool
	limit int
	list  *rpc.AuditList
	err   error
}

// New returns the audit log of the signed-in account, unfiltered; Init
// loads it.
func New(c pages.Common) Model {
	return Model{c: c, spin: spin.New(c.Styles)}
}

// Offered reports whether the signed-in account may read the audit log:
// operators and admins may, viewers may not.
func Offered(c pages.Common) bool { return c.Role == rpc.RoleOperator || c.Role == rpc.RoleAdmin }

// Init loads the newest entries.
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{}) }

// Title names the page.
func (m Model) Title() string { return "Audit log" }

// Typing reports false: the page has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports false: the page fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the page's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.AuditHelp(!m.filter.IsZero()) }

// Filter returns the filter in force.
func (m Model) Filter() Filter { return m.filter }

// Items returns the entries loaded so far, newest first.
func (m Model) Items() []rpc.AuditEntry { return m.items }

// More reports whether orgd has entries beyond those loaded.
func (m Model) More() bool { return m.next != "" }

// Err returns why the last load failed, if it did.
func (m Model) Err() string { return m.err }

// Selected returns the entry under the cursor.
func (m Model) Selected() (rpc.AuditEntry, bool) {
	if m.win.Cursor < 0 || m.win.Cursor >= len(m.items) {
		return rpc.AuditEntry{}, false
	}
	return m.items[m.win.Cursor], true
}

// Update handles keys, the pages from orgd and a new filter.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.win.Scroll(len(m.items), m.rows())
		return m, nil
	case loadMsg, pages.Reload:
		next := m.reload()
		return m, next
	case Filtered:
		m.filter = msg.Filter
		m.win = table.Window{}
		next := m.reload()
		return m, next
	case moveMsg:
		return m.moveTo(msg)
	case loadedMsg:
		if !m.loads.Latest(msg.load) {
			return m, nil
		}
		return m.onLoaded(msg)
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
	case key.Matches(k, keys.Back):
		if !m.filter.IsZero() {
			m.filter = Filter{}
			m.win = table.Window{}
			next := m.reload()
			return m, next
		}
		return m, pages.Send(pages.Back{})
	case key.Matches(k, keys.Refresh):
		next := m.reload()
		return m, next
	case key.Matches(k, keys.Filter):
		return m, pages.Send(pages.Open{Page: NewFilterForm(m.c, m.filter)})
	case key.Matches(k, keys.ShowEntry):
		if _, ok := m.Selected(); ok {
			return m, pages.Send(pages.Open{Page: newEntry(m.c, m.items, m.win.Cursor)})
		}
		return m, nil
	case key.Matches(k, keys.Up):
		m.move(-1)
	case key.Matches(k, keys.Down):
		m.move(1)
	case key.Matches(k, keys.PageUp):
		m.move(-m.rows())
	case key.Matches(k, keys.PageDown):
		m.move(m.rows())
	case key.Matches(k, keys.Top):
		m.toBottom = false
		m.win.Cursor = 0
		m.win.Scroll(len(m.items), m.rows())
	case key.Matches(k, keys.Bottom):
		m.searched = 0
		m.win.Cursor = len(m.items) - 1
		m.win.Scroll(len(m.items), m.rows())
		if m.next != "" {
			m.toBottom = true
			next := m.more(BulkPageSize)
			return m, next
		}
	default:
		return m, nil
	}
	next := m.prefetch()
	return m, next
}

// move moves the cursor by n; moving down at the end of the list asks
// for more even after the page stopped searching by itself.
func (m *Model) move(n int) {
	m.toBottom = false
	if n > 0 && m.win.Cursor+n >= len(m.items) {
		m.searched = 0
	}
	m.win.Cursor += n
	m.win.Scroll(len(m.items), m.rows())
}

// moveMsg puts the cursor on the entry with ID, as the entry page moves
// through the entries.
type moveMsg struct{ id string }

func (m Model) moveTo(msg moveMsg) (pages.Page, tea.Cmd) {
	for i, e := range m.items {
		if e.ID == msg.id {
			m.win.Cursor = i
			m.win.Scroll(len(m.items), m.rows())
			break
		}
	}
	next := m.prefetch()
	return m, next
}

// reload loads the log again from the newest entry.
func (m *Model) reload() tea.Cmd {
	m.loads.Next()
	m.loading = true
	m.toBottom = false
	m.searched = 0
	return tea.Batch(m.fetch("", PageSize, false), m.spin.Start())
}

func (m *Model) more(limit int) tea.Cmd {
	if m.loading || m.next == "" {
		return nil
	}
	m.loading = true
	return tea.Batch(m.fetch(m.next, limit, true), m.spin.Start())
}

// prefetch asks for more once the cursor nears the end of what is
// loaded, or while the list does not fill the screen and a few calls in
// a row have not found enough.
func (m *Model) prefetch() tea.Cmd {
	if m.next == "" || m.searched >= MaxSearchCalls {
		return nil
	}
	if m.win.Cursor >= len(m.items)-m.rows()-1 {
		return m.more(PageSize)
	}
	return nil
}

func (m Model) fetch(cursor string, limit int, more bool) tea.Cmd {
	load, f := m.loads.Current(), m.filter
	return m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		l, err := c.ListAudit(ctx, f.params(token, cursor, limit))
		return loadedMsg{load: load, more: more, limit: limit, list: l, err: err}, err
	})
}

func (m Model) onLoaded(msg loadedMsg) (pages.Page, tea.Cmd) {
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
		m.items = pages.AppendPage(m.items, msg.list.Items, func(x rpc.AuditEntry) string { return x.ID })
	} else {
		m.items = append([]rpc.AuditEntry(nil), msg.list.Items...)
	}
	m.next = msg.list.NextCursor
	if len(msg.list.Items) < msg.limit && m.next != "" {
		m.searched++
	} else {
		m.searched = 0
	}
	if m.toBottom {
		if m.next != "" && m.searched < MaxSearchCalls {
			m.win.Scroll(len(m.items), m.rows())
			next := m.more(BulkPageSize)
			return m, next
		}
		m.toBottom = false
		m.win.Cursor = len(m.items) - 1
	}
	m.win.Scroll(len(m.items), m.rows())
	next := m.prefetch()
	return m, next
}

// rows is how many table rows fit: the height less the filter line, the
// summary line and the column header.
func (m Model) rows() int { return max(1, m.height-3) }

var columns = []table.Column{
	{Title: "WHEN (UTC)", Min: len(TimeLayout)},
	{Title: "ACTOR", Min: 18, Grow: 2},
	{Title: "ACTION", Min: 17},
	{Title: "ORGANIZATION", Min: 14, Grow: 2},
	{Title: "DETAIL", Min: 16, Grow: 3},
}

func cells(e rpc.AuditEntry) []string {
	return []string{e.At.UTC().Format(TimeLayout), orNone(e.Actor), e.Action, orNone(e.OrgName), detailOf(e)}
}

// detailOf is what the detail column shows: the account acted on, then
// what changed.
func detailOf(e rpc.AuditEntry) string {
	switch {
	case e.Target != "" && e.Detail != "":
		return e.Target + ": " + e.Detail
	case e.Target != "":
		return e.Target
	}
	return e.Detail
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// View draws the filter line, the summary line, the column header and
// the rows that show.
func (m Model) View() string {
	st := m.c.Styles
	lines := []string{layout.Line(m.scope(), m.width), m.summary()}
	switch {
	case !m.loaded && m.err != "":
		lines = append(lines, "", st.Error.Render(styles.ErrorMark+m.err), st.Subtle.Render("Press r to try again."))
	case !m.loaded:
		lines = append(lines, "", st.Subtle.Render("Loading the audit log…"))
	case len(m.items) == 0 && m.next != "":
		lines = append(lines, "", "No entry found yet.", st.Subtle.Render("Press G or ↓ to search older entries."))
	case len(m.items) == 0 && m.filter.IsZero():
		lines = append(lines, "", "No entries.")
	case len(m.items) == 0:
		lines = append(lines, "", "No entry matches the filter.", st.Subtle.Render("Press / to change it, esc to clear it."))
	default:
		ws := table.Widths(columns, m.width)
		lines = append(lines, table.Header(st, columns, ws))
		end := min(len(m.items), m.win.Offset+m.rows())
		for i := m.win.Offset; i < end; i++ {
			lines = append(lines, table.Row(st, cells(m.items[i]), ws, i == m.win.Cursor, m.width, func(col int, cell string) string {
				switch col {
				case 0:
					return st.Subtle.Render(cell)
				case 2:
					return st.AuditAction.Render(cell)
				}
				return cell
			}))
		}
	}
	return layout.Fit(strings.Join(lines, "\n"), m.width, m.height)
}

// scope is the line that says which entries the log shows: whose, and
// the filter in force.
func (m Model) scope() string {
	st := m.c.Styles
	switch {
	case m.filter.IsZero() && m.c.Org != nil:
		return st.Subtle.Render("Entries of " + m.c.Org.Name + ", newest first. / filters.")
	case m.filter.IsZero():
		return st.Subtle.Render("Every organization's entries, newest first. / filters.")
	}
	return st.Subtle.Render("Filter: ") + st.Text.Render(m.filter.String())
}

// summary is the line above the table: how many entries are loaded, and
// where the cursor is among them.
func (m Model) summary() string {
	st := m.c.Styles
	left := ""
	if m.loaded {
		n := fmt.Sprintf("%d entries", len(m.items))
		if len(m.items) == 1 {
			n = "1 entry"
		}
		switch {
		case m.next != "" && m.searched >= MaxSearchCalls:
			n += " so far; more to search (↓ at the end)"
		case m.next != "":
			n += " loaded, more older"
		}
		left = st.Subtle.Render(n)
	}
	right := ""
	if m.loaded && len(m.items) > 0 {
		right = fmt.Sprintf("%d of %d", m.win.Cursor+1, len(m.items))
		if m.next != "" {
			right += "+"
		}
	}
	if m.spin.Active() {
		right = m.spin.View() + " " + right
	}
	if m.err != "" && m.loaded {
		right = st.Error.Render(styles.ErrorMark+m.err) + "  " + right
	}
	space := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if space < 1 {
		left = layout.Line(left, max(0, m.width-lipgloss.Width(right)-1))
		space = max(1, m.width-lipgloss.Width(left)-lipgloss.Width(right))
	}
	return left + strings.Repeat(" ", space) + right
}
