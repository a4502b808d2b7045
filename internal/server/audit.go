package server

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// auditRoutes are the methods on the audit trail (SPEC §10).
func (s *Server) auditRoutes() []route {
	return []route{
		method(rpc.MethodAuditList, "Read the audit trail, newest first, a page at a time.", s.auditList).
			describedAs("Operators read every entry; an organization's admins read its entries (an org naming another organization gets -32004); "+
				"viewers none (-32003). Entries keep the organization's name at the time, so those of renamed and deleted organizations read as they did. "+
				"Filters: org, actor (email), action (exact, or a prefix ending in .), since and until (RFC 3339), all ANDed. "+
				"A call reads at most a few hundred entries from the store: with filters, a page may be short or empty while next_cursor goes on. "+
				"The cursor is a position in the trail, valid while entries are added and expire; entries older than --audit-retention are deleted.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
	}
}

func (s *Server) auditList(ctx context.Context, c *call, p *rpc.AuditListParams) (rpc.AuditList, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.AuditList{}, err
	}
	f := org.AuditFilter{Org: p.Org, Actor: p.Actor, Action: p.Action, Limit: p.Limit, Cursor: p.Cursor}
	if f.Since, err = parseTime("since", p.Since); err != nil {
		return rpc.AuditList{}, err
	}
	if f.Until, err = parseTime("until", p.Until); err != nil {
		return rpc.AuditList{}, err
	}
	page, err := s.svc.ListAudit(ctx, who, f)
	if err != nil {
		return rpc.AuditList{}, err
	}
	out := rpc.AuditList{Items: make([]rpc.AuditEntry, len(page.Items)), NextCursor: page.NextCursor}
	for i, e := range page.Items {
		out.Items[i] = rpc.AuditEntry{
			ID: e.ID, At: e.At.UTC(), Actor: e.ActorEmail, Role: string(e.Role), Action: e.Action,
			OrgID: e.OrgID, OrgName: e.OrgName, Detail: e.Detail, Peer: e.Peer, Target: e.Target,
		}
	}
	return out, nil
}

// parseTime reads an RFC 3339 time param; empty is the zero time.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, org.Invalidf(field, "not_rfc3339", "%s must be an RFC 3339 time, e.g. 2026-03-14T09:30:00Z", field)
	}
	return t, nil
}
