package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// Several daemons may share one database. Where the deployment has change
// streams, each daemon follows the others through one (watch.go).
// Otherwise, each bumps a version counter in the meta collection after
// every change, and polls it every refresh interval: when it moved by more
// than its own bumps, the daemon reloads the directory. One read by _id per interval costs nothing, even on the
// embedded engine, which scans whole collections for any other query. A
// full reload every fullReloadEvery intervals catches a bump lost to a
// crash. Each daemon also keeps a heartbeat there, so that the others can
// tell its intents from abandoned ones.

const (
	versionID       = "directory_version"
	fullReloadEvery = 30
)

func heartbeatID(instance string) string { return "daemon:" + instance }

// Load replaces the directory with what the store holds. The admin an
// earlier orgd kept inside an organization's document is loaded as the
// account the upgrade makes of it, so that a store not upgraded yet reads
// the same as one upgraded.
func (s *Store) Load(ctx context.Context) error {
	asOf := s.dir.Seq()
	version, err := s.version(ctx)
	if err != nil {
		return err
	}
	var orgs []org.Organization
	var accounts []org.Account
	err = each(ctx, s.orgs, func(d *orgDoc) {
		orgs = append(orgs, d.organization())
		if d.legacy() && d.Legacy.AdminID != "" {
			accounts = append(accounts, d.legacyAccount())
		}
	})
	if err != nil {
		return fmt.Errorf("load organizations: %w", err)
	}
	for _, c := range []*mongo.Collection{s.ops, s.members} {
		operator := c == s.ops
		if err := each(ctx, c, func(d *accountDoc) { accounts = append(accounts, d.account(operator)) }); err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
	}
	logins := make(map[string]time.Time)
	if err := each(ctx, s.lastLogins, func(d *loginDoc) { logins[d.ID] = d.At.UTC() }); err != nil {
		return fmt.Errorf("load last logins: %w", err)
	}
	for i, a := range accounts {
		if at, ok := logins[a.ID]; ok {
			if at.After(a.LastLoginAt) {
				accounts[i].LastLoginAt = at
			}
			delete(logins, a.ID)
		}
	}
	var keys []org.Key
	if err := each(ctx, s.keys, func(d *keyDoc) { keys = append(keys, d.key()) }); err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	revoked := make(map[string]time.Time)
	if err := each(ctx, s.revoked, func(d *revocationDoc) { revoked[d.ID] = d.ExpiresAt.UTC() }); err != nil {
		return fmt.Errorf("load revoked tokens: %w", err)
	}
	s.dir.Replace(org.Load{Organizations: orgs, Accounts: accounts, Keys: keys, Revoked: revoked}, asOf)
	// The logins left are of accounts gone, or made after the accounts
	// were read: Reconcile tells which.
	for id := range logins {
		s.markStrayLogin(id)
	}
	s.mu.Lock()
	s.seen = version
	clear(s.own)
	s.mu.Unlock()
	return nil
}

// each decodes every document of c into a D and hands it to fn.
func each[D any](ctx context.Context, c *mongo.Collection, fn func(*D)) error {
	cur, err := c.Find(ctx, bson.D{})
	if err != nil {
		return storeErr("read "+c.Name(), err)
	}
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			_ = cur.Close(ctx)
			return storeErr("decode "+c.Name(), err)
		}
		fn(&d)
	}
	if err := errors.Join(cur.Err(), cur.Close(ctx)); err != nil {
		return storeErr("read "+c.Name(), err)
	}
	return nil
}

func (s *Store) version(ctx context.Context) (int64, error) {
	var d struct {
		Version int64 `bson:"version"`
	}
	err := s.meta.FindOne(ctx, bson.D{{Key: "_id", Value: versionID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr("read directory version", err)
	}
	return d.Version, nil
}

// bump tells other daemons that the directory changed. It is best effort:
// a lost bump is caught by the next full reload.
func (s *Store) bump(ctx context.Context) {
	if s.exclusive {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	var d struct {
		Version int64 `bson:"version"`
	}
	err := s.meta.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: versionID}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		s.log.Warn("directory version not bumped; other daemons catch up at their next full reload", "error", err)
		return
	}
	s.mu.Lock()
	s.own[d.Version] = true
	s.mu.Unlock()
}

// follow reloads the directory if another daemon changed the store since
// the last look. It reports whether it reloaded.
func (s *Store) follow(ctx context.Context, force bool) (bool, error) {
	v, err := s.version(ctx)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	foreign := false
	for n := s.seen + 1; n <= v; n++ {
		if !s.own[n] {
			foreign = true
			break
		}
	}
	if !foreign && !force {
		s.seen = max(s.seen, v)
		for n := range s.own {
			if n <= s.seen {
				delete(s.own, n)
			}
		}
	}
	s.mu.Unlock()
	if !foreign && !force {
		return false, nil
	}
	return true, s.Load(ctx)
}

// heartbeat records that this daemon is alive.
func (s *Store) heartbeat(ctx context.Context) error {
	// Not cut short when the daemon stops: a write the driver gives up on
	// may still land after Close has deleted the heartbeat, and the
	// stopped daemon would then look alive, its intents left alone, for
	// deadAfter. Run returns once this write is done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(s.refresh, 5*time.Second))
	defer cancel()
	_, err := s.meta.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: heartbeatID(s.instance)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seen", Value: now()}}}},
		options.UpdateOne().SetUpsert(true))
	return storeErr("heartbeat", err)
}

// alive reports whether the daemon instance has beaten its heart recently.
func (s *Store) alive(ctx context.Context, instance string) (bool, error) {
	var d struct {
		Seen time.Time `bson:"seen"`
	}
	err := s.meta.FindOne(ctx, bson.D{{Key: "_id", Value: heartbeatID(instance)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("read heartbeat", err)
	}
	return time.Since(d.Seen) < s.deadAfter(), nil
}

func (s *Store) deadAfter() time.Duration {
	return max(3*s.refresh, 10*time.Second)
}

// Run keeps the store in order until ctx ends: every refresh interval it
// beats its heart, follows other daemons' changes and reconciles abandoned
// intents; at first it also reads the newest audit entries into memory
// (an exclusive store). Errors are logged; a store that is down is
// retried.
func (s *Store) Run(ctx context.Context) {
	var reading sync.WaitGroup
	reading.Go(func() { s.fillRecent(ctx) })
	defer reading.Wait()
	if !s.exclusive {
		var watching sync.WaitGroup
		watching.Add(1)
		go func() {
			defer watching.Done()
			s.watchLoop(ctx)
		}()
		defer watching.Wait()
	}
	s.tick(ctx, 0)
	t := time.NewTicker(s.refresh)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.tick(ctx, n)
		}
	}
}

func (s *Store) tick(ctx context.Context, n int) {
	ctx, cancel := context.WithTimeout(ctx, max(s.refresh, 5*time.Second))
	defer cancel()
	s.cursors.sweep(ctx)
	if !s.exclusive {
		// Other daemons' changes first, so that their latency is not the
		// heartbeat's plus theirs; the heartbeat whatever they gave, so
		// that a failure to follow never makes this daemon look dead.
		full := n > 0 && n%fullReloadEvery == 0
		reloaded := false
		var err error
		if full || !s.isStreaming() {
			reloaded, err = s.follow(ctx, full)
		}
		if err := s.heartbeat(ctx); err != nil {
			s.log.Debug("heartbeat failed", "error", err)
			return
		}
		if err != nil {
			s.log.Warn("following other daemons failed", "error", err)
			return
		}
		if reloaded {
			s.log.Debug("directory reloaded", "organizations", s.dir.Len())
		}
	}
	if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("reconcile failed; will retry", "error", err)
	}
	s.writeLogins(ctx)
	s.writeKeyUses(ctx)
	s.writeAuditHint(ctx)
	s.forgetRevocations(ctx)
}
