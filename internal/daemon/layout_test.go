package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// storeV2Passwords are the passwords of the accounts of testdata/store-v2.
var storeV2Passwords = map[string]string{
	"ops@example.com":       "operator-password",
	"admin@acme.example":    "acme-password",
	"viewer@acme.example":   "viewer-password",
	"admin@mueller.example": "mueller-password",
	"admin@beta.example":    "beta-password",
}

// storeV2 copies the store of the orgd before tenant databases into a data
// directory of its own, and returns it with a token issued to each account
// by that orgd, by email.
func storeV2(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := testenv.ShortDir(t)
	if err := os.MkdirAll(filepath.Join(dir, embedded.Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"jwt.key", filepath.Join(embedded.Dir, "orgd.sqlite")} {
		b, err := os.ReadFile(filepath.Join("testdata", "store-v2", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text, err := os.ReadFile(filepath.Join("testdata", "store-v2", "tokens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for line := range strings.Lines(string(text)) {
		if email, token, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			tokens[email] = token
		}
	}
	if len(tokens) != len(storeV2Passwords) {
		t.Fatalf("tokens.txt has %d accounts, want %d", len(tokens), len(storeV2Passwords))
	}
	return dir, tokens
}

func TestAStoreOfTheOrgdBeforeTenantDatabasesStartsAndServes(t *testing.T) {
	dir, tokens := storeV2(t)
	// The embedded store's default layout, whatever the suite runs with.
	defaults := func(c *daemon.Config) { c.TenantsPerDB = daemon.DefaultConfig().TenantsPerDB }
	d := testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true, Configure: defaults})
	c := d.Client(t)
	ctx := ctxT(t)
	op := tokens["ops@example.com"]

	t.Run("every account logs in, and every token issued before still works", func(t *testing.T) {
		for email, password := range storeV2Passwords {
			if w, err := c.Whoami(ctx, tokens[email]); err != nil || w.Email != email {
				t.Errorf("the token of %s: %+v, %v", email, w, err)
			}
			login(t, c, email, password)
		}
	})
	ids := map[string]string{}
	t.Run("the organizations keep their collections in the main database", func(t *testing.T) {
		for name, members := range map[string]int{"Acme": 2, "Müller GmbH": 1, "Beta Renamed": 1} {
			o, err := c.GetOrg(ctx, op, name)
			if err != nil || o.State != rpc.StateActive || o.Members != members {
				t.Fatalf("%s: %+v, %v", name, o, err)
			}
			ids[name] = o.ID
			if db := databaseOf(t, d, o.ID); db != "" {
				t.Errorf("%s's collection moved to database %q", name, db)
			}
		}
		acme, _ := c.GetOrg(ctx, op, "Acme")
		if acme.Labels["tier"] != "gold" {
			t.Errorf("Acme's labels: %v", acme.Labels)
		}
	})
	wantAcmeData := func(t *testing.T, name string) {
		t.Helper()
		found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: tokens["viewer@acme.example"], Org: name})
		if err != nil || len(found.Documents) != 2 {
			t.Errorf("%s's documents: %+v, %v", name, found, err)
		}
		ix, err := c.ListIndexes(ctx, rpc.DataIndexesParams{Token: op, Org: name})
		if err != nil || !slices.ContainsFunc(ix.Indexes, func(i rpc.DataIndex) bool { return i.Name == "by_name" }) {
			t.Errorf("%s's indexes: %+v, %v", name, ix, err)
		}
		st, err := c.OrgStats(ctx, op, name)
		if err != nil || st.Documents != 2 {
			t.Errorf("%s's stats: %+v, %v", name, st, err)
		}
	}
	t.Run("their data, indexes and stats are served", func(t *testing.T) {
		wantAcmeData(t, "Acme")
		found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Beta Renamed"})
		if err != nil || len(found.Documents) != 1 {
			t.Errorf("Beta Renamed's documents: %+v, %v", found, err)
		}
	})
	t.Run("a rename of one of them stays in the main database", func(t *testing.T) {
		newName := "Acme Two"
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Acme", NewName: &newName}); err != nil {
			t.Fatal(err)
		}
		if db := databaseOf(t, d, ids["Acme"]); db != "" {
			t.Errorf("the renamed Acme is in database %q", db)
		}
		wantAcmeData(t, newName)
	})
	t.Run("a new organization goes into a tenant database, and its rename stays there", func(t *testing.T) {
		o := create(t, c, op, "Gamma")
		db := databaseOf(t, d, o.ID)
		if db != d.DB+"_t0001" {
			t.Fatalf("Gamma is in database %q, want %s_t0001", db, d.DB)
		}
		if _, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Gamma", Documents: []json.RawMessage{json.RawMessage(`{"_id":"g"}`)}}); err != nil {
			t.Fatal(err)
		}
		newName := "Gamma Two"
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Gamma", NewName: &newName}); err != nil {
			t.Fatal(err)
		}
		if got := databaseOf(t, d, o.ID); got != db {
			t.Errorf("the rename moved Gamma from %s to %q", db, got)
		}
		found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: newName})
		if err != nil || len(found.Documents) != 1 {
			t.Errorf("Gamma Two's documents: %+v, %v", found, err)
		}
	})
	checkClean(t, d)
	t.Run("a restart serves both layouts side by side", func(t *testing.T) {
		d.Stop(t)
		d = testenv.Start(t, testenv.Options{DataDir: dir, Embedded: true, Configure: defaults})
		c = d.Client(t)
		wantAcmeData(t, "Acme Two")
		if _, err := c.GetOrg(ctx, op, "Gamma Two"); err != nil {
			t.Error(err)
		}
		checkClean(t, d)
	})
}
