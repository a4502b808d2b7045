package orgs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/components/table"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// harness is the list on a fake orgd, 80×20 (the page area of an 80×24
// screen), with what the list asked the application to do.
type harness struct {
	t      *testing.T
	fake   *remotetest.Fake
	page   pages.Page
	d      *remotetest.Driver
	opened []pages.Page
}

func start(t *testing.T, fake *remotetest.Fake, role string) *harness {
	t.Helper()
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	c := pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: role, Now: time.Now}
	h := &harness{t: t, fake: fake, page: New(c)}
	h.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			msg = r.Msg
		}
		if open, ok := msg.(pages.Open); ok {
			h.opened = append(h.opened, open.Page)
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

func (h *harness) list() Model { return h.page.(Model) }

func (h *harness) screen() string { return ansi.Strip(h.page.View()) }

func (h *harness) selected() string {
	o, _ := h.list().Selected()
	return o.Name
}

func TestListPagesFromTheServerAsTheCursorMoves(t *testing.T) {
	fake := &remotetest.Fake{Orgs: remotetest.Orgs(10000)}
	h := start(t, fake, rpc.RoleOperator)

	if got := len(h.list().items); got != PageSize {
		t.Fatalf("after the first page %d organizations are loaded, want %d", got, PageSize)
	}
	if !strings.Contains(h.screen(), "1 of 10,000") {
		t.Errorf("the summary does not say where the cursor is among all:\n%s", h.screen())
	}
	h.d.Press(slices.Repeat([]string{"j"}, PageSize-10)...)
	if got := len(h.list().items); got != 2*PageSize {
		t.Errorf("near the end of the first page %d are loaded, want the second page too (%d)", got, 2*PageSize)
	}
	calls := fake.CallsOf(rpc.MethodOrgList)
	if last := calls[len(calls)-1].Params.(rpc.OrgListParams); last.Cursor == "" {
		t.Errorf("the second page was asked for without a cursor: %+v", last)
	}

	h.d.Press("G")
	if got, want := h.selected(), "Org 10000"; got != want {
		t.Errorf("G selects %q, want the last organization %q", got, want)
	}
	h.d.Press("g")
	if got, want := h.selected(), "Org 00001"; got != want {
		t.Errorf("g selects %q, want %q", got, want)
	}
}

func TestFilterIsSentOnceTypingPauses(t *testing.T) {
	fake := &remotetest.Fake{Orgs: append(remotetest.Orgs(30), remotetest.NewOrg("Acme", "a@acme.test"))}
	h := start(t, fake, rpc.RoleOperator)
	before := len(fake.CallsOf(rpc.MethodOrgList))

	h.d.Press("/")
	h.d.Type("acm")
	h.d.SettleFor(FilterDelay + 200*time.Millisecond)

	var queries []string
	for _, c := range fake.CallsOf(rpc.MethodOrgList)[before:] {
		queries = append(queries, c.Params.(rpc.OrgListParams).Query)
	}
	if len(queries) != 1 || queries[0] != "acm" {
		t.Fatalf("typing \"acm\" sent the queries %q, want one for \"acm\"", queries)
	}
	if got := h.selected(); got != "Acme" {
		t.Errorf("the filtered list selects %q, want Acme", got)
	}
	h.d.Press("enter")
	if h.list().Typing() {
		t.Error("enter leaves the filter line open")
	}
	if !strings.Contains(h.screen(), "filter: acm") {
		t.Errorf("the kept filter is not shown:\n%s", h.screen())
	}
	h.d.Press("esc")
	if h.list().Query() != "" || h.list().total != 31 {
		t.Errorf("esc leaves query %q and total %d, want no query and all 31", h.list().Query(), h.list().total)
	}
}

func TestLiveChangesKeepTheCursorOnTheSameOrganization(t *testing.T) {
	tests := []struct {
		name   string
		event  func() rpc.OrgEvent
		want   string
		total  int
		listed bool
	}{
		{
			name: "an organization created above the cursor",
			event: func() rpc.OrgEvent {
				return rpc.OrgEvent{Type: rpc.EventCreated, Organization: remotetest.NewOrg("Aardvark", "x@a.test")}
			},
			want:   "Org 00003",
			total:  6,
			listed: true,
		},
		{
			name: "an organization deleted above the cursor",
			event: func() rpc.OrgEvent {
				return rpc.OrgEvent{Type: rpc.EventDeleted, Organization: remotetest.Orgs(1)[0]}
			},
			want:  "Org 00003",
			total: 4,
		},
		{
			name: "the selected organization renamed so that it moves",
			event: func() rpc.OrgEvent {
				o := remotetest.Orgs(3)[2]
				o.Name = "Zebra"
				return rpc.OrgEvent{Type: rpc.EventRenamed, Organization: o}
			},
			want:   "Zebra",
			total:  5,
			listed: true,
		},
		{
			name: "the selected organization deleted",
			event: func() rpc.OrgEvent {
				return rpc.OrgEvent{Type: rpc.EventDeleted, Organization: remotetest.Orgs(3)[2]}
			},
			want:  "Org 00004",
			total: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, &remotetest.Fake{Orgs: remotetest.Orgs(5)}, rpc.RoleOperator)
			h.d.Press("j", "j")
			ev := tt.event()
			h.d.Send(pages.Changed{Event: ev})
			if got := h.selected(); got != tt.want {
				t.Errorf("the cursor is on %q, want %q", got, tt.want)
			}
			if got := h.list().total; got != tt.total {
				t.Errorf("total is %d, want %d", got, tt.total)
			}
			if listed := h.list().index(ev.Organization.ID) >= 0; listed != tt.listed {
				t.Errorf("listed = %v, want %v", listed, tt.listed)
			}
			h.d.Send(pages.Changed{Event: ev})
			if got := h.list().total; got != tt.total {
				t.Errorf("the same event twice changes the total to %d", got)
			}
		})
	}
}

func TestAnOrganizationBeyondTheLoadedPagesWaitsForItsPage(t *testing.T) {
	h := start(t, &remotetest.Fake{Orgs: remotetest.Orgs(300)}, rpc.RoleOperator)
	h.d.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventCreated, Organization: remotetest.NewOrg("Zulu", "z@z.test")}})
	if h.list().index("id_zulu") >= 0 {
		t.Error("an organization sorting after the loaded pages was inserted out of order")
	}
	if got := h.list().total; got != 301 {
		t.Errorf("total is %d, want 301", got)
	}
}

func TestEmptyListSaysHowToCreateOne(t *testing.T) {
	tests := []struct {
		name string
		role string
		want string
	}{
		{"an operator is told to press n", rpc.RoleOperator, "No organizations yet. Press n to create one."},
		{"an admin is not offered to create", rpc.RoleAdmin, "No organization to show"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, &remotetest.Fake{}, tt.role)
			if !strings.Contains(h.screen(), tt.want) {
				t.Errorf("the empty list says:\n%s\nwant %q", h.screen(), tt.want)
			}
		})
	}
}

func TestAdminCannotOpenTheCreateForm(t *testing.T) {
	h := start(t, &remotetest.Fake{Orgs: remotetest.Orgs(1)}, rpc.RoleAdmin)
	h.d.Press("n")
	if len(h.opened) != 0 {
		t.Errorf("n opened %T for an admin", h.opened[0])
	}
	for _, b := range h.page.Help().ShortHelp() {
		if b.Help().Key == "n" && b.Enabled() {
			t.Error("the help offers n (new) to an admin")
		}
	}
}

func TestKeysOpenTheScreensForTheSelectedOrganization(t *testing.T) {
	tests := []struct {
		key, want string
	}{
		{"enter", "detail.Model"},
		{"n", "orgform.Model"},
		{"e", "orgform.Model"},
		{"d", "confirmdelete.Model"},
	}
	for _, tt := range tests {
		t.Run(tt.key+" opens "+tt.want, func(t *testing.T) {
			h := start(t, &remotetest.Fake{Orgs: remotetest.Orgs(3)}, rpc.RoleOperator)
			h.d.Press(tt.key)
			if len(h.opened) != 1 {
				t.Fatalf("%s opened %d pages", tt.key, len(h.opened))
			}
			if got := strings.TrimPrefix(typeName(h.opened[0]), "*"); got != tt.want {
				t.Errorf("%s opened %s", tt.key, got)
			}
		})
	}
}

func TestAFailedLoadSaysWhyAndRIsTriedAgain(t *testing.T) {
	fake := &remotetest.Fake{Orgs: remotetest.Orgs(3)}
	fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeStoreUnavailable, Message: "the store cannot be reached"})
	h := start(t, fake, rpc.RoleOperator)
	if !strings.Contains(h.screen(), "the store cannot be reached") || !strings.Contains(h.screen(), "Press r") {
		t.Errorf("a failed load shows:\n%s", h.screen())
	}
	h.d.Press("r")
	if got := len(h.list().items); got != 3 {
		t.Errorf("after r %d organizations are listed, want 3", got)
	}
}

func TestColumnsFitTheWidth(t *testing.T) {
	for _, width := range []int{40, 60, 80, 120, 200} {
		ws := widths(width)
		total := table.Gutter + (len(ws)-1)*len(table.Gap)
		for _, w := range ws {
			total += w
		}
		if total > width {
			t.Errorf("at %d columns the table is %d wide", width, total)
		}
		if width >= 80 && len(ws) != len(tableColumns()) {
			t.Errorf("at %d columns only %d of the columns show", width, len(ws))
		}
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// offers reports whether the help columns hold the enabled binding whose
// help key is k.
func offers(cols [][]keymap.Binding, k string) bool {
	for _, col := range cols {
		for _, b := range col {
			if b.Enabled() && b.Help().Key == k {
				return true
			}
		}
	}
	return false
}

func TestAListTakesNoReplyMeantForTheListItReplaced(t *testing.T) {
	// The list of an earlier session, whose first page is still on its
	// way after a logout, and the list of the next session, which has just
	// loaded its own first page: both are their page's first load.
	before := start(t, &remotetest.Fake{Orgs: remotetest.Orgs(3)}, rpc.RoleOperator)
	h := start(t, &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}}, rpc.RoleOperator)
	old := before.list()
	late := old.fetch(old.loads.Current(), "", PageSize, false)()
	if r, ok := late.(remote.Reply); ok {
		late = r.Msg
	}
	if _, ok := late.(loadedMsg); !ok {
		t.Fatalf("the earlier list's load answered %T, want a page", late)
	}
	h.page, _ = h.page.Update(late)
	var names []string
	for _, o := range h.list().items {
		names = append(names, o.Name)
	}
	if !slices.Equal(names, []string{"Acme"}) {
		t.Errorf("after the earlier list's reply, the list shows %q, want only its own [Acme]", names)
	}
}
