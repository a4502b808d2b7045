// Package dialog draws the box of a dialog: the text the dialog gives it,
// wrapped to the box, in a frame that the application centres over the
// page below.
package dialog

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/styles"
)

// MaxWidth is the widest a dialog box gets.
const MaxWidth = 64

// Inner returns the width of the text inside the box of a dialog on a
// screen width cells wide.
func Inner(width int) int { return max(10, min(width-2, MaxWidth)-6) }

// Wrap wraps text to the inside of the box.
func Wrap(width int, text string) string {
	return lipgloss.NewStyle().Width(Inner(width)).Render(text)
}

// Box draws lines in a dialog box for a screen width cells wide. danger
// draws the frame of an action that destroys or cuts off something.
func Box(st *styles.Styles, width int, danger bool, lines ...string) string {
	inner := Inner(width)
	frame := st.Dialog
	if danger {
		frame = st.DangerDialog
	}
	box := frame.Width(inner + 6).Render(layout.Width(strings.Join(lines, "\n"), inner))
	return layout.Width(box, width)
}
