// Package document holds tenant documents the way the store keeps them
// (BSON, keys in their order) and reads and writes them as MongoDB Extended
// JSON v2: relaxed or canonical on the way in, canonical on the way out, so
// that ObjectIds, dates, decimals and binary keep their types exactly.
//
// It is the one place that wraps the BSON library of the MongoDB Go driver
// for the rest of orgd: the domain (internal/org) inspects filters, updates
// and documents through it without knowing the driver or the database, and
// the store (internal/mongo) hands its bytes to the driver as they are.
package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Document is a BSON document. The zero Document is no document at all
// (an omitted filter, say), which IsZero reports; an empty one is {}.
type Document struct {
	raw bson.Raw
}

// Error says why a text is not an Extended JSON document. Reason is a short
// word for machines: "not_an_object", "invalid_json" or
// "invalid_extended_json".
type Error struct {
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Parse reads one Extended JSON v2 document, relaxed or canonical (and the
// legacy forms the driver accepts, as mongoexport wrote them before v2).
// The text must be a single JSON object, surrounded by white space at most.
func Parse(data []byte) (Document, error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 || text[0] != '{' {
		return Document{}, &Error{Reason: "not_an_object", Message: "must be a JSON object"}
	}
	// The driver's reader stops after the first value and ignores what
	// follows; the whole text must be one value.
	if !json.Valid(text) {
		return Document{}, &Error{Reason: "invalid_json", Message: "is not valid JSON"}
	}
	// Strings in BSON are UTF-8; the reader would keep broken bytes, which
	// MongoDB refuses and the writer turns into U+FFFD.
	if !utf8.Valid(text) {
		return Document{}, &Error{Reason: "invalid_json", Message: "is not valid UTF-8"}
	}
	var raw bson.Raw
	if err := bson.UnmarshalExtJSON(text, false, &raw); err != nil {
		return Document{}, &Error{Reason: "invalid_extended_json", Message: "is not valid Extended JSON: " + err.Error()}
	}
	if err := raw.Validate(); err != nil {
		return Document{}, &Error{Reason: "invalid_extended_json", Message: "is not valid Extended JSON: " + err.Error()}
	}
	return Document{raw: raw}, nil
}

// MustParse is Parse for texts known to be valid, such as constants in
// tests; it panics otherwise.
func MustParse(text string) Document {
	d, err := Parse([]byte(text))
	if err != nil {
		panic(fmt.Sprintf("document.MustParse(%q): %v", text, err))
	}
	return d
}

// FromBSON returns the document whose BSON encoding is b, which it checks.
// The document keeps b: the caller must not change it afterwards.
func FromBSON(b []byte) (Document, error) {
	raw := bson.Raw(b)
	if err := raw.Validate(); err != nil {
		return Document{}, fmt.Errorf("invalid BSON document: %w", err)
	}
	return Document{raw: raw}, nil
}

// BSON returns the document's BSON encoding; nil for the zero Document.
// The caller must not change it.
func (d Document) BSON() []byte { return d.raw }

// IsZero reports whether d is no document at all.
func (d Document) IsZero() bool { return d.raw == nil }

// Empty reports whether d has no keys (or is no document at all).
func (d Document) Empty() bool { return len(d.raw) <= 5 }

// Size is the length of the document's BSON encoding, in bytes.
func (d Document) Size() int { return len(d.raw) }

// JSON returns the document as canonical Extended JSON v2 on one line, the
// format mongoexport --jsonFormat=canonical writes. The zero Document is
// null.
func (d Document) JSON() ([]byte, error) {
	if d.raw == nil {
		return []byte("null"), nil
	}
	b, err := bson.MarshalExtJSON(d.raw, true, false)
	if err != nil {
		return nil, fmt.Errorf("write Extended JSON: %w", err)
	}
	return b, nil
}

// String returns the canonical Extended JSON of d, or a description of why
// there is none.
func (d Document) String() string {
	b, err := d.JSON()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// Keys returns the document's own keys, in order.
func (d Document) Keys() []string {
	elems, err := d.raw.Elements()
	if err != nil {
		return nil
	}
	keys := make([]string, len(elems))
	for i, e := range elems {
		keys[i] = e.Key()
	}
	return keys
}

// Lookup returns the value of one of the document's own keys (the first,
// should the key repeat).
func (d Document) Lookup(key string) (Value, bool) {
	if d.raw == nil {
		return Value{}, false
	}
	v, err := d.raw.LookupErr(key)
	if err != nil {
		return Value{}, false
	}
	return Value{raw: v}, true
}

// Element is one key of a document, or one item of an array, met by Visit.
type Element struct {
	// Path leads from the top document to this element; its last item is
	// the element's own key (an array item's index, in decimal).
	Path []string
	// Depth is 1 for the top document's own keys and grows by one in each
	// nested document or array.
	Depth int
	// InArray is set for the items of arrays.
	InArray bool
	Value   Value
}

// Key is the element's own key.
func (e Element) Key() string { return e.Path[len(e.Path)-1] }

// ErrStop may be returned by a Visit callback to stop the walk early
// without an error.
var ErrStop = errors.New("stop")

// Visit calls fn for every element of d and, depth first in document order,
// of the documents and arrays nested in it, down to any depth. The scope
// of JavaScript code is data, not a document of the query: Visit does not
// enter it. Visit stops at the first error fn returns and returns it
// (ErrStop: nil). fn must not keep e.Path, which Visit reuses.
func (d Document) Visit(fn func(e Element) error) error {
	if d.raw == nil {
		return nil
	}
	path := make([]string, 0, 8)
	err := visit(d.raw, false, 1, path, fn)
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

func visit(raw bson.Raw, array bool, depth int, path []string, fn func(Element) error) error {
	elems, err := raw.Elements()
	if err != nil {
		return fmt.Errorf("invalid BSON document: %w", err)
	}
	for _, e := range elems {
		v := e.Value()
		p := append(path, e.Key())
		if err := fn(Element{Path: p, Depth: depth, InArray: array, Value: Value{raw: v}}); err != nil {
			return err
		}
		switch v.Type {
		case bson.TypeEmbeddedDocument:
			if err := visit(v.Document(), false, depth+1, p, fn); err != nil {
				return err
			}
		case bson.TypeArray:
			if err := visit(bson.Raw(v.Array()), true, depth+1, p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// Depth is how deep documents and arrays nest in d: 1 for a document of
// scalars, 0 for the zero Document.
func (d Document) Depth() int {
	if d.raw == nil {
		return 0
	}
	deepest := 1
	_ = d.Visit(func(e Element) error {
		if t := e.Value.raw.Type; (t == bson.TypeEmbeddedDocument || t == bson.TypeArray) && e.Depth+1 > deepest {
			deepest = e.Depth + 1
		}
		return nil
	})
	return deepest
}

// Value is one BSON value.
type Value struct {
	raw bson.RawValue
}

// ValueFromBSON returns the value of BSON type t encoded as b. The value
// keeps b: the caller must not change it afterwards.
func ValueFromBSON(t byte, b []byte) (Value, error) {
	v := bson.RawValue{Type: bson.Type(t), Value: b}
	if err := v.Validate(); err != nil {
		return Value{}, fmt.Errorf("invalid BSON value: %w", err)
	}
	return Value{raw: v}, nil
}

// IsZero reports whether v is no value at all.
func (v Value) IsZero() bool { return v.raw.Type == 0 }

// Type names the value's BSON type as MongoDB's $type operator does:
// "double", "string", "object", "array", "binData", "undefined",
// "objectId", "bool", "date", "null", "regex", "dbPointer", "javascript",
// "symbol", "javascriptWithScope", "int", "timestamp", "long", "decimal",
// "minKey" or "maxKey".
func (v Value) Type() string { return TypeName(byte(v.raw.Type)) }

// TypeName names the BSON type t as MongoDB's $type operator does (see
// Value.Type).
func TypeName(t byte) string {
	switch bson.Type(t) {
	case bson.TypeDouble:
		return "double"
	case bson.TypeString:
		return "string"
	case bson.TypeEmbeddedDocument:
		return "object"
	case bson.TypeArray:
		return "array"
	case bson.TypeBinary:
		return "binData"
	case bson.TypeUndefined:
		return "undefined"
	case bson.TypeObjectID:
		return "objectId"
	case bson.TypeBoolean:
		return "bool"
	case bson.TypeDateTime:
		return "date"
	case bson.TypeNull:
		return "null"
	case bson.TypeRegex:
		return "regex"
	case bson.TypeDBPointer:
		return "dbPointer"
	case bson.TypeJavaScript:
		return "javascript"
	case bson.TypeSymbol:
		return "symbol"
	case bson.TypeCodeWithScope:
		return "javascriptWithScope"
	case bson.TypeInt32:
		return "int"
	case bson.TypeTimestamp:
		return "timestamp"
	case bson.TypeInt64:
		return "long"
	case bson.TypeDecimal128:
		return "decimal"
	case bson.TypeMinKey:
		return "minKey"
	case bson.TypeMaxKey:
		return "maxKey"
	}
	return "0x" + strconv.FormatUint(uint64(t), 16)
}

// IsNaN reports whether v is a double that is not a number (decimals are
// never NaN here; the embedded store cannot hold them at all).
func (v Value) IsNaN() bool {
	f, ok := v.raw.DoubleOK()
	return ok && math.IsNaN(f)
}

// Number returns v as a float64, when it is an int, a long or a double.
func (v Value) Number() (float64, bool) {
	switch v.raw.Type {
	case bson.TypeInt32:
		return float64(v.raw.Int32()), true
	case bson.TypeInt64:
		return float64(v.raw.Int64()), true
	case bson.TypeDouble:
		return v.raw.Double(), true
	}
	return 0, false
}

// JSON returns the value as canonical Extended JSON v2.
func (v Value) JSON() ([]byte, error) {
	if v.raw.Type == 0 {
		return []byte("null"), nil
	}
	// The driver writes documents only: write {"v": value} and cut the
	// value out of it.
	doc := bson.Raw(bsonDoc("v", v.raw))
	b, err := bson.MarshalExtJSON(doc, true, false)
	if err != nil {
		return nil, fmt.Errorf("write Extended JSON: %w", err)
	}
	const prefix, suffix = `{"v":`, `}`
	if !bytes.HasPrefix(b, []byte(prefix)) || !bytes.HasSuffix(b, []byte(suffix)) {
		return nil, fmt.Errorf("write Extended JSON: unexpected %q", b)
	}
	return b[len(prefix) : len(b)-len(suffix)], nil
}

// bsonDoc encodes the document {key: v}.
func bsonDoc(key string, v bson.RawValue) []byte {
	n := 4 + 1 + len(key) + 1 + len(v.Value) + 1
	b := make([]byte, 0, n)
	b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	b = append(b, byte(v.Type))
	b = append(b, key...)
	b = append(b, 0)
	b = append(b, v.Value...)
	return append(b, 0)
}
