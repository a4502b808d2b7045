package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"
)

// unmarshalKnown decodes the object raw into p, refusing members p has no
// field for. When every member is spelled exactly as one of p's JSON
// names, json.Unmarshal decodes it (a decoder, its buffer and its copy of
// raw cost more than the rest of a small request); any other spelling, in
// another case say, goes to a json.Decoder that disallows unknown fields,
// which matches names as encoding/json does and names the one it does not
// know. Both decode alike what they both accept.
func unmarshalKnown(raw []byte, p any) error {
	known := fieldNames(reflect.TypeOf(p).Elem())
	if onlyMembers(raw, known) {
		return json.Unmarshal(raw, p)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(p)
}

var fieldNameCache sync.Map // reflect.Type → map[string]bool

// fieldNames returns the JSON names of a struct type's fields.
func fieldNames(t reflect.Type) map[string]bool {
	if v, ok := fieldNameCache.Load(t); ok {
		return v.(map[string]bool)
	}
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _ := jsonField(f); f.IsExported() && !f.Anonymous && name != "-" {
			names[name] = true
		}
	}
	fieldNameCache.Store(t, names)
	return names
}

// onlyMembers reports whether raw is one JSON object, with nothing but
// space after it, whose member names are all in known and written
// without escapes. It reports false for anything else, including what is
// not JSON: it only picks the way raw is decoded.
func onlyMembers(raw []byte, known map[string]bool) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return skipSpace(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return false
		}
		end := stringEnd(raw, i)
		if end > len(raw) || end-i < 2 || raw[end-1] != '"' {
			return false
		}
		name := raw[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 || !known[string(name)] {
			return false
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipSpace(raw, i+1)
		if i >= len(raw) {
			return false
		}
		i = skipSpace(raw, valueEnd(raw, i))
		if i >= len(raw) {
			return false
		}
		switch raw[i] {
		case '}':
			return skipSpace(raw, i+1) == len(raw)
		case ',':
			i = skipSpace(raw, i+1)
		default:
			return false
		}
	}
}
