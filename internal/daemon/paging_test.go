package daemon_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// mixed is a document whose v is of a type that depends on i: the sort on
// v crosses every type class the embedded engine holds, with ties, missing
// fields and nulls.
func mixed(i int) string {
	var v string
	switch i % 9 {
	case 0:
		v = fmt.Sprintf(`%d`, i/27) // ties
	case 1:
		v = fmt.Sprintf(`%d.5`, i)
	case 2:
		v = fmt.Sprintf(`"s%03d"`, i%50)
	case 3:
		return fmt.Sprintf(`{"_id": %d}`, i) // no v at all
	case 4:
		v = `null`
	case 5:
		v = fmt.Sprintf(`{"x": %d}`, i%4)
	case 6:
		v = fmt.Sprintf(`%t`, i%2 == 0)
	case 7:
		v = fmt.Sprintf(`{"$date": {"$numberLong": "%d"}}`, i*1000)
	case 8:
		v = fmt.Sprintf(`{"$numberLong": "%d"}`, i/27)
	}
	return fmt.Sprintf(`{"_id": %d, "v": %s}`, i, v)
}

type idOnly struct {
	ID json.RawMessage `json:"_id"`
}

func idOf(t *testing.T, doc string) string {
	t.Helper()
	var d idOnly
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	return string(d.ID)
}

func TestFindPagesStablyWhileDocumentsComeAndGo(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	ctx := ctxT(t)

	sorts := []struct{ name, sort, projection string }{
		{"in _id order", "", ""},
		{"by a field of mixed types, ascending", `{"v": 1}`, ""},
		{"by a field of mixed types, descending", `{"v": -1}`, ""},
		{"by a field, then _id descending", `{"v": 1, "_id": -1}`, ""},
		{"by a field the projection excludes", `{"v": -1}`, `{"v": 0}`},
	}
	for si, s := range sorts {
		t.Run(s.name, func(t *testing.T) {
			base := si * 1000
			docs := make([]string, 72)
			for i := range docs {
				docs[i] = mixed(base + i)
			}
			insertDocs(t, c, op, "Acme", docs...)
			p := rpc.DataFindParams{Token: op, Org: "Acme", Filter: json.RawMessage(fmt.Sprintf(`{"_id": {"$gte": %d, "$lt": %d}}`, base, base+1000))}
			if s.sort != "" {
				p.Sort = json.RawMessage(s.sort)
			}
			if s.projection != "" {
				p.Projection = json.RawMessage(s.projection)
			}
			// The store's own order, in one page, is the oracle.
			whole := p
			whole.Limit = 1000
			all, err := c.FindDocuments(ctx, whole)
			if err != nil || all.NextCursor != "" || len(all.Documents) != 72 {
				t.Fatalf("one page of everything: %d documents, cursor %q, %v", len(all.Documents), all.NextCursor, err)
			}
			var oracle []string
			for _, doc := range all.Documents {
				oracle = append(oracle, idOf(t, string(doc)))
			}

			p.Limit = 7
			deleted := map[string]bool{}
			var got []string
			next := 5000 + base
			for page := 0; ; page++ {
				if page%2 == 1 {
					// Spend the live cursor, so that this page comes from
					// the position alone, as it would on another daemon.
					if _, err := c.FindDocuments(ctx, p); err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
				}
				res, err := c.FindDocuments(ctx, p)
				if err != nil {
					t.Fatalf("page %d: %v", page, err)
				}
				for _, doc := range res.Documents {
					got = append(got, idOf(t, string(doc)))
				}
				if res.NextCursor == "" {
					break
				}
				p.Cursor = res.NextCursor
				// Between pages, documents come and go on both sides of
				// the position.
				seen := map[string]bool{}
				for _, id := range got {
					seen[id] = true
				}
				var ahead []string
				for _, id := range oracle {
					if !seen[id] && !deleted[id] {
						ahead = append(ahead, id)
					}
				}
				for _, id := range []string{got[len(got)/2], ahead[len(ahead)/2]} {
					if _, err := c.DeleteDocuments(ctx, rpc.DataDeleteParams{Token: op, Org: "Acme", Filter: json.RawMessage(`{"_id": ` + id + `}`)}); err != nil {
						t.Fatal(err)
					}
					deleted[id] = true
				}
				insertDocs(t, c, op, "Acme", mixed(next), mixed(next+4), mixed(next+5))
				next += 9
			}

			counts := map[string]int{}
			for _, id := range got {
				if counts[id]++; counts[id] > 1 {
					t.Errorf("document %s came twice", id)
				}
			}
			var kept []string
			for _, id := range oracle {
				if !deleted[id] {
					kept = append(kept, id)
					if counts[id] == 0 {
						t.Errorf("document %s, present throughout, never came", id)
					}
				}
			}
			var order []string
			for _, id := range got {
				if slices.Contains(kept, id) {
					order = append(order, id)
				}
			}
			if !slices.Equal(order, kept) {
				t.Errorf("the documents present throughout came out of order:\n got %v\nwant %v", order, kept)
			}

			// Left alone, a page is the same whether it comes from the live
			// cursor or from the position.
			p.Cursor = ""
			for page := 0; ; page++ {
				live, err := c.FindDocuments(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if p.Cursor != "" {
					again, err := c.FindDocuments(ctx, p)
					if err != nil || !slices.Equal(strs(again.Documents), strs(live.Documents)) {
						t.Fatalf("page %d from the position differs:\n%s\n%s\n(%v)", page, live.Documents, again.Documents, err)
					}
				}
				if live.NextCursor == "" {
					break
				}
				p.Cursor = live.NextCursor
			}
		})
	}
}

func TestCursorsBelongToTheirQueryAndOrganization(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")
	create(t, c, op, "Beta")
	ctx := ctxT(t)
	for _, name := range []string{"Acme", "Beta"} {
		insertDocs(t, c, op, name, `{"a": 1}`, `{"a": 2}`, `{"a": 3}`)
	}
	first, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Limit: 1, Filter: json.RawMessage(`{"a": {"$gt": 0}}`)})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	tests := []struct {
		name string
		p    rpc.DataFindParams
	}{
		{"another organization", rpc.DataFindParams{Org: "Beta", Filter: json.RawMessage(`{"a": {"$gt": 0}}`)}},
		{"another filter", rpc.DataFindParams{Org: "Acme", Filter: json.RawMessage(`{"a": {"$gt": 1}}`)}},
		{"another sort", rpc.DataFindParams{Org: "Acme", Filter: json.RawMessage(`{"a": {"$gt": 0}}`), Sort: json.RawMessage(`{"a": 1}`)}},
		{"another projection", rpc.DataFindParams{Org: "Acme", Filter: json.RawMessage(`{"a": {"$gt": 0}}`), Projection: json.RawMessage(`{"a": 1}`)}},
	}
	for _, tt := range tests {
		t.Run("a cursor is refused for "+tt.name, func(t *testing.T) {
			p := tt.p
			p.Token, p.Cursor = op, first.NextCursor
			_, err := c.FindDocuments(ctx, p)
			wantField(t, err, "cursor")
		})
	}
	for _, bad := range []string{"garbage", "AAAA", first.NextCursor[:len(first.NextCursor)/2]} {
		_, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Cursor: bad})
		wantField(t, err, "cursor")
	}
	rest, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Limit: 5, Filter: json.RawMessage(`{"a": {"$gt": 0}}`), Cursor: first.NextCursor})
	if err != nil || len(rest.Documents) != 2 || rest.NextCursor != "" {
		t.Fatalf("the cursor still works for its own query, with another limit: %s %q %v", rest.Documents, rest.NextCursor, err)
	}
}
