package remotetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/rpc"
)

// The audit trail (audit.list). The fake keeps one as orgd does: the
// changes it makes itself (organizations created, renamed, deleted,
// suspended, resumed) and those a test adds with AddAudit, numbered in
// the order they came. It serves them newest first, to operators all, to
// admins their organization's, to viewers none (-32003), with orgd's
// filters; with AuditScan set, a call examines at most that many entries,
// so that pages come back short with a cursor as they do from orgd.

// AddAudit appends entries to the trail, oldest first. An entry without
// an ID gets the next number; one without a time gets the fake's clock.
func (f *Fake) AddAudit(es ...rpc.AuditEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range es {
		f.appendAudit(e)
	}
}

// AuditEntries returns the trail, oldest first.
func (f *Fake) AuditEntries() []rpc.AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rpc.AuditEntry(nil), f.audit...)
}

// appendAudit appends e; f.mu is held.
func (f *Fake) appendAudit(e rpc.AuditEntry) {
	if e.ID == "" {
		e.ID = fmt.Sprintf("%016x", len(f.audit)+1)
	}
	if e.At.IsZero() {
		e.At = f.now()
	}
	f.audit = append(f.audit, e)
}

// record writes what c did to o into the trail; f.mu is held.
func (f *Fake) record(token, action string, o rpc.Organization, detail string) {
	c, err := f.caller(token)
	if err != nil {
		return
	}
	f.appendAudit(rpc.AuditEntry{Actor: c.Email, Role: c.Role, Action: action, OrgID: o.ID, OrgName: o.Name, Detail: detail, Peer: "uid:1000"})
}

// ListAudit serves audit.list. The cursor is the number of the next entry
// to examine.
func (f *Fake) ListAudit(_ context.Context, p rpc.AuditListParams) (*rpc.AuditList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodAuditList, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	if c.Role == rpc.RoleViewer {
		return nil, forbidden("only operators and admins may read the audit trail")
	}
	match, err := f.auditFilter(c, p)
	if err != nil {
		return nil, err
	}
	limit := p.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		return nil, invalid("limit", "out_of_range", "limit must be 1–500")
	}
	next := len(f.audit)
	if p.Cursor != "" {
		n, err := strconv.Atoi(p.Cursor)
		if err != nil || n < 0 || n > len(f.audit) {
			return nil, invalid("cursor", "malformed", "cursor is not one this server gave out")
		}
		next = n
	}
	out := &rpc.AuditList{Items: []rpc.AuditEntry{}}
	examined := 0
	for ; next > 0; next-- {
		if len(out.Items) == limit || (f.AuditScan > 0 && examined == f.AuditScan) {
			out.NextCursor = strconv.Itoa(next)
			break
		}
		examined++
		if e := f.audit[next-1]; match(e) {
			out.Items = append(out.Items, e)
		}
	}
	return out, nil
}

// auditFilter returns what selects the entries p asks c for.
func (f *Fake) auditFilter(c *account, p rpc.AuditListParams) (func(rpc.AuditEntry) bool, error) {
	var since, until time.Time
	for _, t := range []struct {
		field string
		text  string
		to    *time.Time
	}{{"since", p.Since, &since}, {"until", p.Until, &until}} {
		if t.text == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.text)
		if err != nil {
			return nil, invalid(t.field, "not_rfc3339", "%s must be an RFC 3339 time, e.g. 2026-03-14T09:30:00Z", t.field)
		}
		*t.to = v
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		return nil, invalid("until", "before_since", "until must be after since")
	}
	orgID, orgName := "", ""
	switch {
	case c.orgID != "":
		if p.Org != "" {
			if i := f.find(p.Org); p.Org != c.orgID && (i < 0 || f.Orgs[i].ID != c.orgID) {
				return nil, notFound(p.Org)
			}
		}
		orgID = c.orgID
	case p.Org != "":
		if i := f.find(p.Org); i >= 0 {
			orgID = f.Orgs[i].ID
		} else {
			orgName = p.Org
		}
	}
	return func(e rpc.AuditEntry) bool {
		switch {
		case orgID != "" && e.OrgID != orgID:
			return false
		case orgName != "" && !strings.EqualFold(e.OrgName, orgName) && e.OrgID != orgName:
			return false
		case p.Actor != "" && !strings.EqualFold(e.Actor, p.Actor):
			return false
		case p.Action != "" && strings.HasSuffix(p.Action, ".") && !strings.HasPrefix(e.Action, p.Action):
			return false
		case p.Action != "" && !strings.HasSuffix(p.Action, ".") && e.Action != p.Action:
			return false
		case !since.IsZero() && e.At.Before(since):
			return false
		case !until.IsZero() && !e.At.Before(until):
			return false
		}
		return true
	}, nil
}
