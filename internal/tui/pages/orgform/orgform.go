// Package orgform is the form that creates an organization (n) or edits
// one (e): rename it, change its oldest admin's email, reset that admin's
// password, set its labels. orgd validates; its errors land on the field
// they name.
package orgform

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/form"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Field keys: the params of org.create, which org.update shares but for
// the new name.
const (
	FieldName     = "name"
	FieldEmail    = "admin_email"
	FieldPassword = "admin_password"
	FieldConfirm  = "confirm"
	FieldLabels   = "labels"
)

// Model is the create or edit form.
type Model struct {
	c             pages.Common
	width, height int
	editing       *rpc.Organization // nil when creating
	form          form.Model
	err           string
	busy          bool
	spin          spin.Model
	// before is the name the organization had when the form was saved.
	before string
}

type savedMsg struct {
	org *rpc.Organization
	err error
}

// NewCreate returns the form that creates an organization.
func NewCreate(c pages.Common) Model {
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldName, Label: "Name", Placeholder: "Acme Corp"},
		form.Spec{Key: FieldEmail, Label: "Admin email", Placeholder: "admin@example.com"},
		form.Spec{Key: FieldPassword, Label: "Admin password", Placeholder: "8–72 bytes", Secret: true},
		form.Spec{Key: FieldConfirm, Label: "Repeat password", Secret: true},
		form.Spec{Key: FieldLabels, Label: "Labels", Placeholder: "optional, e.g. env=prod, tier=gold", Optional: true},
	)
	return Model{c: c, form: f, spin: spin.New(c.Styles)}
}

// NewEdit returns the form that edits o. The password fields start empty:
// left empty, the password stays as it is. The labels field starts with
// o's labels; what it holds when saved replaces them all.
func NewEdit(c pages.Common, o rpc.Organization) Model {
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldName, Label: "Name", Value: o.Name, Aliases: []string{"new_name"}},
		form.Spec{Key: FieldEmail, Label: "Admin email", Value: o.AdminEmail},
		form.Spec{Key: FieldPassword, Label: "New password", Placeholder: "empty: keep the password", Secret: true, Optional: true},
		form.Spec{Key: FieldConfirm, Label: "Repeat password", Secret: true, Optional: true},
		form.Spec{Key: FieldLabels, Label: "Labels", Placeholder: "none, e.g. env=prod, tier=gold", Value: pages.Labels(o.Labels), Optional: true},
	)
	return Model{c: c, form: f, editing: &o, spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m Model) Init() tea.Cmd { return nil }

// Title names the page.
func (m Model) Title() string {
	if m.editing != nil {
		return "Edit " + m.editing.Name
	}
	return "New organization"
}

// Typing reports true: a field always has the focus.
func (m Model) Typing() bool { return true }

// Dialog reports false: the form fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the form's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.FormHelp(m.form.OnChoice()) }

// Form returns the form, for tests.
func (m Model) Form() form.Model { return m.form }

// Err returns the error shown under the form.
func (m Model) Err() string { return m.err }

// Update handles keys, the reply to the save, and changes to the
// organization being edited.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.form.SetWidth(min(m.width, 76))
		return m, nil
	case savedMsg:
		return m.saved(msg)
	case pages.Changed:
		if m.editing != nil && msg.Event.Organization.ID == m.editing.ID {
			if msg.Event.Type == rpc.EventDeleted {
				return m, pages.BackWith(fmt.Sprintf("%s was deleted", m.editing.Name))
			}
			o := msg.Event.Organization
			m.editing = &o
		}
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.Cancel) {
			return m, pages.Send(pages.Back{})
		}
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		var submit bool
		m.form, cmd, submit = m.form.Update(msg)
		if submit {
			next := m.submit()
			return m, next
		}
		return m, cmd
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.form, cmd, _ = m.form.Update(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m *Model) submit() tea.Cmd {
	m.form.ClearErrors()
	m.err = ""
	password, confirm := m.form.Value(FieldPassword), m.form.Value(FieldConfirm)
	if password != confirm {
		m.form.SetError(FieldConfirm, "the passwords differ")
		return nil
	}
	labels, err := ParseLabels(m.form.Value(FieldLabels))
	if err != nil {
		m.form.SetError(FieldLabels, err.Error())
		return nil
	}
	var call remote.Func
	if m.editing == nil {
		p := rpc.OrgCreateParams{Name: m.form.Value(FieldName), AdminEmail: m.form.Value(FieldEmail), AdminPassword: password}
		if len(labels) > 0 {
			p.Labels = labels
		}
		call = func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			p.Token = token
			o, err := c.CreateOrg(ctx, p)
			return savedMsg{org: o, err: err}, err
		}
	} else {
		p := rpc.OrgUpdateParams{Name: m.editing.Name}
		if v := m.form.Value(FieldName); v != m.editing.Name {
			p.NewName = &v
		}
		if v := m.form.Value(FieldEmail); v != m.editing.AdminEmail {
			p.AdminEmail = &v
		}
		if password != "" {
			p.AdminPassword = &password
		}
		if !maps.Equal(labels, m.editing.Labels) {
			// The map replaces every label; an empty one removes them.
			p.Labels = &labels
		}
		if p.NewName == nil && p.AdminEmail == nil && p.AdminPassword == nil && p.Labels == nil {
			m.err = "nothing changed"
			return nil
		}
		m.before = m.editing.Name
		call = func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
			p.Token = token
			o, err := c.UpdateOrg(ctx, p)
			return savedMsg{org: o, err: err}, err
		}
	}
	m.busy = true
	return tea.Batch(m.c.Orgd.Call(call), m.spin.Start())
}

// fieldOf returns the form field that err names: orgd names a bad label
// "labels", or "labels.KEY".
func fieldOf(err error) string {
	f := remote.FieldOf(err)
	if f == FieldLabels || strings.HasPrefix(f, FieldLabels+".") {
		return FieldLabels
	}
	return f
}

func (m Model) saved(msg savedMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	if msg.err != nil {
		text := remote.Describe(msg.err)
		switch {
		case remote.IsUnauthenticated(msg.err):
			m.err = "your session ended: log in, then submit again"
		case m.form.SetError(fieldOf(msg.err), text):
		default:
			m.err = text
		}
		return m, nil
	}
	o := *msg.org
	// The password is not kept once orgd has it.
	m.form.SetValue(FieldPassword, "")
	m.form.SetValue(FieldConfirm, "")
	ev := rpc.OrgEvent{Type: rpc.EventCreated, Organization: o}
	flash := "created " + o.Name
	if m.editing != nil {
		ev.Type = rpc.EventUpdated
		flash = "saved " + o.Name
		if o.Name != m.before {
			ev.Type = rpc.EventRenamed
			flash = fmt.Sprintf("renamed %s to %s", m.before, o.Name)
		}
	}
	return m, tea.Batch(pages.Send(pages.Changed{Event: ev, Focus: true}), pages.BackWith(flash))
}

// View draws the form.
func (m Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render(m.Title()) + "\n\n")
	if m.editing == nil {
		b.WriteString(st.Subtle.Render("The organization gets its own collection and one admin account.") + "\n\n")
	} else {
		b.WriteString(st.Subtle.Render("Renaming also renames the collection "+m.editing.Collection+".") + "\n\n")
	}
	b.WriteString(m.form.View() + "\n\n")
	switch {
	case m.busy:
		b.WriteString(m.spin.View() + " saving…")
	case m.err != "":
		b.WriteString(st.Error.Render(styles.ErrorMark + m.err))
	case m.editing != nil:
		b.WriteString(st.Subtle.Render("enter saves what changed; esc cancels"))
	default:
		b.WriteString(st.Subtle.Render("enter saves once every field but the labels is filled; esc cancels"))
	}
	return layout.Fit(b.String(), m.width, m.height)
}
