package mongo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/org"
)

// Where tenant collections live.
//
// By default every tenant collection is in the store's main database, with
// orgd's own collections. With Options.TenantsPerDatabase set, a new
// organization's collection goes into a tenant database instead, "<db>_t"
// and a number, the first of them holding fewer than that many
// organizations; the organization's document records which (org.Database),
// and a rename keeps it there (no engine renames across databases). An
// organization without a recorded database, as every earlier orgd wrote
// them, stays in the main database. Turning the setting on or off, or
// changing it, only changes where new organizations go.
//
// On the embedded engine this bounds the work of making a collection (see
// internal/embedded: SQLite's cost grows with the collections of the file
// it makes one in), which is why it is the default there; each tenant
// database has an engine of its own there, behind the one socket. On MongoDB one
// database is the default: MongoDB's guidance counts collections per
// deployment, not per database, and several databases only add to what a
// backup must list; spreading them is there for deployments that want it.

// TenantDatabaseName is the name of the k-th tenant database (from 1) of
// the main database main.
func TenantDatabaseName(main string, k int) string {
	return fmt.Sprintf("%s_t%04d", main, k)
}

// MaxMainDatabaseName is the longest main database name that leaves room
// for the names of its tenant databases (MongoDB allows 63 bytes).
const MaxMainDatabaseName = 63 - len("_t0000")

// tenantDB returns the database named name, or the main one for "", as
// the tenants' data methods reach it (data) or as the changes that make,
// rename and drop collections do.
func (s *Store) tenantDB(name string, data bool) *mongo.Database {
	switch {
	case name == "" || name == s.db.Name():
		if data {
			return s.data
		}
		return s.db
	case data:
		return s.data.Client().Database(name)
	}
	return s.client.Database(name)
}

// placeTenant chooses the database of a new organization's collection:
// the main one ("") unless tenants are spread, and otherwise the first
// tenant database with room. The count of the one being filled is kept,
// so that the directory is counted again only once it is full; deletes
// are noticed then.
func (s *Store) placeTenant() string {
	if s.perDatabase <= 0 {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filling == "" || s.fillCount >= s.perDatabase {
		s.filling, s.fillCount = s.firstWithRoom()
	}
	s.fillCount++
	return s.filling
}

// firstWithRoom is the first tenant database holding fewer than
// perDatabase organizations, and how many it holds.
func (s *Store) firstWithRoom() (string, int) {
	counts := s.dir.CountByDatabase()
	for k := 1; ; k++ {
		name := TenantDatabaseName(s.db.Name(), k)
		if counts[name] < s.perDatabase {
			return name, counts[name]
		}
	}
}

// NextTenantDatabase is the database the next organization created here
// would go into ("" for the main one), for tests that put something in
// its way.
func (s *Store) NextTenantDatabase() string {
	if s.perDatabase <= 0 {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filling != "" && s.fillCount < s.perDatabase {
		return s.filling
	}
	name, _ := s.firstWithRoom()
	return name
}

// tenantDatabases lists the tenant databases the store holds, besides the
// main one.
func (s *Store) tenantDatabases(ctx context.Context) ([]string, error) {
	names, err := s.client.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		return nil, storeErr("list databases", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !IsTenantDatabase(s.db.Name(), n) })
	slices.Sort(names)
	return names, nil
}

// IsTenantDatabase reports whether name is the name of a tenant database
// of the main database main: its name, then _t and four digits or more.
// The embedded engine's router asks it of every message, so it allocates
// nothing.
func IsTenantDatabase(main, name string) bool {
	rest, ok := strings.CutPrefix(name, main)
	if !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "_t"); !ok || len(rest) < 4 {
		return false
	}
	for _, c := range []byte(rest) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// TenantCollection returns the collection of the organization with id, in
// whichever database holds it, for tests and benchmarks that look behind
// orgd's back.
func (s *Store) TenantCollection(id string) (*mongo.Collection, error) {
	o, ok := s.dir.Organization(id)
	if !ok {
		return nil, org.Errorf(org.ENOTFOUND, "no organization %s", id)
	}
	return s.tenantDB(o.Database, true).Collection(o.Collection), nil
}

// TenantDatabase returns the database named name ("" for the main one),
// for tests and benchmarks.
func (s *Store) TenantDatabase(name string) *mongo.Database {
	return s.tenantDB(name, false)
}
