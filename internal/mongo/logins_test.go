package mongo_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
)

// TestLoginsWrittenDuringChangesNeverUndoThem: the time of a login reaches
// the store at the next tick, whatever else is happening to the account
// then. The embedded engine updates a document by reading it whole and
// writing it back whole, so a login time written into the account's own
// document could put back the password, role and credential version that
// a change had just replaced, and with them every token the change
// revoked: other daemons would never see the change, and this one would
// find it gone at its next start. Here logins are written while the
// account's tokens are revoked over and over: the store must hold every
// revocation, and the last login too.
func TestLoginsWrittenDuringChangesNeverUndoThem(t *testing.T) {
	proc := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func(exclusive bool) (*mongo.Store, *org.Directory) {
		t.Helper()
		dir := org.NewDirectory(nil)
		s, err := mongo.Open(ctx, mongo.Options{URI: proc.URI, Database: "orgd", Kind: mongo.KindEmbedded,
			Exclusive: exclusive, Directory: dir, ServerSelectionTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s, dir
	}
	s, dir := open(true)
	if _, err := create(ctx, s, "Acme", "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	admin, ok := dir.AccountByEmail("admin@acme.example")
	if !ok {
		t.Fatal("the directory has no admin")
	}

	var stop atomic.Bool
	var last time.Time
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			last = time.Now().UTC().Truncate(time.Millisecond)
			s.TouchLogin(admin.ID, last)
			mongo.WriteLogins(s, ctx)
		}
	})
	for range 100 {
		if _, err := s.UpdateAccount(ctx, admin.ID, org.AccountChange{Revoke: true}); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()

	want, _ := dir.Account(admin.ID)
	if want.CredVersion != 101 {
		t.Fatalf("the directory has credential version %d after 100 revocations, want 101", want.CredVersion)
	}
	var d struct {
		CredVersion int64 `bson:"cred_version"`
		Rev         int64 `bson:"rev"`
	}
	if err := s.Database().Collection(mongo.MembersCollection).FindOne(ctx, bson.D{{Key: "_id", Value: admin.ID}}).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.CredVersion != want.CredVersion || d.Rev != want.Rev {
		t.Fatalf("the store holds credential version %d (rev %d), the directory %d (rev %d): a login time written meanwhile undid revocations",
			d.CredVersion, d.Rev, want.CredVersion, want.Rev)
	}

	// What the store holds, loaded afresh, has the last login.
	_, fresh := open(false)
	got, ok := fresh.Account(admin.ID)
	if !ok || !got.LastLoginAt.Equal(last) || got.CredVersion != want.CredVersion {
		t.Fatalf("a fresh load has %+v (found %v), want last login %s and credential version %d", got, ok, last, want.CredVersion)
	}
}

// TestALastLoginWithoutItsAccountIsReportedAndRemoved: a login written
// while its account was being removed outlives the account. orgd check
// reports it, and the next load and reconcile remove it, and nothing else.
func TestALastLoginWithoutItsAccountIsReportedAndRemoved(t *testing.T) {
	proc := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func() (*mongo.Store, *org.Directory) {
		t.Helper()
		dir := org.NewDirectory(nil)
		s, err := mongo.Open(ctx, mongo.Options{URI: proc.URI, Database: "orgd", Kind: mongo.KindEmbedded,
			Directory: dir, ServerSelectionTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s, dir
	}
	s, dir := open()
	if _, err := create(ctx, s, "Acme", "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	admin, _ := dir.AccountByEmail("admin@acme.example")
	s.TouchLogin(admin.ID, time.Now())
	mongo.WriteLogins(s, ctx)
	const gone = "6b0000000000000000000001"
	logins := s.Database().Collection(mongo.LoginsCollection)
	if _, err := logins.InsertOne(ctx, bson.D{{Key: "_id", Value: gone}, {Key: "at", Value: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	orphans := func() []string {
		t.Helper()
		problems, err := s.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range problems {
			if p.Kind == "orphan_login" {
				got = append(got, p.Detail)
			}
		}
		return got
	}
	if got := orphans(); len(got) != 1 || !strings.Contains(got[0], gone) {
		t.Fatalf("orgd check reports the last logins %q, want the one of %s alone", got, gone)
	}

	next, _ := open()
	if err := next.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := logins.CountDocuments(ctx, bson.D{{Key: "_id", Value: gone}}); err != nil || n != 0 {
		t.Errorf("after a load and a reconcile, %d last logins of the removed account remain (%v), want none", n, err)
	}
	if n, err := logins.CountDocuments(ctx, bson.D{{Key: "_id", Value: admin.ID}}); err != nil || n != 1 {
		t.Errorf("the admin's last login is gone too (%d, %v)", n, err)
	}
	if got := orphans(); len(got) != 0 {
		t.Errorf("orgd check still reports %q", got)
	}
}

// TestAccountsKeepTheirLastLoginThroughChangesAndRemoval: the account a
// change answers with has its last login, which is no longer in the
// account's document; and a login written back while the account is being
// removed is gone at the next reconcile, without waiting for a load.
func TestAccountsKeepTheirLastLoginThroughChangesAndRemoval(t *testing.T) {
	s, _ := openStoreWith(t, mongo.Options{Exclusive: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := create(ctx, s, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := s.CreateAccount(ctx, org.Account{ID: org.NewID(), Email: "viewer@acme.example", Role: org.RoleViewer, OrgID: o.ID, PasswordHash: []byte("hash"), CredVersion: 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	s.TouchLogin(viewer.ID, at)
	mongo.WriteLogins(s, ctx)
	changed, err := s.UpdateAccount(ctx, viewer.ID, org.AccountChange{Revoke: true})
	if err != nil {
		t.Fatal(err)
	}
	if !changed.LastLoginAt.Equal(at) {
		t.Errorf("the changed account's last login is %s, want %s", changed.LastLoginAt, at)
	}

	if err := s.RemoveAccount(ctx, viewer.ID); err != nil {
		t.Fatal(err)
	}
	// What a login written between the removal's steps leaves behind.
	logins := s.Database().Collection(mongo.LoginsCollection)
	if _, err := logins.InsertOne(ctx, bson.D{{Key: "_id", Value: viewer.ID}, {Key: "at", Value: at}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := logins.CountDocuments(ctx, bson.D{{Key: "_id", Value: viewer.ID}}); err != nil || n != 0 {
		t.Errorf("after the removal and a reconcile, %d last logins of the removed account remain (%v), want none", n, err)
	}
}
