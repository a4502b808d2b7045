package daemon_test

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func TestCreateAcceptsUnicodeNamesAndRefusesBadInput(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)

	for _, name := range []string{"Müller GmbH", "SpaceX", "東京 Partners", "A", strings.Repeat("x", 64)} {
		t.Run("accepts "+name, func(t *testing.T) {
			o := create(t, c, op, name)
			if o.Name != name || o.State != rpc.StateActive || o.Collection != "org_"+o.Slug {
				t.Errorf("created %+v", o)
			}
		})
	}
	if o, err := c.GetOrg(ctxT(t), op, "Müller GmbH"); err != nil || o.Slug != "müller_gmbh" {
		t.Errorf("Müller GmbH: %+v, %v", o, err)
	}

	cases := []struct {
		name, field string
		p           rpc.OrgCreateParams
	}{
		{"an empty name", "name", rpc.OrgCreateParams{Name: ""}},
		{"a name with a control character", "name", rpc.OrgCreateParams{Name: "Bad\x07Name"}},
		{"a name with a newline", "name", rpc.OrgCreateParams{Name: "Bad\nName"}},
		{"a name of 65 characters", "name", rpc.OrgCreateParams{Name: strings.Repeat("x", 65)}},
		{"a name with no letters", "name", rpc.OrgCreateParams{Name: "!!! ---"}},
		{"a name with a leading space", "name", rpc.OrgCreateParams{Name: " Acme"}},
		{"a password of 7 bytes", "admin_password", rpc.OrgCreateParams{Name: "Seven", AdminPassword: "1234567"}},
		{"a password of 73 bytes", "admin_password", rpc.OrgCreateParams{Name: "Long", AdminPassword: strings.Repeat("p", 73)}},
		{"an email without a domain", "admin_email", rpc.OrgCreateParams{Name: "Mail", AdminEmail: "nobody"}},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			p := tc.p
			p.Token = op
			if p.AdminEmail == "" {
				p.AdminEmail = "fine@example.com"
			}
			if p.AdminPassword == "" {
				p.AdminPassword = adminPassword
			}
			_, err := c.CreateOrg(ctxT(t), p)
			wantField(t, err, tc.field)
		})
	}
}

func TestNamesWithTheSameSlugConflict(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	create(t, c, op, "Space X")

	_, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "space_x", AdminEmail: "other@example.com", AdminPassword: adminPassword})
	e := wantCode(t, err, rpc.CodeConflict)
	if e.Data == nil || e.Data.Existing != "Space X" || e.Data.Field != "name" || !strings.Contains(e.Message, "Space X") {
		t.Errorf("conflict error %+v %+v does not name the existing organization", e, e.Data)
	}

	_, err = c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Other", AdminEmail: strings.ToUpper(adminEmail("Space X")), AdminPassword: adminPassword})
	e = wantCode(t, err, rpc.CodeConflict)
	if e.Data == nil || e.Data.Field != "admin_email" {
		t.Errorf("email conflict names %+v, want admin_email", e.Data)
	}

	create(t, c, op, "Blue Origin")
	newName := "SPACE-X"
	_, err = c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Blue Origin", NewName: &newName})
	e = wantCode(t, err, rpc.CodeConflict)
	if e.Data == nil || e.Data.Existing != "Space X" || e.Data.Field != "new_name" {
		t.Errorf("rename conflict %+v", e.Data)
	}
	checkClean(t, d)
}

func TestConcurrentCreatesOfOneNameMakeExactlyOne(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	op := d.Operator(t)
	ctx := ctxT(t)

	createContested(t, op, 20, d.Addr)
	l, err := d.Client(t).ListOrgs(ctx, rpc.OrgListParams{Token: op})
	if err != nil || l.Total != 1 {
		t.Fatalf("list after the race: %+v, %v", l, err)
	}
	checkClean(t, d)
}

func TestAdminsSeeOnlyTheirOwnOrganization(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	create(t, c, op, "Acme")
	create(t, c, op, "Globex")
	admin := adminLogin(t, c, "Acme")

	_, err := c.GetOrg(ctx, admin, "Globex")
	wantCode(t, err, rpc.CodeNotFound)
	_, err = c.GetOrg(ctx, admin, "No Such Org")
	wantCode(t, err, rpc.CodeNotFound)
	_, err = c.OrgStats(ctx, admin, "Globex")
	wantCode(t, err, rpc.CodeNotFound)
	err = c.DeleteOrg(ctx, admin, "Globex")
	wantCode(t, err, rpc.CodeNotFound)
	newName := "Mine Now"
	_, err = c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: admin, Name: "Globex", NewName: &newName})
	wantCode(t, err, rpc.CodeNotFound)
	_, err = c.CreateOrg(ctx, rpc.OrgCreateParams{Token: admin, Name: "Initech", AdminEmail: "i@example.com", AdminPassword: adminPassword})
	wantCode(t, err, rpc.CodeForbidden)
	_, err = c.CreateOrg(ctx, rpc.OrgCreateParams{Name: "Initech", AdminEmail: "i@example.com", AdminPassword: adminPassword})
	wantCode(t, err, rpc.CodeUnauthenticated)

	l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: admin})
	if err != nil || l.Total != 1 || len(l.Items) != 1 || l.Items[0].Name != "Acme" {
		t.Fatalf("admin's list: %+v, %v", l, err)
	}
	if o, err := c.GetOrg(ctx, admin, "acme"); err != nil || o.Name != "Acme" {
		t.Errorf("admin gets own organization by slug: %+v, %v", o, err)
	}
	who, err := c.Whoami(ctx, admin)
	if err != nil || who.Role != rpc.RoleAdmin || who.Org == nil || who.Org.Name != "Acme" {
		t.Errorf("whoami: %+v, %v", who, err)
	}

	// Renaming keeps the admin's session: tokens carry the id.
	if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: admin, Name: "Acme", NewName: &newName}); err != nil {
		t.Fatalf("admin renames own organization: %v", err)
	}
	if o, err := c.GetOrg(ctx, admin, newName); err != nil || o.Name != newName {
		t.Errorf("after rename: %+v, %v", o, err)
	}
}

func TestSignupAllowsCreatesWithoutAToken(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) { c.AllowSignup = true }})
	o, err := d.Client(t).CreateOrg(ctxT(t), rpc.OrgCreateParams{Name: "Self Service", AdminEmail: "me@example.com", AdminPassword: adminPassword})
	if err != nil || o.Name != "Self Service" {
		t.Fatalf("signup create: %+v, %v", o, err)
	}
}

func TestListPagesByNameWithStableCursors(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	names := []string{"delta", "Alpha", "charlie", "Bravo", "echo", "Foxtrot", "golf"}
	for _, n := range names {
		create(t, c, op, n)
	}

	first, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != 7 || len(first.Items) != 3 || first.NextCursor == "" {
		t.Fatalf("first page: %+v", first)
	}
	if got := []string{first.Items[0].Name, first.Items[1].Name, first.Items[2].Name}; strings.Join(got, ",") != "Alpha,Bravo,charlie" {
		t.Errorf("first page %v, want Alpha,Bravo,charlie (case-insensitive order)", got)
	}

	// Changes between pages skip nothing and repeat nothing.
	if err := c.DeleteOrg(ctx, op, "charlie"); err != nil {
		t.Fatal(err)
	}
	create(t, c, op, "Aardvark") // before the cursor: not on later pages
	create(t, c, op, "dingo")    // after it: on the next page

	var rest []string
	cursor := first.NextCursor
	for cursor != "" {
		p, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			rest = append(rest, o.Name)
		}
		cursor = p.NextCursor
	}
	if got := strings.Join(rest, ","); got != "delta,dingo,echo,Foxtrot,golf" {
		t.Errorf("later pages %s, want delta,dingo,echo,Foxtrot,golf", got)
	}

	q, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Query: "OX"})
	if err != nil || q.Total != 1 || q.Items[0].Name != "Foxtrot" {
		t.Errorf("query by name: %+v, %v", q, err)
	}
	q, err = c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Query: "admin-golf"})
	if err != nil || q.Total != 1 || q.Items[0].Name != "golf" {
		t.Errorf("query by admin email: %+v, %v", q, err)
	}
	_, err = c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Limit: 501})
	wantField(t, err, "limit")
	_, err = c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Cursor: "not-a-cursor!"})
	wantField(t, err, "cursor")
}

func TestRenameKeepsEveryDocumentAndID(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	o := create(t, c, op, "Keeper")

	coll := tenantCollection(t, d, o.ID)
	database := databaseOf(t, d, o.ID)
	var docs []any
	for i := range 500 {
		docs = append(docs, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "n", Value: i}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	st, err := c.OrgStats(ctx, op, "Keeper")
	if err != nil || st.Documents != 500 || st.Indexes < 1 || st.SizeBytes <= 0 {
		t.Fatalf("stats before: %+v, %v", st, err)
	}

	newName := "Keeper Renamed"
	r, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Keeper", NewName: &newName})
	if err != nil {
		t.Fatal(err)
	}
	if r.Collection != "org_keeper_renamed" || r.ID != o.ID || r.State != rpc.StateActive {
		t.Errorf("renamed: %+v", r)
	}
	var after []bson.M
	if after := databaseOf(t, d, o.ID); after != database {
		t.Errorf("the rename moved the collection from database %q to %q", database, after)
	}
	renamed := tenantCollection(t, d, o.ID)
	if renamed.Name() != r.Collection {
		t.Errorf("the collection is %s, the organization says %s", renamed.Name(), r.Collection)
	}
	cur, err := renamed.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &after); err != nil {
		t.Fatal(err)
	}
	if len(after) != 500 {
		t.Fatalf("%d documents after rename, want 500", len(after))
	}
	ids := map[bson.ObjectID]bool{}
	for _, d := range docs {
		ids[d.(bson.D)[0].Value.(bson.ObjectID)] = true
	}
	for _, doc := range after {
		if !ids[doc["_id"].(bson.ObjectID)] {
			t.Fatalf("document %v was not there before the rename", doc["_id"])
		}
	}
	_, err = c.GetOrg(ctx, op, "Keeper")
	wantCode(t, err, rpc.CodeNotFound)
	checkClean(t, d)
}

func TestUpdateChangesTheAdminEmail(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	create(t, c, op, "Acme")
	create(t, c, op, "Globex")

	taken := adminEmail("Globex")
	_, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Acme", AdminEmail: &taken})
	wantCode(t, err, rpc.CodeConflict)

	fresh := "new-admin@acme.example"
	o, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Acme", AdminEmail: &fresh})
	if err != nil || o.AdminEmail != fresh {
		t.Fatalf("email change: %+v, %v", o, err)
	}
	if _, err := c.Login(ctx, fresh, adminPassword); err != nil {
		t.Errorf("login with the new email: %v", err)
	}
	_, err = c.Login(ctx, adminEmail("Acme"), adminPassword)
	wantCode(t, err, rpc.CodeUnauthenticated)
	// The old email is free again.
	if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: "Initech", AdminEmail: adminEmail("Acme"), AdminPassword: adminPassword}); err != nil {
		t.Errorf("reuse the old email: %v", err)
	}
	checkClean(t, d)
}

func TestDeleteNeedsConfirmationAndDropsTheCollection(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	o := create(t, c, op, "Doomed")
	database := databaseOf(t, d, o.ID)

	err := c.Call(ctx, rpc.MethodOrgDelete, rpc.OrgDeleteParams{Token: op, Name: "Doomed", Confirm: "doomed"}, nil)
	wantField(t, err, "confirm")
	if err := c.DeleteOrg(ctx, op, "Doomed"); err != nil {
		t.Fatal(err)
	}
	names, err := databaseNamed(t, d, database).ListCollectionNames(ctx, bson.D{{Key: "name", Value: o.Collection}})
	if err != nil || len(names) != 0 {
		t.Errorf("collection after delete: %v, %v", names, err)
	}
	err = c.DeleteOrg(ctx, op, "Doomed")
	wantCode(t, err, rpc.CodeNotFound)
	// The name is free again.
	create(t, c, op, "Doomed")
	checkClean(t, d)
}

func TestSubscribersReceiveEventsTheyMaySee(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	ctx := ctxT(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")

	opc := d.Client(t)
	opEvents, err := opc.Subscribe(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	adc := d.Client(t)
	adminEvents, err := adc.Subscribe(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}

	create(t, c, op, "Globex")
	newName := "Acme Corp"
	if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Acme", NewName: &newName}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteOrg(ctx, op, "Globex"); err != nil {
		t.Fatal(err)
	}

	want := []string{"created Globex", "renamed Acme Corp", "deleted Globex"}
	for _, w := range want {
		ev := nextEvent(t, opEvents, func(ev rpc.OrgEvent) bool { return ev.Type != rpc.EventUpdated })
		if got := ev.Type + " " + ev.Organization.Name; got != w {
			t.Errorf("operator got %q, want %q", got, w)
		}
	}
	ev := nextEvent(t, adminEvents, func(ev rpc.OrgEvent) bool { return ev.Type != rpc.EventUpdated })
	if ev.Type != rpc.EventRenamed || ev.Organization.Name != "Acme Corp" {
		t.Errorf("admin got %+v, want the rename of their own organization", ev)
	}
	select {
	case ev, ok := <-adminEvents:
		if ok && ev.Organization.Name == "Globex" {
			t.Errorf("admin saw an event of another organization: %+v", ev)
		}
	default:
	}
}
