package remotetest

import (
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

var named = map[string]rune{
	"enter":     tea.KeyEnter,
	"tab":       tea.KeyTab,
	"esc":       tea.KeyEscape,
	"up":        tea.KeyUp,
	"down":      tea.KeyDown,
	"left":      tea.KeyLeft,
	"right":     tea.KeyRight,
	"backspace": tea.KeyBackspace,
	"pgup":      tea.KeyPgUp,
	"pgdown":    tea.KeyPgDown,
	"home":      tea.KeyHome,
	"end":       tea.KeyEnd,
	"space":     tea.KeySpace,
}

// Key returns the key press named like Bubble Tea names keys: "enter",
// "shift+tab", "ctrl+c", "j", "G".
func Key(s string) tea.KeyPressMsg {
	var mod tea.KeyMod
	for {
		switch {
		case strings.HasPrefix(s, "ctrl+"):
			mod |= tea.ModCtrl
			s = s[len("ctrl+"):]
			continue
		case strings.HasPrefix(s, "shift+"):
			mod |= tea.ModShift
			s = s[len("shift+"):]
			continue
		case strings.HasPrefix(s, "alt+"):
			mod |= tea.ModAlt
			s = s[len("alt+"):]
			continue
		}
		break
	}
	if r, ok := named[s]; ok {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	r, _ := utf8.DecodeRuneInString(s)
	if mod != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	return tea.KeyPressMsg{Code: r, Text: s}
}

// Press sends each key in turn, as a fast typist would, and then settles.
func (d *Driver) Press(keys ...string) {
	for _, k := range keys {
		d.handle(Key(k))
		d.SettleFor(2 * time.Millisecond)
	}
	d.Settle()
}

// Type sends the characters of s as key presses.
func (d *Driver) Type(s string) {
	for _, r := range s {
		d.handle(tea.KeyPressMsg{Code: r, Text: string(r)})
		d.SettleFor(2 * time.Millisecond)
	}
	d.Settle()
}
