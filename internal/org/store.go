package org

import (
	"context"
	"time"
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
