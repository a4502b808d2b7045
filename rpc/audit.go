package rpc

import (
	"context"
	"time"
)

// MethodAuditList reads the audit trail (SPEC §10).
const MethodAuditList = "audit.list"

// AuditEntry is one line of the audit trail: who did what, to which
// organization, when and from where. It never holds a password, a hash or
// a token. Times are RFC 3339, UTC.
type AuditEntry struct {
	// ID is the entry's id: 16 hex digits that grow with every entry, or
	// for entries an earlier orgd wrote 24 (an ObjectId). An extra of
	// orgd's, beyond SPEC §10's fields.
	ID     string    `json:"id" doc:"the entry's id (an extra of orgd's): 16 hex digits growing with each entry, or 24 for entries of an orgd before audit.list"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor" doc:"the email of the account that acted; empty for orgd itself and for signups"`
	Role   string    `json:"role" doc:"the actor's role then: operator, admin or viewer"`
	Action string    `json:"action" doc:"what was done: org.create, org.rename, member.add, auth.keys.add, …"`
	OrgID  string    `json:"org_id" doc:"the organization acted on; empty when none was (operators, one's own keys as an operator)"`
	// OrgName is the organization's name when the entry was written, so
	// entries of renamed and deleted organizations read as they did.
	OrgName string `json:"org_name" doc:"the organization's name at the time: entries of renamed and deleted organizations keep it"`
	Detail  string `json:"detail" doc:"what changed, e.g. \"Beta -> Beta Renamed\", \"role viewer\", a key's fingerprint"`
	Peer    string `json:"peer" doc:"where the request came from: uid:N on the Unix socket, ip:ADDR over TCP and SSH, local for orgd operator create"`
	// Target is an extra of orgd's, beyond SPEC §10's fields.
	Target string `json:"target" doc:"the email of the account acted on, if any (an extra of orgd's)"`
}

// AuditListParams are the params of audit.list.
type AuditListParams struct {
	Token  string `json:"token" doc:"an operator's, or an admin's (who reads their organization's entries)"`
	Org    string `json:"org,omitempty" doc:"an organization: the name or slug of one that exists selects all its entries, under every name it had; any other text selects the entries recorded under that name, or with that id (deleted organizations)"`
	Actor  string `json:"actor,omitempty" doc:"the email of the account that acted, case-insensitively"`
	Action string `json:"action,omitempty" doc:"one action (member.add), or ending in . every action it begins (member.)"`
	Since  string `json:"since,omitempty" doc:"RFC 3339: entries at or after this time"`
	Until  string `json:"until,omitempty" doc:"RFC 3339: entries before this time"`
	Limit  int    `json:"limit,omitempty" doc:"page size, 1–500; 50 when omitted"`
	Cursor string `json:"cursor,omitempty" doc:"next_cursor of the previous page"`
}

// AuditList is the result of audit.list.
type AuditList struct {
	Items []AuditEntry `json:"items" doc:"newest first"`
	// NextCursor continues where the reading stopped. A call reads a
	// bounded number of entries, so with a filter a page may hold fewer
	// than limit entries, even none, and still have a next_cursor.
	NextCursor string `json:"next_cursor" doc:"pass as cursor to go on; empty once every entry was read. With filters a page may be short, even empty, while there is more"`
}

// ListAudit calls audit.list.
func (c *Client) ListAudit(ctx context.Context, p AuditListParams) (*AuditList, error) {
	var l AuditList
	return &l, c.Call(ctx, MethodAuditList, p, &l)
}
