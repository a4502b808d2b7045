package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// importBatch is how many documents one insert of Import carries.
const importBatch = 1000

// Import writes organizations straight into the store, each active with
// its claims, its collection and its admin (admins[i] is orgs[i]'s, its
// ID, Email, PasswordHash and CredVersion set), and puts them into the
// directory. It is
// for filling a store for a benchmark or a test: with no intents and no
// checks it costs the store's work only, far less than a create each. The
// collections are made one after the other with nothing in between, which
// suits the embedded engine: a statement on any of its connections but
// the one that changed the schema first rereads the schema of every
// collection. Each organization goes where a create would put it, and orgs
// is changed to say where. The organizations must not conflict with each other or with
// the store: a taken slug or email is a duplicate-key error, and what was
// written before it stays. Organizations with no CreatedAt get the time of
// the import.
func (s *Store) Import(ctx context.Context, orgs []org.Organization, admins []org.Account) error {
	if len(admins) != len(orgs) {
		return fmt.Errorf("import: %d organizations but %d admins", len(orgs), len(admins))
	}
	for i := range orgs {
		orgs[i].Database = s.placeTenant()
	}
	if err := s.createCollections(ctx, orgs); err != nil {
		return err
	}
	t := now()
	done := make([]org.Organization, 0, len(orgs))
	accounts := make([]org.Account, 0, len(orgs))
	docs := make([]any, 0, len(orgs))
	members := make([]any, 0, len(orgs))
	claims := make([]any, 0, 2*len(orgs))
	for i, o := range orgs {
		o.State, o.Rev, o.Pending, o.IntentOwner = org.StateActive, 1, nil, ""
		if o.CreatedAt.IsZero() {
			o.CreatedAt, o.UpdatedAt = t, t
		}
		a := admins[i]
		a.Role, a.OrgID, a.State, a.Rev = org.RoleAdmin, o.ID, org.StateActive, 1
		a.CreatedAt, a.UpdatedAt = o.CreatedAt, o.UpdatedAt
		done, accounts = append(done, o), append(accounts, a)
		docs, members = append(docs, toOrgDoc(o)), append(members, toAccountDoc(a))
		claims = append(claims,
			claimDoc{ID: slugClaim(o.Slug), Owner: o.ID, Kind: "organization", At: t},
			claimDoc{ID: emailClaim(a.Email), Owner: a.ID, Kind: "account", At: t})
	}
	if err := insertBatches(ctx, s, ClaimsCollection, claims); err != nil {
		return err
	}
	if err := insertBatches(ctx, s, MembersCollection, members); err != nil {
		return err
	}
	if err := insertBatches(ctx, s, OrganizationsCollection, docs); err != nil {
		return err
	}
	for i, o := range done {
		s.dir.PutAccount(accounts[i])
		s.dir.PutOrganization(o)
	}
	s.bump(ctx)
	return nil
}

// ImportAccounts writes members of existing organizations straight into
// the store, each active with its email's claim, and puts them into the
// directory: like Import, for filling a store for a benchmark. Each
// account's ID, Email, Role (admin or viewer), OrgID, PasswordHash and
// CredVersion must be set; a taken email is a duplicate-key error.
func (s *Store) ImportAccounts(ctx context.Context, accounts []org.Account) error {
	t := now()
	docs := make([]any, 0, len(accounts))
	claims := make([]any, 0, len(accounts))
	for i := range accounts {
		a := &accounts[i]
		if !a.Role.Member() || a.OrgID == "" {
			return fmt.Errorf("import: account %s is not a member of an organization", a.Email)
		}
		a.State, a.Rev = org.StateActive, 1
		if a.CreatedAt.IsZero() {
			a.CreatedAt, a.UpdatedAt = t, t
		}
		docs = append(docs, toAccountDoc(*a))
		claims = append(claims, claimDoc{ID: emailClaim(a.Email), Owner: a.ID, Kind: "account", At: t})
	}
	if err := insertBatches(ctx, s, ClaimsCollection, claims); err != nil {
		return err
	}
	if err := insertBatches(ctx, s, MembersCollection, docs); err != nil {
		return err
	}
	for _, a := range accounts {
		s.dir.PutAccount(a)
	}
	s.bump(ctx)
	return nil
}

// createCollections makes the collections of orgs, a database at a time.
func (s *Store) createCollections(ctx context.Context, orgs []org.Organization) error {
	for i := 0; i < len(orgs); {
		database := orgs[i].Database
		db := s.tenantDB(database, false)
		for ; i < len(orgs) && orgs[i].Database == database; i++ {
			if err := db.CreateCollection(ctx, orgs[i].Collection); err != nil {
				return storeErr("create collection "+orgs[i].Collection, err)
			}
		}
	}
	return nil
}

func insertBatches(ctx context.Context, s *Store, collection string, docs []any) error {
	c := s.db.Collection(collection)
	for len(docs) > 0 {
		n := min(len(docs), importBatch)
		if _, err := c.InsertMany(ctx, docs[:n], options.InsertMany().SetOrdered(true)); err != nil {
			return storeErr(fmt.Sprintf("import into %s", collection), err)
		}
		docs = docs[n:]
	}
	return nil
}
