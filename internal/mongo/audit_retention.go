package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Retention of the audit trail (--audit-retention). The embedded engine
// has no TTL index, so orgd deletes expired entries itself: at start and
// then every auditExpireEvery, the oldest auditExpireBatch entries at a
// time, each deleted by its _id (the one lookup the engine does without
// reading the whole collection), with a pause between batches so that the
// work never stands in the way of requests for long. The oldest entries
// come first without sorting: on FerretDB in the order they were written
// (the engine streams a collection so, and stops at the limit), on MongoDB
// through the _id index (an earlier orgd's entries first, then the
// numbered ones).

// Pace of the retention.
const (
	auditExpireEvery = 5 * time.Minute
	auditExpireBatch = 200
	auditExpirePause = 250 * time.Millisecond
)

// RunAuditRetention deletes the audit entries older than keep, now and
// every few minutes, until ctx ends. With keep zero (keep all) it returns
// at once.
func (s *Store) RunAuditRetention(ctx context.Context, keep time.Duration) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(auditExpireEvery)
	defer t.Stop()
	for {
		n, err := s.expireAudit(ctx, time.Now().Add(-keep), auditExpirePause)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("expiring audit entries failed; will retry", "deleted", n, "error", err)
		case n > 0:
			s.log.Info("audit entries expired", "deleted", n, "retention", keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ExpireAudit deletes every audit entry older than before, a batch at a
// time without pauses, and says how many it deleted. RunAuditRetention is
// what orgd runs; this is for tests and tools.
func (s *Store) ExpireAudit(ctx context.Context, before time.Time) (int, error) {
	return s.expireAudit(ctx, before, 0)
}

func (s *Store) expireAudit(ctx context.Context, before time.Time, pause time.Duration) (int, error) {
	deleted := 0
	for {
		n, done, err := s.expireBatch(ctx, before)
		deleted += n
		if err != nil || done {
			return deleted, err
		}
		if pause > 0 {
			select {
			case <-ctx.Done():
				return deleted, ctx.Err()
			case <-time.After(pause):
			}
		}
	}
}

// expireBatch deletes the expired entries among the oldest batch, and
// reports whether that was the last of them.
func (s *Store) expireBatch(ctx context.Context, before time.Time) (int, bool, error) {
	oldest, last, err := s.oldestAudit(ctx)
	if err != nil {
		return 0, false, err
	}
	var ids []any
	var legacy []bson.ObjectID
	var top uint64
	done := last
	for _, d := range oldest {
		if !d.At.Before(before) {
			done = true
			break
		}
		ids = append(ids, d.ID)
		if oid, ok := d.ID.ObjectIDOK(); ok {
			legacy = append(legacy, oid)
		} else if id, ok := d.ID.StringValueOK(); ok {
			if seq, ok := auditSeq(id); ok {
				top = max(top, seq)
			}
		}
	}
	if len(ids) == 0 {
		return 0, true, nil
	}
	if top > 0 {
		// First the tail moves past what goes, in the hint and in memory,
		// so that neither a restart nor a reader looks for it.
		if s.ferret {
			s.hintAudit(ctx, 0, top+1)
		}
		a := &s.auditLog
		a.mu.Lock()
		a.tail = max(a.tail, top+1)
		a.recent.dropThrough(top)
		a.mu.Unlock()
	}
	models := make([]mongo.WriteModel, len(ids))
	for i, id := range ids {
		models[i] = mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}})
	}
	res, err := s.auditData().BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	if err != nil {
		return 0, false, storeErr("delete expired audit entries", err)
	}
	s.forgetLegacy(legacy)
	return int(res.DeletedCount), done, nil
}

// expiringAudit is what retention reads of an entry.
type expiringAudit struct {
	ID bson.RawValue `bson:"_id"`
	At time.Time     `bson:"at"`
}

// oldestAudit returns the oldest auditExpireBatch entries, oldest first,
// and whether no other entry follows them.
func (s *Store) oldestAudit(ctx context.Context) ([]expiringAudit, bool, error) {
	projection := bson.D{{Key: "_id", Value: 1}, {Key: "at", Value: 1}}
	find := func(filter bson.D, sort bool) ([]expiringAudit, error) {
		o := options.Find().SetProjection(projection).SetLimit(auditExpireBatch)
		if sort {
			o.SetSort(bson.D{{Key: "_id", Value: 1}})
		}
		cur, err := s.auditData().Find(ctx, filter, o)
		if err != nil {
			return nil, storeErr("read the oldest audit entries", err)
		}
		var out []expiringAudit
		if err := cur.All(ctx, &out); err != nil {
			return nil, storeErr("read the oldest audit entries", err)
		}
		return out, nil
	}
	if s.ferret {
		out, err := find(bson.D{}, false)
		return out, len(out) < auditExpireBatch, err
	}
	legacy, err := find(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: minObjectID}, {Key: "$lte", Value: maxObjectID}}}}, true)
	if err != nil || len(legacy) > 0 {
		// The numbered entries come after these.
		return legacy, false, err
	}
	out, err := find(auditRange(1, maxAuditSeq), true)
	return out, len(out) < auditExpireBatch, err
}
