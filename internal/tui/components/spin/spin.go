// Package spin is the spinner shown while orgtui waits for orgd. It ticks
// only while something is under way, so an idle screen sends nothing to
// the terminal.
package spin

import (
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/styles"
)

// Model is a spinner that can be started and stopped.
type Model struct {
	sp      spinner.Model
	active  bool
	ticking bool
}

// New returns a stopped spinner.
func New(st *styles.Styles) Model {
	return Model{sp: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.Spinner))}
}

// Start starts the spinner and returns the command that animates it (nil
// when it already runs).
func (m *Model) Start() tea.Cmd {
	m.active = true
	if m.ticking {
		return nil
	}
	m.ticking = true
	return m.sp.Tick
}

// Stop stops the spinner at its next tick.
func (m *Model) Stop() { m.active = false }

// Active reports whether the spinner runs.
func (m Model) Active() bool { return m.active }

// Update advances the spinner on its own ticks.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	t, ok := msg.(spinner.TickMsg)
	if !ok || t.ID != m.sp.ID() {
		return m, nil
	}
	if !m.active {
		m.ticking = false
		return m, nil
	}
	var cmd tea.Cmd
	m.sp, cmd = m.sp.Update(msg)
	return m, cmd
}

// View draws the spinner, or nothing when stopped.
func (m Model) View() string {
	if !m.active {
		return ""
	}
	return m.sp.View()
}
