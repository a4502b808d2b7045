package org

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"time"
)

// Directory is every organization's and account's metadata, in memory, so
// that lookups, listings, logins and token checks never wait on the store.
// The store fills it at start and keeps it current with its own writes and
// those of other daemons; it is safe for concurrent use.
//
// Every change to an organization, its members included, is published to
// the Events given to NewDirectory. What it hands out shares its Labels
// and Admins with the directory: callers must not modify them.
type Directory struct {
	events *Events

	mu     sync.RWMutex
	orgs   map[string]*entry // by organization id
	sorted []*entry          // by (lower-cased name, id)
	slugs  map[string]string // slug → organization id
	hidden int               // entries still provisioning: not listed yet
	seq    uint64            // counts puts; see Replace
	// filling is set while Replace fills an empty directory: entries are
	// appended to sorted, which is sorted once at the end.
	filling bool

	accounts  map[string]*accountEntry // by account id, in every state
	emails    map[string]string        // EmailKey → id of the listed account with it
	operators []*accountEntry          // listed operators, by (email key, id)
	rosters   map[string]*roster       // organization id → its listed members
	opCount   int                      // operators in any state
	revoked   map[string]time.Time     // token id → when the token expires

	keys        map[string]*keyEntry   // SSH keys by fingerprint
	accountKeys map[string][]*keyEntry // account id → its keys, oldest first
}

// entry is an organization with the lower-cased strings it is sorted and
// searched by, computed once per write instead of once per listing, and
// what its members make of it.
type entry struct {
	org       Organization
	seq       uint64
	nameKey   string
	searchKey []string // name, slug and every admin's email, lower-cased
	admins    []string // the admins' emails, oldest first; shared, never changed
	members   int
}

// NewDirectory returns an empty directory that publishes to events (which
// may be nil).
func NewDirectory(events *Events) *Directory {
	return &Directory{
		events:   events,
		orgs:     make(map[string]*entry),
		slugs:    make(map[string]string),
		accounts: make(map[string]*accountEntry),
		emails:   make(map[string]string),
		rosters:  make(map[string]*roster),
		revoked:  make(map[string]time.Time),

		keys:        make(map[string]*keyEntry),
		accountKeys: make(map[string][]*keyEntry),
	}
}

func compareEntries(a *entry, key, id string) int {
	if c := cmp.Compare(a.nameKey, key); c != 0 {
		return c
	}
	return cmp.Compare(a.org.ID, id)
}

// view is the organization as the directory hands it out: with its admins
// and member count, and labels never nil.
func (e *entry) view() Organization {
	o := e.org
	o.Admins, o.Members = e.admins, e.members
	if o.Labels == nil {
		o.Labels = noLabels
	}
	return o
}

// noLabels is the labels of an organization without any; shared, never
// changed.
var noLabels = map[string]string{}

// refreshMembers recomputes what e's members make of it: its admins and
// member count, and the keys it is found by.
func (d *Directory) refreshMembers(e *entry) {
	e.admins, e.members = nil, 0
	if r := d.rosters[e.org.ID]; r != nil {
		e.members = len(r.members)
		if len(r.admins) > 0 {
			e.admins = make([]string, len(r.admins))
			for i, a := range r.admins {
				e.admins[i] = a.acct.Email
			}
		}
	}
	e.searchKey = append(e.searchKey[:0], e.nameKey, e.org.Slug)
	for _, email := range e.admins {
		e.searchKey = append(e.searchKey, EmailKey(email))
	}
}

// PutOrganization adds or replaces an organization. A copy older (by Rev)
// than the one held is ignored, so writers racing each other cannot roll
// the directory back.
func (d *Directory) PutOrganization(o Organization) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putLocked(o)
}

func (d *Directory) putLocked(o Organization) {
	old := d.orgs[o.ID]
	if old != nil && old.org.Rev > o.Rev {
		return
	}
	if old != nil {
		d.unlinkLocked(old)
	}
	o.Admins, o.Members = nil, 0
	e := &entry{org: o, nameKey: strings.ToLower(o.Name)}
	d.refreshMembers(e)
	d.seq++
	e.seq = d.seq
	if !e.visible() {
		d.hidden++
	}
	d.orgs[o.ID] = e
	if d.filling {
		d.sorted = append(d.sorted, e)
	} else {
		i, _ := slices.BinarySearchFunc(d.sorted, e, func(a, b *entry) int { return compareEntries(a, b.nameKey, b.org.ID) })
		d.sorted = slices.Insert(d.sorted, i, e)
	}
	// A create still provisioning may yet learn that it lost its slug: it
	// must not hide the organization that holds the slug.
	if holder, ok := d.orgs[d.slugs[o.Slug]]; !ok || e.visible() || !holder.visible() {
		d.slugs[o.Slug] = o.ID
	}
	if old != nil && old.org.Slug != o.Slug {
		d.relinkSlugLocked(old.org.Slug)
	}
	d.publish(old, e)
}

// relinkSlugLocked points slug at another organization that has it, a
// visible one first, when the one it pointed at let it go. Two
// organizations hold one slug only for a moment (a create about to lose
// the race for it), so this is rare.
func (d *Directory) relinkSlugLocked(slug string) {
	if _, ok := d.slugs[slug]; ok {
		return
	}
	var next *entry
	for _, e := range d.sorted {
		if e.org.Slug == slug && (next == nil || !next.visible() && e.visible()) {
			next = e
		}
	}
	if next != nil {
		d.slugs[slug] = next.org.ID
	}
}

// visible reports whether an organization is shown: one still being
// created is not, because its create may yet be rolled back.
func (e *entry) visible() bool { return e.org.State != StateProvisioning }

// loginAllowed reports whether the members of an organization in state s
// may log in (those of a suspended one are told so).
func loginAllowed(s State) bool {
	return s == StateActive || s == StateRenaming
}

// unlinkLocked removes e from the indexes, but not from d.orgs.
func (d *Directory) unlinkLocked(e *entry) {
	if i, ok := slices.BinarySearchFunc(d.sorted, e, func(a, b *entry) int { return compareEntries(a, b.nameKey, b.org.ID) }); ok {
		d.sorted = slices.Delete(d.sorted, i, i+1)
	}
	if d.slugs[e.org.Slug] == e.org.ID {
		delete(d.slugs, e.org.Slug)
	}
	if !e.visible() {
		d.hidden--
	}
}

// RemoveOrganization forgets the organization with the given id. Its
// accounts stay until they are removed themselves: they cannot log in
// without it.
func (d *Directory) RemoveOrganization(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.removeLocked(id)
}

func (d *Directory) removeLocked(id string) {
	old := d.orgs[id]
	if old == nil {
		return
	}
	d.unlinkLocked(old)
	delete(d.orgs, id)
	d.relinkSlugLocked(old.org.Slug)
	d.publish(old, nil)
}

// Seq marks the directory's current content; pass it to Replace.
func (d *Directory) Seq() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.seq
}

// Load is what Replace takes: everything the store holds.
type Load struct {
	Organizations []Organization
	Accounts      []Account
	Keys          []Key
	// Revoked are the tokens logged out one by one, and when they expire.
	Revoked map[string]time.Time
}

// Replace swaps the content for a fresh load from the store, read after
// Seq returned asOf, and publishes the differences as events. What was put
// after asOf is newer than the load and is kept. Revoked tokens are added
// to those known: a revocation is never undone.
func (d *Directory) Replace(l Load, asOf uint64) {
	orgs, accounts, revoked := l.Organizations, l.Accounts, l.Revoked
	d.mu.Lock()
	defer d.mu.Unlock()
	// Into an empty directory (a start), inserting each organization in
	// order would move half the list each time: 50,000 of them took 0.6 s.
	d.filling = len(d.orgs) == 0 && len(orgs) > 1
	seen := make(map[string]bool, len(orgs))
	for _, o := range orgs {
		seen[o.ID] = true
		if old := d.orgs[o.ID]; old != nil && sameOrganization(old.org, o) {
			continue
		}
		d.putLocked(o)
	}
	if d.filling {
		d.filling = false
		slices.SortFunc(d.sorted, func(a, b *entry) int { return compareEntries(a, b.nameKey, b.org.ID) })
	}
	for id, e := range d.orgs {
		if !seen[id] && e.seq <= asOf {
			d.removeLocked(id)
		}
	}
	seenAccounts := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		seenAccounts[a.ID] = true
		if old := d.accounts[a.ID]; old != nil && sameAccount(old.acct, a) {
			continue
		}
		d.putAccountLocked(a)
	}
	for id, ae := range d.accounts {
		if !seenAccounts[id] && ae.seq <= asOf {
			d.removeAccountLocked(id)
		}
	}
	for id, exp := range revoked {
		d.revoked[id] = exp
	}
	d.replaceKeysLocked(l.Keys, asOf)
}

// Snapshot returns everything the directory holds, as one consistent
// Load, organizations sorted by name: what Replace takes.
func (d *Directory) Snapshot() Load {
	d.mu.RLock()
	defer d.mu.RUnlock()
	l := Load{
		Organizations: make([]Organization, len(d.sorted)),
		Accounts:      make([]Account, 0, len(d.accounts)),
		Keys:          make([]Key, 0, len(d.keys)),
		Revoked:       make(map[string]time.Time, len(d.revoked)),
	}
	for i, e := range d.sorted {
		l.Organizations[i] = e.org
	}
	for _, ae := range d.accounts {
		l.Accounts = append(l.Accounts, ae.acct)
	}
	for _, ke := range d.keys {
		l.Keys = append(l.Keys, ke.key)
	}
	for id, exp := range d.revoked {
		l.Revoked[id] = exp
	}
	return l
}

func sameOrganization(a, b Organization) bool {
	return a.Rev == b.Rev && a.State == b.State && a.Name == b.Name
}

// publish tells subscribers what changed between old and cur, as far as it
// is visible: an organization appears when its create is done.
func (d *Directory) publish(old, cur *entry) {
	if d.events == nil {
		return
	}
	oldVisible := old != nil && old.visible()
	curVisible := cur != nil && cur.visible()
	switch {
	case !oldVisible && !curVisible:
	case !oldVisible:
		d.events.Publish(Event{Type: EventCreated, Organization: cur.view()})
	case !curVisible:
		d.events.Publish(Event{Type: EventDeleted, Organization: old.view()})
	case old.org.Name != cur.org.Name:
		d.events.Publish(Event{Type: EventRenamed, Organization: cur.view()})
	default:
		d.events.Publish(Event{Type: EventUpdated, Organization: cur.view()})
	}
}

// Organization returns the organization with the given id.
func (d *Directory) Organization(id string) (Organization, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.orgs[id]
	if !ok {
		return Organization{}, false
	}
	return e.view(), true
}

// OrganizationByName returns the organization whose name, or whose slug,
// matches name. Names are looked up by their slug, so "Space X" finds the
// organization named "space_x". Organizations still being created are not
// found.
func (d *Directory) OrganizationByName(name string) (Organization, bool) {
	slug, err := Slug(name)
	if err != nil {
		return Organization{}, false
	}
	o, ok := d.OrganizationBySlug(slug)
	if !ok || o.State == StateProvisioning {
		return Organization{}, false
	}
	return o, true
}

// OrganizationBySlug returns the organization with the given slug, even one
// still being created.
func (d *Directory) OrganizationBySlug(slug string) (Organization, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.orgs[d.slugs[slug]]
	if !ok {
		return Organization{}, false
	}
	return e.view(), true
}

// Organizations returns every organization, sorted by name, including those
// still being created.
func (d *Directory) Organizations() []Organization {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Organization, len(d.sorted))
	for i, e := range d.sorted {
		out[i] = e.view()
	}
	return out
}

// Unsettled returns the ids of the organizations with a change under way
// (State not Settled), in no order: what reconcile looks at on every tick,
// without copying the whole directory each time.
func (d *Directory) Unsettled() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var ids []string
	for id, e := range d.orgs {
		if !e.org.State.Settled() {
			ids = append(ids, id)
		}
	}
	return ids
}

// CountByDatabase counts the organizations of each database that holds
// tenant collections, by the name each records ("" for the store's main
// database), those still being created included.
func (d *Directory) CountByDatabase() map[string]int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	counts := make(map[string]int)
	for _, e := range d.orgs {
		counts[e.org.Database]++
	}
	return counts
}

// Len returns the number of organizations, including those still being
// created.
func (d *Directory) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.orgs)
}

// List returns one page of the organizations that only reports true for,
// sorted by name case-insensitively and then by id. The filter must have
// been checked (limit in range, selector parsed into sel); a malformed
// cursor is EINVALID.
func (d *Directory) List(f OrganizationFilter, sel Selector, only func(*Organization) bool) (OrganizationPage, error) {
	afterKey, afterID, err := decodeCursor(f.Cursor)
	if err != nil {
		return OrganizationPage{}, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	query := strings.ToLower(f.Query)

	d.mu.RLock()
	defer d.mu.RUnlock()
	start := 0
	if f.Cursor != "" {
		start, _ = slices.BinarySearchFunc(d.sorted, afterKey, func(e *entry, key string) int { return compareEntries(e, key, afterID) })
		for start < len(d.sorted) && compareEntries(d.sorted[start], afterKey, afterID) <= 0 {
			start++
		}
	}

	var page OrganizationPage
	if query == "" && sel.Empty() && only == nil && d.hidden == 0 {
		page.Total = len(d.sorted)
		end := min(start+limit, len(d.sorted))
		for _, e := range d.sorted[start:end] {
			page.Items = append(page.Items, e.view())
		}
		if end < len(d.sorted) && len(page.Items) > 0 {
			page.NextCursor = encodeCursor(d.sorted[end-1].nameKey, d.sorted[end-1].org.ID)
		}
		return page, nil
	}

	var last *entry
	more := false
	for i, e := range d.sorted {
		if !e.visible() || !e.matches(query) || !sel.Matches(e.org.Labels) || (only != nil && !only(&e.org)) {
			continue
		}
		page.Total++
		if i < start {
			continue
		}
		if len(page.Items) < limit {
			page.Items = append(page.Items, e.view())
			last = e
		} else {
			more = true
		}
	}
	if more && last != nil {
		page.NextCursor = encodeCursor(last.nameKey, last.org.ID)
	}
	return page, nil
}

func (e *entry) matches(query string) bool {
	if query == "" {
		return true
	}
	for _, s := range e.searchKey {
		if strings.Contains(s, query) {
			return true
		}
	}
	return false
}

// A cursor is the sort key of the last item of a page, so it stays valid
// while items come and go: the next page starts after that key, whether
// or not the item still exists.
func encodeCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

func decodeCursor(c string) (key, id string, err error) {
	if c == "" {
		return "", "", nil
	}
	raw, derr := base64.RawURLEncoding.DecodeString(c)
	k, i, ok := strings.Cut(string(raw), "\x00")
	if derr != nil || !ok || i == "" {
		return "", "", Invalidf("cursor", "malformed", "cursor is not one this server gave out")
	}
	return k, i, nil
}
