package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// The upgrade from an earlier orgd's layout. That orgd kept each
// organization's one admin inside the organization's document (admin_id,
// admin_email, password_hash, cred_version), with the email's claim owned
// by the organization. Now every account is a record of its own, and its
// email's claim is the account's. Upgrade moves each admin out, one
// organization at a time, in three idempotent steps:
//
//	insert the member's document (same id and credential version, so
//	the tokens issued before stay valid) → hand the email's claim from
//	the organization to the account → rewrite the organization's
//	document in the new layout (the commit point).
//
// A kill at any point leaves organizations either upgraded or still in
// the old layout, which Load reads the same way, and the next start
// carries on. The layout marker in the meta collection says when the
// upgrade started (orgd check reports it unfinished) and that it is done,
// so that later starts skip it.

// layoutID is the _id of the layout marker in the meta collection.
const layoutID = "layout"

// layoutMarker says which layout the store is in.
type layoutMarker struct {
	Version  int        `bson:"version"`
	Started  *time.Time `bson:"started,omitempty"`
	Finished *time.Time `bson:"finished,omitempty"`
}

// layout reads the layout marker; the zero marker when there is none.
func (s *Store) layout(ctx context.Context) (layoutMarker, error) {
	var m layoutMarker
	err := s.findByID(ctx, s.meta, layoutID).Decode(&m)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return m, storeErr("read the layout marker", err)
	}
	return m, nil
}

func (s *Store) setLayout(ctx context.Context, set bson.D) error {
	_, err := s.meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: layoutID}}, bson.D{{Key: "$set", Value: set}}, options.UpdateOne().SetUpsert(true))
	return storeErr("write the layout marker", err)
}

// Upgrade brings a store an earlier orgd wrote to this orgd's layout, and
// marks it done. It does nothing on a store already upgraded, and carries
// on an upgrade a crash interrupted. On MongoDB it also makes sure that an
// organization's members are found by an index. Run it before serving.
func (s *Store) Upgrade(ctx context.Context) error {
	if !s.ferret {
		// The embedded engine would not use them: it scans for any filter
		// but {_id}, and orgd never asks it for members by organization
		// nor keys by account.
		if _, err := s.members.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "org_id", Value: 1}}}); err != nil {
			return storeErr("index the members by organization", err)
		}
		if _, err := s.keys.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "account", Value: 1}}}); err != nil {
			return storeErr("index the keys by account", err)
		}
	}
	m, err := s.layout(ctx)
	if err != nil || m.Version >= layoutAccounts {
		return err
	}
	var legacy []orgDoc
	if err := each(ctx, s.orgs, func(d *orgDoc) {
		if d.legacy() && d.Legacy.AdminID != "" {
			legacy = append(legacy, *d)
		}
	}); err != nil {
		return fmt.Errorf("find organizations to upgrade: %w", err)
	}
	// A create an earlier orgd left past its commit record holds the
	// finished document there (commit.go), in the earlier layout too.
	var records []orgDoc
	if s.exclusive {
		if err := each(ctx, s.meta, func(r *commitDoc) {
			if strings.HasPrefix(r.ID, commitPrefix) && r.Org.legacy() && r.Org.Legacy.AdminID != "" {
				records = append(records, r.Org)
			}
		}); err != nil {
			return fmt.Errorf("find commit records to upgrade: %w", err)
		}
	}
	if len(legacy)+len(records) > 0 {
		if m.Started == nil {
			if err := s.setLayout(ctx, bson.D{{Key: "started", Value: now()}}); err != nil {
				return err
			}
		}
		s.log.Info("upgrading the store: each organization's admin becomes an account of its own", "organizations", len(legacy))
		start := time.Now()
		for _, d := range legacy {
			if err := s.upgradeOne(ctx, d, false); err != nil {
				return fmt.Errorf("upgrade organization %q (%s): %w", d.Name, d.ID, err)
			}
		}
		for _, d := range records {
			if err := s.upgradeOne(ctx, d, true); err != nil {
				return fmt.Errorf("upgrade the commit record of organization %q (%s): %w", d.Name, d.ID, err)
			}
		}
		s.log.Info("store upgraded", "organizations", len(legacy), "took", time.Since(start).Round(time.Millisecond))
	}
	if err := s.setLayout(ctx, bson.D{{Key: "version", Value: layoutAccounts}, {Key: "finished", Value: now()}}); err != nil {
		return err
	}
	s.bump(ctx)
	return nil
}

// upgradeOne moves the admin of the legacy organization d into an account
// of its own. With record set, d is the document in d's commit record,
// which is rewritten instead of the organizations'.
func (s *Store) upgradeOne(ctx context.Context, d orgDoc, record bool) error {
	a := d.legacyAccount()
	// An email change an earlier orgd left half-done ends here: forward
	// when it was committed, back otherwise.
	var other string
	if p := d.Pending; p != nil && p.AdminEmail != "" && org.EmailKey(p.AdminEmail) != org.EmailKey(d.Legacy.AdminEmail) {
		if p.Committed {
			a.Email, other = p.AdminEmail, d.Legacy.AdminEmail
		} else {
			other = p.AdminEmail
		}
	}
	if _, err := s.members.InsertOne(ctx, toAccountDoc(a)); err != nil && !mongo.IsDuplicateKeyError(err) {
		return storeErr("insert the admin's account", err)
	}
	if err := s.step("upgrade:account"); err != nil {
		return err
	}

	key := emailClaim(a.Email)
	switch holder, err := s.claimHolder(ctx, key); {
	case err != nil:
		return err
	case holder == d.ID:
		// In one write: a kill between a release and a claim would leave
		// the email unclaimed.
		if holder, err := s.handOver(ctx, key, d.ID, a.ID, "account"); err != nil {
			return err
		} else if holder != a.ID {
			return fmt.Errorf("the email %s of its admin is claimed by %s", a.Email, holder)
		}
	case holder == "":
		if holder, err := s.claim(ctx, key, a.ID, "account"); err != nil {
			return err
		} else if holder != a.ID {
			return fmt.Errorf("the email %s of its admin is claimed by %s", a.Email, holder)
		}
	case holder != a.ID:
		return fmt.Errorf("the email %s of its admin is claimed by %s", a.Email, holder)
	}
	if other != "" {
		if err := s.release(ctx, emailClaim(other), d.ID); err != nil {
			return err
		}
	}
	if err := s.step("upgrade:claim"); err != nil {
		return err
	}

	set := bson.D{{Key: "layout", Value: layoutAccounts}}
	unset := bson.D{
		{Key: "admin_id", Value: ""}, {Key: "admin_email", Value: ""},
		{Key: "password_hash", Value: ""}, {Key: "cred_version", Value: ""},
	}
	switch {
	case d.State == string(org.StateUpdating) && (d.Pending == nil || d.Pending.Slug == d.Slug):
		// Only the email (and the name's spelling) was changing: the
		// email is done above.
		set = append(set, bson.E{Key: "state", Value: org.StateActive})
		if p := d.Pending; p != nil && p.Committed && p.Name != "" {
			set = append(set, bson.E{Key: "name", Value: p.Name})
		}
		unset = append(unset, bson.E{Key: "pending", Value: ""}, bson.E{Key: "intent_owner", Value: ""}, bson.E{Key: "intent_at", Value: ""})
	case d.Pending != nil:
		unset = append(unset, bson.E{Key: "pending.admin_email", Value: ""})
	}
	if d.State == string(org.StateProvisioning) {
		set = append(set, bson.E{Key: "founder", Value: founderDoc{ID: a.ID, Email: a.Email}})
	}
	if record {
		for i := range set {
			set[i].Key = "org." + set[i].Key
		}
		for i := range unset {
			unset[i].Key = "org." + unset[i].Key
		}
		_, err := s.meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: commitPrefix + d.ID}}, bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: unset}})
		if err != nil {
			return storeErr("upgrade a commit record", err)
		}
		s.dir.PutAccount(a)
		return s.step("upgrade:organization")
	}
	after, err := findOneAndUpdate[orgDoc](ctx, s.orgs, bson.D{{Key: "_id", Value: d.ID}}, bson.D{
		{Key: "$set", Value: set},
		{Key: "$unset", Value: unset},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	})
	if errors.Is(err, errChanged) {
		return nil // deleted meanwhile; its account goes with the orphans
	}
	if err != nil {
		return err
	}
	s.dir.PutAccount(a)
	s.dir.PutOrganization(after.organization())
	return s.step("upgrade:organization")
}
