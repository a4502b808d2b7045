// Package pagetest runs one page on a fake orgd for the pages' tests, the
// way the application would: it hands the page its size, runs its
// commands, and keeps what the page asks of the application (go back,
// open a page, flash a message, renew or end the session) instead of
// doing it. Changes the page announces are also handed back to it, as
// the application broadcasts them.
package pagetest

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Harness is a page on a fake orgd, 80×20 (the page area of an 80×24
// screen).
type Harness struct {
	T    *testing.T
	Fake *remotetest.Fake
	Page pages.Page
	D    *remotetest.Driver
	// What the page asked of the application.
	Back     []pages.Back
	Opened   []pages.Page
	Flashes  []pages.Flash
	Changed  []pages.Changed
	Accounts []pages.AccountsChanged
	Renewed  []pages.Renewed
	Ended    []pages.EndSession
	// Errs are the errors of the calls the page made, as the application
	// sees them before the page.
	Errs []error
}

// Common returns what the application gives its pages when the account
// email of role is signed in with remotetest.Token (org: its
// organization, for a member).
func Common(fake *remotetest.Fake, role, email string, org *rpc.OrgRef) pages.Common {
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	return pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: role, Email: email, Org: org, Now: time.Now}
}

// Start starts page, made with c, on fake.
func Start(t *testing.T, fake *remotetest.Fake, c pages.Common, page pages.Page) *Harness {
	t.Helper()
	h := &Harness{T: t, Fake: fake, Page: page}
	h.D = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			if r.Err != nil {
				h.Errs = append(h.Errs, r.Err)
			}
			msg = r.Msg
		}
		switch msg := msg.(type) {
		case pages.Back:
			h.Back = append(h.Back, msg)
			return nil
		case pages.Open:
			h.Opened = append(h.Opened, msg.Page)
			return nil
		case pages.Flash:
			h.Flashes = append(h.Flashes, msg)
			return nil
		case pages.Renewed:
			h.Renewed = append(h.Renewed, msg)
			return nil
		case pages.EndSession:
			h.Ended = append(h.Ended, msg)
			return nil
		case pages.Changed:
			h.Changed = append(h.Changed, msg)
		case pages.AccountsChanged:
			h.Accounts = append(h.Accounts, msg)
		}
		var cmd tea.Cmd
		h.Page, cmd = h.Page.Update(msg)
		return cmd
	})
	h.D.Busy = c.Orgd.Busy
	h.D.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	h.D.Run(h.Page.Init())
	return h
}

// Screen is the page as text.
func (h *Harness) Screen() string { return ansi.Strip(h.Page.View()) }

// Offers reports whether the page's help offers the binding whose help
// key is k (such as "d"), enabled.
func (h *Harness) Offers(k string) bool {
	for _, col := range h.Page.Help().FullHelp() {
		for _, b := range col {
			if b.Enabled() && b.Help().Key == k {
				return true
			}
		}
	}
	return false
}

// LastFlash returns the text of the last flash, if any.
func (h *Harness) LastFlash() string {
	if len(h.Flashes) == 0 {
		return ""
	}
	return h.Flashes[len(h.Flashes)-1].Text
}
