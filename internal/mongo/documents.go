package mongo

import (
	"maps"
	"slices"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// orgDoc is an organization as stored in the organizations collection.
type orgDoc struct {
	ID         string `bson:"_id"`
	Name       string `bson:"name"`
	Slug       string `bson:"slug"`
	Collection string `bson:"collection"`
	// Database holds Collection when it is not the main database; absent
	// in every document an earlier orgd wrote (see databases.go).
	Database      string      `bson:"database,omitempty"`
	Labels        []labelDoc  `bson:"labels,omitempty"`
	State         string      `bson:"state"`
	SuspendedAt   time.Time   `bson:"suspended_at,omitempty"`
	SuspendReason string      `bson:"suspend_reason,omitempty"`
	Rev           int64       `bson:"rev"`
	Pending       *pendingDoc `bson:"pending,omitempty"`
	IntentOwner   string      `bson:"intent_owner,omitempty"`
	IntentAt      time.Time   `bson:"intent_at,omitempty"`
	CreatedAt     time.Time   `bson:"created_at"`
	UpdatedAt     time.Time   `bson:"updated_at"`
	// Layout is the version of the document's layout: layoutAccounts for
	// every document this orgd writes, 0 for one an earlier orgd wrote,
	// which held the organization's one admin inside it (the legacy
	// fields below; see upgrade.go).
	Layout int `bson:"layout,omitempty"`
	// Founder is the first admin while the organization is being created:
	// rolling the create back removes that account, and its email's claim,
	// too.
	Founder *founderDoc `bson:"founder,omitempty"`
	// KeepCollection marks a create that found its collection already
	// there, from outside orgd: rolling it back must not drop it.
	KeepCollection bool `bson:"keep_collection,omitempty"`

	Legacy legacyAdmin `bson:",inline"`
}

// labelDoc is one label. Labels are stored as a list, not as a document
// keyed by them: a key may hold dots and slashes, which a stored field
// name may not everywhere (the embedded engine refuses dots).
type labelDoc struct {
	Key   string `bson:"k"`
	Value string `bson:"v"`
}

func toLabelDocs(labels map[string]string) []labelDoc {
	if len(labels) == 0 {
		return nil
	}
	out := make([]labelDoc, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		out = append(out, labelDoc{Key: k, Value: labels[k]})
	}
	return out
}

func fromLabelDocs(docs []labelDoc) map[string]string {
	if len(docs) == 0 {
		return nil
	}
	out := make(map[string]string, len(docs))
	for _, l := range docs {
		out[l.Key] = l.Value
	}
	return out
}

// founderDoc names an organization's first admin while it is created.
type founderDoc struct {
	ID    string `bson:"id"`
	Email string `bson:"email"`
}

// legacyAdmin is the admin an earlier orgd kept inside the organization's
// document, with its password hash and credential version; the upgrade
// moves it into an account of its own.
type legacyAdmin struct {
	AdminID      string `bson:"admin_id,omitempty"`
	AdminEmail   string `bson:"admin_email,omitempty"`
	PasswordHash []byte `bson:"password_hash,omitempty"`
	CredVersion  int64  `bson:"cred_version,omitempty"`
}

// layoutAccounts is the layout in which accounts are records of their own.
const layoutAccounts = 2

// legacy reports whether the document is in the layout of an earlier
// orgd, its admin inside it.
func (d *orgDoc) legacy() bool { return d.Layout < layoutAccounts }

type pendingDoc struct {
	Name       string `bson:"name"`
	Slug       string `bson:"slug"`
	Collection string `bson:"collection"`
	// AdminEmail is an earlier orgd's: it changed the admin's email
	// through the organization's document.
	AdminEmail string `bson:"admin_email,omitempty"`
	Committed  bool   `bson:"committed"`
}

// accountDoc is an account as stored in the operators collection
// (operators) or the members collection (members of organizations).
type accountDoc struct {
	ID    string `bson:"_id"`
	Email string `bson:"email"`
	// Role is admin or viewer for members; operators, whose documents an
	// earlier orgd wrote without it, have it empty or "operator".
	Role           string    `bson:"role,omitempty"`
	OrgID          string    `bson:"org_id,omitempty"`
	PasswordHash   []byte    `bson:"password_hash"`
	CredVersion    int64     `bson:"cred_version"`
	State          string    `bson:"state"`
	Rev            int64     `bson:"rev"`
	PendingEmail   string    `bson:"pending_email,omitempty"`
	EmailCommitted bool      `bson:"email_committed,omitempty"`
	IntentOwner    string    `bson:"intent_owner,omitempty"`
	IntentAt       time.Time `bson:"intent_at,omitempty"`
	CreatedAt      time.Time `bson:"created_at"`
	UpdatedAt      time.Time `bson:"updated_at"`
	// LastLoginAt is set by an import, or by an orgd that wrote logins
	// here; later logins are in the logins collection (loginDoc).
	LastLoginAt time.Time `bson:"last_login_at,omitempty"`
}

// loginDoc is when an account last logged in. It is a document of its
// own, never a field written into the account's: the embedded engine
// updates a document by reading it whole and writing it back whole, so a
// login time written into the account's document at the next tick could
// put back what a change of the account wrote in between (a password, a
// role, the credential version that revokes its tokens).
type loginDoc struct {
	ID string    `bson:"_id"` // the account's id
	At time.Time `bson:"at"`
}

// revocationDoc refuses one token until it expires.
type revocationDoc struct {
	ID        string    `bson:"_id"` // the token's jti
	Account   string    `bson:"account"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// claimDoc reserves a slug or an email for its owner. Its _id is the claim
// key, so the store itself refuses a second claim of the same key with a
// duplicate-key error, on MongoDB and FerretDB alike.
type claimDoc struct {
	ID    string    `bson:"_id"`
	Owner string    `bson:"owner"`
	Kind  string    `bson:"kind"` // "organization", "account" ("operator" from an earlier orgd) or "lock"
	At    time.Time `bson:"at"`
}

// Claim keys.
func slugClaim(slug string) string   { return "slug:" + slug }
func emailClaim(email string) string { return "email:" + org.EmailKey(email) }

// bootstrapClaim is held by the first operator: it makes auth.bootstrap
// succeed once, however many daemons race for it.
const bootstrapClaim = "bootstrap"

func toOrgDoc(o org.Organization) orgDoc {
	d := orgDoc{
		ID: o.ID, Name: o.Name, Slug: o.Slug, Collection: o.Collection, Database: o.Database, State: string(o.State),
		SuspendedAt: o.SuspendedAt, SuspendReason: o.SuspendReason, Rev: o.Rev,
		IntentOwner: o.IntentOwner, IntentAt: o.IntentAt,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Layout: layoutAccounts,
	}
	d.Labels = toLabelDocs(o.Labels)
	if p := o.Pending; p != nil {
		d.Pending = &pendingDoc{Name: p.Name, Slug: p.Slug, Collection: p.Collection, Committed: p.Committed}
	}
	return d
}

func (d *orgDoc) organization() org.Organization {
	o := org.Organization{
		ID: d.ID, Name: d.Name, Slug: d.Slug, Collection: d.Collection, Database: d.Database, Labels: fromLabelDocs(d.Labels),
		State: org.State(d.State), SuspendedAt: d.SuspendedAt.UTC(), SuspendReason: d.SuspendReason, Rev: d.Rev,
		IntentOwner: d.IntentOwner, IntentAt: d.IntentAt.UTC(),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
	if d.SuspendedAt.IsZero() {
		o.SuspendedAt = time.Time{}
	}
	if p := d.Pending; p != nil {
		o.Pending = &org.Pending{Name: p.Name, Slug: p.Slug, Collection: p.Collection, Committed: p.Committed}
	}
	return o
}

// legacyAccount is the admin account an earlier orgd kept inside d, as
// the upgrade makes it: the same id and credential version, so that the
// tokens it issued stay valid.
func (d *orgDoc) legacyAccount() org.Account {
	l := d.Legacy
	return org.Account{
		ID: l.AdminID, Email: l.AdminEmail, Role: org.RoleAdmin, OrgID: d.ID, State: org.StateActive,
		PasswordHash: l.PasswordHash, CredVersion: l.CredVersion, Rev: 1,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

func toAccountDoc(a org.Account) accountDoc {
	d := accountDoc{
		ID: a.ID, Email: a.Email, Role: string(a.Role), OrgID: a.OrgID,
		PasswordHash: a.PasswordHash, CredVersion: a.CredVersion, State: string(a.State), Rev: a.Rev,
		PendingEmail: a.PendingEmail, EmailCommitted: a.EmailCommitted,
		IntentOwner: a.IntentOwner, IntentAt: a.IntentAt,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, LastLoginAt: a.LastLoginAt,
	}
	return d
}

// account decodes d, read from the operators collection when operator is
// set.
func (d *accountDoc) account(operator bool) org.Account {
	a := org.Account{
		ID: d.ID, Email: d.Email, Role: org.Role(d.Role), OrgID: d.OrgID,
		PasswordHash: d.PasswordHash, CredVersion: d.CredVersion, State: org.State(d.State), Rev: d.Rev,
		PendingEmail: d.PendingEmail, EmailCommitted: d.EmailCommitted,
		IntentOwner: d.IntentOwner, IntentAt: d.IntentAt.UTC(),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), LastLoginAt: d.LastLoginAt.UTC(),
	}
	if operator {
		a.Role, a.OrgID = org.RoleOperator, ""
	}
	if d.LastLoginAt.IsZero() {
		a.LastLoginAt = time.Time{}
	}
	return a
}
