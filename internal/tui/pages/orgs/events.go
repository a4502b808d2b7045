package orgs

import (
	"cmp"
	"slices"
	"strings"

	"github.com/orgd/orgd/rpc"
)

// apply merges a change into the loaded part of the list, the way orgd
// would list it: sorted by name (case-insensitively) then id, filtered by
// the query. An organization that sorts after the last loaded one is left
// for the page that will bring it. The cursor stays on the organization it
// was on; focus moves it to the changed one instead.
func (m *Model) apply(ev rpc.OrgEvent, focus bool) {
	o := ev.Organization
	if m.seen(ev) {
		if focus {
			if i := m.index(o.ID); i >= 0 {
				m.cursor = i
				m.scroll()
			}
		}
		return
	}
	selected, hadSelection := m.Selected()
	was := m.index(o.ID)
	if was >= 0 {
		m.items = slices.Delete(m.items, was, was+1)
	}
	matches := Matches(m.query, o)
	inRange := m.next == "" || (len(m.items) > 0 && compare(o, m.items[len(m.items)-1]) < 0)
	switch ev.Type {
	case rpc.EventDeleted:
		if was >= 0 || (matches && !inRange) {
			m.total = max(0, m.total-1)
		}
	default:
		if matches && inRange {
			at, _ := slices.BinarySearchFunc(m.items, o, compare)
			m.items = slices.Insert(m.items, at, o)
		}
		switch {
		case ev.Type == rpc.EventCreated && matches && was < 0:
			m.total++
		case was >= 0 && !matches:
			m.total = max(0, m.total-1)
		case was < 0 && matches && inRange && ev.Type != rpc.EventCreated:
			m.total++
		}
	}
	switch {
	case focus && ev.Type != rpc.EventDeleted:
		if i := m.index(o.ID); i >= 0 {
			m.cursor = i
		}
	case hadSelection:
		// When the selected organization left the list, the cursor stays
		// where it was, on the one that took its place.
		if i := m.index(selected.ID); i >= 0 {
			m.cursor = i
		}
	}
	m.scroll()
}

// compare orders organizations as org.list does.
func compare(a, b rpc.Organization) int {
	if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// seen reports whether ev was applied already, and remembers it. The
// application applies its own changes at once and orgd then sends the same
// change as an org.event; applying it twice would count it twice.
func (m *Model) seen(ev rpc.OrgEvent) bool {
	k := ev.Type + " " + ev.Organization.ID + " " + ev.Organization.UpdatedAt.String()
	if m.applied[k] {
		return true
	}
	if m.applied == nil || len(m.applied) > 1000 {
		m.applied = make(map[string]bool)
	}
	m.applied[k] = true
	return false
}
