package daemon_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// auditAll pages through audit.list with p and returns every entry,
// failing on an error or an entry seen twice.
func auditAll(t *testing.T, c *rpc.Client, p rpc.AuditListParams) []rpc.AuditEntry {
	t.Helper()
	var out []rpc.AuditEntry
	seen := map[string]bool{}
	for calls := 0; ; calls++ {
		if calls > 1000 {
			t.Fatal("audit.list's cursor never ends")
		}
		l, err := c.ListAudit(ctxT(t), p)
		if err != nil {
			t.Fatalf("audit.list %+v: %v", p, err)
		}
		for _, e := range l.Items {
			if seen[e.ID] {
				t.Fatalf("entry %s (%s) came twice", e.ID, e.Action)
			}
			seen[e.ID] = true
		}
		out = append(out, l.Items...)
		if l.NextCursor == "" {
			return out
		}
		p.Cursor = l.NextCursor
	}
}

// actions lists the entries as "action org_name" lines.
func actions(es []rpc.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = strings.TrimSpace(e.Action + " " + e.OrgName)
	}
	return out
}

func TestAuditList(t *testing.T) {
	for _, embedded := range []bool{true, false} {
		name := "on the embedded store"
		if !embedded {
			name = "on a shared store"
		}
		t.Run(name, func(t *testing.T) { testAuditList(t, embedded) })
	}
}

func testAuditList(t *testing.T, embedded bool) {
	d := testenv.Start(t, testenv.Options{Embedded: embedded})
	c := d.Client(t)
	ctx := ctxT(t)
	op := d.Operator(t)
	start := time.Now().UTC().Add(-time.Second)
	create(t, c, op, "Acme")
	create(t, c, op, "Beta")
	create(t, c, op, "Gamma")
	admin := adminLogin(t, c, "Acme")
	betaAdmin := adminLogin(t, c, "Beta")
	addMember(t, c, admin, "Acme", "viewer@acme.example", rpc.RoleViewer)
	viewer := login(t, c, "viewer@acme.example", memberPassword)
	if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Beta", NewName: new("Beta Renamed")}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteOrg(ctx, op, "Gamma"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendOrg(ctx, op, "Beta Renamed", "unpaid"); err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC().Add(time.Second)

	all := auditAll(t, c, rpc.AuditListParams{Token: op, Limit: 500})
	wantAll := []string{"org.suspend Beta Renamed", "org.delete Gamma", "org.rename Beta Renamed", "member.add Acme",
		"org.create Gamma", "org.create Beta", "org.create Acme", "auth.bootstrap"}
	t.Run("an operator reads every entry, newest first", func(t *testing.T) {
		if got := actions(all); !slices.Equal(got, wantAll) {
			t.Fatalf("entries %q,\nwant %q", got, wantAll)
		}
		for i := 1; i < len(all); i++ {
			if all[i].At.After(all[i-1].At) || all[i].ID >= all[i-1].ID {
				t.Fatalf("entry %d (%s at %s) is newer than the one before it", i, all[i].ID, all[i].At)
			}
		}
	})
	t.Run("an entry says who did what, to what, from where", func(t *testing.T) {
		e := all[3] // member.add
		if e.Actor != adminEmail("Acme") || e.Role != rpc.RoleAdmin || e.Target != "viewer@acme.example" || e.Detail != "role viewer" ||
			!strings.HasPrefix(e.Peer, "uid:") || e.At.Before(start) || e.At.After(end) || e.OrgID == "" {
			t.Fatalf("member.add reads %+v", e)
		}
	})
	t.Run("entries of a deleted and a renamed organization keep the name they had", func(t *testing.T) {
		if all[1].OrgName != "Gamma" || all[4].OrgName != "Gamma" || all[5].OrgName != "Beta" || all[2].Detail != "Beta -> Beta Renamed" {
			t.Fatalf("entries %q", actions(all))
		}
	})
	t.Run("no entry holds a password or a token", func(t *testing.T) {
		b, _ := json.Marshal(all)
		for _, secret := range []string{adminPassword, memberPassword, "operator-password", op, admin, viewer} {
			if strings.Contains(string(b), secret) {
				t.Fatalf("an entry holds a secret: %s", b)
			}
		}
	})
	t.Run("an admin reads their organization's entries only", func(t *testing.T) {
		got := auditAll(t, c, rpc.AuditListParams{Token: admin})
		if w := []string{"member.add Acme", "org.create Acme"}; !slices.Equal(actions(got), w) {
			t.Fatalf("entries %q, want %q", actions(got), w)
		}
		got = auditAll(t, c, rpc.AuditListParams{Token: admin, Org: "acme"})
		if len(got) != 2 {
			t.Fatalf("naming their own organization: %q", actions(got))
		}
		_, err := c.ListAudit(ctx, rpc.AuditListParams{Token: admin, Org: "Beta Renamed"})
		wantCode(t, err, rpc.CodeNotFound)
		_, err = c.ListAudit(ctx, rpc.AuditListParams{Token: admin, Org: "Gamma"})
		wantCode(t, err, rpc.CodeNotFound)
	})
	t.Run("a viewer reads nothing", func(t *testing.T) {
		_, err := c.ListAudit(ctx, rpc.AuditListParams{Token: viewer})
		wantCode(t, err, rpc.CodeForbidden)
	})
	t.Run("a member of a suspended organization is refused as on every call", func(t *testing.T) {
		_, err := c.ListAudit(ctx, rpc.AuditListParams{Token: betaAdmin})
		wantCode(t, err, rpc.CodeSuspended)
	})
	filters := []struct {
		name string
		p    rpc.AuditListParams
		want []string
	}{
		{"an exact action", rpc.AuditListParams{Action: "org.create"}, []string{"org.create Gamma", "org.create Beta", "org.create Acme"}},
		{"an action prefix", rpc.AuditListParams{Action: "org.", Limit: 1},
			[]string{"org.suspend Beta Renamed", "org.delete Gamma", "org.rename Beta Renamed", "org.create Gamma", "org.create Beta", "org.create Acme"}},
		{"an actor", rpc.AuditListParams{Actor: strings.ToUpper(adminEmail("Acme"))}, []string{"member.add Acme"}},
		{"an organization by its current name, under every name it had", rpc.AuditListParams{Org: "Beta Renamed"},
			[]string{"org.suspend Beta Renamed", "org.rename Beta Renamed", "org.create Beta"}},
		{"an organization by a name it no longer has", rpc.AuditListParams{Org: "Beta"}, []string{"org.create Beta"}},
		{"a deleted organization by its name", rpc.AuditListParams{Org: "gamma"}, []string{"org.delete Gamma", "org.create Gamma"}},
		{"a deleted organization by its id", rpc.AuditListParams{Org: all[1].OrgID}, []string{"org.delete Gamma", "org.create Gamma"}},
		{"a time range", rpc.AuditListParams{Since: all[5].At.Format(time.RFC3339Nano), Until: all[2].At.Format(time.RFC3339Nano)},
			actions(slices.DeleteFunc(slices.Clone(all), func(e rpc.AuditEntry) bool { return e.At.Before(all[5].At) || !e.At.Before(all[2].At) }))},
		{"a time range and an action", rpc.AuditListParams{Since: start.Format(time.RFC3339), Until: end.Format(time.RFC3339), Action: "org.delete"},
			[]string{"org.delete Gamma"}},
		{"a time after everything", rpc.AuditListParams{Since: end.Format(time.RFC3339)}, nil},
	}
	for _, tt := range filters {
		t.Run("a filter on "+tt.name+" selects its entries", func(t *testing.T) {
			tt.p.Token = op
			if got := actions(auditAll(t, c, tt.p)); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Fatalf("entries %q,\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("paging by one or by three loses and repeats nothing", func(t *testing.T) {
		for _, limit := range []int{1, 3} {
			if got := actions(auditAll(t, c, rpc.AuditListParams{Token: op, Limit: limit})); !slices.Equal(got, wantAll) {
				t.Fatalf("limit %d: %q", limit, got)
			}
		}
	})
	t.Run("an entry written between two pages does not disturb the paging", func(t *testing.T) {
		l, err := c.ListAudit(ctx, rpc.AuditListParams{Token: op, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		create(t, c, op, "Delta")
		rest := auditAll(t, c, rpc.AuditListParams{Token: op, Limit: 3, Cursor: l.NextCursor})
		if got := actions(append(l.Items, rest...)); !slices.Equal(got, wantAll) {
			t.Fatalf("%q", got)
		}
	})
	bad := []struct {
		name  string
		p     rpc.AuditListParams
		field string
	}{
		{"a since that is not RFC 3339", rpc.AuditListParams{Since: "yesterday"}, "since"},
		{"an until that is not RFC 3339", rpc.AuditListParams{Until: "2026-13-01"}, "until"},
		{"an until before since", rpc.AuditListParams{Since: end.Format(time.RFC3339), Until: start.Format(time.RFC3339)}, "until"},
		{"a cursor orgd did not give", rpc.AuditListParams{Cursor: "bogus"}, "cursor"},
		{"a limit of 501", rpc.AuditListParams{Limit: 501}, "limit"},
	}
	for _, tt := range bad {
		t.Run(tt.name+" is -32602 naming "+tt.field, func(t *testing.T) {
			tt.p.Token = op
			_, err := c.ListAudit(ctx, tt.p)
			wantField(t, err, tt.field)
		})
	}
}

// openStore opens the embedded store of dir without a daemon.
func openStore(t *testing.T, dir string) *daemon.Store {
	t.Helper()
	cfg := testenv.Config(t, testenv.Options{DataDir: dir, Embedded: true})
	st, err := daemon.OpenStore(ctxT(t), cfg, testenv.Logger(nil), daemon.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// earlierEntry is an audit entry as the orgd before audit.list wrote it:
// the driver gave it an ObjectId.
func earlierEntry(at time.Time, action, orgName string) bson.D {
	return bson.D{{Key: "at", Value: at}, {Key: "actor", Value: "0123456789abcdef01234567"}, {Key: "actor_email", Value: "former@example.com"},
		{Key: "role", Value: "operator"}, {Key: "action", Value: action}, {Key: "org_id", Value: "abcdefabcdefabcdefabcdef"},
		{Key: "org_name", Value: orgName}, {Key: "detail", Value: "earlier"}, {Key: "peer", Value: "uid:0"}}
}

func TestAuditKeepsAnEarlierOrgdsEntries(t *testing.T) {
	t.Run("entries of the orgd before audit.list are listed after the others", func(t *testing.T) {
		dir := testenv.ShortDir(t)
		st := openStore(t, dir)
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i, name := range []string{"Old One", "Old Two", "Old Three"} {
			doc := earlierEntry(now.Add(time.Duration(i-10)*time.Minute), "org.create", name)
			if _, err := st.Database().Collection(mongo.AuditCollection).InsertOne(ctxT(t), doc); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Close(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true})
		c := d.Client(t)
		op := d.Operator(t)
		create(t, c, op, "Acme")
		want := []string{"org.create Acme", "auth.bootstrap", "org.create Old Three", "org.create Old Two", "org.create Old One"}
		for _, limit := range []int{1, 2, 50} {
			got := auditAll(t, c, rpc.AuditListParams{Token: op, Limit: limit})
			if !slices.Equal(actions(got), want) {
				t.Fatalf("limit %d: entries %q, want %q", limit, actions(got), want)
			}
			if e := got[4]; len(e.ID) != 24 || e.Actor != "former@example.com" || e.Detail != "earlier" {
				t.Fatalf("the earliest entry reads %+v", e)
			}
		}
		got := auditAll(t, c, rpc.AuditListParams{Token: op, Org: "Old Two"})
		if !slices.Equal(actions(got), []string{"org.create Old Two"}) {
			t.Fatalf("by a name they recorded: %q", actions(got))
		}
	})
	t.Run("entries of the store of an orgd before accounts are listed with today's names", func(t *testing.T) {
		dir, _ := legacyStore(t)
		d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true, Configure: func(c *daemon.Config) { c.AuditRetention = 0 }})
		c := d.Client(t)
		op := login(t, c, "ops@example.com", "operator-password")
		got := auditAll(t, c, rpc.AuditListParams{Token: op, Limit: 3})
		want := []string{"data.index_create Acme", "org.update Müller GmbH", "org.password Beta Renamed", "org.rename Beta Renamed",
			"org.create Beta Renamed", "org.create Müller GmbH", "org.create Acme", "operator.create"}
		if !slices.Equal(actions(got), want) {
			t.Fatalf("entries %q,\nwant %q", actions(got), want)
		}
		if got[len(got)-1].Actor != "ops@example.com" {
			t.Fatalf("the first entry's actor is %q, want the operator's email", got[len(got)-1].Actor)
		}
	})
}

func TestAuditRetention(t *testing.T) {
	dir := testenv.ShortDir(t)
	st := openStore(t, dir)
	now := time.Now().UTC()
	var old []org.AuditEntry
	for i := range 300 {
		old = append(old, org.AuditEntry{At: now.Add(-100*24*time.Hour + time.Duration(i)*time.Minute), Action: "org.create", OrgName: fmt.Sprintf("Old %d", i)})
	}
	ctx := ctxT(t)
	if err := st.ImportAudit(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := st.ImportAudit(ctx, []org.AuditEntry{{At: now.Add(-89 * 24 * time.Hour), Action: "org.create", OrgName: "Recent"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true})
	c := d.Client(t)
	op := d.Operator(t)
	want := []string{"auth.bootstrap", "org.create Recent"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := actions(auditAll(t, c, rpc.AuditListParams{Token: op, Limit: 500}))
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entries older than 90 days are still listed: %d entries, the oldest %q", len(got), got[len(got)-1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Run("with 0 every entry is kept", func(t *testing.T) {
		dir := testenv.ShortDir(t)
		st := openStore(t, dir)
		if err := st.ImportAudit(ctx, old[:5]); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatal(err)
		}
		d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true, Configure: func(c *daemon.Config) { c.AuditRetention = 0 }})
		c := d.Client(t)
		op := d.Operator(t)
		time.Sleep(300 * time.Millisecond)
		if got := auditAll(t, c, rpc.AuditListParams{Token: op}); len(got) != 6 {
			t.Fatalf("%d entries, want the 5 old ones and the bootstrap", len(got))
		}
	})
	t.Run("a retention under an hour is refused", func(t *testing.T) {
		cfg := daemon.DefaultConfig()
		cfg.AuditRetention = time.Minute
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--audit-retention") {
			t.Fatalf("Validate = %v", err)
		}
	})
}

// TestAuditOfTwoDaemonsOnOneStore: two daemons appending at once each
// take numbers the other has not, so one trail holds every change of
// both, once, in one order, and either daemon lists all of it.
func TestAuditOfTwoDaemonsOnOneStore(t *testing.T) {
	a, b := twoDaemons(t)
	ca, cb := a.Client(t), b.Client(t)
	op := a.Operator(t)
	ctx := ctxT(t)
	waitFor(t, "b to know a's operator", func() bool { _, err := cb.Whoami(ctx, op); return err == nil })
	const each = 8
	var wg sync.WaitGroup
	for d, c := range []*rpc.Client{ca, cb} {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("Daemon %d Org %d", d, i)
				if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: name, AdminEmail: adminEmail(name), AdminPassword: adminPassword}); err != nil {
					t.Errorf("create %s: %v", name, err)
				}
			}
		})
	}
	wg.Wait()
	for _, c := range []*rpc.Client{ca, cb} {
		got := auditAll(t, c, rpc.AuditListParams{Token: op, Action: "org.create", Limit: 5})
		if len(got) != 2*each {
			t.Fatalf("%d org.create entries, want %d: %q", len(got), 2*each, actions(got))
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID >= got[i-1].ID {
				t.Fatalf("entry %s comes after %s", got[i].ID, got[i-1].ID)
			}
		}
	}
}
