package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const adminPassword = "admin-password"

// adminEmail derives a distinct admin email from an organization name.
func adminEmail(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return fmt.Sprintf("admin-%s-%d@example.com", b.String(), len(name))
}

func create(t *testing.T, c *rpc.Client, token, name string) *rpc.Organization {
	t.Helper()
	o, err := c.CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: token, Name: name, AdminEmail: adminEmail(name), AdminPassword: adminPassword})
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return o
}

func adminLogin(t *testing.T, c *rpc.Client, name string) string {
	t.Helper()
	s, err := c.Login(ctxT(t), adminEmail(name), adminPassword)
	if err != nil {
		t.Fatalf("admin of %q: login: %v", name, err)
	}
	return s.Token
}

// wantCode fails unless err is a JSON-RPC error with code, and returns it.
func wantCode(t *testing.T, err error, code int64) *rpc.Error {
	t.Helper()
	var e *rpc.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want JSON-RPC error %d", err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %d (%s), want %d", e.Code, e.Message, code)
	}
	return e
}

// wantField fails unless err is -32602 naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e := wantCode(t, err, rpc.CodeInvalidParams)
	if e.Data == nil || e.Data.Field != field {
		t.Fatalf("error %q names field %+v, want %q", e.Message, e.Data, field)
	}
}

// checkClean fails if the store has broken invariants.
func checkClean(t *testing.T, d *testenv.Daemon) {
	t.Helper()
	problems, err := d.Store().Check(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("broken invariant: %s", p)
	}
}

// nextEvent returns the next event that keep accepts, failing after 10 s.
func nextEvent(t *testing.T, events <-chan rpc.OrgEvent, keep func(rpc.OrgEvent) bool) rpc.OrgEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("subscription ended")
			}
			if keep(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("no event within 10 s")
		}
	}
}

// createContested sends n creates of one organization, "Contested", at
// once, each on a connection of its own and with an admin email of its
// own, spread over the daemons at addrs in turn. It fails unless exactly
// one succeeds and every other is refused as a conflict.
func createContested(t *testing.T, op string, n int, addrs ...string) {
	t.Helper()
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		addr := addrs[i%len(addrs)]
		wg.Go(func() {
			c := &rpc.Client{Addr: addr}
			defer c.Close()
			_, errs[i] = c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Contested",
				AdminEmail: fmt.Sprintf("contested%d@example.com", i), AdminPassword: adminPassword})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case rpc.ErrorCode(err) != rpc.CodeConflict:
			t.Errorf("create: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d creates of one name on %d daemon(s) succeeded, want exactly 1", ok, n, len(addrs))
	}
}

// databaseOf is the name of the database that holds the collection of
// the organization with id ("" for the main one).
func databaseOf(t *testing.T, d *testenv.Daemon, id string) string {
	t.Helper()
	o, ok := d.Store().Directory.Organization(id)
	if !ok {
		t.Fatalf("no organization %s in the directory", id)
	}
	return o.Database
}

// databaseNamed is the database name ("" for the main one) of the
// daemon's store, to look behind orgd's back.
func databaseNamed(t *testing.T, d *testenv.Daemon, name string) *mongo.Database {
	t.Helper()
	return d.Store().TenantDatabase(name)
}

// tenantDB is the database that holds the collection of the organization
// with id, wherever the daemon's store put it.
func tenantDB(t *testing.T, d *testenv.Daemon, id string) *mongo.Database {
	t.Helper()
	return databaseNamed(t, d, databaseOf(t, d, id))
}

// tenantCollection is the collection of the organization with id, read
// and written with the driver.
func tenantCollection(t *testing.T, d *testenv.Daemon, id string) *mongo.Collection {
	t.Helper()
	o, ok := d.Store().Directory.Organization(id)
	if !ok {
		t.Fatalf("no organization %s in the directory", id)
	}
	return databaseNamed(t, d, o.Database).Collection(o.Collection)
}
