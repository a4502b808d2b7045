package documents

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/deletedocument"
	"github.com/orgd/orgd/internal/tui/pages/document"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// harness is the documents of Acme on a fake orgd, 80×20 (the page area of
// an 80×24 screen), with what the page asked the application to do.
type harness struct {
	t       *testing.T
	fake    *remotetest.Fake
	editor  *remotetest.FakeEditor
	page    pages.Page
	d       *remotetest.Driver
	opened  []pages.Page
	back    int
	flashes []pages.Flash
}

func start(t *testing.T, docs ...string) *harness {
	t.Helper()
	fake := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}}
	fake.PutDocuments("Acme", docs...)
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	ed := remotetest.NewFakeEditor(t)
	c := pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: rpc.RoleAdmin, Now: time.Now, Editor: ed.Editor}
	h := &harness{t: t, fake: fake, editor: ed, page: New(c, fake.Orgs[0])}
	h.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			msg = r.Msg
		}
		switch msg := msg.(type) {
		case pages.Open:
			h.opened = append(h.opened, msg.Page)
			return nil
		case pages.Back:
			h.back++
			if msg.Flash != "" {
				h.flashes = append(h.flashes, pages.Flash{Text: msg.Flash})
			}
			return nil
		case pages.Flash:
			h.flashes = append(h.flashes, msg)
			return nil
		}
		var cmd tea.Cmd
		h.page, cmd = h.page.Update(msg)
		return cmd
	})
	// An edit is under way from the key that starts it (the editor's
	// script may take a while to start) until its outcome is handled.
	h.d.Busy = func() bool { return o.Busy() || ed.Busy() || h.list().Editing() }
	h.d.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	h.d.Run(h.page.Init())
	return h
}

func (h *harness) list() Model { return h.page.(Model) }

func (h *harness) screen() string { return ansi.Strip(h.page.View()) }

func (h *harness) wantScreen(wants ...string) {
	h.t.Helper()
	screen := h.screen()
	for _, w := range wants {
		if !strings.Contains(screen, w) {
			h.t.Errorf("the screen does not show %q:\n%s", w, screen)
		}
	}
}

func (h *harness) finds() []rpc.DataFindParams {
	var out []rpc.DataFindParams
	for _, c := range h.fake.CallsOf(rpc.MethodDataFind) {
		out = append(out, c.Params.(rpc.DataFindParams))
	}
	return out
}

func (h *harness) selectedName() string {
	raw, _ := h.list().Selected()
	var d struct{ Name string }
	_ = json.Unmarshal(raw, &d)
	return d.Name
}

func TestTheListPagesFromTheServerAsTheCursorMoves(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(250)...)
	if got := h.list().Len(); got != PageSize {
		t.Fatalf("after the first page %d documents are loaded, want %d", got, PageSize)
	}
	h.wantScreen("1 of 250", "_ID", "…00000001", `name: "Person 00001"`, "n: 1", "email:")
	if p := h.finds()[0]; p.Org != "Acme" || p.Cursor != "" || p.Limit != PageSize || p.Filter != nil || p.Token != "" {
		t.Errorf("the first page was asked for with %+v", p)
	}

	h.d.Press(slices.Repeat([]string{"j"}, PageSize-10)...)
	if got := h.list().Len(); got != 2*PageSize {
		t.Errorf("near the end of the first page %d are loaded, want the second page too (%d)", got, 2*PageSize)
	}
	finds := h.finds()
	if last := finds[len(finds)-1]; last.Cursor == "" {
		t.Errorf("the second page was asked for without a cursor: %+v", last)
	}
	h.wantScreen("91 of 250")

	h.d.Press("G")
	if got := h.selectedName(); got != "Person 00250" {
		t.Errorf("G selects %q, want the last document", got)
	}
	h.d.Press("g")
	if got := h.selectedName(); got != "Person 00001" {
		t.Errorf("g selects %q, want the first document", got)
	}
}

func TestRowsFitTheWidth(t *testing.T) {
	t.Parallel()
	h := start(t, `{"_id": "a string id that is much too long for its column", "text": "`+strings.Repeat("é", 200)+`", "wide": "名前名前名前名前名前名前名前名前名前名前名前名前名前名前名前名前名前"}`,
		`{"_id": 1, "nested": {"a": [1, 2, 3]}, "when": {"$date": "2024-03-14T09:26:53Z"}, "big": {"$numberLong": "9007199254740993"}}`)
	for _, width := range []int{80, 50, 40} {
		h.d.Send(tea.WindowSizeMsg{Width: width, Height: 20})
		for i, l := range strings.Split(h.page.View(), "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("at %d columns line %d is %d wide: %q", width, i+1, w, ansi.Strip(l))
			}
		}
	}
	h.d.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	h.wantScreen("1  ", "nested: {…}", "when: 2024-03-14T09:26:53Z", "big: 9007199254740993", `"a string i…`)
}

func TestAFilterThatIsNotJSONIsReportedBeforeSending(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(3)...)
	before := len(h.finds())
	h.d.Press("/")
	h.d.Type(`{"name": "Person 00002",}`)
	h.d.Press("enter")
	h.wantScreen("not sent: invalid JSON: line 1, column 25", "invalid character '}'", "beginning of object key string")
	if !h.list().Typing() {
		t.Error("the filter line closed on a filter that is not JSON")
	}
	if n := len(h.finds()); n != before {
		t.Errorf("a filter that is not JSON was sent (%d data.find calls, %d before)", n, before)
	}
	h.d.Press("esc")
	if h.list().Typing() || h.list().Filter() != "" {
		t.Errorf("esc leaves the filter line open or a filter in force: %q", h.list().Filter())
	}
	h.d.Press("/")
	h.d.Type(`["not", "an", "object"]`)
	h.d.Press("enter")
	h.wantScreen("not a JSON object")
}

func TestAFilterIsSentKeptAndCleared(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(300)...)
	h.d.Press("/")
	h.d.Type(`{"n": {"$gte": 299}, "email": {"$exists": true}}`)
	h.d.Press("enter")
	finds := h.finds()
	if got := string(finds[len(finds)-1].Filter); got != `{"n":{"$gte":299},"email":{"$exists":true}}` {
		t.Errorf("the filter sent is %s", got)
	}
	if h.list().Len() != 2 || h.list().Typing() {
		t.Errorf("the filtered list holds %d documents (typing %v), want 2", h.list().Len(), h.list().Typing())
	}
	h.wantScreen(`filter: {"n":{"$gte":299}`, "1 of 2", "Person 00299", "Person 00300")
	if h.list().Help().ShortHelp()[5].Help().Desc != "clear filter" {
		t.Errorf("with a filter in force the help does not offer to clear it: %+v", h.list().Help().ShortHelp()[5].Help())
	}
	h.d.Press("esc")
	if h.list().Filter() != "" || h.list().Len() != PageSize || h.back != 0 {
		t.Errorf("esc leaves the filter %q with %d documents (back %d)", h.list().Filter(), h.list().Len(), h.back)
	}
	h.wantScreen("1 of 300")
	h.d.Press("esc")
	if h.back != 1 {
		t.Error("esc without a filter does not go back")
	}
}

func TestARefusedOperatorIsShownOnTheFilterLine(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(5)...)
	h.d.Press("/")
	h.d.Type(`{"$where": "this.n > 1"}`)
	h.d.Press("enter")
	h.wantScreen("refused by orgd: $where: server-side JavaScript is not allowed", `/ {"$where": "this.n > 1"}`)
	if !h.list().Typing() || h.list().Filter() != "" || h.list().Len() != 5 {
		t.Errorf("after a refused filter: typing %v, filter %q, %d documents; want the filter line open on the old list",
			h.list().Typing(), h.list().Filter(), h.list().Len())
	}
}

func TestServerErrorsAndEmptyCollectionsShow(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.wantScreen("org_acme has no documents yet. Press i to insert one.")
	h.fake.FailNext(rpc.MethodDataFind, &rpc.Error{Code: rpc.CodeStoreUnavailable, Message: "store unavailable"})
	h.d.Press("r")
	h.wantScreen("✗ the store cannot be reached; nothing was changed")
	h.fake.FailNext(rpc.MethodDataFind, &rpc.Error{Code: rpc.CodeMethodNotFound, Message: `method not found: "data.find"; rpc.discover lists them`})
	h.d.Press("r")
	h.wantScreen("✗ this orgd does not offer that yet (it may be older than orgtui)")
}

func TestInsertSendsWhatTheEditorWrote(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(2)...)
	h.editor.Write(`{"_id": "ada", "name": "Ada", "born": {"$date": "1815-12-10T00:00:00Z"}}`)
	h.d.Press("i")
	if got := h.editor.Seen(); got != Template {
		t.Errorf("the editor was given %q, want the template", got)
	}
	inserts := h.fake.CallsOf(rpc.MethodDataInsert)
	if len(inserts) != 1 {
		t.Fatalf("%d data.insert calls, want 1", len(inserts))
	}
	if p := inserts[0].Params.(rpc.DataInsertParams); len(p.Documents) != 1 || string(p.Documents[0]) != `{"_id":"ada","name":"Ada","born":{"$date":"1815-12-10T00:00:00Z"}}` {
		t.Errorf("data.insert got %s", p.Documents)
	}
	if len(h.flashes) != 1 || h.flashes[0].Text != `inserted document "ada"` {
		t.Errorf("the flashes are %+v", h.flashes)
	}
	if got := h.selectedName(); got != "Ada" {
		t.Errorf("after the insert the cursor is on %q, want the new document", got)
	}
	if left := h.editor.Leftovers(); len(left) != 0 {
		t.Errorf("the editor's files are left behind: %v", left)
	}
}

func TestInsertSendsNothingForAnUntouchedTemplate(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.d.Press("i")
	if !h.editor.Ran() {
		t.Fatal("i did not run the editor")
	}
	if n := len(h.fake.CallsOf(rpc.MethodDataInsert)); n != 0 {
		t.Errorf("an untouched template sent %d data.insert calls", n)
	}
	if len(h.flashes) != 1 || !strings.Contains(h.flashes[0].Text, "nothing inserted") {
		t.Errorf("the flashes are %+v", h.flashes)
	}
}

func TestAFailedInsertKeepsTheNewDocument(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(1)...)
	broken := "{\"name\": \"Ada\"\n \"age\": 36}\n"
	h.editor.Write(broken)
	h.d.Press("i")
	h.wantScreen("Not inserted: invalid JSON: line 2, column 2", "Your new document was kept: press i to fix it.")
	if n := len(h.fake.CallsOf(rpc.MethodDataInsert)); n != 0 {
		t.Errorf("broken JSON sent %d data.insert calls", n)
	}

	h.editor.Write(`{"_id": {"$oid": "65f1c0ffee00000000000001"}, "name": "Ada"}`)
	h.d.Press("i")
	if got := h.editor.Seen(); got != broken {
		t.Errorf("the second i gave the editor %q, want the kept text", got)
	}
	h.wantScreen("Not inserted: a document with _id", "Your new document was kept: press i to try again.")

	h.editor.Write(`{"name": "Ada"}`)
	h.d.Press("i")
	if strings.Contains(h.screen(), "Not inserted") {
		t.Errorf("the note stays after a successful insert:\n%s", h.screen())
	}
	if n := len(h.fake.Documents("Acme")); n != 2 {
		t.Errorf("the collection holds %d documents, want 2", n)
	}
}

func TestKeysOpenTheDocumentScreens(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(3)...)
	h.d.Press("j", "enter")
	if len(h.opened) != 1 {
		t.Fatalf("enter opened %d pages", len(h.opened))
	}
	if v, ok := h.opened[0].(document.Model); !ok || !strings.Contains(v.Text(), `"Person 00002"`) || v.Editing() {
		t.Errorf("enter opened %T on %q", h.opened[0], v.Text())
	}
	h.d.Press("e")
	if v, ok := h.opened[1].(document.Model); !ok || !v.Editing() {
		t.Errorf("e opened %T, editing %v", h.opened[1], v.Editing())
	}
	h.d.Press("x")
	if _, ok := h.opened[2].(deletedocument.Model); !ok {
		t.Errorf("x opened %T", h.opened[2])
	}
}

func TestDocumentChangesReachTheList(t *testing.T) {
	t.Parallel()
	h := start(t, remotetest.People(3)...)
	id := `{"$oid":"65f1c0ffee00000000000002"}`
	h.d.Send(pages.DocumentChanged{Org: h.fake.Orgs[0].ID, ID: id, Doc: json.RawMessage(`{"_id":` + id + `,"name":"Renamed"}`)})
	h.wantScreen(`name: "Renamed"`)
	h.d.Send(pages.DocumentChanged{Org: h.fake.Orgs[0].ID, ID: id})
	if h.list().Len() != 2 || strings.Contains(h.screen(), "Renamed") {
		t.Errorf("a deleted document stays listed:\n%s", h.screen())
	}
	h.d.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventDeleted, Organization: h.fake.Orgs[0]}})
	if h.back != 1 {
		t.Error("the list stays open after its organization was deleted")
	}
}
