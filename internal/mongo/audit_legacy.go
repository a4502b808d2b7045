package mongo

import (
	"bytes"
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// An earlier orgd wrote each audit entry with an ObjectId _id (4 bytes of
// time first, so they sort about as they were written). Those entries stay
// where they are and are read after the numbered ones, newest (greatest
// _id) first, and expire as they do.
//
// On MongoDB they are read through the _id index, a page at a time. On
// FerretDB a range of _ids would read the whole collection, so they are
// read once, in the order they were inserted (which the engine gives
// without sorting, and where they all come before the first numbered
// entry), and kept in memory: as many as the earlier orgd wrote and
// retention left, a few hundred bytes each.

// legacyEntry is an entry an earlier orgd wrote.
type legacyEntry struct {
	oid bson.ObjectID
	e   org.AuditEntry
}

// legacyEntries are the earlier orgd's entries, newest first.
type legacyEntries struct {
	items []legacyEntry
}

var (
	minObjectID = bson.ObjectID{}
	maxObjectID = bson.ObjectID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// legacyBatch returns up to n of the earlier orgd's entries that come
// after after (older; from the newest when after is zero), newest first,
// and whether they are the last.
func (s *Store) legacyBatch(ctx context.Context, after bson.ObjectID, n int) ([]legacyEntry, bool, error) {
	if !s.ferret {
		return s.legacyFromIndex(ctx, after, n)
	}
	l, err := s.legacyInMemory(ctx)
	if err != nil {
		return nil, false, err
	}
	i := 0
	if !after.IsZero() {
		// items are sorted by _id, greatest first.
		i, _ = slices.BinarySearchFunc(l.items, after, func(x legacyEntry, oid bson.ObjectID) int {
			return -bytes.Compare(x.oid[:], oid[:])
		})
		if i < len(l.items) && l.items[i].oid == after {
			i++
		}
	}
	end := min(len(l.items), i+n)
	return l.items[i:end], end == len(l.items), nil
}

// legacyFromIndex reads a page of the earlier orgd's entries on MongoDB.
func (s *Store) legacyFromIndex(ctx context.Context, after bson.ObjectID, n int) ([]legacyEntry, bool, error) {
	below := bson.E{Key: "$lte", Value: maxObjectID}
	if !after.IsZero() {
		below = bson.E{Key: "$lt", Value: after}
	}
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: minObjectID}, below}}}
	cur, err := s.auditData().Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(n)))
	if err != nil {
		return nil, false, storeErr("read earlier audit entries", err)
	}
	var docs []storedAudit
	if err := cur.All(ctx, &docs); err != nil {
		return nil, false, storeErr("read earlier audit entries", err)
	}
	out := make([]legacyEntry, 0, len(docs))
	for _, d := range docs {
		if oid, ok := d.ID.ObjectIDOK(); ok {
			out = append(out, legacyEntry{oid: oid, e: d.entry()})
		}
	}
	return out, len(docs) < n, nil
}

// legacyInMemory returns the earlier orgd's entries on FerretDB, reading
// them the first time.
func (s *Store) legacyInMemory(ctx context.Context) (*legacyEntries, error) {
	a := &s.auditLog
	a.legacyLoad.Lock()
	defer a.legacyLoad.Unlock()
	a.mu.Lock()
	l := a.legacy
	a.mu.Unlock()
	if l != nil {
		return l, nil
	}
	// No filter and no sort: the engine then streams the collection in the
	// order it was written, and the stream stops at the first numbered
	// entry.
	cur, err := s.auditData().Find(ctx, bson.D{}, options.Find().SetBatchSize(256))
	if err != nil {
		return nil, storeErr("read earlier audit entries", err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	l = &legacyEntries{}
	for cur.Next(ctx) {
		var d storedAudit
		if err := cur.Decode(&d); err != nil {
			return nil, storeErr("read earlier audit entries", err)
		}
		oid, ok := d.ID.ObjectIDOK()
		if !ok {
			if id, isString := d.ID.StringValueOK(); isString {
				if _, numbered := auditSeq(id); numbered {
					break
				}
			}
			continue
		}
		l.items = append(l.items, legacyEntry{oid: oid, e: d.entry()})
	}
	if err := cur.Err(); err != nil {
		return nil, storeErr("read earlier audit entries", err)
	}
	slices.SortFunc(l.items, func(x, y legacyEntry) int { return -bytes.Compare(x.oid[:], y.oid[:]) })
	a.mu.Lock()
	a.legacy = l
	a.mu.Unlock()
	if len(l.items) > 0 {
		s.log.Info("audit entries of an earlier orgd read", "entries", len(l.items))
	}
	return l, nil
}

// forgetLegacy drops entries retention deleted from those in memory.
func (s *Store) forgetLegacy(gone []bson.ObjectID) {
	a := &s.auditLog
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.legacy == nil || len(gone) == 0 {
		return
	}
	drop := make(map[bson.ObjectID]bool, len(gone))
	for _, oid := range gone {
		drop[oid] = true
	}
	l := &legacyEntries{items: slices.DeleteFunc(slices.Clone(a.legacy.items), func(x legacyEntry) bool { return drop[x.oid] })}
	a.legacy = l
}
