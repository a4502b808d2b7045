package remotetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/orgd/orgd/rpc"
)

func dataFake(t *testing.T, docs ...string) *Fake {
	t.Helper()
	f := &Fake{Orgs: []rpc.Organization{NewOrg("Acme", "a@acme.test")}}
	f.PutDocuments("Acme", docs...)
	return f
}

func TestFindPagesInIDOrderWithCursors(t *testing.T) {
	t.Parallel()
	f := dataFake(t, People(25)...)
	ctx := context.Background()
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := f.FindDocuments(ctx, rpc.DataFindParams{Token: Token, Org: "Acme", Limit: 10, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Documents {
			seen = append(seen, string(d))
		}
		if page.NextCursor == "" {
			if pages != 2 {
				t.Errorf("25 documents came in %d pages of 10, want 3", pages+1)
			}
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 25 || !strings.Contains(seen[0], `"name":"Person 00001"`) || !strings.Contains(seen[24], `"Person 00025"`) {
		t.Errorf("the pages hold %d documents, first %s", len(seen), seen[0])
	}
	if !strings.Contains(seen[0], `{"$oid":"65f1c0ffee00000000000001"}`) || !strings.Contains(seen[0], `"n":{"$numberInt":"1"}`) {
		t.Errorf("documents are not canonical Extended JSON: %s", seen[0])
	}
}

func TestFindFilters(t *testing.T) {
	t.Parallel()
	f := dataFake(t, append(People(5), `{"_id": "x", "tags": ["a", "b"], "n": {"$numberLong": "3"}}`)...)
	tests := []struct {
		filter string
		want   int
	}{
		{`{"name": "Person 00002"}`, 1},
		{`{"n": 3}`, 2},
		{`{"n": {"$gte": 4}}`, 2},
		{`{"tags": "b"}`, 1},
		{`{"email": {"$exists": false}}`, 1},
		{`{"$or": [{"n": 1}, {"_id": "x"}]}`, 2},
		{`{"name": {"$in": ["Person 00001", "Person 00005"]}}`, 2},
		{`{"_id": {"$oid": "65f1c0ffee00000000000004"}}`, 1},
		{`{}`, 6},
	}
	for _, tt := range tests {
		got, err := f.FindDocuments(context.Background(), rpc.DataFindParams{Token: Token, Org: "Acme", Filter: json.RawMessage(tt.filter)})
		if err != nil {
			t.Errorf("filter %s: %v", tt.filter, err)
			continue
		}
		if len(got.Documents) != tt.want {
			t.Errorf("filter %s matches %d documents, want %d", tt.filter, len(got.Documents), tt.want)
		}
	}
}

func TestRefusedOperatorsAreNamed(t *testing.T) {
	t.Parallel()
	f := dataFake(t, People(1)...)
	for _, filter := range []string{`{"$where": "this.n > 1"}`, `{"a": {"$elemMatch": {"$where": "1"}}}`, `{"$or": [{"$function": {}}]}`} {
		_, err := f.FindDocuments(context.Background(), rpc.DataFindParams{Token: Token, Org: "Acme", Filter: json.RawMessage(filter)})
		var e *rpc.Error
		if !errors.As(err, &e) || e.Code != rpc.CodeInvalidParams || e.Data == nil || e.Data.Field != "filter" || e.Data.Operator == "" {
			t.Errorf("filter %s gives %v, want -32602 on filter naming the operator", filter, err)
		}
	}
	_, err := f.FindDocuments(context.Background(), rpc.DataFindParams{Token: Token, Org: "Acme", Filter: json.RawMessage(`{"a": `)})
	if rpc.ErrorCode(err) != rpc.CodeInvalidParams {
		t.Errorf("a broken filter gives %v, want -32602", err)
	}
}

func TestInsertReplaceAndDelete(t *testing.T) {
	t.Parallel()
	f := dataFake(t)
	ctx := context.Background()
	ins, err := f.InsertDocuments(ctx, rpc.DataInsertParams{Token: Token, Org: "Acme", Documents: []json.RawMessage{
		json.RawMessage(`{"name": "Ada"}`), json.RawMessage(`{"_id": 7, "name": "Bob"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ins.InsertedIDs) != 2 || !strings.HasPrefix(string(ins.InsertedIDs[0]), `{"$oid":`) || string(ins.InsertedIDs[1]) != `{"$numberInt":"7"}` {
		t.Errorf("inserted_ids = %s", ins.InsertedIDs)
	}
	if _, err := f.InsertDocuments(ctx, rpc.DataInsertParams{Token: Token, Org: "Acme", Documents: []json.RawMessage{json.RawMessage(`{"_id": 7}`)}}); rpc.ErrorCode(err) != rpc.CodeConflict {
		t.Errorf("a taken _id gives %v, want -32009", err)
	}

	up, err := f.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: Token, Org: "Acme", Filter: json.RawMessage(`{"_id": 7}`),
		Update: json.RawMessage(`{"name": "Robert", "age": 40}`), Replace: true})
	if err != nil || up.Matched != 1 || up.Modified != 1 {
		t.Fatalf("replace: %+v, %v", up, err)
	}
	// Numbers sort before ObjectIds, as in MongoDB.
	if docs := f.Documents("Acme"); docs[0] != `{"_id":{"$numberInt":"7"},"name":"Robert","age":{"$numberInt":"40"}}` {
		t.Errorf("after the replace the document is %s", docs[0])
	}
	_, err = f.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: Token, Org: "Acme", Filter: json.RawMessage(`{"_id": 7}`),
		Update: json.RawMessage(`{"_id": 8}`), Replace: true})
	if rpc.ErrorCode(err) != rpc.CodeInvalidParams {
		t.Errorf("changing the _id gives %v, want -32602", err)
	}

	del, err := f.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: Token, Org: "Acme", Filter: json.RawMessage(`{"_id": 7}`)})
	if err != nil || del.Deleted != 1 || len(f.Documents("Acme")) != 1 {
		t.Errorf("delete: %+v, %v; left %d", del, err, len(f.Documents("Acme")))
	}
	if _, err := f.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: Token, Org: "Acme", Filter: json.RawMessage(`{}`), Many: true}); rpc.ErrorCode(err) != rpc.CodeInvalidParams {
		t.Errorf("deleting everything without all gives %v, want -32602", err)
	}
	if _, err := f.FindDocuments(ctx, rpc.DataFindParams{Token: Token, Org: "Nope"}); rpc.ErrorCode(err) != rpc.CodeNotFound {
		t.Errorf("another organization gives %v, want -32004", err)
	}
}
