package mongo

import (
	"time"

	"github.com/orgd/orgd/internal/org"
)

// orgDoc is an organization as stored in the organizations collection.
type orgDoc struct {
	ID           string      `bson:"_id"`
	Name         string      `bson:"name"`
	Slug         string      `bson:"slug"`
	Collection   string      `bson:"collection"`
	AdminID      string      `bson:"admin_id"`
	AdminEmail   string      `bson:"admin_email"`
	PasswordHash []byte      `bson:"password_hash"`
	CredVersion  int64       `bson:"cred_version"`
	State        string      `bson:"state"`
	Rev          int64       `bson:"rev"`
	Pending      *pendingDoc `bson:"pending,omitempty"`
	IntentOwner  string      `bson:"intent_owner,omitempty"`
	IntentAt     time.Time   `bson:"intent_at,omitempty"`
	CreatedAt    time.Time   `bson:"created_at"`
	UpdatedAt    time.Time   `bson:"updated_at"`
	// KeepCollection marks a create that found its collection already
	// there, from outside orgd: rolling it back must not drop it.
	KeepCollection bool `bson:"keep_collection,omitempty"`
}

type pendingDoc struct {
	Name       string `bson:"name"`
	Slug       string `bson:"slug"`
	Collection string `bson:"collection"`
	AdminEmail string `bson:"admin_email"`
	Committed  bool   `bson:"committed"`
}

// operatorDoc is an operator as stored in the operators collection.
type operatorDoc struct {
	ID           string    `bson:"_id"`
	Email        string    `bson:"email"`
	PasswordHash []byte    `bson:"password_hash"`
	CredVersion  int64     `bson:"cred_version"`
	State        string    `bson:"state"`
	Rev          int64     `bson:"rev"`
	IntentOwner  string    `bson:"intent_owner,omitempty"`
	IntentAt     time.Time `bson:"intent_at,omitempty"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`
}

// claimDoc reserves a slug or an email for its owner. Its _id is the claim
// key, so the store itself refuses a second claim of the same key with a
// duplicate-key error, on MongoDB and FerretDB alike.
type claimDoc struct {
	ID    string    `bson:"_id"`
	Owner string    `bson:"owner"`
	Kind  string    `bson:"kind"` // "organization" or "operator"
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
		ID: o.ID, Name: o.Name, Slug: o.Slug, Collection: o.Collection,
		AdminID: o.AdminID, AdminEmail: o.AdminEmail, PasswordHash: o.PasswordHash,
		CredVersion: o.CredVersion, State: string(o.State), Rev: o.Rev,
		IntentOwner: o.IntentOwner, IntentAt: o.IntentAt,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	if p := o.Pending; p != nil {
		d.Pending = &pendingDoc{Name: p.Name, Slug: p.Slug, Collection: p.Collection, AdminEmail: p.AdminEmail, Committed: p.Committed}
	}
	return d
}

func (d *orgDoc) organization() org.Organization {
	o := org.Organization{
		ID: d.ID, Name: d.Name, Slug: d.Slug, Collection: d.Collection,
		AdminID: d.AdminID, AdminEmail: d.AdminEmail, PasswordHash: d.PasswordHash,
		CredVersion: d.CredVersion, State: org.State(d.State), Rev: d.Rev,
		IntentOwner: d.IntentOwner, IntentAt: d.IntentAt.UTC(),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
	if p := d.Pending; p != nil {
		o.Pending = &org.Pending{Name: p.Name, Slug: p.Slug, Collection: p.Collection, AdminEmail: p.AdminEmail, Committed: p.Committed}
	}
	return o
}

func toOperatorDoc(op org.Operator) operatorDoc {
	return operatorDoc{
		ID: op.ID, Email: op.Email, PasswordHash: op.PasswordHash, CredVersion: op.CredVersion,
		State: string(op.State), Rev: op.Rev, IntentOwner: op.IntentOwner, IntentAt: op.IntentAt,
		CreatedAt: op.CreatedAt, UpdatedAt: op.UpdatedAt,
	}
}

func (d *operatorDoc) operator() org.Operator {
	return org.Operator{
		ID: d.ID, Email: d.Email, PasswordHash: d.PasswordHash, CredVersion: d.CredVersion,
		State: org.State(d.State), Rev: d.Rev, IntentOwner: d.IntentOwner, IntentAt: d.IntentAt.UTC(),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}
