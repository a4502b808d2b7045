package documents

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

// Template is what a new document starts from in the editor. Saving it
// unchanged inserts nothing.
const Template = "{}\n"

// insertTag marks the editor's Done of a new document of organization org.
type insertTag struct{ org string }

// insertedMsg is data.insert's answer.
type insertedMsg struct {
	org      string
	inserted *rpc.DataInserted
	err      error
}

// insert opens the editor on a new document: the one kept from a failed
// insert, or the template.
func (m Model) insert() (pages.Page, tea.Cmd) {
	if m.inserting {
		return m, nil
	}
	text := m.draft
	if text == "" {
		text = Template
	}
	m.inserting = true
	return m, m.c.Editor.Edit(text, insertTag{org: m.org.ID})
}

// onInsert handles the editor's return and data.insert's answer; ok is
// false for any other message.
func (m Model) onInsert(msg tea.Msg) (_ pages.Page, _ tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case editor.Done:
		if msg.Tag != (insertTag{org: m.org.ID}) {
			return m, nil, false
		}
		next, cmd := m.edited(msg)
		return next, cmd, true
	case insertedMsg:
		if msg.org != m.org.ID {
			return m, nil, false
		}
		m.inserting = false
		if msg.err != nil {
			m.note = "Not inserted: " + remote.Describe(msg.err) + ". Your new document was kept: press i to try again."
			m.scroll()
			return m, nil, true
		}
		m.draft, m.note = "", ""
		text := "inserted a document"
		if len(msg.inserted.InsertedIDs) > 0 {
			if id, err := extjson.Parse(msg.inserted.InsertedIDs[0]); err == nil {
				m.focusID = id.Compact()
				text = "inserted document " + extjson.ShortID(id)
			}
		}
		next := m.reload()
		return m, tea.Batch(next, pages.Send(pages.Flash{Text: text})), true
	}
	return m, nil, false
}

// edited looks at what the editor left and inserts it. What cannot be
// inserted is kept for the next i.
func (m Model) edited(d editor.Done) (pages.Page, tea.Cmd) {
	text := d.Text
	blank := strings.TrimSpace(text) == ""
	if d.Err != nil {
		m.inserting = false
		if !blank && text != Template {
			m.draft = text
			m.note = "Not inserted: " + d.Err.Error() + ". Your new document was kept: press i to go on with it."
		} else {
			m.note = "Not inserted: " + d.Err.Error() + "."
		}
		m.scroll()
		return m, nil
	}
	if blank {
		m.inserting = false
		m.draft, m.note = "", ""
		m.scroll()
		return m, pages.Send(pages.Flash{Text: "the file was empty: nothing inserted"})
	}
	v, err := extjson.ParseObject([]byte(text))
	if err != nil {
		m.inserting = false
		m.draft = text
		m.note = "Not inserted: " + describeJSON(err) + ". Your new document was kept: press i to fix it."
		m.scroll()
		return m, nil
	}
	if len(v.Members) == 0 {
		m.inserting = false
		m.draft, m.note = "", ""
		m.scroll()
		return m, pages.Send(pages.Flash{Text: "the document was empty: nothing inserted"})
	}
	m.draft, m.note = text, ""
	m.scroll()
	orgID, name, doc := m.org.ID, m.org.Name, json.RawMessage(v.Compact())
	return m, m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		r, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: token, Org: name, Documents: []json.RawMessage{doc}})
		return insertedMsg{org: orgID, inserted: r, err: err}, err
	})
}
