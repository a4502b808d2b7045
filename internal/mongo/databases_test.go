package mongo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
)

func TestTenantsFillDatabasesOfBoundedSize(t *testing.T) {
	for _, exclusive := range []bool{true, false} {
		t.Run(map[bool]string{true: "exclusive", false: "shared"}[exclusive], func(t *testing.T) {
			s, dir := openStoreWith(t, mongo.Options{Exclusive: exclusive, TenantsPerDatabase: 2})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			created := map[string]org.Organization{}
			for _, name := range []string{"Alpha", "Bravo", "Charlie"} {
				o, err := create(ctx, s, name, name+"@example.com")
				if err != nil {
					t.Fatal(err)
				}
				created[name] = o
			}
			wantIn := func(t *testing.T, name, database string) {
				t.Helper()
				o, ok := dir.Organization(created[name].ID)
				if !ok {
					t.Fatalf("%s is not in the directory", name)
				}
				if o.Database != database {
					t.Errorf("%s is in database %q, want %q", name, o.Database, database)
				}
				names, err := s.TenantDatabase(database).ListCollectionNames(ctx, bson.D{{Key: "name", Value: o.Collection}})
				if err != nil || len(names) != 1 {
					t.Errorf("%s's collection %s in %s: %v, %v", name, o.Collection, database, names, err)
				}
			}
			t.Run("the first two organizations share a database, the third starts the next", func(t *testing.T) {
				wantIn(t, "Alpha", "orgd_t0001")
				wantIn(t, "Bravo", "orgd_t0001")
				wantIn(t, "Charlie", "orgd_t0002")
			})
			t.Run("a rename stays in its database", func(t *testing.T) {
				o, err := s.UpdateOrganization(ctx, created["Bravo"].ID, rename("Bravo Two"))
				if err != nil {
					t.Fatal(err)
				}
				created["Bravo"] = o
				wantIn(t, "Bravo", "orgd_t0001")
			})
			t.Run("stats are read where the collection is", func(t *testing.T) {
				st, err := s.OrganizationStats(ctx, created["Charlie"].ID)
				if err != nil || st.Indexes < 1 {
					t.Errorf("stats: %+v, %v", st, err)
				}
			})
			t.Run("room a delete makes is used once the database being filled is full", func(t *testing.T) {
				if err := s.DeleteOrganization(ctx, created["Alpha"].ID); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"Delta", "Echo"} {
					o, err := create(ctx, s, name, name+"@example.com")
					if err != nil {
						t.Fatal(err)
					}
					created[name] = o
				}
				wantIn(t, "Delta", "orgd_t0002")
				wantIn(t, "Echo", "orgd_t0001")
				names, err := s.TenantDatabase("orgd_t0001").ListCollectionNames(ctx, bson.D{})
				slices.Sort(names)
				if err != nil || !slices.Equal(names, []string{"org_bravo_two", "org_echo"}) {
					t.Errorf("orgd_t0001 holds %v (%v)", names, err)
				}
			})
			t.Run("the store is clean", func(t *testing.T) {
				problems, err := s.Check(ctx)
				if err != nil || len(problems) != 0 {
					t.Errorf("check: %v, %v", problems, err)
				}
			})
			t.Run("a collection in a tenant database without an organization is reported", func(t *testing.T) {
				if err := s.TenantDatabase("orgd_t0002").CreateCollection(ctx, "org_stray"); err != nil {
					t.Fatal(err)
				}
				problems, err := s.Check(ctx)
				if err != nil || len(problems) != 1 || problems[0].Kind != "orphan_collection" || problems[0].Detail != "collection orgd_t0002.org_stray belongs to no organization" {
					t.Errorf("check: %v, %v", problems, err)
				}
			})
		})
	}
}
