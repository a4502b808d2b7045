package mongo

import (
	"context"
	"hash/fnv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/org"
)

// Keeping the last operator and the last admin of every organization.
// Taking an account away from one of those kinds (removing it, demoting an
// admin) is a check of how many are left followed by a write: two of them
// racing, each on one of the last two, would both pass the check. So each
// runs under the guard of its kind, "operators" or "admins:<org id>", and
// counts what the store holds inside it.
//
// On an exclusive store the guard is a lock of this process, and the
// directory, which nobody else writes, is what the store holds. With
// several daemons on one database it is a claim, "lock:<scope>", that one
// daemon holds for the few milliseconds of the change: a second waits for
// it, and takes over one whose daemon stopped beating its heart (or that
// is older than guardStale) as it takes over an abandoned intent.

// guardStripes is how many locks the guards of an exclusive store share.
const guardStripes = 16

// Guard timing on a shared store.
const (
	guardRetry = 20 * time.Millisecond
	guardStale = time.Minute
)

// guard takes the guard of scope, waiting for it until ctx ends, and
// returns what releases it.
func (s *Store) guard(ctx context.Context, scope string) (release func(), err error) {
	if s.exclusive {
		h := fnv.New32a()
		_, _ = h.Write([]byte(scope))
		mu := &s.guardLocks[h.Sum32()%guardStripes]
		mu.Lock()
		return mu.Unlock, nil
	}
	key, owner := "lock:"+scope, s.instance+":"+org.NewID()
	for {
		holder, err := s.claim(ctx, key, owner, "lock")
		if err != nil {
			return nil, err
		}
		if holder == owner {
			return func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := s.release(rctx, key, owner); err != nil {
					s.log.Warn("guard not released; it is taken over once stale", "scope", scope, "error", err)
				}
			}, nil
		}
		if err := s.takeOverStale(ctx, key, holder); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(guardRetry):
		}
	}
}

// takeOverStale releases the guard key held by holder when its daemon is
// gone or it is older than guardStale.
func (s *Store) takeOverStale(ctx context.Context, key, holder string) error {
	var c claimDoc
	err := s.findByID(ctx, s.claims, key).Decode(&c)
	if err != nil || c.Owner != holder {
		return nil // released meanwhile, or unreadable: try the claim again
	}
	instance, _, _ := cutInstance(holder)
	alive, err := s.alive(ctx, instance)
	if err != nil {
		return err
	}
	if alive && time.Since(c.At) < guardStale {
		return nil
	}
	s.log.Warn("taking over a stale guard", "guard", key)
	return s.release(ctx, key, holder)
}

// cutInstance splits a guard's owner into its daemon instance and nonce.
func cutInstance(owner string) (instance, nonce string, ok bool) {
	for i := len(owner) - 1; i >= 0; i-- {
		if owner[i] == ':' {
			return owner[:i], owner[i+1:], true
		}
	}
	return owner, "", false
}

// countLoggingIn counts the accounts of a's kind that can log in: the
// operators, or the admins of a's organization. The caller holds the
// guard of that kind.
func (s *Store) countLoggingIn(ctx context.Context, a org.Account) (int, error) {
	if s.exclusive {
		if a.Role == org.RoleOperator {
			return s.dir.OperatorCount(), nil
		}
		return s.dir.AdminCount(a.OrgID), nil
	}
	filter := bson.D{{Key: "state", Value: bson.D{{Key: "$in", Value: bson.A{org.StateActive, org.StateUpdating}}}}}
	coll := s.ops
	if a.Role != org.RoleOperator {
		coll = s.members
		filter = append(filter, bson.E{Key: "org_id", Value: a.OrgID}, bson.E{Key: "role", Value: org.RoleAdmin})
	}
	n, err := coll.CountDocuments(ctx, filter)
	if err != nil {
		return 0, storeErr("count accounts", err)
	}
	return int(n), nil
}
