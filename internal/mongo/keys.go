package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/org"
)

// SSH keys live in the keys collection, one document a key, keyed by its
// fingerprint: the store itself refuses a key registered twice, to one
// account or two. Adding and removing one is one write; an account's keys
// go with it when it is removed (undoAccount), and reconcile removes keys
// whose account is gone.

// keyDoc is an SSH key as stored.
type keyDoc struct {
	ID         string    `bson:"_id"` // the fingerprint
	Account    string    `bson:"account"`
	Type       string    `bson:"type"`
	Name       string    `bson:"name"`
	Key        []byte    `bson:"key"` // SSH wire form
	AddedAt    time.Time `bson:"added_at"`
	LastUsedAt time.Time `bson:"last_used_at,omitempty"`
}

func toKeyDoc(k org.Key) keyDoc {
	return keyDoc{ID: k.Fingerprint, Account: k.AccountID, Type: k.Type, Name: k.Name, Key: k.Wire, AddedAt: k.AddedAt, LastUsedAt: k.LastUsedAt}
}

func (d *keyDoc) key() org.Key {
	k := org.Key{Fingerprint: d.ID, AccountID: d.Account, Type: d.Type, Name: d.Name, Wire: d.Key, AddedAt: d.AddedAt.UTC()}
	if !d.LastUsedAt.IsZero() {
		k.LastUsedAt = d.LastUsedAt.UTC()
	}
	return k
}

// AddKey implements org.Store.
func (s *Store) AddKey(ctx context.Context, k org.Key) (org.Key, error) {
	k.AddedAt = k.AddedAt.UTC().Truncate(time.Millisecond)
	if _, err := s.keys.InsertOne(ctx, toKeyDoc(k)); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return org.Key{}, &org.Error{Code: org.ECONFLICT, Field: "public_key", Reason: "taken", Message: "the key " + k.Fingerprint + " is registered already"}
		}
		return org.Key{}, storeErr("add key", err)
	}
	s.dir.PutKey(k)
	s.bump(ctx)
	return k, nil
}

// RemoveKey implements org.Store.
func (s *Store) RemoveKey(ctx context.Context, fingerprint string) error {
	res, err := s.keys.DeleteOne(ctx, bson.D{{Key: "_id", Value: fingerprint}})
	if err != nil {
		return storeErr("remove key", err)
	}
	s.dir.RemoveKey(fingerprint)
	if res.DeletedCount == 0 {
		return &org.Error{Code: org.ENOTFOUND, Field: "fingerprint", Message: "no key " + fingerprint}
	}
	s.bump(ctx)
	return nil
}

// removeKeysOf deletes the keys of the account with id: those the
// directory has, and on a shared store those the store has.
func (s *Store) removeKeysOf(ctx context.Context, id string) error {
	fingerprints := make(map[string]bool)
	for _, k := range s.dir.KeysOf(id) {
		fingerprints[k.Fingerprint] = true
	}
	if !s.exclusive {
		var docs []keyDoc
		cur, err := s.keys.Find(ctx, bson.D{{Key: "account", Value: id}})
		if err != nil {
			return storeErr("find keys", err)
		}
		if err := cur.All(ctx, &docs); err != nil {
			return storeErr("find keys", err)
		}
		for _, d := range docs {
			fingerprints[d.ID] = true
		}
	}
	for fp := range fingerprints {
		if _, err := s.keys.DeleteOne(ctx, bson.D{{Key: "_id", Value: fp}}); err != nil {
			return storeErr("remove key", err)
		}
		s.dir.RemoveKey(fp)
	}
	return nil
}

// TouchKey implements org.Store: the directory has it now; the store at
// the next refresh tick (writeKeyUses).
func (s *Store) TouchKey(fingerprint string, at time.Time) {
	at = at.UTC().Truncate(time.Millisecond)
	s.dir.TouchKey(fingerprint, at)
	s.mu.Lock()
	s.keyUses[fingerprint] = at
	s.mu.Unlock()
}

// writeKeyUses writes the key uses TouchKey recorded; a failed write is
// tried again at the next tick.
func (s *Store) writeKeyUses(ctx context.Context) {
	s.mu.Lock()
	uses := s.keyUses
	s.keyUses = make(map[string]time.Time)
	s.mu.Unlock()
	var failed error
	for fp, at := range uses {
		if failed == nil {
			_, failed = s.keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: fp}}, bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: at}}}})
			if failed == nil {
				continue
			}
		}
		s.mu.Lock()
		if later, ok := s.keyUses[fp]; !ok || later.Before(at) {
			s.keyUses[fp] = at
		}
		s.mu.Unlock()
	}
	if failed != nil {
		s.log.Debug("key uses not written; will retry", "error", failed)
	}
}

// accountGone reports whether the store has no account with id, in
// either collection.
func (s *Store) accountGone(ctx context.Context, id string) (bool, error) {
	for _, c := range []*mongo.Collection{s.members, s.ops} {
		err := s.findByID(ctx, c, id).Err()
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return false, storeErr("read account", err)
		}
	}
	return true, nil
}

// removeOrphanKeys deletes the keys whose account is gone from the
// directory and, asked, from the store.
func (s *Store) removeOrphanKeys(ctx context.Context) error {
	for _, k := range s.dir.Keys() {
		if _, ok := s.dir.Account(k.AccountID); ok {
			continue
		}
		if gone, err := s.accountGone(ctx, k.AccountID); err != nil || !gone {
			continue // there after all, or the store cannot say
		}
		s.log.Info("removing a key whose account no longer exists", "fingerprint", k.Fingerprint)
		if _, err := s.keys.DeleteOne(ctx, bson.D{{Key: "_id", Value: k.Fingerprint}}); err != nil {
			return storeErr("remove key", err)
		}
		s.dir.RemoveKey(k.Fingerprint)
	}
	return nil
}
