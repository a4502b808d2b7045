package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// startStore starts the store on a fresh data directory with databases
// named t_… on engines of their own, and a driver connected to its socket.
func startStore(t testing.TB, idle time.Duration) (*Engine, *mongo.Client, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "orgd-embedded") // short: the sockets live here
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e, err := Start(context.Background(), dir, Options{
		Log:            slog.New(slog.DiscardHandler),
		TenantDatabase: func(name string) bool { return strings.HasPrefix(name, "t_") },
		TenantIdle:     idle,
	})
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
	return e, c, dir
}

func TestTheStoreSocketServesTenantDatabasesFromEnginesOfTheirOwn(t *testing.T) {
	e, c, dir := startStore(t, time.Hour)
	ctx := context.Background()

	if _, err := c.Database("main").Collection("organizations").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
		t.Fatal(err)
	}
	tenant := c.Database("t_1").Collection("org_acme")
	var docs []any
	for i := range 250 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}})
	}
	if _, err := tenant.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	t.Run("each tenant database is a file of its own, outside the store's directory", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(dir, Dir, TenantsDir, "t_1", "t_1.sqlite")); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(dir, Dir, "t_1.sqlite")); !os.IsNotExist(err) {
			t.Errorf("t_1.sqlite in the store's directory: %v", err)
		}
		if n := e.TenantDatabasesRunning(); n != 1 {
			t.Errorf("%d tenant databases running, want 1", n)
		}
	})
	t.Run("a cursor reads batch after batch through the socket", func(t *testing.T) {
		cur, err := tenant.Find(ctx, bson.D{}, options.Find().SetBatchSize(10))
		if err != nil {
			t.Fatal(err)
		}
		var got []bson.M
		if err := cur.All(ctx, &got); err != nil || len(got) != 250 {
			t.Fatalf("read %d documents, %v", len(got), err)
		}
	})
	t.Run("renameCollection reaches the tenant database it names", func(t *testing.T) {
		err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "renameCollection", Value: "t_1.org_acme"}, {Key: "to", Value: "t_1.org_acme_renamed"}}).Err()
		if err != nil {
			t.Fatal(err)
		}
		names, err := c.Database("t_1").ListCollectionNames(ctx, bson.D{})
		if err != nil || !slices.Equal(names, []string{"org_acme_renamed"}) {
			t.Fatalf("t_1 holds %v (%v)", names, err)
		}
		n, err := c.Database("t_1").Collection("org_acme_renamed").CountDocuments(ctx, bson.D{})
		if err != nil || n != 250 {
			t.Fatalf("%d documents after the rename, %v", n, err)
		}
	})
	t.Run("listDatabases lists the tenant databases too", func(t *testing.T) {
		names, err := c.ListDatabaseNames(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, "main") || !slices.Contains(names, "t_1") {
			t.Errorf("databases: %v", names)
		}
		res, err := c.ListDatabases(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range res.Databases {
			if d.Name == "t_1" && d.SizeOnDisk <= 0 {
				t.Errorf("t_1 is %d bytes", d.SizeOnDisk)
			}
		}
		if res.TotalSize <= 0 {
			t.Errorf("total size %d", res.TotalSize)
		}
	})
}

func TestATenantDatabaseEngineStopsWhenIdleAndStartsAgainWhenUsed(t *testing.T) {
	e, c, _ := startStore(t, 100*time.Millisecond)
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.Database(fmt.Sprintf("t_%d", i)).Collection("org_x").InsertOne(ctx, bson.D{{Key: "i", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.TenantDatabasesRunning() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tenant databases still running after 10 s idle", e.TenantDatabasesRunning())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 3 {
		n, err := c.Database(fmt.Sprintf("t_%d", i)).Collection("org_x").CountDocuments(ctx, bson.D{{Key: "i", Value: i}})
		if err != nil || n != 1 {
			t.Errorf("t_%d after a restart of its engine: %d documents, %v", i, n, err)
		}
	}
}

func TestAnUnacknowledgedWriteToATenantDatabaseLeavesTheConnectionServing(t *testing.T) {
	_, c, _ := startStore(t, time.Hour)
	ctx := context.Background()
	coll := c.Database("t_1").Collection("org_acme")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "first"}}); err != nil {
		t.Fatal(err)
	}
	unacked := coll.Database().Collection("org_acme", options.Collection().SetWriteConcern(writeconcern.Unacknowledged()))
	if _, err := unacked.InsertOne(ctx, bson.D{{Key: "_id", Value: "unacknowledged"}}); err != nil {
		t.Fatal(err)
	}
	// The client reads no reply to it, though the engine sends one: the
	// next command on the connection must get its own reply, not that one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := coll.CountDocuments(cctx, bson.D{{Key: "_id", Value: "unacknowledged"}})
		cancel()
		if err != nil {
			t.Fatalf("a command after an unacknowledged write: %v", err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the unacknowledged write never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
