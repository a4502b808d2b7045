package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// claim reserves key for owner. It returns the holder: owner when the claim
// is (or already was) owner's, someone else when the key is taken.
func (s *Store) claim(ctx context.Context, key, owner, kind string) (holder string, err error) {
	_, err = s.claims.InsertOne(ctx, claimDoc{ID: key, Owner: owner, Kind: kind, At: now()})
	if err == nil {
		return owner, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return "", storeErr("claim "+key, err)
	}
	holder, err = s.claimHolder(ctx, key)
	if err != nil {
		return "", err
	}
	if holder == "" {
		// Released between our insert and our read: try once more.
		return s.claim(ctx, key, owner, kind)
	}
	return holder, nil
}

// claimHolder returns who holds key, or "" when nobody does.
func (s *Store) claimHolder(ctx context.Context, key string) (string, error) {
	var c claimDoc
	err := s.findByID(ctx, s.claims, key).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	if err != nil {
		return "", storeErr("read claim "+key, err)
	}
	return c.Owner, nil
}

// release gives up key if owner holds it; anyone else's claim is left alone.
// On an exclusive store the owner is compared here, under the key's lock
// (see updateOrgIf), since the engine would read every claim to match a
// filter on the owner. Only a release deletes a claim, a claim is only
// inserted where none is, and a hand-over takes the same lock, so the claim
// read cannot change hands before it is deleted.
func (s *Store) release(ctx context.Context, key, owner string) error {
	if !s.exclusive {
		_, err := s.claims.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: owner}})
		return storeErr("release claim "+key, err)
	}
	defer s.lockKey(key)()
	holder, err := s.claimHolder(ctx, key)
	if err != nil || holder != owner {
		return err
	}
	_, err = s.claims.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}})
	return storeErr("release claim "+key, err)
}

// holds reports whether owner holds key.
func (s *Store) holds(ctx context.Context, key, owner string) (bool, error) {
	h, err := s.claimHolder(ctx, key)
	return h == owner, err
}

// handOver gives key from one owner to another in one write, so that no
// moment finds it unheld (a crash between a release and a claim would
// leave it so). It returns the holder afterwards: to when the key was
// from's or already to's, someone else's otherwise.
func (s *Store) handOver(ctx context.Context, key, from, to, kind string) (holder string, err error) {
	if s.exclusive {
		defer s.lockKey(key)()
		if holder, err = s.claimHolder(ctx, key); err != nil || holder != from {
			return holder, err
		}
		_, err = s.claims.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: to}, {Key: "kind", Value: kind}, {Key: "at", Value: now()}}}})
		if err != nil {
			return "", storeErr("hand over claim "+key, err)
		}
		return to, nil
	}
	_, err = s.claims.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: from}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: to}, {Key: "kind", Value: kind}, {Key: "at", Value: now()}}}})
	if err != nil {
		return "", storeErr("hand over claim "+key, err)
	}
	return s.claimHolder(ctx, key)
}
