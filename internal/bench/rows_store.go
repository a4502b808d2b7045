package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"

	"github.com/orgd/orgd/rpc"
)

// timeCreates times single org.create calls from one client, deleting
// each organization again, so that every one is created with the same
// number of organizations in the store. The first create is a warm-up and
// is not counted.
func (e *env) timeCreates(ctx context.Context, label string) ([]time.Duration, error) {
	var out []time.Duration
	for i := range e.o.Samples + 1 {
		name := fmt.Sprintf("Bench Timed %s %d", label, i)
		t0 := time.Now()
		_, err := e.client.CreateOrg(ctx, rpc.OrgCreateParams{
			Token: e.token, Name: name,
			AdminEmail: fmt.Sprintf("timed-%s-%d@bench.example", label, i), AdminPassword: "timed-password",
		})
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		if i > 0 {
			out = append(out, time.Since(t0))
		}
		if err := e.client.DeleteOrg(ctx, e.token, name); err != nil {
			return nil, fmt.Errorf("delete %s: %w", name, err)
		}
	}
	return out, nil
}

// rowCreateTime times the first organization's create, on an empty store,
// and the create of the one at half of Options.Orgs, when the store holds
// one fewer: SPEC's 1st and 5,000th.
func (e *env) rowCreateTime(ctx context.Context) error {
	first, err := e.timeCreates(ctx, "first")
	if err != nil {
		return err
	}
	nth := e.o.Orgs / 2
	if err := e.seedMeasuring(ctx, nth-1); err != nil {
		return err
	}
	later, err := e.timeCreates(ctx, "later")
	if err != nil {
		return err
	}
	// What bcrypt alone takes, to tell the store's share.
	hashes := make([]time.Duration, e.o.Samples)
	for i := range hashes {
		t0 := time.Now()
		if _, err := bcrypt.GenerateFromPassword([]byte("timed-password"), e.o.BcryptCost); err != nil {
			return err
		}
		hashes[i] = time.Since(t0)
	}
	f, l, h := medianDuration(first), medianDuration(later), medianDuration(hashes)
	ratio := float64(l) / float64(f)
	e.rows = append(e.rows, Row{
		Key:      "create-time",
		What:     fmt.Sprintf("org.create time of the %s organization, 1 client", ordinal(nth)),
		Figure:   fmtDur(l),
		Spread:   durSpread(later),
		Baseline: fmt.Sprintf("the 1st: %s (%s)", fmtDur(f), durSpread(first)),
		Ratio:    fmtRatio(ratio),
		Target:   "≤ 1.5× the 1st",
		Result:   verdict(ratio <= 1.5),
		Note: fmt.Sprintf("Median of %d creates each (the 1st on an empty store, the %s with %s organizations in it; each deleted again "+
			"before the next, after one warm-up create). bcrypt alone (cost %d) takes %s of it; the rest, %s for the 1st and %s for the %s, is orgd and the store.",
			e.o.Samples, ordinal(nth), count(nth-1), e.o.BcryptCost, fmtDur(h), fmtDur(max(0, f-h)), fmtDur(max(0, l-h)), ordinal(nth)),
	})
	return nil
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return count(n) + suffix
}

func durSpread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return fmt.Sprintf("%s–%s", fmtDur(slices.Min(ds)), fmtDur(slices.Max(ds)))
}

// directPrefix names what the direct-create baseline makes, beside orgd's
// own collections in the same database.
const directPrefix = "bench_direct_"

// rowCreate holds org.create's throughput against the same steps done
// directly with the driver: a bcrypt hash, a collection, two inserts.
func (e *env) rowCreate(ctx context.Context) error {
	conns, err := dialAll(e.socket, e.o.Clients)
	if err != nil {
		return err
	}
	defer closeAll(conns)
	db := e.d.Store().Database()
	orgs, claims := db.Collection(directPrefix+"orgs"), db.Collection(directPrefix+"claims")
	// The baseline's collections go where orgd's next ones go.
	tenants := e.d.Store().TenantDatabase(e.d.Store().NextTenantDatabase())
	defer e.dropDirect(context.WithoutCancel(ctx), db, tenants)
	// The engine takes collection creates one at a time (see
	// mongo.Store.CreateOrganization), and so does the baseline: its
	// hashes run side by side, its store steps one after the other.
	var storeSteps sync.Mutex

	// Back to the seeded organizations only, for the rows that follow,
	// whatever happened.
	var created []string
	defer func() {
		for _, name := range created {
			if err := e.client.DeleteOrg(context.WithoutCancel(ctx), e.token, name); err != nil && rpc.ErrorCode(err) != rpc.CodeNotFound {
				e.logf("  delete %s: %v", name, err)
			}
		}
	}()

	var base, fig Figure
	for r := range e.o.SlowRuns {
		direct := func(ctx context.Context, _, i int) error {
			name := fmt.Sprintf("%s%d_%03d", directPrefix, r, i)
			hash, err := bcrypt.GenerateFromPassword([]byte("created-password"), e.o.BcryptCost)
			if err != nil {
				return err
			}
			storeSteps.Lock()
			defer storeSteps.Unlock()
			if err := tenants.CreateCollection(ctx, name); err != nil {
				return err
			}
			now := time.Now()
			if _, err := orgs.InsertOne(ctx, bson.D{
				{Key: "_id", Value: name}, {Key: "name", Value: name}, {Key: "admin_email", Value: name + "@bench.example"},
				{Key: "password_hash", Value: hash}, {Key: "state", Value: "active"}, {Key: "created_at", Value: now},
			}); err != nil {
				return err
			}
			_, err = claims.InsertOne(ctx, bson.D{{Key: "_id", Value: "slug:" + name}, {Key: "owner", Value: name}, {Key: "at", Value: now}})
			return err
		}
		s, err := fixedWork(ctx, e.o.Clients, e.o.SlowOps, direct)
		if err != nil {
			return fmt.Errorf("direct create: %w", err)
		}
		base.Add(s)

		reqs := make([][]byte, e.o.SlowOps)
		for i := range reqs {
			name := fmt.Sprintf("Bench Created %d %03d", r, i)
			created = append(created, name)
			reqs[i] = request(rpc.MethodOrgCreate, rpc.OrgCreateParams{
				Token: e.token, Name: name,
				AdminEmail: fmt.Sprintf("created-%d-%03d@bench.example", r, i), AdminPassword: "created-password",
			})
		}
		create := func(_ context.Context, w, i int) error {
			line, err := conns[w].roundTrip(reqs[i])
			if err == nil {
				err = checkReply(line)
			}
			return err
		}
		if s, err = fixedWork(ctx, e.o.Clients, e.o.SlowOps, create); err != nil {
			return err
		}
		fig.Add(s)
	}
	ratio := fig.OpsPerSec() / base.OpsPerSec()
	e.rows = append(e.rows, Row{
		Key:      "create",
		What:     fmt.Sprintf("org.create throughput, %d clients", e.o.Clients),
		Figure:   fmtFigure(fig),
		Spread:   fmtOpsSpread(fig),
		Baseline: fmt.Sprintf("bcrypt hash, then create collection + two inserts with orgd's driver, %d goroutines: %s", e.o.Clients, fmtFigure(base)),
		Ratio:    fmtRatio(ratio),
		Target:   "≥ 0.8× the direct steps",
		Result:   verdict(ratio >= 0.8),
		Note: fmt.Sprintf("Each run is %d creates shared by the clients, in the database that holds the %s seeded organizations, "+
			"timed from the first start to the last end. orgd's create also writes its intent, claims the slug and the email, writes a "+
			"commit record, puts the finished organization in place of its intent and writes an audit entry. On the embedded engine both "+
			"make their collections one at a time (their bcrypt hashes run side by side), and neither updates a document after making "+
			"one: each collection made has every SQLite connection but the one that made it reread the schema of every collection.",
			e.o.SlowOps, count(e.seeded)),
	})
	return nil
}

// dropDirect removes what the direct-create baseline made in dbs.
func (e *env) dropDirect(ctx context.Context, dbs ...*mongo.Database) {
	for _, db := range dbs {
		names, err := db.ListCollectionNames(ctx, bson.D{})
		if err != nil {
			e.logf("  list collections: %v", err)
			return
		}
		for _, n := range names {
			if strings.HasPrefix(n, directPrefix) {
				if err := db.Collection(n).Drop(ctx); err != nil {
					e.logf("  drop %s: %v", n, err)
				}
			}
		}
	}
}

// renameTo is the other name the renamed organization takes.
const renameTo = "Bench Renamed"

// rowRename times the rename of an organization holding Options.Documents
// documents, and checks that every document kept its _id.
func (e *env) rowRename(ctx context.Context) error {
	name := seedName(1)
	o, err := e.client.GetOrg(ctx, e.token, name)
	if err != nil {
		return err
	}
	coll, err := e.d.Store().TenantCollection(o.ID)
	if err != nil {
		return err
	}
	db := coll.Database()
	t0 := time.Now()
	if err := insertDocuments(ctx, coll, e.o.Documents); err != nil {
		return err
	}
	e.logf("  inserted %d documents in %s", e.o.Documents, time.Since(t0).Round(time.Millisecond))

	// The engine's own renameCollection, on the same collection.
	admin := db.Client().Database("admin")
	renameDirect := func(from, to string) (time.Duration, error) {
		t0 := time.Now()
		err := admin.RunCommand(ctx, bson.D{{Key: "renameCollection", Value: db.Name() + "." + from}, {Key: "to", Value: db.Name() + "." + to}}).Err()
		return time.Since(t0), err
	}
	var direct []time.Duration
	for range e.o.Samples {
		there, err := renameDirect(o.Collection, directPrefix+"renamed")
		if err != nil {
			return fmt.Errorf("renameCollection: %w", err)
		}
		back, err := renameDirect(directPrefix+"renamed", o.Collection)
		if err != nil {
			return fmt.Errorf("renameCollection: %w", err)
		}
		direct = append(direct, there, back)
	}

	var times []time.Duration
	from, to := name, renameTo
	for range 2 * ((e.o.Samples + 1) / 2) {
		t0 := time.Now()
		if _, err := e.client.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: e.token, Name: from, NewName: &to}); err != nil {
			return fmt.Errorf("rename %s to %s: %w", from, to, err)
		}
		times = append(times, time.Since(t0))
		from, to = to, from
	}
	if err := e.checkDocuments(ctx, name, e.o.Documents); err != nil {
		return err
	}
	med := medianDuration(times)
	e.rows = append(e.rows, Row{
		Key:      "rename",
		What:     fmt.Sprintf("rename (org.update new_name) of an organization holding %s documents", count(e.o.Documents)),
		Figure:   "p50 " + fmtDur(med) + " · max " + fmtDur(slices.Max(times)),
		Spread:   durSpread(times),
		Baseline: "renameCollection alone, with the driver: p50 " + fmtDur(medianDuration(direct)),
		Ratio:    fmtRatio(float64(med) / float64(medianDuration(direct))),
		Target:   "≤ 50 ms, every document and _id kept",
		Result:   verdict(med <= 50*time.Millisecond),
		Note: fmt.Sprintf("%d renames back and forth through orgd, timed at the client; afterwards org.stats counts %s documents "+
			"and a scan finds every _id once.", len(times), count(e.o.Documents)),
	})
	return nil
}

// insertDocuments fills a tenant collection with n documents whose _ids
// are 0 to n-1.
func insertDocuments(ctx context.Context, c *mongo.Collection, n int) error {
	const batch = 1000
	docs := make([]any, 0, batch)
	for i := range n {
		docs = append(docs, bson.D{
			{Key: "_id", Value: int64(i)},
			{Key: "sku", Value: fmt.Sprintf("SKU-%07d", i)},
			{Key: "qty", Value: i % 97},
			{Key: "note", Value: "a tenant document of a few dozen bytes"},
		})
		if len(docs) == batch || i == n-1 {
			if _, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
				return fmt.Errorf("insert documents: %w", err)
			}
			docs = docs[:0]
		}
	}
	return nil
}

// checkDocuments checks that the organization's collection holds exactly
// the documents insertDocuments put there.
func (e *env) checkDocuments(ctx context.Context, name string, n int) error {
	st, err := e.client.OrgStats(ctx, e.token, name)
	if err != nil {
		return err
	}
	if st.Documents != int64(n) {
		return fmt.Errorf("after the renames org.stats counts %d documents, want %d", st.Documents, n)
	}
	o, err := e.client.GetOrg(ctx, e.token, name)
	if err != nil {
		return err
	}
	coll, err := e.d.Store().TenantCollection(o.ID)
	if err != nil {
		return err
	}
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	seen := make([]bool, n)
	found := 0
	for cur.Next(ctx) {
		id, ok := cur.Current.Lookup("_id").AsInt64OK()
		if !ok || id < 0 || id >= int64(n) || seen[id] {
			return fmt.Errorf("after the renames the collection holds an unexpected _id %v", cur.Current.Lookup("_id"))
		}
		seen[id] = true
		found++
	}
	if err := cur.Err(); err != nil {
		return err
	}
	if found != n {
		return errors.New("after the renames documents are missing")
	}
	return nil
}
