package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/orgd/orgd/rpc"
)

// decodeStrictly is how params were decoded before unmarshalKnown: always
// with a json.Decoder that disallows unknown fields.
func decodeStrictly(raw []byte, p any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(p)
}

// FuzzUnmarshalKnown holds unmarshalKnown to what a strict json.Decoder
// makes of the same bytes: the same values, and the same errors.
func FuzzUnmarshalKnown(f *testing.F) {
	for _, s := range []string{
		`{"token":"t","name":"Acme"}`, `{"token":"t","query":"a","limit":50,"cursor":"x"}`,
		`{"email":"a@example.com","password":"p"}`, `{"name":5}`, `{"limit":"x"}`, `{"colour":1}`,
		`{"NAME":"a"}`, `{"name":"a","name":"b"}`, `{"na\u006de":"a"}`, `{"name":tru}`, `{"name":"a"} {}`,
		`{"name":"a"}  `, ` { "name" : "a" , "token" : "t" } `, `{"name":{"x":[1,{"y":"}"}]}}`, `{}`, `{`,
		`{"name":"a",}`, `{"name":"\ud800"}`, `{"limit":1e400}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return new(rpc.LoginParams) },
		func() any { return new(rpc.OrgNameParams) },
		func() any { return new(rpc.OrgListParams) },
		func() any { return new(rpc.OrgUpdateParams) },
		func() any { return new(rpc.HealthParams) },
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, target := range targets {
			got, want := target(), target()
			gotErr, wantErr := unmarshalKnown(raw, got), decodeStrictly(raw, want)
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Fatalf("%T from %q: error %v, a strict decoder says %v", got, raw, gotErr, wantErr)
			}
			if gotErr == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%T from %q: %+v, a strict decoder makes %+v", got, raw, got, want)
			}
		}
	})
}

func TestUnmarshalKnownTakesTheQuickWayOnlyForExactNames(t *testing.T) {
	known := fieldNames(reflect.TypeFor[rpc.OrgNameParams]())
	for raw, want := range map[string]bool{
		`{"token":"t","name":"a"}`:       true,
		` {"name" : "a"} `:               true,
		`{}`:                             true,
		`{"Name":"a"}`:                   false, // encoding/json's case folding is the decoder's to judge
		`{"na\u006de":"a"}`:              false,
		`{"colour":1}`:                   false,
		`{"name":"a"} {}`:                false,
		`[{"name":"a"}]`:                 false,
		`{"name":"a"`:                    false,
		`{"name":{"token":1},"token":2}`: true,
	} {
		if got := onlyMembers([]byte(raw), known); got != want {
			t.Errorf("onlyMembers(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestDecodePlainTakesOnlyValuesThatNeedNoDecoding(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"token":"t","query":"Müller GmbH","limit":50,"cursor":"x"}`: true,
		` { "limit" : -0 } `:             true,
		`{}`:                             true,
		`{"query":"a\"b"}`:               false, // an escape
		`{"query":"a\u0041"}`:            false,
		"{\"query\":\"a\x01\"}":          false, // a control character: not JSON
		`{"query":"\xff"}`:               false, // not UTF-8
		`{"limit":1.0}`:                  false,
		`{"limit":007}`:                  false, // not JSON
		`{"limit":99999999999999999999}`: false,
		`{"limit":"5"}`:                  false,
		`{"query":null}`:                 false,
		`{"Query":"a"}`:                  false,
		`{"query":"a"} x`:                false,
		`{"query":"a",}`:                 false,
	} {
		var p rpc.OrgListParams
		if got := decodePlain([]byte(raw), reflect.ValueOf(&p).Elem()); got != want {
			t.Errorf("decodePlain(%q) = %v, want %v", raw, got, want)
		} else if !got && p != (rpc.OrgListParams{}) {
			t.Errorf("decodePlain(%q) refused it but changed the params to %+v", raw, p)
		}
	}
	var p rpc.OrgUpdateParams
	if !decodePlain([]byte(`{"token":"t","name":"a","new_name":"b"}`), reflect.ValueOf(&p).Elem()) ||
		p.Token != "t" || p.Name != "a" || p.NewName == nil || *p.NewName != "b" || p.AdminEmail != nil {
		t.Errorf("decoded %+v", p)
	}
}
