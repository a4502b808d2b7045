// Package accountlist is the table of accounts that the operators' page
// and an organization's members page share: email, role, created and
// last login, paged from orgd as the cursor moves down (operator.list's
// and member.list's cursor), with the cursor kept on the same account
// across reloads.
package accountlist

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	// PageSize is how many accounts one call asks for while scrolling.
	PageSize = 100
	// BulkPageSize is the page size used to reach the end of the list (G).
	BulkPageSize = 500
)

// Load asks orgd for one page of the list: the accounts after cursor
// (empty: from the first), at most limit of them.
type Load func(ctx context.Context, c remote.Client, token, cursor string, limit int) (*rpc.AccountList, error)

// Options configure a list.
type Options struct {
	// Load loads a page.
	Load Load
	// Roles adds the ROLE column (members are admins or viewers).
	Roles bool
	// You is the signed-in account's email, marked "(you)" in the list.
	You string
	// Noun names the accounts in the summary and when there are none
	// ("operators", "members").
	Noun string
}

// Model is a list of accounts.
type Model struct {
	orgd   *remote.Orgd
	keys   *keymap.KeyMap
	styles *styles.Styles
	opt    Options

	width, height int

	items  []rpc.Account
	next   string
	total  int
	loaded bool
	err    string

	loading bool
	loads   pages.Loads
	spin    spin.Model

	win      table.Window
	focus    string // put the cursor on this email once it is loaded
	toBottom bool
}

// loadedMsg is a page of the list.
type loadedMsg struct {
	load pages.Load
	more bool
	list *rpc.AccountList
	err  error
}

// New returns an empty list; Reload loads its first page.
func New(o *remote.Orgd, keys *keymap.KeyMap, st *styles.Styles, opt Options) Model {
	return Model{orgd: o, keys: keys, styles: st, opt: opt, spin: spin.New(st)}
}

// SetSize makes the list width×height cells.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.win.Scroll(len(m.items), m.rows())
}

// Selected returns the account under the cursor.
func (m Model) Selected() (rpc.Account, bool) {
	if m.win.Cursor < 0 || m.win.Cursor >= len(m.items) {
		return rpc.Account{}, false
	}
	return m.items[m.win.Cursor], true
}

// Items returns the accounts loaded so far.
func (m Model) Items() []rpc.Account { return m.items }

// Total returns how many accounts orgd has in the list.
func (m Model) Total() int { return m.total }

// Loaded reports whether every account of the list is loaded.
func (m Model) Loaded() bool { return m.loaded && m.next == "" }

// Err returns why the last load failed, if it did.
func (m Model) Err() string { return m.err }

// Reload loads the list again from the top, keeping the cursor on the
// account it is on, or putting it on focus when that is not empty.
func (m *Model) Reload(focus string) tea.Cmd {
	if focus != "" {
		m.focus = focus
	} else if a, ok := m.Selected(); ok && m.focus == "" {
		m.focus = a.Email
	}
	m.loading = true
	m.toBottom = false
	return tea.Batch(m.fetch(m.loads.Next(), "", PageSize, false), m.spin.Start())
}

func (m *Model) more(limit int) tea.Cmd {
	if m.loading || m.next == "" {
		return nil
	}
	m.loading = true
	return tea.Batch(m.fetch(m.loads.Current(), m.next, limit, true), m.spin.Start())
}

func (m *Model) prefetch() tea.Cmd {
	if m.next != "" && m.win.Cursor >= len(m.items)-m.rows()-1 {
		return m.more(PageSize)
	}
	return nil
}

func (m Model) fetch(which pages.Load, cursor string, limit int, more bool) tea.Cmd {
	load := m.opt.Load
	return m.orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		l, err := load(ctx, c, token, cursor, limit)
		return loadedMsg{load: which, more: more, list: l, err: err}, err
	})
}

// Update handles the list's pages, the moving keys and the spinner; it
// ignores what is not its own.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
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

func (m Model) key(k tea.KeyPressMsg) (Model, tea.Cmd) {
	keys := m.keys
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
		m.win.Cursor = 0
		m.toBottom = false
		m.win.Scroll(len(m.items), m.rows())
	case key.Matches(k, keys.Bottom):
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

func (m *Model) move(n int) {
	m.toBottom = false
	m.win.Cursor += n
	m.win.Scroll(len(m.items), m.rows())
}

func (m Model) onLoaded(msg loadedMsg) (Model, tea.Cmd) {
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
		m.items = pages.AppendPage(m.items, msg.list.Items, func(x rpc.Account) string { return x.ID })
	} else {
		m.items = append([]rpc.Account(nil), msg.list.Items...)
	}
	m.next = msg.list.NextCursor
	m.total = msg.list.Total
	if m.focus != "" {
		for i, a := range m.items {
			if strings.EqualFold(a.Email, m.focus) {
				m.win.Cursor = i
				m.focus = ""
				break
			}
		}
		if m.next == "" {
			m.focus = ""
		}
	}
	if m.toBottom {
		if m.next != "" {
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

// rows is how many table rows fit: the height less the summary line and
// the column header.
func (m Model) rows() int { return max(1, m.height-2) }

func (m Model) columns() []table.Column {
	cols := []table.Column{{Title: "EMAIL", Min: 24, Grow: 1}}
	if m.opt.Roles {
		cols = append(cols, table.Column{Title: "ROLE", Min: 7})
	}
	return append(cols, table.Column{Title: "CREATED", Min: 10}, table.Column{Title: "LAST LOGIN", Min: 16})
}

func (m Model) cells(a rpc.Account) []string {
	email := a.Email
	if m.opt.You != "" && strings.EqualFold(a.Email, m.opt.You) {
		email += " (you)"
	}
	cells := []string{email}
	if m.opt.Roles {
		cells = append(cells, a.Role)
	}
	last := "never"
	if a.LastLoginAt != nil {
		last = a.LastLoginAt.UTC().Format("2006-01-02 15:04")
	}
	return append(cells, a.CreatedAt.UTC().Format(time.DateOnly), last)
}

// View draws the summary line, the column header and the rows that show.
func (m Model) View() string {
	st := m.styles
	lines := []string{m.summary()}
	switch {
	case !m.loaded && m.err != "":
		lines = append(lines, "", st.Error.Render(styles.ErrorMark+m.err), st.Subtle.Render("Press r to try again."))
	case !m.loaded:
		lines = append(lines, "", st.Subtle.Render("Loading "+m.opt.Noun+"…"))
	case len(m.items) == 0:
		lines = append(lines, "", "No "+m.opt.Noun+".")
	default:
		cols := m.columns()
		ws := table.Widths(cols, m.width)
		lines = append(lines, table.Header(st, cols, ws))
		end := min(len(m.items), m.win.Offset+m.rows())
		for i := m.win.Offset; i < end; i++ {
			a := m.items[i]
			lines = append(lines, table.Row(st, m.cells(a), ws, i == m.win.Cursor, m.width, func(col int, cell string) string {
				if m.opt.Roles && col == 1 && a.Role == rpc.RoleAdmin {
					return st.Key.Render(cell)
				}
				return cell
			}))
		}
	}
	return layout.Fit(strings.Join(lines, "\n"), m.width, m.height)
}

// summary is the line above the table: how many accounts, and where the
// cursor is among them.
func (m Model) summary() string {
	st := m.styles
	left := st.Subtle.Render(fmt.Sprintf("%d %s", m.total, m.opt.Noun))
	if !m.loaded {
		left = ""
	}
	right := ""
	if m.loaded && len(m.items) > 0 {
		right = fmt.Sprintf("%d of %d", m.win.Cursor+1, m.total)
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
