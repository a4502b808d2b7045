package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// How changes are made safe without transactions. Each change first writes
// its intent into the organization's document (state provisioning,
// renaming, updating or deleting), then claims, creates, renames or drops,
// and finally writes the finished state. Every step is idempotent, and the
// claims decide every race. A crash at any point leaves an intent that
// Reconcile finishes or rolls back:
//
//	create:  insert doc (provisioning) → claim slug → claim email →
//	         create collection → activate.
//	         Reconcile rolls back: the create was never acknowledged.
//	         On an exclusive store, activating is commit record → replace
//	         doc → delete record (commit.go), and Reconcile rolls forward
//	         from the record.
//	rename:  doc renaming/updating with pending target → claim new slug →
//	         claim new email → rename collection → mark committed →
//	         release old claims → finalize.
//	         Reconcile rolls back before commit, forward after.
//	delete:  doc deleting → drop collection (while the slug claim is still
//	         ours, so never another organization's) → release claims →
//	         delete doc. Reconcile rolls forward.

// CreateOrganization implements org.Store.
func (s *Store) CreateOrganization(ctx context.Context, o org.Organization) (_ org.Organization, err error) {
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
	if _, err := s.orgs.InsertOne(ctx, toOrgDoc(o)); err != nil {
		return org.Organization{}, storeErr("insert organization", err)
	}
	s.dir.PutOrganization(o)
	if err := s.step("create:inserted"); err != nil {
		return org.Organization{}, err
	}

	if holder, err := s.claim(ctx, slugClaim(o.Slug), o.ID, "organization"); err != nil {
		return org.Organization{}, err
	} else if holder != o.ID {
		return org.Organization{}, s.abandonCreate(ctx, o, s.slugConflict("name", holder))
	}
	if err := s.step("create:claimed-slug"); err != nil {
		return org.Organization{}, err
	}

	if holder, err := s.claim(ctx, emailClaim(o.AdminEmail), o.ID, "organization"); err != nil {
		return org.Organization{}, err
	} else if holder != o.ID {
		return org.Organization{}, s.abandonCreate(ctx, o, org.ConflictEmail("admin_email", o.AdminEmail))
	}
	if err := s.step("create:claimed-email"); err != nil {
		return org.Organization{}, err
	}

	if err := s.db.CreateCollection(ctx, o.Collection); err != nil {
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
			return org.Organization{}, s.abandonCreate(ctx, o, &org.Error{Code: org.ECONFLICT, Field: "name",
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
	done, err := s.finishIntent(ctx, o.ID, org.StateProvisioning, nil)
	if err != nil {
		return org.Organization{}, err
	}
	s.bump(ctx)
	return done, nil
}

// abandonCreate undoes a create that lost a race for a claim and returns
// cause. Only claims held by o are released; the collection was not made.
func (s *Store) abandonCreate(ctx context.Context, o org.Organization, cause error) error {
	if err := s.undoCreate(ctx, o, false); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// undoCreate removes every trace of an unfinished create: the collection
// (when drop is set and the slug claim is o's, so the collection is too),
// the claims held by o, and finally the document.
func (s *Store) undoCreate(ctx context.Context, o org.Organization, drop bool) error {
	if drop {
		mine, err := s.holds(ctx, slugClaim(o.Slug), o.ID)
		if err != nil {
			return err
		}
		if mine {
			if err := s.dropCollection(ctx, o.Collection); err != nil {
				return err
			}
		}
	}
	for _, key := range []string{slugClaim(o.Slug), emailClaim(o.AdminEmail)} {
		if err := s.release(ctx, key, o.ID); err != nil {
			return err
		}
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
// its intent, also applying set. It fails if the organization is no longer
// in state from: someone else finished or undid the change.
func (s *Store) finishIntent(ctx context.Context, id string, from org.State, set bson.D) (org.Organization, error) {
	set = append(set, bson.E{Key: "state", Value: org.StateActive}, bson.E{Key: "updated_at", Value: now()})
	return s.updateOrgIf(ctx, id, from, bson.D{
		{Key: "$set", Value: set},
		{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}, {Key: "intent_owner", Value: ""}, {Key: "intent_at", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	})
}

// errChanged means a conditional update matched nothing: the organization
// is gone or in another state than expected.
var errChanged = errors.New("organization changed underneath")

// updateOrg applies update to the document filter matches, and puts the
// result into the directory.
func (s *Store) updateOrg(ctx context.Context, filter, update bson.D) (org.Organization, error) {
	var d orgDoc
	err := s.orgs.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return org.Organization{}, errChanged
	}
	if err != nil {
		return org.Organization{}, storeErr("update organization", err)
	}
	o := d.organization()
	s.dir.PutOrganization(o)
	return o, nil
}

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
	if c.PasswordHash != nil {
		if cur, err = s.changePassword(ctx, id, c.PasswordHash); err != nil {
			return org.Organization{}, err
		}
		// Other daemons must revoke the admin's tokens too, now.
		s.bump(ctx)
	}
	slugChanges := c.Slug != "" && c.Slug != cur.Slug
	emailChanges := c.AdminEmail != "" && org.EmailKey(c.AdminEmail) != org.EmailKey(cur.AdminEmail)
	if !slugChanges && !emailChanges {
		// One document, one write: nothing to claim, nothing to rename.
		var set bson.D
		if c.Name != "" {
			set = append(set, bson.E{Key: "name", Value: c.Name})
		}
		if c.AdminEmail != "" {
			set = append(set, bson.E{Key: "admin_email", Value: c.AdminEmail})
		}
		if set == nil {
			return cur, nil
		}
		o, err := s.updateOrgIf(ctx, id, org.StateActive, bson.D{
			{Key: "$set", Value: append(set, bson.E{Key: "updated_at", Value: now()})},
			{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
		})
		if errors.Is(err, errChanged) {
			return org.Organization{}, busy(cur)
		}
		if err == nil {
			s.bump(ctx)
		}
		return o, err
	}

	p := org.Pending{Name: cur.Name, Slug: cur.Slug, Collection: cur.Collection, AdminEmail: cur.AdminEmail}
	if c.Name != "" {
		p.Name, p.Slug, p.Collection = c.Name, c.Slug, c.Collection
	}
	if c.AdminEmail != "" {
		p.AdminEmail = c.AdminEmail
	}
	state := org.StateUpdating
	if slugChanges {
		state = org.StateRenaming
	}
	t := now()
	o, err := s.updateOrgIf(ctx, id, org.StateActive, bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "state", Value: state},
			{Key: "pending", Value: toOrgDoc(org.Organization{Pending: &p}).Pending},
			{Key: "intent_owner", Value: s.instance},
			{Key: "intent_at", Value: t},
			{Key: "updated_at", Value: t},
		}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	})
	if errors.Is(err, errChanged) {
		return org.Organization{}, busy(cur)
	}
	if err != nil {
		return org.Organization{}, err
	}
	if err := s.step("rename:intent"); err != nil {
		return org.Organization{}, err
	}

	if slugChanges {
		// The collection moves: cursors open on it end here.
		s.cursors.forget(ctx, id)
		if holder, err := s.claim(ctx, slugClaim(p.Slug), id, "organization"); err != nil {
			return org.Organization{}, err
		} else if holder != id {
			return org.Organization{}, s.abandonUpdate(ctx, o, s.slugConflict("new_name", holder))
		}
	}
	if err := s.step("rename:claimed-slug"); err != nil {
		return org.Organization{}, err
	}
	if emailChanges {
		if holder, err := s.claim(ctx, emailClaim(p.AdminEmail), id, "organization"); err != nil {
			return org.Organization{}, err
		} else if holder != id {
			return org.Organization{}, s.abandonUpdate(ctx, o, org.ConflictEmail("admin_email", p.AdminEmail))
		}
	}
	if err := s.step("rename:claimed-email"); err != nil {
		return org.Organization{}, err
	}
	if slugChanges {
		if err := s.renameCollection(ctx, o.Collection, p.Collection); err != nil {
			if isCode(err, codeNamespaceExists) {
				return org.Organization{}, s.abandonUpdate(ctx, o, &org.Error{Code: org.ECONFLICT, Field: "new_name",
					Message: fmt.Sprintf("a collection %s already exists without an organization; see orgd check", p.Collection)})
			}
			return org.Organization{}, err
		}
	}
	if err := s.step("rename:collection"); err != nil {
		return org.Organization{}, err
	}

	o, err = s.updateOrgIf(ctx, id, state, bson.D{
		{Key: "$set", Value: bson.D{{Key: "pending.committed", Value: true}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	})
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

// changePassword replaces the admin's password hash and moves the
// credential version on, in one write, revoking the admin's tokens.
func (s *Store) changePassword(ctx context.Context, id string, hash []byte) (org.Organization, error) {
	o, err := s.updateOrg(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "password_hash", Value: hash}, {Key: "updated_at", Value: now()}}},
		{Key: "$inc", Value: bson.D{{Key: "cred_version", Value: 1}, {Key: "rev", Value: 1}}},
	})
	if errors.Is(err, errChanged) {
		return org.Organization{}, org.Errorf(org.ENOTFOUND, "the organization no longer exists")
	}
	return o, err
}

// rollForwardUpdate finishes a committed rename or email change: it gives
// up the old claims and makes the pending values current.
func (s *Store) rollForwardUpdate(ctx context.Context, o org.Organization) (org.Organization, error) {
	p := o.Pending
	if p.Slug != o.Slug {
		if err := s.release(ctx, slugClaim(o.Slug), o.ID); err != nil {
			return org.Organization{}, err
		}
	}
	if org.EmailKey(p.AdminEmail) != org.EmailKey(o.AdminEmail) {
		if err := s.release(ctx, emailClaim(o.AdminEmail), o.ID); err != nil {
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
		{Key: "admin_email", Value: p.AdminEmail},
	})
}

// abandonUpdate undoes an uncommitted change that lost a race and returns
// cause.
func (s *Store) abandonUpdate(ctx context.Context, o org.Organization, cause error) error {
	if _, err := s.rollBackUpdate(ctx, o); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// rollBackUpdate undoes an uncommitted rename or email change: the
// collection gets its old name back, the new claims are released, and the
// intent is cleared.
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
			if err := s.renameCollection(ctx, p.Collection, o.Collection); err != nil && !isCode(err, codeNamespaceExists) {
				return org.Organization{}, err
			}
			if err := s.release(ctx, slugClaim(p.Slug), o.ID); err != nil {
				return org.Organization{}, err
			}
		}
	}
	if org.EmailKey(p.AdminEmail) != org.EmailKey(o.AdminEmail) {
		if err := s.release(ctx, emailClaim(p.AdminEmail), o.ID); err != nil {
			return org.Organization{}, err
		}
	}
	return s.finishIntent(ctx, o.ID, o.State, nil)
}

// renameCollection renames from to to within the database. A source that is
// gone while the target exists means an earlier attempt did it already.
func (s *Store) renameCollection(ctx context.Context, from, to string) error {
	cmd := bson.D{
		{Key: "renameCollection", Value: s.db.Name() + "." + from},
		{Key: "to", Value: s.db.Name() + "." + to},
	}
	err := s.client.Database("admin").RunCommand(ctx, cmd).Err()
	if err == nil {
		return nil
	}
	if isCode(err, codeNamespaceNotFound) {
		exists, lerr := s.collectionExists(ctx, to)
		if lerr != nil {
			return lerr
		}
		if exists {
			return nil
		}
		// Neither exists: an organization without its collection. Make an
		// empty one rather than leave it broken.
		return storeErr("create collection "+to, s.db.CreateCollection(ctx, to))
	}
	if isCode(err, codeNamespaceExists) {
		return err
	}
	return storeErr(fmt.Sprintf("rename collection %s to %s", from, to), err)
}

func (s *Store) collectionExists(ctx context.Context, name string) (bool, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return false, storeErr("list collections", err)
	}
	return len(names) > 0, nil
}

func (s *Store) dropCollection(ctx context.Context, name string) error {
	err := s.db.Collection(name).Drop(ctx)
	if err != nil && !isCode(err, codeNamespaceNotFound) {
		return storeErr("drop collection "+name, err)
	}
	return nil
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
	o, err := s.updateOrgIf(ctx, id, org.StateActive, bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "state", Value: org.StateDeleting},
			{Key: "intent_owner", Value: s.instance},
			{Key: "intent_at", Value: t},
			{Key: "updated_at", Value: t},
		}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}, {Key: "cred_version", Value: 1}}},
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
	if err := s.step("delete:intent"); err != nil {
		return err
	}
	if err := s.finishDelete(ctx, o); err != nil {
		return err
	}
	s.bump(ctx)
	return nil
}

// finishDelete carries a delete through from any step. The caller holds
// the organization's lock.
func (s *Store) finishDelete(ctx context.Context, o org.Organization) error {
	s.cursors.forget(ctx, o.ID)
	mine, err := s.holds(ctx, slugClaim(o.Slug), o.ID)
	if err != nil {
		return err
	}
	if mine {
		if err := s.dropCollection(ctx, o.Collection); err != nil {
			return err
		}
	}
	if err := s.step("delete:dropped"); err != nil {
		return err
	}
	for _, key := range []string{slugClaim(o.Slug), emailClaim(o.AdminEmail)} {
		if err := s.release(ctx, key, o.ID); err != nil {
			return err
		}
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

// CollectionStats implements org.Store, with collStats: the engine's own
// figures, never a count of the documents.
func (s *Store) CollectionStats(ctx context.Context, collection string) (org.Stats, error) {
	var raw bson.Raw
	err := s.data.RunCommand(ctx, bson.D{{Key: "collStats", Value: collection}}).Decode(&raw)
	if err != nil {
		return org.Stats{}, storeErr("collStats "+collection, err)
	}
	return org.Stats{
		Documents: rawInt(raw, "count"),
		SizeBytes: rawInt(raw, "size"),
		Indexes:   rawInt(raw, "nindexes"),
	}, nil
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
