package extjson

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Relax returns v in the form people read and edit: Extended JSON's
// relaxed form where it loses nothing, canonical form where the relaxed
// one would change a type on the way back. So:
//
//   - {"$numberInt": "5"} becomes 5 (a plain integer is read back as an
//     int32 when it fits);
//   - {"$numberDouble": "2.5"} becomes 2.5, and a whole double keeps a
//     decimal point (2.0), so it is read back as a double; NaN and the
//     infinities stay wrapped;
//   - {"$date": {"$numberLong": "…"}} becomes {"$date": "2024-03-14T09:26:53.123Z"}
//     for the years 1970 to 9999, as relaxed Extended JSON writes it;
//   - {"$numberLong": "5"} stays as it is: written as 5 it would come back
//     as an int32. So do decimals, ObjectIds, binary and every other wrapper.
//
// Relax leaves v as it is and shares unchanged parts with it.
func Relax(v *Value) *Value {
	switch v.Kind {
	case KindArray:
		out := &Value{Kind: KindArray, Items: make([]*Value, len(v.Items))}
		for i, item := range v.Items {
			out.Items[i] = Relax(item)
		}
		return out
	case KindObject:
		if v.Wrapper() != "" {
			return relaxWrapper(v)
		}
		out := &Value{Kind: KindObject, Members: make([]Member, len(v.Members))}
		for i, m := range v.Members {
			out.Members[i] = Member{Key: m.Key, Value: Relax(m.Value)}
		}
		return out
	}
	return v
}

func relaxWrapper(v *Value) *Value {
	if len(v.Members) != 1 {
		return v
	}
	inner := v.Members[0].Value
	switch v.Members[0].Key {
	case "$numberInt":
		if s := inner.Text(); inner.Kind == KindString && validNumber(s) {
			if _, err := strconv.ParseInt(s, 10, 32); err == nil {
				return &Value{Kind: KindNumber, Raw: s}
			}
		}
	case "$numberDouble":
		if inner.Kind != KindString {
			return v
		}
		f, err := strconv.ParseFloat(inner.Text(), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return v
		}
		return &Value{Kind: KindNumber, Raw: FormatDouble(f)}
	case "$date":
		ms, err := strconv.ParseInt(inner.Get("$numberLong").Text(), 10, 64)
		if inner.Kind != KindObject || len(inner.Members) != 1 || err != nil {
			return v
		}
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 1970 || t.Year() > 9999 {
			return v
		}
		date := &Value{Kind: KindString, Raw: quote(t.Format("2006-01-02T15:04:05.999Z07:00"))}
		return &Value{Kind: KindObject, Members: []Member{{Key: "$date", Value: date}}}
	}
	return v
}

// FormatDouble writes a finite double so that JSON readers take it back as
// a double and as the same one: the shortest digits that round-trip, with
// a decimal point or an exponent always present.
func FormatDouble(f float64) string {
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Pretty turns a document from orgd (canonical Extended JSON) into the
// indented relaxed text that orgtui shows and hands to the editor.
func Pretty(doc []byte) (string, error) {
	v, err := Parse(doc)
	if err != nil {
		return "", err
	}
	return Relax(v).Indent(), nil
}

// Same reports whether a and b are the same value once relaxed and written
// compactly: whitespace, the spelling of strings and the canonical or
// relaxed spelling of ints, doubles and dates do not count.
func Same(a, b *Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	return Relax(a).Compact() == Relax(b).Compact()
}
