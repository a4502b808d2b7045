// Package keys is the page of SSH keys (SPEC §9): the public keys that log
// an account in to orgtui over SSH (orgd serve --ssh-listen), each with
// its name, SHA256 fingerprint, when it was added and last used. Everyone
// opens their own with K, adds one by pasting its authorized_keys line,
// and removes one after a confirmation; operators open any account's from
// the operators' and members' pages. Removing a key ends the SSH sessions
// it opened (orgd does that).
package keys

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

// Model is the page of one account's SSH keys.
type Model struct {
	c             pages.Common
	width, height int
	email         string // whose keys; empty for the signed-in account's own

	items   []rpc.Key
	loaded  bool
	err     string
	loading bool
	loads   pages.Loads
	spin    spin.Model
	win     table.Window
	focus   string // put the cursor on this fingerprint once loaded
}

// loadMsg asks the page of whose keys to load.
type loadMsg struct{ whose string }

// loadedMsg is auth.keys.list's answer for the keys of whose (empty: the
// signed-in account's own).
type loadedMsg struct {
	whose string
	load  pages.Load
	list  *rpc.KeyList
	err   error
}

// changedMsg says that this application added or removed a key of whose:
// the page of those keys loads again, putting its cursor on focus.
type changedMsg struct {
	whose string
	focus string
}

// New returns the page of the SSH keys of the account email, or of the
// signed-in account's own when email is empty or theirs; Init loads it.
// Only operators may open another account's keys.
func New(c pages.Common, email string) Model {
	if strings.EqualFold(email, c.Email) {
		email = ""
	}
	return Model{c: c, email: email, spin: spin.New(c.Styles)}
}

// Init loads the keys.
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{whose: m.email}) }

// Title names the page.
func (m Model) Title() string {
	if m.email == "" {
		return "My SSH keys"
	}
	return "SSH keys of " + m.email
}

// Typing reports false: the page has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports false: the page fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the page's bindings.
func (m Model) Help() keymap.Help {
	_, selected := m.Selected()
	return m.c.Keys.KeysHelp(keymap.KeysOffer{Remove: selected})
}

// Email returns whose keys the page shows: empty for the signed-in
// account's own.
func (m Model) Email() string { return m.email }

// Items returns the keys, oldest first.
func (m Model) Items() []rpc.Key { return m.items }

// Err returns why the last load failed, if it did.
func (m Model) Err() string { return m.err }

// Selected returns the key under the cursor.
func (m Model) Selected() (rpc.Key, bool) {
	if m.win.Cursor < 0 || m.win.Cursor >= len(m.items) {
		return rpc.Key{}, false
	}
	return m.items[m.win.Cursor], true
}

// Update handles keys, the loads and changes.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.win.Scroll(len(m.items), m.rows())
		return m, nil
	case loadMsg:
		if msg.whose != m.email {
			return m, nil
		}
		next := m.reload("")
		return m, next
	case pages.Reload:
		next := m.reload("")
		return m, next
	case changedMsg:
		if !strings.EqualFold(msg.whose, m.email) {
			return m, nil
		}
		next := m.reload(msg.focus)
		return m, next
	case pages.AccountsChanged:
		if m.email == "" || !strings.EqualFold(msg.Email, m.email) {
			return m, nil
		}
		next := m.reload("")
		return m, next
	case loadedMsg:
		if !strings.EqualFold(msg.whose, m.email) || !m.loads.Latest(msg.load) {
			return m, nil
		}
		return m.loadedKeys(msg), nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

// reload loads the keys, keeping the cursor on the key it is on, or
// putting it on focus (a fingerprint) when that is not empty.
func (m *Model) reload(focus string) tea.Cmd {
	if focus != "" {
		m.focus = focus
	} else if k, ok := m.Selected(); ok && m.focus == "" {
		m.focus = k.Fingerprint
	}
	m.loading = true
	whose, load := m.email, m.loads.Next()
	call := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		l, err := c.ListKeys(ctx, rpc.KeyListParams{Token: token, Email: whose})
		return loadedMsg{whose: whose, load: load, list: l, err: err}, err
	})
	return tea.Batch(call, m.spin.Start())
}

func (m Model) loadedKeys(msg loadedMsg) Model {
	m.loading = false
	m.spin.Stop()
	if msg.err != nil {
		m.err = remote.Describe(msg.err)
		return m
	}
	m.err = ""
	m.loaded = true
	m.items = append([]rpc.Key(nil), msg.list.Items...)
	if m.focus != "" {
		for i, k := range m.items {
			if k.Fingerprint == m.focus {
				m.win.Cursor = i
			}
		}
		m.focus = ""
	}
	m.win.Scroll(len(m.items), m.rows())
	return m
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Back):
		return m, pages.Send(pages.Back{})
	case key.Matches(k, keys.Refresh):
		next := m.reload("")
		return m, next
	case key.Matches(k, keys.AddKey):
		return m, pages.Send(pages.Open{Page: NewAdd(m.c, m.email)})
	case key.Matches(k, keys.RemoveKey):
		if s, ok := m.Selected(); ok {
			return m, pages.Send(pages.Open{Page: NewRemove(m.c, m.email, s)})
		}
	case key.Matches(k, keys.Up):
		m.win.Cursor--
	case key.Matches(k, keys.Down):
		m.win.Cursor++
	case key.Matches(k, keys.PageUp):
		m.win.Cursor -= m.rows()
	case key.Matches(k, keys.PageDown):
		m.win.Cursor += m.rows()
	case key.Matches(k, keys.Top):
		m.win.Cursor = 0
	case key.Matches(k, keys.Bottom):
		m.win.Cursor = len(m.items) - 1
	}
	m.win.Scroll(len(m.items), m.rows())
	return m, nil
}

// The page's lines other than the rows: the note and a blank line above
// the list, its summary and header, and a blank line and the selected
// key's type and whole fingerprint below it.
const chrome = 6

func (m Model) rows() int { return max(1, m.height-chrome) }

var columns = []table.Column{
	{Title: "NAME", Min: 14, Grow: 1},
	{Title: "FINGERPRINT", Min: 26, Grow: 2},
	{Title: "ADDED", Min: 10},
	{Title: "LAST USED", Min: 16},
}

// Date and Time are how the page writes when a key was added and last
// used (UTC).
const (
	Date = time.DateOnly
	Time = "2006-01-02 15:04"
)

func cells(k rpc.Key) []string {
	last := "never"
	if k.LastUsedAt != nil {
		last = k.LastUsedAt.UTC().Format(Time)
	}
	return []string{Name(k), k.Fingerprint, k.AddedAt.UTC().Format(Date), last}
}

// Name is what a key is called on screen: its name, or its type when it
// has none.
func Name(k rpc.Key) string {
	if k.Name != "" {
		return k.Name
	}
	return "(" + k.Type + ")"
}

// note is the line above the list: whose keys these are.
func (m Model) note() string {
	if m.email == "" {
		return fmt.Sprintf("These keys log you (%s) in to orgtui over SSH.", m.c.Email)
	}
	return fmt.Sprintf("These keys log %s in to orgtui over SSH.", m.email)
}

// View draws the note, the list and the selected key's whole fingerprint.
func (m Model) View() string {
	st := m.c.Styles
	lines := []string{layout.Line(st.Subtle.Render(m.note()), m.width), "", m.summary()}
	switch {
	case !m.loaded && m.err != "":
		lines = append(lines, "", st.Error.Render(styles.ErrorMark+m.err), st.Subtle.Render("Press r to try again."))
	case !m.loaded:
		lines = append(lines, "", st.Subtle.Render("Loading SSH keys…"))
	case len(m.items) == 0 && m.email == "":
		lines = append(lines, "", "You have no SSH keys yet.", "",
			"Press "+st.Key.Render("n")+" and paste the line of your public key file,",
			"such as ~/.ssh/id_ed25519.pub (ssh-keygen -t ed25519 makes one).")
	case len(m.items) == 0:
		lines = append(lines, "", m.email+" has no SSH keys.", "", "Press "+st.Key.Render("n")+" to add one for them.")
	default:
		ws := table.Widths(columns, m.width)
		lines = append(lines, table.Header(st, columns, ws))
		end := min(len(m.items), m.win.Offset+m.rows())
		for i := m.win.Offset; i < end; i++ {
			lines = append(lines, table.Row(st, cells(m.items[i]), ws, i == m.win.Cursor, m.width, func(col int, cell string) string {
				if col == 3 && m.items[i].LastUsedAt == nil {
					return st.Subtle.Render(cell)
				}
				return cell
			}))
		}
		for len(lines) < m.height-2 {
			lines = append(lines, "")
		}
		if k, ok := m.Selected(); ok {
			lines = append(lines, "", layout.Line("  "+st.Subtle.Render(k.Type)+"  "+k.Fingerprint, m.width))
		}
	}
	return layout.Fit(strings.Join(lines, "\n"), m.width, m.height)
}

// summary is the line above the table: how many keys, and where the
// cursor is among them.
func (m Model) summary() string {
	st := m.c.Styles
	left, right := "", ""
	if m.loaded {
		noun := "keys"
		if len(m.items) == 1 {
			noun = "key"
		}
		left = st.Subtle.Render(fmt.Sprintf("%d %s", len(m.items), noun))
		if len(m.items) > 0 {
			right = fmt.Sprintf("%d of %d", m.win.Cursor+1, len(m.items))
		}
		if m.err != "" {
			right = st.Error.Render(styles.ErrorMark+m.err) + "  " + right
		}
	}
	if m.spin.Active() {
		right = m.spin.View() + " " + right
	}
	space := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if space < 1 {
		left = layout.Line(left, max(0, m.width-lipgloss.Width(right)-1))
		space = max(1, m.width-lipgloss.Width(left)-lipgloss.Width(right))
	}
	return layout.Line(left+strings.Repeat(" ", space)+right, m.width)
}
