package form

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
)

func newForm() Model {
	keys := keymap.Default()
	return New(styles.New(), &keys,
		Spec{Key: "email", Label: "Email"},
		Spec{Key: "role", Label: "Role", Choices: []string{"viewer", "admin"}},
		Spec{Key: "note", Label: "Note", Optional: true},
		Spec{Key: "password", Label: "Password", Secret: true},
	)
}

// run presses keys (single characters are typed) and reports whether the
// last one submitted.
func run(m Model, keys ...string) (Model, bool) {
	var submit bool
	for _, k := range keys {
		m, _, submit = m.Update(remotetest.Key(k))
	}
	return m, submit
}

func TestEnterSubmitsOnceEveryRequiredFieldIsFilled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		keys   []string
		submit bool
		focus  string
	}{
		{"enter on an empty form moves on", []string{"enter"}, false, "role"},
		{"enter with a required field empty moves on", []string{"a", "@", "enter", "enter", "enter"}, false, "password"},
		{"enter with every required field filled submits", []string{"a", "@", "shift+tab", "p", "w", "enter"}, true, "password"},
		{"an optional field may stay empty", []string{"a", "enter", "enter", "enter", "x", "enter"}, true, "password"},
		{"tab only moves", []string{"a", "shift+tab", "x", "tab", "tab"}, false, "role"},
		{"enter on the last field goes back to the first one still empty", []string{"enter", "enter", "enter", "enter"}, false, "email"},
		{"enter on the last field skips what is filled", []string{"a", "tab", "tab", "tab", "enter"}, false, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, submit := run(newForm(), tt.keys...)
			if submit != tt.submit {
				t.Errorf("submit = %v, want %v", submit, tt.submit)
			}
			if m.Focused() != tt.focus {
				t.Errorf("the focus is on %s, want %s", m.Focused(), tt.focus)
			}
		})
	}
}

func TestAChoiceMovesWithTheArrowsAndSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		keys []string
		want string
	}{
		{nil, "viewer"},
		{[]string{"right"}, "admin"},
		{[]string{"space"}, "admin"},
		{[]string{"right", "right"}, "viewer"},
		{[]string{"left"}, "admin"},
		{[]string{"a", "x"}, "viewer"},
	}
	for _, tt := range tests {
		m, _ := run(newForm(), "tab")
		if !m.OnChoice() {
			t.Fatal("the role field is not a choice")
		}
		m, _ = run(m, tt.keys...)
		if got := m.Value("role"); got != tt.want {
			t.Errorf("after %v the role is %q, want %q", tt.keys, got, tt.want)
		}
	}
}

func TestAChoiceShowsEveryWordAndTheChosenOne(t *testing.T) {
	t.Parallel()
	m := newForm()
	m.SetValue("role", "admin")
	view := ansi.Strip(m.View())
	if !strings.Contains(view, "( ) viewer  (•) admin") {
		t.Errorf("the choice shows as:\n%s", view)
	}
}

func TestAPasteGoesIntoTheFocusedFieldAndNeverSubmits(t *testing.T) {
	t.Parallel()
	keys := keymap.Default()
	m := New(styles.New(), &keys,
		Spec{Key: "line", Label: "Line", Limit: 1000},
		Spec{Key: "short", Label: "Short", Limit: 5},
	)
	long := strings.Repeat("x", 400)
	m, _, submit := m.Update(tea.PasteMsg{Content: "ssh-ed25519 " + long + " me@laptop\n"})
	if submit {
		t.Error("a paste ending in a newline submitted the form")
	}
	if got := m.Value("line"); got != "ssh-ed25519 "+long+" me@laptop " {
		t.Errorf("the field holds %q", got)
	}
	m, _ = run(m, "tab")
	m, _, _ = m.Update(tea.PasteMsg{Content: "abcdefgh"})
	if got := m.Value("short"); got != "abcde" {
		t.Errorf("a field of 5 characters holds %q after a paste of 8", got)
	}
}
