package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// On a replica set or sharded cluster, a change stream tells this daemon of
// other daemons' changes as they happen; each event makes it reread that
// one document by _id. Where the deployment has no change streams (a
// standalone server, the embedded engine), or while a stream is broken,
// the version counter is polled instead (see follow.go).

// watchRetry is how long to wait before trying to open a change stream
// again.
func (s *Store) watchRetry() time.Duration { return fullReloadEvery * s.refresh }

// watchLoop keeps a change stream open while it can, until ctx ends.
func (s *Store) watchLoop(ctx context.Context) {
	reported := false
	for {
		err := s.watch(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case !reported:
			s.log.Info("change streams unavailable; following other daemons by polling", "every", s.refresh, "reason", err)
			reported = true
		default:
			s.log.Debug("change stream ended; polling until it reopens", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.watchRetry()):
		}
	}
}

// watch follows the organizations, accounts, keys, revocations and last
// logins through a change stream until it breaks.
func (s *Store) watch(ctx context.Context) error {
	pipeline := mongo.Pipeline{{{Key: "$match", Value: bson.D{{Key: "ns.coll", Value: bson.D{
		{Key: "$in", Value: bson.A{OrganizationsCollection, OperatorsCollection, MembersCollection, KeysCollection, RevocationsCollection, LoginsCollection}},
	}}}}}}
	cs, err := s.db.Watch(ctx, pipeline)
	if err != nil {
		return err
	}
	defer cs.Close(context.WithoutCancel(ctx))
	// What changed before the stream opened is in a fresh load.
	if err := s.Load(ctx); err != nil {
		return err
	}
	s.setStreaming(true)
	defer s.setStreaming(false)
	s.log.Info("following other daemons through a change stream")
	for cs.Next(ctx) {
		var ev struct {
			Op string `bson:"operationType"`
			NS struct {
				Coll string `bson:"coll"`
			} `bson:"ns"`
			Key struct {
				ID string `bson:"_id"`
			} `bson:"documentKey"`
		}
		if err := cs.Decode(&ev); err != nil {
			return err
		}
		if ev.Op == "invalidate" || ev.Op == "drop" || ev.Op == "dropDatabase" {
			return errors.New("change stream invalidated by " + ev.Op)
		}
		if ev.Key.ID == "" {
			continue
		}
		if err := s.refreshOne(ctx, ev.NS.Coll, ev.Key.ID); err != nil {
			return err
		}
	}
	return cs.Err()
}

// refreshOne rereads one organization, account, key, revocation or last
// login into the directory.
func (s *Store) refreshOne(ctx context.Context, collection, id string) error {
	switch collection {
	case OrganizationsCollection:
		var d orgDoc
		err := s.orgs.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			s.dir.RemoveOrganization(id)
			return nil
		}
		if err != nil {
			return storeErr("read organization", err)
		}
		s.dir.PutOrganization(d.organization())
	case OperatorsCollection, MembersCollection:
		c, operator := s.members, collection == OperatorsCollection
		if operator {
			c = s.ops
		}
		var d accountDoc
		err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			s.dir.RemoveAccount(id)
			return nil
		}
		if err != nil {
			return storeErr("read account", err)
		}
		s.dir.PutAccount(d.account(operator))
	case KeysCollection:
		var d keyDoc
		err := s.keys.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			s.dir.RemoveKey(id)
			return nil
		}
		if err != nil {
			return storeErr("read key", err)
		}
		s.dir.PutKey(d.key())
	case RevocationsCollection:
		var d revocationDoc
		err := s.revoked.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil // expired and deleted
		}
		if err != nil {
			return storeErr("read revocation", err)
		}
		s.dir.Revoke(d.ID, d.ExpiresAt.UTC())
	case LoginsCollection:
		var d loginDoc
		err := s.lastLogins.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil // its account is gone
		}
		if err != nil {
			return storeErr("read last login", err)
		}
		s.dir.TouchLogin(d.ID, d.At.UTC())
	}
	return nil
}

func (s *Store) setStreaming(on bool) {
	s.mu.Lock()
	s.streaming = on
	s.mu.Unlock()
}

func (s *Store) isStreaming() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streaming
}
