package daemon_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// raws turns JSON texts into params.
func raws(texts ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(texts))
	for i, s := range texts {
		out[i] = json.RawMessage(s)
	}
	return out
}

func strs(rs []json.RawMessage) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// insertDocs inserts documents and returns their ids as canonical JSON.
func insertDocs(t *testing.T, c *rpc.Client, token, orgName string, docs ...string) []string {
	t.Helper()
	res, err := c.InsertDocuments(ctxT(t), rpc.DataInsertParams{Token: token, Org: orgName, Documents: raws(docs...)})
	if err != nil {
		t.Fatalf("insert into %s: %v", orgName, err)
	}
	return strs(res.InsertedIDs)
}

// findAll pages through a query and returns every document.
func findAll(t *testing.T, c *rpc.Client, p rpc.DataFindParams) []string {
	t.Helper()
	var all []string
	for range 10000 {
		page, err := c.FindDocuments(ctxT(t), p)
		if err != nil {
			t.Fatalf("find in %s: %v", p.Org, err)
		}
		all = append(all, strs(page.Documents)...)
		if page.NextCursor == "" {
			return all
		}
		p.Cursor = page.NextCursor
	}
	t.Fatal("paging does not end")
	return nil
}

func count(t *testing.T, c *rpc.Client, token, orgName, filter string) int64 {
	t.Helper()
	p := rpc.DataCountParams{Token: token, Org: orgName}
	if filter != "" {
		p.Filter = json.RawMessage(filter)
	}
	n, err := c.CountDocuments(ctxT(t), p)
	if err != nil {
		t.Fatalf("count in %s: %v", orgName, err)
	}
	return n.Count
}

// wantOperator fails unless err is -32602 naming field and refusing op.
func wantOperator(t *testing.T, err error, field, op string) {
	t.Helper()
	e := wantCode(t, err, rpc.CodeInvalidParams)
	if e.Data == nil || e.Data.Field != field || e.Data.Operator != op || !strings.Contains(e.Message, op) {
		t.Fatalf("refusal %q %+v: want field %s and operator %s", e.Message, e.Data, field, op)
	}
}

func TestAdminsAndOperatorsWorkOnAnOrganizationsDocuments(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	ctx := ctxT(t)

	ids := insertDocs(t, c, admin, "Acme", `{"name": "ada", "age": 36}`, `{"_id": 7, "name": "bob", "age": 41}`, `{"name": "cy"}`)
	if len(ids) != 3 || ids[1] != `{"$numberInt":"7"}` || !strings.HasPrefix(ids[0], `{"$oid":"`) {
		t.Fatalf("inserted ids %v", ids)
	}
	t.Run("an id is put first in a document that had none", func(t *testing.T) {
		docs := findAll(t, c, rpc.DataFindParams{Token: op, Org: "acme", Filter: json.RawMessage(`{"name": "ada"}`)})
		want := `{"_id":` + ids[0] + `,"name":"ada","age":{"$numberInt":"36"}}`
		if len(docs) != 1 || docs[0] != want {
			t.Fatalf("found %v, want [%s]", docs, want)
		}
	})
	t.Run("count counts what the filter selects", func(t *testing.T) {
		if n := count(t, c, admin, "Acme", ""); n != 3 {
			t.Errorf("count of all = %d, want 3", n)
		}
		if n := count(t, c, op, "Acme", `{"age": {"$gt": 40}}`); n != 1 {
			t.Errorf("count of age > 40 = %d, want 1", n)
		}
	})
	t.Run("find sorts, projects and pages", func(t *testing.T) {
		docs := findAll(t, c, rpc.DataFindParams{Token: admin, Org: "Acme", Sort: json.RawMessage(`{"age": -1}`),
			Projection: json.RawMessage(`{"name": 1}`), Limit: 1})
		want := []string{
			`{"_id":{"$numberInt":"7"},"name":"bob","age":{"$numberInt":"41"}}`,
			`{"_id":` + ids[0] + `,"name":"ada","age":{"$numberInt":"36"}}`,
			`{"_id":` + ids[2] + `,"name":"cy"}`,
		}
		if !slices.Equal(docs, want) {
			t.Fatalf("found\n%s\nwant (the sort field comes along)\n%s", strings.Join(docs, "\n"), strings.Join(want, "\n"))
		}
		page, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: admin, Org: "Acme", Projection: json.RawMessage(`{"age": 0, "_id": 0}`)})
		if err != nil || len(page.Documents) != 3 || strings.Contains(string(page.Documents[0]), "age") || !strings.Contains(string(page.Documents[0]), "_id") {
			t.Fatalf("an exclusion keeps _id and drops age: %s %v", page.Documents, err)
		}
	})
	t.Run("update changes the first match, or many", func(t *testing.T) {
		res, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{}`),
			Update: json.RawMessage(`{"$set": {"seen": true}}`), Many: true})
		if err != nil || res.Matched != 3 || res.Modified != 3 || string(res.UpsertedID) != "null" {
			t.Fatalf("update many: %+v %s %v", res, res.UpsertedID, err)
		}
		res, err = c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{"seen": true}`),
			Update: json.RawMessage(`{"$inc": {"visits": 1}}`)})
		if err != nil || res.Matched != 1 || res.Modified != 1 {
			t.Fatalf("update one: %+v %v", res, err)
		}
		if n := count(t, c, admin, "Acme", `{"visits": 1}`); n != 1 {
			t.Errorf("%d documents have visits 1, want 1", n)
		}
	})
	t.Run("an upsert inserts when nothing matches and returns the new id", func(t *testing.T) {
		res, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{"_id": "new"}`),
			Update: json.RawMessage(`{"$set": {"name": "dee"}}`), Upsert: true})
		if err != nil || res.Matched != 0 || string(res.UpsertedID) != `"new"` {
			t.Fatalf("upsert: %+v %s %v", res, res.UpsertedID, err)
		}
		res, err = c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{"_id": "new"}`),
			Update: json.RawMessage(`{"name": "dee", "v": 2}`), Replace: true, Upsert: true})
		if err != nil || res.Matched != 1 || res.Modified != 1 || string(res.UpsertedID) != "null" {
			t.Fatalf("a replace-upsert of an existing document: %+v %s %v", res, res.UpsertedID, err)
		}
		docs := findAll(t, c, rpc.DataFindParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{"_id": "new"}`)})
		if len(docs) != 1 || docs[0] != `{"_id":"new","name":"dee","v":{"$numberInt":"2"}}` {
			t.Fatalf("after the replacement: %v", docs)
		}
	})
	t.Run("a replacement that changes _id is refused by the store", func(t *testing.T) {
		_, err := c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{"_id": "new"}`),
			Update: json.RawMessage(`{"_id": "other"}`), Replace: true})
		wantField(t, err, "update")
	})
	t.Run("a duplicate _id is a conflict naming the document", func(t *testing.T) {
		_, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: admin, Org: "Acme", Documents: raws(`{"_id": 8}`, `{"_id": 7}`, `{"_id": 9}`)})
		e := wantCode(t, err, rpc.CodeConflict)
		if e.Data == nil || e.Data.Field != "documents[1]" || e.Data.Reason != "duplicate_key" {
			t.Fatalf("conflict %+v", e.Data)
		}
		if n := count(t, c, admin, "Acme", `{"_id": {"$in": [8, 9]}}`); n != 1 {
			t.Errorf("documents before the failing one are in, after it not: %d of _id 8 and 9, want 1", n)
		}
	})
	t.Run("delete takes one, or many, and everything only when asked twice", func(t *testing.T) {
		res, err := c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{"seen": true}`)})
		if err != nil || res.Deleted != 1 {
			t.Fatalf("delete one: %+v %v", res, err)
		}
		_, err = c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{}`), Many: true})
		wantField(t, err, "all")
		_, err = c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{}`), All: true})
		wantField(t, err, "many")
		res, err = c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: admin, Org: "Acme", Filter: json.RawMessage(`{}`), Many: true, All: true})
		if err != nil || res.Deleted != 4 {
			t.Fatalf("delete all: %+v %v", res, err)
		}
		if n := count(t, c, admin, "Acme", ""); n != 0 {
			t.Errorf("%d documents left", n)
		}
	})
	checkClean(t, d)
}

func TestIndexesOfATenantCollection(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	ctx := ctxT(t)
	insertDocs(t, c, admin, "Acme", `{"email": "a@x"}`, `{"email": "b@x"}`)

	list := func() []rpc.DataIndex {
		t.Helper()
		l, err := c.ListIndexes(ctx, rpc.DataIndexesParams{Token: admin, Org: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		return l.Indexes
	}
	if ix := list(); len(ix) != 1 || ix[0].Name != "_id_" || string(ix[0].Keys) != `{"_id":{"$numberInt":"1"}}` {
		t.Fatalf("a new collection has only the _id index: %+v", ix)
	}
	made, err := c.CreateIndex(ctx, rpc.DataIndexCreateParams{Token: admin, Org: "Acme", Keys: json.RawMessage(`{"email": 1}`), Unique: true})
	if err != nil || made.Name != "email_1" {
		t.Fatalf("create: %+v %v", made, err)
	}
	if ix := list(); len(ix) != 2 || ix[1].Name != "email_1" || !ix[1].Unique || string(ix[1].Keys) != `{"email":{"$numberInt":"1"}}` {
		t.Fatalf("after the create: %+v", ix)
	}
	_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: admin, Org: "Acme", Documents: raws(`{"email": "a@x"}`)})
	if e := wantCode(t, err, rpc.CodeConflict); e.Data.Reason != "duplicate_key" {
		t.Errorf("a unique index refuses a second a@x with %+v", e.Data)
	}
	named, err := c.CreateIndex(ctx, rpc.DataIndexCreateParams{Token: op, Org: "Acme", Keys: json.RawMessage(`{"age": -1, "email": 1}`), Name: "by_age"})
	if err != nil || named.Name != "by_age" {
		t.Fatalf("create named: %+v %v", named, err)
	}
	_, err = c.CreateIndex(ctx, rpc.DataIndexCreateParams{Token: admin, Org: "Acme", Keys: json.RawMessage(`{"email": 1}`), Name: "again"})
	wantCode(t, err, rpc.CodeConflict)

	_, err = c.DropIndex(ctx, rpc.DataIndexDropParams{Token: admin, Org: "Acme", Name: "_id_"})
	wantField(t, err, "name")
	_, err = c.DropIndex(ctx, rpc.DataIndexDropParams{Token: admin, Org: "Acme", Name: "nonexistent"})
	wantCode(t, err, rpc.CodeNotFound)
	for _, name := range []string{"email_1", "by_age"} {
		if res, err := c.DropIndex(ctx, rpc.DataIndexDropParams{Token: admin, Org: "Acme", Name: name}); err != nil || !res.Dropped {
			t.Fatalf("drop %s: %+v %v", name, res, err)
		}
	}
	if ix := list(); len(ix) != 1 {
		t.Fatalf("after the drops: %+v", ix)
	}
}

func TestRefusedOperatorsAreNamedInTheError(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	ctx := ctxT(t)
	for _, o := range []string{"$where", "$function", "$accumulator", "$lookup", "$graphLookup", "$unionWith", "$out", "$merge"} {
		t.Run(o+" is refused in a filter, nested or not, and in projections, sorts and updates", func(t *testing.T) {
			top := json.RawMessage(fmt.Sprintf(`{%q: "this.a == 1"}`, o))
			deep := json.RawMessage(fmt.Sprintf(`{"$or": [{"a": 1}, {"$expr": {"$and": [{%q: {}}]}}]}`, o))
			_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Filter: top})
			wantOperator(t, err, "filter", o)
			_, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Filter: deep})
			wantOperator(t, err, "filter", o)
			_, err = c.CountDocuments(ctx, rpc.DataCountParams{Token: op, Org: "Acme", Filter: deep})
			wantOperator(t, err, "filter", o)
			_, err = c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: op, Org: "Acme", Filter: deep, Many: true})
			wantOperator(t, err, "filter", o)
			_, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Projection: json.RawMessage(fmt.Sprintf(`{"a": {%q: 1}}`, o))})
			wantOperator(t, err, "projection", o)
			_, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Sort: json.RawMessage(fmt.Sprintf(`{%q: 1}`, o))})
			wantOperator(t, err, "sort", o)
			_, err = c.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: op, Org: "Acme", Filter: json.RawMessage(`{}`),
				Update: json.RawMessage(fmt.Sprintf(`{"$set": {"a": {%q: 1}}}`, o))})
			wantOperator(t, err, "update", o)
		})
	}
	t.Run("an escaped dollar names the same operator", func(t *testing.T) {
		_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Filter: json.RawMessage(`{"\u0024where": "1"}`)})
		wantOperator(t, err, "filter", "$where")
	})
	t.Run("a field called $where is data in a document", func(t *testing.T) {
		_, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Acme", Documents: raws(`{"note": "uses $where"}`)})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestDataParamsAreBounded(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	ctx := ctxT(t)
	deep := strings.Repeat(`{"a":`, 33) + "1" + strings.Repeat("}", 33)
	_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Filter: json.RawMessage(deep)})
	wantField(t, err, "filter")
	big := `{"a": "` + strings.Repeat("x", 300<<10) + `"}`
	_, err = c.CountDocuments(ctx, rpc.DataCountParams{Token: op, Org: "Acme", Filter: json.RawMessage(big)})
	wantField(t, err, "filter")
	docs := make([]string, 1001)
	for i := range docs {
		docs[i] = `{}`
	}
	_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Acme", Documents: raws(docs...)})
	wantField(t, err, "documents")
	_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Acme", Documents: raws()})
	wantField(t, err, "documents")
	_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Acme", Documents: raws(`{"ok": 1}`, `{"bad": {"$oid": "x"}}`)})
	wantField(t, err, "documents[1]")
	_, err = c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Limit: 1001})
	wantField(t, err, "limit")
	if n := count(t, c, op, "Acme", ""); n != 0 {
		t.Errorf("refused inserts left %d documents", n)
	}
	// A request without the required params is refused by the transport.
	r := d.Dial(t)
	rep := r.Call(rpc.MethodDataUpdate, 1, map[string]any{"token": op, "org": "Acme", "filter": map[string]any{}})
	if rep.Error == nil || rep.Error.Code != rpc.CodeInvalidParams || rep.Error.Data == nil || rep.Error.Data.Field != "update" {
		t.Errorf("data.update without update: %+v", rep.Error)
	}
}

func TestBusyOrganizationsAnswerConflict(t *testing.T) {
	// A rename that stops halfway, as in a crash, leaves its intent until
	// reconcile runs, which a long refresh interval puts off.
	var stop atomic.Bool
	d := testenv.Start(t, testenv.Options{
		Configure: func(cfg *daemon.Config) { cfg.RefreshInterval = time.Hour },
		Failpoint: func(step string) error {
			if stop.Load() && step == "rename:claimed-slug" {
				return errors.New("stopped here")
			}
			return nil
		},
	})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	admin := adminLogin(t, c, "Acme")
	ctx := ctxT(t)
	insertDocs(t, c, admin, "Acme", `{"a": 1}`)
	stop.Store(true)
	newName := "Acme Two"
	if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: "Acme", NewName: &newName}); err == nil {
		t.Fatal("the rename did not stop")
	}
	_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: admin, Org: "Acme"})
	if e := wantCode(t, err, rpc.CodeConflict); e.Data == nil || e.Data.Reason != "busy" {
		t.Fatalf("find while renaming: %+v", e.Data)
	}
	_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: admin, Org: "Acme", Documents: raws(`{"a": 2}`)})
	if e := wantCode(t, err, rpc.CodeConflict); e.Data == nil || e.Data.Reason != "busy" {
		t.Fatalf("insert while renaming: %+v", e.Data)
	}
}

func TestWritesNeverRecreateARenamedOrDeletedCollection(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	moving := create(t, c, op, "Moving")
	database := databaseOf(t, d, moving.ID)
	ctx := ctxT(t)
	names := []string{"Moving", "Moving On"}

	// writers insert through connections of their own, under whichever
	// name the organization has, until stopped, and count what landed.
	writers := func(stop <-chan struct{}) (wait func() int64) {
		var landed atomic.Int64
		done := make(chan struct{})
		const n = 4
		for w := range n {
			go func() {
				defer func() { done <- struct{}{} }()
				wc := &rpc.Client{Addr: d.Addr}
				defer wc.Close()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					_, err := wc.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: names[i%2], Documents: raws(fmt.Sprintf(`{"w": %d, "i": %d}`, w, i))})
					switch rpc.ErrorCode(err) {
					case 0:
						if err != nil {
							t.Errorf("insert: %v", err)
							return
						}
						landed.Add(1)
					case rpc.CodeNotFound, rpc.CodeConflict: // renamed away, or busy
					default:
						t.Errorf("insert: %v", err)
						return
					}
				}
			}()
		}
		return func() int64 {
			for range n {
				<-done
			}
			return landed.Load()
		}
	}

	stop := make(chan struct{})
	wait := writers(stop)
	for i := range 6 {
		from, to := names[i%2], names[(i+1)%2]
		if _, err := c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: from, NewName: &to}); err != nil {
			t.Fatalf("rename %s to %s: %v", from, to, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	landed := wait()
	if landed == 0 {
		t.Fatal("no insert landed while renaming")
	}
	if n := count(t, c, op, names[0], ""); n != landed {
		t.Errorf("the collection holds %d documents, %d inserts landed", n, landed)
	}
	checkClean(t, d)

	stop = make(chan struct{})
	wait = writers(stop)
	time.Sleep(50 * time.Millisecond)
	if err := c.DeleteOrg(ctx, op, names[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wait()
	for _, name := range []string{"org_moving", "org_moving_on"} {
		if got, err := databaseNamed(t, d, database).ListCollectionNames(ctx, map[string]string{"name": name}); err != nil || len(got) != 0 {
			t.Errorf("after the delete, collection %s: %v %v", name, got, err)
		}
	}
	checkClean(t, d)
}
