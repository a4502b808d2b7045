package confirmdelete

import (
	"strings"
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

type harness struct {
	page    pages.Page
	d       *remotetest.Driver
	back    []pages.Back
	changed []pages.Changed
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
		case pages.Changed:
			h.changed = append(h.changed, msg)
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

func newFake() *remotetest.Fake {
	return &remotetest.Fake{
		Orgs:  []rpc.Organization{remotetest.NewOrg("Acme Corp", "a@acme.test")},
		Stats: map[string]rpc.OrgStats{"Acme Corp": {Documents: 12345, SizeBytes: 2 << 20}},
	}
}

func TestTheDialogShowsWhatWillBeDropped(t *testing.T) {
	t.Parallel()
	h := start(t, newFake())
	screen := ansi.Strip(h.page.View())
	for _, want := range []string{"org_acme_corp", "12,345", "a@acme.test", "cannot be undone"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the dialog does not show %q:\n%s", want, screen)
		}
	}
}

func TestEnterCancelsByDefault(t *testing.T) {
	t.Parallel()
	fake := newFake()
	h := start(t, fake)
	if h.page.(Model).Button() != Cancel {
		t.Fatal("the dialog does not start on Cancel")
	}
	h.d.Type("Acme Corp")
	h.d.Press("enter")
	if n := len(fake.CallsOf(rpc.MethodOrgDelete)); n != 0 {
		t.Fatalf("enter on Cancel deleted (%d calls)", n)
	}
	if len(h.back) != 1 {
		t.Error("enter on Cancel does not close the dialog")
	}
}

func TestDeleteNeedsTheNameTypedExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typed   string
		deletes bool
	}{
		{"nothing typed", "", false},
		{"part of the name", "Acme", false},
		{"the name in other case", "acme corp", false},
		{"the name with a trailing space", "Acme Corp ", false},
		{"the name exactly", "Acme Corp", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake()
			h := start(t, fake)
			h.d.Type(tt.typed)
			h.d.Press("tab", "enter")
			calls := fake.CallsOf(rpc.MethodOrgDelete)
			if got := len(calls) == 1; got != tt.deletes {
				t.Fatalf("deleted = %v, want %v", got, tt.deletes)
			}
			if !tt.deletes {
				if !strings.Contains(ansi.Strip(h.page.View()), "type the name exactly") {
					t.Errorf("a disabled Delete does not say why:\n%s", ansi.Strip(h.page.View()))
				}
				return
			}
			if p := calls[0].Params.(rpc.OrgDeleteParams); p.Confirm != "Acme Corp" {
				t.Errorf("org.delete got confirm %q", p.Confirm)
			}
			if len(h.changed) != 1 || h.changed[0].Event.Type != rpc.EventDeleted {
				t.Errorf("the list was told %+v", h.changed)
			}
			if len(h.back) != 1 || !strings.Contains(h.back[0].Flash, "deleted Acme Corp") {
				t.Errorf("after deleting the dialog sent %+v", h.back)
			}
		})
	}
}
