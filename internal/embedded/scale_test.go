package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	_ "modernc.org/sqlite" // the engine's SQLite, measured alone
)

// BenchmarkMakingTenants measures, straight on the engine, what making
// tenants costs as their number grows: for each 1,000, a collection each
// and a document each in a master collection, as orgd's create does at
// the least. In one database every collection is one more table and index
// in one SQLite file, whose whole schema SQLite walks for each CREATE and
// every connection reparses after it; in tenant databases of 1,000, each
// on an engine of its own, a file never holds more than 1,000.
//
//	go test -run '^$' -bench MakingTenants -benchtime 1x ./internal/embedded/
//
// ORGD_BENCH_TENANTS sets how many (8,000 by default). It reports the
// seconds each 1,000 took, s/1k@Nk for the N-th thousand.
func BenchmarkMakingTenants(b *testing.B) {
	n := 8000
	if v := os.Getenv("ORGD_BENCH_TENANTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("ORGD_BENCH_TENANTS=%q: %v", v, err)
		}
	}
	for _, layout := range []struct {
		name  string
		perDB int // 0: all in one database
	}{
		{"in one database", 0},
		{"in databases of 1,000 on engines of their own", 1000},
	} {
		b.Run(layout.name, func(b *testing.B) {
			for range b.N {
				_, c, _ := startStore(b, time.Hour)
				ctx := context.Background()
				master := c.Database("main").Collection("organizations")
				began := time.Now()
				for k := range n {
					db := "main"
					if layout.perDB > 0 {
						db = fmt.Sprintf("t_%04d", k/layout.perDB+1)
					}
					if err := c.Database(db).CreateCollection(ctx, fmt.Sprintf("org_%06d", k)); err != nil {
						b.Fatal(err)
					}
					if _, err := master.InsertOne(ctx, bson.D{{Key: "_id", Value: k}, {Key: "database", Value: db}}); err != nil {
						b.Fatal(err)
					}
					if (k+1)%1000 == 0 {
						b.ReportMetric(time.Since(began).Seconds(), fmt.Sprintf("s/1k@%dk", (k+1)/1000))
						began = time.Now()
					}
				}
			}
		})
	}
}

// BenchmarkSQLiteSchema measures SQLite alone (modernc.org/sqlite, as the
// engine uses it), with a table and a unique index per collection as the
// engine makes them, on one connection: what each 1,000 of them cost to
// make, and what the first statement of a new connection costs, which
// parses the whole schema. It reports s/1k@Nk and parse-ms@Nk.
//
//	go test -run '^$' -bench SQLiteSchema -benchtime 1x ./internal/embedded/
func BenchmarkSQLiteSchema(b *testing.B) {
	for range b.N {
		path := filepath.Join(b.TempDir(), "schema.sqlite")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(wal)")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		ctx := context.Background()
		began := time.Now()
		for i := 1; i <= 10000; i++ {
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE "t_%d" (_ferretdb_sjson TEXT)`, i)); err != nil {
				b.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE UNIQUE INDEX "t_%d_id" ON "t_%d" (_ferretdb_sjson->'$._id')`, i, i)); err != nil {
				b.Fatal(err)
			}
			if i%1000 != 0 {
				continue
			}
			b.ReportMetric(time.Since(began).Seconds(), fmt.Sprintf("s/1k@%dk", i/1000))
			fresh, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			var n int
			if err := fresh.QueryRowContext(ctx, `SELECT count(*) FROM "t_1"`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, fmt.Sprintf("parse-ms@%dk", i/1000))
			fresh.Close()
			began = time.Now()
		}
		db.Close()
	}
}
