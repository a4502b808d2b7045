// Package jsonview colours JSON text for the screen: keys, strings,
// numbers, true/false/null, Extended JSON type wrappers and punctuation
// each in their style. The text itself is never changed, so what shows is
// exactly what the editor gets; text that is not JSON is marked, not
// dropped.
package jsonview

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/styles"
)

// Colour returns text with every token in its style. Line breaks stay
// outside the styled pieces, so the result can be cut into lines.
func Colour(st *styles.Styles, text string) string {
	var b strings.Builder
	for _, t := range extjson.Tokens(text) {
		if t.Kind == extjson.Space {
			b.WriteString(t.Text)
			continue
		}
		// An invalid token may run up to a line break but never across
		// one; render line by line all the same, so styles never span one.
		style := Style(st, t.Kind)
		for i, line := range strings.Split(t.Text, "\n") {
			if i > 0 {
				b.WriteByte('\n')
			}
			if line != "" {
				b.WriteString(style.Render(line))
			}
		}
	}
	return b.String()
}

// Style returns the style of a token kind.
func Style(st *styles.Styles, k extjson.TokenKind) lipgloss.Style {
	switch k {
	case extjson.Key:
		return st.JSONKey
	case extjson.WrapperKey, extjson.WrappedString:
		return st.JSONWrapper
	case extjson.String:
		return st.JSONString
	case extjson.Number:
		return st.JSONNumber
	case extjson.Literal:
		return st.JSONLiteral
	case extjson.Punct:
		return st.JSONPunct
	case extjson.Invalid:
		return st.JSONInvalid
	}
	return st.Text
}
