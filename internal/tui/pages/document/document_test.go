package document

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/deletedocument"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// ada is the document the tests show: long enough to scroll at 80×20.
const ada = `{"_id": {"$oid": "65f1c0ffee0000000000a0da"}, "name": "Ada Lovelace", "born": {"$date": "1815-12-10T00:00:00Z"},
 "seen": {"$date": "2024-03-14T09:26:53.5Z"},
 "age": 36, "ratio": 2.5, "notes": {"$numberLong": "12"}, "tags": ["math", "poetry", "engines", "letters", "notes", "bernoulli"],
 "address": {"street": "St James's Square", "city": "London", "country": "UK", "geo": [51.5074, -0.1357]},
 "titles": ["Countess of Lovelace", "Enchantress of Numbers"], "alive": false, "spouse": null}`

type harness struct {
	t       *testing.T
	fake    *remotetest.Fake
	editor  *remotetest.FakeEditor
	page    pages.Page
	d       *remotetest.Driver
	opened  []pages.Page
	back    int
	flashes []pages.Flash
	changed []pages.DocumentChanged
}

func start(t *testing.T, edit bool) *harness {
	t.Helper()
	fake := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}}
	fake.PutDocuments("Acme", ada)
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	ed := remotetest.NewFakeEditor(t)
	c := pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: rpc.RoleOperator, Now: time.Now, Editor: ed.Editor}
	h := &harness{t: t, fake: fake, editor: ed, page: New(c, fake.Orgs[0], json.RawMessage(fake.Documents("Acme")[0]), edit)}
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
			return nil
		case pages.Flash:
			h.flashes = append(h.flashes, msg)
			return nil
		case pages.DocumentChanged:
			h.changed = append(h.changed, msg)
		}
		var cmd tea.Cmd
		h.page, cmd = h.page.Update(msg)
		return cmd
	})
	h.d.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	// An edit is under way from the key that starts it (the editor's
	// script may take a while to start) until its outcome is handled. (A
	// page opened for editing says so from the start, before run starts
	// the editor.)
	h.d.Busy = func() bool { return o.Busy() || ed.Busy() || h.view().Editing() }
	return h
}

// run runs the page's Init, which opens the editor when asked to.
func (h *harness) run() { h.d.Run(h.page.Init()) }

func (h *harness) view() Model { return h.page.(Model) }

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

func (h *harness) updates() []rpc.DataUpdateParams {
	var out []rpc.DataUpdateParams
	for _, c := range h.fake.CallsOf(rpc.MethodDataUpdate) {
		out = append(out, c.Params.(rpc.DataUpdateParams))
	}
	return out
}

func TestTheDocumentShowsRelaxedIndentedAndScrolls(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	h.wantScreen(`Document {"$oid":"65f1c0ffee0000000000a0da"} in org_acme`, "lines 1–19 of 32",
		`  "_id": {"$oid": "65f1c0ffee0000000000a0da"},`,
		`  "born": {"$date": {"$numberLong": "-4861728000000"}},`, // before 1970: no relaxed form
		`  "seen": {"$date": "2024-03-14T09:26:53.5Z"},`,
		`  "age": 36,`, `  "ratio": 2.5,`, `  "notes": {"$numberLong": "12"},`)
	if h.page.Title() != "Acme › …0000a0da" {
		t.Errorf("the title is %q", h.page.Title())
	}
	if strings.Contains(h.screen(), `"spouse"`) {
		t.Errorf("the end of the document shows before scrolling:\n%s", h.screen())
	}
	h.d.Press("j", "j")
	h.wantScreen("lines 3–21 of 32")
	h.d.Press("G")
	h.wantScreen("lines 14–32 of 32", `  "spouse": null`, "}")
	h.d.Press("pgup")
	h.wantScreen("lines 1–19 of 32")
	h.d.Press("space", "g")
	h.wantScreen("lines 1–19 of 32")

	styled := h.page.View()
	st := styles.New()
	for _, piece := range []string{st.JSONKey.Render(`"name"`), st.JSONString.Render(`"Ada Lovelace"`), st.JSONNumber.Render("36"),
		st.JSONWrapper.Render(`"$oid"`), st.JSONWrapper.Render(`"2024-03-14T09:26:53.5Z"`)} {
		if !strings.Contains(styled, piece) {
			t.Errorf("the document is not coloured: %q is missing", piece)
		}
	}
}

func TestEditSavesWithReplaceOnTheID(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	h.editor.Write(strings.Replace(h.view().Text(), `"Ada Lovelace"`, `"Ada King"`, 1))
	h.d.Press("e")
	if got := h.editor.Seen(); got != h.view().Text()+"\n" && !strings.Contains(got, `"Ada Lovelace"`) {
		t.Errorf("the editor was given %q, want the document as shown", got)
	}
	ups := h.updates()
	if len(ups) != 1 {
		t.Fatalf("%d data.update calls, want 1", len(ups))
	}
	p := ups[0]
	if string(p.Filter) != `{"_id":{"$oid":"65f1c0ffee0000000000a0da"}}` || !p.Replace || p.Many || p.Org != "Acme" {
		t.Errorf("data.update got %+v", p)
	}
	if !strings.Contains(string(p.Update), `"name":"Ada King"`) || !strings.Contains(string(p.Update), `"notes":{"$numberLong":"12"}`) {
		t.Errorf("the replacement is %s", p.Update)
	}
	h.wantScreen(`"name": "Ada King"`)
	if doc := h.fake.Documents("Acme")[0]; !strings.Contains(doc, `"notes":{"$numberLong":"12"}`) || !strings.Contains(doc, `"age":{"$numberInt":"36"}`) {
		t.Errorf("saving changed the types of fields left alone: %s", doc)
	}
	if len(h.changed) != 1 || !strings.Contains(string(h.changed[0].Doc), "Ada King") {
		t.Errorf("the list is not told of the change: %+v", h.changed)
	}
	if len(h.flashes) != 1 || h.flashes[0].Text != "saved document …0000a0da" {
		t.Errorf("the flashes are %+v", h.flashes)
	}
	if left := h.editor.Leftovers(); len(left) != 0 {
		t.Errorf("the editor's files are left behind: %v", left)
	}
}

func TestAnUnchangedFileSendsNothing(t *testing.T) {
	t.Parallel()
	h := start(t, true)                                                          // opened with e from the list: the editor runs at once
	h.editor.Write(strings.ReplaceAll(h.view().Text(), "\n  ", "\n\t") + "\n\n") // only whitespace differs
	h.run()
	if !h.editor.Ran() {
		t.Fatal("the page opened for editing did not run the editor")
	}
	if n := len(h.updates()); n != 0 {
		t.Errorf("an unchanged document sent %d data.update calls", n)
	}
	if len(h.flashes) != 1 || h.flashes[0].Text != "no changes: nothing saved" {
		t.Errorf("the flashes are %+v", h.flashes)
	}
	if h.view().Editing() {
		t.Error("the page still says it is editing")
	}
}

func TestAChangedIDIsRefusedAndTheEditKept(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	edited := strings.Replace(h.view().Text(), "a0da", "beef", 1)
	h.editor.Write(edited)
	h.d.Press("e")
	if n := len(h.updates()); n != 0 {
		t.Errorf("a changed _id sent %d data.update calls", n)
	}
	h.wantScreen(`Not saved: the _id cannot change (it is {"$oid":"65f1c0ffee0000000000a0da"})`, "Your edit was kept: press e to go on with it.")
	if h.view().Draft() != edited {
		t.Errorf("the kept edit is %q", h.view().Draft())
	}
	h.editor.Keep()
	h.d.Press("e")
	if h.editor.Seen() != edited {
		t.Errorf("the next e gave the editor %q, want the kept edit", h.editor.Seen())
	}
}

func TestAFailedSaveKeepsTheEditForTheNextTry(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	edited := strings.Replace(h.view().Text(), `"age": 36`, `"age": 37`, 1)
	h.editor.Write(edited)
	h.fake.FailNext(rpc.MethodDataUpdate, &rpc.Error{Code: rpc.CodeInvalidParams, Message: "$where is not allowed",
		Data: &rpc.ErrorData{Field: "update", Operator: "$where"}})
	h.d.Press("e")
	if want := "Not saved: $where is not allowed. Your edit was kept: press e to go on with it."; h.view().Note() != want {
		t.Errorf("the note is %q, want %q", h.view().Note(), want)
	}
	h.wantScreen("✗ Not saved: $where is not allowed.", `"age": 36`)
	if h.view().Draft() != edited {
		t.Fatalf("the kept edit is %q", h.view().Draft())
	}

	h.editor.Keep() // the person saves the kept text as it is: try again
	h.d.Press("e")
	if h.editor.Seen() != edited {
		t.Errorf("the next e gave the editor %q, want the kept edit", h.editor.Seen())
	}
	if n := len(h.updates()); n != 2 {
		t.Errorf("%d data.update calls, want a second try", n)
	}
	h.wantScreen(`"age": 37`)
	if h.view().Draft() != "" || strings.Contains(h.screen(), "Not saved") {
		t.Errorf("after a successful save the edit is still kept:\n%s", h.screen())
	}
}

func TestBrokenJSONAndAFailingEditorKeepTheEdit(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	h.editor.Write("{\"name\": \"Ada\",\n}")
	h.d.Press("e")
	h.wantScreen("Not saved: invalid JSON: line 2, column 1", "Your edit was kept")
	if n := len(h.updates()); n != 0 {
		t.Errorf("broken JSON sent %d data.update calls", n)
	}

	h.editor.Write(`{"name": "half-way"}`)
	h.editor.Exit(1)
	h.d.Press("e")
	if note := h.view().Note(); !strings.Contains(note, "Not saved: the editor ") || !strings.Contains(note, " exited with status 1. Your edit was kept") {
		t.Errorf("the note is %q", note)
	}
	h.wantScreen("✗ Not saved: the editor")
	if h.view().Draft() != `{"name": "half-way"}` {
		t.Errorf("the kept edit is %q", h.view().Draft())
	}

	h.editor.Exit(0)
	h.editor.Write("\n")
	h.d.Press("e")
	if h.view().Draft() != "" || len(h.updates()) != 0 {
		t.Errorf("emptying the file does not drop the edit: %q", h.view().Draft())
	}
	if last := h.flashes[len(h.flashes)-1]; !strings.Contains(last.Text, "your edit was dropped") {
		t.Errorf("the flash is %+v", last)
	}
}

func TestEscWithAKeptEditAsksFirst(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	h.d.Press("esc")
	if h.back != 1 {
		t.Fatal("esc without a kept edit does not go back")
	}
	h.editor.Write(`{"name": "x"`)
	h.d.Press("e", "esc")
	if h.back != 1 {
		t.Error("esc with a kept edit goes back at once")
	}
	h.wantScreen("Your edit is not saved: press e to go on with it, or esc again to drop it.")
	h.d.Press("esc")
	if h.back != 2 {
		t.Error("a second esc does not go back")
	}
}

func TestXOpensTheDeleteDialogAndADeletionClosesThePage(t *testing.T) {
	t.Parallel()
	h := start(t, false)
	h.run()
	h.d.Press("x")
	if len(h.opened) != 1 {
		t.Fatalf("x opened %d pages", len(h.opened))
	}
	if _, ok := h.opened[0].(deletedocument.Model); !ok {
		t.Errorf("x opened %T", h.opened[0])
	}
	h.d.Send(pages.DocumentChanged{Org: h.fake.Orgs[0].ID, ID: `{"$oid":"65f1c0ffee0000000000a0da"}`})
	if h.back != 1 {
		t.Error("the page stays open on a deleted document")
	}
}
