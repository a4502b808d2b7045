// Package table lays out orgtui's tables: columns fitted to the screen's
// width, cells cut or padded to their column, the header line, the rows
// with the selected one marked, and the window of rows that shows around
// the cursor. The organization list and the lists of accounts draw with
// it.
package table

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/styles"
)

// Column is one column of a table: Min is its width at 80 columns, Grow
// its share of any extra width.
type Column struct {
	Title string
	Min   int
	Grow  int
}

// Gap separates two columns; Gutter is the room for the pointer before
// the selected row.
const (
	Gap    = "  "
	Gutter = 2
)

// Widths fits columns to width: extra width goes to the columns that
// grow (what is left over to the first); on a narrow screen the columns on
// the right are dropped, so fewer widths come back than columns.
func Widths(columns []Column, width int) []int {
	n := len(columns)
	for n > 1 {
		need := Gutter + (n-1)*len(Gap)
		for _, c := range columns[:n] {
			need += c.Min
		}
		if need <= width {
			break
		}
		n--
	}
	w := make([]int, n)
	used, grow := Gutter+(n-1)*len(Gap), 0
	for i, c := range columns[:n] {
		w[i] = c.Min
		used += c.Min
		grow += c.Grow
	}
	extra := max(0, width-used)
	if grow == 0 {
		return w
	}
	given := 0
	for i, c := range columns[:n] {
		add := extra * c.Grow / grow
		w[i] += add
		given += add
	}
	w[0] += extra - given
	return w
}

// Cell cuts s to w cells (ending a cut cell in "…") or pads it to w;
// line breaks become spaces.
func Cell(s string, w int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// Header draws the column titles of the widths ws.
func Header(st *styles.Styles, columns []Column, ws []int) string {
	head := make([]string, len(ws))
	for i, w := range ws {
		head[i] = Cell(columns[i].Title, w)
	}
	return st.TableHeader.Render(strings.Repeat(" ", Gutter) + strings.Join(head, Gap))
}

// Row draws one row of cells in the widths ws. The selected row has the
// pointer and is reversed across the whole width; style, when not nil,
// styles cell i of any other row.
func Row(st *styles.Styles, cells []string, ws []int, selected bool, width int, style func(i int, cell string) string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = Cell(cells[i], w)
	}
	if selected {
		line := styles.Pointer + strings.Join(out, Gap)
		line += strings.Repeat(" ", max(0, width-lipgloss.Width(line)))
		return st.SelectedRow.Render(line)
	}
	if style != nil {
		for i := range out {
			out[i] = style(i, out[i])
		}
	}
	return strings.Repeat(" ", Gutter) + strings.Join(out, Gap)
}

// Window is the part of a list that shows: the row under the cursor and
// the first row shown.
type Window struct {
	Cursor, Offset int
}

// Scroll keeps the cursor among n rows and within the rows that show.
func (w *Window) Scroll(n, rows int) {
	rows = max(1, rows)
	w.Cursor = max(0, min(w.Cursor, n-1))
	if w.Cursor < w.Offset {
		w.Offset = w.Cursor
	}
	if w.Cursor >= w.Offset+rows {
		w.Offset = w.Cursor - rows + 1
	}
	w.Offset = max(0, min(w.Offset, n-rows))
}
