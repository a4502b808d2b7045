package org_test

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// organization returns an active organization named name with id.
func organization(t testing.TB, id, name string) org.Organization {
	t.Helper()
	slug, err := org.Slug(name)
	if err != nil {
		t.Fatalf("slug of %q: %v", name, err)
	}
	return org.Organization{ID: id, Name: name, Slug: slug, Collection: org.CollectionName(slug), State: org.StateActive, Rev: 1}
}

// admin returns the active admin "admin-<orgID>" of organization orgID,
// with email.
func admin(orgID, email string) org.Account {
	return org.Account{
		ID: "admin-" + orgID, Email: email, Role: org.RoleAdmin, OrgID: orgID, State: org.StateActive,
		PasswordHash: []byte("$2a$10$not-a-real-hash-of-" + orgID), CredVersion: 1, Rev: 1,
	}
}

// putOrg puts o into d, with its admin email when email is not empty.
func putOrg(d *org.Directory, o org.Organization, email string) {
	d.PutOrganization(o)
	if email != "" {
		d.PutAccount(admin(o.ID, email))
	}
}

// in returns o in state s, one revision on.
func in(o org.Organization, s org.State) org.Organization {
	o.State = s
	o.Rev++
	return o
}

// drain returns the events waiting on sub, without blocking.
func drain(t *testing.T, sub *org.Subscription) []org.Event {
	t.Helper()
	var evs []org.Event
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				t.Fatalf("subscription ended after %d events", len(evs))
			}
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

// list returns one page, failing the test on an error.
func list(t *testing.T, d *org.Directory, f org.OrganizationFilter) org.OrganizationPage {
	t.Helper()
	p, err := d.List(f, org.Selector{}, nil)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return p
}

func ids(orgs []org.Organization) []string {
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = o.ID
	}
	return out
}

func TestDirectoryPutAndRemove(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "1", "Acme Corp"), "boss@acme.example")

	t.Run("a put organization is found by id, name, slug and admin email", func(t *testing.T) {
		if o, ok := d.Organization("1"); !ok || o.Name != "Acme Corp" {
			t.Errorf("Organization(1) = %+v, %v", o, ok)
		}
		for _, name := range []string{"Acme Corp", "acme corp", "ACME-CORP", "acme_corp"} {
			if o, ok := d.OrganizationByName(name); !ok || o.ID != "1" {
				t.Errorf("OrganizationByName(%q) = %+v, %v", name, o, ok)
			}
		}
		if o, ok := d.OrganizationBySlug("acme_corp"); !ok || o.ID != "1" {
			t.Errorf("OrganizationBySlug(acme_corp) = %+v, %v", o, ok)
		}
		if a, ok := d.AccountByEmail("boss@acme.example"); !ok || a.OrgID != "1" || a.Role != org.RoleAdmin {
			t.Errorf("AccountByEmail = %+v, %v", a, ok)
		}
		if n := d.Len(); n != 1 {
			t.Errorf("Len = %d, want 1", n)
		}
	})

	t.Run("a name whose slug nobody has is not found", func(t *testing.T) {
		for _, name := range []string{"Acme", "Acme Corp 2", "!!!", ""} {
			if o, ok := d.OrganizationByName(name); ok {
				t.Errorf("OrganizationByName(%q) found %+v", name, o)
			}
		}
	})

	t.Run("a removed organization is found no more", func(t *testing.T) {
		d.RemoveOrganization("1")
		if _, ok := d.Organization("1"); ok {
			t.Error("Organization(1) still found")
		}
		if _, ok := d.OrganizationByName("Acme Corp"); ok {
			t.Error("OrganizationByName still finds it")
		}
		if _, _, ok := d.TokenHolder("admin-1", "jti"); ok {
			t.Error("its admin's tokens still have a holder")
		}
		if p := list(t, d, org.OrganizationFilter{}); len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("List = %+v, want nothing", p)
		}
	})

	t.Run("removing an unknown id does nothing", func(t *testing.T) {
		d.RemoveOrganization("nope")
		if n := d.Len(); n != 0 {
			t.Errorf("Len = %d, want 0", n)
		}
	})
}

func TestDirectoryIgnoresOlderCopies(t *testing.T) {
	d := org.NewDirectory(nil)
	o := organization(t, "1", "Acme")
	o.Rev = 5
	d.PutOrganization(o)

	older := o
	older.Rev = 4
	older.Name, older.Slug = "Stale", "stale"
	d.PutOrganization(older)
	if got, _ := d.Organization("1"); got.Name != "Acme" || got.Rev != 5 {
		t.Fatalf("after an older copy: %q rev %d, want Acme rev 5", got.Name, got.Rev)
	}
	if _, ok := d.OrganizationByName("Stale"); ok {
		t.Fatal("the older copy's name is found")
	}

	a := admin("1", "a@example.com")
	a.Rev = 5
	d.PutAccount(a)
	stale := a
	stale.Rev, stale.Email = 4, "stale@example.com"
	d.PutAccount(stale)
	newer := a
	newer.Rev, newer.Email = 6, "new@example.com"
	d.PutAccount(newer)
	if got, _ := d.Organization("1"); got.AdminEmail() != "new@example.com" {
		t.Fatalf("after a newer account: admin %q, want new@example.com", got.AdminEmail())
	}
	for _, email := range []string{"a@example.com", "stale@example.com"} {
		if _, ok := d.AccountByEmail(email); ok {
			t.Fatalf("the old email %s still logs in", email)
		}
	}
	if _, ok := d.AccountByEmail("new@example.com"); !ok {
		t.Fatal("the new admin email does not log in")
	}
}

func TestDirectoryRename(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "1", "Alpha"), "a@example.com")
	putOrg(d, organization(t, "2", "Mike"), "m@example.com")
	renamed := organization(t, "1", "Zulu")
	renamed.Rev = 2
	d.PutOrganization(renamed)

	if _, ok := d.OrganizationByName("Alpha"); ok {
		t.Error("the old name is still found")
	}
	if o, ok := d.OrganizationByName("zulu"); !ok || o.ID != "1" {
		t.Errorf("OrganizationByName(zulu) = %+v, %v", o, ok)
	}
	if got := ids(list(t, d, org.OrganizationFilter{}).Items); !slices.Equal(got, []string{"2", "1"}) {
		t.Errorf("listed %v, want [2 1]: the renamed one sorts by its new name", got)
	}
}

func TestDirectoryProvisioningIsHidden(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "1", "Acme"), "a@example.com")
	putOrg(d, in(organization(t, "2", "Beta"), org.StateProvisioning), "b@example.com")

	t.Run("it is not listed or counted", func(t *testing.T) {
		p := list(t, d, org.OrganizationFilter{})
		if got := ids(p.Items); !slices.Equal(got, []string{"1"}) || p.Total != 1 {
			t.Errorf("List = %v total %d, want [1] total 1", got, p.Total)
		}
		p = list(t, d, org.OrganizationFilter{Query: "beta"})
		if len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("List(beta) = %v total %d, want nothing", ids(p.Items), p.Total)
		}
	})
	t.Run("it is not found by name", func(t *testing.T) {
		if o, ok := d.OrganizationByName("Beta"); ok {
			t.Errorf("OrganizationByName(Beta) = %+v", o)
		}
	})
	t.Run("it is found by slug, so its name stays taken", func(t *testing.T) {
		if o, ok := d.OrganizationBySlug("beta"); !ok || o.ID != "2" {
			t.Errorf("OrganizationBySlug(beta) = %+v, %v", o, ok)
		}
	})
	t.Run("its admin's email stays taken", func(t *testing.T) {
		if a, ok := d.AccountByEmail("b@example.com"); !ok || a.OrgID != "2" {
			t.Errorf("AccountByEmail = %+v, %v", a, ok)
		}
	})
	t.Run("it counts towards Len and Organizations", func(t *testing.T) {
		if n := d.Len(); n != 2 {
			t.Errorf("Len = %d, want 2", n)
		}
		if n := len(d.Organizations()); n != 2 {
			t.Errorf("Organizations has %d, want 2", n)
		}
	})
	t.Run("once active it is listed and found", func(t *testing.T) {
		putOrg(d, in(organization(t, "2", "Beta"), org.StateActive), "b@example.com")
		if p := list(t, d, org.OrganizationFilter{}); p.Total != 2 {
			t.Errorf("List total %d, want 2", p.Total)
		}
		if _, ok := d.OrganizationByName("Beta"); !ok {
			t.Error("OrganizationByName(Beta) not found")
		}
		if o, _ := d.Organization("2"); !slices.Equal(o.Admins, []string{"b@example.com"}) || o.Members != 1 {
			t.Errorf("admins %v, members %d; want [b@example.com], 1", o.Admins, o.Members)
		}
	})
}

// A create that loses the race for a slug puts its provisioning document in
// the directory before it learns that it lost, then removes it. The
// organization that holds the slug must stay findable throughout.
func TestDirectoryKeepsTheSlugOfTheOrganizationThatHoldsIt(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "winner", "Space X"), "a@example.com")
	loser := in(organization(t, "loser", "space_x"), org.StateProvisioning)
	d.PutOrganization(loser)

	t.Run("while the losing create is provisioning", func(t *testing.T) {
		if o, ok := d.OrganizationByName("Space X"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationByName(Space X) = %q, %v; want winner", o.ID, ok)
		}
		if o, ok := d.OrganizationBySlug("space_x"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationBySlug(space_x) = %q, %v; want winner", o.ID, ok)
		}
	})
	t.Run("after the losing create is rolled back", func(t *testing.T) {
		d.RemoveOrganization("loser")
		if o, ok := d.OrganizationByName("Space X"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationByName(Space X) = %q, %v; want winner", o.ID, ok)
		}
		if o, ok := d.OrganizationBySlug("space_x"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationBySlug(space_x) = %q, %v; want winner", o.ID, ok)
		}
	})
	t.Run("after a newer organization with the slug is removed", func(t *testing.T) {
		putOrg(d, organization(t, "other", "SPACE X"), "c@example.com")
		d.RemoveOrganization("other")
		if o, ok := d.OrganizationBySlug("space_x"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationBySlug(space_x) = %q, %v; want winner", o.ID, ok)
		}
	})
	t.Run("after the holder renames away, another holder of the old slug is found", func(t *testing.T) {
		putOrg(d, in(organization(t, "late", "Space-X"), org.StateProvisioning), "d@example.com")
		renamed := organization(t, "winner", "Space Y")
		renamed.Rev = 10
		d.PutOrganization(renamed)
		if o, ok := d.OrganizationBySlug("space_x"); !ok || o.ID != "late" {
			t.Errorf("OrganizationBySlug(space_x) = %q, %v; want late", o.ID, ok)
		}
		if o, ok := d.OrganizationBySlug("space_y"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationBySlug(space_y) = %q, %v; want winner", o.ID, ok)
		}
	})
}

func TestDirectoryListSorting(t *testing.T) {
	d := org.NewDirectory(nil)
	put := func(id, name, slug string) {
		putOrg(d, org.Organization{ID: id, Name: name, Slug: slug, State: org.StateActive}, id+"@example.com")
	}
	put("5", "beta", "beta")
	put("4", "Alpha", "alpha")
	put("3", "alpha", "alpha_2")
	put("2", "ALPHA", "alpha_3")
	put("1", "Gamma", "gamma")
	put("6", "Ärger", "ärger")

	want := []string{"2", "3", "4", "5", "1", "6"}
	t.Run("names sort case-insensitively, then by id", func(t *testing.T) {
		if got := ids(list(t, d, org.OrganizationFilter{}).Items); !slices.Equal(got, want) {
			t.Errorf("listed %v, want %v", got, want)
		}
	})
	t.Run("Organizations sorts the same way", func(t *testing.T) {
		if got := ids(d.Organizations()); !slices.Equal(got, want) {
			t.Errorf("Organizations = %v, want %v", got, want)
		}
	})
}

func TestDirectoryListPages(t *testing.T) {
	d := org.NewDirectory(nil)
	for i := range 120 {
		d.PutOrganization(organization(t, fmt.Sprintf("id%03d", i), fmt.Sprintf("Org %03d", i)))
	}
	tests := []struct {
		name  string
		limit int
		sizes []int
	}{
		{"no limit gives pages of 50", 0, []int{50, 50, 20}},
		{"a limit of 1 gives 120 pages", 1, slices.Repeat([]int{1}, 120)},
		{"a limit of 500 gives one page", 500, []int{120}},
		{"a limit that divides the total ends on a full page", 40, []int{40, 40, 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sizes []int
			var all []string
			cursor := ""
			for {
				p := list(t, d, org.OrganizationFilter{Limit: tt.limit, Cursor: cursor})
				if p.Total != 120 {
					t.Fatalf("page %d: total %d, want 120", len(sizes), p.Total)
				}
				sizes = append(sizes, len(p.Items))
				all = append(all, ids(p.Items)...)
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Fatalf("page sizes %v, want %v", sizes, tt.sizes)
			}
			if !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != 120 {
				t.Fatalf("pages hold %d ids, not the 120 in order", len(all))
			}
		})
	}
}

func TestDirectoryListQuery(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "1", "Acme Rockets"), "wile@coyote.example")
	putOrg(d, organization(t, "2", "Road Runner"), "beep@acme.example")
	putOrg(d, organization(t, "3", "Space_X"), "elon@spacex.example")
	putOrg(d, organization(t, "4", "Müller GmbH"), "info@mueller.example")
	putOrg(d, in(organization(t, "5", "Acme Hidden"), org.StateProvisioning), "x@acme.example")

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"an empty query matches everything visible", "", []string{"1", "4", "2", "3"}},
		{"the name matches case-insensitively", "ROCKET", []string{"1"}},
		{"the admin email matches case-insensitively", "ACME.EXAMPLE", []string{"2"}},
		{"name and email match alike", "acme", []string{"1", "2"}},
		{"the slug matches", "space_x", []string{"3"}},
		{"a name with an umlaut matches in another case", "MÜLLER", []string{"4"}},
		{"nothing matches a string nobody has", "zzz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := list(t, d, org.OrganizationFilter{Query: tt.query})
			if got := ids(p.Items); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("query %q: %v, want %v", tt.query, got, tt.want)
			}
			if p.Total != len(tt.want) {
				t.Errorf("query %q: total %d, want %d", tt.query, p.Total, len(tt.want))
			}
		})
	}

	t.Run("total counts every match, not just the page", func(t *testing.T) {
		p := list(t, d, org.OrganizationFilter{Query: "acme", Limit: 1})
		if len(p.Items) != 1 || p.Total != 2 || p.NextCursor == "" {
			t.Fatalf("first page %v total %d cursor %q, want one item of 2 and a cursor", ids(p.Items), p.Total, p.NextCursor)
		}
		p = list(t, d, org.OrganizationFilter{Query: "acme", Limit: 1, Cursor: p.NextCursor})
		if got := ids(p.Items); !slices.Equal(got, []string{"2"}) || p.Total != 2 || p.NextCursor != "" {
			t.Fatalf("second page %v total %d cursor %q, want [2] of 2 and no cursor", got, p.Total, p.NextCursor)
		}
	})

	t.Run("the only filter limits items and total", func(t *testing.T) {
		p, err := d.List(org.OrganizationFilter{}, org.Selector{}, func(o *org.Organization) bool { return o.ID == "2" })
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(p.Items); !slices.Equal(got, []string{"2"}) || p.Total != 1 {
			t.Fatalf("List = %v total %d, want [2] total 1", got, p.Total)
		}
	})
}

func TestDirectoryListRefusesMalformedCursors(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "1", "Acme"), "a@example.com")
	enc := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name   string
		cursor string
	}{
		{"a cursor that is not base64 is refused", "not a cursor!"},
		{"a cursor in standard base64 is refused", "a+b/"},
		{"a cursor without a separator is refused", enc([]byte("acme"))},
		{"a cursor without an id is refused", enc([]byte("acme\x00"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.List(org.OrganizationFilter{Cursor: tt.cursor}, org.Selector{}, nil)
			wantInvalid(t, err, "cursor", "malformed")
		})
	}
	t.Run("a well-formed cursor of an organization that is gone is accepted", func(t *testing.T) {
		p, err := d.List(org.OrganizationFilter{Cursor: enc([]byte("aaa\x00gone"))}, org.Selector{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(p.Items); !slices.Equal(got, []string{"1"}) {
			t.Fatalf("listed %v after aaa, want [1]", got)
		}
	})
}

// TestDirectoryCursorsSurviveChanges lists every organization a page at a
// time while others are added and removed between pages. An organization
// that is there from the first page to the last must be listed exactly
// once; nothing may be listed twice; the items must come in order.
func TestDirectoryCursorsSurviveChanges(t *testing.T) {
	const rounds = 200
	for seed := range uint64(rounds) {
		rng := rand.New(rand.NewPCG(seed, 0x6f726764))
		d := org.NewDirectory(nil)
		next := 0
		add := func() string {
			next++
			id := fmt.Sprintf("%04d", rng.IntN(10000)) + fmt.Sprintf("-%d", next)
			name := randomName(rng)
			o := org.Organization{ID: id, Name: name, Slug: strings.ToLower(name) + "-" + id, State: org.StateActive}
			if rng.IntN(8) == 0 {
				o.State = org.StateProvisioning
			}
			putOrg(d, o, id+"@mx.io")
			return id
		}
		for range rng.IntN(40) {
			add()
		}
		query := ""
		if rng.IntN(3) == 0 {
			query = string(rune('a' + rng.IntN(3)))
		}
		matches := func(o org.Organization) bool {
			return o.State != org.StateProvisioning &&
				(query == "" || strings.Contains(strings.ToLower(o.Name), query) || strings.Contains(o.Slug, query) || strings.Contains(o.AdminEmail(), query))
		}
		// stable: the matching organizations nobody touches during the
		// listing; they must all be listed.
		stable := map[string]bool{}
		for _, o := range d.Organizations() {
			if matches(o) {
				stable[o.ID] = true
			}
		}

		limit := 1 + rng.IntN(7)
		seen := map[string]bool{}
		var last org.Organization
		cursor := ""
		for page := 0; ; page++ {
			p, err := d.List(org.OrganizationFilter{Query: query, Limit: limit, Cursor: cursor}, org.Selector{}, nil)
			if err != nil {
				t.Fatalf("seed %d page %d: %v", seed, page, err)
			}
			want := 0
			for _, o := range d.Organizations() {
				if matches(o) {
					want++
				}
			}
			if p.Total != want {
				t.Fatalf("seed %d page %d: total %d, want %d", seed, page, p.Total, want)
			}
			for _, o := range p.Items {
				if seen[o.ID] {
					t.Fatalf("seed %d page %d: %s listed twice", seed, page, o.ID)
				}
				if !matches(o) {
					t.Fatalf("seed %d page %d: %s (%q) does not match %q", seed, page, o.ID, o.Name, query)
				}
				if last.ID != "" && cmp.Or(cmp.Compare(strings.ToLower(last.Name), strings.ToLower(o.Name)), cmp.Compare(last.ID, o.ID)) >= 0 {
					t.Fatalf("seed %d page %d: %q (%s) listed after %q (%s)", seed, page, o.Name, o.ID, last.Name, last.ID)
				}
				seen[o.ID] = true
				last = o
			}
			if p.NextCursor == "" {
				break
			}
			if len(p.Items) == 0 {
				t.Fatalf("seed %d page %d: an empty page with a cursor", seed, page)
			}
			cursor = p.NextCursor
			for range rng.IntN(4) {
				if rng.IntN(2) == 0 {
					add()
					continue
				}
				all := d.Organizations()
				if len(all) == 0 {
					continue
				}
				victim := all[rng.IntN(len(all))].ID
				delete(stable, victim)
				d.RemoveOrganization(victim)
			}
		}
		for id := range stable {
			if !seen[id] {
				t.Fatalf("seed %d: %s was there throughout but never listed", seed, id)
			}
		}
	}
}

// randomName returns a short name from few letters in mixed case, so that
// names often tie when compared case-insensitively.
func randomName(rng *rand.Rand) string {
	var b bytes.Buffer
	for range 1 + rng.IntN(3) {
		c := byte('a' + rng.IntN(3))
		if rng.IntN(2) == 0 {
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func TestDirectoryAccounts(t *testing.T) {
	d := org.NewDirectory(nil)
	putOrg(d, organization(t, "acme", "Acme"), "")
	day := func(n int) time.Time { return time.Date(2026, 12, n, 0, 0, 0, 0, time.UTC) }
	accounts := []org.Account{
		{ID: "a2", Email: "Zed@acme.example", Role: org.RoleAdmin, OrgID: "acme", State: org.StateActive, CreatedAt: day(2)},
		{ID: "a1", Email: "amy@acme.example", Role: org.RoleAdmin, OrgID: "acme", State: org.StateActive, CreatedAt: day(1)},
		{ID: "v1", Email: "bob@acme.example", Role: org.RoleViewer, OrgID: "acme", State: org.StateUpdating, CreatedAt: day(3)},
		{ID: "v2", Email: "new@acme.example", Role: org.RoleViewer, OrgID: "acme", State: org.StateProvisioning, CreatedAt: day(4)},
		{ID: "v3", Email: "gone@acme.example", Role: org.RoleViewer, OrgID: "acme", State: org.StateRemoving, CreatedAt: day(5)},
		{ID: "op1", Email: "Ops@Example.com", Role: org.RoleOperator, State: org.StateActive, CredVersion: 3},
		{ID: "op2", Email: "new-ops@example.com", Role: org.RoleOperator, State: org.StateProvisioning},
		{ID: "lost", Email: "lost@example.com", Role: org.RoleAdmin, OrgID: "nowhere", State: org.StateActive},
	}
	for _, a := range accounts {
		a.Rev = 1
		d.PutAccount(a)
	}

	logins := []struct {
		name  string
		email string
		id    string // empty: not found
	}{
		{"an active admin is found in any case", "AMY@acme.example", "a1"},
		{"a member changing their email is found", "bob@acme.example", "v1"},
		{"a member being created is not found", "new@acme.example", ""},
		{"a member being removed is not found", "gone@acme.example", ""},
		{"an active operator is found in any case", "ops@example.com", "op1"},
		{"an operator being created is not found", "new-ops@example.com", ""},
		{"an unknown email is not found", "nobody@example.com", ""},
	}
	for _, tt := range logins {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := d.AccountByEmail(tt.email)
			if ok != (tt.id != "") || a.ID != tt.id {
				t.Fatalf("AccountByEmail(%q) = %+v, %v; want %q", tt.email, a, ok, tt.id)
			}
		})
	}
	t.Run("the organization shows its admins oldest first and counts its members", func(t *testing.T) {
		o, _ := d.Organization("acme")
		if !slices.Equal(o.Admins, []string{"amy@acme.example", "Zed@acme.example"}) || o.AdminEmail() != "amy@acme.example" || o.Members != 3 {
			t.Fatalf("admins %v, members %d", o.Admins, o.Members)
		}
		if n := d.AdminCount("acme"); n != 2 {
			t.Fatalf("AdminCount = %d, want 2", n)
		}
	})
	t.Run("an admin's email finds the organization", func(t *testing.T) {
		if got := ids(list(t, d, org.OrganizationFilter{Query: "zed@"}).Items); !slices.Equal(got, []string{"acme"}) {
			t.Fatalf("query zed@: %v", got)
		}
	})
	t.Run("members are listed by email, a page at a time", func(t *testing.T) {
		p, err := d.Members("acme", org.AccountFilter{Limit: 2})
		if err != nil || p.Total != 3 || len(p.Items) != 2 || p.Items[0].ID != "a1" || p.Items[1].ID != "v1" || p.NextCursor == "" {
			t.Fatalf("first page %+v, %v", p, err)
		}
		p, err = d.Members("acme", org.AccountFilter{Limit: 2, Cursor: p.NextCursor})
		if err != nil || len(p.Items) != 1 || p.Items[0].ID != "a2" || p.NextCursor != "" {
			t.Fatalf("second page %+v, %v", p, err)
		}
	})
	t.Run("operators are listed apart", func(t *testing.T) {
		p, err := d.Operators(org.AccountFilter{})
		if err != nil || p.Total != 1 || p.Items[0].ID != "op1" || d.OperatorCount() != 1 || !d.HasOperator() {
			t.Fatalf("Operators = %+v, %v", p, err)
		}
	})
	t.Run("a demoted admin leaves the admins", func(t *testing.T) {
		a, _ := d.Account("a1")
		a.Role, a.Rev = org.RoleViewer, a.Rev+1
		d.PutAccount(a)
		o, _ := d.Organization("acme")
		if !slices.Equal(o.Admins, []string{"Zed@acme.example"}) || o.Members != 3 || d.AdminCount("acme") != 1 {
			t.Fatalf("admins %v, members %d", o.Admins, o.Members)
		}
	})
	t.Run("changes under way and members without organization are found for reconcile", func(t *testing.T) {
		var intents, orphans []string
		for _, a := range d.AccountIntents() {
			intents = append(intents, a.ID)
		}
		for _, a := range d.Orphans() {
			orphans = append(orphans, a.ID)
		}
		slices.Sort(intents)
		if !slices.Equal(intents, []string{"op2", "v1", "v2", "v3"}) || !slices.Equal(orphans, []string{"lost"}) {
			t.Fatalf("intents %v, orphans %v", intents, orphans)
		}
	})
	t.Run("a last login is kept over an older copy of the account", func(t *testing.T) {
		d.TouchLogin("op1", day(9))
		a, _ := d.Account("op1")
		a.LastLoginAt, a.Rev = time.Time{}, a.Rev+1
		d.PutAccount(a)
		if got, _ := d.Account("op1"); !got.LastLoginAt.Equal(day(9)) {
			t.Fatalf("last login %v, want %v", got.LastLoginAt, day(9))
		}
	})
	t.Run("a removed operator no longer logs in", func(t *testing.T) {
		d.RemoveAccount("op1")
		if a, ok := d.AccountByEmail("ops@example.com"); ok {
			t.Fatalf("AccountByEmail = %+v", a)
		}
		if !d.HasOperator() || d.OperatorCount() != 0 {
			t.Fatalf("HasOperator %v, OperatorCount %d: op2 is still being created", d.HasOperator(), d.OperatorCount())
		}
	})
	t.Run("a revoked token has no holder until it expires", func(t *testing.T) {
		d.Revoke("t1", day(10))
		if _, _, ok := d.TokenHolder("a2", "t1"); ok {
			t.Fatal("a revoked token has a holder")
		}
		if _, o, ok := d.TokenHolder("a2", "t2"); !ok || o.ID != "acme" {
			t.Fatalf("another token: %+v, %v", o, ok)
		}
		if gone := d.ForgetExpired(day(11)); !slices.Equal(gone, []string{"t1"}) {
			t.Fatalf("ForgetExpired = %v", gone)
		}
	})
}

func TestDirectoryEvents(t *testing.T) {
	events := org.NewEvents()
	sub := events.Subscribe(nil)
	defer sub.Close()
	d := org.NewDirectory(events)

	acme := organization(t, "1", "Acme")
	steps := []struct {
		name   string
		change func()
		want   []org.EventType
	}{
		{"a create in progress publishes nothing", func() { acme = in(acme, org.StateProvisioning); d.PutOrganization(acme) }, nil},
		{"the create done publishes created", func() { acme = in(acme, org.StateActive); d.PutOrganization(acme) }, []org.EventType{org.EventCreated}},
		{"an older copy publishes nothing", func() { old := acme; old.Rev--; d.PutOrganization(old) }, nil},
		{"a new admin publishes updated", func() { d.PutAccount(admin("1", "b@example.com")) }, []org.EventType{org.EventUpdated}},
		{"a new password publishes nothing", func() {
			a := admin("1", "b@example.com")
			a.PasswordHash, a.CredVersion, a.Rev = []byte("other"), 2, 2
			d.PutAccount(a)
		}, nil},
		{"a suspension publishes updated", func() {
			acme.State, acme.SuspendReason, acme.Rev = org.StateSuspended, "unpaid", acme.Rev+1
			d.PutOrganization(acme)
		}, []org.EventType{org.EventUpdated}},
		{"a resumption publishes updated", func() { acme = in(acme, org.StateActive); d.PutOrganization(acme) }, []org.EventType{org.EventUpdated}},
		{"a new name publishes renamed", func() {
			acme.Name, acme.Slug, acme.Rev = "Acme 2", "acme_2", acme.Rev+1
			d.PutOrganization(acme)
		}, []org.EventType{org.EventRenamed}},
		{"a removal publishes deleted", func() { d.RemoveOrganization("1") }, []org.EventType{org.EventDeleted}},
		{"a create rolled back publishes nothing", func() {
			putOrg(d, in(organization(t, "2", "Beta"), org.StateProvisioning), "x@example.com")
			d.RemoveOrganization("2")
		}, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change()
			evs := drain(t, sub)
			var got []org.EventType
			for _, ev := range evs {
				got = append(got, ev.Type)
			}
			if !slices.Equal(got, s.want) {
				t.Fatalf("published %v, want %v", got, s.want)
			}
		})
	}
	t.Run("an event shows the organization's admins", func(t *testing.T) {
		putOrg(d, organization(t, "3", "Gamma"), "g@example.com")
		evs := drain(t, sub)
		if len(evs) == 0 || !slices.Equal(evs[len(evs)-1].Organization.Admins, []string{"g@example.com"}) {
			t.Fatalf("events %+v", evs)
		}
	})
}

func TestDirectoryReplace(t *testing.T) {
	events := org.NewEvents()
	sub := events.Subscribe(nil)
	defer sub.Close()
	d := org.NewDirectory(events)
	keep := organization(t, "keep", "Keep")
	gone := organization(t, "gone", "Gone")
	changed := organization(t, "changed", "Changed")
	d.PutOrganization(keep)
	d.PutOrganization(gone)
	d.PutOrganization(changed)
	d.PutAccount(org.Account{ID: "op-gone", Email: "op-gone@example.com", Role: org.RoleOperator, State: org.StateActive})
	asOf := d.Seq()
	// Written after the load was read: the load does not know it yet.
	late := organization(t, "late", "Late")
	d.PutOrganization(late)
	d.PutAccount(org.Account{ID: "op-late", Email: "op-late@example.com", Role: org.RoleOperator, State: org.StateActive})
	drain(t, sub)

	changed.Name, changed.Slug, changed.Rev = "Changed Again", "changed_again", 2
	fresh := organization(t, "fresh", "Fresh")
	d.Replace(org.Load{
		Organizations: []org.Organization{keep, changed, fresh},
		Accounts:      []org.Account{{ID: "op-new", Email: "op-new@example.com", Role: org.RoleOperator, State: org.StateActive}},
		Revoked:       map[string]time.Time{"revoked-token": time.Now().Add(time.Hour)},
	}, asOf)

	t.Run("the load's organizations are there", func(t *testing.T) {
		for _, id := range []string{"keep", "changed", "fresh"} {
			if _, ok := d.Organization(id); !ok {
				t.Errorf("%s missing", id)
			}
		}
		if o, _ := d.Organization("changed"); o.Name != "Changed Again" {
			t.Errorf("changed is named %q", o.Name)
		}
	})
	t.Run("what the load lacks and was there before it is removed", func(t *testing.T) {
		if _, ok := d.Organization("gone"); ok {
			t.Error("gone is still there")
		}
		if _, ok := d.AccountByEmail("op-gone@example.com"); ok {
			t.Error("op-gone still logs in")
		}
	})
	t.Run("what was put after the load was read is kept", func(t *testing.T) {
		if _, ok := d.Organization("late"); !ok {
			t.Error("late was removed")
		}
		if _, ok := d.AccountByEmail("op-late@example.com"); !ok {
			t.Error("op-late was removed")
		}
		if _, ok := d.AccountByEmail("op-new@example.com"); !ok {
			t.Error("op-new is missing")
		}
	})
	t.Run("the load's revoked tokens are refused", func(t *testing.T) {
		if _, _, ok := d.TokenHolder("op-new", "revoked-token"); ok {
			t.Error("a revoked token of the load has a holder")
		}
	})
	t.Run("the differences are published, and only they", func(t *testing.T) {
		got := map[string]org.EventType{}
		for _, ev := range drain(t, sub) {
			got[ev.Organization.ID] = ev.Type
		}
		want := map[string]org.EventType{"gone": org.EventDeleted, "changed": org.EventRenamed, "fresh": org.EventCreated}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("published %v, want %v", got, want)
		}
	})
}

func FuzzDirectoryCursor(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{"", "x", "!!", enc([]byte("acme\x001")), enc([]byte("\x00")), enc([]byte("a\x00b\x00c")), enc([]byte{0xff, 0, 'x'})} {
		f.Add(s)
	}
	d := org.NewDirectory(nil)
	for i := range 20 {
		putOrg(d, organization(f, fmt.Sprintf("%02d", i), fmt.Sprintf("Org %c", 'A'+i)), fmt.Sprintf("a%d@example.com", i))
	}
	all := d.Organizations()
	f.Fuzz(func(t *testing.T, cursor string) {
		p, err := d.List(org.OrganizationFilter{Cursor: cursor, Limit: 5}, org.Selector{}, nil)
		if err != nil {
			wantInvalid(t, err, "cursor", "malformed")
			return
		}
		if p.Total != len(all) {
			t.Fatalf("total %d, want %d", p.Total, len(all))
		}
		if len(p.Items) > 5 {
			t.Fatalf("%d items on a page of 5", len(p.Items))
		}
		// The page is a run of consecutive organizations, and the next
		// cursor continues right after it.
		if len(p.Items) > 0 {
			i := slices.IndexFunc(all, func(o org.Organization) bool { return o.ID == p.Items[0].ID })
			if got, want := ids(p.Items), ids(all[i:min(i+5, len(all))]); !slices.Equal(got, want) {
				t.Fatalf("page %v, want %v", got, want)
			}
			if p.NextCursor != "" {
				q := list(t, d, org.OrganizationFilter{Cursor: p.NextCursor, Limit: 1})
				if j := i + len(p.Items); len(q.Items) != 1 || q.Items[0].ID != all[j].ID {
					t.Fatalf("the next page starts at %v, want %s", ids(q.Items), all[j].ID)
				}
			}
		}
	})
}

func TestDirectoryUnsettledListsTheOrganizationsWithAChangeUnderWay(t *testing.T) {
	d := org.NewDirectory(nil)
	states := map[string]org.State{
		"a": org.StateActive, "b": org.StateProvisioning, "c": org.StateRenaming,
		"d": org.StateSuspended, "e": org.StateDeleting,
	}
	for id, st := range states {
		o := organization(t, id, "Org "+id)
		o.State = st
		putOrg(d, o, "")
	}
	got := d.Unsettled()
	slices.Sort(got)
	if want := []string{"b", "c", "e"}; !slices.Equal(got, want) {
		t.Errorf("unsettled: %v, want %v", got, want)
	}
}
