package daemon_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// propagates waits for cond, which another daemon's change makes true, and
// fails if that took so long that only the periodic full reload can have
// brought it (30 refresh intervals, 6 s here), not the change itself.
func propagates(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	waitFor(t, what, cond)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("%s took %s; the refresh interval is 200ms", what, took)
	}
}

// twoDaemons starts two orgd on one database, sharing a key file.
func twoDaemons(t *testing.T) (a, b *testenv.Daemon) {
	t.Helper()
	a = testenv.Start(t, testenv.Options{})
	if a.Config.MongoURI == "" {
		t.Fatal("several daemons need a store outside the daemon")
	}
	b = testenv.Start(t, testenv.Options{DB: a.DB, Configure: func(c *daemon.Config) {
		c.MongoURI = a.Config.MongoURI
		c.JWTKeyFile = filepath.Join(a.DataDir, "jwt.key")
	}})
	return a, b
}

func TestTwoDaemonsOnOneStoreSeeEachOthersChanges(t *testing.T) {
	a, b := twoDaemons(t)
	ca, cb := a.Client(t), b.Client(t)
	op := a.Operator(t)
	ctx := ctxT(t)

	// Tokens from one are accepted by the other (once it knows the operator).
	waitFor(t, "b to know a's operator", func() bool { _, err := cb.Whoami(ctx, op); return err == nil })

	create(t, ca, op, "Shared")
	propagates(t, "b to see a's create", func() bool { _, err := cb.GetOrg(ctx, op, "Shared"); return err == nil })

	newName := "Shared Renamed"
	if _, err := cb.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Shared", NewName: &newName}); err != nil {
		t.Fatal(err)
	}
	propagates(t, "a to see b's rename", func() bool {
		o, err := ca.GetOrg(ctx, op, newName)
		return err == nil && o.Collection == "org_shared_renamed"
	})

	admin := adminLogin(t, ca, "Shared")
	if _, err := cb.GetOrg(ctx, admin, newName); err != nil {
		t.Fatalf("b refuses a's admin token: %v", err)
	}
	pw := "changed-on-b"
	if _, err := cb.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: newName, AdminPassword: &pw}); err != nil {
		t.Fatal(err)
	}
	propagates(t, "a to revoke the admin's token after b's password change", func() bool {
		_, err := ca.GetOrg(ctx, admin, newName)
		return rpc.ErrorCode(err) == rpc.CodeUnauthenticated
	})

	if err := ca.DeleteOrg(ctx, op, newName); err != nil {
		t.Fatal(err)
	}
	propagates(t, "b to see a's delete", func() bool {
		_, err := cb.GetOrg(ctx, op, newName)
		return rpc.ErrorCode(err) == rpc.CodeNotFound
	})
	checkClean(t, a)
}

func TestConcurrentCreatesOnTwoDaemonsMakeExactlyOne(t *testing.T) {
	a, b := twoDaemons(t)
	op := a.Operator(t)
	waitFor(t, "b to know a's operator", func() bool { _, err := b.Client(t).Whoami(ctxT(t), op); return err == nil })

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		d := a
		if i%2 == 1 {
			d = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &rpc.Client{Addr: d.Addr}
			defer c.Close()
			_, errs[i] = c.CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: op, Name: "Contested",
				AdminEmail: fmt.Sprintf("admin%d@example.com", i), AdminPassword: adminPassword})
		}()
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
		t.Fatalf("%d creates succeeded across two daemons, want exactly 1", ok)
	}
	for _, d := range []*testenv.Daemon{a, b} {
		waitFor(t, "both daemons to list exactly one", func() bool {
			l, err := d.Client(t).ListOrgs(ctxT(t), rpc.OrgListParams{Token: op})
			return err == nil && l.Total == 1
		})
	}
	checkClean(t, a)
}
