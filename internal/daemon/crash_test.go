package daemon_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// crashAt makes the store stop a change right after one named step, once
// armed, and only once, as a crash there would.
type crashAt struct {
	mu    sync.Mutex
	step  string
	armed bool
	fired bool
}

// arm makes the next pass through the step crash.
func (c *crashAt) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = true
}

var errCrash = errors.New("simulated crash")

func (c *crashAt) hook(step string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed && !c.fired && step == c.step {
		c.fired = true
		return errCrash
	}
	return nil
}

func (c *crashAt) didFire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

// crashEnv is a daemon whose store crashes at a step, and which is then
// restarted on the same store, as after a real crash.
type crashEnv struct {
	t        *testing.T
	d        *testenv.Daemon
	crash    *crashAt
	op       string
	embedded bool
}

// newCrashEnv starts a daemon that will crash at step once armed. With
// embedded set, it runs the engine in process, where a restarted daemon
// knows at once that intents left in the store are abandoned; otherwise it
// tells from the old daemon's heartbeat.
func newCrashEnv(t *testing.T, step string, embedded bool) *crashEnv {
	crash := &crashAt{step: step}
	d := testenv.Start(t, testenv.Options{Failpoint: crash.hook, Embedded: embedded})
	return &crashEnv{t: t, d: d, crash: crash, op: d.Operator(t), embedded: embedded}
}

// restart stops the daemon and starts a new one on the same store, which
// reconciles what the crash left, and wants the store clean.
func (e *crashEnv) restart() {
	e.t.Helper()
	e.restartUnchecked()
	checkClean(e.t, e.d)
}

// restartUnchecked is restart, for a store that is not meant to be clean.
func (e *crashEnv) restartUnchecked() {
	e.t.Helper()
	if !e.crash.didFire() {
		e.t.Fatalf("the failpoint %s never fired", e.crash.step)
	}
	e.d.Stop(e.t)
	e.d = testenv.Start(e.t, testenv.Options{DataDir: e.d.DataDir, DB: e.d.DB, Embedded: e.embedded})
}

func (e *crashEnv) client() *rpc.Client { return e.d.Client(e.t) }

// fill puts n documents into the collection of the organization with id
// and returns their ids.
func fill(t *testing.T, d *testenv.Daemon, id string, n int) map[bson.ObjectID]bool {
	t.Helper()
	ids := map[bson.ObjectID]bool{}
	var docs []any
	for i := range n {
		id := bson.NewObjectID()
		ids[id] = true
		docs = append(docs, bson.D{{Key: "_id", Value: id}, {Key: "i", Value: i}})
	}
	if _, err := tenantCollection(t, d, id).InsertMany(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	return ids
}

// wantDocuments fails unless the collection of the organization with id
// holds exactly the documents ids.
func wantDocuments(t *testing.T, d *testenv.Daemon, id string, ids map[bson.ObjectID]bool) {
	t.Helper()
	coll := tenantCollection(t, d, id)
	collection := coll.Name()
	cur, err := coll.Find(ctxT(t), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctxT(t), &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != len(ids) {
		t.Fatalf("%s holds %d documents, want %d", collection, len(docs), len(ids))
	}
	for _, doc := range docs {
		if !ids[doc.ID] {
			t.Fatalf("%s holds document %s, which was not there before", collection, doc.ID.Hex())
		}
	}
}

func TestCrashDuringCreateIsRolledBack(t *testing.T) {
	for _, step := range []string{"create:inserted", "create:claimed-slug", "create:claimed-email", "create:admin", "create:collection"} {
		for _, embedded := range []bool{false, true} {
			t.Run(fmt.Sprintf("after %s, embedded %v", step, embedded), func(t *testing.T) {
				crashDuringCreate(t, step, embedded)
			})
		}
	}
}

func crashDuringCreate(t *testing.T, step string, embedded bool) {
	e, bystander, kept := createThroughCrash(t, step, embedded)
	_, err := e.client().GetOrg(ctxT(t), e.op, "Phoenix")
	wantCode(t, err, rpc.CodeNotFound)
	wantDocuments(t, e.d, bystander, kept)
	// Name, slug and email are free again.
	create(t, e.client(), e.op, "Phoenix")
	checkClean(t, e.d)
}

// createThroughCrash starts a daemon that crashes at step, gives it a
// bystander organization holding documents, creates "Phoenix" through the
// crash and restarts the daemon. It returns the restarted daemon's
// environment, and the bystander's id and documents.
func createThroughCrash(t *testing.T, step string, embedded bool) (*crashEnv, string, map[bson.ObjectID]bool) {
	t.Helper()
	e := newCrashEnv(t, step, embedded)
	bystander := create(t, e.client(), e.op, "Bystander")
	kept := fill(t, e.d, bystander.ID, 50)

	e.crash.arm()
	_, err := e.client().CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: e.op, Name: "Phoenix", AdminEmail: adminEmail("Phoenix"), AdminPassword: adminPassword})
	if err == nil {
		t.Fatal("create succeeded through a crash")
	}
	e.restart()
	return e, bystander.ID, kept
}

// TestCrashWhileGivingUpOnAForeignCollectionKeepsIt: a create that finds
// its collection already there, made outside orgd, gives up without
// touching it; a crash while it gives up leaves a rollback to reconcile,
// which must not drop that collection either, though the create held the
// slug.
func TestCrashWhileGivingUpOnAForeignCollectionKeepsIt(t *testing.T) {
	for _, embedded := range []bool{false, true} {
		t.Run(fmt.Sprintf("embedded %v", embedded), func(t *testing.T) {
			e := newCrashEnv(t, "create:found-collection", embedded)
			// Where Phoenix's collection is to go.
			phoenixDB := e.d.Store().NextTenantDatabase()
			foreign := databaseNamed(t, e.d, phoenixDB).Collection("org_phoenix")
			if _, err := foreign.InsertOne(ctxT(t), bson.D{{Key: "kept", Value: true}}); err != nil {
				t.Fatal(err)
			}

			e.crash.arm()
			_, err := e.client().CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: e.op, Name: "Phoenix", AdminEmail: adminEmail("Phoenix"), AdminPassword: adminPassword})
			if err == nil {
				t.Fatal("create succeeded through a crash")
			}
			e.restartUnchecked()

			_, err = e.client().GetOrg(ctxT(t), e.op, "Phoenix")
			wantCode(t, err, rpc.CodeNotFound)
			n, err := databaseNamed(t, e.d, phoenixDB).Collection("org_phoenix").CountDocuments(ctxT(t), bson.D{{Key: "kept", Value: true}})
			if err != nil || n != 1 {
				t.Fatalf("the foreign collection holds %d of its document (%v), want it kept", n, err)
			}
			problems, err := e.d.Store().Check(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || problems[0].Kind != "orphan_collection" {
				t.Errorf("check finds %v; want only the foreign collection", problems)
			}
		})
	}
}

// TestCrashAfterCreateCommitIsFinished: on the embedded store a create
// holds once its commit record is written (see mongo/commit.go); a crash
// after that, even with the organization's document deleted and not yet
// written again, ends with the organization as the create made it.
func TestCrashAfterCreateCommitIsFinished(t *testing.T) {
	for _, step := range []string{"create:committed", "create:replacing"} {
		t.Run("after "+step, func(t *testing.T) {
			e, bystander, kept := createThroughCrash(t, step, true)
			got, err := e.client().GetOrg(ctxT(t), e.op, "Phoenix")
			if err != nil {
				t.Fatalf("after reconcile: %v", err)
			}
			if got.State != rpc.StateActive || got.AdminEmail != adminEmail("Phoenix") || got.Collection == "" {
				t.Errorf("after reconcile: %+v", got)
			}
			token := adminLogin(t, e.client(), "Phoenix")
			if _, err := e.client().InsertDocuments(ctxT(t), rpc.DataInsertParams{Token: token, Org: "Phoenix", Documents: []json.RawMessage{json.RawMessage(`{"k": 1}`)}}); err != nil {
				t.Errorf("insert into the finished organization: %v", err)
			}
			wantDocuments(t, e.d, bystander, kept)
			_, err = e.client().CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: e.op, Name: "Phoenix", AdminEmail: "other@example.com", AdminPassword: adminPassword})
			wantCode(t, err, rpc.CodeConflict)
		})
	}
}

func TestCrashDuringRenameIsFinishedOrRolledBack(t *testing.T) {
	steps := []struct {
		step      string
		committed bool
	}{
		{"rename:intent", false},
		{"rename:claimed-slug", false},
		{"rename:collection", false},
		{"rename:committed", true},
		{"rename:released", true},
	}
	for _, s := range steps {
		t.Run("after "+s.step, func(t *testing.T) {
			e := newCrashEnv(t, s.step, false)
			o := create(t, e.client(), e.op, "Before")
			ids := fill(t, e.d, o.ID, 200)

			e.crash.arm()
			newName := "After"
			_, err := e.client().UpdateOrg(ctxT(t), rpc.OrgUpdateParams{Token: e.op, Name: "Before", NewName: &newName})
			if err == nil {
				t.Fatal("rename succeeded through a crash")
			}
			e.restart()

			wantName, gone := "Before", "After"
			if s.committed {
				wantName, gone = "After", "Before"
			}
			got, err := e.client().GetOrg(ctxT(t), e.op, wantName)
			if err != nil {
				t.Fatalf("after reconcile, %q: %v", wantName, err)
			}
			if got.ID != o.ID || got.State != rpc.StateActive || got.AdminEmail != adminEmail("Before") {
				t.Errorf("after reconcile: %+v", got)
			}
			_, err = e.client().GetOrg(ctxT(t), e.op, gone)
			wantCode(t, err, rpc.CodeNotFound)
			wantDocuments(t, e.d, got.ID, ids)
			if _, err := e.client().Login(ctxT(t), adminEmail("Before"), adminPassword); err != nil {
				t.Errorf("admin login: %v", err)
			}
		})
	}
}

// TestCrashDuringAnEmailChangeIsFinishedOrRolledBack: an admin's email
// changes through an intent in the account's document, claiming the new
// email before it lets the old one go.
func TestCrashDuringAnEmailChangeIsFinishedOrRolledBack(t *testing.T) {
	steps := []struct {
		step      string
		committed bool
	}{
		{"email:intent", false},
		{"email:claimed", false},
		{"email:committed", true},
		{"email:released", true},
	}
	for _, s := range steps {
		for _, embedded := range []bool{false, true} {
			t.Run(fmt.Sprintf("after %s, embedded %v", s.step, embedded), func(t *testing.T) {
				e := newCrashEnv(t, s.step, embedded)
				create(t, e.client(), e.op, "Mail")
				e.crash.arm()
				newEmail := "new-admin@example.com"
				if _, err := e.client().UpdateOrg(ctxT(t), rpc.OrgUpdateParams{Token: e.op, Name: "Mail", AdminEmail: &newEmail}); err == nil {
					t.Fatal("the email change succeeded through a crash")
				}
				e.restart()

				want, other := adminEmail("Mail"), newEmail
				if s.committed {
					want, other = newEmail, adminEmail("Mail")
				}
				got, err := e.client().GetOrg(ctxT(t), e.op, "Mail")
				if err != nil || got.AdminEmail != want || got.Members != 1 {
					t.Fatalf("after reconcile: %+v, %v; want the admin %s", got, err, want)
				}
				login(t, e.client(), want, adminPassword)
				_, err = e.client().Login(ctxT(t), other, adminPassword)
				wantCode(t, err, rpc.CodeUnauthenticated)
				// The other email is free again.
				addMember(t, e.client(), e.op, "Mail", other, rpc.RoleViewer)
				checkClean(t, e.d)
			})
		}
	}
}

// TestCrashDuringMemberChangesLeavesThemWhole: a member added through a
// crash is rolled back, claim and all; one removed through a crash after
// its intent is gone for good, its tokens refused from the intent on.
func TestCrashDuringMemberChangesLeavesThemWhole(t *testing.T) {
	for _, step := range []string{"account:inserted", "account:claimed-email"} {
		for _, embedded := range []bool{false, true} {
			t.Run(fmt.Sprintf("an add after %s, embedded %v", step, embedded), func(t *testing.T) {
				e := newCrashEnv(t, step, embedded)
				create(t, e.client(), e.op, "Team")
				e.crash.arm()
				_, err := e.client().AddMember(ctxT(t), rpc.MemberAddParams{Token: e.op, Org: "Team", Email: "new@team.example", Password: memberPassword, Role: rpc.RoleAdmin})
				if err == nil {
					t.Fatal("member.add succeeded through a crash")
				}
				e.restart()
				l, err := e.client().ListMembers(ctxT(t), rpc.MemberListParams{Token: e.op, Org: "Team"})
				if err != nil || l.Total != 1 {
					t.Fatalf("after reconcile the members are %v, %v; want the first admin alone", emails(l), err)
				}
				addMember(t, e.client(), e.op, "Team", "new@team.example", rpc.RoleAdmin)
				checkClean(t, e.d)
			})
		}
	}
	for _, embedded := range []bool{false, true} {
		t.Run(fmt.Sprintf("a removal after its intent, embedded %v", embedded), func(t *testing.T) {
			e := newCrashEnv(t, "remove:intent", embedded)
			create(t, e.client(), e.op, "Team")
			addMember(t, e.client(), e.op, "Team", "second@team.example", rpc.RoleAdmin)
			tok := login(t, e.client(), "second@team.example", memberPassword)
			e.crash.arm()
			if err := e.client().RemoveMember(ctxT(t), rpc.MemberRemoveParams{Token: e.op, Org: "Team", Email: "second@team.example"}); err == nil {
				t.Fatal("member.remove succeeded through a crash")
			}
			_, err := e.client().Whoami(ctxT(t), tok)
			wantCode(t, err, rpc.CodeUnauthenticated)
			e.restart()
			o, err := e.client().GetOrg(ctxT(t), e.op, "Team")
			if err != nil || o.Members != 1 || o.AdminEmail != adminEmail("Team") {
				t.Fatalf("after reconcile: %+v, %v", o, err)
			}
			addMember(t, e.client(), e.op, "Team", "second@team.example", rpc.RoleViewer)
		})
	}
}

func TestCrashDuringDeleteIsFinished(t *testing.T) {
	for _, step := range []string{"delete:intent", "delete:dropped", "delete:released"} {
		t.Run("after "+step, func(t *testing.T) {
			e := newCrashEnv(t, step, true)
			bystander := create(t, e.client(), e.op, "Bystander")
			kept := fill(t, e.d, bystander.ID, 50)
			o := create(t, e.client(), e.op, "Doomed")
			fill(t, e.d, o.ID, 50)
			doomedDB := databaseOf(t, e.d, o.ID)

			e.crash.arm()
			if err := e.client().DeleteOrg(ctxT(t), e.op, "Doomed"); err == nil {
				t.Fatal("delete succeeded through a crash")
			}
			e.restart()

			_, err := e.client().GetOrg(ctxT(t), e.op, "Doomed")
			wantCode(t, err, rpc.CodeNotFound)
			names, err := databaseNamed(t, e.d, doomedDB).ListCollectionNames(ctxT(t), bson.D{{Key: "name", Value: o.Collection}})
			if err != nil || len(names) != 0 {
				t.Errorf("collection of the deleted organization: %v, %v", names, err)
			}
			wantDocuments(t, e.d, bystander.ID, kept)
			create(t, e.client(), e.op, "Doomed")
		})
	}
}

func TestCrashDuringBootstrapIsRolledBack(t *testing.T) {
	for _, step := range []string{"account:inserted", "account:claimed-bootstrap", "account:claimed-email"} {
		t.Run("after "+step, func(t *testing.T) {
			crash := &crashAt{step: step, armed: true}
			d := testenv.Start(t, testenv.Options{Failpoint: crash.hook})
			if _, err := d.Client(t).Bootstrap(ctxT(t), "ops@example.com", "operator-password"); err == nil {
				t.Fatal("bootstrap succeeded through a crash")
			}
			e := &crashEnv{t: t, d: d, crash: crash}
			e.restart()
			if _, err := e.client().Bootstrap(ctxT(t), "ops@example.com", "operator-password"); err != nil {
				t.Fatalf("bootstrap after the crash was rolled back: %v", err)
			}
			checkClean(t, e.d)
		})
	}
}

func TestReconcileRepairsWithoutARestart(t *testing.T) {
	e := newCrashEnv(t, "rename:committed", false)
	o := create(t, e.client(), e.op, "Live")
	ids := fill(t, e.d, o.ID, 20)
	e.crash.arm()
	newName := "Live Renamed"
	if _, err := e.client().UpdateOrg(ctxT(t), rpc.OrgUpdateParams{Token: e.op, Name: "Live", NewName: &newName}); err == nil {
		t.Fatal("rename succeeded through a crash")
	}
	// The running daemon notices on its own, within its refresh interval.
	waitFor(t, "the rename to be finished", func() bool {
		got, err := e.client().GetOrg(ctxT(t), e.op, newName)
		return err == nil && got.State == rpc.StateActive
	})
	wantDocuments(t, e.d, o.ID, ids)
	if c := tenantCollection(t, e.d, o.ID).Name(); c != "org_live_renamed" {
		t.Errorf("the collection is %s after the rename", c)
	}
	checkClean(t, e.d)
}
