package org

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/document"
)

// Store keeps organizations, accounts and tenant collections. Every write
// goes to the store first and then into the Directory the store was given,
// so the directory never shows what the store does not hold.
//
// Uniqueness of slugs and emails is the store's to enforce (two daemons on
// one database may race), and so is keeping one operator and one admin of
// every organization; and so is crash safety: a multi-step change is
// written as an intent first and finished or rolled back by reconcile.
//
// Errors are *Error where the caller can act on them: ECONFLICT for a taken
// slug or email (Field and Existing say which), for the last operator or
// admin (Reason ReasonLastOperator, ReasonLastAdmin) and for a change under
// way (Reason "busy"); ENOTFOUND; ESUSPENDED; and errors that wrap
// ErrUnavailable when the store cannot be reached.
type Store interface {
	// Kind is "embedded" or "mongodb".
	Kind() string

	// CreateOrganization stores o, whose ID, Slug and Collection are set,
	// with admin, its first admin, whose ID, Email, PasswordHash and
	// CredVersion are set; claims o's slug and the admin's email; and
	// creates o's collection. It returns the organization as stored,
	// active.
	CreateOrganization(ctx context.Context, o Organization, admin Account) (Organization, error)

	// UpdateOrganization applies c to the active organization with id,
	// renaming its collection when its slug changes.
	UpdateOrganization(ctx context.Context, id string, c Change) (Organization, error)

	// SuspendOrganization suspends the active organization with id, in
	// one write; ResumeOrganization makes a suspended one active again.
	SuspendOrganization(ctx context.Context, id string, at time.Time, reason string) (Organization, error)
	ResumeOrganization(ctx context.Context, id string) (Organization, error)

	// DeleteOrganization drops the organization's collection and forgets
	// it and its members.
	DeleteOrganization(ctx context.Context, id string) error

	// OrganizationStats reports the figures of the collection of the
	// organization with id, wherever it lives.
	OrganizationStats(ctx context.Context, id string) (Stats, error)

	// CreateAccount stores a new account, whose ID, Email, Role, OrgID
	// (members), PasswordHash and CredVersion are set, and claims its
	// email. With first set (an operator's, for auth.bootstrap) it
	// succeeds only while no operator has ever been created; EFORBIDDEN
	// otherwise. A member's organization must be active.
	CreateAccount(ctx context.Context, a Account, first bool) (Account, error)

	// UpdateAccount applies c to the account with id. A change of
	// password or role, or c.Revoke, moves the credential version on,
	// which revokes the account's tokens. Demoting an organization's last
	// admin is ECONFLICT with Reason ReasonLastAdmin.
	UpdateAccount(ctx context.Context, id string, c AccountChange) (Account, error)

	// RemoveAccount removes the account with id and releases its email;
	// its tokens stop working at once. Removing the last operator, or an
	// organization's last admin, is ECONFLICT with Reason
	// ReasonLastOperator or ReasonLastAdmin.
	RemoveAccount(ctx context.Context, id string) error

	// RevokeToken refuses the token with id jti from now until it expires,
	// on every daemon sharing the store.
	RevokeToken(ctx context.Context, jti, accountID string, expires time.Time) error

	// TouchLogin records that the account logged in at at. It is best
	// effort and never waits on the store: the directory has it at once,
	// the store soon after.
	TouchLogin(id string, at time.Time)

	// AddKey registers an SSH public key, whose every field but
	// LastUsedAt is set, to its account. ECONFLICT with Field public_key
	// when its fingerprint is registered already, to anyone.
	AddKey(ctx context.Context, k Key) (Key, error)

	// RemoveKey removes the key with fingerprint; ENOTFOUND when there is
	// none. RemoveAccount removes an account's keys too.
	RemoveKey(ctx context.Context, fingerprint string) error

	// TouchKey records that the key logged in at at, as TouchLogin does.
	TouchKey(fingerprint string, at time.Time)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error

	// Audit records what an account did. It is best effort: a failure is
	// logged, never returned to the caller of the change.
	Audit(ctx context.Context, e AuditEntry)

	// ListAudit returns a page of the audit trail, newest first: the
	// entries q.Match selects, from q.Cursor on (the newest when empty).
	// It reads a bounded number of entries per call, so a page may come
	// back short with a NextCursor to go on from. EINVALID with Field
	// "cursor" for a cursor it did not give out.
	ListAudit(ctx context.Context, q AuditQuery) (AuditPage, error)

	DocumentStore
}

// DocumentStore keeps the documents of each organization in the
// organization's own collection. Every method takes the organization's id:
// the store finds its collection itself, and works on it only while the
// organization is active (ECONFLICT with Reason "busy" otherwise,
// ENOTFOUND once it is gone), so that no document lands in a collection a
// rename or delete has just moved away or dropped, and no collection is
// created by accident.
//
// Filters, projections, updates and documents reach the store checked by
// the Service. What the store itself refuses comes back as EINVALID (Field
// names the param at fault) or, for a duplicate key, as ECONFLICT with
// Reason "duplicate_key".
type DocumentStore interface {
	// InsertDocuments inserts docs in order, giving an ObjectId _id to
	// those without one, and returns every document's _id. When one fails,
	// those before it are in: the error's Field names it as documents[i].
	InsertDocuments(ctx context.Context, orgID string, docs []document.Document) ([]document.Value, error)

	// FindDocuments returns one page of documents. EINVALID with Field
	// "cursor" when the cursor is not one of this query's.
	FindDocuments(ctx context.Context, orgID string, q DocumentQuery) (DocumentPage, error)

	// CountDocuments counts the documents filter selects (all, when it is
	// the zero Document).
	CountDocuments(ctx context.Context, orgID string, filter document.Document) (int64, error)

	// UpdateDocuments applies an update or a replacement.
	UpdateDocuments(ctx context.Context, orgID string, u DocumentUpdate) (UpdateResult, error)

	// DeleteDocuments deletes the first document filter selects, or with
	// many all of them, and says how many it deleted.
	DeleteDocuments(ctx context.Context, orgID string, filter document.Document, many bool) (int64, error)

	// Indexes lists the indexes of the organization's collection.
	Indexes(ctx context.Context, orgID string) ([]Index, error)

	// CreateIndex creates an index and returns its name. ECONFLICT when an
	// index of those keys exists under another name, or when the documents
	// already break a unique one.
	CreateIndex(ctx context.Context, orgID string, ix Index) (string, error)

	// DropIndex drops the index called name; ENOTFOUND when there is none.
	DropIndex(ctx context.Context, orgID string, name string) error
}

// Change is what UpdateOrganization changes; zero fields stay.
type Change struct {
	// Name, Slug and Collection change together; when Slug differs from
	// the current one, the collection is renamed.
	Name       string
	Slug       string
	Collection string
	// Labels, when not nil, replaces every label.
	Labels *map[string]string
}

// AccountChange is what UpdateAccount changes; zero fields stay.
type AccountChange struct {
	// Email is a new email; it is claimed before it is used.
	Email string
	// PasswordHash replaces the password.
	PasswordHash []byte
	// Role is a member's new role, admin or viewer.
	Role Role
	// Revoke revokes every token of the account, changing nothing else.
	Revoke bool
}

// Reasons of the ECONFLICT that keeps the last of a kind of account.
const (
	ReasonLastOperator = "last_operator"
	ReasonLastAdmin    = "last_admin"
)

// AuditEntry is one line of the audit trail. It has no field for a
// password, a hash or a token.
type AuditEntry struct {
	// ID is the store's id of the entry, set when it is read back.
	ID string
	At time.Time
	// Actor is the account id of who did it, ActorEmail its email, Role
	// its role; empty for a change by orgd itself or by an anonymous
	// caller (signup).
	Actor      string
	ActorEmail string
	Role       Role
	Action     string // "org.create", "member.add", ...
	OrgID      string
	// OrgName is the organization's name at the time.
	OrgName string
	// Target is the email of the account the action was on, if any.
	Target string
	Detail string
	// Peer is the connection the request came on: "uid:1000", "ip:…".
	Peer string
}
