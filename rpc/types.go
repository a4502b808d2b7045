// Package rpc is orgd's public JSON-RPC 2.0 contract: method names, the
// params and results of every method, error codes, the OpenRPC document's
// types, and a typed Client that other Go programs can import.
//
// Framing is one JSON object per line on every listener, so
//
//	echo '{"jsonrpc":"2.0","id":1,"method":"system.health"}' | socat - UNIX-CONNECT:/run/orgd/orgd.sock
//
// works. Authenticated methods take the token as params.token.
package rpc

import "time"

// Method names.
const (
	MethodAuthLogin     = "auth.login"
	MethodAuthWhoami    = "auth.whoami"
	MethodAuthBootstrap = "auth.bootstrap"
	MethodOrgCreate     = "org.create"
	MethodOrgGet        = "org.get"
	MethodOrgList       = "org.list"
	MethodOrgUpdate     = "org.update"
	MethodOrgDelete     = "org.delete"
	MethodOrgStats      = "org.stats"
	MethodOrgSubscribe  = "org.subscribe"
	MethodOrgSuspend    = "org.suspend"
	MethodOrgResume     = "org.resume"
	MethodSystemHealth  = "system.health"
	MethodRPCDiscover   = "rpc.discover"

	// NotificationOrgEvent is the notification a subscriber receives; its
	// params are an OrgEvent.
	NotificationOrgEvent = "org.event"
)

// Roles.
const (
	RoleOperator = "operator" // a platform account: every organization
	RoleAdmin    = "admin"    // manages one organization and its members
	RoleViewer   = "viewer"   // reads one organization
)

// Organization states. Anything but StateActive is a change under way.
const (
	StateActive       = "active"
	StateProvisioning = "provisioning"
	StateRenaming     = "renaming"
	StateUpdating     = "updating"
	StateDeleting     = "deleting"
	// StateSuspended is not a change under way: the organization is kept
	// as it is, and its members are refused, until org.resume.
	StateSuspended = "suspended"
)

// Event types of OrgEvent.
const (
	EventCreated = "created"
	EventUpdated = "updated"
	EventRenamed = "renamed"
	EventDeleted = "deleted"
)

// Organization is a tenant as the API shows it. Times are RFC 3339, UTC.
type Organization struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Slug       string `json:"slug"`
	Collection string `json:"collection"`
	AdminEmail string `json:"admin_email" doc:"the oldest admin's email"`
	// Admins are the admins' emails, oldest first.
	Admins []string `json:"admins" doc:"the admins' emails, oldest first"`
	// Members counts every member: admins and viewers.
	Members int               `json:"members" doc:"how many members (admins and viewers) the organization has"`
	Labels  map[string]string `json:"labels" doc:"key/value labels; org.list selects by them"`
	State   string            `json:"state" doc:"active, suspended, or a change under way: provisioning, renaming, updating, deleting"`
	// SuspendedAt and SuspendReason are set while the organization is
	// suspended.
	SuspendedAt   *time.Time `json:"suspended_at,omitempty" doc:"when it was suspended; only while suspended"`
	SuspendReason string     `json:"suspend_reason,omitempty" doc:"why it was suspended, as the operator said; only while suspended"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// OrgRef names an organization in results about accounts.
type OrgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// LoginParams are the params of auth.login and auth.bootstrap.
type LoginParams struct {
	Email    string `json:"email" doc:"the account's email, compared case-insensitively"`
	Password string `json:"password" doc:"8–72 bytes"`
}

// Session is the result of auth.login and auth.bootstrap.
type Session struct {
	Token     string    `json:"token" doc:"a JWT (EdDSA); pass it as params.token"`
	TokenType string    `json:"token_type" doc:"always \"Bearer\""`
	ExpiresAt time.Time `json:"expires_at"`
	Role      string    `json:"role" doc:"operator, admin or viewer"`
	Org       *OrgRef   `json:"org" doc:"the member's organization; null for an operator"`
}

// TokenParams are the params of methods that take only a token.
type TokenParams struct {
	Token string `json:"token" doc:"from auth.login"`
}

// Whoami is the result of auth.whoami.
type Whoami struct {
	ID    string  `json:"id" doc:"the account id"`
	Email string  `json:"email"`
	Role  string  `json:"role" doc:"operator, admin or viewer"`
	Org   *OrgRef `json:"org" doc:"the member's organization; null for an operator"`
}

// OrgCreateParams are the params of org.create.
type OrgCreateParams struct {
	Token         string            `json:"token,omitempty" doc:"an operator's token; may be omitted when orgd runs with --allow-signup"`
	Name          string            `json:"name" doc:"1–64 printable characters, no leading or trailing space"`
	AdminEmail    string            `json:"admin_email" doc:"the organization admin's email, unique across all accounts"`
	AdminPassword string            `json:"admin_password" doc:"8–72 bytes"`
	Labels        map[string]string `json:"labels,omitempty" doc:"at most 32; keys as Kubernetes label keys (a name of at most 63 characters, with an optional DNS prefix and /), values at most 256 bytes"`
}

// OrgNameParams are the params of org.get, org.stats and org.resume.
type OrgNameParams struct {
	Token string `json:"token" doc:"from auth.login"`
	Name  string `json:"name" doc:"the organization's name or slug"`
}

// OrgListParams are the params of org.list.
type OrgListParams struct {
	Token string `json:"token" doc:"from auth.login"`
	Query string `json:"query,omitempty" doc:"a case-insensitive substring of the name, slug or an admin's email"`
	// Selector selects by labels: "env=prod,tier!=free,team,!legacy",
	// every term ANDed.
	Selector string `json:"selector,omitempty" doc:"labels to select by, ANDed: key=value, key!=value, key (has the label), !key (has not)"`
	Limit    int    `json:"limit,omitempty" doc:"page size, 1–500; 50 when omitted"`
	Cursor   string `json:"cursor,omitempty" doc:"next_cursor of the previous page"`
}

// OrgList is the result of org.list.
type OrgList struct {
	Items      []Organization `json:"items" doc:"sorted by name, case-insensitively, then by id"`
	NextCursor string         `json:"next_cursor" doc:"pass as cursor for the next page; empty on the last page"`
	Total      int            `json:"total" doc:"every organization the query matches, on all pages"`
}

// OrgUpdateParams are the params of org.update. Omitted fields stay as they
// are.
type OrgUpdateParams struct {
	Token         string  `json:"token" doc:"from auth.login"`
	Name          string  `json:"name" doc:"the organization's current name or slug"`
	NewName       *string `json:"new_name,omitempty" doc:"renames the organization, its slug and its collection"`
	AdminEmail    *string `json:"admin_email,omitempty" doc:"a new email for the oldest admin"`
	AdminPassword *string `json:"admin_password,omitempty" doc:"a new password for the oldest admin, 8–72 bytes; revokes the admin's tokens"`
	// Labels replaces every label; nil (omitted or null) leaves them.
	Labels *map[string]string `json:"labels,omitempty" doc:"replaces every label ({} removes them all); null or omitted leaves them as they are"`
}

// OrgSuspendParams are the params of org.suspend.
type OrgSuspendParams struct {
	Token  string `json:"token" doc:"an operator's token"`
	Name   string `json:"name" doc:"the organization's name or slug"`
	Reason string `json:"reason,omitempty" doc:"why, for the people who see it: at most 256 characters"`
}

// OrgDeleteParams are the params of org.delete.
type OrgDeleteParams struct {
	Token   string `json:"token" doc:"from auth.login"`
	Name    string `json:"name" doc:"the organization's name or slug"`
	Confirm string `json:"confirm" doc:"must equal name"`
}

// Deleted is the result of org.delete.
type Deleted struct {
	Deleted bool `json:"deleted"`
}

// OrgStats is the result of org.stats: the collection's figures as the
// store reports them.
type OrgStats struct {
	Documents int64 `json:"documents"`
	SizeBytes int64 `json:"size_bytes"`
	Indexes   int64 `json:"indexes"`
}

// Subscribed is the result of org.subscribe.
type Subscribed struct {
	Subscribed bool `json:"subscribed"`
}

// OrgEvent is the params of an org.event notification.
type OrgEvent struct {
	Type         string       `json:"type" doc:"created, updated (suspension, resumption and member changes too), renamed or deleted"`
	Organization Organization `json:"organization"`
}

// HealthParams are the (empty) params of system.health.
type HealthParams struct{}

// Health is the result of system.health. It answers at once from the last
// probe of the store (every second), never waiting on a store that is down.
type Health struct {
	Status     string      `json:"status" doc:"ok; degraded when the store cannot be reached; busy while requests are being refused (-32053)"`
	Version    string      `json:"version"`
	UptimeS    int64       `json:"uptime_s"`
	Store      StoreHealth `json:"store"`
	Tenants    int         `json:"tenants"`
	MaxTenants int         `json:"max_tenants" doc:"0 means no limit"`
	Queue      QueueHealth `json:"queue"`
}

// QueueHealth is the store work admitted and waiting (SPEC §10).
type QueueHealth struct {
	Inflight int `json:"inflight" doc:"requests doing store work now (at most --max-store-inflight)"`
	Waiting  int `json:"waiting" doc:"requests waiting for their turn (each at most --store-queue-timeout)"`
}

// StoreHealth is the store part of Health.
type StoreHealth struct {
	Kind      string  `json:"kind" doc:"embedded or mongodb"`
	OK        bool    `json:"ok"`
	LatencyMS float64 `json:"latency_ms" doc:"round trip of the last probe"`
	// Capacity is the embedded store's tested capacity; nil on MongoDB.
	Capacity *StoreCapacity `json:"capacity,omitempty" doc:"embedded store only: the largest store measured (docs/operations.md, Capacity)"`
}

// StoreCapacity is the largest embedded store measured by make bench
// (SPEC §11): past it, nothing was measured, and a MongoDB is the way on.
type StoreCapacity struct {
	TestedTenants   int   `json:"tested_tenants" doc:"organizations in the largest store measured"`
	TestedDocuments int64 `json:"tested_documents" doc:"the most documents one organization held"`
	TestedSizeBytes int64 `json:"tested_size_bytes" doc:"the size of that store's files"`
}

// DiscoverParams are the (empty) params of rpc.discover.
type DiscoverParams struct{}

// Methods returns the name of every method orgd serves, in the order
// rpc.discover lists them; shell completion offers them.
func Methods() []string {
	return []string{
		MethodAuthLogin, MethodAuthWhoami, MethodAuthBootstrap,
		MethodOrgCreate, MethodOrgGet, MethodOrgList, MethodOrgUpdate, MethodOrgDelete, MethodOrgStats,
		MethodOrgSuspend, MethodOrgResume, MethodOrgSubscribe,
		MethodAuthPassword, MethodAuthLogout,
		MethodOperatorList, MethodOperatorCreate, MethodOperatorUpdate, MethodOperatorDelete,
		MethodMemberList, MethodMemberAdd, MethodMemberUpdate, MethodMemberRemove,
		MethodAuthKeysAdd, MethodAuthKeysList, MethodAuthKeysRemove,
		MethodDataInsert, MethodDataFind, MethodDataCount, MethodDataUpdate, MethodDataDelete,
		MethodDataIndexesList, MethodDataIndexesCreate, MethodDataIndexesDrop,
		MethodAuditList,
		MethodSystemHealth, MethodRPCDiscover,
	}
}

// TakesToken reports whether method takes params.token: every method but
// auth.login, auth.bootstrap, system.health and rpc.discover. (org.create
// takes one, but may go without under --allow-signup.)
func TakesToken(method string) bool {
	switch method {
	case MethodAuthLogin, MethodAuthBootstrap, MethodSystemHealth, MethodRPCDiscover:
		return false
	}
	return true
}
