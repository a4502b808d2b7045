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

func TestEscapeCancelsWithoutDeleting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys []string
	}{
		{"escape at once", []string{"esc"}},
		{"escape after typing the name", []string{"A", "c", "m", "e", " ", "C", "o", "r", "p", "esc"}},
		{"enter on Cancel", []string{"tab", "tab", "enter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake()
			h := start(t, fake)
			h.d.Press(tt.keys...)
			if n := len(fake.CallsOf(rpc.MethodOrgDelete)); n != 0 {
				t.Fatalf("%v deleted (%d calls)", tt.keys, n)
			}
			if len(h.back) != 1 {
				t.Errorf("%v did not close the dialog", tt.keys)
			}
		})
	}
}

func TestTabOnlyMovesTheFocus(t *testing.T) {
	t.Parallel()
	fake := newFake()
	h := start(t, fake)
	h.d.Type("Acme Corp")
	h.d.Press("tab", "tab", "tab")
	if len(h.back) != 0 || len(fake.CallsOf(rpc.MethodOrgDelete)) != 0 {
		t.Fatalf("tab acted: %d backs, %d deletes", len(h.back), len(fake.CallsOf(rpc.MethodOrgDelete)))
	}
	// Three tabs go round to the name field: enter there deletes.
	h.d.Press("enter")
	if n := len(fake.CallsOf(rpc.MethodOrgDelete)); n != 1 {
		t.Errorf("enter after tabbing round deleted %d times, want once", n)
	}
}

func TestDeleteNeedsTheNameTypedExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typed   string
		keys    []string
		deletes bool
	}{
		{"nothing typed", "", []string{"enter"}, false},
		{"part of the name", "Acme", []string{"enter"}, false},
		{"the name in other case", "acme corp", []string{"enter"}, false},
		{"the name with a trailing space", "Acme Corp ", []string{"enter"}, false},
		{"part of the name, enter on Delete", "Acme", []string{"tab", "enter"}, false},
		{"the name exactly", "Acme Corp", []string{"enter"}, true},
		{"the name exactly, enter on Delete", "Acme Corp", []string{"tab", "enter"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake()
			h := start(t, fake)
			h.d.Type(tt.typed)
			h.d.Press(tt.keys...)
			calls := fake.CallsOf(rpc.MethodOrgDelete)
			if got := len(calls) == 1; got != tt.deletes {
				t.Fatalf("deleted = %v, want %v", got, tt.deletes)
			}
			if !tt.deletes {
				if hint := h.page.(Model).Hint(); !strings.Contains(hint, `type "Acme Corp" exactly`) {
					t.Errorf("a refused enter does not say exactly what to type: %q", hint)
				}
				if screen := ansi.Strip(h.page.View()); !strings.Contains(screen, "✗ Nothing was done") {
					t.Errorf("the dialog does not show the hint:\n%s", screen)
				}
				if len(h.back) != 0 {
					t.Error("a refused enter closed the dialog")
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

func TestARenameMeanwhileAsksForTheNewName(t *testing.T) {
	t.Parallel()
	fake := newFake()
	h := start(t, fake)
	renamed := fake.Orgs[0]
	renamed.Name = "Acme Two"
	h.d.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventRenamed, Organization: renamed}})
	h.d.Type("Acme Corp")
	h.d.Press("enter")
	if n := len(fake.CallsOf(rpc.MethodOrgDelete)); n != 0 {
		t.Fatalf("the old name deleted the renamed organization")
	}
	if hint := h.page.(Model).Hint(); !strings.Contains(hint, `"Acme Two"`) {
		t.Errorf("the dialog does not ask for the new name: %q", hint)
	}
}
