package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/footer"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/statusbar"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/styles"
)

// The screen's fixed lines: header above the page; message line, help line
// and status bar below it.
const chromeLines = 4

// Smallest screen orgtui draws on.
const (
	MinWidth  = 40
	MinHeight = 10
)

func (m Model) pageSize() tea.WindowSizeMsg {
	return tea.WindowSizeMsg{Width: m.width, Height: max(1, m.height-chromeLines)}
}

func (m Model) loginSize() tea.WindowSizeMsg { return m.pageSize() }

// View draws the screen, in the alternate screen, without the mouse.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "orgtui"
	return v
}

// Render draws the screen as text: exactly the terminal's height in lines,
// none wider than the terminal.
func (m Model) Render() string {
	w, h := m.width, m.height
	if w < MinWidth || h < MinHeight {
		msg := fmt.Sprintf("orgtui needs at least %d×%d; this terminal is %d×%d.", MinWidth, MinHeight, w, h)
		return layout.Fit(lipgloss.NewStyle().Width(max(1, w)).Render(msg), w, h)
	}
	bodyH := h - chromeLines
	body, title, help := m.body(bodyH)
	lines := []string{
		m.header(title),
		layout.Fit(body, w, bodyH),
		m.flashLine(),
		layout.Line(footer.Short(m.styles, help, w), w),
		statusbar.View(m.styles, m.status(), w),
	}
	return layout.Fit(strings.Join(lines, "\n"), w, h)
}

// body draws the page area and says which title and help go with it.
func (m Model) body(height int) (body, title string, help keymap.Help) {
	top := m.top()
	switch {
	case m.ended != "":
		return layout.Center(m.styles.Warning.Render(m.ended), m.width, height), "", keymap.Help{}
	case m.login != nil:
		under := ""
		if top != nil {
			under = top.View()
		}
		return layout.Overlay(under, m.login.View(), m.width, height), m.login.Title(), m.login.Help()
	case top == nil:
		return "", "", keymap.Help{}
	case m.help:
		full := m.styles.Title.Render("Keys on this screen") + "\n\n" + footer.Full(m.styles, top.Help(), m.width)
		return full, top.Title() + " › help", m.keys.HelpHelp()
	case top.Dialog() && len(m.stack) > 1:
		under := m.stack[len(m.stack)-2].View()
		return layout.Overlay(under, top.View(), m.width, height), top.Title(), top.Help()
	}
	return top.View(), top.Title(), top.Help()
}

func (m Model) header(title string) string {
	st := m.styles
	left := st.Brand.Render("orgtui")
	if title != "" {
		left += st.Subtle.Render(" › ") + st.Header.Render(title)
	}
	return layout.Line(left, m.width)
}

func (m Model) flashLine() string {
	if m.flash.Text == "" {
		return ""
	}
	if m.flash.Err {
		return layout.Line(m.styles.Error.Render(styles.ErrorMark+m.flash.Text), m.width)
	}
	return layout.Line(m.styles.Success.Render(styles.SuccessMark+m.flash.Text), m.width)
}

func (m Model) status() statusbar.Status {
	s := statusbar.Status{Addr: strings.TrimPrefix(m.orgd.Address(), "unix://"), Conn: m.conn, Now: m.clock}
	if m.conn == statusbar.Disconnected && m.pending {
		s.RetryIn = m.retryAt.Sub(m.clock)
	}
	if m.health != nil && m.conn == statusbar.Connected {
		store := m.health.Store
		s.Store = &store
	}
	if m.session != nil {
		s.Email, s.Role, s.Expires = m.session.email, m.session.role, m.session.expires
		if m.session.org != nil && m.session.org.Name != "" {
			s.Role += " of " + m.session.org.Name
		}
	}
	return s
}
