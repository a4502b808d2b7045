// Package form is a column of labelled fields, each able to show an error
// under it: the login, first-run, create and edit screens are forms. A
// field is a text input, or a choice among a few words (a role). Errors
// that orgd reports for a param (error.data.field) are put on the field
// that edits that param with SetError.
//
// Enter submits the form once every field that is not optional holds
// something (SPEC §6); until then it moves to the next field, and from the
// last one back to the first that is empty. Tab only moves.
package form

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/styles"
)

// Spec describes a field.
type Spec struct {
	// Key names the field to SetError and Value; by convention the JSON
	// param it edits ("name", "admin_email").
	Key string
	// Label is shown before the input.
	Label string
	// Placeholder is shown while the field is empty.
	Placeholder string
	// Value is the field's initial text.
	Value string
	// Secret masks what is typed (passwords).
	Secret bool
	// Aliases are other params whose errors belong on this field (an update
	// names the new name "new_name", a create "name").
	Aliases []string
	// Optional fields may stay empty: enter submits without them.
	Optional bool
	// Choices, when set, make the field a choice among these words, which
	// the arrows and space move between; Value is the chosen one (Value
	// must be one of them, or the first is chosen).
	Choices []string
	// Limit is the most characters the field takes: 256 when zero (128
	// for a secret). What is typed or pasted beyond it is dropped.
	Limit int
}

type field struct {
	spec   Spec
	input  textinput.Model
	choice int // the chosen one of spec.Choices
	err    string
}

// Model is a form.
type Model struct {
	fields []field
	focus  int
	keys   *keymap.KeyMap
	styles *styles.Styles
	width  int
}

// New returns a form of the given fields, the first one focused.
func New(st *styles.Styles, keys *keymap.KeyMap, specs ...Spec) Model {
	m := Model{keys: keys, styles: st, width: 60}
	for _, s := range specs {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = s.Placeholder
		in.SetStyles(st.Input)
		in.SetValue(s.Value)
		in.CharLimit = 256
		if s.Secret {
			in.EchoMode = textinput.EchoPassword
			in.EchoCharacter = '•'
			in.CharLimit = 128
		}
		if s.Limit > 0 {
			in.CharLimit = s.Limit
		}
		f := field{spec: s, input: in}
		if len(s.Choices) > 0 {
			f.choice = max(0, slices.Index(s.Choices, s.Value))
		}
		m.fields = append(m.fields, f)
	}
	m.SetWidth(m.width)
	m.focusField(0)
	return m
}

// Update handles a key: tab and the up and down arrows move between
// fields; enter submits (submit is then true) once every field that is not
// optional holds something, and otherwise moves to the next field (from
// the last one, back to the first that must be filled). On a
// choice, left, right and space choose; other keys edit the focused text
// field. A tea.PasteMsg (bracketed paste) goes into the focused text field
// as typed text, newlines made spaces; it never submits.
func (m Model) Update(msg tea.Msg) (_ Model, cmd tea.Cmd, submit bool) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, m.keys.Submit):
			if m.Complete() {
				return m, nil, true
			}
			if m.focus < len(m.fields)-1 {
				m.focusField(m.focus + 1)
			} else {
				m.focusField(m.missing())
			}
			return m, nil, false
		case key.Matches(k, m.keys.NextField):
			m.focusField((m.focus + 1) % len(m.fields))
			return m, nil, false
		case key.Matches(k, m.keys.PrevField):
			m.focusField((m.focus + len(m.fields) - 1) % len(m.fields))
			return m, nil, false
		}
	}
	f := &m.fields[m.focus]
	if n := len(f.spec.Choices); n > 0 {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.keys.Choose) {
			if k.String() == "left" {
				f.choice = (f.choice + n - 1) % n
			} else {
				f.choice = (f.choice + 1) % n
			}
			f.err = ""
		}
		return m, nil, false
	}
	before := f.input.Value()
	f.input, cmd = f.input.Update(msg)
	if f.input.Value() != before {
		f.err = ""
	}
	return m, cmd, false
}

// Complete reports whether every field that is not optional holds
// something.
func (m Model) Complete() bool {
	for _, f := range m.fields {
		if !f.spec.Optional && len(f.spec.Choices) == 0 && f.input.Value() == "" {
			return false
		}
	}
	return true
}

// missing returns the first field that must hold something and is empty.
func (m Model) missing() int {
	for i, f := range m.fields {
		if !f.spec.Optional && len(f.spec.Choices) == 0 && f.input.Value() == "" {
			return i
		}
	}
	return m.focus
}

// OnChoice reports whether the focused field is a choice.
func (m Model) OnChoice() bool { return len(m.fields[m.focus].spec.Choices) > 0 }

func (m *Model) focusField(i int) {
	i = min(i, len(m.fields)-1)
	for j := range m.fields {
		if j == i {
			m.fields[j].input.Focus()
		} else {
			m.fields[j].input.Blur()
		}
	}
	m.focus = i
}

// Focus moves the focus to the field key (or one with key as an alias).
func (m *Model) Focus(key string) {
	if i := m.index(key); i >= 0 {
		m.focusField(i)
	}
}

// Focused returns the key of the focused field.
func (m Model) Focused() string { return m.fields[m.focus].spec.Key }

// Value returns the text of field key, or its chosen word.
func (m Model) Value(key string) string {
	if i := m.index(key); i >= 0 {
		f := m.fields[i]
		if len(f.spec.Choices) > 0 {
			return f.spec.Choices[f.choice]
		}
		return f.input.Value()
	}
	return ""
}

// SetValue replaces the text of field key, or chooses v.
func (m *Model) SetValue(key, v string) {
	if i := m.index(key); i >= 0 {
		f := &m.fields[i]
		if len(f.spec.Choices) > 0 {
			if c := slices.Index(f.spec.Choices, v); c >= 0 {
				f.choice = c
			}
			return
		}
		f.input.SetValue(v)
	}
}

// SetError shows msg under field key (or the field that has key as an
// alias), focuses that field and reports whether there was one.
func (m *Model) SetError(key, msg string) bool {
	i := m.index(key)
	if i < 0 {
		return false
	}
	m.fields[i].err = msg
	m.focusField(i)
	return true
}

// Error returns the error shown under field key.
func (m Model) Error(key string) string {
	if i := m.index(key); i >= 0 {
		return m.fields[i].err
	}
	return ""
}

// ClearErrors removes every field's error.
func (m *Model) ClearErrors() {
	for i := range m.fields {
		m.fields[i].err = ""
	}
}

func (m Model) index(key string) int {
	for i, f := range m.fields {
		if f.spec.Key == key {
			return i
		}
		for _, a := range f.spec.Aliases {
			if a == key {
				return i
			}
		}
	}
	return -1
}

// input draws field i's input: the text input, or the choices with the
// chosen one marked (by a dot, and reversed while focused).
func (m Model) input(i int) string {
	f := m.fields[i]
	if len(f.spec.Choices) == 0 {
		return f.input.View()
	}
	var parts []string
	for c, word := range f.spec.Choices {
		switch {
		case c == f.choice && i == m.focus:
			parts = append(parts, m.styles.SelectedRow.Render("(•) "+word))
		case c == f.choice:
			parts = append(parts, "(•) "+word)
		default:
			parts = append(parts, m.styles.Subtle.Render("( ) "+word))
		}
	}
	return strings.Join(parts, "  ")
}

func (m Model) labelWidth() int {
	w := 0
	for _, f := range m.fields {
		w = max(w, lipgloss.Width(f.spec.Label))
	}
	return w
}

// SetWidth makes the form width cells wide.
func (m *Model) SetWidth(width int) {
	m.width = width
	inputWidth := max(8, width-lipgloss.Width(styles.Pointer)-m.labelWidth()-3)
	for i := range m.fields {
		m.fields[i].input.SetWidth(inputWidth)
	}
}

// View draws the form: one line per field, label then input, and the
// field's error on the line under it.
func (m Model) View() string {
	width := m.width
	labelWidth := m.labelWidth()
	gutter := lipgloss.Width(styles.Pointer)
	var b strings.Builder
	for i, f := range m.fields {
		if i > 0 {
			b.WriteByte('\n')
		}
		label := f.spec.Label + strings.Repeat(" ", labelWidth-lipgloss.Width(f.spec.Label))
		pointer := strings.Repeat(" ", gutter)
		if i == m.focus {
			pointer = m.styles.FocusedLabel.Render(styles.Pointer)
			label = m.styles.FocusedLabel.Render(label)
		} else {
			label = m.styles.Label.Render(label)
		}
		b.WriteString(layout.Line(pointer+label+"  "+m.input(i), width))
		if f.err != "" {
			// The error is wrapped under the input, never cut: it says what
			// to fix.
			indent := strings.Repeat(" ", gutter+labelWidth+2)
			text := ansi.Wordwrap(styles.ErrorMark+f.err, max(10, width-len(indent)), " ")
			for _, l := range strings.Split(text, "\n") {
				b.WriteString("\n" + layout.Line(indent+m.styles.FieldError.Render(l), width))
			}
		}
	}
	return b.String()
}
