// Package detail is an organization's page: its fields (admins, members,
// labels, and when and why it was suspended), and its collection's
// figures from org.stats; enter opens its documents, m its members, s
// suspends or resumes it (operators).
package detail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/confirmdelete"
	"github.com/orgd/orgd/internal/tui/pages/documents"
	"github.com/orgd/orgd/internal/tui/pages/members"
	"github.com/orgd/orgd/internal/tui/pages/orgform"
	"github.com/orgd/orgd/internal/tui/pages/suspension"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Model is the detail page of one organization.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	stats         *rpc.OrgStats
	err           string
	loading       int // calls under way
	spin          spin.Model
}

type orgMsg struct {
	id  string
	org *rpc.Organization
	err error
}

type statsMsg struct {
	id    string
	stats *rpc.OrgStats
	err   error
}

// New returns the page of o; Init loads it afresh with its figures.
func New(c pages.Common, o rpc.Organization) Model {
	return Model{c: c, org: o, spin: spin.New(c.Styles)}
}

// loadMsg asks the page of organization id to load.
type loadMsg struct{ id string }

// Init loads the organization and its figures.
func (m Model) Init() tea.Cmd { return pages.Send(loadMsg{id: m.org.ID}) }

// Title names the page.
func (m Model) Title() string { return m.org.Name }

// Typing reports false: the page has no text field.
func (m Model) Typing() bool { return false }

// Dialog reports false: the page fills the screen.
func (m Model) Dialog() bool { return false }

// Help returns the page's bindings.
func (m Model) Help() keymap.Help { return m.c.Keys.DetailHelp(Offer(m.c, m.org)) }

// Offer says what the signed-in account may do to o from its page, as
// from the organization list: edit it (not while suspended), delete it,
// suspend or resume it (operators).
func Offer(c pages.Common, o rpc.Organization) keymap.DetailOffer {
	return keymap.DetailOffer{
		Edit:    c.CanChangeOrg(o),
		Delete:  c.CanChange(),
		Suspend: c.IsOperator() && o.State != rpc.StateSuspended,
		Resume:  c.IsOperator() && o.State == rpc.StateSuspended,
	}
}

// Action returns the page that the key k opens for o, if any: the edit
// form, the delete dialog, or the suspend or resume dialog, as Offer
// allows.
func Action(c pages.Common, o rpc.Organization, k tea.KeyPressMsg) (pages.Page, bool) {
	offer, keys := Offer(c, o), c.Keys
	switch {
	case key.Matches(k, keys.Edit) && offer.Edit:
		return orgform.NewEdit(c, o), true
	case key.Matches(k, keys.Delete) && offer.Delete:
		return confirmdelete.New(c, o), true
	case key.Matches(k, keys.Suspend) && offer.Suspend:
		return suspension.NewSuspend(c, o), true
	case key.Matches(k, keys.Resume) && offer.Resume:
		return suspension.NewResume(c, o), true
	}
	return nil, false
}

// Update handles keys, the loads and changes to the organization.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case pages.Reload:
		next := m.load()
		return m, next
	case loadMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		next := m.load()
		return m, next
	case orgMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		m.done()
		switch {
		case rpc.ErrorCode(msg.err) == rpc.CodeNotFound:
			return m, pages.BackWith(fmt.Sprintf("%s no longer exists", m.org.Name))
		case msg.err != nil:
			m.err = remote.Describe(msg.err)
		default:
			m.org = *msg.org
		}
	case statsMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		m.done()
		if msg.err != nil {
			m.err = remote.Describe(msg.err)
		} else {
			m.stats = msg.stats
		}
	case pages.Changed:
		if msg.Event.Organization.ID != m.org.ID {
			return m, nil
		}
		if msg.Event.Type == rpc.EventDeleted {
			return m, pages.BackWith(fmt.Sprintf("%s was deleted", m.org.Name))
		}
		m.org = msg.Event.Organization
	case tea.KeyPressMsg:
		keys := m.c.Keys
		switch {
		case key.Matches(msg, keys.Back):
			return m, pages.Send(pages.Back{})
		case key.Matches(msg, keys.Refresh):
			next := m.load()
			return m, next
		case key.Matches(msg, keys.Documents):
			return m, pages.Send(pages.Open{Page: documents.New(m.c, m.org)})
		case key.Matches(msg, keys.Members):
			return m, pages.Send(pages.Open{Page: members.New(m.c, m.org)})
		}
		if p, ok := Action(m.c, m.org, msg); ok {
			return m, pages.Send(pages.Open{Page: p})
		}
	default:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) done() {
	m.loading = max(0, m.loading-1)
	if m.loading == 0 {
		m.spin.Stop()
	}
}

func (m *Model) load() tea.Cmd {
	m.err = ""
	m.loading = 2
	id, name := m.org.ID, m.org.Name
	get := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		o, err := c.GetOrg(ctx, token, name)
		return orgMsg{id: id, org: o, err: err}, err
	})
	stats := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		s, err := c.OrgStats(ctx, token, name)
		return statsMsg{id: id, stats: s, err: err}, err
	})
	return tea.Batch(get, stats, m.spin.Start())
}

// View draws the fields and figures.
func (m Model) View() string {
	st := m.c.Styles
	o := m.org
	admins := strings.Join(o.Admins, ", ")
	if len(o.Admins) == 0 {
		admins = o.AdminEmail
	}
	labels := pages.Labels(o.Labels)
	if labels == "" {
		labels = st.Subtle.Render("none")
	}
	state := st.StateActive.Render(o.State)
	switch o.State {
	case rpc.StateSuspended:
		state = st.StateSuspended.Render(o.State)
		if o.SuspendedAt != nil {
			state += " since " + stamp(*o.SuspendedAt)
		}
	case rpc.StateActive:
	default:
		state = st.StateBusy.Render(o.State)
	}
	rows := [][2]string{
		{"Name", o.Name},
		{"Slug", o.Slug},
		{"Collection", o.Collection},
		{"Admins", admins},
		{"Members", pages.Count(o.Members)},
		{"Labels", labels},
		{"State", state},
	}
	if o.State == rpc.StateSuspended {
		reason := o.SuspendReason
		if reason == "" {
			reason = st.Subtle.Render("none given")
		}
		rows = append(rows, [2]string{"Reason", reason})
	}
	rows = append(rows,
		[2]string{"ID", o.ID},
		[2]string{"Created", stamp(o.CreatedAt)},
		[2]string{"Updated", stamp(o.UpdatedAt)},
		[2]string{"", ""})
	if m.stats != nil {
		rows = append(rows,
			[2]string{"Documents", pages.Count(m.stats.Documents)},
			[2]string{"Size", pages.Size(m.stats.SizeBytes)},
			[2]string{"Indexes", pages.Count(m.stats.Indexes)})
	} else {
		rows = append(rows, [2]string{"Documents", "…"}, [2]string{"Size", "…"})
	}
	var b strings.Builder
	b.WriteString(st.Title.Render(o.Name))
	if m.spin.Active() {
		b.WriteString("  " + m.spin.View())
	}
	b.WriteString("\n\n")
	for _, r := range rows {
		if r[0] == "" {
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, "  %s  %s\n", st.Subtle.Render(fmt.Sprintf("%-12s", r[0])), r[1])
	}
	if m.err != "" {
		b.WriteString("\n" + st.Error.Render(styles.ErrorMark+m.err) + "\n")
	}
	return layout.Fit(b.String(), m.width, m.height)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
