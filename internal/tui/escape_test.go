package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/pages/confirmdelete"
	"github.com/orgd/orgd/internal/tui/pages/orgform"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// What a terminal's Escape followed at once by j reads as.
const escapeJ = "alt+j"

func threeOrgs() *remotetest.Fake {
	return operatorFake(remotetest.NewOrg("Acme", "a@acme.test"), remotetest.NewOrg("Beta", "b@beta.test"), remotetest.NewOrg("Gamma", "g@gamma.test"))
}

func TestAnAltKeyIsReadAsEscapeThenTheKey(t *testing.T) {
	t.Parallel()
	esc := tea.KeyPressMsg{Code: tea.KeyEscape}
	tests := []struct {
		name   string
		typing bool
		key    tea.KeyPressMsg
		want   []string // the keys as key.Matches reads them
	}{
		{"alt+j on a list is escape then j", false, remotetest.Key("alt+j"), []string{"esc", "j"}},
		{"alt+shift+g is escape then G", false, tea.KeyPressMsg{Code: 'g', ShiftedCode: 'G', Mod: tea.ModAlt | tea.ModShift}, []string{"esc", "G"}},
		{"alt+esc is escape twice", false, tea.KeyPressMsg{Code: tea.KeyEscape, Mod: tea.ModAlt}, []string{"esc", "esc"}},
		{"alt+ctrl+c is escape then ctrl+c", false, remotetest.Key("ctrl+alt+c"), []string{"esc", "ctrl+c"}},
		{"alt+enter is escape then enter", false, remotetest.Key("alt+enter"), []string{"esc", "enter"}},
		{"alt+b on a list is escape then b", false, remotetest.Key("alt+b"), []string{"esc", "b"}},
		{"alt+j in a text field is escape then j", true, remotetest.Key("alt+j"), []string{"esc", "j"}},
		{"alt+b in a text field stays a word move", true, remotetest.Key("alt+b"), []string{"alt+b"}},
		{"alt+backspace in a text field stays a word delete", true, remotetest.Key("alt+backspace"), []string{"alt+backspace"}},
		{"a key without alt is itself", false, remotetest.Key("j"), []string{"j"}},
		{"escape alone is itself", true, esc, []string{"esc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, threeOrgs(), 80, 24)
			a.login()
			if tt.typing {
				a.d.Press("/")
			}
			var got []string
			for _, k := range a.model().split(tt.key) {
				got = append(got, k.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("split %s = %v, want %v", tt.key.String(), got, tt.want)
			}
		})
	}
}

func TestEscapeThenAKeyAtOnceDoesBoth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup []string
		keys  []string
		check func(a *app)
	}{
		{"it leaves the delete dialog, then moves down", []string{"d"}, []string{escapeJ}, func(a *app) {
			if _, open := a.top().(confirmdelete.Model); open {
				a.t.Fatalf("the dialog stays:\n%s", a.screen())
			}
			a.wantScreen("2 of 3")
		}},
		{"it clears the filter line, then moves down", []string{"/", "a"}, []string{escapeJ}, func(a *app) {
			a.wantScreen("2 of 3")
			if strings.Contains(a.screen(), "/ a") {
				a.t.Errorf("the filter line stays:\n%s", a.screen())
			}
		}},
		{"it closes the help, then moves down", []string{"?"}, []string{escapeJ}, func(a *app) {
			a.wantScreen("orgtui › Organizations", "2 of 3")
		}},
		{"it leaves a form, then opens the next organization", []string{"n"}, []string{"alt+j", "enter"}, func(a *app) {
			a.wantScreen("orgtui › Beta")
		}},
		{"escape twice leaves the dialog, then the detail page", []string{"j", "enter", "d"}, []string{"alt+esc"}, func(a *app) {
			a.wantScreen("orgtui › Organizations", "2 of 3")
		}},
		{"escape then ctrl+c quits", []string{"d"}, []string{"ctrl+alt+c"}, func(a *app) {
			if !a.d.Quit {
				a.t.Error("the program goes on")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, threeOrgs(), 80, 24)
			a.login()
			a.step(tt.setup...)
			a.d.Press(tt.keys...)
			tt.check(a)
			if n := len(a.fake.CallsOf(rpc.MethodOrgDelete)) + len(a.fake.CallsOf(rpc.MethodOrgCreate)); n != 0 {
				t.Errorf("orgd was asked to change something (%d calls)", n)
			}
		})
	}
}

// A terminal that tells Escape apart (kitty's keyboard protocol) sends
// two keys; the second may come before what Escape started is done.
func TestAKeyRightAfterEscapeWaitsForWhatEscapeStarted(t *testing.T) {
	t.Parallel()
	a := startApp(t, threeOrgs(), 80, 24)
	a.login()
	a.step("d")
	m, esc := a.m.Update(remotetest.Key("esc"))
	m, j := m.Update(remotetest.Key("j"))
	a.m = m
	a.d.Run(tea.Batch(esc, j))
	if _, open := a.top().(confirmdelete.Model); open {
		t.Fatalf("the dialog stays:\n%s", a.screen())
	}
	a.wantScreen("2 of 3")
}

func TestAPasteRightAfterEscapeWaitsToo(t *testing.T) {
	t.Parallel()
	a := startApp(t, threeOrgs(), 80, 24)
	a.login()
	a.step("n")
	m, esc := a.m.Update(remotetest.Key("esc"))
	m, paste := m.Update(tea.PasteMsg{Content: "Initech"})
	a.m = m
	a.d.Run(tea.Batch(esc, paste))
	if _, open := a.top().(orgform.Model); open {
		t.Fatalf("the form stays:\n%s", a.screen())
	}
	if strings.Contains(a.screen(), "Initech") {
		t.Errorf("the paste went into the form that escape closed:\n%s", a.screen())
	}
}

func TestAnAltKeyOfATextFieldStaysIn(t *testing.T) {
	t.Parallel()
	a := startApp(t, threeOrgs(), 80, 24)
	a.login()
	a.step("n")
	a.d.Type("acme corp")
	a.d.Press("alt+b")
	a.d.Type("x")
	f, ok := a.top().(orgform.Model)
	if !ok {
		t.Fatalf("alt+b left the form:\n%s", a.screen())
	}
	if got := f.Form().Value(orgform.FieldName); got != "acme xcorp" {
		t.Errorf("the name is %q, want alt+b to have moved back a word", got)
	}
}

func TestSettleWaitsABoundedTime(t *testing.T) {
	t.Parallel()
	t.Run("a quick command's message comes with it", func(t *testing.T) {
		t.Parallel()
		d := settle(func() tea.Msg { return "closed" }, 7)().(escapeDone)
		if d.seq != 7 || d.msg != "closed" || d.later != nil {
			t.Errorf("settle = %+v", d)
		}
	})
	t.Run("a slow command's message comes later", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		d := settle(func() tea.Msg { time.Sleep(3 * EscapeWait); return "loaded" }, 1)().(escapeDone)
		if waited := time.Since(start); d.later == nil || waited > 2*EscapeWait {
			t.Fatalf("settle waited %s and gave %+v", waited, d)
		}
		if msg := d.later(); msg != "loaded" {
			t.Errorf("later = %v", msg)
		}
	})
	t.Run("a panic is raised again where the message is taken", func(t *testing.T) {
		t.Parallel()
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the command's panic", r)
			}
		}()
		settle(func() tea.Msg { panic("boom") }, 1)()
		t.Error("no panic")
	})
}
