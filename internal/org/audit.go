package org

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The audit trail (SPEC §10): every change an account makes, with who made
// it, from where, and the organization's name at the time, so that the
// entries of a renamed or deleted organization still read as they did.
// Operators read all of it; an organization's admins read its entries;
// viewers read none. The store keeps it newest first and pages it with an
// opaque cursor; a filter that matches few entries is answered a part at a
// time (see AuditPage), so that no call reads the whole trail.

// AuditFilter is what audit.list asks for.
type AuditFilter struct {
	// Org selects one organization's entries: the name or slug of an
	// organization that exists selects all of its entries, under every
	// name it had; anything else selects the entries recorded under that
	// name (compared by slug) or with that organization id, which is how
	// the entries of a deleted organization are found. An admin's filter
	// is always their own organization.
	Org string
	// Actor selects the entries of the account with this email
	// (case-insensitively).
	Actor string
	// Action selects one action ("member.add"), or, ending in ".", every
	// action it begins ("member.").
	Action string
	// Since and Until select the entries at or after Since and before
	// Until; zero times do not bound.
	Since, Until time.Time
	// Limit is the page size: 1–500, 50 when zero.
	Limit int
	// Cursor continues from where an earlier page stopped.
	Cursor string
}

// AuditQuery is an AuditFilter resolved against the directory: what the
// store selects by. Match says whether an entry belongs; the store walks
// the trail newest first and uses Since and Until to know where to start
// and where to stop.
type AuditQuery struct {
	// OrgID, when set, selects the entries of this organization id.
	OrgID string
	// OrgSlug, when set (and OrgID is not), selects the entries whose
	// recorded organization name has this slug, or whose organization id
	// is OrgRef.
	OrgSlug, OrgRef string
	// ActorEmail (lower-cased) and ActorID select the entries of one
	// account: by the email recorded, or, for entries an earlier orgd
	// wrote without one, by its account id.
	ActorEmail, ActorID string
	// Action is an exact action, or with ActionPrefix set a prefix.
	Action       string
	ActionPrefix bool
	Since, Until time.Time
	// Limit is the page size, 1–500.
	Limit  int
	Cursor string
}

// Filtered reports whether q selects by anything but time: the store
// then may have to read many entries for a page.
func (q AuditQuery) Filtered() bool {
	return q.OrgID != "" || q.OrgSlug != "" || q.OrgRef != "" || q.ActorEmail != "" || q.ActorID != "" || q.Action != ""
}

// Match reports whether e is one of the entries q selects.
func (q AuditQuery) Match(e AuditEntry) bool {
	switch {
	case !q.Since.IsZero() && e.At.Before(q.Since):
		return false
	case !q.Until.IsZero() && !e.At.Before(q.Until):
		return false
	case q.Action != "" && !q.ActionPrefix && e.Action != q.Action:
		return false
	case q.Action != "" && q.ActionPrefix && !strings.HasPrefix(e.Action, q.Action):
		return false
	case q.OrgID != "" && e.OrgID != q.OrgID:
		return false
	case q.OrgID == "" && (q.OrgSlug != "" || q.OrgRef != "") && !q.matchOrgName(e):
		return false
	case q.ActorEmail != "" || q.ActorID != "":
		if e.ActorEmail != "" {
			return EmailKey(e.ActorEmail) == q.ActorEmail
		}
		return q.ActorID != "" && e.Actor == q.ActorID
	}
	return true
}

func (q AuditQuery) matchOrgName(e AuditEntry) bool {
	if q.OrgRef != "" && e.OrgID == q.OrgRef {
		return true
	}
	if q.OrgSlug == "" || e.OrgName == "" {
		return false
	}
	slug, err := Slug(e.OrgName)
	return err == nil && slug == q.OrgSlug
}

// AuditPage is one page of the audit trail, newest first.
type AuditPage struct {
	Items []AuditEntry
	// NextCursor continues after the entries examined so far; empty once
	// the trail (or the time range) is exhausted. With a filter, a page
	// may hold fewer than Limit entries, even none, while NextCursor is
	// set: the store reads a bounded number of entries per call.
	NextCursor string
}

// MaxActionBytes bounds the action filter.
const MaxActionBytes = 64

// ListAudit returns a page of the audit trail, newest first, as p may see
// it: an operator all of it, an admin their organization's entries (an
// Org naming any other organization gets ENOTFOUND, as one that does not
// exist), a viewer nothing (EFORBIDDEN). Entries that an earlier orgd
// wrote without the actor's email or the organization's name get those
// of the account and the organization as they are now, when they still
// exist.
func (s *Service) ListAudit(ctx context.Context, p *Principal, f AuditFilter) (AuditPage, error) {
	if p.Role != RoleOperator && p.Role != RoleAdmin {
		return AuditPage{}, errForbidden("only operators and admins may read the audit trail")
	}
	q, err := s.auditQuery(p, f)
	if err != nil {
		return AuditPage{}, err
	}
	page, err := s.store.ListAudit(ctx, q)
	if err != nil {
		return AuditPage{}, err
	}
	for i := range page.Items {
		e := &page.Items[i]
		if e.ActorEmail == "" && e.Actor != "" {
			if a, ok := s.dir.Account(e.Actor); ok {
				e.ActorEmail = a.Email
			}
		}
		if e.OrgName == "" && e.OrgID != "" {
			e.OrgName = s.orgName(e.OrgID)
		}
	}
	return page, nil
}

// auditQuery checks f and resolves it for p.
func (s *Service) auditQuery(p *Principal, f AuditFilter) (AuditQuery, error) {
	q := AuditQuery{Since: f.Since.UTC(), Until: f.Until.UTC(), Limit: f.Limit, Cursor: f.Cursor}
	switch {
	case f.Limit < 0 || f.Limit > MaxPageSize:
		return q, Invalidf("limit", "out_of_range", "limit must be 1–%d", MaxPageSize)
	case f.Limit == 0:
		q.Limit = DefaultPageSize
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return q, Invalidf("until", "before_since", "until must be after since")
	}
	if f.Action != "" {
		if len(f.Action) > MaxActionBytes || !printable(f.Action) {
			return q, Invalidf("action", "invalid", "action is at most %d bytes of printable text, e.g. member.add, or member. for every member action", MaxActionBytes)
		}
		q.Action, q.ActionPrefix = f.Action, strings.HasSuffix(f.Action, ".")
	}
	if f.Actor != "" {
		if len(f.Actor) > MaxEmailBytes || !printable(f.Actor) {
			return q, Invalidf("actor", "invalid", "actor is an account's email")
		}
		q.ActorEmail = EmailKey(f.Actor)
		if a, ok := s.dir.AccountByEmail(f.Actor); ok {
			q.ActorID = a.ID
		}
	}
	if p.Role != RoleOperator {
		// An admin reads their own organization's entries, named or not.
		if f.Org != "" && !s.namesOrg(f.Org, p.OrgID) {
			return q, errNotFound(f.Org)
		}
		q.OrgID = p.OrgID
		return q, nil
	}
	if f.Org != "" {
		if !printable(f.Org) || utf8.RuneCountInString(f.Org) > MaxNameRunes {
			return q, Invalidf("org", "invalid", "org is an organization's name, slug or id")
		}
		if o, ok := s.dir.OrganizationByName(f.Org); ok {
			q.OrgID = o.ID
		} else {
			q.OrgSlug, _ = Slug(f.Org)
			q.OrgRef = f.Org
		}
	}
	return q, nil
}

// namesOrg reports whether name is the name, slug or id of the
// organization with id.
func (s *Service) namesOrg(name, id string) bool {
	if name == id {
		return true
	}
	o, ok := s.dir.OrganizationByName(name)
	return ok && o.ID == id
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// String describes e on one line, for logs and tests; it holds no secret,
// since an entry has none.
func (e AuditEntry) String() string {
	return fmt.Sprintf("%s %s %s by %s on %q", e.At.Format(time.RFC3339), e.ID, e.Action, e.ActorEmail, e.OrgName)
}
