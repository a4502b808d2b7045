package mongo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
)

// TestReconcileFinishesCommittedCreates: on an exclusive store a create
// holds once its commit record is written. A store opened after a crash
// there, whether the organization's document was left provisioning or
// already deleted to be written again, finishes the create from the
// record; until then Check reports it as a change under way, not as
// orphaned claims and collection. A record left behind by a create that
// did finish changes nothing.
func TestReconcileFinishesCommittedCreates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	proc := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	open := func(db string, failpoint func(string) error) (*mongo.Store, *org.Directory) {
		t.Helper()
		dir := org.NewDirectory(nil)
		s, err := mongo.Open(ctx, mongo.Options{
			URI: proc.URI, Database: db, Kind: mongo.KindEmbedded, Exclusive: true,
			Directory: dir, ServerSelectionTimeout: 10 * time.Second, Failpoint: failpoint,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s, dir
	}
	errCrash := errors.New("simulated crash")

	for _, step := range []string{"create:committed", "create:replacing"} {
		t.Run("after "+step, func(t *testing.T) {
			db := strings.ReplaceAll(step, ":", "_")
			crashed, _ := open(db, func(s string) error {
				if s == step {
					return errCrash
				}
				return nil
			})
			o, admin := newOrganization("Phoenix "+step, strings.ReplaceAll(step, ":", "-")+"@example.com")
			if _, err := crashed.CreateOrganization(ctx, o, admin); !errors.Is(err, errCrash) {
				t.Fatalf("create: %v, want the simulated crash", err)
			}

			s, dir := open(db, nil)
			problems, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || problems[0].Kind != "intent" || !strings.Contains(problems[0].Detail, "commit record") {
				t.Fatalf("before reconcile, check finds %v; want only the committed create", problems)
			}
			if err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			got, ok := dir.Organization(o.ID)
			if !ok || got.State != org.StateActive || got.Name != o.Name || got.AdminEmail() != admin.Email || got.Rev != 2 {
				t.Fatalf("after reconcile the directory holds %+v (found %v)", got, ok)
			}
			wantClean(ctx, t, s)
		})
	}

	// record writes a commit record for o as one left behind would be.
	record := func(t *testing.T, s *mongo.Store, o org.Organization) {
		t.Helper()
		_, err := s.Database().Collection(mongo.MetaCollection).InsertOne(ctx, bson.D{
			{Key: "_id", Value: "created:" + o.ID},
			{Key: "org", Value: bson.D{
				{Key: "_id", Value: o.ID}, {Key: "name", Value: o.Name}, {Key: "slug", Value: o.Slug},
				{Key: "collection", Value: o.Collection}, {Key: "state", Value: "active"}, {Key: "rev", Value: o.Rev},
				{Key: "layout", Value: 2},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wantStale := func(t *testing.T, s *mongo.Store) {
		t.Helper()
		problems, err := s.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 1 || problems[0].Kind != "stale_record" {
			t.Fatalf("check finds %v; want only the stale record", problems)
		}
	}

	// restartStale opens db again, as a restart would, wants Check to find
	// only a stale record there, and reconciles.
	restartStale := func(t *testing.T, db string) (*mongo.Store, *org.Directory) {
		t.Helper()
		s, dir := open(db, nil)
		wantStale(t, s)
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		return s, dir
	}

	t.Run("a restore that fails is tried again", func(t *testing.T) {
		crashed, _ := open("retried", func(s string) error {
			if s == "create:replacing" {
				return errCrash
			}
			return nil
		})
		o, admin := newOrganization("Retried", "retried@example.com")
		if _, err := crashed.CreateOrganization(ctx, o, admin); !errors.Is(err, errCrash) {
			t.Fatalf("create: %v, want the simulated crash", err)
		}
		failed := false
		s, dir := open("retried", func(s string) error {
			if s == "create:replacing" && !failed {
				failed = true
				return errCrash
			}
			return nil
		})
		if err := s.Reconcile(ctx); !errors.Is(err, errCrash) {
			t.Fatalf("first reconcile: %v, want the simulated failure", err)
		}
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got, ok := dir.Organization(o.ID); !ok || got.State != org.StateActive {
			t.Fatalf("after the second reconcile the directory holds %+v (found %v)", got, ok)
		}
		wantClean(ctx, t, s)
	})

	t.Run("record of a finished create", func(t *testing.T) {
		s, _ := open("finished", nil)
		o, err := create(ctx, s, "Later", "later@example.com")
		if err != nil {
			t.Fatal(err)
		}
		renamed, err := s.UpdateOrganization(ctx, o.ID, rename("Later Still"))
		if err != nil {
			t.Fatal(err)
		}
		record(t, s, o) // as a crash right after the document was written leaves it

		s2, dir := restartStale(t, "finished")
		got, _ := dir.Organization(o.ID)
		if got.Name != renamed.Name || got.Rev != renamed.Rev {
			t.Fatalf("after reconcile: %q rev %d, want %q rev %d, as renamed", got.Name, got.Rev, renamed.Name, renamed.Rev)
		}
		wantClean(ctx, t, s2)
	})

	t.Run("record of a deleted organization", func(t *testing.T) {
		s, _ := open("deleted", nil)
		old, err := create(ctx, s, "Phoenix", "phoenix@example.com")
		if err != nil {
			t.Fatal(err)
		}
		record(t, s, old)
		if err := s.DeleteOrganization(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		wantClean(ctx, t, s) // the delete took the record with it

		// A record that outlived its organization all the same, and a
		// new organization of the same name on the same collection.
		record(t, s, old)
		again, err := create(ctx, s, "Phoenix", "phoenix-again@example.com")
		if err != nil {
			t.Fatal(err)
		}
		s2, dir := restartStale(t, "deleted")
		if got, ok := dir.Organization(old.ID); ok {
			t.Fatalf("the deleted organization is back: %+v", got)
		}
		if got, ok := dir.Organization(again.ID); !ok || got.Collection != old.Collection {
			t.Fatalf("the new organization: %+v (found %v)", got, ok)
		}
		wantClean(ctx, t, s2)
	})
}

func wantClean(ctx context.Context, t *testing.T, s *mongo.Store) {
	t.Helper()
	problems, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("broken invariant: %s", p)
	}
}
