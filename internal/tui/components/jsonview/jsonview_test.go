package jsonview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/styles"
)

func TestColourKeepsTheTextAndStylesEachToken(t *testing.T) {
	t.Parallel()
	st := styles.New()
	tests := []struct {
		name  string
		text  string
		wants map[string]string // a piece of text and the style it must be drawn in
	}{
		{"escapes inside keys and strings", `{"say \"hi\"": "back\\slash \u00e9"}`, map[string]string{
			`"say \"hi\""`: st.JSONKey.Render(`"say \"hi\""`), `"back\\slash \u00e9"`: st.JSONString.Render(`"back\\slash \u00e9"`)}},
		{"unicode text", `{"名前": "Zoë 😀"}`, map[string]string{
			`"名前"`: st.JSONKey.Render(`"名前"`), `"Zoë 😀"`: st.JSONString.Render(`"Zoë 😀"`)}},
		{"a number too large for any integer type", `{"n": 123456789012345678901234567890.5e-3}`, map[string]string{
			"123456789012345678901234567890.5e-3": st.JSONNumber.Render("123456789012345678901234567890.5e-3")}},
		{"literals", `[true, false, null]`, map[string]string{
			"true": st.JSONLiteral.Render("true"), "null": st.JSONLiteral.Render("null")}},
		{"nested wrappers", "{\n  \"at\": {\"$date\": {\"$numberLong\": \"-1000\"}}\n}", map[string]string{
			`"$date"`: st.JSONWrapper.Render(`"$date"`), `"$numberLong"`: st.JSONWrapper.Render(`"$numberLong"`),
			`"-1000"`: st.JSONWrapper.Render(`"-1000"`), `"at"`: st.JSONKey.Render(`"at"`)}},
		{"broken text", "{\"a\": tru,\n \"b\": \"open\n}", map[string]string{
			"tru": st.JSONInvalid.Render("tru"), `"open`: st.JSONInvalid.Render(`"open`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Colour(st, tt.text)
			if ansi.Strip(got) != tt.text {
				t.Errorf("colouring changed the text:\n%q\nwant\n%q", ansi.Strip(got), tt.text)
			}
			for piece, styled := range tt.wants {
				if !strings.Contains(got, styled) {
					t.Errorf("%s is not drawn in its style: %q", piece, got)
				}
			}
			for i, line := range strings.Split(got, "\n") {
				if last := strings.LastIndex(line, "\x1b["); last >= 0 && !strings.HasPrefix(line[last:], "\x1b[m") {
					t.Errorf("line %d ends inside a style: %q", i+1, line)
				}
			}
		})
	}
}
