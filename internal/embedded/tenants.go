package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Tenant databases, each on an engine of its own.
//
// FerretDB keeps a database in one SQLite file, with a table and an index
// per collection, and SQLite keeps the schema of that file parsed in every
// connection to it: a new connection's first statement took 9 ms at 1,000
// collections and 189 ms at 10,000 on a 2-core machine (SQLite alone; see
// BenchmarkSQLiteSchema). Every change to the schema costs time in
// proportion to it too (SQLite walks the whole schema for each CREATE
// TABLE and CREATE INDEX: each 1,000 took 0.7 s at 1,000 and 3.7 s at
// 9,000), and through the engine, whose other connections reparse it,
// each 1,000 tenants took 2.3 s at 1,000 and 14.8 s at 8,000 in one
// database (BenchmarkMakingTenants). And the
// engine opens every database file of its directory when it starts,
// parsing every schema, and keeps its connections open for good.
//
// So orgd keeps tenant collections in tenant databases of a bounded size
// (mongo.Options.TenantsPerDatabase), and each tenant database is not in
// the engine's directory but in one of its own under tenants/, served by
// an engine of its own that starts when the database is first used and
// stops when it has not been for a while. Creating a collection then costs
// the same however many organizations there are, a start parses no
// tenant's schema, and an idle orgd holds none in memory. The store's
// socket still serves every database (see router.go).

// TenantsDir is where the tenant databases live, under the store's
// directory.
const TenantsDir = "tenants"

// DefaultTenantIdle is how long the engine of a tenant database runs after
// its last use.
const DefaultTenantIdle = 2 * time.Minute

// validDatabase is what a tenant database's name may be: it names a
// directory.
var validDatabase = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)

// tenantEngines runs the engines of the tenant databases of one store. It
// is safe for concurrent use.
type tenantEngines struct {
	dir      string
	isTenant func(name string) bool
	log      *slog.Logger

	mu      sync.Mutex
	engines map[string]*tenantEngine
	closed  bool
}

// tenantEngine is the engine of one tenant database, while it runs, and
// how many connections use it.
type tenantEngine struct {
	mu     sync.Mutex
	engine *Engine
	refs   int
}

func newTenantEngines(dir string, isTenant func(string) bool, log *slog.Logger) *tenantEngines {
	return &tenantEngines{dir: dir, isTenant: isTenant, log: log, engines: make(map[string]*tenantEngine)}
}

// tenant reports whether the database name has an engine of its own.
func (t *tenantEngines) tenant(name string) bool {
	return t != nil && t.isTenant != nil && validDatabase.MatchString(name) && t.isTenant(name)
}

// acquire returns the socket of the engine of the tenant database name,
// starting it if it does not run. It runs until every acquirer has called
// release.
func (t *tenantEngines) acquire(ctx context.Context, name string) (socket string, release func(), err error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return "", nil, errors.New("the embedded store is closed")
	}
	te := t.engines[name]
	if te == nil {
		te = &tenantEngine{}
		t.engines[name] = te
	}
	t.mu.Unlock()

	te.mu.Lock()
	defer te.mu.Unlock()
	if te.engine == nil {
		dir := filepath.Join(t.dir, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("tenant database %s: %w", name, err)
		}
		began := time.Now()
		eng, err := run(ctx, dir, "engine.sock", t.log)
		if err != nil {
			return "", nil, fmt.Errorf("tenant database %s: %w", name, err)
		}
		te.engine = eng
		t.log.Debug("tenant database opened", "database", name, "took", time.Since(began))
	}
	te.refs++
	var once sync.Once
	return te.engine.socket, func() { once.Do(func() { t.release(name, te) }) }, nil
}

func (t *tenantEngines) release(name string, te *tenantEngine) {
	te.mu.Lock()
	defer te.mu.Unlock()
	if te.refs--; te.refs == 0 {
		t.stop(name, te)
	}
}

// stop stops te's engine; the caller holds te.mu, and no connection to it
// is left.
func (t *tenantEngines) stop(name string, te *tenantEngine) {
	if te.engine == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := te.engine.Close(ctx); err != nil {
		t.log.Warn("stop a tenant database", "database", name, "error", err)
	}
	te.engine = nil
	t.log.Debug("tenant database closed", "database", name)
}

// running reports how many tenant databases have their engine running.
func (t *tenantEngines) running() int {
	t.mu.Lock()
	all := make([]*tenantEngine, 0, len(t.engines))
	for _, te := range t.engines {
		all = append(all, te)
	}
	t.mu.Unlock()
	n := 0
	for _, te := range all {
		te.mu.Lock()
		if te.engine != nil {
			n++
		}
		te.mu.Unlock()
	}
	return n
}

// tenantDatabase is a tenant database on disk.
type tenantDatabase struct {
	name string
	size int64 // of its files, in bytes
}

// list lists the tenant databases on disk, sorted by name.
func (t *tenantEngines) list() ([]tenantDatabase, error) {
	entries, err := os.ReadDir(t.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tenant databases: %w", err)
	}
	var out []tenantDatabase
	for _, e := range entries {
		if !e.IsDir() || !t.tenant(e.Name()) {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(t.dir, e.Name(), e.Name()+".sqlite*"))
		if len(files) == 0 {
			continue // opened, never written: no database yet
		}
		db := tenantDatabase{name: e.Name()}
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				db.size += fi.Size()
			}
		}
		out = append(out, db)
	}
	slices.SortFunc(out, func(a, b tenantDatabase) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// close stops every engine, those in use too.
func (t *tenantEngines) close() {
	t.mu.Lock()
	t.closed = true
	all := make(map[string]*tenantEngine, len(t.engines))
	for name, te := range t.engines {
		all[name] = te
	}
	t.mu.Unlock()
	for name, te := range all {
		te.mu.Lock()
		t.stop(name, te)
		te.mu.Unlock()
	}
}
