package documents

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/styles"
)

const (
	gutter  = 2  // the pointer before the selected row
	idWidth = 12 // the _id column
	gap     = "  "
)

// View draws the summary line, the column headers, the visible rows and
// the note about a kept document.
func (m Model) View() string {
	st := m.c.Styles
	lines := []string{m.summary()}
	// The filter's error goes in place of the column header.
	lines = append(lines, m.filterErrLines()...)
	switch {
	case !m.loaded && m.err != "":
		lines = append(lines, "", st.Error.Render(styles.ErrorMark+m.err), st.Subtle.Render("Press r to try again."))
	case !m.loaded:
		lines = append(lines, "", st.Subtle.Render("Loading documents…"))
	case len(m.docs) == 0:
		lines = append(lines, "", m.empty())
	default:
		if len(lines) == 1 {
			lines = append(lines, st.TableHeader.Render(strings.Repeat(" ", gutter)+cell("_ID", idWidth)+gap+"FIELDS"))
		}
		end := min(len(m.docs), m.offset+m.rows())
		for i := m.offset; i < end; i++ {
			lines = append(lines, m.row(m.docs[i], i == m.cursor))
		}
	}
	body := layout.Fit(strings.Join(lines, "\n"), m.width, m.height-len(m.noteLines()))
	if note := m.noteLines(); len(note) > 0 {
		body += "\n" + strings.Join(note, "\n")
	}
	return layout.Fit(body, m.width, m.height)
}

// filterErrLines is why the typed filter was not applied, wrapped to the
// width (at most two lines).
func (m Model) filterErrLines() []string {
	return m.wrapped(m.filterErr, 2)
}

// noteLines is the note about a new document that was not inserted,
// wrapped to the width (at most three lines).
func (m Model) noteLines() []string {
	return m.wrapped(m.note, 3)
}

// wrapped is an error message wrapped to the width in at most n lines.
func (m Model) wrapped(msg string, n int) []string {
	lines := layout.Message(styles.ErrorMark, msg, m.width, n)
	for i, l := range lines {
		lines[i] = m.c.Styles.Error.Render(l)
	}
	return lines
}

func cell(s string, w int) string {
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// row draws a document: its short _id, then as many of its fields as fit.
func (m Model) row(r row, selected bool) string {
	st := m.c.Styles
	id, fields := extjson.Summary(r.doc)
	if r.doc == nil {
		id = "?"
	}
	var plain, styled []string
	for _, f := range fields {
		plain = append(plain, f.Key+": "+f.Value)
		styled = append(styled, st.Subtle.Render(f.Key+":")+" "+f.Value)
	}
	if selected {
		line := styles.Pointer + cell(id, idWidth) + gap + strings.Join(plain, gap)
		line = layout.Line(line, m.width)
		line += strings.Repeat(" ", max(0, m.width-lipgloss.Width(line)))
		return st.SelectedRow.Render(line)
	}
	return layout.Line(strings.Repeat(" ", gutter)+cell(id, idWidth)+gap+strings.Join(styled, gap), m.width)
}

// summary is the line above the table: the filter, and where the cursor
// is among how many.
func (m Model) summary() string {
	st := m.c.Styles
	var left string
	switch {
	case m.filtering:
		left = m.input.View()
	case m.filter != "":
		left = "filter: " + st.Key.Render(m.filter) + st.Subtle.Render("  (/ to change, esc to clear)")
	default:
		left = st.Subtle.Render("/ to filter with a JSON query")
	}
	right := ""
	if m.loaded {
		right = m.position()
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
	if m.shown != "" {
		return fmt.Sprintf("No document matches the filter. Press %s to clear it.", st.Key.Render("esc"))
	}
	if !m.c.CanChangeOrg(m.org) {
		return fmt.Sprintf("%s has no documents yet.", m.org.Collection)
	}
	return fmt.Sprintf("%s has no documents yet. Press %s to insert one.", m.org.Collection, st.Key.Render("i"))
}
