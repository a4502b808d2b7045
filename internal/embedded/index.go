package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	_ "modernc.org/sqlite" // the engine's own SQLite, to reach its tables
)

// FerretDB 1.x's SQLite backend keeps each collection in a table whose one
// column holds the documents, and indexes _id with the expression
// _ferretdb_sjson->"_id"; but it looks documents up by _id with
// _ferretdb_sjson->'$._id', which SQLite cannot match to that index. So
// every find, update and delete by _id scans the whole table: 17 ms for a
// read and 60 ms for an update at 10,000 documents, on every create,
// rename and delete of an organization. IndexIDs adds the index those
// lookups can use.
const (
	documentColumn = "_ferretdb_sjson"
	metadataTable  = "_ferretdb_collections"
	idIndexSuffix  = "_orgd_id"
)

// IndexIDs gives each of the named collections of db an index on _id that
// the engine's lookups by _id use, creating the collections that do not
// exist yet. The index is SQLite's alone: the engine neither lists nor
// counts it, keeps it when the collection is renamed and drops it with the
// collection. It is idempotent.
func (e *Engine) IndexIDs(ctx context.Context, db *mongo.Database, collections ...string) error {
	for _, c := range collections {
		err := db.CreateCollection(ctx, c)
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // NamespaceExists
			return fmt.Errorf("create collection %s: %w", c, err)
		}
	}
	file := filepath.Join(e.dir, db.Name()+".sqlite")
	sdb, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer sdb.Close()
	for _, c := range collections {
		var table string
		err := sdb.QueryRowContext(ctx, "SELECT table_name FROM "+metadataTable+" WHERE name = ?", c).Scan(&table)
		if err != nil {
			return fmt.Errorf("find the table of %s in %s: %w", c, file, err)
		}
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s->'$._id')", quoteIdent(table+idIndexSuffix), quoteIdent(table), documentColumn)
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index _id of %s: %w", c, err)
		}
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
