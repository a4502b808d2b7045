package org_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/org"
)

// refused are the operators no param may hold, at any depth.
var refused = []string{"$where", "$function", "$accumulator", "$lookup", "$graphLookup", "$unionWith", "$out", "$merge"}

// placements put an operator somewhere in a filter.
var placements = []struct {
	name   string
	filter func(op string) string
}{
	{"at the top", func(op string) string { return fmt.Sprintf(`{%q: "x"}`, op) }},
	{"inside $and", func(op string) string { return fmt.Sprintf(`{"$and": [{"a": 1}, {%q: {}}]}`, op) }},
	{"inside $expr", func(op string) string { return fmt.Sprintf(`{"$expr": {"$eq": [{%q: {}}, 1]}}`, op) }},
	{"inside $elemMatch", func(op string) string { return fmt.Sprintf(`{"a": {"$elemMatch": {%q: "1"}}}`, op) }},
	{"under a field", func(op string) string { return fmt.Sprintf(`{"a": {"b": {%q: 1}}}`, op) }},
	{"spelt with an escaped dollar", func(op string) string { return fmt.Sprintf(`{"\u0024%s": 1}`, op[1:]) }},
}

func wantRefused(t *testing.T, err error, field, op string) {
	t.Helper()
	e := wantCode(t, err, org.EINVALID)
	if e.Field != field || e.Operator != op || e.Reason != "refused_operator" || !strings.Contains(e.Message, op) {
		t.Fatalf("refusal %+v: want field %s, operator %s named in the message", e, field, op)
	}
}

func TestRefusedOperatorsNeverReachTheStore(t *testing.T) {
	f := newService(t, org.Config{})
	ctx := context.Background()
	for _, op := range refused {
		for _, pl := range placements {
			filter := []byte(pl.filter(op))
			t.Run(op+" "+pl.name+" is refused in every filter", func(t *testing.T) {
				_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Filter: filter})
				wantRefused(t, err, "filter", op)
				_, err = f.svc.CountDocuments(ctx, operator, "Acme", filter)
				wantRefused(t, err, "filter", op)
				_, err = f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: filter, Update: []byte(`{"$set": {"a": 1}}`)})
				wantRefused(t, err, "filter", op)
				_, err = f.svc.DeleteDocuments(ctx, operator, "Acme", filter, false, false)
				wantRefused(t, err, "filter", op)
			})
		}
		t.Run(op+" is refused in projections, sorts, updates and index keys", func(t *testing.T) {
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Projection: []byte(fmt.Sprintf(`{"a": {%q: {}}}`, op))})
			wantRefused(t, err, "projection", op)
			_, err = f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Sort: []byte(fmt.Sprintf(`{%q: 1}`, op))})
			wantRefused(t, err, "sort", op)
			_, err = f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(fmt.Sprintf(`{%q: {"a": 1}}`, op))})
			wantRefused(t, err, "update", op)
			_, err = f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(fmt.Sprintf(`{"$set": {"a": {%q: 1}}}`, op))})
			wantRefused(t, err, "update", op)
			_, err = f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Replace: true, Update: []byte(fmt.Sprintf(`{"a": {%q: 1}}`, op))})
			wantRefused(t, err, "update", op)
			_, err = f.svc.CreateIndex(ctx, operator, "Acme", []byte(fmt.Sprintf(`{%q: 1}`, op)), "", false)
			wantRefused(t, err, "keys", op)
		})
	}
}

func nested(depth int) string {
	return strings.Repeat(`{"a": `, depth-1) + `{"a": 1}` + strings.Repeat(`}`, depth-1)
}

func TestDataParamsAreCheckedBeforeTheStore(t *testing.T) {
	f := newService(t, org.Config{})
	ctx := context.Background()
	doc := []byte(`{"a": 1}`)
	tests := []struct {
		name, field, reason string
		call                func() error
	}{
		{"a filter nesting 33 levels deep", "filter", "too_deep", func() error {
			_, err := f.svc.CountDocuments(ctx, operator, "Acme", []byte(nested(33)))
			return err
		}},
		{"a filter over 256 KiB", "filter", "too_large", func() error {
			_, err := f.svc.CountDocuments(ctx, operator, "Acme", []byte(`{"a": "`+strings.Repeat("x", org.MaxQueryBytes)+`"}`))
			return err
		}},
		{"a filter that is an array", "filter", "not_an_object", func() error {
			_, err := f.svc.CountDocuments(ctx, operator, "Acme", []byte(`[{"a": 1}]`))
			return err
		}},
		{"a filter that is not Extended JSON", "filter", "invalid_extended_json", func() error {
			_, err := f.svc.CountDocuments(ctx, operator, "Acme", []byte(`{"_id": {"$oid": "nothex"}}`))
			return err
		}},
		{"no documents to insert", "documents", "required", func() error {
			_, err := f.svc.InsertDocuments(ctx, operator, "Acme", nil)
			return err
		}},
		{"1,001 documents to insert", "documents", "too_many", func() error {
			docs := make([][]byte, org.MaxInsertDocuments+1)
			for i := range docs {
				docs[i] = doc
			}
			_, err := f.svc.InsertDocuments(ctx, operator, "Acme", docs)
			return err
		}},
		{"a document nesting 101 levels deep", "documents[1]", "too_deep", func() error {
			_, err := f.svc.InsertDocuments(ctx, operator, "Acme", [][]byte{doc, []byte(nested(101))})
			return err
		}},
		{"a document that is null", "documents[0]", "required", func() error {
			_, err := f.svc.InsertDocuments(ctx, operator, "Acme", [][]byte{[]byte("null")})
			return err
		}},
		{"a limit of 1,001", "limit", "out_of_range", func() error {
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Limit: 1001})
			return err
		}},
		{"a negative limit", "limit", "out_of_range", func() error {
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Limit: -1})
			return err
		}},
		{"a sort direction of 2", "sort", "invalid_direction", func() error {
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Sort: []byte(`{"a": 2}`)})
			return err
		}},
		{"a sort by text score", "sort", "invalid_direction", func() error {
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Sort: []byte(`{"a": {"$meta": "textScore"}}`)})
			return err
		}},
		{"a sort of 33 fields", "sort", "too_many", func() error {
			var b strings.Builder
			for i := range org.MaxSortKeys + 1 {
				fmt.Fprintf(&b, `,"f%d": 1`, i)
			}
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Sort: []byte("{" + b.String()[1:] + "}")})
			return err
		}},
		{"a sort naming a field twice", "sort", "duplicate_field", func() error {
			_, err := f.svc.FindDocuments(ctx, operator, "Acme", org.FindQuery{Sort: []byte(`{"a": 1, "a": -1}`)})
			return err
		}},
		{"an update without operators", "update", "not_an_operator", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(`{"a": 1}`)})
			return err
		}},
		{"an update mixing operators and fields", "update", "not_an_operator", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(`{"$set": {"a": 1}, "b": 2}`)})
			return err
		}},
		{"an empty update", "update", "empty", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(`{}`)})
			return err
		}},
		{"a pipeline update", "update", "not_an_object", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(`[{"$set": {"a": 1}}]`)})
			return err
		}},
		{"a replacement holding an operator", "update", "operator_in_replacement", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Replace: true, Update: []byte(`{"a": 1, "$set": {"b": 1}}`)})
			return err
		}},
		{"a replacement of many", "many", "conflict", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Filter: []byte(`{}`), Replace: true, Many: true, Update: doc})
			return err
		}},
		{"an update without a filter", "filter", "required", func() error {
			_, err := f.svc.UpdateDocuments(ctx, operator, "Acme", org.UpdateRequest{Update: []byte(`{"$set": {"a": 1}}`)})
			return err
		}},
		{"a delete of one with an empty filter", "many", "required", func() error {
			_, err := f.svc.DeleteDocuments(ctx, operator, "Acme", []byte(`{}`), false, true)
			return err
		}},
		{"a delete of many with an empty filter but without all", "all", "required", func() error {
			_, err := f.svc.DeleteDocuments(ctx, operator, "Acme", []byte(`{}`), true, false)
			return err
		}},
		{"an index without keys", "keys", "required", func() error {
			_, err := f.svc.CreateIndex(ctx, operator, "Acme", []byte(`{}`), "", false)
			return err
		}},
		{"a drop of the _id index", "name", "protected", func() error {
			return f.svc.DropIndex(ctx, operator, "Acme", "_id_")
		}},
		{"a drop of every index at once", "name", "invalid", func() error {
			return f.svc.DropIndex(ctx, operator, "Acme", "*")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			e := wantCode(t, tt.call(), org.EINVALID)
			if e.Field != tt.field || e.Reason != tt.reason {
				t.Fatalf("field %q reason %q (%s), want %q %q", e.Field, e.Reason, e.Message, tt.field, tt.reason)
			}
		})
	}
}

func TestDataMethodsSeeOnlyActiveOrganizationsTheCallerMaySee(t *testing.T) {
	f := newService(t, org.Config{})
	ctx := context.Background()
	calls := map[string]func(p *org.Principal, name string) error{
		"insert": func(p *org.Principal, name string) error {
			_, err := f.svc.InsertDocuments(ctx, p, name, [][]byte{[]byte(`{"a": 1}`)})
			return err
		},
		"find": func(p *org.Principal, name string) error {
			_, err := f.svc.FindDocuments(ctx, p, name, org.FindQuery{Filter: []byte(`{"$where": "1"}`)})
			return err
		},
		"count": func(p *org.Principal, name string) error {
			_, err := f.svc.CountDocuments(ctx, p, name, nil)
			return err
		},
		"update": func(p *org.Principal, name string) error {
			_, err := f.svc.UpdateDocuments(ctx, p, name, org.UpdateRequest{Filter: []byte(`{}`), Update: []byte(`{"$set": {"a": 1}}`)})
			return err
		},
		"delete": func(p *org.Principal, name string) error {
			_, err := f.svc.DeleteDocuments(ctx, p, name, []byte(`{}`), true, true)
			return err
		},
		"list indexes": func(p *org.Principal, name string) error {
			_, err := f.svc.Indexes(ctx, p, name)
			return err
		},
		"create an index": func(p *org.Principal, name string) error {
			_, err := f.svc.CreateIndex(ctx, p, name, []byte(`{"a": 1}`), "", false)
			return err
		},
		"drop an index": func(p *org.Principal, name string) error { return f.svc.DropIndex(ctx, p, name, "a_1") },
	}
	for what, call := range calls {
		t.Run("an admin cannot "+what+" in another organization, even with a bad payload", func(t *testing.T) {
			for _, name := range []string{"Beta", "beta", "BETA", "org_beta", "nonexistent"} {
				wantCode(t, call(acmeBoss, name), org.ENOTFOUND)
			}
		})
		t.Run("an operator cannot "+what+" in an organization being renamed", func(t *testing.T) {
			if e := wantCode(t, call(operator, "Beta"), org.ECONFLICT); e.Reason != "busy" {
				t.Fatalf("reason %q, want busy", e.Reason)
			}
		})
	}
}

// FuzzParseFilter checks that a filter ParseFilter accepts holds no
// refused operator and nests no deeper than allowed, whatever its text.
func FuzzParseFilter(f *testing.F) {
	for _, op := range refused {
		for _, pl := range placements {
			f.Add([]byte(pl.filter(op)))
		}
	}
	for _, s := range []string{`{"a": {"$gt": 1}}`, `{"$or": [{"a": 1}, {"b": {"$in": [1, 2]}}]}`, nested(32), nested(33),
		`{"a": {"$regex": "^x", "$options": "i"}}`, `{"a": {"$code": "x", "$scope": {"$where": 1}}}`, `{"\u0024where": 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := org.ParseFilter("filter", data)
		if err != nil {
			return
		}
		_ = d.Visit(func(e document.Element) error {
			if e.Depth > org.MaxQueryDepth {
				t.Fatalf("%q was accepted with a key %d levels deep", data, e.Depth)
			}
			for _, op := range refused {
				if !e.InArray && e.Key() == op {
					t.Fatalf("%q was accepted holding %s", data, op)
				}
			}
			return nil
		})
	})
}
