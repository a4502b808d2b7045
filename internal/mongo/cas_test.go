package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
)

// command is a command the store sent: its name, the collection it
// targets, and the filters of its documents.
type command struct {
	name, collection string
	filters          []bson.Raw
}

// recorder keeps the commands the driver starts.
type recorder struct {
	mu   sync.Mutex
	on   bool
	cmds []command
}

func (r *recorder) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.on {
			return
		}
		c := command{name: e.CommandName}
		c.collection, _ = e.Command.Lookup(e.CommandName).StringValueOK()
		switch e.CommandName {
		case "find":
			c.filters = append(c.filters, e.Command.Lookup("filter").Document())
		case "findAndModify":
			c.filters = append(c.filters, e.Command.Lookup("query").Document())
		case "update", "delete":
			list := "updates"
			if e.CommandName == "delete" {
				list = "deletes"
			}
			vals, _ := e.Command.Lookup(list).Array().Values()
			for _, v := range vals {
				c.filters = append(c.filters, v.Document().Lookup("q").Document())
			}
		}
		r.cmds = append(r.cmds, c)
	}}
}

func (r *recorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.cmds = true, nil
}

func (r *recorder) commands() []command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]command(nil), r.cmds...)
}

// openStore opens a store on an engine of its own, exclusive as the
// embedded store is, or shared as a MongoDB is.
func openStore(t *testing.T, exclusive bool, mon *event.CommandMonitor) (*mongo.Store, *org.Directory) {
	t.Helper()
	return openStoreWith(t, mongo.Options{Exclusive: exclusive, Monitor: mon})
}

// openStoreWith opens a store on an engine of its own with o, filling in
// the URI, the database and the directory.
func openStoreWith(t *testing.T, o mongo.Options) (*mongo.Store, *org.Directory) {
	t.Helper()
	proc := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := org.NewDirectory(nil)
	o.URI, o.Database, o.Kind, o.Directory, o.ServerSelectionTimeout = proc.URI, "orgd", mongo.KindEmbedded, dir, 10*time.Second
	if v := os.Getenv(testenv.TenantsPerDBEnv); v != "" && o.TenantsPerDatabase == 0 {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", testenv.TenantsPerDBEnv, v, err)
		}
		o.TenantsPerDatabase = n
	}
	s, err := mongo.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, dir
}

// newOrganization returns an organization named name to create, and its
// first admin with email.
func newOrganization(name, email string) (org.Organization, org.Account) {
	slug, _ := org.Slug(name)
	now := time.Now().UTC()
	o := org.Organization{
		ID: org.NewID(), Name: name, Slug: slug, Collection: org.CollectionName(slug),
		State: org.StateProvisioning, CreatedAt: now, UpdatedAt: now,
	}
	return o, org.Account{ID: org.NewID(), Email: email, Role: org.RoleAdmin, OrgID: o.ID, PasswordHash: []byte("hash"), CredVersion: 1}
}

// create creates an organization named name whose first admin has email.
func create(ctx context.Context, s *mongo.Store, name, email string) (org.Organization, error) {
	o, admin := newOrganization(name, email)
	return s.CreateOrganization(ctx, o, admin)
}

func rename(name string) org.Change {
	slug, _ := org.Slug(name)
	return org.Change{Name: name, Slug: slug, Collection: org.CollectionName(slug)}
}

// TestExclusiveStoreFindsDocumentsByIDOnly: the embedded engine uses an
// index only for a filter that is exactly {_id: …}, and reads the whole
// collection for any other; on an exclusive store, a create, a rename, an
// admin's email change, a member's changes and a delete never send
// another filter to the organizations, the accounts or the claims, nor a
// find, which on the engine costs a copy of every collection's metadata.
func TestExclusiveStoreFindsDocumentsByIDOnly(t *testing.T) {
	rec := &recorder{}
	s, dir := openStore(t, true, rec.monitor())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	rec.start()
	o, err := create(ctx, s, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateOrganization(ctx, o.ID, rename("Acme Corp")); err != nil {
		t.Fatal(err)
	}
	admin, _ := dir.AccountByEmail("admin@acme.example")
	if _, err := s.UpdateAccount(ctx, admin.ID, org.AccountChange{Email: "it@acme.example"}); err != nil {
		t.Fatal(err)
	}
	viewer, err := s.CreateAccount(ctx, org.Account{ID: org.NewID(), Email: "viewer@acme.example", Role: org.RoleViewer, OrgID: o.ID, PasswordHash: []byte("hash"), CredVersion: 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateAccount(ctx, viewer.ID, org.AccountChange{Role: org.RoleAdmin, PasswordHash: []byte("other")}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveAccount(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOrganization(ctx, o.ID); err != nil {
		t.Fatal(err)
	}

	checked := 0
	for _, c := range rec.commands() {
		switch c.collection {
		case mongo.OrganizationsCollection, mongo.ClaimsCollection, mongo.MembersCollection, mongo.OperatorsCollection:
		default:
			continue
		}
		if c.name == "find" {
			// The engine's find first copies and sorts the metadata of
			// every collection.
			t.Errorf("a find on %s; the embedded engine should be read with findAndModify", c.collection)
		}
		for _, f := range c.filters {
			checked++
			elems, err := f.Elements()
			if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
				t.Errorf("%s on %s filters by %s, want exactly {_id: …}", c.name, c.collection, f)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d filters on organizations, accounts and claims were seen; is the monitor attached?", checked)
	}
}

// TestConditionalWritesLetOneOfConcurrentChangesWin: on an exclusive store
// (the embedded engine), of two renames of one organization at once
// exactly one happens and the other is told the organization is busy, and
// a rename that lost its claim to another organization leaves nothing
// behind. The engine's findAndModify reads and then writes, so its filter
// on the state alone would let both renames through; MongoDB's compares
// and sets in one step, which is what a shared store relies on.
func TestConditionalWritesLetOneOfConcurrentChangesWin(t *testing.T) {
	s, dir := openStore(t, true, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o, err := create(ctx, s, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		names := []string{fmt.Sprintf("Left %d", round), fmt.Sprintf("Right %d", round)}
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() { _, errs[i] = s.UpdateOrganization(ctx, o.ID, rename(name)) })
		}
		wg.Wait()
		succeeded := 0
		for i, err := range errs {
			var oe *org.Error
			switch {
			case err == nil:
				succeeded++
			case errors.As(err, &oe) && oe.Code == org.ECONFLICT && oe.Reason == "busy":
			default:
				t.Fatalf("round %d: rename to %s: %v, want success or busy", round, names[i], err)
			}
		}
		// One rename may also start after the other finished, and then
		// both succeed, one after the other.
		if succeeded == 0 {
			t.Fatalf("round %d: neither rename happened", round)
		}
		got, ok := dir.Organization(o.ID)
		if !ok || (got.Name != names[0] && got.Name != names[1]) || got.State != org.StateActive {
			t.Fatalf("round %d: the directory holds %+v, want %s or %s, active", round, got, names[0], names[1])
		}
		if want := rename(got.Name).Collection; got.Collection != want {
			t.Fatalf("round %d: %s has collection %s, want %s", round, got.Name, got.Collection, want)
		}
		all, err := s.TenantDatabase(got.Database).ListCollectionNames(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var colls []string
		for _, c := range all {
			if strings.HasPrefix(c, "org_") {
				colls = append(colls, c)
			}
		}
		if len(colls) != 1 || colls[0] != got.Collection {
			t.Fatalf("round %d: tenant collections are %v, want only %s", round, colls, got.Collection)
		}
	}

	// A rename to a slug another organization holds is refused,
	// and its claim and intent are undone.
	other, err := create(ctx, s, "Beta", "admin@beta.example")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := dir.Organization(o.ID)
	var oe *org.Error
	if _, err := s.UpdateOrganization(ctx, o.ID, rename(other.Name)); !errors.As(err, &oe) || oe.Code != org.ECONFLICT {
		t.Fatalf("rename onto Beta's slug: %v, want a conflict", err)
	}
	after, _ := dir.Organization(o.ID)
	if after.Name != before.Name || after.State != org.StateActive {
		t.Fatalf("after a refused rename the organization is %+v, want it as it was (%s, active)", after, before.Name)
	}
	if err := s.DeleteOrganization(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateOrganization(ctx, o.ID, rename("Beta")); err != nil {
		t.Fatalf("once Beta is deleted its slug is free, but the rename fails: %v", err)
	}
}

// TestCreatesAndDeletesOnAnExclusiveStoreRunOneAtATime: on the embedded
// engine, each collection made or dropped makes every other SQLite
// connection reread the whole schema, so creates and deletes go one at a
// time rather than side by side.
func TestCreatesAndDeletesOnAnExclusiveStoreRunOneAtATime(t *testing.T) {
	var mu sync.Mutex
	var steps []string
	failpoint := func(step string) error {
		mu.Lock()
		steps = append(steps, step)
		mu.Unlock()
		if step == "create:inserted" || step == "delete:intent" {
			time.Sleep(20 * time.Millisecond) // room for another to start, if it may
		}
		return nil
	}
	s, _ := openStoreWith(t, mongo.Options{Exclusive: true, Failpoint: failpoint})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	const n = 4
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, err := create(ctx, s, fmt.Sprintf("Org %d", i), fmt.Sprintf("admin%d@example.com", i))
			ids[i], errs[i] = o.ID, err
		})
	}
	wg.Wait()
	for i := range n {
		wg.Go(func() { errs[i] = errors.Join(errs[i], s.DeleteOrganization(ctx, ids[i])) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	create := []string{"create:inserted", "create:claimed-slug", "create:claimed-email", "create:admin", "create:collection", "create:committed", "create:replacing"}
	del := []string{"delete:intent", "delete:dropped", "delete:released"}
	var want []string
	for range n {
		want = append(want, create...)
	}
	for range n {
		want = append(want, del...)
	}
	if strings.Join(steps, " ") != strings.Join(want, " ") {
		t.Fatalf("the steps of %d creates and then %d deletes ran as\n%s\nwant each change whole before the next:\n%s",
			n, n, strings.Join(steps, " "), strings.Join(want, " "))
	}
}
