package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// dataCalls are every data method, each as a call that would read or
// change an organization's documents if it got through.
func dataCalls(c *rpc.Client, token string) map[string]func(ctx context.Context, orgName string, filter json.RawMessage) error {
	return map[string]func(context.Context, string, json.RawMessage) error{
		"insert": func(ctx context.Context, o string, _ json.RawMessage) error {
			_, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: token, Org: o, Documents: raws(`{"planted": true}`)})
			return err
		},
		"find": func(ctx context.Context, o string, f json.RawMessage) error {
			_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: token, Org: o, Filter: f})
			return err
		},
		"count": func(ctx context.Context, o string, f json.RawMessage) error {
			_, err := c.CountDocuments(ctx, rpc.DataCountParams{Token: token, Org: o, Filter: f})
			return err
		},
		"update": func(ctx context.Context, o string, f json.RawMessage) error {
			_, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: token, Org: o, Filter: f, Update: json.RawMessage(`{"$set": {"planted": true}}`), Many: true, Upsert: true})
			return err
		},
		"replace": func(ctx context.Context, o string, f json.RawMessage) error {
			_, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: token, Org: o, Filter: f, Update: json.RawMessage(`{"planted": true}`), Replace: true, Upsert: true})
			return err
		},
		"delete": func(ctx context.Context, o string, f json.RawMessage) error {
			_, err := c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: token, Org: o, Filter: f, Many: true, All: true})
			return err
		},
		"list indexes": func(ctx context.Context, o string, _ json.RawMessage) error {
			_, err := c.ListIndexes(ctx, rpc.DataIndexesParams{Token: token, Org: o})
			return err
		},
		"create an index": func(ctx context.Context, o string, _ json.RawMessage) error {
			_, err := c.CreateIndex(ctx, rpc.DataIndexCreateParams{Token: token, Org: o, Keys: json.RawMessage(`{"planted": 1}`)})
			return err
		},
		"drop an index": func(ctx context.Context, o string, _ json.RawMessage) error {
			_, err := c.DropIndex(ctx, rpc.DataIndexDropParams{Token: token, Org: o, Name: "secret_1"})
			return err
		},
	}
}

// snapshot is every document of the collection of the organization with
// id, read with the driver.
func snapshot(t *testing.T, d *testenv.Daemon, id string) []string {
	t.Helper()
	cur, err := tenantCollection(t, d, id).Find(ctxT(t), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for cur.Next(ctxT(t)) {
		out = append(out, cur.Current.String())
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoRouteLetsAnAdminReachAnotherOrganization(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	alpha := create(t, c, op, "Alpha")
	bravo := create(t, c, op, "Bravo")
	ctx := ctxT(t)
	insertDocs(t, c, op, "Alpha", `{"owner": "alpha", "n": 1}`)
	insertDocs(t, c, op, "Bravo", `{"owner": "bravo", "secret": "s1"}`, `{"owner": "bravo", "secret": "s2"}`)
	if _, err := c.CreateIndex(ctx, rpc.DataIndexCreateParams{Token: op, Org: "Bravo", Keys: json.RawMessage(`{"secret": 1}`)}); err != nil {
		t.Fatal(err)
	}
	bravoBefore := snapshot(t, d, bravo.ID)
	adminA := adminLogin(t, c, "Alpha")
	calls := dataCalls(c, adminA)

	// tryAll makes every call on every name and fails unless each is
	// -32004, as for an organization that does not exist.
	tryAll := func(t *testing.T, names []string, filters ...json.RawMessage) {
		t.Helper()
		if len(filters) == 0 {
			filters = []json.RawMessage{json.RawMessage(`{}`)}
		}
		for what, call := range calls {
			for _, name := range names {
				for _, f := range filters {
					err := call(ctx, name, f)
					if rpc.ErrorCode(err) != rpc.CodeNotFound {
						t.Errorf("%s in %q with filter %s: %v, want -32004", what, name, f, err)
					}
				}
			}
		}
	}

	t.Run("naming the other organization in any spelling finds nothing", func(t *testing.T) {
		tryAll(t, []string{"Bravo", "bravo", "BRAVO", "bRaVo", " Bravo", "Bravo ", bravo.Slug, bravo.Collection, bravo.ID,
			"Bravo\u0000", "Вravo", "alpha/../bravo", "org_alpha.org_bravo", "*", "Alpha,Bravo", "nonexistent"})
	})
	t.Run("a payload aimed at the other organization does not help", func(t *testing.T) {
		tryAll(t, []string{"Bravo"},
			json.RawMessage(`{"$where": "true"}`),
			json.RawMessage(`{"owner": "bravo"}`),
			json.RawMessage(fmt.Sprintf(`{"$expr": {"$lookup": {"from": %q}}}`, bravo.Collection)))
	})
	t.Run("filters that would reach another collection are refused in the admin's own", func(t *testing.T) {
		for _, f := range []string{
			fmt.Sprintf(`{"$expr": {"$in": ["x", {"$lookup": {"from": %q, "as": "x"}}]}}`, bravo.Collection),
			fmt.Sprintf(`{"$or": [{"a": 1}, {"$unionWith": %q}]}`, bravo.Collection),
			fmt.Sprintf(`{"$expr": {"$graphLookup": {"from": %q}}}`, bravo.Collection),
			fmt.Sprintf(`{"a": {"$elemMatch": {"$merge": {"into": %q}}}}`, bravo.Collection),
			fmt.Sprintf(`{"$out": %q}`, bravo.Collection),
		} {
			for _, what := range []string{"find", "count", "update", "delete"} {
				if err := calls[what](ctx, "Alpha", json.RawMessage(f)); rpc.ErrorCode(err) != rpc.CodeInvalidParams {
					t.Errorf("%s with %s: %v, want -32602", what, f, err)
				}
			}
		}
	})
	t.Run("a cursor of the other organization is refused", func(t *testing.T) {
		page, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Bravo", Limit: 1})
		if err != nil || page.NextCursor == "" {
			t.Fatalf("operator's page of Bravo: %v", err)
		}
		_, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: adminA, Org: "Alpha", Limit: 1, Cursor: page.NextCursor})
		wantField(t, err, "cursor")
		_, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: adminA, Org: "Bravo", Limit: 1, Cursor: page.NextCursor})
		wantCode(t, err, rpc.CodeNotFound)
	})
	t.Run("renames in between change nothing", func(t *testing.T) {
		charlie := "Charlie"
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Alpha", NewName: &charlie}); err != nil {
			t.Fatal(err)
		}
		// The admin's token names the organization by id: it follows the
		// rename, and the old name is nobody's now.
		if n := count(t, c, adminA, "Charlie", ""); n != 1 {
			t.Fatalf("after renaming Alpha to Charlie its admin counts %d documents, want 1", n)
		}
		tryAll(t, []string{"Alpha", "Bravo"})
		// Now Bravo takes Alpha's old name, and then Charlie's.
		alphaName := "Alpha"
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Bravo", NewName: &alphaName}); err != nil {
			t.Fatal(err)
		}
		tryAll(t, []string{"Alpha", "alpha", "org_alpha", "Bravo", bravo.ID})
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Charlie", NewName: &alphaName}); rpc.ErrorCode(err) != rpc.CodeConflict {
			t.Fatalf("renaming Charlie back to the taken name Alpha: %v", err)
		}
		if n := count(t, c, adminA, "Charlie", ""); n != 1 {
			t.Fatalf("the admin of Charlie counts %d documents, want 1", n)
		}
		bravoName := "Bravo"
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Alpha", NewName: &bravoName}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the other organization's documents and indexes are untouched", func(t *testing.T) {
		after, err := c.GetOrg(ctx, op, "Bravo")
		if err != nil || after.ID != bravo.ID {
			t.Fatalf("Bravo: %+v %v", after, err)
		}
		if got := snapshot(t, d, after.ID); !slices.Equal(got, bravoBefore) {
			t.Errorf("Bravo's documents changed:\n%v\nwere\n%v", got, bravoBefore)
		}
		ixs, err := c.ListIndexes(ctx, rpc.DataIndexesParams{Token: op, Org: "Bravo"})
		if err != nil || len(ixs.Indexes) != 2 {
			t.Errorf("Bravo's indexes: %+v %v", ixs, err)
		}
		mine := snapshot(t, d, alpha.ID)
		if c := tenantCollection(t, d, alpha.ID).Name(); c != "org_charlie" {
			t.Errorf("the admin's own collection is %s", c)
		}
		if len(mine) != 1 {
			t.Errorf("the admin's own collection holds %v", mine)
		}
		if alpha.Collection != "org_alpha" {
			t.Errorf("alpha's collection was %s", alpha.Collection)
		}
		checkClean(t, d)
	})
}
