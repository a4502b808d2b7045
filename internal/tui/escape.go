package tui

import (
	"reflect"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Escape, and what follows it at once.
//
// A terminal sends Escape as the byte ESC, which also begins the
// sequences of other keys, and alt+x as ESC x. Bubble Tea's input layer
// (ultraviolet's TerminalReader) waits EscTimeout (50 ms, not settable
// through Bubble Tea) for more after an ESC that ends a read; but when
// Escape and the next key arrive in one read — a fast typist, keys sent
// together by tmux, an SSH link that coalesces writes — it reads them as
// alt+key, and that key is lost. A terminal speaking the kitty keyboard
// protocol, which Bubble Tea asks for, sends an unambiguous Escape; most
// terminals do not.
//
// orgtui binds no alt key (keymap's test sees to it), so it reads alt+key
// as Escape followed by key. While a text field has the focus, the alt
// keys the field takes itself (keymap.TextAlt: word moves and deletes)
// stay what they are.
//
// Escape usually closes something (a dialog, the help, a filter line),
// often by a command whose message comes back later: the keys after it
// would reach the screen that Escape is closing. So the keys (and pastes)
// that arrive after an Escape wait, up to EscapeWait, for the first
// message of what it started to be handled, and go on from there.

// EscapeWait bounds how long the keys after an Escape wait for what the
// Escape started to take effect.
const EscapeWait = 200 * time.Millisecond

// escapeDone is the first message of what Escape number seq started; when
// that took longer than EscapeWait, later delivers it once it comes.
type escapeDone struct {
	seq   int
	msg   tea.Msg
	later tea.Cmd
}

// split returns k, or when k is an alt+key that orgtui does not take as
// one, Escape followed by the key.
func (m Model) split(k tea.KeyPressMsg) []tea.KeyPressMsg {
	if k.Mod&tea.ModAlt == 0 || (m.typing() && key.Matches(k, m.keys.TextAlt)) {
		return []tea.KeyPressMsg{k}
	}
	rest := k
	rest.Mod &^= tea.ModAlt
	// The input layer drops the text of an alt key: a printable key gets
	// it back, so that it types.
	if rest.Text == "" && rest.Mod&^(tea.ModShift|tea.ModCapsLock|tea.ModNumLock) == 0 {
		code := rest.Code
		if rest.Mod&tea.ModShift != 0 {
			code = rest.ShiftedCode
		}
		if code != 0 && unicode.IsPrint(code) {
			rest.Text = string(code)
		}
	}
	return []tea.KeyPressMsg{{Code: tea.KeyEscape}, rest}
}

// typing reports whether a text field has the focus: the login dialog's,
// or the top page's.
func (m Model) typing() bool {
	top := m.top()
	return m.login != nil || (!m.help && top != nil && top.Typing())
}

// onKeys handles keys in order. After an Escape whose handling started a
// command, the keys that follow wait in held for the command's first
// message (escapeDone); ctrl+c never waits.
func (m Model) onKeys(keys ...tea.KeyPressMsg) (Model, tea.Cmd) {
	var cmds []tea.Cmd
	for _, k := range keys {
		if m.waiting && !key.Matches(k, m.keys.ForceQuit) {
			m.held = append(m.held, k)
			continue
		}
		next, cmd := m.onKey(k)
		m = next.(Model)
		if k.Code == tea.KeyEscape && k.Mod == 0 && cmd != nil {
			m.escapes++
			m.waiting = true
			cmd = settle(cmd, m.escapes)
		}
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// settle runs cmd, and delivers its message as an escapeDone, at once if
// it comes within EscapeWait, or else with a command that delivers it
// when it does. A panic of cmd is raised again where the message is
// taken, in a command that Bubble Tea runs, so that it still restores the
// terminal.
func settle(cmd tea.Cmd, seq int) tea.Cmd {
	return func() tea.Msg {
		done := make(chan tea.Msg, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					done <- panicked{r}
				}
			}()
			done <- cmd()
		}()
		timer := time.NewTimer(EscapeWait)
		defer timer.Stop()
		select {
		case msg := <-done:
			return escapeDone{seq: seq, msg: taken(msg)}
		case <-timer.C:
			return escapeDone{seq: seq, later: func() tea.Msg { return taken(<-done) }}
		}
	}
}

// panicked is the panic of a command that settle ran.
type panicked struct{ value any }

// taken returns msg, or raises again the panic it carries.
func taken(msg tea.Msg) tea.Msg {
	if p, ok := msg.(panicked); ok {
		panic(p.value)
	}
	return msg
}

// afterEscape handles the first message of what an Escape started, then
// the keys that waited for it.
func (m Model) afterEscape(d escapeDone) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch {
	case d.later != nil:
		cmds = append(cmds, d.later)
	case d.msg == nil:
	case fromBubbleTea(d.msg):
		// Bubble Tea's own messages (a batch of commands, quit, …) are
		// its to handle: they go back to it as a command's result.
		msg := d.msg
		cmds = append(cmds, func() tea.Msg { return msg })
	default:
		next, cmd := m.Update(d.msg)
		m = next.(Model)
		cmds = append(cmds, cmd)
	}
	if d.seq != m.escapes {
		return m, tea.Batch(cmds...)
	}
	m.waiting = false
	held := m.held
	m.held = nil
	var next tea.Model = m
	for _, msg := range held {
		var cmd tea.Cmd
		next, cmd = next.Update(msg)
		cmds = append(cmds, cmd)
	}
	return next, tea.Batch(cmds...)
}

// fromBubbleTea reports whether msg is one of Bubble Tea's own messages.
func fromBubbleTea(msg tea.Msg) bool {
	t := reflect.TypeOf(msg)
	return t != nil && t.PkgPath() == reflect.TypeFor[tea.QuitMsg]().PkgPath()
}
