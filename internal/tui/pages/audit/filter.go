package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/form"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/rpc"
)

// Filter is what the audit log selects by: audit.list's filters, Since
// and Until as RFC 3339 times. The zero Filter selects every entry.
type Filter struct {
	Org, Actor, Action, Since, Until string
}

// IsZero reports whether f selects every entry.
func (f Filter) IsZero() bool { return f == Filter{} }

func (f Filter) params(token, cursor string, limit int) rpc.AuditListParams {
	return rpc.AuditListParams{Token: token, Org: f.Org, Actor: f.Actor, Action: f.Action, Since: f.Since, Until: f.Until,
		Limit: limit, Cursor: cursor}
}

// String says what f selects, on one line.
func (f Filter) String() string {
	var parts []string
	for _, p := range []struct{ name, v string }{
		{"organization", f.Org}, {"actor", f.Actor}, {"action", f.Action}, {"since", shortTime(f.Since)}, {"until", shortTime(f.Until)},
	} {
		if p.v != "" {
			parts = append(parts, p.name+" "+p.v)
		}
	}
	return strings.Join(parts, " · ")
}

// shortTime shows an RFC 3339 time as the list does.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.UTC().Format(time.DateTime)
	}
	return t.UTC().Format(TimeLayout)
}

// ParseTime reads a time as the filter takes it: RFC 3339
// (2026-03-14T09:30:00Z), a date (2026-03-14) or a date and time
// (2026-03-14 09:30), both UTC, or how long ago (90m, 24h, 7d). It
// returns the time in RFC 3339, UTC; empty for empty text.
func ParseTime(text string, now time.Time) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", nil
	}
	if d, ok := ago(text); ok {
		return now.Add(-d).UTC().Truncate(time.Second).Format(time.RFC3339), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
	}
	return "", fmt.Errorf("not a time: write 2026-03-14, 2026-03-14 09:30 (UTC), 24h or 7d (ago)")
}

// ago reads "90m", "24h", "1h30m" or "7d" as a duration.
func ago(text string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(text, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n >= 0
	}
	d, err := time.ParseDuration(text)
	return d, err == nil && d >= 0
}

// Filtered tells the audit log to select by Filter.
type Filtered struct{ Filter Filter }

// Field keys of the filter form: audit.list's params.
const (
	FieldOrg    = "org"
	FieldActor  = "actor"
	FieldAction = "action"
	FieldSince  = "since"
	FieldUntil  = "until"
)

// FilterForm is the form that sets the audit log's filter. Every field
// may stay empty; enter applies the filter, esc leaves it as it was.
type FilterForm struct {
	c             pages.Common
	width, height int
	form          form.Model
}

// NewFilterForm returns the form, filled in with f. A member's log is
// always their organization's, so they get no organization field.
func NewFilterForm(c pages.Common, f Filter) FilterForm {
	timeHint := "2026-03-14, 2026-03-14 09:30, 24h or 7d"
	specs := []form.Spec{
		{Key: FieldOrg, Label: "Organization", Placeholder: "name, slug or id (also of a deleted one)", Value: f.Org, Optional: true},
		{Key: FieldActor, Label: "Actor", Placeholder: "email of who acted", Value: f.Actor, Optional: true},
		{Key: FieldAction, Label: "Action", Placeholder: "member.add, or member. for all of them", Value: f.Action, Optional: true},
		{Key: FieldSince, Label: "Since", Placeholder: timeHint, Value: f.Since, Optional: true},
		{Key: FieldUntil, Label: "Until", Placeholder: timeHint, Value: f.Until, Optional: true},
	}
	if c.Org != nil {
		specs = specs[1:]
	}
	return FilterForm{c: c, form: form.New(c.Styles, c.Keys, specs...)}
}

// Init starts nothing.
func (m FilterForm) Init() tea.Cmd { return nil }

// Title names the page.
func (m FilterForm) Title() string { return "Filter the audit log" }

// Typing reports true: a field always has the focus.
func (m FilterForm) Typing() bool { return true }

// Dialog reports false: the form fills the screen.
func (m FilterForm) Dialog() bool { return false }

// Help returns the form's bindings.
func (m FilterForm) Help() keymap.Help {
	h := m.c.Keys.FormHelp(false)
	for _, col := range append([][]keymap.Binding{h.Short}, h.Full...) {
		for i := range col {
			if col[i].Help().Desc == "next/submit" {
				col[i].SetHelp("enter", "apply")
			}
		}
	}
	return h
}

// Form returns the form, for tests.
func (m FilterForm) Form() form.Model { return m.form }

// Update handles keys.
func (m FilterForm) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.form.SetWidth(min(m.width, 76))
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.Cancel) {
			return m, pages.Send(pages.Back{})
		}
		var cmd tea.Cmd
		var submit bool
		m.form, cmd, submit = m.form.Update(msg)
		if submit {
			return m.apply()
		}
		return m, cmd
	case tea.PasteMsg:
		var cmd tea.Cmd
		m.form, cmd, _ = m.form.Update(msg)
		return m, cmd
	}
	return m, nil
}

// apply checks the times and hands the filter to the log.
func (m FilterForm) apply() (pages.Page, tea.Cmd) {
	m.form.ClearErrors()
	now := time.Now()
	if m.c.Now != nil {
		now = m.c.Now()
	}
	f := Filter{
		Org:    strings.TrimSpace(m.form.Value(FieldOrg)),
		Actor:  strings.TrimSpace(m.form.Value(FieldActor)),
		Action: strings.TrimSpace(m.form.Value(FieldAction)),
	}
	var err error
	if f.Since, err = ParseTime(m.form.Value(FieldSince), now); err != nil {
		m.form.SetError(FieldSince, err.Error())
		return m, nil
	}
	if f.Until, err = ParseTime(m.form.Value(FieldUntil), now); err != nil {
		m.form.SetError(FieldUntil, err.Error())
		return m, nil
	}
	if f.Since != "" && f.Until != "" && f.Until <= f.Since {
		// Both are RFC 3339 in UTC of one layout or the other: compare them
		// as times.
		s, _ := time.Parse(time.RFC3339Nano, f.Since)
		u, _ := time.Parse(time.RFC3339Nano, f.Until)
		if !u.After(s) {
			m.form.SetError(FieldUntil, "until must be after since")
			return m, nil
		}
	}
	return m, tea.Batch(pages.Send(Filtered{Filter: f}), pages.Send(pages.Back{}))
}

// View draws the form.
func (m FilterForm) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Filter the audit log") + "\n\n")
	if m.c.Org != nil {
		b.WriteString(st.Subtle.Render("The entries of "+m.c.Org.Name+" only, as an admin of it.") + "\n\n")
	}
	b.WriteString(m.form.View() + "\n\n")
	b.WriteString(st.Subtle.Render("Any field may stay empty; times are UTC. enter applies, esc cancels."))
	return b.String()
}
