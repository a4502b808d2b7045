package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"
)

// unmarshalKnown decodes the object raw into p, refusing members p has no
// field for. When every member is spelled exactly as one of p's JSON
// names, json.Unmarshal decodes it (a decoder, its buffer and its copy of
// raw cost more than the rest of a small request); any other spelling, in
// another case say, goes to a json.Decoder that disallows unknown fields,
// which matches names as encoding/json does and names the one it does not
// know. Both decode alike what they both accept.
func unmarshalKnown(raw []byte, p any) error {
	v := reflect.ValueOf(p).Elem()
	if decodePlain(raw, v) {
		return nil
	}
	known := fieldNames(v.Type())
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

// maxPlainMembers bounds the members decodePlain takes.
const maxPlainMembers = 8

// decodePlain decodes raw into the struct v when raw is an object, with
// nothing but space after it, whose members are each spelled as one of v's
// JSON names and hold a plain value: a string without escapes into a
// string or *string field, an integer into an int field. Those are nearly
// all params (tokens, names, limits), and json.Unmarshal would first
// check the whole object again, then decode it by reflection member by
// member. It reports whether it decoded raw; when it did not, v is as it
// was. What it takes it checks to be JSON, and decodes as json.Unmarshal
// would.
func decodePlain(raw []byte, v reflect.Value) bool {
	fields := plainFields(v.Type())
	var members [maxPlainMembers]struct {
		field plainField
		value []byte
	}
	n := 0
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return skipSpace(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' || n == maxPlainMembers {
			return false
		}
		end := stringEnd(raw, i)
		if end > len(raw) || end-i < 2 || raw[end-1] != '"' {
			return false
		}
		f, ok := fields[string(raw[i+1:end-1])]
		if !ok {
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
		vend := valueEnd(raw, i)
		value := raw[i:vend]
		if f.kind == reflect.Int && !plainInt(value) || f.kind != reflect.Int && !plainText(value) {
			return false
		}
		members[n].field, members[n].value = f, value
		n++
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return false
		}
		if raw[i] == '}' {
			if skipSpace(raw, i+1) != len(raw) {
				return false
			}
			break
		}
		if raw[i] != ',' {
			return false
		}
		i = skipSpace(raw, i+1)
	}
	for _, m := range members[:n] {
		fv := v.Field(m.field.index)
		switch m.field.kind {
		case reflect.Int:
			x, _ := strconv.ParseInt(string(m.value), 10, 64)
			fv.SetInt(x)
		case reflect.String:
			fv.SetString(string(m.value[1 : len(m.value)-1]))
		case reflect.Pointer:
			s := string(m.value[1 : len(m.value)-1])
			fv.Set(reflect.ValueOf(&s))
		}
	}
	return true
}

// plainField is a field decodePlain can fill: its index and its kind
// (reflect.Pointer meaning *string).
type plainField struct {
	index int
	kind  reflect.Kind
}

var plainFieldCache sync.Map // reflect.Type → map[string]plainField

// plainFields returns the fields of a struct type that decodePlain fills,
// by JSON name.
func plainFields(t reflect.Type) map[string]plainField {
	if v, ok := plainFieldCache.Load(t); ok {
		return v.(map[string]plainField)
	}
	fields := make(map[string]plainField)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _ := jsonField(f)
		if !f.IsExported() || f.Anonymous || name == "-" {
			continue
		}
		switch {
		case f.Type == reflect.TypeFor[string]():
			fields[name] = plainField{i, reflect.String}
		case f.Type == reflect.TypeFor[*string]():
			fields[name] = plainField{i, reflect.Pointer}
		case f.Type == reflect.TypeFor[int]():
			fields[name] = plainField{i, reflect.Int}
		}
	}
	plainFieldCache.Store(t, fields)
	return fields
}

// plainText reports whether v is a JSON string that needs no decoding: no
// escapes, no control characters, UTF-8.
func plainText(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(inner)
}

// plainInt reports whether v is a JSON integer that fits an int.
func plainInt(v []byte) bool {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(string(v), 10, strconv.IntSize)
	return err == nil
}
