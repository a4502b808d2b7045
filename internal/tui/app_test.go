package tui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// epoch is the fixed "now" of the tests.
var epoch = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// app is orgtui on a fake orgd.
type app struct {
	t      *testing.T
	fake   *remotetest.Fake
	editor *remotetest.FakeEditor
	clock  *clock
	m      tea.Model
	d      *remotetest.Driver
}

const (
	opsEmail    = "ops@example.com"
	opsPassword = "operator-password"
)

// operatorFake is an orgd with an operator and the given organizations.
func operatorFake(orgs ...rpc.Organization) *remotetest.Fake {
	return &remotetest.Fake{
		HasOperator: true,
		Accounts:    map[string]string{opsEmail: opsPassword},
		Orgs:        orgs,
		Expires:     epoch.Add(time.Hour),
		Stats:       map[string]rpc.OrgStats{},
	}
}

func startApp(t *testing.T, fake *remotetest.Fake, width, height int) *app {
	t.Helper()
	return startAppWith(t, fake, width, height, nil)
}

// startAppWith is startApp with options of the test's own: set, when not
// nil, changes them before the application is made.
func startAppWith(t *testing.T, fake *remotetest.Fake, width, height int, set func(*Options)) *app {
	t.Helper()
	a := &app{t: t, fake: fake, editor: remotetest.NewFakeEditor(t), clock: &clock{t: epoch}}
	o := Options{Client: fake, Now: a.clock.Now, Timeout: 5 * time.Second, Editor: a.editor.Editor}
	if set != nil {
		set(&o)
	}
	m := New(o)
	a.m = m
	a.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		a.m, cmd = a.m.Update(msg)
		return cmd
	})
	a.d.Busy = func() bool {
		// A page's edit is under way from the key that starts it (the
		// editor's script may take a while to start) until its outcome is
		// handled.
		editing, _ := a.model().top().(interface{ Editing() bool })
		return m.orgd.Busy() || a.editor.Busy() || (editing != nil && editing.Editing())
	}
	a.d.Send(tea.WindowSizeMsg{Width: width, Height: height})
	a.d.Run(a.m.Init())
	return a
}

func (a *app) model() Model { return a.m.(Model) }

// screen is the screen as text.
func (a *app) screen() string { return ansi.Strip(a.model().Render()) }

// login logs in as the operator.
func (a *app) login() {
	a.t.Helper()
	a.d.Press("ctrl+u")
	a.d.Type(opsEmail)
	a.d.Press("tab", "ctrl+u")
	a.d.Type(opsPassword)
	a.d.Press("enter")
	if a.model().session == nil {
		a.t.Fatalf("login failed:\n%s", a.screen())
	}
}

// step presses keys one at a time, letting what each starts settle (a
// page that opens, a load) before the next: unlike Press, which types as
// fast as a person does and so may reach a page before it has opened.
func (a *app) step(keys ...string) {
	for _, k := range keys {
		a.d.Press(k)
	}
}

func (a *app) wantScreen(wants ...string) {
	a.t.Helper()
	screen := a.screen()
	for _, w := range wants {
		if !strings.Contains(screen, w) {
			a.t.Errorf("the screen does not show %q:\n%s", w, screen)
		}
	}
}

func TestLoggingInOpensTheListAndSubscribes(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.wantScreen("Log in to orgd")
	a.login()
	a.wantScreen("Organizations", "Acme", "ops@example.com (operator)", "token 1h", "embedded ok", "connected")
	if n := len(a.fake.CallsOf(rpc.MethodOrgSubscribe)); n != 1 {
		t.Errorf("org.subscribe was called %d times, want once", n)
	}
}

func TestLiveEventsReachTheList(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.fake.Send(rpc.OrgEvent{Type: rpc.EventCreated, Organization: remotetest.NewOrg("Beta", "b@beta.test")})
	a.d.Settle()
	a.wantScreen("Beta", "b@beta.test", "1 of 2")
}

func TestAnEndedSessionBringsLoginOverTheScreenAndBack(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.d.Press("enter") // the detail page of Acme
	a.wantScreen("orgtui › Acme", "org_acme")

	a.fake.FailNext(rpc.MethodOrgGet, &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "the token was revoked; log in again"})
	a.d.Press("r")
	a.wantScreen("Your session ended", "Log in to orgd")
	if got := a.model().login.Form().Value("email"); got != opsEmail {
		t.Errorf("the login dialog does not offer the same email: %q", got)
	}
	if !strings.Contains(a.screen(), "  Name") {
		t.Errorf("the detail page does not show around the dialog:\n%s", a.screen())
	}

	a.d.Type(opsPassword)
	a.d.Press("enter")
	a.wantScreen("orgtui › Acme", "org_acme")
	if a.model().login != nil {
		t.Error("the login dialog stays after logging in")
	}
}

func TestAnExpiredTokenBringsLogin(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(), 80, 24)
	a.login()
	a.clock.Add(59*time.Minute + 30*time.Second)
	a.d.Send(clockMsg{})
	a.wantScreen("token 30s")
	a.clock.Add(time.Minute)
	a.d.Send(clockMsg{})
	a.wantScreen("Your session expired", "Log in to orgd")
}

func TestOrgdDownShowsRetryingThenReconnects(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	lists := len(a.fake.CallsOf(rpc.MethodOrgList))

	a.fake.SetDown(true)
	a.d.Press("r")
	a.wantScreen("disconnected, retrying", "Acme")
	a.d.Press("j", "k", "?")
	a.wantScreen("Keys on this screen")
	a.d.Press("esc")

	a.fake.SetDown(false)
	a.d.SettleFor(MinBackoff + 300*time.Millisecond)
	a.wantScreen("● connected", "Acme")
	if n := len(a.fake.CallsOf(rpc.MethodOrgSubscribe)); n < 2 {
		t.Errorf("after reconnecting org.subscribe was called %d times in all, want a new subscription", n)
	}
	if n := len(a.fake.CallsOf(rpc.MethodOrgList)); n < lists+2 {
		t.Errorf("after reconnecting the list was not reloaded (%d org.list calls, %d before)", n, lists)
	}
}

func TestBackoffDoublesUpToTheLimit(t *testing.T) {
	t.Parallel()
	m := New(Options{Client: &remotetest.Fake{Down: true}})
	var waits []time.Duration
	for range 6 {
		m.pending = false
		m.disconnected()
		waits = append(waits, m.backoff)
	}
	want := []time.Duration{MinBackoff, 2 * MinBackoff, 4 * MinBackoff, 8 * MinBackoff, MaxBackoff, MaxBackoff}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits are %v, want %v", waits, want)
		}
	}
}

func TestGlobalKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys []string
		quit bool
		want string
	}{
		{name: "q quits", keys: []string{"q"}, quit: true},
		{name: "ctrl+c quits while typing in the filter", keys: []string{"/", "a", "ctrl+c"}, quit: true},
		{name: "q types in the filter", keys: []string{"/", "q"}, want: "/ q"},
		{name: "? shows every key", keys: []string{"?"}, want: "clear filter"},
		{name: "esc closes the help", keys: []string{"?", "esc"}, want: "NAME"},
		{name: "L logs out", keys: []string{"L"}, want: "Logged out."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
			a.login()
			a.d.Press(tt.keys...)
			if a.d.Quit != tt.quit {
				t.Errorf("quit = %v, want %v", a.d.Quit, tt.quit)
			}
			if tt.want != "" {
				a.wantScreen(tt.want)
			}
		})
	}
}

func TestLogoutForgetsTheSession(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24)
	a.login()
	a.d.Press("L")
	if a.model().session != nil || len(a.model().stack) != 0 {
		t.Error("logging out keeps the session or the pages")
	}
	if tok, _ := a.model().orgd.Session(); tok != "" {
		t.Error("logging out keeps the token")
	}
	if strings.Contains(a.screen(), "Acme") {
		t.Errorf("after logging out the organizations still show:\n%s", a.screen())
	}
}

func TestAnAdminIsNotOfferedCreate(t *testing.T) {
	t.Parallel()
	fake := operatorFake(remotetest.NewOrg("Acme", "a@acme.test"))
	fake.Role = rpc.RoleAdmin
	a := startApp(t, fake, 80, 24)
	a.login()
	if strings.Contains(a.screen(), "n new") {
		t.Errorf("the help offers create to an admin:\n%s", a.screen())
	}
	a.d.Press("n")
	a.wantScreen("orgtui › Organizations")
}

func TestEveryLineFitsTheTerminal(t *testing.T) {
	t.Parallel()
	sizes := [][2]int{{80, 24}, {120, 40}, {60, 16}, {40, 10}, {30, 8}, {200, 60}}
	fake := acmeWithDocuments()
	fake.Orgs = append(fake.Orgs, remotetest.Orgs(50)...)
	a := startApp(t, fake, 80, 24)
	a.login()
	fake.PutMember("Acme Corp", "viewer@acme.example", "member-password", rpc.RoleViewer)
	fake.PutKey(opsEmail, remotetest.KeyLine(1, "ops@a-laptop-with-a-rather-long-name.example"), "")
	for _, keys := range [][]string{nil, {"enter"}, {"e"}, {"d"}, {"s"}, {"A"}, {"A", "n"}, {"P"}, {"?"}, {"enter", "enter"},
		{"K"}, {"K", "n"}, {"K", "d"}, {"A", "s"}, {"enter", "m", "j", "s"},
		{"enter", "enter", "G", "k", "enter"}, {"enter", "enter", "x"}, {"enter", "m"}, {"enter", "m", "n"}, {"enter", "m", "j", "e"}, {"enter", "m", "j", "d"}} {
		a.d.Press(keys...)
		for _, s := range sizes {
			a.d.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
			lines := strings.Split(a.model().Render(), "\n")
			if len(lines) != s[1] {
				t.Errorf("after %v at %dx%d the screen has %d lines", keys, s[0], s[1], len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > s[0] {
					t.Errorf("after %v at %dx%d line %d is %d wide: %q", keys, s[0], s[1], i+1, w, ansi.Strip(l))
				}
			}
		}
		a.d.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
		for len(a.model().stack) > 1 {
			a.d.Press("esc")
		}
	}
}
