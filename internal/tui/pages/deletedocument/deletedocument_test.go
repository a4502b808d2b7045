package deletedocument

import (
	"encoding/json"
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
	fake    *remotetest.Fake
	page    pages.Page
	d       *remotetest.Driver
	back    []pages.Back
	changed []pages.DocumentChanged
}

func start(t *testing.T) *harness {
	t.Helper()
	fake := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}}
	fake.PutDocuments("Acme", remotetest.People(2)...)
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	c := pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: rpc.RoleOperator, Now: time.Now}
	h := &harness{fake: fake, page: New(c, fake.Orgs[0], json.RawMessage(fake.Documents("Acme")[0]))}
	h.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			msg = r.Msg
		}
		switch msg := msg.(type) {
		case pages.Back:
			h.back = append(h.back, msg)
			return nil
		case pages.DocumentChanged:
			h.changed = append(h.changed, msg)
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

func TestTheDialogShowsTheDocumentAndWhatToType(t *testing.T) {
	t.Parallel()
	h := start(t)
	screen := ansi.Strip(h.page.View())
	for _, want := range []string{"Delete this document?", `_id {"$oid":"65f1c0ffee00000000000001"}`, `name: "Person 00001"`, "org_acme", "Type delete to delete it:", "[ Cancel ]"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the dialog does not show %q:\n%s", want, screen)
		}
	}
}

func TestEnterWithoutTheWordDeletesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		typed string
		keys  []string
	}{
		{"enter at once", "", []string{"enter"}},
		{"another word", "remove", []string{"enter"}},
		{"enter on Delete without the word", "", []string{"tab", "enter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t)
			h.d.Type(tt.typed)
			h.d.Press(tt.keys...)
			if n := len(h.fake.CallsOf(rpc.MethodDataDelete)); n != 0 || len(h.back) != 0 {
				t.Fatalf("%d data.delete calls and %d backs, want the dialog to stay without deleting", n, len(h.back))
			}
			if hint := h.page.(Model).Hint(); !strings.Contains(hint, `type "delete" exactly`) {
				t.Errorf("a refused enter does not say what to type: %q", hint)
			}
			if screen := ansi.Strip(h.page.View()); !strings.Contains(screen, "✗ Nothing was done") {
				t.Errorf("the dialog does not show the hint:\n%s", screen)
			}
		})
	}
}

func TestEscapeAndCancelClose(t *testing.T) {
	t.Parallel()
	for _, keys := range [][]string{{"esc"}, {"tab", "tab", "enter"}} {
		h := start(t)
		h.d.Type(Word)
		h.d.Press(keys...)
		if len(h.back) != 1 || len(h.fake.CallsOf(rpc.MethodDataDelete)) != 0 {
			t.Errorf("%v: %d backs, %d data.delete calls; want to close without deleting", keys, len(h.back), len(h.fake.CallsOf(rpc.MethodDataDelete)))
		}
	}
}

func TestDeleteDeletesByID(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.d.Type(Word)
	if !h.page.(Model).Armed() {
		t.Fatal("typing the word does not arm the dialog")
	}
	h.d.Press("enter")
	calls := h.fake.CallsOf(rpc.MethodDataDelete)
	if len(calls) != 1 {
		t.Fatalf("%d data.delete calls, want 1", len(calls))
	}
	if p := calls[0].Params.(rpc.DataDeleteParams); string(p.Filter) != `{"_id":{"$oid":"65f1c0ffee00000000000001"}}` || p.Many || p.All {
		t.Errorf("data.delete got %+v", p)
	}
	if n := len(h.fake.Documents("Acme")); n != 1 {
		t.Errorf("%d documents are left, want 1", n)
	}
	if len(h.changed) != 1 || h.changed[0].ID != `{"$oid":"65f1c0ffee00000000000001"}` || h.changed[0].Doc != nil {
		t.Errorf("the other pages are told %+v", h.changed)
	}
	if len(h.back) != 1 || h.back[0].Flash != "deleted document …00000001" {
		t.Errorf("the dialog closes with %+v", h.back)
	}
}

func TestAServerErrorStaysInTheDialog(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.fake.FailNext(rpc.MethodDataDelete, &rpc.Error{Code: rpc.CodeForbidden, Message: "not allowed to delete here"})
	h.d.Type(Word)
	h.d.Press("enter")
	if len(h.back) != 0 || len(h.changed) != 0 {
		t.Errorf("a failed delete closes the dialog: %+v %+v", h.back, h.changed)
	}
	if screen := ansi.Strip(h.page.View()); !strings.Contains(screen, "✗ not allowed to delete here") {
		t.Errorf("the error does not show:\n%s", screen)
	}
	h.d.Press("esc")
	if len(h.back) != 1 {
		t.Error("esc does not close the dialog")
	}
}
