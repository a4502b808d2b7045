// Package org holds the domain of orgd: organizations, accounts and roles,
// the rules for names, the in-memory directory, and the Service that decides
// who may do what. It knows nothing of MongoDB or JSON-RPC.
package org

import "time"

// State is where an organization or an account is in its life. Every
// state but StateActive and StateSuspended is an intent that a crash may
// have left half-done; the store's reconcile finishes it or rolls it back.
type State string

// The states of organizations and accounts.
const (
	StateActive       State = "active"
	StateProvisioning State = "provisioning" // being created
	StateRenaming     State = "renaming"     // an organization's name (and so slug and collection) changing
	StateUpdating     State = "updating"     // an account's email changing
	StateDeleting     State = "deleting"     // an organization being deleted
	StateRemoving     State = "removing"     // an account being removed
	// StateSuspended is an organization an operator suspended: kept as it
	// is, its members refused, until it is resumed. It is not an intent.
	StateSuspended State = "suspended"
)

// Settled reports whether s is a state that no change is under way in.
func (s State) Settled() bool { return s == StateActive || s == StateSuspended }

// Role is what an account may do.
type Role string

// The roles.
const (
	RoleOperator Role = "operator" // a platform account: every organization and account
	RoleAdmin    Role = "admin"    // manages one organization, its data and its members
	RoleViewer   Role = "viewer"   // reads one organization and its data
)

// Member reports whether r is a role of an organization's member.
func (r Role) Member() bool { return r == RoleAdmin || r == RoleViewer }

// Organization is a tenant: its metadata and the collection that holds its
// data. Its accounts are records of their own (Account).
type Organization struct {
	ID         string
	Name       string
	Slug       string
	Collection string
	// Database is the database that holds Collection when it is not the
	// store's main one. A store that spreads its tenants over several
	// databases records each organization's here when it creates it; it
	// never changes after, a rename included.
	Database string
	State    State
	// Labels are key/value pairs org.list selects by; never nil when the
	// directory hands an organization out.
	Labels map[string]string
	// SuspendedAt and SuspendReason are set while State is StateSuspended.
	SuspendedAt   time.Time
	SuspendReason string
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// Admins are the emails of the organization's admins, oldest first,
	// and Members counts its members (admins and viewers). The directory
	// fills both from its accounts; the store never reads them.
	Admins  []string
	Members int

	// Rev grows with every write to the organization, so that the directory
	// can ignore a copy older than the one it has.
	Rev int64
	// Pending holds the target of an unfinished rename.
	Pending *Pending
	// IntentOwner is the daemon instance that started the pending intent.
	IntentOwner string
	IntentAt    time.Time
}

// AdminEmail is the email of the oldest admin, which the API keeps
// showing as admin_email.
func (o Organization) AdminEmail() string {
	if len(o.Admins) == 0 {
		return ""
	}
	return o.Admins[0]
}

// Pending is the far side of a rename: the values the organization will
// have once the change is finished.
type Pending struct {
	Name       string
	Slug       string
	Collection string
	// Committed is set once the new slug is claimed and the collection
	// has its new name: from then on reconcile rolls forward, before it
	// back.
	Committed bool
}

// Account is anyone who can log in: an operator, or a member (admin or
// viewer) of one organization. PasswordHash never leaves orgd.
type Account struct {
	ID    string
	Email string
	Role  Role
	// OrgID is the member's organization; empty for operators.
	OrgID        string
	State        State
	PasswordHash []byte
	// CredVersion grows with every password change, role change and
	// logout of every session; tokens carry the version they were issued
	// under and stop working when it moves on.
	CredVersion int64
	// Rev grows with every write to the account.
	Rev         int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time
	// PendingEmail is the target of an unfinished email change, and
	// EmailCommitted is set once it is claimed: reconcile then rolls
	// forward.
	PendingEmail   string
	EmailCommitted bool
	// IntentOwner is the daemon instance that started the pending intent.
	IntentOwner string
	IntentAt    time.Time
}

// CanLogIn reports whether the account's own state lets it log in (its
// organization's state is checked apart): an email change under way
// does not stop it.
func (a Account) CanLogIn() bool {
	return a.State == StateActive || a.State == StateUpdating
}

// Stats are a tenant collection's figures, as the store reports them
// (never by counting documents).
type Stats struct {
	Documents int64
	SizeBytes int64
	Indexes   int64
}

// OrganizationCreate is what it takes to create an organization: its
// name, labels, and first admin.
type OrganizationCreate struct {
	Name          string
	AdminEmail    string
	AdminPassword string
	Labels        map[string]string
}

// OrganizationUpdate changes an organization; nil fields stay as they are.
// AdminEmail and AdminPassword change the oldest admin's.
type OrganizationUpdate struct {
	Name          *string
	AdminEmail    *string
	AdminPassword *string
	// Labels replaces every label.
	Labels *map[string]string
}

// OrganizationFilter selects a page of organizations.
type OrganizationFilter struct {
	// Query matches a case-insensitive substring of name, slug or an
	// admin's email.
	Query string
	// Selector selects by labels: the text of ParseSelector.
	Selector string
	// Limit is the page size: 1–500, 50 when zero.
	Limit int
	// Cursor continues from the end of an earlier page.
	Cursor string
}

// Page limits of OrganizationFilter.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// OrganizationPage is one page of a listing.
type OrganizationPage struct {
	Items []Organization
	// NextCursor continues after the last item; empty on the last page.
	NextCursor string
	// Total counts every organization the query matches, on all pages.
	Total int
}

// Session is the result of a login: a signed token and who it is for.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Role      Role
	OrgID     string // members only
	OrgName   string // members only
}

// Principal is the caller of a request, as its token proves.
type Principal struct {
	AccountID string
	Email     string
	Role      Role
	OrgID     string // members only
	// TokenID is the token's jti, which auth.logout revokes.
	TokenID   string
	ExpiresAt time.Time
	// Peer names the connection the request came on (Peer.Key), for the
	// audit log; the transport sets it.
	Peer string
}

// CanSee reports whether p may see the organization with id orgID: an
// operator any, a member their own.
func (p *Principal) CanSee(orgID string) bool {
	return p.Role == RoleOperator || (p.Role.Member() && p.OrgID == orgID)
}

// CanManage reports whether p may change the organization with id orgID,
// its data and its members: an operator any, an admin their own.
func (p *Principal) CanManage(orgID string) bool {
	return p.Role == RoleOperator || (p.Role == RoleAdmin && p.OrgID == orgID)
}

// Peer is who is at the other end of a connection.
type Peer struct {
	// Key identifies the peer for throttling: "uid:1000" on a Unix socket,
	// "ip:192.0.2.7" on TCP.
	Key string
	// Trusted is true for a Unix-socket peer running as root or as orgd's
	// own user: only such a peer may call auth.bootstrap.
	Trusted bool
}

// EventType says what happened to an organization.
type EventType string

// The event types.
const (
	EventCreated EventType = "created"
	EventUpdated EventType = "updated"
	EventRenamed EventType = "renamed"
	EventDeleted EventType = "deleted"
)

// Event tells subscribers that an organization changed.
type Event struct {
	Type         EventType
	Organization Organization
}
