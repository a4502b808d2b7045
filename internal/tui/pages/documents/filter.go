package documents

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/pages"
)

// filterKey handles a key while the filter line has the focus. The filter
// is checked here and sent on enter; orgd's verdict on it (a refused
// operator) comes back in onLoaded.
func (m Model) filterKey(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.RunFilter):
		text := strings.TrimSpace(m.input.Value())
		filter := ""
		if text != "" {
			v, err := extjson.ParseObject([]byte(text))
			if err != nil {
				m.filterErr = "not sent: " + describeJSON(err)
				return m, nil
			}
			filter = v.Compact()
			if filter == "{}" {
				filter = ""
			}
		}
		m.filtering = false
		m.filterErr = ""
		m.input.Blur()
		m.filter = filter
		next := m.reload()
		return m, next
	case key.Matches(k, keys.CancelFilter):
		m.filtering = false
		m.filterErr = ""
		m.input.Blur()
		m.input.SetValue(m.filter)
		return m, nil
	}
	return m.typeFilter(k)
}

// typeFilter hands a key or a paste to the filter line.
func (m Model) typeFilter(msg tea.Msg) (pages.Page, tea.Cmd) {
	var cmd tea.Cmd
	before := m.input.Value()
	m.input, cmd = m.input.Update(msg)
	if m.input.Value() != before {
		m.filterErr = ""
	}
	return m, cmd
}

// describeJSON says what is wrong with typed or edited JSON.
func describeJSON(err error) string {
	return "invalid JSON: " + err.Error()
}
