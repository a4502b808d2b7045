package orgs

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/table"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// column is one column of the table and what it shows of an
// organization.
type column struct {
	table.Column
	cell func(rpc.Organization) string
}

// stateColumn is the index of the STATE column.
const stateColumn = 3

// tableColumns are the table's columns, left to right.
func tableColumns() []column {
	return []column{
		{table.Column{Title: "NAME", Min: 18, Grow: 3}, func(o rpc.Organization) string { return o.Name }},
		{table.Column{Title: "ADMIN EMAIL", Min: 18, Grow: 3}, func(o rpc.Organization) string { return o.AdminEmail }},
		{table.Column{Title: "COLLECTION", Min: 14, Grow: 2}, func(o rpc.Organization) string { return o.Collection }},
		{table.Column{Title: "STATE", Min: 10}, func(o rpc.Organization) string { return o.State }},
		{table.Column{Title: "CREATED", Min: 10}, func(o rpc.Organization) string { return o.CreatedAt.UTC().Format("2006-01-02") }},
	}
}

func layoutColumns() []table.Column {
	var out []table.Column
	for _, c := range tableColumns() {
		out = append(out, c.Column)
	}
	return out
}

// widths fits the columns to width (see table.Widths).
func widths(width int) []int { return table.Widths(layoutColumns(), width) }

// View draws the summary line, the column headers and the visible rows.
func (m Model) View() string {
	st := m.c.Styles
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
		lines = append(lines, table.Header(st, layoutColumns(), ws))
		end := min(len(m.items), m.offset+m.rows())
		for i := m.offset; i < end; i++ {
			lines = append(lines, m.row(m.items[i], ws, i == m.cursor))
		}
	}
	return layout.Fit(strings.Join(lines, "\n"), m.width, m.height)
}

func (m Model) row(o rpc.Organization, ws []int, selected bool) string {
	st := m.c.Styles
	cells := make([]string, len(ws))
	for i := range ws {
		cells[i] = tableColumns()[i].cell(o)
	}
	return table.Row(st, cells, ws, selected, m.width, func(i int, cell string) string {
		if i != stateColumn {
			return cell
		}
		switch o.State {
		case rpc.StateActive:
			return st.StateActive.Render(cell)
		case rpc.StateSuspended:
			return st.StateSuspended.Render(cell)
		}
		return st.StateBusy.Render(cell)
	})
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
