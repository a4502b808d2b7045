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
			o := newOrganization("Phoenix "+step, strings.ReplaceAll(step, ":", "-")+"@example.com")
			if _, err := crashed.CreateOrganization(ctx, o); !errors.Is(err, errCrash) {
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
			if !ok || got.State != org.StateActive || got.Name != o.Name || got.AdminEmail != o.AdminEmail || got.Rev != 2 {
				t.Fatalf("after reconcile the directory holds %+v (found %v)", got, ok)
			}
			wantClean(ctx, t, s)
		})
	}

	t.Run("record of a finished create", func(t *testing.T) {
		s, _ := open("finished", nil)
		o, err := s.CreateOrganization(ctx, newOrganization("Later", "later@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		renamed, err := s.UpdateOrganization(ctx, o.ID, rename("Later Still"))
		if err != nil {
			t.Fatal(err)
		}
		// The record as a crash right after the create's document was
		// written would have left it, holding the create's version.
		_, err = s.Database().Collection(mongo.MetaCollection).InsertOne(ctx, bson.D{
			{Key: "_id", Value: "created:" + o.ID},
			{Key: "org", Value: bson.D{{Key: "_id", Value: o.ID}, {Key: "name", Value: o.Name}, {Key: "state", Value: "active"}, {Key: "rev", Value: o.Rev}}},
		})
		if err != nil {
			t.Fatal(err)
		}

		s2, dir := open("finished", nil)
		if err := s2.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := dir.Organization(o.ID)
		if got.Name != renamed.Name || got.Rev != renamed.Rev {
			t.Fatalf("after reconcile: %q rev %d, want %q rev %d, as renamed", got.Name, got.Rev, renamed.Name, renamed.Rev)
		}
		n, err := s2.Database().Collection(mongo.MetaCollection).CountDocuments(ctx, bson.D{{Key: "_id", Value: "created:" + o.ID}})
		if err != nil || n != 0 {
			t.Fatalf("the record is still there (%d, %v)", n, err)
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
