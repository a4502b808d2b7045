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

	"github.com/orgd/orgd/internal/org"
)

// organization returns an active organization named name with id, whose
// admin is email.
func organization(t testing.TB, id, name, email string) org.Organization {
	t.Helper()
	slug, err := org.Slug(name)
	if err != nil {
		t.Fatalf("slug of %q: %v", name, err)
	}
	return org.Organization{
		ID: id, Name: name, Slug: slug, Collection: org.CollectionName(slug),
		AdminID: "admin-" + id, AdminEmail: email, State: org.StateActive,
		PasswordHash: []byte("$2a$10$not-a-real-hash-of-" + id), CredVersion: 1, Rev: 1,
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
	p, err := d.List(f, nil)
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
	acme := organization(t, "1", "Acme Corp", "boss@acme.example")
	d.PutOrganization(acme)

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
		if _, ok := d.AccountByEmail("boss@acme.example"); ok {
			t.Error("its admin can still log in")
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
	o := organization(t, "1", "Acme", "a@example.com")
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

	newer := o
	newer.Rev = 6
	newer.AdminEmail = "new@example.com"
	d.PutOrganization(newer)
	if got, _ := d.Organization("1"); got.AdminEmail != "new@example.com" || got.Rev != 6 {
		t.Fatalf("after a newer copy: %q rev %d, want new@example.com rev 6", got.AdminEmail, got.Rev)
	}
	if _, ok := d.AccountByEmail("a@example.com"); ok {
		t.Fatal("the old admin email still logs in")
	}
	if _, ok := d.AccountByEmail("new@example.com"); !ok {
		t.Fatal("the new admin email does not log in")
	}
}

func TestDirectoryRename(t *testing.T) {
	d := org.NewDirectory(nil)
	d.PutOrganization(organization(t, "1", "Alpha", "a@example.com"))
	d.PutOrganization(organization(t, "2", "Mike", "m@example.com"))
	renamed := organization(t, "1", "Zulu", "a@example.com")
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
	d.PutOrganization(organization(t, "1", "Acme", "a@example.com"))
	d.PutOrganization(in(organization(t, "2", "Beta", "b@example.com"), org.StateProvisioning))

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
	t.Run("its admin cannot log in", func(t *testing.T) {
		if a, ok := d.AccountByEmail("b@example.com"); ok {
			t.Errorf("AccountByEmail = %+v", a)
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
		d.PutOrganization(in(organization(t, "2", "Beta", "b@example.com"), org.StateActive))
		if p := list(t, d, org.OrganizationFilter{}); p.Total != 2 {
			t.Errorf("List total %d, want 2", p.Total)
		}
		if _, ok := d.OrganizationByName("Beta"); !ok {
			t.Error("OrganizationByName(Beta) not found")
		}
		if _, ok := d.AccountByEmail("b@example.com"); !ok {
			t.Error("its admin cannot log in")
		}
	})
}

// A create that loses the race for a slug puts its provisioning document in
// the directory before it learns that it lost, then removes it. The
// organization that holds the slug must stay findable throughout.
func TestDirectoryKeepsTheSlugOfTheOrganizationThatHoldsIt(t *testing.T) {
	d := org.NewDirectory(nil)
	d.PutOrganization(organization(t, "winner", "Space X", "a@example.com"))
	loser := in(organization(t, "loser", "space_x", "b@example.com"), org.StateProvisioning)
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
		d.PutOrganization(organization(t, "other", "SPACE X", "c@example.com"))
		d.RemoveOrganization("other")
		if o, ok := d.OrganizationBySlug("space_x"); !ok || o.ID != "winner" {
			t.Errorf("OrganizationBySlug(space_x) = %q, %v; want winner", o.ID, ok)
		}
	})
	t.Run("after the holder renames away, another holder of the old slug is found", func(t *testing.T) {
		d.PutOrganization(in(organization(t, "late", "Space-X", "d@example.com"), org.StateProvisioning))
		renamed := organization(t, "winner", "Space Y", "a@example.com")
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
		d.PutOrganization(org.Organization{ID: id, Name: name, Slug: slug, AdminEmail: id + "@example.com", State: org.StateActive})
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
		d.PutOrganization(organization(t, fmt.Sprintf("id%03d", i), fmt.Sprintf("Org %03d", i), fmt.Sprintf("admin%d@example.com", i)))
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
	d.PutOrganization(organization(t, "1", "Acme Rockets", "wile@coyote.example"))
	d.PutOrganization(organization(t, "2", "Road Runner", "beep@acme.example"))
	d.PutOrganization(organization(t, "3", "Space_X", "elon@spacex.example"))
	d.PutOrganization(organization(t, "4", "Müller GmbH", "info@mueller.example"))
	d.PutOrganization(in(organization(t, "5", "Acme Hidden", "x@acme.example"), org.StateProvisioning))

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
		p, err := d.List(org.OrganizationFilter{}, func(o *org.Organization) bool { return o.ID == "2" })
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
	d.PutOrganization(organization(t, "1", "Acme", "a@example.com"))
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
			_, err := d.List(org.OrganizationFilter{Cursor: tt.cursor}, nil)
			wantInvalid(t, err, "cursor", "malformed")
		})
	}
	t.Run("a well-formed cursor of an organization that is gone is accepted", func(t *testing.T) {
		p, err := d.List(org.OrganizationFilter{Cursor: enc([]byte("aaa\x00gone"))}, nil)
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
			o := org.Organization{ID: id, Name: name, Slug: strings.ToLower(name) + "-" + id, AdminEmail: id + "@mx.io", State: org.StateActive}
			if rng.IntN(8) == 0 {
				o.State = org.StateProvisioning
			}
			d.PutOrganization(o)
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
				(query == "" || strings.Contains(strings.ToLower(o.Name), query) || strings.Contains(o.Slug, query) || strings.Contains(o.AdminEmail, query))
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
			p, err := d.List(org.OrganizationFilter{Query: query, Limit: limit, Cursor: cursor}, nil)
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
	states := []org.State{org.StateActive, org.StateRenaming, org.StateUpdating, org.StateProvisioning, org.StateDeleting}
	for i, s := range states {
		o := organization(t, fmt.Sprintf("o%d", i), "Org "+string(s), string(s)+"@example.com")
		o.State = s
		d.PutOrganization(o)
	}
	d.PutOperator(org.Operator{ID: "op1", Email: "Ops@Example.com", State: org.StateActive, CredVersion: 3})
	d.PutOperator(org.Operator{ID: "op2", Email: "new-ops@example.com", State: org.StateProvisioning})

	tests := []struct {
		name  string
		email string
		role  org.Role
		id    string // empty: no account
	}{
		{"an admin of an active organization logs in", "active@example.com", org.RoleAdmin, "admin-o0"},
		{"an admin logs in while the organization is renamed", "renaming@example.com", org.RoleAdmin, "admin-o1"},
		{"an admin logs in while the email changes", "updating@example.com", org.RoleAdmin, "admin-o2"},
		{"an admin of an organization being created does not log in", "provisioning@example.com", "", ""},
		{"an admin of an organization being deleted does not log in", "deleting@example.com", "", ""},
		{"emails compare case-insensitively", "ACTIVE@EXAMPLE.COM", org.RoleAdmin, "admin-o0"},
		{"an active operator logs in in any case", "ops@example.com", org.RoleOperator, "op1"},
		{"an operator being created does not log in", "new-ops@example.com", "", ""},
		{"an unknown email has no account", "nobody@example.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := d.AccountByEmail(tt.email)
			if tt.id == "" {
				if ok {
					t.Fatalf("AccountByEmail(%q) = %+v, want none", tt.email, a)
				}
				return
			}
			if !ok || a.ID != tt.id || a.Role != tt.role {
				t.Fatalf("AccountByEmail(%q) = %+v, %v; want %s %s", tt.email, a, ok, tt.role, tt.id)
			}
		})
	}

	t.Run("an admin account carries its organization and credentials", func(t *testing.T) {
		a, ok := d.Account(org.RoleAdmin, "o0")
		if !ok || a.OrgID != "o0" || a.CredVersion != 1 || len(a.PasswordHash) == 0 {
			t.Fatalf("Account(admin, o0) = %+v, %v", a, ok)
		}
	})
	t.Run("an operator account carries its credential version", func(t *testing.T) {
		a, ok := d.Account(org.RoleOperator, "op1")
		if !ok || a.CredVersion != 3 || a.OrgID != "" {
			t.Fatalf("Account(operator, op1) = %+v, %v", a, ok)
		}
	})
	t.Run("an operator is not an admin", func(t *testing.T) {
		if a, ok := d.Account(org.RoleAdmin, "op1"); ok {
			t.Fatalf("Account(admin, op1) = %+v", a)
		}
	})
	t.Run("a removed operator no longer logs in", func(t *testing.T) {
		d.RemoveOperator("op1")
		if a, ok := d.AccountByEmail("ops@example.com"); ok {
			t.Fatalf("AccountByEmail = %+v", a)
		}
		if !d.HasOperator() {
			t.Fatal("HasOperator is false, but op2 is still being created")
		}
	})
	t.Run("an operator's older copy is ignored", func(t *testing.T) {
		d.PutOperator(org.Operator{ID: "op3", Email: "x@example.com", State: org.StateActive, Rev: 2})
		d.PutOperator(org.Operator{ID: "op3", Email: "old@example.com", State: org.StateActive, Rev: 1})
		if _, ok := d.AccountByEmail("old@example.com"); ok {
			t.Fatal("the older copy's email logs in")
		}
		if op, _ := d.Operator("op3"); op.Email != "x@example.com" {
			t.Fatalf("Operator(op3) = %+v", op)
		}
	})
}

func TestDirectoryEvents(t *testing.T) {
	events := org.NewEvents()
	sub := events.Subscribe(nil)
	defer sub.Close()
	d := org.NewDirectory(events)

	acme := organization(t, "1", "Acme", "a@example.com")
	steps := []struct {
		name   string
		change func()
		want   []org.EventType
	}{
		{"a create in progress publishes nothing", func() { acme = in(acme, org.StateProvisioning); d.PutOrganization(acme) }, nil},
		{"the create done publishes created", func() { acme = in(acme, org.StateActive); d.PutOrganization(acme) }, []org.EventType{org.EventCreated}},
		{"an older copy publishes nothing", func() { old := acme; old.Rev--; d.PutOrganization(old) }, nil},
		{"a new email publishes updated", func() {
			acme.AdminEmail, acme.Rev = "b@example.com", acme.Rev+1
			d.PutOrganization(acme)
		}, []org.EventType{org.EventUpdated}},
		{"a new name publishes renamed", func() {
			acme.Name, acme.Slug, acme.Rev = "Acme 2", "acme_2", acme.Rev+1
			d.PutOrganization(acme)
		}, []org.EventType{org.EventRenamed}},
		{"a removal publishes deleted", func() { d.RemoveOrganization("1") }, []org.EventType{org.EventDeleted}},
		{"a create rolled back publishes nothing", func() {
			d.PutOrganization(in(organization(t, "2", "Beta", "x@example.com"), org.StateProvisioning))
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
				if ev.Organization.PasswordHash != nil {
					t.Errorf("%s event carries the password hash", ev.Type)
				}
			}
			if !slices.Equal(got, s.want) {
				t.Fatalf("published %v, want %v", got, s.want)
			}
		})
	}
	t.Run("the directory keeps the password hash", func(t *testing.T) {
		d.PutOrganization(organization(t, "3", "Gamma", "g@example.com"))
		drain(t, sub)
		if a, ok := d.AccountByEmail("g@example.com"); !ok || len(a.PasswordHash) == 0 {
			t.Fatalf("AccountByEmail = %+v, %v: the hash is gone", a, ok)
		}
	})
}

func TestDirectoryReplace(t *testing.T) {
	events := org.NewEvents()
	sub := events.Subscribe(nil)
	defer sub.Close()
	d := org.NewDirectory(events)
	keep := organization(t, "keep", "Keep", "keep@example.com")
	gone := organization(t, "gone", "Gone", "gone@example.com")
	changed := organization(t, "changed", "Changed", "changed@example.com")
	d.PutOrganization(keep)
	d.PutOrganization(gone)
	d.PutOrganization(changed)
	d.PutOperator(org.Operator{ID: "op-gone", Email: "op-gone@example.com", State: org.StateActive})
	asOf := d.Seq()
	// Written after the load was read: the load does not know it yet.
	late := organization(t, "late", "Late", "late@example.com")
	d.PutOrganization(late)
	d.PutOperator(org.Operator{ID: "op-late", Email: "op-late@example.com", State: org.StateActive})
	drain(t, sub)

	changed.Name, changed.Slug, changed.Rev = "Changed Again", "changed_again", 2
	fresh := organization(t, "fresh", "Fresh", "fresh@example.com")
	d.Replace([]org.Organization{keep, changed, fresh}, []org.Operator{{ID: "op-new", Email: "op-new@example.com", State: org.StateActive}}, asOf)

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
		d.PutOrganization(organization(f, fmt.Sprintf("%02d", i), fmt.Sprintf("Org %c", 'A'+i), fmt.Sprintf("a%d@example.com", i)))
	}
	all := d.Organizations()
	f.Fuzz(func(t *testing.T, cursor string) {
		p, err := d.List(org.OrganizationFilter{Cursor: cursor, Limit: 5}, nil)
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
