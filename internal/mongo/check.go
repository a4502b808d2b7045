package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/org"
)

// Problem is a broken invariant found by Check.
type Problem struct {
	// Kind is one of "intent", "missing_collection", "orphan_collection",
	// "orphan_claim", "missing_claim", "stale_record".
	Kind   string
	Detail string
}

func (p Problem) String() string { return p.Kind + ": " + p.Detail }

// Check reads the whole store and reports every broken invariant: changes
// left half-done, organizations without their collection, tenant
// collections without an organization, and claims without an owner (or
// owners without their claims). It changes nothing.
func (s *Store) Check(ctx context.Context) ([]Problem, error) {
	var orgs []orgDoc
	if err := findAll(ctx, s, OrganizationsCollection, &orgs); err != nil {
		return nil, err
	}
	var ops []operatorDoc
	if err := findAll(ctx, s, OperatorsCollection, &ops); err != nil {
		return nil, err
	}
	var claims []claimDoc
	if err := findAll(ctx, s, ClaimsCollection, &claims); err != nil {
		return nil, err
	}
	var meta []commitDoc
	if err := findAll(ctx, s, MetaCollection, &meta); err != nil {
		return nil, err
	}
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, storeErr("list collections", err)
	}
	collections := make(map[string]bool, len(names))
	for _, n := range names {
		collections[n] = true
	}

	var problems []Problem
	add := func(kind, format string, args ...any) {
		problems = append(problems, Problem{Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
	// Creates past their commit record (commit.go).
	committed := make(map[string]orgDoc)
	for _, r := range meta {
		if id, ok := strings.CutPrefix(r.ID, commitPrefix); ok {
			committed[id] = r.Org
		}
	}
	held := make(map[string]string, len(claims)) // claim key → owner
	for _, c := range claims {
		held[c.ID] = c.Owner
	}

	// What each claim key should belong to.
	wanted := make(map[string]string)
	referenced := make(map[string]bool)
	states := make(map[string]string, len(orgs))
	for _, d := range orgs {
		states[d.ID] = d.State
		if _, ok := committed[d.ID]; ok && d.State == string(org.StateProvisioning) {
			continue // reported below
		}
		if d.State != string(org.StateActive) {
			add("intent", "organization %q (%s) is %s since %s", d.Name, d.ID, d.State, d.IntentAt.UTC().Format("2006-01-02T15:04:05Z"))
		}
		referenced[d.Collection] = true
		wanted[slugClaim(d.Slug)] = d.ID
		wanted[emailClaim(d.AdminEmail)] = d.ID
		if p := d.Pending; p != nil {
			referenced[p.Collection] = true
			wanted[slugClaim(p.Slug)] = d.ID
			wanted[emailClaim(p.AdminEmail)] = d.ID
		}
		if d.State == string(org.StateActive) && !collections[d.Collection] {
			add("missing_collection", "organization %q (%s) has no collection %s", d.Name, d.ID, d.Collection)
		}
	}
	// A create past its commit record whose document a crash left
	// provisioning, or deleted with its slug still claimed: Reconcile
	// finishes it from the record. Any other record is left over, with a
	// password hash in it.
	for id, d := range committed {
		st, ok := states[id]
		if (ok && st != string(org.StateProvisioning)) || (!ok && held[slugClaim(d.Slug)] != id) {
			add("stale_record", "the commit record of organization %q (%s) outlived its create; orgd deletes it at start", d.Name, id)
			continue
		}
		add("intent", "organization %q (%s) is created but not finished; orgd finishes it from its commit record at start", d.Name, id)
		referenced[d.Collection] = true
		wanted[slugClaim(d.Slug)] = id
		wanted[emailClaim(d.AdminEmail)] = id
	}
	for _, d := range ops {
		if d.State != string(org.StateActive) {
			add("intent", "operator %s (%s) is %s since %s", d.Email, d.ID, d.State, d.IntentAt.UTC().Format("2006-01-02T15:04:05Z"))
		}
		wanted[emailClaim(d.Email)] = d.ID
	}

	for _, c := range claims {
		if c.ID == bootstrapClaim {
			if !slices.ContainsFunc(ops, func(d operatorDoc) bool { return d.ID == c.Owner }) {
				add("orphan_claim", "claim %q belongs to operator %s, which does not exist", c.ID, c.Owner)
			}
			continue
		}
		if owner, ok := wanted[c.ID]; !ok || owner != c.Owner {
			add("orphan_claim", "claim %q belongs to %s, which does not use it", c.ID, c.Owner)
		}
	}
	for _, d := range orgs {
		if d.State != string(org.StateActive) {
			continue // an intent holds its claims only partly; reported above
		}
		for _, key := range []string{slugClaim(d.Slug), emailClaim(d.AdminEmail)} {
			if held[key] != d.ID {
				add("missing_claim", "organization %q (%s) does not hold claim %q", d.Name, d.ID, key)
			}
		}
	}
	for _, d := range ops {
		if d.State == string(org.StateActive) && held[emailClaim(d.Email)] != d.ID {
			add("missing_claim", "operator %s (%s) does not hold claim %q", d.Email, d.ID, emailClaim(d.Email))
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, org.CollectionPrefix) && !referenced[n] {
			add("orphan_collection", "collection %s belongs to no organization", n)
		}
	}
	slices.SortFunc(problems, func(a, b Problem) int { return strings.Compare(a.String(), b.String()) })
	return problems, nil
}

func findAll[T any](ctx context.Context, s *Store, collection string, out *[]T) error {
	cur, err := s.db.Collection(collection).Find(ctx, bson.D{})
	if err != nil {
		return storeErr("read "+collection, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return storeErr("read "+collection, errors.Join(err, cur.Close(ctx)))
	}
	return nil
}
