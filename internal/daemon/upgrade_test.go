package daemon_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// The store in testdata/store-v1 was written by the orgd before accounts
// were records of their own (see its README): each organization held its
// one admin inside its document.

// legacyAccount is an account of that store: its password, and a token
// the earlier orgd issued to it.
type legacyAccount struct {
	email, password, token string
}

var legacyPasswords = map[string]string{
	"ops@example.com":       "operator-password",
	"admin@acme.example":    "acme-password",
	"admin@mueller.example": "mueller-password",
	"admin@beta.example":    "beta-password-2",
}

// legacyStore copies the earlier orgd's store into a data directory of
// its own, and returns it with the store's accounts.
func legacyStore(t *testing.T) (string, []legacyAccount) {
	t.Helper()
	dir := testenv.ShortDir(t)
	if err := os.MkdirAll(filepath.Join(dir, embedded.Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"jwt.key", filepath.Join(embedded.Dir, "orgd.sqlite")} {
		b, err := os.ReadFile(filepath.Join("testdata", "store-v1", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text, err := os.ReadFile(filepath.Join("testdata", "store-v1", "tokens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var accounts []legacyAccount
	for line := range strings.Lines(string(text)) {
		email, token, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		accounts = append(accounts, legacyAccount{email: email, password: legacyPasswords[email], token: token})
	}
	if len(accounts) != len(legacyPasswords) {
		t.Fatalf("tokens.txt has %d accounts, want %d", len(accounts), len(legacyPasswords))
	}
	return dir, accounts
}

// wantUpgraded fails unless the daemon serves everything the earlier
// orgd's store held: its organizations with their admins, data and
// indexes, every account's password, and the tokens issued before.
func wantUpgraded(t *testing.T, d *testenv.Daemon, accounts []legacyAccount) {
	t.Helper()
	ctx := ctxT(t)
	c := d.Client(t)
	for _, a := range accounts {
		w, err := c.Whoami(ctx, a.token)
		if err != nil || !strings.EqualFold(w.Email, a.email) {
			t.Errorf("the token issued to %s before the upgrade: %+v, %v", a.email, w, err)
		}
		login(t, c, a.email, a.password)
	}
	op := accounts[len(accounts)-1].token
	admins := map[string]string{"Acme": "admin@acme.example", "Müller GmbH": "admin@mueller.example", "Beta Renamed": "admin@beta.example"}
	for name, admin := range admins {
		o, err := c.GetOrg(ctx, op, name)
		if err != nil || o.State != rpc.StateActive || !slices.Equal(o.Admins, []string{admin}) || o.Members != 1 {
			t.Errorf("%s after the upgrade: %+v, %v", name, o, err)
		}
	}
	found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme"})
	if err != nil || len(found.Documents) != 2 {
		t.Errorf("Acme's documents: %+v, %v", found, err)
	}
	ix, err := c.ListIndexes(ctx, rpc.DataIndexesParams{Token: op, Org: "Acme"})
	if err != nil || !slices.ContainsFunc(ix.Indexes, func(i rpc.DataIndex) bool { return i.Name == "by_name" }) {
		t.Errorf("Acme's indexes: %+v, %v", ix, err)
	}
	checkClean(t, d)
}

func TestAStoreOfAnEarlierOrgdIsUpgradedAtStart(t *testing.T) {
	dir, accounts := legacyStore(t)
	log := &logBuffer{}
	d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true, Log: log})
	wantUpgraded(t, d, accounts)
	if !strings.Contains(log.String(), "upgrading the store") {
		t.Error("the start did not say it upgraded the store")
	}
	c := d.Client(t)
	ctx := ctxT(t)
	op := login(t, c, "ops@example.com", "operator-password")

	t.Run("the admins are accounts like any other", func(t *testing.T) {
		addMember(t, c, op, "Acme", "viewer@acme.example", rpc.RoleViewer)
		wantReason(t, c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: op, Org: "Acme", Email: "admin@acme.example"}), rpc.CodeConflict, rpc.ReasonLastAdmin)
		if err := c.RemoveMember(ctx, rpc.MemberRemoveParams{Token: op, Org: "Acme", Email: "viewer@acme.example"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: "admin@beta.example", Password: "some-password"})
		wantCode(t, err, rpc.CodeConflict)
	})
	t.Run("the email an earlier email change gave up is free", func(t *testing.T) {
		if _, err := c.CreateOperator(ctx, rpc.OperatorCreateParams{Token: op, Email: "it@mueller.example", Password: "some-password"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a second start upgrades nothing", func(t *testing.T) {
		d.Stop(t)
		log.Reset()
		d = testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true, Log: log})
		if strings.Contains(log.String(), "upgrading the store") {
			t.Error("the second start upgraded the store again")
		}
		wantUpgraded(t, d, accounts)
	})
}

func TestAnUpgradeInterruptedAnywhereIsFinishedAtTheNextStart(t *testing.T) {
	for _, step := range []string{"upgrade:account", "upgrade:claim", "upgrade:organization"} {
		t.Run("after "+step, func(t *testing.T) {
			dir, accounts := legacyStore(t)
			cfg := testenv.Config(t, testenv.Options{DataDir: dir, Embedded: true})
			crash := &crashAt{step: step, armed: true}
			ctx := ctxT(t)
			if d, err := daemon.Start(ctx, cfg, testenv.Logger(nil), daemon.Hooks{Failpoint: crash.hook, BcryptCost: 4}); !errors.Is(err, errCrash) {
				if d != nil {
					_ = d.Close(ctx)
				}
				t.Fatalf("start: %v, want the simulated crash", err)
			}

			st, err := daemon.OpenStore(ctx, cfg, testenv.Logger(nil), daemon.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			problems, err := st.Check(ctx)
			_ = st.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || problems[0].Kind != "upgrade" || !strings.Contains(problems[0].Detail, "not finished") {
				t.Fatalf("orgd check finds %v; want the unfinished upgrade alone", problems)
			}

			d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true})
			wantUpgraded(t, d, accounts)
		})
	}
}

// TestKillDuringTheUpgradeLosesNothing kills a real orgd with SIGKILL
// while it upgrades a store of some hundreds of organizations in the
// earlier layout, and starts another on it.
func TestKillDuringTheUpgradeLosesNothing(t *testing.T) {
	dir, accounts := legacyStore(t)
	const n = 300
	addLegacyOrganizations(t, dir, n)

	cmd := exec.Command(testenv.OrgdBinary(t), "serve", "--data-dir", dir, "--listen", "unix://"+filepath.Join(dir, "orgd.sock"), "--log-format", "text")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "upgrading the store") {
				close(started)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("orgd never started the upgrade")
	}
	time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	cfg := testenv.Config(t, testenv.Options{DataDir: dir, Embedded: true})
	st, err := daemon.OpenStore(ctxT(t), cfg, testenv.Logger(nil), daemon.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	problems, err := st.Check(ctxT(t))
	_ = st.Close(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	// The kill lands somewhere in the upgrade, most often halfway: then
	// the unfinished upgrade is all orgd check finds.
	t.Logf("after the kill orgd check finds %v", problems)
	for _, p := range problems {
		if p.Kind != "upgrade" {
			t.Errorf("after the kill: %s", p)
		}
	}

	d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true})
	wantUpgraded(t, d, accounts)
	c := d.Client(t)
	op := login(t, c, "ops@example.com", "operator-password")
	l, err := c.ListOrgs(ctxT(t), rpc.OrgListParams{Token: op, Query: "legacy", Limit: 500})
	if err != nil || l.Total != n {
		t.Fatalf("%d legacy organizations after the upgrade (%v), want %d", l.Total, err, n)
	}
	for _, o := range l.Items {
		if o.Members != 1 || len(o.Admins) != 1 {
			t.Fatalf("%s has admins %v and %d members", o.Name, o.Admins, o.Members)
		}
	}
	login(t, c, legacyEmail(n-1), "acme-password")
}

// logBuffer keeps what a daemon logs, for the test to read meanwhile.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

func legacyEmail(i int) string { return fmt.Sprintf("admin%03d@legacy.example", i) }

// addLegacyOrganizations writes n more organizations into the store in
// dir, in the earlier layout: each a copy of Acme's document, with its
// admin inside it, and its claims and collection.
func addLegacyOrganizations(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := ctxT(t)
	cfg := testenv.Config(t, testenv.Options{DataDir: dir, Embedded: true})
	st, err := daemon.OpenStore(ctx, cfg, testenv.Logger(nil), daemon.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.WithoutCancel(ctx))
	db := st.Database()
	var acme bson.D
	if err := db.Collection("organizations").FindOne(ctx, bson.D{{Key: "name", Value: "Acme"}}).Decode(&acme); err != nil {
		t.Fatal(err)
	}
	var docs, claims []any
	for i := range n {
		name := fmt.Sprintf("Legacy %03d", i)
		slug, _ := org.Slug(name)
		id, adminID := org.NewID(), org.NewID()
		doc := slices.Clone(acme)
		for j, e := range doc {
			switch e.Key {
			case "_id":
				doc[j].Value = id
			case "name":
				doc[j].Value = name
			case "slug":
				doc[j].Value = slug
			case "collection":
				doc[j].Value = org.CollectionName(slug)
			case "admin_id":
				doc[j].Value = adminID
			case "admin_email":
				doc[j].Value = legacyEmail(i)
			}
		}
		docs = append(docs, doc)
		claims = append(claims,
			bson.D{{Key: "_id", Value: "slug:" + slug}, {Key: "owner", Value: id}, {Key: "kind", Value: "organization"}, {Key: "at", Value: time.Now()}},
			bson.D{{Key: "_id", Value: "email:" + legacyEmail(i)}, {Key: "owner", Value: id}, {Key: "kind", Value: "organization"}, {Key: "at", Value: time.Now()}})
		if err := db.CreateCollection(ctx, org.CollectionName(slug)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Collection("claims").InsertMany(ctx, claims); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("organizations").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
}
