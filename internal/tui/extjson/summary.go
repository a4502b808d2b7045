package extjson

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Field is one member of a document, summarised for a table row.
type Field struct {
	Key, Value string
}

// Summary returns a document's _id in short form and its other members,
// each value summarised by Brief. A value that is not an object gives an
// empty id and no fields.
func Summary(doc *Value) (id string, fields []Field) {
	if doc == nil || doc.Kind != KindObject {
		return "", nil
	}
	for _, m := range doc.Members {
		if m.Key == "_id" {
			id = ShortID(m.Value)
			continue
		}
		fields = append(fields, Field{Key: m.Key, Value: Brief(m.Value)})
	}
	return id, fields
}

// ShortID writes an _id in a few characters: an ObjectId as its last eight
// hex digits (the first ones are a timestamp and a per-process value that
// documents inserted together share), anything else as Brief does.
func ShortID(id *Value) string {
	if id.Wrapper() == "$oid" {
		hex := id.Members[0].Value.Text()
		if len(hex) > 8 {
			return "…" + hex[len(hex)-8:]
		}
		return hex
	}
	return Brief(id)
}

// briefString is how many characters of a string Brief keeps.
const briefString = 24

// Brief writes a value in a few characters, on one line: strings quoted
// and cut, numbers as written, arrays and objects by their size, Extended
// JSON wrappers by what they hold (an ObjectId's last digits, a date, the
// digits of a long or a decimal).
func Brief(v *Value) string {
	if v == nil {
		return ""
	}
	switch v.Kind {
	case KindString:
		return briefQuote(v.Text())
	case KindArray:
		return fmt.Sprintf("[%d]", len(v.Items))
	case KindObject:
		switch {
		case len(v.Members) == 0:
			return "{}"
		case v.Wrapper() != "":
			return briefWrapper(v)
		}
		return "{…}"
	}
	return v.Raw
}

func briefQuote(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	if r := []rune(s); len(r) > briefString {
		s = string(r[:briefString-1]) + "…"
	}
	return `"` + s + `"`
}

func briefWrapper(v *Value) string {
	key, inner := v.Members[0].Key, v.Members[0].Value
	switch key {
	case "$oid":
		return "ObjectId(" + ShortID(v) + ")"
	case "$numberInt", "$numberLong", "$numberDouble", "$numberDecimal":
		if inner.Kind == KindString {
			return inner.Text()
		}
	case "$date":
		if inner.Kind == KindString {
			return inner.Text()
		}
		if ms, err := strconv.ParseInt(inner.Get("$numberLong").Text(), 10, 64); err == nil {
			return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.999Z07:00")
		}
	case "$binary":
		if n, err := base64.StdEncoding.DecodeString(inner.Get("base64").Text()); err == nil {
			return fmt.Sprintf("Binary(%d B)", len(n))
		}
	case "$uuid", "$symbol":
		return briefQuote(inner.Text())
	case "$regularExpression":
		return "/" + inner.Get("pattern").Text() + "/" + inner.Get("options").Text()
	case "$timestamp":
		return fmt.Sprintf("Timestamp(%s, %s)", inner.Get("t").Raw, inner.Get("i").Raw)
	case "$code":
		return "Code(…)"
	case "$minKey":
		return "MinKey"
	case "$maxKey":
		return "MaxKey"
	case "$undefined":
		return "undefined"
	}
	return "{" + key + " …}"
}
