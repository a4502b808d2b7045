// Package footer draws the help: one line of the keys that matter on the
// current screen, or, after ?, every key of the screen in columns. The
// bindings come from the keymap, so the help says what the keys do.
package footer

import (
	"charm.land/bubbles/v2/help"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/styles"
)

// Short draws the help line for h, at most width cells wide; what does
// not fit is left out and marked with an ellipsis.
func Short(st *styles.Styles, h keymap.Help, width int) string {
	m := model(st, width)
	return m.ShortHelpView(h.ShortHelp())
}

// Full draws every binding of h in columns.
func Full(st *styles.Styles, h keymap.Help, width int) string {
	m := model(st, width)
	return m.FullHelpView(h.FullHelp())
}

func model(st *styles.Styles, width int) help.Model {
	m := help.New()
	m.Styles = st.Help
	m.SetWidth(width)
	return m
}
