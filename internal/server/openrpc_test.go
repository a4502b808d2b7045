package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/orgd/orgd/rpc"
)

// document returns the OpenRPC document of a server with no service
// behind it: generating it needs only the method table.
func document(t *testing.T) (*rpc.Document, map[string]any) {
	t.Helper()
	s, err := New(nil, Config{Version: "1.2.3", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var doc rpc.Document
	if err := json.Unmarshal(s.Document(), &doc); err != nil {
		t.Fatalf("the document does not decode: %v", err)
	}
	var generic map[string]any
	if err := json.Unmarshal(s.Document(), &generic); err != nil {
		t.Fatal(err)
	}
	return &doc, generic
}

func methodSpec(t *testing.T, doc *rpc.Document, name string) rpc.MethodSpec {
	t.Helper()
	i := slices.IndexFunc(doc.Methods, func(m rpc.MethodSpec) bool { return m.Name == name })
	if i < 0 {
		t.Fatalf("no method %s", name)
	}
	return doc.Methods[i]
}

func TestOpenRPCListsEveryMethodOnce(t *testing.T) {
	doc, _ := document(t)
	// The contract's list of methods, in its order, is what is served.
	want := rpc.Methods()
	var got []string
	for _, m := range doc.Methods {
		got = append(got, m.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("methods %v, want %v", got, want)
	}
	t.Run("the header names the service, its version and the framing", func(t *testing.T) {
		if doc.OpenRPC != rpc.OpenRPCVersion || doc.Info.Title != "orgd" || doc.Info.Version != "1.2.3" || doc.Framing == "" {
			t.Fatalf("openrpc %q info %+v framing %q", doc.OpenRPC, doc.Info, doc.Framing)
		}
	})
	t.Run("every method has a summary, params by name and a result", func(t *testing.T) {
		for _, m := range doc.Methods {
			if m.Summary == "" || m.ParamStructure != "by-name" || m.Result.Schema == nil || m.Result.Name == "" {
				t.Errorf("%s: summary %q, params %q, result %+v", m.Name, m.Summary, m.ParamStructure, m.Result)
			}
		}
	})
}

func TestOpenRPCMarksRequiredParams(t *testing.T) {
	doc, _ := document(t)
	tests := []struct {
		method   string
		required []string
		optional []string
	}{
		{rpc.MethodAuthLogin, []string{"email", "password"}, nil},
		{rpc.MethodAuthWhoami, []string{"token"}, nil},
		{rpc.MethodOrgCreate, []string{"name", "admin_email", "admin_password"}, []string{"token", "labels"}},
		{rpc.MethodOrgGet, []string{"token", "name"}, nil},
		{rpc.MethodOrgList, []string{"token"}, []string{"query", "selector", "limit", "cursor"}},
		{rpc.MethodOrgUpdate, []string{"token", "name"}, []string{"new_name", "admin_email", "admin_password", "labels"}},
		{rpc.MethodOrgDelete, []string{"token", "name", "confirm"}, nil},
		{rpc.MethodSystemHealth, nil, nil},
	}
	for _, tt := range tests {
		title := tt.method + " requires " + strings.Join(tt.required, ", ")
		if len(tt.required) == 0 {
			title = tt.method + " requires nothing"
		}
		t.Run(title, func(t *testing.T) {
			m := methodSpec(t, doc, tt.method)
			var required, optional []string
			for _, p := range m.Params {
				if p.Schema == nil {
					t.Errorf("param %s has no schema", p.Name)
				}
				if p.Required {
					required = append(required, p.Name)
				} else {
					optional = append(optional, p.Name)
				}
			}
			if !slices.Equal(required, tt.required) || !slices.Equal(optional, tt.optional) {
				t.Fatalf("required %v optional %v, want %v and %v", required, optional, tt.required, tt.optional)
			}
		})
	}
}

func TestOpenRPCSchemas(t *testing.T) {
	doc, generic := document(t)
	t.Run("named structs are referred to by $ref", func(t *testing.T) {
		for _, name := range []string{rpc.MethodOrgGet, rpc.MethodOrgCreate, rpc.MethodOrgUpdate} {
			if ref := methodSpec(t, doc, name).Result.Schema.Ref; ref != "#/components/schemas/Organization" {
				t.Errorf("%s result $ref %q", name, ref)
			}
		}
		list := doc.Components.Schemas["OrgList"]
		if list == nil || list.Properties["items"] == nil || list.Properties["items"].Items == nil ||
			list.Properties["items"].Items.Ref != "#/components/schemas/Organization" {
			t.Errorf("OrgList = %+v", list)
		}
	})
	t.Run("a struct's schema lists its fields, requires those without omitempty and allows no others", func(t *testing.T) {
		o := doc.Components.Schemas["Organization"]
		if o == nil || o.Type != "object" || o.AdditionalProperties == nil || *o.AdditionalProperties {
			t.Fatalf("Organization = %+v", o)
		}
		want := []string{"id", "name", "slug", "collection", "admin_email", "admins", "members", "labels", "state", "created_at", "updated_at"}
		optional := []string{"suspended_at", "suspend_reason"}
		if !slices.Equal(o.Required, want) || len(o.Properties) != len(want)+len(optional) {
			t.Fatalf("Organization requires %v of %d properties, want %v", o.Required, len(o.Properties), want)
		}
		if c := o.Properties["created_at"]; c.Type != "string" || c.Format != "date-time" {
			t.Fatalf("created_at = %+v, want a date-time string", c)
		}
	})
	t.Run("a pointer to a struct may be null", func(t *testing.T) {
		org := doc.Components.Schemas["Session"].Properties["org"]
		if org == nil || org.Description == "" || !strings.Contains(mustJSON(t, org), `{"type":"null"}`) || !strings.Contains(mustJSON(t, org), "#/components/schemas/OrgRef") {
			t.Fatalf("Session.org = %s, want OrgRef or null, with its description", mustJSON(t, org))
		}
	})
	t.Run("rpc.discover's result refers to the OpenRPC meta-schema", func(t *testing.T) {
		if ref := methodSpec(t, doc, rpc.MethodRPCDiscover).Result.Schema.Ref; ref != openRPCMetaSchema {
			t.Fatalf("$ref %q", ref)
		}
	})
	t.Run("org.subscribe names its notification", func(t *testing.T) {
		m := methodSpec(t, doc, rpc.MethodOrgSubscribe)
		if len(m.Notifications) != 1 || m.Notifications[0].Method != rpc.NotificationOrgEvent || m.Notifications[0].Params.Ref != "#/components/schemas/OrgEvent" {
			t.Fatalf("notifications %+v", m.Notifications)
		}
	})
	t.Run("every $ref into the components resolves", func(t *testing.T) {
		n := 0
		walk(generic, func(ref string) {
			n++
			name, ok := strings.CutPrefix(ref, "#/components/schemas/")
			if ref == openRPCMetaSchema {
				return
			}
			if !ok || doc.Components.Schemas[name] == nil {
				t.Errorf("$ref %q does not resolve", ref)
			}
		})
		if n == 0 {
			t.Fatal("no $ref at all")
		}
	})
}

func TestOpenRPCErrors(t *testing.T) {
	doc, _ := document(t)
	for _, m := range doc.Methods {
		t.Run(m.Name+" lists its errors once each, with messages", func(t *testing.T) {
			var codes []int64
			for _, e := range m.Errors {
				if e.Message == "" {
					t.Errorf("error %d has no message", e.Code)
				}
				codes = append(codes, e.Code)
			}
			if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) {
				t.Errorf("codes %v are not sorted and distinct", codes)
			}
			for _, want := range []int64{rpc.CodeInvalidParams, rpc.CodeInternalError} {
				if !slices.Contains(codes, want) {
					t.Errorf("codes %v lack %d", codes, want)
				}
			}
			if rpc.TakesToken(m.Name) && m.Name != rpc.MethodOrgCreate && !slices.Contains(codes, rpc.CodeUnauthenticated) {
				t.Errorf("codes %v lack -32001, yet %s takes a token", codes, m.Name)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// walk calls f with every "$ref" in a decoded JSON value.
func walk(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				f(s)
				continue
			}
			walk(x, f)
		}
	case []any:
		for _, x := range v {
			walk(x, f)
		}
	}
}
