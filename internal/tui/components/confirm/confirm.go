// Package confirm is how orgtui's dialogs ask before they act (SPEC §6).
// Typed asks for a word to be typed first, as GitHub asks for a
// repository's name: typing it exactly and pressing enter acts; enter with
// anything else does nothing and says what to type. Plain asks a yes/no
// question: enter acts. In both, escape cancels and tab only moves the
// focus, between the fields and the buttons.
package confirm

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/styles"
)

// Outcome is what a key press decided.
type Outcome int

// Outcomes.
const (
	// Undecided: nothing was decided (the key typed, or moved the focus).
	Undecided Outcome = iota
	// Confirmed: the action is to be done.
	Confirmed
	// Cancelled: the dialog is to close without acting.
	Cancelled
)

// Field is a text field asked for before what must be typed (a reason).
type Field struct {
	// Label is shown above the input.
	Label string
	// Placeholder shows while the input is empty.
	Placeholder string
	// Limit is the most characters the input takes (256 when zero).
	Limit int
}

// Typed is a confirmation that wants Want typed exactly. Its focus moves,
// with tab, over the extra fields, the input of what must be typed, the
// action's button and Cancel.
type Typed struct {
	keys   *keymap.KeyMap
	styles *styles.Styles
	want   string
	action string
	prompt string
	fields []field
	input  textinput.Model
	focus  int // 0…len(fields)-1: a field; then the input, the action, Cancel
	hint   string
}

type field struct {
	spec  Field
	input textinput.Model
}

// NewTyped returns a confirmation of action (the button's label, such as
// "Delete") that wants want typed; prompt says what to type ("Type the
// organization's name to delete it:"). The fields, if any, come first and
// the first of them has the focus; otherwise the input has it.
func NewTyped(st *styles.Styles, keys *keymap.KeyMap, action, want, prompt string, fields ...Field) Typed {
	t := Typed{keys: keys, styles: st, want: want, action: action, prompt: prompt}
	for _, f := range fields {
		in := newInput(st)
		in.Placeholder = f.Placeholder
		if f.Limit > 0 {
			in.CharLimit = f.Limit
		}
		t.fields = append(t.fields, field{spec: f, input: in})
	}
	t.input = newInput(st)
	t.setFocus(0)
	return t
}

func newInput(st *styles.Styles) textinput.Model {
	in := textinput.New()
	in.Prompt = styles.Pointer
	in.SetStyles(st.Input)
	in.CharLimit = 256
	return in
}

// Want returns what must be typed.
func (t Typed) Want() string { return t.want }

// SetWant changes what must be typed (the organization was renamed
// meanwhile); what was typed stays, and arms the action only if it matches.
func (t *Typed) SetWant(want string) { t.want = want }

// Typed returns what was typed in the input.
func (t Typed) Typed() string { return t.input.Value() }

// Value returns the text of the i-th extra field.
func (t Typed) Value(i int) string {
	if i < 0 || i >= len(t.fields) {
		return ""
	}
	return t.fields[i].input.Value()
}

// Armed reports whether what was typed is exactly what is wanted.
func (t Typed) Armed() bool { return t.input.Value() == t.want }

// Hint returns what the confirmation says after a refused enter: what to
// type; empty otherwise.
func (t Typed) Hint() string { return t.hint }

// SetWidth makes the inputs fit a dialog width cells wide inside.
func (t *Typed) SetWidth(width int) {
	w := max(8, width-lipgloss.Width(styles.Pointer)-1)
	t.input.SetWidth(w)
	for i := range t.fields {
		t.fields[i].input.SetWidth(w)
	}
}

func (t Typed) inputAt() int  { return len(t.fields) }
func (t Typed) actionAt() int { return len(t.fields) + 1 }
func (t Typed) cancelAt() int { return len(t.fields) + 2 }

func (t *Typed) setFocus(i int) {
	n := t.cancelAt() + 1
	t.focus = (i%n + n) % n
	for j := range t.fields {
		if j == t.focus {
			t.fields[j].input.Focus()
		} else {
			t.fields[j].input.Blur()
		}
	}
	if t.focus == t.inputAt() {
		t.input.Focus()
	} else {
		t.input.Blur()
	}
}

// Update handles a key press: escape cancels; tab and shift+tab move the
// focus; enter on Cancel cancels, and elsewhere confirms once the wanted
// text is typed; until then, enter on an extra field moves on, and
// elsewhere says what to type. Other keys type into the focused field (into the input when a
// button has the focus).
func (t Typed) Update(k tea.KeyPressMsg) (Typed, tea.Cmd, Outcome) {
	keys := t.keys
	switch {
	case key.Matches(k, keys.Cancel):
		return t, nil, Cancelled
	case k.String() == "tab" || (k.String() == "down" && t.focus < t.inputAt()):
		t.setFocus(t.focus + 1)
		return t, nil, Undecided
	case k.String() == "shift+tab" || (k.String() == "up" && t.focus > 0 && t.focus <= t.inputAt()):
		t.setFocus(t.focus - 1)
		return t, nil, Undecided
	case key.Matches(k, keys.Submit):
		switch {
		case t.focus < t.inputAt() && !t.Armed():
			t.setFocus(t.focus + 1)
			return t, nil, Undecided
		case t.focus == t.cancelAt():
			return t, nil, Cancelled
		case !t.Armed():
			t.hint = t.what()
			t.setFocus(t.inputAt())
			return t, nil, Undecided
		}
		t.hint = ""
		return t, nil, Confirmed
	}
	if t.focus > t.inputAt() {
		if k.Text == "" {
			return t, nil, Undecided
		}
		t.setFocus(t.inputAt())
	}
	var cmd tea.Cmd
	if t.focus < t.inputAt() {
		f := &t.fields[t.focus]
		f.input, cmd = f.input.Update(k)
		return t, cmd, Undecided
	}
	before := t.input.Value()
	t.input, cmd = t.input.Update(k)
	if t.input.Value() != before {
		t.hint = ""
	}
	return t, cmd, Undecided
}

// Paste puts pasted text (bracketed paste) into the focused field, or into
// the input of what must be typed when a button has the focus. Nothing is
// decided by a paste: enter still has to be pressed.
func (t Typed) Paste(p tea.PasteMsg) (Typed, tea.Cmd) {
	if t.focus > t.inputAt() {
		t.setFocus(t.inputAt())
	}
	var cmd tea.Cmd
	if t.focus < t.inputAt() {
		f := &t.fields[t.focus]
		f.input, cmd = f.input.Update(p)
		return t, cmd
	}
	before := t.input.Value()
	t.input, cmd = t.input.Update(p)
	if t.input.Value() != before {
		t.hint = ""
	}
	return t, cmd
}

// what says exactly what to type, and what was typed if anything.
func (t Typed) what() string {
	verb := strings.ToLower(t.action)
	if t.input.Value() == "" {
		return fmt.Sprintf("Nothing was done: type %q exactly, then press enter to %s.", t.want, verb)
	}
	return fmt.Sprintf("Nothing was done: %q does not match; type %q exactly, then press enter to %s.", t.input.Value(), t.want, verb)
}

// View draws the extra fields, the prompt and its input, the buttons, and
// the hint after a refused enter, width cells wide.
func (t Typed) View(width int) string {
	st := t.styles
	var lines []string
	for i, f := range t.fields {
		label := f.spec.Label
		if i == t.focus {
			label = st.FocusedLabel.Render(label)
		}
		lines = append(lines, label, f.input.View(), "")
	}
	prompt := t.prompt
	if t.focus == t.inputAt() && len(t.fields) > 0 {
		prompt = st.FocusedLabel.Render(prompt)
	}
	lines = append(lines, lipgloss.NewStyle().Width(width).Render(prompt), t.input.View(), "", t.buttons())
	if t.hint != "" {
		lines = append(lines, "", lipgloss.NewStyle().Width(width).Render(st.Error.Render(styles.ErrorMark+t.hint)))
	}
	return layout.Width(strings.Join(lines, "\n"), width)
}

func (t Typed) buttons() string {
	st := t.styles
	label := "[ " + t.action + " ]"
	var action string
	switch {
	case t.focus == t.actionAt() && t.Armed():
		action = st.DangerButton.Render(label)
	case t.focus == t.actionAt():
		action = st.ActiveButton.Faint(true).Render(label) + st.Subtle.Render(" (type it first)")
	case t.Armed():
		action = st.DangerButton.Render(label)
	default:
		action = st.DisabledButton.Render(label)
	}
	cancel := st.Button.Render("[ Cancel ]")
	if t.focus == t.cancelAt() {
		cancel = st.ActiveButton.Render("[ Cancel ]")
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, action, "  ", cancel)
}

// Plain is a yes/no confirmation: two buttons, the action's (focused at
// first) and Cancel.
type Plain struct {
	keys     *keymap.KeyMap
	styles   *styles.Styles
	action   string
	danger   bool
	onCancel bool
}

// NewPlain returns a confirmation of action (the button's label, such as
// "Resume"); danger draws its button as that of a destructive action.
func NewPlain(st *styles.Styles, keys *keymap.KeyMap, action string, danger bool) Plain {
	return Plain{keys: keys, styles: st, action: action, danger: danger}
}

// OnCancel reports whether Cancel has the focus.
func (p Plain) OnCancel() bool { return p.onCancel }

// Update handles a key press: enter presses the focused button, escape
// cancels, tab and the arrows move between the buttons.
func (p Plain) Update(k tea.KeyPressMsg) (Plain, Outcome) {
	switch {
	case key.Matches(k, p.keys.Cancel):
		return p, Cancelled
	case key.Matches(k, p.keys.Submit):
		if p.onCancel {
			return p, Cancelled
		}
		return p, Confirmed
	}
	switch k.String() {
	case "tab", "shift+tab", "left", "right":
		p.onCancel = !p.onCancel
	}
	return p, Undecided
}

// View draws the buttons.
func (p Plain) View() string {
	st := p.styles
	label := "[ " + p.action + " ]"
	action, cancel := st.Button.Render(label), st.Button.Render("[ Cancel ]")
	switch {
	case p.onCancel:
		cancel = st.ActiveButton.Render("[ Cancel ]")
	case p.danger:
		action = st.DangerButton.Render(label)
	default:
		action = st.ActiveButton.Render(label)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, action, "  ", cancel)
}
