package daemon_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
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
	eng, err := embedded.Start(ctxT(t), storeDir, embedded.Options{Log: testenv.Logger(nil)})
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

	eng, err = embedded.Start(ctxT(t), storeDir, embedded.Options{Log: testenv.Logger(nil)})
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

// outageWorker makes changes to organizations of its own until stop is
// closed, through a store that goes away and comes back. A change that
// fails saying it did nothing (-32050, -32053) joins nothing; one whose
// outcome is unknown (-32052) joins uncertain: how it ends is up to orgd's
// repair. Either way the worker goes on with a new organization. It
// returns the slowest failure.
func outageWorker(ctx context.Context, t *testing.T, c *rpc.Client, op string, rng *rand.Rand, prefix string,
	m *crashModel, stop <-chan struct{}, nothing, uncertain *[]*crashOp) (slowest time.Duration, failed int) {
	var current string
	for k := 0; ; k++ {
		select {
		case <-stop:
			return slowest, failed
		default:
		}
		o := nextCrashOp(rng, prefix, k, current)
		start := time.Now()
		next, err := o.send(ctx, c, op, k, rng, m)
		if err == nil {
			current = next
		}
		switch rpc.ErrorCode(err) {
		case 0:
			if err != nil {
				t.Errorf("%s %q: %v", o.kind, o.name, err)
				return slowest, failed
			}
		case rpc.CodeStoreUnavailable, rpc.CodeBusy, rpc.CodeOutcomeUnknown:
			slowest = max(slowest, time.Since(start))
			failed++
			if rpc.ErrorCode(err) == rpc.CodeOutcomeUnknown {
				*uncertain = append(*uncertain, &o)
			} else {
				*nothing = append(*nothing, &o)
			}
			current = ""
			// Some pause, as a client that was told the store is down.
			time.Sleep(20 * time.Millisecond)
		default:
			t.Errorf("%s %q during a store outage: %v", o.kind, o.name, err)
			return slowest, failed
		}
	}
}

// TestStoreKilledMidLoadLeavesNothingHalfDone kills the store's process
// (SIGKILL) while clients create, rename, delete and insert documents, and
// starts it again: every change fails fast (with -32050, -32053 or -32052)
// or succeeds,
// system.health reports the outage, orgd recovers on its own, and once it
// has, every acknowledged change is there, none that was answered "did
// nothing" took effect, every one whose outcome was unknown is whole one
// way or the other, no organization is left in a transitional state, and
// orgd check is clean.
func TestStoreKilledMidLoadLeavesNothingHalfDone(t *testing.T) {
	if os.Getenv(testenv.MongoURIEnv) != "" {
		t.Skip("this test kills and restarts its own store: it runs on the embedded engine only")
	}
	t.Parallel()
	const storeTimeout = time.Second
	sp := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	d := testenv.Start(t, testenv.Options{Embedded: true, Configure: func(c *daemon.Config) {
		c.MongoURI = sp.URI
		c.StoreTimeout = storeTimeout
	}})
	c := d.Client(t)
	op := d.Operator(t)
	m := &crashModel{docs: map[string]int64{}}
	for _, name := range []string{"Steady A", "Steady B"} {
		o := create(t, c, op, name)
		m.set(name, int64(len(fill(t, d, o.ID, 100))))
	}

	const workers = 6
	stop := make(chan struct{})
	var wg sync.WaitGroup
	uncertain := make([][]*crashOp, workers)
	nothing := make([][]*crashOp, workers)
	slowest := make([]time.Duration, workers)
	failed := make([]int, workers)
	for w := range workers {
		rng := rand.New(rand.NewPCG(uint64(w), 11))
		wc := &rpc.Client{Addr: d.Addr}
		defer wc.Close()
		wg.Go(func() {
			slowest[w], failed[w] = outageWorker(ctxT(t), t, wc, op, rng, fmt.Sprintf("W%d", w), m, stop, &nothing[w], &uncertain[w])
		})
	}
	time.Sleep(time.Second)
	sp.Kill()
	waitFor(t, "system.health to report the store down", func() bool {
		h, err := c.Health(ctxT(t))
		return err == nil && !h.Store.OK && h.Status == "degraded"
	})
	time.Sleep(1500 * time.Millisecond) // the clients keep going through the outage
	sp.Restart(t)
	waitFor(t, "system.health to report the store back", func() bool {
		h, err := c.Health(ctxT(t))
		return err == nil && h.Store.OK
	})
	time.Sleep(time.Second) // and a while with the store back
	close(stop)
	wg.Wait()

	var worst time.Duration
	var fails int
	for w := range workers {
		worst = max(worst, slowest[w])
		fails += failed[w]
	}
	t.Logf("%d changes acknowledged, %d failed, the slowest of those after %s", m.acked, fails, worst.Round(time.Millisecond))
	if fails == 0 {
		t.Error("no change failed: the outage did not happen under load")
	}
	// Server selection is bounded by --store-timeout; a change may wait on
	// it a few times (its intent, then undoing it), never for the request
	// deadline (30 s).
	if worst > 5*storeTimeout {
		t.Errorf("a change took %s to fail with the store down; --store-timeout is %s", worst, storeTimeout)
	}

	// orgd repairs what the outage cut short within its refresh interval.
	waitFor(t, "orgd to repair what the outage left half-done", func() bool {
		problems, err := d.Store().Check(ctxT(t))
		return err == nil && len(problems) == 0
	})
	// A -32050 or -32053 did nothing; a -32052 may have, and the repair
	// finished or rolled it back.
	for _, ns := range nothing {
		for _, o := range ns {
			if settle(t, c, op, o, m) {
				t.Errorf("%s %q was answered that it did nothing, but took effect", o.kind, o.name)
			}
		}
	}
	tookEffect, unknown := 0, 0
	for _, us := range uncertain {
		for _, o := range us {
			unknown++
			if settle(t, c, op, o, m) {
				tookEffect++
				t.Logf("%s %q (%d documents) had an unknown outcome and took effect", o.kind, o.name, o.docs)
			}
		}
	}
	t.Logf("of the %d changes whose outcome was unknown (-32052), %d took effect (finished by the repair)", unknown, tookEffect)
	verifyCrashModel(t, c, op, m)
	checkClean(t, d)
}
