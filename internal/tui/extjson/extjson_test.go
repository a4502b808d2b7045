package extjson

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func kinds(toks []Token) string {
	names := map[TokenKind]string{Space: "_", Punct: "P", Key: "K", WrapperKey: "W", String: "S",
		WrappedString: "w", Number: "N", Literal: "L", Invalid: "X"}
	var b strings.Builder
	for _, t := range toks {
		if t.Kind != Space {
			b.WriteString(names[t.Kind])
		}
	}
	return b.String()
}

func TestTokensClassifyEveryPieceOfJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, kinds string
	}{
		{"a string key and a string value", `{"a": "b"}`, "PKPSP"},
		{"an escaped quote does not end a string", `{"a\"b": "c\"d\\"}`, "PKPSP"},
		{"a key is found across a line break before its colon", "{\"a\"\n  : 1}", "PKPNP"},
		{"unicode text and escapes stay strings", `{"名前": "é\u00e9 😀"}`, "PKPSP"},
		{"numbers larger than any integer type stay one number", `[123456789012345678901234567890, -0.5e-10, 1E+300]`, "PNPNPNP"},
		{"literals", `[true, false, null]`, "PLPLPLP"},
		{"a wrapper key and its string value", `{"_id": {"$oid": "65f1c0ffee00000000000001"}}`, "PKPPWPwPP"},
		{"a nested wrapper", `{"$date": {"$numberLong": "1710408413000"}}`, "PWPPWPwPP"},
		{"a value after a wrapper is plain again", `[{"$numberInt": "1"}, "x"]`, "PPWPwPPSP"},
		{"an escaped $ still names a wrapper", `{"\u0024oid": "x"}`, "PWPwP"},
		{"a $ key that is no wrapper is a key", `{"$set": {"a": 1}}`, "PKPPKPNPP"},
		{"a misspelt literal is invalid", `{"a": tru}`, "PKPXP"},
		{"a broken number is invalid", `[1.e5, 01x]`, "PXPXXP"},
		{"an unterminated string ends at the line's end", "{\"a\": \"open\n}", "PKPXP"},
		{"stray characters are invalid", `{'a': 1}`, "PXXXPNP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			toks := Tokens(tt.text)
			if got := kinds(toks); got != tt.kinds {
				t.Errorf("Tokens(%q) kinds = %s, want %s (%v)", tt.text, got, tt.kinds, toks)
			}
			var joined strings.Builder
			for _, tok := range toks {
				joined.WriteString(tok.Text)
			}
			if joined.String() != tt.text {
				t.Errorf("the tokens do not give the text back: %q", joined.String())
			}
		})
	}
}

func TestTokensNeverLoseText(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "\"", "\\", "{\"a\\", "\xff\xfe", "-", "1e", "[,]", "{\"a\":\"\\u12\"}", "ä\"ö\n\"ü"} {
		var joined strings.Builder
		for _, tok := range Tokens(text) {
			if tok.Text == "" {
				t.Errorf("Tokens(%q) has an empty token", text)
			}
			joined.WriteString(tok.Text)
		}
		if joined.String() != text {
			t.Errorf("Tokens(%q) joined = %q", text, joined.String())
		}
	}
}

func TestParseSaysWhereTheTextIsBroken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"a missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "after object key:value pair"},
		{"a trailing comma", `{"a": 1,}`, 1, 9, "looking for beginning of object key string"},
		{"text cut short", `{"a": [1, 2`, 1, 11, "unexpected end of JSON input"},
		{"a column counts characters, not bytes", `{"é": x}`, 1, 7, "invalid character 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.text))
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.text, err)
			}
			if se.Line != tt.line || se.Column != tt.col || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Parse(%q) = %v, want line %d, column %d, %q", tt.text, se, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestParseObjectRefusesOtherValues(t *testing.T) {
	t.Parallel()
	for _, text := range []string{`[]`, `"x"`, `1`, `null`} {
		if _, err := ParseObject([]byte(text)); err == nil || !strings.Contains(err.Error(), "object") {
			t.Errorf("ParseObject(%s) = %v, want a complaint that it is not an object", text, err)
		}
	}
	if v, err := ParseObject([]byte(` {"a": 1} `)); err != nil || v.Get("a").Raw != "1" {
		t.Errorf("ParseObject of an object = %v, %v", v, err)
	}
}

func TestPrettyIndentsRelaxesAndKeepsOrder(t *testing.T) {
	t.Parallel()
	canonical := `{"_id":{"$oid":"65f1c0ffee00000000000001"},"name":"Ada <&>","age":{"$numberInt":"36"},` +
		`"score":{"$numberDouble":"2.0"},"big":{"$numberLong":"5"},"when":{"$date":{"$numberLong":"1710408413120"}},` +
		`"old":{"$date":{"$numberLong":"-1000"}},"inf":{"$numberDouble":"Infinity"},"tags":["a",{"$numberInt":"1"}],` +
		`"empty":{},"none":[],"nested":{"z":null,"a":{"b":true}},"exact":123456789012345678901234567890}`
	got, err := Pretty([]byte(canonical))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "_id": {"$oid": "65f1c0ffee00000000000001"},
  "name": "Ada <&>",
  "age": 36,
  "score": 2.0,
  "big": {"$numberLong": "5"},
  "when": {"$date": "2024-03-14T09:26:53.12Z"},
  "old": {"$date": {"$numberLong": "-1000"}},
  "inf": {"$numberDouble": "Infinity"},
  "tags": [
    "a",
    1
  ],
  "empty": {},
  "none": [],
  "nested": {
    "z": null,
    "a": {
      "b": true
    }
  },
  "exact": 123456789012345678901234567890
}`
	if got != want {
		t.Errorf("Pretty =\n%s\nwant\n%s", got, want)
	}
}

// TestRelaxedTextRoundTripsEveryBSONType checks, with the driver's own
// Extended JSON reader, that what orgtui hands to the editor comes back as
// the very same document: no type changes on the way.
func TestRelaxedTextRoundTripsEveryBSONType(t *testing.T) {
	t.Parallel()
	oid, _ := bson.ObjectIDFromHex("65f1c0ffee00000000000001")
	dec, _ := bson.ParseDecimal128("1234567890.123456789")
	doc := bson.D{
		{Key: "_id", Value: oid},
		{Key: "int32", Value: int32(-7)},
		{Key: "int64small", Value: int64(5)},
		{Key: "int64big", Value: int64(math.MaxInt64)},
		{Key: "double", Value: 2.5},
		{Key: "wholeDouble", Value: 3.0},
		{Key: "negZero", Value: math.Copysign(0, -1)},
		{Key: "tinyDouble", Value: 5e-324},
		{Key: "hugeDouble", Value: 1.7976931348623157e308},
		{Key: "nan", Value: math.NaN()},
		{Key: "negInf", Value: math.Inf(-1)},
		{Key: "decimal", Value: dec},
		{Key: "string", Value: "quote \" backslash \\ tab \t é 😀 <&>"},
		{Key: "bool", Value: true},
		{Key: "null", Value: nil},
		{Key: "date", Value: bson.DateTime(1710408413123)},
		{Key: "dateBefore1970", Value: bson.DateTime(-86400000)},
		{Key: "dateAfter9999", Value: bson.DateTime(253402300800000)},
		{Key: "binary", Value: bson.Binary{Subtype: 0, Data: []byte{0, 1, 2, 255}}},
		{Key: "uuid", Value: bson.Binary{Subtype: 4, Data: make([]byte, 16)}},
		{Key: "regex", Value: bson.Regex{Pattern: "^a.*", Options: "i"}},
		{Key: "timestamp", Value: bson.Timestamp{T: 1710408413, I: 7}},
		{Key: "minKey", Value: bson.MinKey{}},
		{Key: "maxKey", Value: bson.MaxKey{}},
		{Key: "code", Value: bson.JavaScript("function() {}")},
		{Key: "symbol", Value: bson.Symbol("sym")},
		{Key: "array", Value: bson.A{int32(1), "two", bson.D{{Key: "three", Value: int64(3)}}}},
		{Key: "nested", Value: bson.D{{Key: "b", Value: 1.5}, {Key: "a", Value: bson.A{}}}},
	}
	canonical, err := bson.MarshalExtJSON(doc, true, false)
	if err != nil {
		t.Fatal(err)
	}
	pretty, err := Pretty(canonical)
	if err != nil {
		t.Fatal(err)
	}
	var back bson.D
	if err := bson.UnmarshalExtJSON([]byte(pretty), false, &back); err != nil {
		t.Fatalf("the driver cannot read the relaxed text: %v\n%s", err, pretty)
	}
	again, err := bson.MarshalExtJSON(back, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(canonical) {
		t.Errorf("the relaxed text does not give the document back:\nwent in   %s\ncame back %s\nrelaxed:\n%s", canonical, again, pretty)
	}
	if !strings.Contains(pretty, `"int32": -7,`) || !strings.Contains(pretty, `"wholeDouble": 3.0,`) {
		t.Errorf("ints and doubles are not relaxed:\n%s", pretty)
	}
}

func TestFormatDoubleRoundTrips(t *testing.T) {
	t.Parallel()
	for _, f := range []float64{0, 1, -1, 0.1, 1.0 / 3, 1e20, 1e21, 123456789, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -2.5e-300} {
		s := FormatDouble(f)
		if !strings.ContainsAny(s, ".eE") {
			t.Errorf("FormatDouble(%v) = %s has neither a point nor an exponent", f, s)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != f {
			t.Errorf("FormatDouble(%v) = %s reads back as %v (%v)", f, s, back, err)
		}
	}
}

func TestSummaryShortensEachValue(t *testing.T) {
	t.Parallel()
	v, err := Parse([]byte(`{"name":"Ada Lovelace, Countess of Lovelace","_id":{"$oid":"65f1c0ffee0000000000abcd"},` +
		`"n":{"$numberLong":"9007199254740993"},"at":{"$date":{"$numberLong":"1710408413000"}},"tags":["a","b"],` +
		`"addr":{"city":"London"},"none":{},"bin":{"$binary":{"base64":"AAECAw==","subType":"00"}},"ok":false,"line":"a\nb",` +
		`"ref":{"$oid":"65f1c0ffee0000000000ef01"},"re":{"$regularExpression":{"pattern":"^a","options":"i"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	id, fields := Summary(v)
	if id != "…0000abcd" {
		t.Errorf("the short _id is %q", id)
	}
	var got []string
	for _, f := range fields {
		got = append(got, f.Key+"="+f.Value)
	}
	want := []string{`name="Ada Lovelace, Countess …"`, "n=9007199254740993", "at=2024-03-14T09:26:53Z", "tags=[2]",
		"addr={…}", "none={}", "bin=Binary(4 B)", "ok=false", `line="a\nb"`, "ref=ObjectId(…0000ef01)", "re=/^a/i"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the fields are\n%q\nwant\n%q", got, want)
	}
	for _, tt := range []struct{ id, want string }{{`"a-string-id"`, `"a-string-id"`}, {`42`, `42`}, {`{"$numberLong":"7"}`, `7`}} {
		v, _ := Parse([]byte(tt.id))
		if got := ShortID(v); got != tt.want {
			t.Errorf("ShortID(%s) = %s, want %s", tt.id, got, tt.want)
		}
	}
}

func TestSameIgnoresSpellingButNotValue(t *testing.T) {
	t.Parallel()
	parse := func(s string) *Value {
		v, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	when := time.UnixMilli(1710408413000).UTC().Format(time.RFC3339)
	same := [][2]string{
		{`{"a": 1}`, "{\n  \"a\":1\n}"},
		{`{"a": {"$numberInt": "1"}}`, `{"a": 1}`},
		{`"\u00e9"`, `"é"`},
		{`{"$date": {"$numberLong": "1710408413000"}}`, `{"$date": "` + when + `"}`},
	}
	for _, p := range same {
		if !Same(parse(p[0]), parse(p[1])) {
			t.Errorf("Same(%s, %s) = false, want true", p[0], p[1])
		}
	}
	differ := [][2]string{
		{`{"a": 1}`, `{"a": 2}`},
		{`{"a": 1, "b": 2}`, `{"b": 2, "a": 1}`},
		{`{"a": 1}`, `{"a": 1.0}`},
		{`{"a": {"$numberLong": "1"}}`, `{"a": 1}`},
	}
	for _, p := range differ {
		if Same(parse(p[0]), parse(p[1])) {
			t.Errorf("Same(%s, %s) = true, want false", p[0], p[1])
		}
	}
}
