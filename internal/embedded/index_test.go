package embedded

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// startEngine starts the engine on a fresh data directory, with a driver
// connected to it.
func startEngine(t *testing.T) (*Engine, *mongo.Database) {
	t.Helper()
	dir, err := os.MkdirTemp("", "orgd-embedded") // short: the socket lives here
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx := context.Background()
	e, err := Start(ctx, dir, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	c, err := mongo.Connect(options.Client().ApplyURI(e.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return e, c.Database("orgd")
}

// plan is SQLite's plan for the lookup by _id the engine runs on the
// collection's table (the expression of FerretDB 1.x's SQLite backend).
func plan(t *testing.T, e *Engine, db *mongo.Database, collection string) string {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, db.Name()+".sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var table string
	if err := sdb.QueryRow("SELECT table_name FROM "+metadataTable+" WHERE name = ?", collection).Scan(&table); err != nil {
		t.Fatalf("table of %s: %v", collection, err)
	}
	rows, err := sdb.Query("EXPLAIN QUERY PLAN SELECT "+documentColumn+" FROM "+quoteIdent(table)+" WHERE "+documentColumn+"->'$._id' = ?", `"x"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}

func TestIndexIDsLetsLookupsByIDUseAnIndex(t *testing.T) {
	e, db := startEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.Collection("organizations").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "name", Value: "Acme"}}); err != nil {
		t.Fatal(err)
	}
	if p := plan(t, e, db, "organizations"); !strings.HasPrefix(p, "SCAN") {
		t.Fatalf("before IndexIDs the lookup's plan is %q; the engine's own index is used after all, and IndexIDs may no longer be needed", p)
	}

	if err := e.IndexIDs(ctx, db, "organizations", "claims"); err != nil {
		t.Fatal(err)
	}
	if err := e.IndexIDs(ctx, db, "organizations", "claims"); err != nil {
		t.Fatalf("IndexIDs a second time: %v", err)
	}
	for _, c := range []string{"organizations", "claims"} {
		if p := plan(t, e, db, c); !strings.Contains(p, "USING INDEX") || !strings.Contains(p, idIndexSuffix) {
			t.Errorf("after IndexIDs the lookup by _id in %s is planned as %q, want it to use the index", c, p)
		}
	}

	// The index is invisible to clients and survives a rename.
	orgs := db.Collection("organizations")
	var indexes []bson.M
	cur, err := orgs.Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &indexes); err != nil {
		t.Fatal(err)
	}
	if len(indexes) != 1 || indexes[0]["name"] != "_id_" {
		t.Errorf("listIndexes shows %v, want only _id_", indexes)
	}
	err = db.Client().Database("admin").RunCommand(ctx, bson.D{
		{Key: "renameCollection", Value: db.Name() + ".organizations"}, {Key: "to", Value: db.Name() + ".renamed"},
	}).Err()
	if err != nil {
		t.Fatal(err)
	}
	var got bson.M
	if err := db.Collection("renamed").FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil || got["name"] != "Acme" {
		t.Errorf("after a rename, find by _id gives %v, %v", got, err)
	}
	if p := plan(t, e, db, "renamed"); !strings.Contains(p, idIndexSuffix) {
		t.Errorf("after a rename the lookup by _id is planned as %q, want the index kept", p)
	}
}
