package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// wantParamsError fails unless err is -32602 naming field for reason.
func wantParamsError(t *testing.T, err error, field, reason string) *rpc.Error {
	t.Helper()
	var e *rpc.Error
	if !errors.As(err, &e) || e.Code != rpc.CodeInvalidParams {
		t.Fatalf("got %v, want -32602", err)
	}
	if e.Data == nil || e.Data.Field != field || e.Data.Reason != reason {
		t.Fatalf("error %q has data %+v, want field %q reason %q", e.Message, e.Data, field, reason)
	}
	return e
}

func TestDecodeParams(t *testing.T) {
	t.Run("a complete params object is decoded", func(t *testing.T) {
		var p rpc.OrgUpdateParams
		if err := decodeParams(json.RawMessage(`{"token":"t","name":"Acme","new_name":"Acme 2"}`), &p); err != nil {
			t.Fatal(err)
		}
		if p.Token != "t" || p.Name != "Acme" || p.NewName == nil || *p.NewName != "Acme 2" || p.AdminEmail != nil {
			t.Fatalf("decoded %+v", p)
		}
	})

	tests := []struct {
		name   string
		params string
		into   any
		field  string
		reason string
		msg    string // a part of the message
	}{
		{"an unknown field is named", `{"token":"t","name":"a","colour":"red"}`, &rpc.OrgNameParams{}, "colour", "unknown", `"colour"`},
		{"a string field given a number is named", `{"token":"t","name":5}`, &rpc.OrgNameParams{}, "name", "wrong_type", "name must be a string, not number"},
		{"an optional string given a number is named", `{"token":"t","name":"a","new_name":5}`, &rpc.OrgUpdateParams{}, "new_name", "wrong_type", "must be a string"},
		{"an integer given a string is named", `{"token":"t","limit":"ten"}`, &rpc.OrgListParams{}, "limit", "wrong_type", "limit must be an integer, not string"},
		{"an integer given a fraction is named", `{"token":"t","limit":1.5}`, &rpc.OrgListParams{}, "limit", "wrong_type", "must be an integer"},
		{"an integer given too large a number is named", `{"token":"t","limit":1e400}`, &rpc.OrgListParams{}, "limit", "wrong_type", "must be an integer"},
		{"a string given an object is named", `{"email":{"a":1},"password":"p"}`, &rpc.LoginParams{}, "email", "wrong_type", "email must be a string"},
		{"a missing required field is named", `{"token":"t"}`, &rpc.OrgNameParams{}, "name", "required", "name is required"},
		{"an empty required field counts as missing", `{"token":"t","name":""}`, &rpc.OrgNameParams{}, "name", "required", "name is required"},
		{"the first missing field in order is named", `{"token":"t","name":"a"}`, &rpc.OrgDeleteParams{}, "confirm", "required", "confirm is required"},
		{"missing params are an empty object", ``, &rpc.LoginParams{}, "email", "required", "email is required"},
		{"null params are an empty object", `null`, &rpc.LoginParams{}, "email", "required", "email is required"},
		{"params by position are refused", `["t","Acme"]`, &rpc.OrgNameParams{}, "", "not_an_object", "object"},
		{"params as a string are refused", `"Acme"`, &rpc.OrgNameParams{}, "", "not_an_object", "object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := wantParamsError(t, decodeParams(json.RawMessage(tt.params), tt.into), tt.field, tt.reason)
			if !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("message %q does not say %q", e.Message, tt.msg)
			}
		})
	}

	accepted := []struct {
		name   string
		params string
		into   any
	}{
		{"the token is not required: authentication answers for it", `{"name":"Acme"}`, &rpc.OrgNameParams{}},
		{"fields with omitempty are optional", `{"token":"t"}`, &rpc.OrgListParams{}},
		{"methods without params take none", ``, &rpc.HealthParams{}},
		{"methods without params take an empty object", `{}`, &rpc.DiscoverParams{}},
		{"org.create goes without a token", `{"name":"a","admin_email":"e@example.com","admin_password":"p"}`, &rpc.OrgCreateParams{}},
		{"space around params is ignored", "  \n{\"name\":\"Acme\"}  ", &rpc.OrgNameParams{}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			if err := decodeParams(json.RawMessage(tt.params), tt.into); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRequiredFields(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"login needs email and password", reflect.TypeFor[rpc.LoginParams](), "email password"},
		{"org.get needs a name, not a token", reflect.TypeFor[rpc.OrgNameParams](), "name"},
		{"org.list needs nothing but a token", reflect.TypeFor[rpc.OrgListParams](), ""},
		{"org.update needs only a name", reflect.TypeFor[rpc.OrgUpdateParams](), "name"},
		{"org.delete needs a name and a confirmation", reflect.TypeFor[rpc.OrgDeleteParams](), "name confirm"},
		{"org.create needs a name and an admin", reflect.TypeFor[rpc.OrgCreateParams](), "name admin_email admin_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var names []string
			for _, f := range requiredFields(tt.typ) {
				names = append(names, f.name)
			}
			if got := strings.Join(names, " "); got != tt.want {
				t.Fatalf("required %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tests := []struct {
		name string
		err  error
		code int64
		msg  string // empty: the error's own message
		data *rpc.ErrorData
	}{
		{"invalid input names the field", org.Invalidf("name", "too_long", "name too long"), rpc.CodeInvalidParams, "",
			&rpc.ErrorData{Field: "name", Reason: "too_long"}},
		{"a wrapped domain error keeps its code", fmt.Errorf("create: %w", org.Invalidf("admin_email", "format", "bad email")), rpc.CodeInvalidParams, "bad email",
			&rpc.ErrorData{Field: "admin_email", Reason: "format"}},
		{"unauthenticated is -32001", org.Errorf(org.EUNAUTHENTICATED, "log in"), rpc.CodeUnauthenticated, "", nil},
		{"forbidden is -32003", org.Errorf(org.EFORBIDDEN, "no"), rpc.CodeForbidden, "", nil},
		{"forbidden with a reason carries it", &org.Error{Code: org.EFORBIDDEN, Reason: "max_tenants", Message: "full"}, rpc.CodeForbidden, "",
			&rpc.ErrorData{Reason: "max_tenants"}},
		{"not found is -32004", org.Errorf(org.ENOTFOUND, "no such"), rpc.CodeNotFound, "", nil},
		{"a conflict names the field and the existing organization", org.ConflictSlug("name", "Space X"), rpc.CodeConflict, "",
			&rpc.ErrorData{Field: "name", Reason: "taken", Existing: "Space X"}},
		{"a busy conflict says so", &org.Error{Code: org.ECONFLICT, Reason: "busy", Message: "busy"}, rpc.CodeConflict, "",
			&rpc.ErrorData{Reason: "busy"}},
		{"throttling rounds the wait up to whole seconds", &org.Error{Code: org.ETHROTTLED, RetryAfter: 1200 * time.Millisecond, Message: "wait"}, rpc.CodeTooManyAttempts, "",
			&rpc.ErrorData{RetryAfterS: 2}},
		{"throttling asks for at least a second", &org.Error{Code: org.ETHROTTLED, RetryAfter: time.Millisecond, Message: "wait"}, rpc.CodeTooManyAttempts, "",
			&rpc.ErrorData{RetryAfterS: 1}},
		{"an unreachable store is -32050", fmt.Errorf("insert: %w: connection refused", org.ErrUnavailable), rpc.CodeStoreUnavailable, org.ErrUnavailable.Message, nil},
		{"busy is -32053 with the wait in milliseconds", fmt.Errorf("x: %w", org.ErrBusy(1500*time.Millisecond, "queue full")), rpc.CodeBusy, "",
			&rpc.ErrorData{RetryAfterMS: 1500}},
		{"an unknown outcome is -32052 with the organization's state", &org.Error{Code: org.EUNCERTAIN, State: "renaming", Existing: "Acme", Message: "may have happened"},
			rpc.CodeOutcomeUnknown, "", &rpc.ErrorData{Existing: "Acme", State: "renaming"}},
		{"an internal error tells nothing of itself", errors.New("mongo: secret internals at 10.0.0.1"), rpc.CodeInternalError, "internal error", nil},
		{"an internal domain error tells nothing of itself", org.Errorf(org.EINTERNAL, "secret internals"), rpc.CodeInternalError, "internal error", nil},
		{"a deadline says the request took too long", fmt.Errorf("store: %w", context.DeadlineExceeded), rpc.CodeInternalError, "the request took longer than --request-timeout", nil},
		{"a cancellation says so", context.Canceled, rpc.CodeInternalError, "the request was cancelled", nil},
		{"a JSON-RPC error passes as it is", &rpc.Error{Code: rpc.CodeInvalidParams, Message: "params", Data: &rpc.ErrorData{Field: "x"}}, rpc.CodeInvalidParams, "params",
			&rpc.ErrorData{Field: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			je := s.toRPCError("test.method", "1", tt.err)
			if je.Code != tt.code {
				t.Fatalf("code %d, want %d", je.Code, tt.code)
			}
			msg := tt.msg
			if msg == "" {
				msg = org.ErrorMessage(tt.err)
			}
			if je.Message != msg {
				t.Fatalf("message %q, want %q", je.Message, msg)
			}
			var data *rpc.ErrorData
			if je.Data != nil {
				if err := json.Unmarshal(*je.Data, &data); err != nil {
					t.Fatal(err)
				}
			}
			if fmt.Sprint(data) != fmt.Sprint(tt.data) {
				t.Fatalf("data %+v, want %+v", data, tt.data)
			}
		})
	}
}

// FuzzDecodeParams checks that decodeParams never panics, refuses only
// with -32602, names the field for a wrong type, and accepts only params
// whose required fields are set.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{
		`{"token":"t","name":"Acme","new_name":"B","admin_email":"e@example.com","admin_password":"secret12"}`,
		`{"token":"t","query":"a","limit":50,"cursor":"x"}`,
		`{"email":"a@example.com","password":"p"}`,
		`{"name":5}`, `{"limit":"x"}`, `{"colour":1}`, `{"name":null}`, `{"new_name":null}`, `{"NAME":"a"}`,
		`[]`, `null`, ``, `"x"`, `{`, `{"name":"a"} {}`, `{"name":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return new(rpc.LoginParams) },
		func() any { return new(rpc.OrgNameParams) },
		func() any { return new(rpc.OrgListParams) },
		func() any { return new(rpc.OrgUpdateParams) },
		func() any { return new(rpc.OrgDeleteParams) },
		func() any { return new(rpc.OrgCreateParams) },
		func() any { return new(rpc.HealthParams) },
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, target := range targets {
			p := target()
			err := decodeParams(raw, p)
			if err != nil {
				var e *rpc.Error
				if !errors.As(err, &e) || e.Code != rpc.CodeInvalidParams || e.Message == "" {
					t.Fatalf("%T from %q: %v, want -32602 with a message", p, raw, err)
				}
				// (An unknown member may be named "", so it is not checked.)
				if e.Data != nil && (e.Data.Reason == "wrong_type" || e.Data.Reason == "required") && e.Data.Field == "" {
					t.Fatalf("%T from %q: %q names no field", p, raw, e.Message)
				}
				continue
			}
			v := reflect.ValueOf(p).Elem()
			for _, f := range requiredFields(v.Type()) {
				if v.Field(f.index).IsZero() {
					t.Fatalf("%T from %q: accepted without %s", p, raw, f.name)
				}
			}
			again, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			q := target()
			if err := decodeParams(again, q); err != nil || !reflect.DeepEqual(p, q) {
				t.Fatalf("%T from %q: re-encoded as %s, it decodes to %+v, %v", p, raw, again, q, err)
			}
		}
	})
}
