package daemon_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func TestStoreOutageFailsFastAndRecovers(t *testing.T) {
	if os.Getenv(testenv.MongoURIEnv) != "" {
		t.Skip("this test stops and restarts its own store: it runs on the embedded engine only")
	}
	storeDir := testenv.ShortDir(t)
	eng, err := embedded.Start(ctxT(t), storeDir, testenv.Logger(nil))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			eng.Close(context.Background())
		}
	})
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.MongoURI = eng.URI()
		c.StoreTimeout = 500 * time.Millisecond
	}})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")

	if err := eng.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	stopped = true

	start := time.Now()
	_, err = c.CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: op, Name: "Globex", AdminEmail: adminEmail("Globex"), AdminPassword: adminPassword})
	e := wantCode(t, err, rpc.CodeStoreUnavailable)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a create took %s to fail with the store down", took)
	}
	t.Logf("create failed after %s: %s", time.Since(start), e.Message)
	waitFor(t, "system.health to report the store down", func() bool {
		h, err := c.Health(ctxT(t))
		return err == nil && !h.Store.OK && h.Status == "degraded"
	})
	// Reads are served from memory while the store is down.
	if o, err := c.GetOrg(ctxT(t), op, "Acme"); err != nil || o.Name != "Acme" {
		t.Errorf("org.get during the outage: %+v, %v", o, err)
	}

	eng, err = embedded.Start(ctxT(t), storeDir, testenv.Logger(nil))
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	waitFor(t, "system.health to report the store back", func() bool {
		h, err := c.Health(ctxT(t))
		return err == nil && h.Store.OK
	})
	create(t, c, op, "Globex")
	checkClean(t, d)
}
