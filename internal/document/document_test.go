package document_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/internal/document"
)

// canonical is one document per BSON type the driver supports, in
// canonical Extended JSON v2 as the driver writes it.
var canonical = []struct{ name, text string }{
	{"a double", `{"v":{"$numberDouble":"1.5"}}`},
	{"a negative zero", `{"v":{"$numberDouble":"-0.0"}}`},
	{"NaN", `{"v":{"$numberDouble":"NaN"}}`},
	{"infinity", `{"v":{"$numberDouble":"-Infinity"}}`},
	{"a string with escapes", `{"v":"a<b&c>\"\\\n\u2028é😀"}`},
	{"a document", `{"v":{"a":{"$numberInt":"1"},"b":{"c":"d"}}}`},
	{"an array", `{"v":[{"$numberInt":"1"},"two",[{"$numberInt":"3"}]]}`},
	{"binary of subtype 0", `{"v":{"$binary":{"base64":"AQID","subType":"00"}}}`},
	{"binary of subtype 4 (UUID)", `{"v":{"$binary":{"base64":"c//SZESzTGmQ6OfR38A11A==","subType":"04"}}}`},
	{"binary of a user subtype", `{"v":{"$binary":{"base64":"AQ==","subType":"80"}}}`},
	{"undefined", `{"v":{"$undefined":true}}`},
	{"an ObjectId", `{"v":{"$oid":"5d505646cf6d4fe581014ab2"}}`},
	{"a boolean", `{"v":true}`},
	{"a date", `{"v":{"$date":{"$numberLong":"1577836800000"}}}`},
	{"a date before 1970", `{"v":{"$date":{"$numberLong":"-62135596800000"}}}`},
	{"null", `{"v":null}`},
	{"a regular expression", `{"v":{"$regularExpression":{"pattern":"^a.*b$","options":"im"}}}`},
	{"a DBPointer", `{"v":{"$dbPointer":{"$ref":"c","$id":{"$oid":"5d505646cf6d4fe581014ab2"}}}}`},
	{"JavaScript code", `{"v":{"$code":"function() { return 1; }"}}`},
	{"a symbol", `{"v":{"$symbol":"sym"}}`},
	{"code with scope", `{"v":{"$code":"x + 1","$scope":{"x":{"$numberInt":"1"}}}}`},
	{"an int32", `{"v":{"$numberInt":"-2147483648"}}`},
	{"a timestamp", `{"v":{"$timestamp":{"t":1577836800,"i":7}}}`},
	{"an int64", `{"v":{"$numberLong":"9223372036854775807"}}`},
	{"a decimal", `{"v":{"$numberDecimal":"1.50"}}`},
	{"a decimal NaN", `{"v":{"$numberDecimal":"NaN"}}`},
	{"MinKey", `{"v":{"$minKey":1}}`},
	{"MaxKey", `{"v":{"$maxKey":1}}`},
	{"keys in their order", `{"z":{"$numberInt":"1"},"a":{"$numberInt":"2"},"m":{"$numberInt":"3"}}`},
}

func TestCanonicalExtendedJSONRoundTripsByteForByte(t *testing.T) {
	t.Parallel()
	for _, tc := range canonical {
		t.Run(tc.name, func(t *testing.T) {
			d, err := document.Parse([]byte(tc.text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := d.JSON()
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			if string(got) != tc.text {
				t.Errorf("JSON = %s, want %s", got, tc.text)
			}
			want, err := bson.MarshalExtJSON(bson.Raw(d.BSON()), true, false)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("the driver writes %s (%v)", want, err)
			}
		})
	}
}

func TestRelaxedAndLegacyFormsReadAsTheirCanonicalForms(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"a small integer is an int32", `{"n": 1}`, `{"n":{"$numberInt":"1"}}`},
		{"a large integer is an int64", `{"n": 3000000000}`, `{"n":{"$numberLong":"3000000000"}}`},
		{"a fraction is a double", `{"n": 1.0}`, `{"n":{"$numberDouble":"1.0"}}`},
		{"a relaxed date", `{"d": {"$date": "2020-01-01T00:00:00Z"}}`, `{"d":{"$date":{"$numberLong":"1577836800000"}}}`},
		{"a legacy date in milliseconds", `{"d": {"$date": 1234}}`, `{"d":{"$date":{"$numberLong":"1234"}}}`},
		{"legacy binary", `{"b": {"$binary": "AQ==", "$type": "00"}}`, `{"b":{"$binary":{"base64":"AQ==","subType":"00"}}}`},
		{"white space around the object", " \n{\"a\": \"b\"}\t ", `{"a":"b"}`},
		{"an escaped dollar is a dollar", `{"\u0024set": {"a": 1}}`, `{"$set":{"a":{"$numberInt":"1"}}}`},
		{"query operators stay operators", `{"a": {"$type": "string", "$regex": "^x", "$options": "i"}}`, `{"a":{"$type":"string","$regex":"^x","$options":"i"}}`},
		{"a repeated key is kept twice", `{"a": 1, "a": 2}`, `{"a":{"$numberInt":"1"},"a":{"$numberInt":"2"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := document.Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.in, err)
			}
			if got := d.String(); got != tc.want {
				t.Errorf("Parse(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseRefusesWhatIsNotOneExtendedJSONDocument(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, reason string }{
		{"nothing", ``, "not_an_object"},
		{"an array", `[{"a": 1}]`, "not_an_object"},
		{"a string", `"x"`, "not_an_object"},
		{"broken JSON", `{"a": }`, "invalid_json"},
		{"a second value after the document", `{"a": 1} {"b": 2}`, "invalid_json"},
		{"an ObjectId that is not hex", `{"a": {"$oid": "zz"}}`, "invalid_extended_json"},
		{"a wrapper with extra keys", `{"a": {"$numberLong": "1", "x": 1}}`, "invalid_extended_json"},
		{"a key holding NUL", `{"$where\u0000x": 1}`, "invalid_extended_json"},
		{"a number out of range", `{"a": 1e400}`, "invalid_extended_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := document.Parse([]byte(tc.in))
			var de *document.Error
			if !errors.As(err, &de) || de.Reason != tc.reason {
				t.Fatalf("Parse(%q) = %v, want reason %s", tc.in, err, tc.reason)
			}
		})
	}
}

func TestVisitWalksEveryKeyDepthFirstWithItsPath(t *testing.T) {
	t.Parallel()
	d := document.MustParse(`{"a": {"b": [1, {"c": 2}]}, "d": {"$code": "x", "$scope": {"e": 1}}}`)
	var got []string
	if err := d.Visit(func(e document.Element) error {
		got = append(got, strings.Join(e.Path, ".")+"@"+string(rune('0'+e.Depth)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "a@1 a.b@2 a.b.0@3 a.b.1@3 a.b.1.c@4 d@1"
	if strings.Join(got, " ") != want {
		t.Errorf("visited %v, want %s (a scope is data: not entered)", got, want)
	}
	if n := d.Depth(); n != 4 {
		t.Errorf("Depth = %d, want 4", n)
	}
	if n := document.MustParse(`{}`).Depth(); n != 1 {
		t.Errorf("Depth of {} = %d, want 1", n)
	}
	stopped := 0
	_ = d.Visit(func(document.Element) error { stopped++; return document.ErrStop })
	if stopped != 1 {
		t.Errorf("ErrStop let Visit go on to %d elements", stopped)
	}
}

func TestValuesWriteAsCanonicalExtendedJSON(t *testing.T) {
	t.Parallel()
	d := document.MustParse(`{"_id": {"$oid": "5d505646cf6d4fe581014ab2"}, "n": 7, "s": "x<y", "o": {"a": [1]}}`)
	for key, want := range map[string]string{
		"_id": `{"$oid":"5d505646cf6d4fe581014ab2"}`,
		"n":   `{"$numberInt":"7"}`,
		"s":   `"x<y"`,
		"o":   `{"a":[{"$numberInt":"1"}]}`,
	} {
		v, ok := d.Lookup(key)
		if !ok {
			t.Fatalf("Lookup(%s) found nothing", key)
		}
		got, err := v.JSON()
		if err != nil || string(got) != want {
			t.Errorf("%s: JSON = %s (%v), want %s", key, got, err, want)
		}
	}
	if _, ok := d.Lookup("missing"); ok {
		t.Error("Lookup found a missing key")
	}
	if got, _ := (document.Value{}).JSON(); string(got) != "null" {
		t.Errorf("the zero Value writes %s, want null", got)
	}
	if got, _ := (document.Document{}).JSON(); string(got) != "null" {
		t.Errorf("the zero Document writes %s, want null", got)
	}
	if !(document.Document{}).IsZero() || !(document.Document{}).Empty() || !document.MustParse(`{}`).Empty() || document.MustParse(`{}`).IsZero() {
		t.Error("IsZero and Empty disagree with the zero Document and {}")
	}
	if keys := d.Keys(); strings.Join(keys, ",") != "_id,n,s,o" {
		t.Errorf("Keys = %v", keys)
	}
}

// FuzzParse checks that whatever Parse accepts writes as canonical Extended
// JSON that reads back to the same BSON, byte for byte.
func FuzzParse(f *testing.F) {
	for _, tc := range canonical {
		f.Add([]byte(tc.text))
	}
	for _, s := range []string{`{"a": {"$gt": 1}}`, `{"$and": [{"$where": "1"}]}`, `{"a": {"$date": "2020-01-01T00:00:00Z"}}`,
		`{"a": 1e400}`, `[1]`, `{"a":1} x`, `{"a": {"$binary": "AQ==", "$type": "00"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := document.Parse(data)
		if err != nil {
			return
		}
		text, err := d.JSON()
		if err != nil {
			t.Fatalf("Parse(%q) accepted a document that cannot be written: %v", data, err)
		}
		again, err := document.Parse(text)
		if err != nil {
			t.Fatalf("the canonical form %s of %q does not read back: %v", text, data, err)
		}
		if !bytes.Equal(again.BSON(), d.BSON()) {
			t.Fatalf("%q and its canonical form %s read as different BSON", data, text)
		}
		_ = d.Visit(func(document.Element) error { return nil })
	})
}
