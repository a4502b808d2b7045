// Package layout fits blocks of text to the screen and places dialogs over
// what is already drawn. Everything orgtui draws goes through Fit, so no
// line is ever wider than the terminal and the terminal never wraps one.
package layout

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Fit returns s cut or padded to exactly height lines, each cut to at most
// width cells. A cut line ends in "…".
func Fit(s string, width, height int) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = Line(l, width)
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// Line cuts one line to at most width cells, ending a cut line in "…".
func Line(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// Width cuts every line of s to at most width cells.
func Width(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Line(l, width)
	}
	return strings.Join(lines, "\n")
}

// Overlay draws fg centred over bg, a block of width×height cells, and
// returns the block. What fg covers is hidden; the rest of bg shows
// around it.
func Overlay(bg, fg string, width, height int) string {
	// The compositor sizes its canvas by what its layers cover, so the
	// background is padded to cover the whole block.
	lines := strings.Split(Fit(bg, width, height), "\n")
	for i, l := range lines {
		lines[i] = l + strings.Repeat(" ", max(0, width-ansi.StringWidth(l)))
	}
	bg = strings.Join(lines, "\n")
	fg = Width(fg, width)
	fw, fh := lipgloss.Width(fg), lipgloss.Height(fg)
	x := max(0, (width-fw)/2)
	y := max(0, (height-fh)/2)
	out := lipgloss.NewCompositor(
		lipgloss.NewLayer(bg),
		lipgloss.NewLayer(fg).X(x).Y(y).Z(1),
	).Render()
	return Fit(out, width, height)
}

// Center places s in the middle of a width×height block.
func Center(s string, width, height int) string {
	s = Width(s, width)
	return Fit(lipgloss.Place(width, height, lipgloss.Center, lipgloss.Center, s), width, height)
}

// Message wraps msg, after mark, to width cells in at most maxLines lines;
// the lines after the first are indented under the text, and what does not
// fit in maxLines is dropped (the last line kept ends in "…" then).
func Message(mark, msg string, width, maxLines int) []string {
	if msg == "" || width <= 0 || maxLines <= 0 {
		return nil
	}
	indent := strings.Repeat(" ", ansi.StringWidth(mark))
	lines := strings.Split(ansi.Wrap(msg, max(1, width-len(indent)), " "), "\n")
	cut := len(lines) > maxLines
	if cut {
		lines = lines[:maxLines]
	}
	for i, l := range lines {
		lead := indent
		if i == 0 {
			lead = mark
		}
		lines[i] = Line(lead+l, width)
	}
	if cut {
		last := &lines[maxLines-1]
		*last = ansi.Truncate(*last, max(0, width-1), "") + "…"
	}
	return lines
}
