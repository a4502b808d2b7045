package mongo

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// Conditional writes. On MongoDB, "update the organization if it is still
// in state s" is one write whose filter is {_id, state}: the _id index
// finds the document, and the store compares and sets at once, however
// many daemons race. The embedded engine uses an index only for a filter
// that is exactly {_id: …}; with any other member it decodes every
// document of the collection (200 ms at 10,000 organizations). An
// exclusive store has no other writer than this process, so there the
// comparison is made here: under a lock held by every conditional writer
// of the same key, the document is read by _id, compared, and written by
// _id.

// keyLockStripes is how many locks the keys of conditional writes share.
const keyLockStripes = 64

// lockKey locks the conditional writes of one key (an organization id or
// a claim key) on an exclusive store, and returns the unlock.
func (s *Store) lockKey(key string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	mu := &s.keyLocks[h.Sum32()%keyLockStripes]
	mu.Lock()
	return mu.Unlock
}

// updateIf applies update to the document of c with id if its state is
// one of from, and returns the document as it is after; errChanged when it
// is gone or in another state.
func updateIf[D any](ctx context.Context, s *Store, c *mongo.Collection, id string, from []org.State, update bson.D) (D, error) {
	var d D
	if !s.exclusive {
		states := make(bson.A, len(from))
		for i, st := range from {
			states[i] = st
		}
		return findOneAndUpdate[D](ctx, c, bson.D{{Key: "_id", Value: id}, {Key: "state", Value: bson.D{{Key: "$in", Value: states}}}}, update)
	}
	defer s.lockKey(id)()
	var cur struct {
		State string `bson:"state"`
	}
	err := s.findByID(ctx, c, id).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return d, errChanged
	}
	if err != nil {
		return d, storeErr("read "+c.Name(), err)
	}
	if !slices.Contains(from, org.State(cur.State)) {
		return d, errChanged
	}
	return findOneAndUpdate[D](ctx, c, bson.D{{Key: "_id", Value: id}}, update)
}

// findOneAndUpdate applies update to the document filter matches and
// returns it as it is after; errChanged when filter matches nothing.
func findOneAndUpdate[D any](ctx context.Context, c *mongo.Collection, filter, update bson.D) (D, error) {
	var d D
	err := c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return d, errChanged
	}
	if err != nil {
		return d, storeErr("update "+c.Name(), err)
	}
	return d, nil
}

// updateOrgIf applies update to the organization id if it is in one of
// the states from, and puts the result into the directory; errChanged when
// it is gone or in another state.
func (s *Store) updateOrgIf(ctx context.Context, id string, update bson.D, from ...org.State) (org.Organization, error) {
	d, err := updateIf[orgDoc](ctx, s, s.orgs, id, from, update)
	if err != nil {
		return org.Organization{}, err
	}
	o := d.organization()
	s.dir.PutOrganization(o)
	return o, nil
}

// changeSchema waits, on an exclusive store, until no other create or
// delete is under way, and returns what lets the next one go. After a
// collection is made or dropped, each of the embedded engine's other
// SQLite connections rereads the schema of every collection before its
// next statement (half a second at 10,000 organizations): creates side by
// side kept many connections busy, each rereading after each of the
// others' changes, until requests timed out. One at a time, about one
// connection rereads per change. On a shared store (MongoDB) it lets
// everything through.
func (s *Store) changeSchema(ctx context.Context) (release func(), err error) {
	if !s.exclusive {
		return func() {}, nil
	}
	select {
	case s.schemaChanges <- struct{}{}:
		return func() { <-s.schemaChanges }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// findByID finds the document with the given _id. The embedded engine
// answers a find only after copying and sorting the metadata of every
// collection (15 ms at 10,000 organizations; a rename reads five times),
// whereas its findAndModify goes straight to the document through the _id
// index: there, a findAndModify whose update never applies ($setOnInsert
// without upsert) reads the document and writes nothing.
func (s *Store) findByID(ctx context.Context, c *mongo.Collection, id string) *mongo.SingleResult {
	filter := bson.D{{Key: "_id", Value: id}}
	if s.kind != KindEmbedded {
		return c.FindOne(ctx, filter)
	}
	return c.FindOneAndUpdate(ctx, filter, bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "orgd_read", Value: true}}}})
}
