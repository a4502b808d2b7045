package detail

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/documents"
	"github.com/orgd/orgd/internal/tui/pages/members"
	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

type harness struct {
	page   pages.Page
	d      *remotetest.Driver
	back   []pages.Back
	opened []pages.Page
}

func start(t *testing.T, fake *remotetest.Fake) *harness {
	t.Helper()
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	c := pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: rpc.RoleOperator, Now: time.Now}
	h := &harness{page: New(c, fake.Orgs[0])}
	h.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			msg = r.Msg
		}
		switch msg := msg.(type) {
		case pages.Back:
			h.back = append(h.back, msg)
			return nil
		case pages.Open:
			h.opened = append(h.opened, msg.Page)
			return nil
		}
		var cmd tea.Cmd
		h.page, cmd = h.page.Update(msg)
		return cmd
	})
	h.d.Busy = o.Busy
	h.d.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	h.d.Run(h.page.Init())
	return h
}

func TestDetailShowsFieldsAndFigures(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{
		Orgs:  []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")},
		Stats: map[string]rpc.OrgStats{"Acme": {Documents: 1234, SizeBytes: 57600, Indexes: 1}},
	}
	h := start(t, fake)
	screen := ansi.Strip(h.page.View())
	for _, want := range []string{"org_acme", "a@acme.test", "active", "1,234", "56.2 KiB", "2026-03-14T09:26:53Z"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the detail page does not show %q:\n%s", want, screen)
		}
	}
}

func TestDetailFollowsChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		event    rpc.OrgEvent
		goesBack bool
		shows    string
	}{
		{"a rename shows the new name", rpc.OrgEvent{Type: rpc.EventRenamed, Organization: func() rpc.Organization {
			o := remotetest.NewOrg("Acme Two", "a@acme.test")
			o.ID = "id_acme"
			return o
		}()}, false, "org_acme_two"},
		{"a deletion goes back", rpc.OrgEvent{Type: rpc.EventDeleted, Organization: remotetest.NewOrg("Acme", "a@acme.test")}, true, ""},
		{"another organization's change is ignored", rpc.OrgEvent{Type: rpc.EventDeleted, Organization: remotetest.NewOrg("Beta", "b@beta.test")}, false, "org_acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}})
			h.d.Send(pages.Changed{Event: tt.event})
			if got := len(h.back) == 1; got != tt.goesBack {
				t.Errorf("went back = %v, want %v", got, tt.goesBack)
			}
			if tt.shows != "" && !strings.Contains(ansi.Strip(h.page.View()), tt.shows) {
				t.Errorf("the page does not show %q:\n%s", tt.shows, ansi.Strip(h.page.View()))
			}
		})
	}
}

func TestKeysOnTheDetailPage(t *testing.T) {
	t.Parallel()
	h := start(t, &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}})
	h.d.Press("e", "d", "enter", "esc")
	if len(h.opened) != 3 {
		t.Fatalf("e, d and enter opened %d pages, want the edit form, the delete dialog and the documents", len(h.opened))
	}
	if _, ok := h.opened[2].(documents.Model); !ok {
		t.Errorf("enter opened %T, want the documents", h.opened[2])
	}
	if len(h.back) != 1 {
		t.Error("esc does not go back")
	}
}

func TestSizeSaysBytesInBinaryUnits(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {57600, "56.2 KiB"}, {3 << 30, "3.0 GiB"}}
	for _, tt := range tests {
		if got := pages.Size(tt.n); got != tt.want {
			t.Errorf("Size(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestDetailShowsAdminsLabelsAndSuspension(t *testing.T) {
	t.Parallel()
	o := remotetest.NewOrg("Acme", "a@acme.test")
	o.Labels = map[string]string{"tier": "gold", "env": "prod"}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	o.State, o.SuspendedAt, o.SuspendReason = rpc.StateSuspended, &at, "unpaid invoice"
	fake := &remotetest.Fake{Orgs: []rpc.Organization{o}}
	fake.PutMember("Acme", "b@acme.test", "member-password", rpc.RoleAdmin)
	fake.PutMember("Acme", "v@acme.test", "member-password", rpc.RoleViewer)
	h := start(t, fake)
	screen := ansi.Strip(h.page.View())
	for _, want := range []string{"Admins        a@acme.test, b@acme.test", "Members       3", "Labels        env=prod, tier=gold",
		"State         suspended since 2026-03-01T12:00:00Z", "Reason        unpaid invoice"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the detail page does not show %q:\n%s", want, screen)
		}
	}
	if lines := strings.Count(h.page.View(), "\n") + 1; lines > 20 {
		t.Errorf("the page has %d lines, more than the 20 of an 80×24 screen", lines)
	}
}

func TestWhatTheDetailOffersFollowsTheRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role      string
		suspended bool
		offered   []string
		hidden    []string
	}{
		{rpc.RoleOperator, false, []string{"enter", "m", "e", "d", "s"}, nil},
		{rpc.RoleOperator, true, []string{"m", "d", "s"}, []string{"e"}},
		{rpc.RoleAdmin, false, []string{"m", "e", "d"}, []string{"s"}},
		{rpc.RoleViewer, false, []string{"enter", "m"}, []string{"e", "d", "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			t.Parallel()
			o := remotetest.NewOrg("Acme", "a@acme.test")
			if tt.suspended {
				o.State = rpc.StateSuspended
			}
			c := pagetest.Common(&remotetest.Fake{}, tt.role, "x@example.com", nil)
			help := c.Keys.DetailHelp(Offer(c, o))
			has := func(k string) bool {
				for _, col := range help.FullHelp() {
					for _, b := range col {
						if b.Enabled() && b.Help().Key == k {
							return true
						}
					}
				}
				return false
			}
			for _, k := range tt.offered {
				if !has(k) {
					t.Errorf("%s is not offered", k)
				}
			}
			for _, k := range tt.hidden {
				if has(k) {
					t.Errorf("%s is offered", k)
				}
				if p, ok := Action(c, o, remotetest.Key(k)); ok {
					t.Errorf("%s opens %s", k, p.Title())
				}
			}
		})
	}
}

func TestMOpensTheMembers(t *testing.T) {
	t.Parallel()
	h := start(t, &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}})
	h.d.Press("m")
	if len(h.opened) != 1 {
		t.Fatalf("m opened %d pages", len(h.opened))
	}
	if _, ok := h.opened[0].(members.Model); !ok {
		t.Errorf("m opened %T, want the members", h.opened[0])
	}
}
