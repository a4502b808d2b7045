package org

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
)

// Directory is every organization's and operator's metadata, in memory, so
// that lookups, listings, logins and token checks never wait on the store.
// The store fills it at start and keeps it current with its own writes and
// those of other daemons; it is safe for concurrent use.
//
// Every change to an organization is published to the Events given to
// NewDirectory.
type Directory struct {
	events *Events

	mu        sync.RWMutex
	orgs      map[string]*entry // by organization id
	sorted    []*entry          // by (lower-cased name, id)
	slugs     map[string]string // slug → organization id
	hidden    int               // entries still provisioning: not listed yet
	seq       uint64            // counts puts; see Replace
	opSeq     map[string]uint64 // operator id → seq of its last put
	emails    map[string]owner  // by EmailKey of every active account
	operators map[string]*Operator
}

// entry is an organization with the lower-cased strings it is sorted and
// searched by, computed once per write instead of once per listing.
type entry struct {
	org       Organization
	seq       uint64
	nameKey   string
	emailKey  string
	searchKey [3]string
}

type owner struct {
	role Role
	id   string // operator id, or organization id for admins
}

// NewDirectory returns an empty directory that publishes to events (which
// may be nil).
func NewDirectory(events *Events) *Directory {
	return &Directory{
		events:    events,
		orgs:      make(map[string]*entry),
		slugs:     make(map[string]string),
		emails:    make(map[string]owner),
		operators: make(map[string]*Operator),
		opSeq:     make(map[string]uint64),
	}
}

func newEntry(o Organization) *entry {
	name := strings.ToLower(o.Name)
	email := EmailKey(o.AdminEmail)
	return &entry{org: o, nameKey: name, emailKey: email, searchKey: [3]string{name, o.Slug, email}}
}

func compareEntries(a *entry, key, id string) int {
	if c := cmp.Compare(a.nameKey, key); c != 0 {
		return c
	}
	return cmp.Compare(a.org.ID, id)
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
	e := newEntry(o)
	d.seq++
	e.seq = d.seq
	if !e.visible() {
		d.hidden++
	}
	d.orgs[o.ID] = e
	i, _ := slices.BinarySearchFunc(d.sorted, e, func(a, b *entry) int { return compareEntries(a, b.nameKey, b.org.ID) })
	d.sorted = slices.Insert(d.sorted, i, e)
	// A create still provisioning may yet learn that it lost its slug: it
	// must not hide the organization that holds the slug.
	if holder, ok := d.orgs[d.slugs[o.Slug]]; !ok || e.visible() || !holder.visible() {
		d.slugs[o.Slug] = o.ID
	}
	if old != nil && old.org.Slug != o.Slug {
		d.relinkSlugLocked(old.org.Slug)
	}
	if loginAllowed(o.State) {
		d.emails[e.emailKey] = owner{role: RoleAdmin, id: o.ID}
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

func loginAllowed(s State) bool {
	return s == StateActive || s == StateRenaming || s == StateUpdating
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
	if own, ok := d.emails[e.emailKey]; ok && own.id == e.org.ID {
		delete(d.emails, e.emailKey)
	}
}

// RemoveOrganization forgets the organization with the given id.
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

// PutOperator adds or replaces an operator, ignoring older copies.
func (d *Directory) PutOperator(op Operator) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putOperatorLocked(op)
}

func (d *Directory) putOperatorLocked(op Operator) {
	if old := d.operators[op.ID]; old != nil {
		if old.Rev > op.Rev {
			return
		}
		if own, ok := d.emails[EmailKey(old.Email)]; ok && own.id == op.ID {
			delete(d.emails, EmailKey(old.Email))
		}
	}
	d.operators[op.ID] = &op
	d.seq++
	d.opSeq[op.ID] = d.seq
	if op.State == StateActive {
		d.emails[EmailKey(op.Email)] = owner{role: RoleOperator, id: op.ID}
	}
}

// RemoveOperator forgets the operator with the given id.
func (d *Directory) RemoveOperator(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := d.operators[id]; old != nil {
		if own, ok := d.emails[EmailKey(old.Email)]; ok && own.id == id {
			delete(d.emails, EmailKey(old.Email))
		}
		delete(d.operators, id)
		delete(d.opSeq, id)
	}
}

// Seq marks the directory's current content; pass it to Replace.
func (d *Directory) Seq() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.seq
}

// Replace swaps the content for a fresh load from the store, read after
// Seq returned asOf, and publishes the differences as events. What was put
// after asOf is newer than the load and is kept.
func (d *Directory) Replace(orgs []Organization, ops []Operator, asOf uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := make(map[string]bool, len(orgs))
	for _, o := range orgs {
		seen[o.ID] = true
		if old := d.orgs[o.ID]; old != nil && sameOrganization(old.org, o) {
			continue
		}
		d.putLocked(o)
	}
	for id, e := range d.orgs {
		if !seen[id] && e.seq <= asOf {
			d.removeLocked(id)
		}
	}
	seenOps := make(map[string]bool, len(ops))
	for _, op := range ops {
		seenOps[op.ID] = true
		d.putOperatorLocked(op)
	}
	for id, op := range d.operators {
		if !seenOps[id] && d.opSeq[id] <= asOf {
			delete(d.operators, id)
			delete(d.opSeq, id)
			if own, ok := d.emails[EmailKey(op.Email)]; ok && own.id == id {
				delete(d.emails, EmailKey(op.Email))
			}
		}
	}
}

func sameOrganization(a, b Organization) bool {
	return a.Rev == b.Rev && a.State == b.State && a.Name == b.Name && a.AdminEmail == b.AdminEmail && a.CredVersion == b.CredVersion
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
		d.events.Publish(Event{Type: EventCreated, Organization: cur.org})
	case !curVisible:
		d.events.Publish(Event{Type: EventDeleted, Organization: old.org})
	case old.org.Name != cur.org.Name:
		d.events.Publish(Event{Type: EventRenamed, Organization: cur.org})
	default:
		d.events.Publish(Event{Type: EventUpdated, Organization: cur.org})
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
	return e.org, true
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
	return e.org, true
}

// Operator returns the operator with the given id.
func (d *Directory) Operator(id string) (Operator, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	op, ok := d.operators[id]
	if !ok {
		return Operator{}, false
	}
	return *op, true
}

// HasOperator reports whether any operator exists, finished or not.
func (d *Directory) HasOperator() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.operators) > 0
}

// AccountByEmail returns the account that logs in with email, compared
// case-insensitively. Admins of organizations that are being created or
// deleted have no account.
func (d *Directory) AccountByEmail(email string) (Account, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	own, ok := d.emails[EmailKey(email)]
	if !ok {
		return Account{}, false
	}
	return d.accountLocked(own)
}

// Account returns the account with the given role and id: an operator's
// id, or for an admin the organization's id.
func (d *Directory) Account(role Role, id string) (Account, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.accountLocked(owner{role: role, id: id})
}

func (d *Directory) accountLocked(own owner) (Account, bool) {
	switch own.role {
	case RoleOperator:
		op, ok := d.operators[own.id]
		if !ok || op.State != StateActive {
			return Account{}, false
		}
		return Account{ID: op.ID, Email: op.Email, Role: RoleOperator, PasswordHash: op.PasswordHash, CredVersion: op.CredVersion}, true
	case RoleAdmin:
		e, ok := d.orgs[own.id]
		if !ok || !loginAllowed(e.org.State) {
			return Account{}, false
		}
		o := e.org
		return Account{ID: o.AdminID, Email: o.AdminEmail, Role: RoleAdmin, OrgID: o.ID, PasswordHash: o.PasswordHash, CredVersion: o.CredVersion}, true
	}
	return Account{}, false
}

// Organizations returns every organization, sorted by name, including those
// still being created.
func (d *Directory) Organizations() []Organization {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Organization, len(d.sorted))
	for i, e := range d.sorted {
		out[i] = e.org
	}
	return out
}

// Operators returns every operator.
func (d *Directory) Operators() []Operator {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Operator, 0, len(d.operators))
	for _, op := range d.operators {
		out = append(out, *op)
	}
	return out
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
// been checked (limit in range); a malformed cursor is EINVALID.
func (d *Directory) List(f OrganizationFilter, only func(*Organization) bool) (OrganizationPage, error) {
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
	if query == "" && only == nil && d.hidden == 0 {
		page.Total = len(d.sorted)
		end := min(start+limit, len(d.sorted))
		for _, e := range d.sorted[start:end] {
			page.Items = append(page.Items, e.org)
		}
		if end < len(d.sorted) && len(page.Items) > 0 {
			page.NextCursor = encodeCursor(d.sorted[end-1])
		}
		return page, nil
	}

	var last *entry
	more := false
	for i, e := range d.sorted {
		if !e.visible() || !e.matches(query) || (only != nil && !only(&e.org)) {
			continue
		}
		page.Total++
		if i < start {
			continue
		}
		if len(page.Items) < limit {
			page.Items = append(page.Items, e.org)
			last = e
		} else {
			more = true
		}
	}
	if more && last != nil {
		page.NextCursor = encodeCursor(last)
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
// while organizations come and go: the next page starts after that key,
// whether or not the item still exists.
func encodeCursor(e *entry) string {
	return base64.RawURLEncoding.EncodeToString([]byte(e.nameKey + "\x00" + e.org.ID))
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
