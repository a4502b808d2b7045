package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/org"
)

// How changes are made safe without transactions. Each change first writes
// its intent into the organization's document (state provisioning,
// renaming or deleting), then claims, creates, renames or drops, and
// finally writes the finished state. Every step is idempotent, and the
// claims decide every race. A crash at any point leaves an intent that
// Reconcile finishes or rolls back:
//
//	create:  insert doc (provisioning, founder) → claim slug → claim the
//	         admin's email → insert the admin's account → create
//	         collection → activate.
//	         Reconcile rolls back: the create was never acknowledged.
//	         On an exclusive store, activating is commit record → replace
//	         doc → delete record (commit.go), and Reconcile rolls forward
//	         from the record.
//	rename:  doc renaming with pending target → claim new slug → rename
//	         collection → mark committed → release old slug → finalize.
//	         Reconcile rolls back before commit, forward after.
//	delete:  doc deleting → drop collection (while the slug claim is still
//	         ours, so never another organization's) → release the slug →
//	         remove the members, claims and all → delete doc. Reconcile
//	         rolls forward.
//
// Suspending, resuming and changing labels are one write each. Accounts
// have their own intents (accounts.go).

// CreateOrganization implements org.Store.
func (s *Store) CreateOrganization(ctx context.Context, o org.Organization, admin org.Account) (_ org.Organization, err error) {
	release, err := s.changeSchema(ctx)
	if err != nil {
		return org.Organization{}, err
	}
	defer release()
	s.begin(o.ID)
	defer func() { s.end(o.ID, err) }()

	t := now()
	o.State, o.Rev, o.IntentOwner, o.IntentAt = org.StateProvisioning, 1, s.instance, t
	o.CreatedAt, o.UpdatedAt = t, t
	o.Database = s.placeTenant()
	d := toOrgDoc(o)
	d.Founder = &founderDoc{ID: admin.ID, Email: admin.Email}
	if _, err := s.orgs.InsertOne(ctx, d); err != nil {
		return org.Organization{}, storeErr("insert organization", err)
	}
	s.dir.PutOrganization(o)
	if err := s.step("create:inserted"); err != nil {
		return org.Organization{}, err
	}

	if holder, err := s.claim(ctx, slugClaim(o.Slug), o.ID, "organization"); err != nil {
		return org.Organization{}, err
	} else if holder != o.ID {
		return org.Organization{}, s.abandonCreate(ctx, d, s.slugConflict("name", holder))
	}
	if err := s.step("create:claimed-slug"); err != nil {
		return org.Organization{}, err
	}

	if holder, err := s.claim(ctx, emailClaim(admin.Email), admin.ID, "account"); err != nil {
		return org.Organization{}, err
	} else if holder != admin.ID {
		return org.Organization{}, s.abandonCreate(ctx, d, org.ConflictEmail("admin_email", admin.Email))
	}
	if err := s.step("create:claimed-email"); err != nil {
		return org.Organization{}, err
	}
	admin.Role, admin.OrgID, admin.State, admin.Rev = org.RoleAdmin, o.ID, org.StateActive, 1
	admin.CreatedAt, admin.UpdatedAt = t, t
	if _, err := s.members.InsertOne(ctx, toAccountDoc(admin)); err != nil {
		return org.Organization{}, storeErr("insert the admin's account", err)
	}
	s.dir.PutAccount(admin)
	if err := s.step("create:admin"); err != nil {
		return org.Organization{}, err
	}

	if err := s.createCollection(ctx, o.Database, o.Collection); err != nil {
		if isCode(err, codeNamespaceExists) {
			// We hold the slug, so nobody else made it: it is left over from
			// outside orgd. Never hand its data to a new tenant, and never
			// drop it: the intent says so first, for a rollback after a
			// crash, which would otherwise take the collection for ours.
			if _, err := s.orgs.UpdateOne(ctx, bson.D{{Key: "_id", Value: o.ID}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "keep_collection", Value: true}}}}); err != nil {
				return org.Organization{}, storeErr("mark organization", err)
			}
			if err := s.step("create:found-collection"); err != nil {
				return org.Organization{}, err
			}
			d.KeepCollection = true
			return org.Organization{}, s.abandonCreate(ctx, d, &org.Error{Code: org.ECONFLICT, Field: "name",
				Message: fmt.Sprintf("a collection %s already exists without an organization; see orgd check", o.Collection)})
		}
		return org.Organization{}, storeErr("create collection "+o.Collection, err)
	}
	if err := s.step("create:collection"); err != nil {
		return org.Organization{}, err
	}

	if s.exclusive {
		return s.commitCreate(ctx, o) // see commit.go
	}
	done, err := s.finishIntent(ctx, o.ID, org.StateProvisioning, nil, bson.E{Key: "founder", Value: ""})
	if err != nil {
		return org.Organization{}, err
	}
	s.bump(ctx)
	return done, nil
}

// abandonCreate undoes a create that lost a race for a claim and returns
// cause. Only claims held by the create are released; the collection was
// not made.
func (s *Store) abandonCreate(ctx context.Context, d orgDoc, cause error) error {
	if err := s.undoCreate(ctx, d, false); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// undoCreate removes every trace of an unfinished create: the collection
// (when drop is set and the slug claim is the organization's, so the
// collection is too), the slug claim, the accounts made with it, and
// finally the document.
func (s *Store) undoCreate(ctx context.Context, d orgDoc, drop bool) error {
	o := d.organization()
	if drop {
		mine, err := s.holds(ctx, slugClaim(o.Slug), o.ID)
		if err != nil {
			return err
		}
		if mine {
			if err := s.dropCollection(ctx, o.Database, o.Collection); err != nil {
				return err
			}
		}
	}
	if err := s.release(ctx, slugClaim(o.Slug), o.ID); err != nil {
		return err
	}
	if err := s.removeAccountsOf(ctx, d); err != nil {
		return err
	}
	if err := s.dropCommitRecord(ctx, o.ID); err != nil {
		return err
	}
	if _, err := s.orgs.DeleteOne(ctx, bson.D{{Key: "_id", Value: o.ID}}); err != nil {
		return storeErr("delete organization", err)
	}
	s.dir.RemoveOrganization(o.ID)
	return nil
}

func (s *Store) slugConflict(field, holder string) error {
	name := "another organization"
	if o, ok := s.dir.Organization(holder); ok {
		name = o.Name
	}
	return org.ConflictSlug(field, name)
}

// finishIntent moves the organization from state from to active and clears
// its intent (and unset), also applying set. It fails if the organization
// is no longer in state from: someone else finished or undid the change.
func (s *Store) finishIntent(ctx context.Context, id string, from org.State, set bson.D, unset ...bson.E) (org.Organization, error) {
	set = append(set, bson.E{Key: "state", Value: org.StateActive}, bson.E{Key: "updated_at", Value: now()})
	unset = append(unset, bson.E{Key: "pending", Value: ""}, bson.E{Key: "intent_owner", Value: ""}, bson.E{Key: "intent_at", Value: ""})
	return s.updateOrgIf(ctx, id, bson.D{
		{Key: "$set", Value: set},
		{Key: "$unset", Value: bson.D(unset)},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	}, from)
}

// errChanged means a conditional update matched nothing: the organization
// or account is gone or in another state than expected.
var errChanged = errors.New("changed underneath")

// UpdateOrganization implements org.Store.
func (s *Store) UpdateOrganization(ctx context.Context, id string, c org.Change) (_ org.Organization, err error) {
	defer s.lockTenant(id)()
	s.begin(id)
	defer func() { s.end(id, err) }()

	cur, err := s.readOrg(ctx, id)
	if err != nil {
		return org.Organization{}, err
	}
	if cur.State != org.StateActive {
		return org.Organization{}, busy(cur)
	}
	var set, unset bson.D
	if c.Labels != nil {
		if len(*c.Labels) == 0 {
			unset = append(unset, bson.E{Key: "labels", Value: ""})
		} else {
			set = append(set, bson.E{Key: "labels", Value: toLabelDocs(*c.Labels)})
		}
	}
	if c.Slug == "" || c.Slug == cur.Slug {
		// One document, one write: nothing to claim, nothing to rename.
		if c.Name != "" {
			set = append(set, bson.E{Key: "name", Value: c.Name})
		}
		if set == nil && unset == nil {
			return cur, nil
		}
		update := bson.D{
			{Key: "$set", Value: append(set, bson.E{Key: "updated_at", Value: now()})},
			{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
		}
		if unset != nil {
			update = append(update, bson.E{Key: "$unset", Value: unset})
		}
		o, err := s.updateOrgIf(ctx, id, update, org.StateActive)
		if errors.Is(err, errChanged) {
			return org.Organization{}, busy(cur)
		}
		if err == nil {
			s.bump(ctx)
		}
		return o, err
	}

	p := org.Pending{Name: c.Name, Slug: c.Slug, Collection: c.Collection}
	t := now()
	intent := append(bson.D{
		{Key: "state", Value: org.StateRenaming},
		{Key: "pending", Value: toOrgDoc(org.Organization{Pending: &p}).Pending},
		{Key: "intent_owner", Value: s.instance},
		{Key: "intent_at", Value: t},
		{Key: "updated_at", Value: t},
	}, set...)
	update := bson.D{{Key: "$set", Value: intent}, {Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}}}
	if unset != nil {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	o, err := s.updateOrgIf(ctx, id, update, org.StateActive)
	if errors.Is(err, errChanged) {
		return org.Organization{}, busy(cur)
	}
	if err != nil {
		return org.Organization{}, err
	}
	if err := s.step("rename:intent"); err != nil {
		return org.Organization{}, err
	}

	// The collection moves: cursors open on it end here.
	s.cursors.forget(ctx, id)
	if holder, err := s.claim(ctx, slugClaim(p.Slug), id, "organization"); err != nil {
		return org.Organization{}, err
	} else if holder != id {
		return org.Organization{}, s.abandonUpdate(ctx, o, s.slugConflict("new_name", holder))
	}
	if err := s.step("rename:claimed-slug"); err != nil {
		return org.Organization{}, err
	}
	if err := s.renameCollection(ctx, o.Database, o.Collection, p.Collection); err != nil {
		if isCode(err, codeNamespaceExists) {
			return org.Organization{}, s.abandonUpdate(ctx, o, &org.Error{Code: org.ECONFLICT, Field: "new_name",
				Message: fmt.Sprintf("a collection %s already exists without an organization; see orgd check", p.Collection)})
		}
		return org.Organization{}, err
	}
	if err := s.step("rename:collection"); err != nil {
		return org.Organization{}, err
	}

	o, err = s.updateOrgIf(ctx, id, bson.D{
		{Key: "$set", Value: bson.D{{Key: "pending.committed", Value: true}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	}, org.StateRenaming)
	if err != nil {
		return org.Organization{}, err
	}
	if err := s.step("rename:committed"); err != nil {
		return org.Organization{}, err
	}
	o, err = s.rollForwardUpdate(ctx, o)
	if err == nil {
		s.bump(ctx)
	}
	return o, err
}

func busy(o org.Organization) *org.Error {
	return &org.Error{Code: org.ECONFLICT, Reason: "busy", Message: fmt.Sprintf("organization %q is %s; retry in a moment", o.Name, o.State)}
}

func (s *Store) readOrg(ctx context.Context, id string) (org.Organization, error) {
	var d orgDoc
	err := s.findByID(ctx, s.orgs, id).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		s.dir.RemoveOrganization(id)
		return org.Organization{}, org.Errorf(org.ENOTFOUND, "the organization no longer exists")
	}
	if err != nil {
		return org.Organization{}, storeErr("read organization", err)
	}
	return d.organization(), nil
}

// rollForwardUpdate finishes a committed rename: it gives up the old slug
// and makes the pending values current.
func (s *Store) rollForwardUpdate(ctx context.Context, o org.Organization) (org.Organization, error) {
	p := o.Pending
	if p.Slug != o.Slug {
		if err := s.release(ctx, slugClaim(o.Slug), o.ID); err != nil {
			return org.Organization{}, err
		}
	}
	if err := s.step("rename:released"); err != nil {
		return org.Organization{}, err
	}
	return s.finishIntent(ctx, o.ID, o.State, bson.D{
		{Key: "name", Value: p.Name},
		{Key: "slug", Value: p.Slug},
		{Key: "collection", Value: p.Collection},
	})
}

// abandonUpdate undoes an uncommitted rename that lost a race and returns
// cause.
func (s *Store) abandonUpdate(ctx context.Context, o org.Organization, cause error) error {
	if _, err := s.rollBackUpdate(ctx, o); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// rollBackUpdate undoes an uncommitted rename: the collection gets its old
// name back, the new slug is released, and the intent is cleared.
func (s *Store) rollBackUpdate(ctx context.Context, o org.Organization) (org.Organization, error) {
	p := o.Pending
	if p.Slug != o.Slug {
		mine, err := s.holds(ctx, slugClaim(p.Slug), o.ID)
		if err != nil {
			return org.Organization{}, err
		}
		if mine {
			// Renamed already? Then rename back; the old name is still
			// ours, since its claim is released only after commit.
			if err := s.renameCollection(ctx, o.Database, p.Collection, o.Collection); err != nil && !isCode(err, codeNamespaceExists) {
				return org.Organization{}, err
			}
			if err := s.release(ctx, slugClaim(p.Slug), o.ID); err != nil {
				return org.Organization{}, err
			}
		}
	}
	return s.finishIntent(ctx, o.ID, o.State, nil)
}

// createCollection makes the collection name in the database database
// ("" for the main one).
func (s *Store) createCollection(ctx context.Context, database, name string) error {
	return s.tenantDB(database, false).CreateCollection(ctx, name)
}

// renameCollection renames from to to within the database database ("" for
// the main one): never across databases. A source that is gone while the
// target exists means an earlier attempt did it already.
func (s *Store) renameCollection(ctx context.Context, database, from, to string) error {
	defer s.stats.forget(from)
	defer s.stats.forget(to)
	db := s.tenantDB(database, false)
	cmd := bson.D{
		{Key: "renameCollection", Value: db.Name() + "." + from},
		{Key: "to", Value: db.Name() + "." + to},
	}
	err := db.Client().Database("admin").RunCommand(ctx, cmd).Err()
	if err == nil {
		return nil
	}
	if isCode(err, codeNamespaceNotFound) {
		exists, lerr := collectionExists(ctx, db, to)
		if lerr != nil {
			return lerr
		}
		if exists {
			return nil
		}
		// Neither exists: an organization without its collection. Make an
		// empty one rather than leave it broken.
		return storeErr("create collection "+to, db.CreateCollection(ctx, to))
	}
	if isCode(err, codeNamespaceExists) {
		return err
	}
	return storeErr(fmt.Sprintf("rename collection %s to %s", from, to), err)
}

func collectionExists(ctx context.Context, db *mongo.Database, name string) (bool, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return false, storeErr("list collections", err)
	}
	return len(names) > 0, nil
}

// dropCollection drops the collection name of the database database ("" for
// the main one), if it is there.
func (s *Store) dropCollection(ctx context.Context, database, name string) error {
	defer s.stats.forget(name)
	err := s.tenantDB(database, false).Collection(name).Drop(ctx)
	if err != nil && !isCode(err, codeNamespaceNotFound) {
		return storeErr("drop collection "+name, err)
	}
	return nil
}

// SuspendOrganization implements org.Store: one write, so a crash leaves
// the organization suspended or not, never half.
func (s *Store) SuspendOrganization(ctx context.Context, id string, at time.Time, reason string) (org.Organization, error) {
	set := bson.D{
		{Key: "state", Value: org.StateSuspended},
		{Key: "suspended_at", Value: at.UTC().Truncate(time.Millisecond)},
		{Key: "updated_at", Value: now()},
	}
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}}}
	if reason != "" {
		set = append(set, bson.E{Key: "suspend_reason", Value: reason})
	} else {
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "suspend_reason", Value: ""}}})
	}
	update = append(update, bson.E{Key: "$set", Value: set})
	return s.settle(ctx, id, org.StateActive, update)
}

// ResumeOrganization implements org.Store.
func (s *Store) ResumeOrganization(ctx context.Context, id string) (org.Organization, error) {
	return s.settle(ctx, id, org.StateSuspended, bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: org.StateActive}, {Key: "updated_at", Value: now()}}},
		{Key: "$unset", Value: bson.D{{Key: "suspended_at", Value: ""}, {Key: "suspend_reason", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	})
}

// settle applies update to the organization id in state from, with its
// data methods held back while it does: a suspension waits for the writes
// under way.
func (s *Store) settle(ctx context.Context, id string, from org.State, update bson.D) (org.Organization, error) {
	defer s.lockTenant(id)()
	o, err := s.updateOrgIf(ctx, id, update, from)
	if errors.Is(err, errChanged) {
		cur, rerr := s.readOrg(ctx, id)
		if rerr != nil {
			return org.Organization{}, rerr
		}
		s.dir.PutOrganization(cur)
		return org.Organization{}, busy(cur)
	}
	if err == nil {
		s.bump(ctx)
	}
	return o, err
}

// DeleteOrganization implements org.Store.
func (s *Store) DeleteOrganization(ctx context.Context, id string) (err error) {
	defer s.lockTenant(id)()
	release, err := s.changeSchema(ctx)
	if err != nil {
		return err
	}
	defer release()
	s.begin(id)
	defer func() { s.end(id, err) }()

	t := now()
	d, err := updateIf[orgDoc](ctx, s, s.orgs, id, []org.State{org.StateActive, org.StateSuspended}, bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "state", Value: org.StateDeleting},
			{Key: "intent_owner", Value: s.instance},
			{Key: "intent_at", Value: t},
			{Key: "updated_at", Value: t},
		}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	})
	if errors.Is(err, errChanged) {
		cur, rerr := s.readOrg(ctx, id)
		if rerr != nil {
			return rerr
		}
		return busy(cur)
	}
	if err != nil {
		return err
	}
	s.dir.PutOrganization(d.organization())
	if err := s.step("delete:intent"); err != nil {
		return err
	}
	if err := s.finishDelete(ctx, d); err != nil {
		return err
	}
	s.bump(ctx)
	return nil
}

// finishDelete carries a delete through from any step. The caller holds
// the organization's lock.
func (s *Store) finishDelete(ctx context.Context, d orgDoc) error {
	o := d.organization()
	s.cursors.forget(ctx, o.ID)
	mine, err := s.holds(ctx, slugClaim(o.Slug), o.ID)
	if err != nil {
		return err
	}
	if mine {
		if err := s.dropCollection(ctx, o.Database, o.Collection); err != nil {
			return err
		}
	}
	if err := s.step("delete:dropped"); err != nil {
		return err
	}
	if err := s.release(ctx, slugClaim(o.Slug), o.ID); err != nil {
		return err
	}
	if err := s.removeAccountsOf(ctx, d); err != nil {
		return err
	}
	if err := s.step("delete:released"); err != nil {
		return err
	}
	if err := s.dropCommitRecord(ctx, o.ID); err != nil {
		return err
	}
	if _, err := s.orgs.DeleteOne(ctx, bson.D{{Key: "_id", Value: o.ID}}); err != nil {
		return storeErr("delete organization", err)
	}
	s.dir.RemoveOrganization(o.ID)
	s.forgetTenant(o.ID)
	return nil
}

// OrganizationStats implements org.Store, with collStats on the
// organization's collection in whichever database holds it: the engine's
// own figures, never a count of the documents. They are kept a few
// seconds (see stats.go), by collection: a collection's name is unique
// across the databases, as its slug is.
func (s *Store) OrganizationStats(ctx context.Context, id string) (org.Stats, error) {
	o, ok := s.dir.Organization(id)
	if !ok {
		return org.Stats{}, org.Errorf(org.ENOTFOUND, "the organization no longer exists")
	}
	if st, ok := s.stats.get(o.Collection, time.Now()); ok {
		return st, nil
	}
	var raw bson.Raw
	err := s.tenantDB(o.Database, true).RunCommand(ctx, bson.D{{Key: "collStats", Value: o.Collection}}).Decode(&raw)
	if err != nil {
		return org.Stats{}, storeErr("collStats "+o.Collection, err)
	}
	st := org.Stats{
		Documents: rawInt(raw, "count"),
		SizeBytes: rawInt(raw, "size"),
		Indexes:   rawInt(raw, "nindexes"),
	}
	s.stats.put(o.Collection, st, time.Now())
	return st, nil
}

// rawInt reads a number of any BSON numeric type.
func rawInt(raw bson.Raw, key string) int64 {
	v, err := raw.LookupErr(key)
	if err != nil {
		return 0
	}
	if n, ok := v.AsInt64OK(); ok {
		return n
	}
	if f, ok := v.DoubleOK(); ok {
		return int64(f)
	}
	return 0
}
