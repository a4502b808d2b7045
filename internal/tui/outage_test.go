package tui_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/internal/tui"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// This file is a test of package tui from outside it: it starts a real
// orgd, and the daemon imports the SSH server, which imports tui.

// liveApp is orgtui on a real orgd, with the real clock.
type liveApp struct {
	t *testing.T
	m tea.Model
	d *remotetest.Driver
}

func startLiveApp(t *testing.T, addr string) *liveApp {
	t.Helper()
	c := &rpc.Client{Addr: addr}
	t.Cleanup(func() { c.Close() })
	a := &liveApp{t: t}
	m := tui.New(tui.Options{Client: c, Timeout: 5 * time.Second})
	a.m = m
	a.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		a.m, cmd = a.m.Update(msg)
		return cmd
	})
	a.d.Busy = tui.Busy(m)
	a.d.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	a.d.Run(a.m.Init())
	return a
}

// screen is the screen as text.
func (a *liveApp) screen() string { return ansi.Strip(a.m.(tui.Model).Render()) }

// login logs in as the operator.
func (a *liveApp) login() {
	a.t.Helper()
	a.d.Press("ctrl+u")
	a.d.Type("ops@example.com")
	a.d.Press("tab", "ctrl+u")
	a.d.Type("operator-password")
	a.d.Press("enter")
}

// wantScreen checks that the screen shows every one of wants now.
func (a *liveApp) wantScreen(wants ...string) {
	a.t.Helper()
	screen := a.screen()
	for _, w := range wants {
		if !strings.Contains(screen, w) {
			a.t.Errorf("the screen does not show %q:\n%s", w, screen)
		}
	}
}

// waitScreen lets orgtui run, on its own timers, until the screen shows
// every one of wants, failing after within.
func (a *liveApp) waitScreen(within time.Duration, wants ...string) {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for {
		a.d.SettleFor(200 * time.Millisecond)
		screen := a.screen()
		missing := slices.IndexFunc(wants, func(w string) bool { return !strings.Contains(screen, w) })
		if missing < 0 {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("after %s the screen does not show %q:\n%s", within, wants[missing], screen)
		}
	}
}

// TestTheStatusBarShowsAStoreOutageAndItsEnd runs orgtui on a real orgd
// whose store runs in a process of its own, kills that process and starts
// it again: the status bar says the store is down while orgd stays
// connected and the list stays on screen, a create is refused with the
// reason, then the bar says the store is back, and changes reach the list
// again.
func TestTheStatusBarShowsAStoreOutageAndItsEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a store process and orgd")
	}
	if os.Getenv(testenv.MongoURIEnv) != "" {
		t.Skip("this test kills and restarts its own store: it runs on the embedded engine only")
	}
	t.Parallel()
	sp := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	d := testenv.Start(t, testenv.Options{Embedded: true, Configure: func(c *daemon.Config) {
		c.MongoURI = sp.URI
		c.StoreTimeout = time.Second
	}})
	op := d.Operator(t) // ops@example.com, as a.login types
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := d.Client(t)
	if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Acme", AdminEmail: "it@acme.example", AdminPassword: "admin-password"}); err != nil {
		t.Fatal(err)
	}

	a := startLiveApp(t, d.Addr)
	a.login()
	a.waitScreen(5*time.Second, "Acme", "mongodb ok", "● connected")

	sp.Kill()
	// orgtui asks system.health every HealthInterval; orgd probes the
	// store every second.
	a.waitScreen(tui.HealthInterval+5*time.Second, "mongodb down", "● connected", "Acme")
	a.d.Press("r")
	a.wantScreen("mongodb down", "Acme") // the list is served from orgd's memory
	// A change cannot be made, and orgtui says why.
	a.d.Press("n")
	a.d.Type("Initech")
	a.d.Press("enter")
	a.d.Type("it@initech.example")
	a.d.Press("enter")
	a.d.Type("admin-password")
	a.d.Press("enter")
	a.d.Type("admin-password")
	a.d.Press("enter")
	a.waitScreen(10*time.Second, "the store cannot be reached")
	a.d.Press("esc")

	sp.Restart(t)
	a.waitScreen(tui.HealthInterval+5*time.Second, "mongodb ok", "● connected", "Acme")
	if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Globex", AdminEmail: "it@globex.example", AdminPassword: "admin-password"}); err != nil {
		t.Fatalf("create after the store came back: %v", err)
	}
	a.waitScreen(5*time.Second, "Globex", "Acme")
}
