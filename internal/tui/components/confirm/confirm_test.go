package confirm

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
)

func press(t Typed, keys ...string) (Typed, Outcome) {
	var out Outcome
	for _, k := range keys {
		t, _, out = t.Update(remotetest.Key(k))
		if out != Undecided {
			return t, out
		}
	}
	return t, out
}

func chars(s string) []string {
	var out []string
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

func newTyped(fields ...Field) Typed {
	keys := keymap.Default()
	return NewTyped(styles.New(), &keys, "Delete", "Acme Corp", "Type the name:", fields...)
}

func TestTypedFollowsSPEC6(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys []string
		want Outcome
		hint string
	}{
		{"the exact name and enter confirm", append(chars("Acme Corp"), "enter"), Confirmed, ""},
		{"enter with nothing typed does nothing and says what to type", []string{"enter"}, Undecided, `type "Acme Corp" exactly`},
		{"enter with a wrong name does nothing and says what to type", append(chars("acme corp"), "enter"), Undecided, `"acme corp" does not match; type "Acme Corp" exactly`},
		{"escape cancels", append(chars("Acme Corp"), "esc"), Cancelled, ""},
		{"tab only moves the focus", append(chars("Acme Corp"), "tab", "tab", "tab"), Undecided, ""},
		{"enter on the action's button confirms once armed", append(chars("Acme Corp"), "tab", "enter"), Confirmed, ""},
		{"enter on Cancel cancels", append(chars("Acme Corp"), "tab", "tab", "enter"), Cancelled, ""},
		{"typing on a button types into the name", append([]string{"tab"}, append(chars("Acme Corp"), "enter")...), Confirmed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			typed, out := press(newTyped(), tt.keys...)
			if out != tt.want {
				t.Errorf("outcome %d, want %d", out, tt.want)
			}
			if tt.hint == "" && typed.Hint() != "" {
				t.Errorf("hint %q, want none", typed.Hint())
			}
			if tt.hint != "" && !strings.Contains(typed.Hint(), tt.hint) {
				t.Errorf("hint %q, want %q in it", typed.Hint(), tt.hint)
			}
		})
	}
}

func TestTypingClearsTheHint(t *testing.T) {
	t.Parallel()
	typed, _ := press(newTyped(), "enter")
	if typed.Hint() == "" {
		t.Fatal("no hint after a refused enter")
	}
	typed, _ = press(typed, "A")
	if typed.Hint() != "" {
		t.Errorf("the hint stays after typing: %q", typed.Hint())
	}
}

func TestExtraFieldsComeFirst(t *testing.T) {
	t.Parallel()
	typed := newTyped(Field{Label: "Reason:"})
	typed, out := press(typed, append(append(chars("unpaid"), "enter"), append(chars("Acme Corp"), "enter")...)...)
	if out != Confirmed {
		t.Fatalf("outcome %d, want confirmed", out)
	}
	if typed.Value(0) != "unpaid" || typed.Typed() != "Acme Corp" {
		t.Errorf("the reason is %q and the name %q", typed.Value(0), typed.Typed())
	}
	view := ansi.Strip(typed.View(58))
	if !strings.Contains(view, "Reason:") || !strings.Contains(view, "› unpaid") {
		t.Errorf("the view does not show the reason:\n%s", view)
	}
}

func TestEnterOnAnExtraFieldActsOnceTheNameIsTyped(t *testing.T) {
	t.Parallel()
	typed := newTyped(Field{Label: "Reason:"})
	// The name first, then back to the reason to change it.
	typed, out := press(typed, append(append([]string{"tab"}, chars("Acme Corp")...), append([]string{"shift+tab"}, chars("unpaid")...)...)...)
	if out != Undecided {
		t.Fatalf("outcome %d before enter", out)
	}
	if _, out = press(typed, "enter"); out != Confirmed {
		t.Errorf("enter on the reason with the name typed: outcome %d, want confirmed (SPEC §6)", out)
	}
}

func TestTheButtonsShowWhetherEnterActs(t *testing.T) {
	t.Parallel()
	st := styles.New()
	typed := newTyped()
	if !strings.Contains(typed.View(58), st.DisabledButton.Render("[ Delete ]")) {
		t.Error("Delete is not drawn disabled before the name is typed")
	}
	typed, _ = press(typed, chars("Acme Corp")...)
	if !strings.Contains(typed.View(58), st.DangerButton.Render("[ Delete ]")) {
		t.Error("Delete is not drawn armed once the name is typed")
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	keys := keymap.Default()
	tests := []struct {
		name string
		keys []string
		want Outcome
	}{
		{"enter acts", []string{"enter"}, Confirmed},
		{"escape cancels", []string{"esc"}, Cancelled},
		{"enter on Cancel cancels", []string{"tab", "enter"}, Cancelled},
		{"tab twice comes back to the action", []string{"tab", "tab", "enter"}, Confirmed},
		{"other keys do nothing", []string{"q", "x"}, Undecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPlain(styles.New(), &keys, "Resume", false)
			var out Outcome
			for _, k := range tt.keys {
				if p, out = p.Update(remotetest.Key(k)); out != Undecided {
					break
				}
			}
			if out != tt.want {
				t.Errorf("outcome %d, want %d", out, tt.want)
			}
		})
	}
}

func TestAPasteTypesButNeverDecides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		keys       []string
		paste      string
		armed      bool
		reason     string
		wantReason string
	}{
		{"a pasted name arms the action", nil, "Acme Corp", true, "", ""},
		{"a paste on a button goes into the name", []string{"tab"}, "Acme Corp", true, "", ""},
		{"a paste into the first field stays there", nil, "unpaid invoice", false, "reason", "unpaid invoice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			typed := newTyped()
			if tt.reason != "" {
				typed = newTyped(Field{Label: "Reason"})
			}
			typed, out := press(typed, tt.keys...)
			typed, _ = typed.Paste(tea.PasteMsg{Content: tt.paste})
			if out != Undecided || typed.Armed() != tt.armed {
				t.Errorf("outcome %d, armed %v; want undecided, armed %v", out, typed.Armed(), tt.armed)
			}
			if typed.Value(0) != tt.wantReason {
				t.Errorf("the reason is %q, want %q", typed.Value(0), tt.wantReason)
			}
		})
	}
}
