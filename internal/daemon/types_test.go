package daemon_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// bsonTypes is a value of every BSON type the driver supports, in
// canonical Extended JSON, with a relaxed spelling where there is one, and
// what the embedded engine (FerretDB v1) does with it: "" keeps it, a
// reason refuses it with -32602, "=…" stores it as that canonical value.
var bsonTypes = []struct {
	name, canonical, relaxed, ferret string
}{
	{"a double", `{"$numberDouble":"1.5"}`, `1.5`, ""},
	{"a double that is whole", `{"$numberDouble":"-2.0"}`, `-2.0`, ""},
	{"a tiny double", `{"$numberDouble":"5E-324"}`, `5e-324`, ""},
	{"negative zero", `{"$numberDouble":"-0.0"}`, `-0.0`, `={"$numberDouble":"0.0"}`},
	{"NaN", `{"$numberDouble":"NaN"}`, ``, "unsupported_value"},
	{"infinity", `{"$numberDouble":"Infinity"}`, ``, "refused_by_store"},
	{"minus infinity", `{"$numberDouble":"-Infinity"}`, ``, "refused_by_store"},
	{"a string with escapes and HTML", `"a<b&c>\"\\\n\u2028é😀"`, ``, ""},
	{"an empty string", `""`, ``, ""},
	{"a document with keys out of order", `{"z":{"$numberInt":"1"},"a":{"b":"c"}}`, `{"z": 1, "a": {"b": "c"}}`, ""},
	{"an empty document", `{}`, ``, ""},
	{"an array of mixed values", `[{"$numberInt":"1"},"two",{"x":null}]`, `[1, "two", {"x": null}]`, ""},
	{"an array in an array", `[[{"$numberInt":"1"}]]`, ``, "refused_by_store"},
	{"binary, generic", `{"$binary":{"base64":"AAEC/w==","subType":"00"}}`, `{"$binary": "AAEC/w==", "$type": "00"}`, ""},
	{"binary, function", `{"$binary":{"base64":"AQ==","subType":"01"}}`, ``, ""},
	{"binary, old", `{"$binary":{"base64":"AQ==","subType":"02"}}`, ``, ""},
	{"binary, old UUID", `{"$binary":{"base64":"c//SZESzTGmQ6OfR38A11A==","subType":"03"}}`, ``, ""},
	{"binary, UUID", `{"$binary":{"base64":"c//SZESzTGmQ6OfR38A11A==","subType":"04"}}`, ``, ""},
	{"binary, MD5", `{"$binary":{"base64":"c//SZESzTGmQ6OfR38A11A==","subType":"05"}}`, ``, ""},
	{"binary, encrypted", `{"$binary":{"base64":"AQ==","subType":"06"}}`, ``, ""},
	{"binary, column", `{"$binary":{"base64":"AQ==","subType":"07"}}`, ``, ""},
	{"binary, sensitive", `{"$binary":{"base64":"AQ==","subType":"08"}}`, ``, ""},
	{"binary, user defined", `{"$binary":{"base64":"AQ==","subType":"80"}}`, ``, ""},
	{"undefined", `{"$undefined":true}`, ``, "unsupported_type"},
	{"an ObjectId", `{"$oid":"5d505646cf6d4fe581014ab2"}`, ``, ""},
	{"true", `true`, ``, ""},
	{"false", `false`, ``, ""},
	{"a date", `{"$date":{"$numberLong":"1577836800123"}}`, `{"$date": "2020-01-01T00:00:00.123Z"}`, ""},
	{"a date before 1970", `{"$date":{"$numberLong":"-62135596800000"}}`, ``, ""},
	{"null", `null`, ``, ""},
	{"a regular expression", `{"$regularExpression":{"pattern":"^a.*b$","options":"imsx"}}`, ``, ""},
	{"a DBPointer", `{"$dbPointer":{"$ref":"c","$id":{"$oid":"5d505646cf6d4fe581014ab2"}}}`, ``, "unsupported_type"},
	{"JavaScript code", `{"$code":"function () { return 1; }"}`, ``, "unsupported_type"},
	{"a symbol", `{"$symbol":"sym"}`, ``, "unsupported_type"},
	{"code with scope", `{"$code":"x + 1","$scope":{"x":{"$numberInt":"1"}}}`, ``, "unsupported_type"},
	{"the smallest int32", `{"$numberInt":"-2147483648"}`, `-2147483648`, ""},
	{"a timestamp", `{"$timestamp":{"t":1577836800,"i":7}}`, ``, ""},
	{"the largest int64", `{"$numberLong":"9223372036854775807"}`, `9223372036854775807`, ""},
	{"a decimal", `{"$numberDecimal":"1.50"}`, ``, "unsupported_type"},
	{"a decimal NaN", `{"$numberDecimal":"NaN"}`, ``, "unsupported_type"},
	{"MinKey", `{"$minKey":1}`, ``, "unsupported_type"},
	{"MaxKey", `{"$maxKey":1}`, ``, "unsupported_type"},
}

func TestEveryBSONTypeRoundTripsThroughExtendedJSON(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	c := d.Client(t)
	op := d.Operator(t)
	o := create(t, c, op, "Acme")
	ctx := ctxT(t)
	ferret := d.Store().Engine() == "ferretdb"
	coll := tenantCollection(t, d, o.ID)

	for i, tc := range bsonTypes {
		t.Run(tc.name, func(t *testing.T) {
			forms := []string{tc.canonical}
			if tc.relaxed != "" {
				forms = append(forms, tc.relaxed)
			}
			for j, form := range forms {
				id := i*10 + j
				in := fmt.Sprintf(`{"_id": %d, "v": %s}`, id, form)
				want := tc.canonical
				if ferret && len(tc.ferret) > 1 && tc.ferret[0] == '=' {
					want = tc.ferret[1:]
				}
				wantDoc := fmt.Sprintf(`{"_id":{"$numberInt":"%d"},"v":%s}`, id, want)

				_, err := c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: "Acme", Documents: raws(in)})
				if ferret && tc.ferret != "" && tc.ferret[0] != '=' {
					e := wantCode(t, err, rpc.CodeInvalidParams)
					if e.Data == nil || e.Data.Field != "documents[0]" || e.Data.Reason != tc.ferret {
						t.Fatalf("the embedded engine's refusal: %q %+v, want reason %s", e.Message, e.Data, tc.ferret)
					}
					return
				}
				if err != nil {
					t.Fatalf("insert %s: %v", in, err)
				}
				found, err := c.FindDocuments(ctx, rpc.DataFindParams{Token: op, Org: "Acme", Filter: json.RawMessage(fmt.Sprintf(`{"_id": %d}`, id))})
				if err != nil || len(found.Documents) != 1 {
					t.Fatalf("find %d: %v", id, err)
				}
				if got := string(found.Documents[0]); got != wantDoc {
					t.Errorf("from %s\ndata.find gave %s\n      want %s", in, got, wantDoc)
				}
				var raw bson.Raw
				if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&raw); err != nil {
					t.Fatal(err)
				}
				direct, err := bson.MarshalExtJSON(raw, true, false)
				if err != nil || string(direct) != wantDoc {
					t.Errorf("the driver reads %s (%v), want %s", direct, err, wantDoc)
				}
			}
		})
	}
}
