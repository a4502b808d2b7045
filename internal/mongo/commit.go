package mongo

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/org"
)

// How a create is finished on an exclusive store. Activating an
// organization is a write to its document after its collection was made;
// on MongoDB, one conditional update (finishIntent). On the embedded
// engine an update holds two SQLite connections at once (one reads the
// document while the other writes it), and right after a collection is
// made every SQLite connection but the one that made it rereads the schema
// of every collection before its next statement: a second at 10,000
// organizations, which made each create cost that much. Inserts and
// deletes use one connection at a time, the one that made the collection,
// and reread nothing.
//
// So there a create is finished with those alone. A commit record, a
// document in the meta collection holding the organization's finished
// document, is inserted first: from then on the create holds. Then the
// provisioning document is deleted, the finished one inserted, and the
// record deleted. Nobody but this process reads the store, and it serves
// the organization from its directory, so the moment without a document is
// seen by nobody; a crash inside it is repaired from the record, which
// Reconcile reads (restoreCommitted) before it would roll a create back.
// The record is inserted after the collection was made, so it also proves
// the collection is the organization's own and not one left from outside
// orgd.

// commitPrefix starts the _id of every commit record, followed by the
// organization's id.
const commitPrefix = "created:"

// commitDoc is a commit record.
type commitDoc struct {
	ID  string `bson:"_id"`
	Org orgDoc `bson:"org"`
}

// commitCreate finishes the create of o, provisioning with its collection
// made, on an exclusive store, and returns the finished organization.
// Once the record is written the create holds: a later failure of the
// store is logged, the organization made a suspect for Reconcile to
// finish, and the organization returned.
func (s *Store) commitCreate(ctx context.Context, o org.Organization) (org.Organization, error) {
	done := o
	done.State, done.Rev, done.UpdatedAt = org.StateActive, o.Rev+1, now()
	done.IntentOwner, done.IntentAt = "", time.Time{}
	_, err := s.meta.InsertOne(ctx, commitDoc{ID: commitPrefix + o.ID, Org: toOrgDoc(done)})
	if err != nil {
		return org.Organization{}, storeErr("commit the create", err)
	}
	if err := s.step("create:committed"); err != nil {
		return org.Organization{}, err
	}
	if err := s.applyCommit(ctx, done); err != nil {
		if errors.Is(err, errFailpoint) {
			return org.Organization{}, err
		}
		s.log.Warn("a created organization is left for reconcile to finish", "org_id", o.ID, "error", err)
		s.suspect(o.ID)
		s.dir.PutOrganization(done)
	}
	return done, nil
}

// applyCommit replaces the organization's document by done, the one its
// commit record holds, and deletes the record.
func (s *Store) applyCommit(ctx context.Context, done org.Organization) error {
	defer s.lockKey(done.ID)()
	if _, err := s.orgs.DeleteOne(ctx, bson.D{{Key: "_id", Value: done.ID}}); err != nil {
		return storeErr("replace organization", err)
	}
	if err := s.step("create:replacing"); err != nil {
		return err
	}
	if _, err := s.orgs.InsertOne(ctx, toOrgDoc(done)); err != nil {
		return storeErr("replace organization", err)
	}
	s.dir.PutOrganization(done)
	// Even when the request was given up on: a record outlives its use.
	if err := s.dropCommitRecord(context.WithoutCancel(ctx), done.ID); err != nil {
		// Reconcile deletes it, seeing the organization finished.
		s.log.Warn("commit record left behind; reconcile will delete it", "org_id", done.ID, "error", err)
		s.suspect(done.ID)
	}
	return nil
}

// dropCommitRecord deletes the commit record of organization id, if any.
// A delete or a rolled-back create drops it too, before the document, so
// that no record can outlive its organization and bring it back.
func (s *Store) dropCommitRecord(ctx context.Context, id string) error {
	if !s.exclusive {
		return nil // never written there
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := s.meta.DeleteOne(ctx, bson.D{{Key: "_id", Value: commitPrefix + id}})
	return storeErr("delete commit record", err)
}

// commitRecord reads the commit record of organization id, if any.
func (s *Store) commitRecord(ctx context.Context, id string) (org.Organization, bool, error) {
	var d commitDoc
	err := s.findByID(ctx, s.meta, commitPrefix+id).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return org.Organization{}, false, nil
	}
	if err != nil {
		return org.Organization{}, false, storeErr("read commit record", err)
	}
	return d.Org.organization(), true, nil
}

// committedIDs lists the organizations that have a commit record.
func (s *Store) committedIDs(ctx context.Context) ([]string, error) {
	cur, err := s.meta.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: commitPrefix}, {Key: "$lt", Value: commitPrefix + "\uffff"}}}})
	if err != nil {
		return nil, storeErr("list commit records", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr("list commit records", err)
	}
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		if id, ok := strings.CutPrefix(d.ID, commitPrefix); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// restoreCommitted finishes a create that reached its commit record, as
// the record has it, when a crash left its document provisioning or
// deleted (and its slug still claimed: the create's, between the two
// writes that replace the document). Any other record is left over from a
// create that finished, and is deleted. It reports whether it finished a
// create; the caller then has nothing left to do. The caller holds the
// organization's change.
func (s *Store) restoreCommitted(ctx context.Context, id string) (bool, error) {
	if !s.exclusive {
		return false, nil // never written there
	}
	done, ok, err := s.commitRecord(ctx, id)
	if err != nil || !ok {
		return false, err
	}
	var cur orgDoc
	err = s.findByID(ctx, s.orgs, id).Decode(&cur)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		mine, err := s.holds(ctx, slugClaim(done.Slug), id)
		if err != nil {
			return false, err
		}
		if !mine { // deleted since, claims and all
			return false, s.dropCommitRecord(ctx, id)
		}
	case err != nil:
		return false, storeErr("read organization", err)
	case cur.State != string(org.StateProvisioning):
		// Finished; anything since is newer than the record.
		return false, s.dropCommitRecord(ctx, id)
	}
	s.log.Info("finishing an interrupted create", "org_id", id, "name", done.Name)
	return true, s.applyCommit(ctx, done)
}
