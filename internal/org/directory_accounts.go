package org

import (
	"cmp"
	"slices"
	"time"
)

// accountEntry is an account with the key it is sorted by.
type accountEntry struct {
	acct Account
	seq  uint64
	key  string // EmailKey(acct.Email)
	// listed is set for an account that logs in and is shown (active, or
	// changing its email): one being created or removed is neither.
	listed bool
}

// roster is an organization's listed members.
type roster struct {
	members []*accountEntry // by (email key, id)
	admins  []*accountEntry // by (created, id): the oldest first
}

func compareAccounts(a *accountEntry, key, id string) int {
	if c := cmp.Compare(a.key, key); c != 0 {
		return c
	}
	return cmp.Compare(a.acct.ID, id)
}

func byEmail(a, b *accountEntry) int { return compareAccounts(a, b.key, b.acct.ID) }

func byAge(a, b *accountEntry) int {
	if c := a.acct.CreatedAt.Compare(b.acct.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.acct.ID, b.acct.ID)
}

// PutAccount adds or replaces an account, ignoring a copy older (by Rev)
// than the one held. A change to a member's account is published as an
// update of its organization.
func (d *Directory) PutAccount(a Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putAccountLocked(a)
}

func (d *Directory) putAccountLocked(a Account) {
	old := d.accounts[a.ID]
	if old != nil && old.acct.Rev > a.Rev {
		return
	}
	if old != nil {
		// A newer copy may lack what only this process knew.
		if a.LastLoginAt.Before(old.acct.LastLoginAt) {
			a.LastLoginAt = old.acct.LastLoginAt
		}
		d.unlistAccountLocked(old)
	} else if a.Role == RoleOperator {
		d.opCount++
	}
	ae := &accountEntry{acct: a, key: EmailKey(a.Email), listed: a.CanLogIn()}
	d.seq++
	ae.seq = d.seq
	d.accounts[a.ID] = ae
	if ae.listed {
		d.listAccountLocked(ae)
	}
	d.membersChanged(old, ae)
}

// listAccountLocked puts ae into the indexes of listed accounts.
func (d *Directory) listAccountLocked(ae *accountEntry) {
	d.emails[ae.key] = ae.acct.ID
	if ae.acct.Role == RoleOperator {
		i, _ := slices.BinarySearchFunc(d.operators, ae, byEmail)
		d.operators = slices.Insert(d.operators, i, ae)
		return
	}
	r := d.rosters[ae.acct.OrgID]
	if r == nil {
		r = &roster{}
		d.rosters[ae.acct.OrgID] = r
	}
	i, _ := slices.BinarySearchFunc(r.members, ae, byEmail)
	r.members = slices.Insert(r.members, i, ae)
	if ae.acct.Role == RoleAdmin {
		i, _ := slices.BinarySearchFunc(r.admins, ae, byAge)
		r.admins = slices.Insert(r.admins, i, ae)
	}
}

// unlistAccountLocked takes ae out of the indexes of listed accounts.
func (d *Directory) unlistAccountLocked(ae *accountEntry) {
	if !ae.listed {
		return
	}
	if d.emails[ae.key] == ae.acct.ID {
		delete(d.emails, ae.key)
	}
	if ae.acct.Role == RoleOperator {
		if i, ok := slices.BinarySearchFunc(d.operators, ae, byEmail); ok {
			d.operators = slices.Delete(d.operators, i, i+1)
		}
		return
	}
	r := d.rosters[ae.acct.OrgID]
	if r == nil {
		return
	}
	if i, ok := slices.BinarySearchFunc(r.members, ae, byEmail); ok {
		r.members = slices.Delete(r.members, i, i+1)
	}
	if i, ok := slices.BinarySearchFunc(r.admins, ae, byAge); ok {
		r.admins = slices.Delete(r.admins, i, i+1)
	}
	if len(r.members) == 0 {
		delete(d.rosters, ae.acct.OrgID)
	}
}

// membersChanged updates the organizations whose members changed from old
// to cur (either may be nil) and publishes them as updated.
func (d *Directory) membersChanged(old, cur *accountEntry) {
	var orgs [2]string
	if old != nil && old.listed && old.acct.Role.Member() {
		orgs[0] = old.acct.OrgID
	}
	if cur != nil && cur.listed && cur.acct.Role.Member() {
		orgs[1] = cur.acct.OrgID
	}
	for i, id := range orgs {
		if id == "" || (i == 1 && id == orgs[0]) {
			continue
		}
		e := d.orgs[id]
		if e == nil {
			continue
		}
		admins, members := e.admins, e.members
		d.refreshMembers(e)
		if e.visible() && d.events != nil && (members != e.members || !slices.Equal(admins, e.admins) || old == nil || cur == nil || old.acct.Role != cur.acct.Role) {
			d.events.Publish(Event{Type: EventUpdated, Organization: e.view()})
		}
	}
}

// RemoveAccount forgets the account with the given id.
func (d *Directory) RemoveAccount(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.removeAccountLocked(id)
}

func (d *Directory) removeAccountLocked(id string) {
	old := d.accounts[id]
	if old == nil {
		return
	}
	d.unlistAccountLocked(old)
	delete(d.accounts, id)
	d.removeKeysOfLocked(id)
	if old.acct.Role == RoleOperator {
		d.opCount--
	}
	d.membersChanged(old, nil)
}

func sameAccount(a, b Account) bool {
	return a.Rev == b.Rev && a.State == b.State && a.Email == b.Email && a.CredVersion == b.CredVersion && a.Role == b.Role
}

// Account returns the account with the given id, in whatever state.
func (d *Directory) Account(id string) (Account, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ae, ok := d.accounts[id]
	if !ok {
		return Account{}, false
	}
	return ae.acct, true
}

// AccountByEmail returns the account that logs in with email, compared
// case-insensitively. Accounts being created or removed are not found.
func (d *Directory) AccountByEmail(email string) (Account, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ae, ok := d.accounts[d.emails[EmailKey(email)]]
	if !ok {
		return Account{}, false
	}
	return ae.acct, true
}

// TokenHolder returns the account with id accountID and, for a member,
// its organization, for checking a token with id tokenID: ok is false
// when there is no such account or the token was revoked. The caller
// checks the account's state and credential version.
func (d *Directory) TokenHolder(accountID, tokenID string) (a Account, o Organization, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ae, found := d.accounts[accountID]
	if !found {
		return Account{}, Organization{}, false
	}
	if _, revoked := d.revoked[tokenID]; revoked {
		return Account{}, Organization{}, false
	}
	if ae.acct.Role.Member() {
		e, found := d.orgs[ae.acct.OrgID]
		if !found {
			return Account{}, Organization{}, false
		}
		o = e.view()
	}
	return ae.acct, o, true
}

// HasOperator reports whether any operator exists, finished or not.
func (d *Directory) HasOperator() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.opCount > 0
}

// OperatorCount returns the number of operators who can log in.
func (d *Directory) OperatorCount() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.operators)
}

// AdminCount returns the number of admins of the organization with id who
// can log in.
func (d *Directory) AdminCount(orgID string) int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if r := d.rosters[orgID]; r != nil {
		return len(r.admins)
	}
	return 0
}

// Accounts returns every account, in every state.
func (d *Directory) Accounts() []Account {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Account, 0, len(d.accounts))
	for _, ae := range d.accounts {
		out = append(out, ae.acct)
	}
	return out
}

// AccountsOf returns every account of the organization with id, in every
// state.
func (d *Directory) AccountsOf(orgID string) []Account {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Account
	for _, ae := range d.accounts {
		if ae.acct.OrgID == orgID {
			out = append(out, ae.acct)
		}
	}
	return out
}

// Operators returns one page of the operators who can log in, sorted by
// email case-insensitively, then by id. The filter's limit must have been
// checked; a malformed cursor is EINVALID.
func (d *Directory) Operators(f AccountFilter) (AccountPage, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return accountPage(d.operators, f)
}

// Members returns one page of the members of the organization with id who
// can log in, sorted as Operators are.
func (d *Directory) Members(orgID string, f AccountFilter) (AccountPage, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var list []*accountEntry
	if r := d.rosters[orgID]; r != nil {
		list = r.members
	}
	return accountPage(list, f)
}

func accountPage(list []*accountEntry, f AccountFilter) (AccountPage, error) {
	afterKey, afterID, err := decodeCursor(f.Cursor)
	if err != nil {
		return AccountPage{}, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	start := 0
	if f.Cursor != "" {
		start, _ = slices.BinarySearchFunc(list, afterKey, func(ae *accountEntry, key string) int { return compareAccounts(ae, key, afterID) })
		for start < len(list) && compareAccounts(list[start], afterKey, afterID) <= 0 {
			start++
		}
	}
	end := min(start+limit, len(list))
	page := AccountPage{Total: len(list), Items: make([]Account, 0, end-start)}
	for _, ae := range list[start:end] {
		page.Items = append(page.Items, ae.acct)
	}
	if end < len(list) && end > start {
		page.NextCursor = encodeCursor(list[end-1].key, list[end-1].acct.ID)
	}
	return page, nil
}

// TouchLogin records the time of an account's last login.
func (d *Directory) TouchLogin(id string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ae := d.accounts[id]; ae != nil && at.After(ae.acct.LastLoginAt) {
		ae.acct.LastLoginAt = at
	}
}

// Revoke refuses the token with id tokenID until it expires.
func (d *Directory) Revoke(tokenID string, expires time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revoked[tokenID] = expires
}

// ForgetExpired drops the revoked tokens that expired before now, which no
// longer need refusing, and returns their ids.
func (d *Directory) ForgetExpired(now time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var gone []string
	for id, exp := range d.revoked {
		if exp.Before(now) {
			delete(d.revoked, id)
			gone = append(gone, id)
		}
	}
	return gone
}

// AccountIntents returns the accounts with a change under way: being
// created, removed, or changing their email.
func (d *Directory) AccountIntents() []Account {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Account
	for _, ae := range d.accounts {
		if ae.acct.State != StateActive {
			out = append(out, ae.acct)
		}
	}
	return out
}

// Orphans returns the members whose organization the directory does not
// have: left behind when it was deleted while they were being added.
func (d *Directory) Orphans() []Account {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Account
	for _, ae := range d.accounts {
		if ae.acct.Role.Member() {
			if _, ok := d.orgs[ae.acct.OrgID]; !ok {
				out = append(out, ae.acct)
			}
		}
	}
	return out
}
