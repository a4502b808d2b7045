package document

import (
	"context"
	"encoding/json"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/editor"
	"github.com/orgd/orgd/internal/tui/extjson"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/rpc"
)

// keptNote ends every note about an edit that was kept.
const keptNote = "Your edit was kept: press e to go on with it."

// edited looks at what the editor left and saves it. Nothing is sent when
// nothing changed; what cannot be saved is kept for the next e.
func (m Model) edited(d editor.Done) (pages.Page, tea.Cmd) {
	m.editing = false
	m.leaving = false
	text := d.Text
	blank := strings.TrimSpace(text) == ""
	if d.Err != nil {
		m.note = "Not saved: " + d.Err.Error() + "."
		if v, err := extjson.Parse([]byte(text)); !blank && (err != nil || !extjson.Same(v, m.doc)) {
			m.draft = text
			m.note += " " + keptNote
		}
		m.layout()
		return m, nil
	}
	if blank {
		m.draft, m.note = "", ""
		m.layout()
		return m, pages.Send(pages.Flash{Text: "the file was empty: nothing saved, your edit was dropped"})
	}
	v, err := extjson.ParseObject([]byte(text))
	if err != nil {
		m.draft = text
		m.note = "Not saved: invalid JSON: " + err.Error() + ". " + keptNote
		m.layout()
		return m, nil
	}
	if extjson.Same(v, m.doc) {
		m.draft, m.note = "", ""
		m.layout()
		return m, pages.Send(pages.Flash{Text: "no changes: nothing saved"})
	}
	if id := v.Get("_id"); id != nil && !extjson.Same(id, m.doc.Get("_id")) {
		m.draft = text
		m.note = "Not saved: the _id cannot change (it is " + extjson.Relax(m.doc.Get("_id")).Compact() + "). " + keptNote
		m.layout()
		return m, nil
	}
	m.draft, m.note = text, ""
	m.editing = true
	m.layout()
	orgID, name, id, doc := m.org.ID, m.org.Name, m.id, json.RawMessage(v.Compact())
	save := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		r, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: token, Org: name,
			Filter: json.RawMessage(`{"_id":` + id + `}`), Update: doc, Replace: true})
		return savedMsg{org: orgID, id: id, updated: r, err: err}, err
	})
	return m, tea.Batch(save, m.spin.Start())
}

// saved handles data.update's answer: on success the document is loaded
// again as orgd now has it; on failure the edit stays kept.
func (m Model) saved(msg savedMsg) (pages.Page, tea.Cmd) {
	m.editing = false
	m.spin.Stop()
	switch {
	case msg.err != nil:
		m.note = "Not saved: " + remote.Describe(msg.err) + ". " + keptNote
	case msg.updated.Matched == 0:
		m.note = "Not saved: no document has this _id any more (deleted meanwhile?). " + keptNote
	default:
		m.draft, m.note = "", ""
		m.layout()
		load := m.reload()
		return m, tea.Batch(load, pages.Send(pages.Flash{Text: "saved document " + extjson.ShortID(m.doc.Get("_id"))}))
	}
	m.layout()
	return m, nil
}
