// Package org holds the domain of orgd: organizations, accounts and roles,
// the rules for names, the in-memory directory, and the Service that decides
// who may do what. It knows nothing of MongoDB or JSON-RPC.
package org

import "time"

// State is where an organization is in its life. Anything but StateActive is
// an intent that a crash may have left half-done; the store's reconcile
// finishes it or rolls it back.
type State string

// The states of an organization (and of an operator, which uses only
// provisioning and active).
const (
	StateActive       State = "active"
	StateProvisioning State = "provisioning" // being created
	StateRenaming     State = "renaming"     // name (and so slug and collection) changing
	StateUpdating     State = "updating"     // admin email changing, name's slug unchanged
	StateDeleting     State = "deleting"     // being deleted
)

// Role is what an account may do.
type Role string

// The roles.
const (
	RoleOperator Role = "operator" // a platform account: any organization
	RoleAdmin    Role = "admin"    // the admin of one organization
)

// Organization is a tenant: its metadata and the collection that holds its
// data. PasswordHash is the admin's bcrypt hash and never leaves orgd.
type Organization struct {
	ID         string
	Name       string
	Slug       string
	Collection string
	AdminID    string
	AdminEmail string
	State      State
	CreatedAt  time.Time
	UpdatedAt  time.Time

	PasswordHash []byte
	// CredVersion grows with every password change; tokens carry the
	// version they were issued under and stop working when it moves on.
	CredVersion int64
	// Rev grows with every write to the organization, so that the directory
	// can ignore a copy older than the one it has.
	Rev int64
	// Pending holds the target of an unfinished rename or email change.
	Pending *Pending
	// IntentOwner is the daemon instance that started the pending intent.
	IntentOwner string
	IntentAt    time.Time
}

// Pending is the far side of a rename or email change: the values the
// organization will have once the change is finished.
type Pending struct {
	Name       string
	Slug       string
	Collection string
	AdminEmail string
	// Committed is set once every new claim is held and the collection has
	// its new name: from then on reconcile rolls forward, before it back.
	Committed bool
}

// Operator is a platform account.
type Operator struct {
	ID           string
	Email        string
	State        State
	PasswordHash []byte
	CredVersion  int64
	Rev          int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	IntentOwner  string
	IntentAt     time.Time
}

// Account is anyone who can log in: an operator, or the admin of an
// organization.
type Account struct {
	ID           string
	Email        string
	Role         Role
	OrgID        string // for admins
	PasswordHash []byte
	CredVersion  int64
}

// Stats are a tenant collection's figures, as the store reports them
// (never by counting documents).
type Stats struct {
	Documents int64
	SizeBytes int64
	Indexes   int64
}

// OrganizationCreate is what it takes to create an organization.
type OrganizationCreate struct {
	Name          string
	AdminEmail    string
	AdminPassword string
}

// OrganizationUpdate changes an organization; nil fields stay as they are.
type OrganizationUpdate struct {
	Name          *string
	AdminEmail    *string
	AdminPassword *string
}

// OrganizationFilter selects a page of organizations.
type OrganizationFilter struct {
	// Query matches a case-insensitive substring of name, slug or admin email.
	Query string
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
	OrgID     string // admins only
	OrgName   string // admins only
}

// Principal is the caller of a request, as its token proves.
type Principal struct {
	AccountID string
	Email     string
	Role      Role
	OrgID     string // admins only
	ExpiresAt time.Time
}

// CanSee reports whether p may see the organization with id orgID.
func (p *Principal) CanSee(orgID string) bool {
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
