// Package deletedocument is the dialog that deletes one document of an
// organization: it shows the document's _id and first fields, and deletes
// with data.delete on the document's _id once "delete" is typed and enter
// pressed (SPEC §6).
package deletedocument

import (
	"context"
	"encoding/json"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/confirm"
	"github.com/orgd/orgd/internal/tui/components/dialog"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Word is what must be typed to delete the document.
const Word = "delete"

// Model is the dialog.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	doc           *extjson.Value
	id            string // _id, compact canonical
	confirm       confirm.Typed
	busy          bool
	err           string
	spin          spin.Model
}

type deletedMsg struct {
	org, id string
	deleted *rpc.DataDeleted
	err     error
}

// New returns the dialog that deletes doc (canonical Extended JSON) from
// o's collection.
func New(c pages.Common, o rpc.Organization, doc json.RawMessage) Model {
	t := confirm.NewTyped(c.Styles, c.Keys, "Delete", Word, "Type "+Word+" to delete it:")
	m := Model{c: c, org: o, confirm: t, spin: spin.New(c.Styles)}
	if v, err := extjson.Parse(doc); err == nil {
		m.doc = v
		if id := v.Get("_id"); id != nil {
			m.id = id.Compact()
		}
	}
	return m
}

// Init does nothing: the dialog waits for the word.
func (m Model) Init() tea.Cmd { return nil }

// Title names the dialog.
func (m Model) Title() string { return "Delete document" }

// Typing reports true: the word's field has the focus.
func (m Model) Typing() bool { return true }

// Dialog reports true: the dialog is drawn over the page below.
func (m Model) Dialog() bool { return true }

// Help returns the dialog's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.ConfirmHelp("delete") }

// Armed reports whether enter deletes: the word is typed.
func (m Model) Armed() bool { return m.confirm.Armed() }

// Hint returns what the dialog says after an enter that did nothing:
// exactly what to type.
func (m Model) Hint() string { return m.confirm.Hint() }

// Update handles keys and the reply to the delete.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.confirm.SetWidth(dialog.Inner(m.width))
		return m, nil
	case deletedMsg:
		if msg.org != m.org.ID || msg.id != m.id {
			return m, nil
		}
		m.busy = false
		m.spin.Stop()
		if msg.err != nil {
			m.err = remote.Describe(msg.err)
			return m, nil
		}
		flash := "deleted document " + m.short()
		if msg.deleted.Deleted == 0 {
			flash = "document " + m.short() + " was already deleted"
		}
		return m, tea.Batch(
			pages.Send(pages.DocumentChanged{Org: m.org.ID, ID: m.id}),
			pages.BackWith(flash))
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.confirm, cmd = m.confirm.Paste(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	if m.busy {
		if key.Matches(k, m.c.Keys.Cancel) {
			return m, pages.Send(pages.Back{})
		}
		return m, nil
	}
	var cmd tea.Cmd
	var out confirm.Outcome
	m.confirm, cmd, out = m.confirm.Update(k)
	switch out {
	case confirm.Cancelled:
		return m, pages.Send(pages.Back{})
	case confirm.Confirmed:
		if m.id == "" {
			m.err = "this document has no _id: it cannot be deleted from here"
			return m, nil
		}
		m.busy = true
		m.err = ""
		orgID, name, id := m.org.ID, m.org.Name, m.id
		del := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			r, err := c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: token, Org: name, Filter: json.RawMessage(`{"_id":` + id + `}`)})
			return deletedMsg{org: orgID, id: id, deleted: r, err: err}, err
		})
		return m, tea.Batch(del, m.spin.Start())
	}
	return m, cmd
}

func (m Model) short() string { return extjson.ShortID(m.doc.Get("_id")) }

// View draws the dialog box; the application centres it over the page
// below.
func (m Model) View() string {
	st := m.c.Styles
	inner := dialog.Inner(m.width)
	lines := []string{
		st.Error.Render("Delete this document?"),
		"",
		layout.Line(st.Subtle.Render("_id ")+m.doc.Get("_id").Compact(), inner),
	}
	_, fields := extjson.Summary(m.doc)
	for i, f := range fields {
		if i == 3 {
			lines = append(lines, st.Subtle.Render("…"))
			break
		}
		lines = append(lines, layout.Line(st.Subtle.Render(f.Key+": ")+f.Value, inner))
	}
	lines = append(lines, "",
		dialog.Wrap(m.width, "It is removed from "+st.Key.Render(m.org.Collection)+". This cannot be undone."),
		"", m.confirm.View(inner))
	switch {
	case m.busy:
		lines = append(lines, "", m.spin.View()+" deleting…")
	case m.err != "":
		lines = append(lines, "", dialog.Wrap(m.width, st.Error.Render(styles.ErrorMark+m.err)))
	}
	return dialog.Box(st, m.width, true, lines...)
}
