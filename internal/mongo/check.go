package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/org"
)

// Problem is a broken invariant found by Check.
type Problem struct {
	// Kind is one of "intent", "missing_collection", "orphan_collection",
	// "orphan_claim", "missing_claim", "stale_record", "orphan_member",
	// "orphan_key", "orphan_login", "no_admin", "stale_lock" and "upgrade".
	Kind   string
	Detail string
}

func (p Problem) String() string { return p.Kind + ": " + p.Detail }

// Check reads the whole store and reports every broken invariant: changes
// left half-done, organizations without their collection or without an
// admin, tenant collections without an organization, members without
// their organization, SSH keys and last logins without their account,
// claims without an owner (or owners without their
// claims), and an upgrade from an earlier orgd's layout that is not
// finished. It changes nothing.
func (s *Store) Check(ctx context.Context) ([]Problem, error) {
	// The collections are read side by side, on the connections of the
	// tenants' data when the store has them: the embedded engine decodes
	// every document it returns from JSON, about 15,000 a second on one
	// core, and at 50,000 organizations a check reads 200,000 and more.
	var (
		orgs         []orgDoc
		ops, members []accountDoc
		claims       []claimDoc
		keys         []keyDoc
		logins       []loginDoc
		meta         []commitDoc
		collections  map[namespace]bool
		wg           sync.WaitGroup
		errs         [8]error
	)
	wg.Go(func() { errs[0] = findAll(ctx, s, OrganizationsCollection, &orgs) })
	wg.Go(func() { errs[1] = findAll(ctx, s, OperatorsCollection, &ops) })
	wg.Go(func() { errs[2] = findAll(ctx, s, MembersCollection, &members) })
	wg.Go(func() { errs[3] = findAll(ctx, s, ClaimsCollection, &claims) })
	wg.Go(func() { errs[4] = findAll(ctx, s, KeysCollection, &keys) })
	wg.Go(func() { errs[5] = findAll(ctx, s, MetaCollection, &meta) })
	wg.Go(func() { collections, errs[6] = s.allCollections(ctx) })
	wg.Go(func() { errs[7] = findAll(ctx, s, LoginsCollection, &logins) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	marker, err := s.layout(ctx)
	if err != nil {
		return nil, err
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

	// What each claim key should belong to; also, during an upgrade
	// (upgrade.go), a legacy admin's email may belong to the account
	// already.
	wanted := make(map[string]string)
	alsoWanted := make(map[string]string)
	upgrading := make(map[string]bool) // ids of legacy admins
	referenced := make(map[namespace]bool)
	states := make(map[string]string, len(orgs))
	admins := make(map[string]int, len(orgs))
	legacy := 0
	for _, d := range orgs {
		states[d.ID] = d.State
		if _, ok := committed[d.ID]; ok && d.State == string(org.StateProvisioning) {
			continue // reported below
		}
		if !org.State(d.State).Settled() {
			add("intent", "organization %q (%s) is %s since %s", d.Name, d.ID, d.State, stamp(d.IntentAt))
		}
		referenced[s.namespace(d.Database, d.Collection)] = true
		wanted[slugClaim(d.Slug)] = d.ID
		if p := d.Pending; p != nil {
			referenced[s.namespace(d.Database, p.Collection)] = true
			wanted[slugClaim(p.Slug)] = d.ID
		}
		if d.legacy() {
			legacy++
			admins[d.ID]++
			wanted[emailClaim(d.Legacy.AdminEmail)] = d.ID
			alsoWanted[emailClaim(d.Legacy.AdminEmail)] = d.Legacy.AdminID
			upgrading[d.Legacy.AdminID] = true
			if p := d.Pending; p != nil && p.AdminEmail != "" {
				wanted[emailClaim(p.AdminEmail)] = d.ID
			}
		}
		if ns := s.namespace(d.Database, d.Collection); org.State(d.State).Settled() && !collections[ns] {
			add("missing_collection", "organization %q (%s) has no collection %s", d.Name, d.ID, ns)
		}
	}
	// A create past its commit record whose document a crash left
	// provisioning, or deleted with its slug still claimed: Reconcile
	// finishes it from the record. Any other record is left over.
	for id, d := range committed {
		st, ok := states[id]
		if (ok && st != string(org.StateProvisioning)) || (!ok && held[slugClaim(d.Slug)] != id) {
			add("stale_record", "the commit record of organization %q (%s) outlived its create; orgd deletes it at start", d.Name, id)
			continue
		}
		add("intent", "organization %q (%s) is created but not finished; orgd finishes it from its commit record at start", d.Name, id)
		referenced[s.namespace(d.Database, d.Collection)] = true
		wanted[slugClaim(d.Slug)] = id
		states[id] = string(org.StateActive)
	}
	for _, d := range slices.Concat(ops, members) {
		kind := "operator"
		if d.OrgID != "" {
			kind = "member"
		}
		if d.State != string(org.StateActive) {
			add("intent", "%s %s (%s) is %s since %s", kind, d.Email, d.ID, d.State, stamp(d.IntentAt))
		}
		if upgrading[d.ID] {
			continue // counted as its organization's legacy admin
		}
		wanted[emailClaim(d.Email)] = d.ID
		if d.PendingEmail != "" {
			wanted[emailClaim(d.PendingEmail)] = d.ID
		}
		if d.OrgID == "" {
			continue
		}
		if _, ok := states[d.OrgID]; !ok {
			add("orphan_member", "member %s (%s) belongs to organization %s, which does not exist; orgd removes it", d.Email, d.ID, d.OrgID)
		} else if d.Role == string(org.RoleAdmin) && (d.State == string(org.StateActive) || d.State == string(org.StateUpdating)) {
			admins[d.OrgID]++
		}
	}
	accountIDs := make(map[string]bool, len(ops)+len(members))
	for _, d := range slices.Concat(ops, members) {
		accountIDs[d.ID] = true
	}
	for _, k := range keys {
		if !accountIDs[k.Account] && !upgrading[k.Account] {
			add("orphan_key", "SSH key %s (%s) belongs to account %s, which does not exist; orgd removes it", k.ID, k.Name, k.Account)
		}
	}
	for _, l := range logins {
		if !accountIDs[l.ID] && !upgrading[l.ID] {
			add("orphan_login", "the last login of account %s, which does not exist; orgd removes it", l.ID)
		}
	}
	for _, d := range orgs {
		if org.State(d.State).Settled() && admins[d.ID] == 0 {
			add("no_admin", "organization %q (%s) has no admin", d.Name, d.ID)
		}
	}

	for _, c := range claims {
		switch {
		case c.ID == bootstrapClaim:
			// Kept when its operator is removed: it says the store has had
			// one. Only a store without any operator has it wrong.
			if len(ops) == 0 {
				add("orphan_claim", "claim %q belongs to operator %s, and no operator exists", c.ID, c.Owner)
			}
			continue
		case strings.HasPrefix(c.ID, "lock:"):
			if time.Since(c.At) > guardStale {
				add("stale_lock", "guard %q is held since %s; orgd takes it over", c.ID, stamp(c.At))
			}
			continue
		}
		if owner, ok := wanted[c.ID]; !ok || (owner != c.Owner && alsoWanted[c.ID] != c.Owner) {
			add("orphan_claim", "claim %q belongs to %s, which does not use it", c.ID, c.Owner)
		}
	}
	for _, d := range orgs {
		if !org.State(d.State).Settled() {
			continue // an intent holds its claims only partly; reported above
		}
		if key := slugClaim(d.Slug); held[key] != d.ID {
			add("missing_claim", "organization %q (%s) does not hold claim %q", d.Name, d.ID, key)
		}
		if key := emailClaim(d.Legacy.AdminEmail); d.legacy() && held[key] != d.ID && held[key] != d.Legacy.AdminID {
			add("missing_claim", "organization %q (%s) does not hold claim %q", d.Name, d.ID, key)
		}
	}
	for _, d := range slices.Concat(ops, members) {
		if d.State == string(org.StateActive) && !upgrading[d.ID] && held[emailClaim(d.Email)] != d.ID {
			add("missing_claim", "account %s (%s) does not hold claim %q", d.Email, d.ID, emailClaim(d.Email))
		}
	}
	for ns := range collections {
		if strings.HasPrefix(ns.collection, org.CollectionPrefix) && !referenced[ns] {
			add("orphan_collection", "collection %s belongs to no organization", ns)
		}
	}
	switch {
	case marker.Started != nil && marker.Version < layoutAccounts:
		add("upgrade", "the upgrade to accounts of their own started at %s and is not finished: %d organizations still hold their admin; orgd serve finishes it at start", stamp(*marker.Started), legacy)
	case legacy > 0:
		add("upgrade", "%d organizations are in the layout of an earlier orgd, their admin inside them; orgd serve upgrades them at start", legacy)
	}
	slices.SortFunc(problems, func(a, b Problem) int { return strings.Compare(a.String(), b.String()) })
	return problems, nil
}

// namespace is a collection and the database that holds it, "" for the
// main one.
type namespace struct {
	database, collection string
}

func (n namespace) String() string {
	if n.database == "" {
		return n.collection
	}
	return n.database + "." + n.collection
}

// namespace is the namespace of collection in database, as a document
// records them.
func (s *Store) namespace(database, collection string) namespace {
	if database == s.db.Name() {
		database = ""
	}
	return namespace{database, collection}
}

// allCollections lists the collections of the main database and of every
// tenant database, one tenant database open at a time.
func (s *Store) allCollections(ctx context.Context) (map[namespace]bool, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, storeErr("list collections", err)
	}
	out := make(map[namespace]bool, len(names))
	for _, n := range names {
		out[namespace{"", n}] = true
	}
	databases, err := s.tenantDatabases(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range databases {
		names, err := s.tenantDB(name, false).ListCollectionNames(ctx, bson.D{})
		if err != nil {
			return nil, storeErr("list collections of "+name, err)
		}
		for _, n := range names {
			out[namespace{name, n}] = true
		}
	}
	return out, nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func findAll[T any](ctx context.Context, s *Store, collection string, out *[]T) error {
	cur, err := s.data.Collection(collection).Find(ctx, bson.D{})
	if err != nil {
		return storeErr("read "+collection, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return storeErr("read "+collection, errors.Join(err, cur.Close(ctx)))
	}
	return nil
}
