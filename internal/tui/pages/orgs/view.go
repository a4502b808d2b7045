package orgs

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// column is one column of the table: min is its width at 80 columns, grow
// its share of any extra width.
type column struct {
	title string
	min   int
	grow  int
	cell  func(rpc.Organization) string
}

// tableColumns are the table's columns, left to right.
func tableColumns() []column {
	return []column{
		{"NAME", 18, 3, func(o rpc.Organization) string { return o.Name }},
		{"ADMIN EMAIL", 18, 3, func(o rpc.Organization) string { return o.AdminEmail }},
		{"COLLECTION", 14, 2, func(o rpc.Organization) string { return o.Collection }},
		{"STATE", 10, 0, func(o rpc.Organization) string { return o.State }},
		{"CREATED", 10, 0, func(o rpc.Organization) string { return o.CreatedAt.UTC().Format("2006-01-02") }},
	}
}

const (
	gap    = "  "
	gutter = 2 // the pointer before the selected row
)

// widths fits the columns to width: extra width goes to the columns that
// grow; on a narrow screen the columns on the right are dropped.
func widths(width int) []int {
	columns := tableColumns()
	n := len(columns)
	for n > 1 {
		need := gutter
		for _, c := range columns[:n] {
			need += c.min
		}
		need += (n - 1) * len(gap)
		if need <= width {
			break
		}
		n--
	}
	w := make([]int, n)
	used, grow := gutter+(n-1)*len(gap), 0
	for i, c := range columns[:n] {
		w[i] = c.min
		used += c.min
		grow += c.grow
	}
	extra := max(0, width-used)
	if grow == 0 {
		return w
	}
	given := 0
	for i, c := range columns[:n] {
		add := extra * c.grow / grow
		w[i] += add
		given += add
	}
	w[0] += extra - given
	return w
}

func cell(s string, w int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// View draws the summary line, the column headers and the visible rows.
func (m Model) View() string {
	st := m.c.Styles
	columns := tableColumns()
	lines := []string{m.summary()}
	ws := widths(m.width)
	switch {
	case !m.loaded && m.err != "":
		lines = append(lines, "", st.Error.Render(styles.ErrorMark+m.err), st.Subtle.Render("Press r to try again."))
	case !m.loaded:
		lines = append(lines, "", st.Subtle.Render("Loading organizations…"))
	case len(m.items) == 0:
		lines = append(lines, "", m.empty())
	default:
		var head []string
		for i, w := range ws {
			head = append(head, cell(columns[i].title, w))
		}
		lines = append(lines, st.TableHeader.Render(strings.Repeat(" ", gutter)+strings.Join(head, gap)))
		end := min(len(m.items), m.offset+m.rows())
		for i := m.offset; i < end; i++ {
			lines = append(lines, m.row(m.items[i], ws, i == m.cursor))
		}
	}
	return layout.Fit(strings.Join(lines, "\n"), m.width, m.height)
}

func (m Model) row(o rpc.Organization, ws []int, selected bool) string {
	st := m.c.Styles
	columns := tableColumns()
	cells := make([]string, len(ws))
	for i, w := range ws {
		cells[i] = cell(columns[i].cell(o), w)
	}
	if selected {
		line := styles.Pointer + strings.Join(cells, gap)
		line += strings.Repeat(" ", max(0, m.width-lipgloss.Width(line)))
		return st.SelectedRow.Render(line)
	}
	if len(cells) > 3 {
		state := st.StateActive
		if o.State != rpc.StateActive {
			state = st.StateBusy
		}
		cells[3] = state.Render(cells[3])
	}
	return strings.Repeat(" ", gutter) + strings.Join(cells, gap)
}

// summary is the line above the table: the filter, and where the cursor
// is among how many.
func (m Model) summary() string {
	st := m.c.Styles
	var left string
	switch {
	case m.filtering:
		left = m.filter.View()
	case m.query != "":
		left = "filter: " + st.Key.Render(m.query) + st.Subtle.Render("  (/ to change, esc to clear)")
	default:
		left = st.Subtle.Render("/ to filter")
	}
	var right string
	switch {
	case m.loaded && len(m.items) > 0:
		right = fmt.Sprintf("%s of %s", pages.Count(m.cursor+1), pages.Count(m.total))
	case m.loaded:
		right = "0 of " + pages.Count(m.total)
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

func (m Model) empty() string {
	st := m.c.Styles
	switch {
	case m.query != "":
		return fmt.Sprintf("No organization matches %q. Press %s to clear the filter.", m.query, st.Key.Render("esc"))
	case m.c.CanCreate():
		return "No organizations yet. Press " + st.Key.Render("n") + " to create one."
	}
	return "No organization to show: yours may have been deleted."
}
