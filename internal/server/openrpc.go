package server

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/orgd/orgd/rpc"
)

// openRPCMetaSchema is what rpc.discover's result refers to, as the OpenRPC
// service discovery method specifies.
const openRPCMetaSchema = "https://raw.githubusercontent.com/open-rpc/meta-schema/master/schema.json"

var errorMessages = map[int64]string{
	rpc.CodeInvalidParams:    "invalid params; data.field names the field",
	rpc.CodeInternalError:    "internal error",
	rpc.CodeUnauthenticated:  "unauthenticated: missing, malformed, expired or revoked token, or wrong email or password",
	rpc.CodeForbidden:        "forbidden: authenticated but not allowed",
	rpc.CodeNotFound:         "not found",
	rpc.CodeConflict:         "conflict: name, slug or email already taken, the last operator or admin (data.reason), or another change under way",
	rpc.CodeTooManyAttempts:  "too many attempts; data.retry_after_s",
	rpc.CodeSuspended:        "suspended: the organization is suspended; an operator can resume it",
	rpc.CodeStoreUnavailable: "store unavailable (its probe fails); the request did nothing",
	rpc.CodeOutcomeUnknown:   "outcome unknown: the store stopped answering after the change was sent; data.state says the organization's state, read it again",
	rpc.CodeBusy:             "busy: refused before anything was done; retry after data.retry_after_ms",
}

// describe builds the OpenRPC document from the method table.
func describe(version string, routes []route) *rpc.Document {
	g := schemaGen{components: map[string]*rpc.Schema{}}
	doc := &rpc.Document{
		OpenRPC: rpc.OpenRPCVersion,
		Info: rpc.Info{
			Title:   "orgd",
			Version: version,
			Description: "Multi-tenant organization service. Authenticated methods take the JWT from auth.login as params.token. " +
				"Errors: -32700 parse error (id null, connection kept), -32600 invalid request (or a line over --max-message-bytes: connection closed), " +
				"-32601 method not found, -32000 too many connections.",
		},
		Framing: "one JSON-RPC 2.0 object per line (newline-delimited JSON, UTF-8)",
	}
	for _, r := range routes {
		m := rpc.MethodSpec{
			Name:           r.name,
			Summary:        r.summary,
			Description:    r.description,
			ParamStructure: "by-name",
			Params:         []rpc.ContentDescr{},
			Result:         rpc.ContentDescr{Name: strings.ReplaceAll(r.name, ".", "_") + "_result", Schema: g.resultSchema(r.result)},
		}
		for i := range r.params.NumField() {
			f := r.params.Field(i)
			name, required := jsonField(f)
			if name == "token" && r.auth {
				required = true
			}
			m.Params = append(m.Params, rpc.ContentDescr{
				Name:        name,
				Description: f.Tag.Get("doc"),
				Required:    required,
				Schema:      g.schema(f.Type),
			})
		}
		codes := append([]int64{rpc.CodeInvalidParams, rpc.CodeInternalError}, r.errors...)
		slices.Sort(codes)
		for _, code := range slices.Compact(codes) {
			m.Errors = append(m.Errors, rpc.ErrorSpec{Code: code, Message: errorMessages[code]})
		}
		if n := r.notifies; n != nil {
			m.Notifications = append(m.Notifications, rpc.NotificationRef{Method: n.method, Params: g.schema(n.params)})
		}
		doc.Methods = append(doc.Methods, m)
	}
	doc.Components.Schemas = g.components
	return doc
}

// schemaGen turns Go types into JSON Schema, putting named structs into
// components and referring to them.
type schemaGen struct {
	components map[string]*rpc.Schema
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (g *schemaGen) resultSchema(t reflect.Type) *rpc.Schema {
	if t == rawType {
		return &rpc.Schema{Ref: openRPCMetaSchema}
	}
	return g.schema(t)
}

func (g *schemaGen) schema(t reflect.Type) *rpc.Schema {
	switch {
	case t == timeType:
		return &rpc.Schema{Type: "string", Format: "date-time"}
	case t == rawType:
		return &rpc.Schema{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
		if t.Elem().Kind() == reflect.Struct {
			return &rpc.Schema{OneOf: []*rpc.Schema{inner, {Type: "null"}}}
		}
		return inner
	case reflect.String:
		return &rpc.Schema{Type: "string"}
	case reflect.Bool:
		return &rpc.Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &rpc.Schema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &rpc.Schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		return &rpc.Schema{Type: "array", Items: g.schema(t.Elem())}
	case reflect.Map:
		return &rpc.Schema{Type: "object"}
	case reflect.Struct:
		return g.structSchema(t)
	}
	return &rpc.Schema{}
}

func (g *schemaGen) structSchema(t reflect.Type) *rpc.Schema {
	ref := &rpc.Schema{Ref: "#/components/schemas/" + t.Name()}
	if _, done := g.components[t.Name()]; done {
		return ref
	}
	no := false
	s := &rpc.Schema{Type: "object", Properties: map[string]*rpc.Schema{}, AdditionalProperties: &no}
	g.components[t.Name()] = s // before the fields: a type may refer to itself
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, required := jsonField(f)
		if name == "-" {
			continue
		}
		fs := g.schema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			if fs.Ref != "" || fs.OneOf != nil {
				fs = &rpc.Schema{OneOf: []*rpc.Schema{fs}, Description: d}
			} else {
				c := *fs
				c.Description = d
				fs = &c
			}
		}
		s.Properties[name] = fs
		if required {
			s.Required = append(s.Required, name)
		}
	}
	return ref
}
