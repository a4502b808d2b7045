package org

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/document"
)

// Store keeps organizations, operators and tenant collections. Every write
// goes to the store first and then into the Directory the store was given,
// so the directory never shows what the store does not hold.
//
// Uniqueness of slugs and emails is the store's to enforce (two daemons on
// one database may race), and so is crash safety: a multi-step change is
// written as an intent first and finished or rolled back by reconcile.
//
// Errors are *Error where the caller can act on them: ECONFLICT for a taken
// slug or email (Field and Existing say which), ENOTFOUND, and errors that
// wrap ErrUnavailable when the store cannot be reached.
type Store interface {
	// Kind is "embedded" or "mongodb".
	Kind() string

	// CreateOrganization stores o, whose ID, Slug, Collection, AdminID and
	// PasswordHash are set, claims its slug and admin email, and creates its
	// collection. It returns the organization as stored, active.
	CreateOrganization(ctx context.Context, o Organization) (Organization, error)

	// UpdateOrganization applies c to the active organization with id,
	// renaming its collection when its slug changes.
	UpdateOrganization(ctx context.Context, id string, c Change) (Organization, error)

	// DeleteOrganization drops the organization's collection and forgets it
	// and its admin.
	DeleteOrganization(ctx context.Context, id string) error

	// CollectionStats reports the figures of a tenant collection.
	CollectionStats(ctx context.Context, collection string) (Stats, error)

	// CreateOperator stores a new operator. With first set it succeeds only
	// while no operator has ever been created through it (auth.bootstrap);
	// otherwise EFORBIDDEN.
	CreateOperator(ctx context.Context, op Operator, first bool) (Operator, error)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error

	// Audit records what an account did. It is best effort: a failure is
	// logged, never returned to the caller of the change.
	Audit(ctx context.Context, e AuditEntry)

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
	AdminEmail string
	// PasswordHash replaces the admin's password and moves the credential
	// version on, which revokes the admin's tokens.
	PasswordHash []byte
}

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	At     time.Time
	Actor  string // account id
	Role   Role
	Action string // "org.create", "org.rename", ...
	OrgID  string
	Detail string
}
