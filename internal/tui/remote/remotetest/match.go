package remotetest

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/rpc"
)

// MongoDB's query semantics, as far as the fake needs them: matching a
// filter, and ordering values by type and then by value.

// match reports whether doc matches filter.
func match(doc, filter bson.Raw) (bool, error) {
	elems, _ := filter.Elements()
	for _, e := range elems {
		ok, err := matchElement(doc, e)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchElement(doc bson.Raw, e bson.RawElement) (bool, error) {
	key, v := e.Key(), e.Value()
	switch key {
	case "$and", "$or", "$nor":
		arr, ok := v.ArrayOK()
		if !ok {
			return false, invalid("filter", "format", "%s takes an array of filters", key)
		}
		subs, _ := bson.Raw(arr).Values()
		some, all := false, true
		for _, s := range subs {
			sub, ok := s.DocumentOK()
			if !ok {
				return false, invalid("filter", "format", "%s takes an array of filters", key)
			}
			m, err := match(doc, sub)
			if err != nil {
				return false, err
			}
			some, all = some || m, all && m
		}
		switch key {
		case "$and":
			return all, nil
		case "$or":
			return some, nil
		}
		return !some, nil
	}
	if strings.HasPrefix(key, "$") {
		return false, &rpc.Error{Code: rpc.CodeInvalidParams, Message: "unknown top-level operator " + key,
			Data: &rpc.ErrorData{Field: "filter", Reason: "operator", Operator: key}}
	}
	field := doc.Lookup(strings.Split(key, ".")...)
	cond, isDoc := v.DocumentOK()
	if first, err := cond.IndexErr(0); !isDoc || err != nil || !strings.HasPrefix(first.Key(), "$") {
		return equal(field, v), nil
	}
	ops, _ := cond.Elements()
	for _, op := range ops {
		ok, err := matchOperator(field, op.Key(), op.Value())
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchOperator(field bson.RawValue, op string, arg bson.RawValue) (bool, error) {
	switch op {
	case "$eq":
		return equal(field, arg), nil
	case "$ne":
		return !equal(field, arg), nil
	case "$gt", "$gte", "$lt", "$lte":
		return anyValue(field, func(x bson.RawValue) bool {
			if x.Type == 0 || class(x.Type) != class(arg.Type) {
				return false
			}
			c := compareValues(x, arg)
			switch op {
			case "$gt":
				return c > 0
			case "$gte":
				return c >= 0
			case "$lt":
				return c < 0
			}
			return c <= 0
		}), nil
	case "$in", "$nin":
		arr, ok := arg.ArrayOK()
		if !ok {
			return false, invalid("filter", "format", "%s takes an array", op)
		}
		vals, _ := bson.Raw(arr).Values()
		in := slices.ContainsFunc(vals, func(v bson.RawValue) bool { return equal(field, v) })
		return in == (op == "$in"), nil
	case "$exists":
		want := true
		if b, ok := arg.BooleanOK(); ok {
			want = b
		}
		return (field.Type != 0) == want, nil
	}
	return false, &rpc.Error{Code: rpc.CodeInvalidParams, Message: "unknown operator " + op,
		Data: &rpc.ErrorData{Field: "filter", Reason: "operator", Operator: op}}
}

// equal is MongoDB's equality: null matches a missing field, and an array
// field matches when one of its items does.
func equal(field, v bson.RawValue) bool {
	if v.Type == bson.TypeNull && field.Type == 0 {
		return true
	}
	return anyValue(field, func(x bson.RawValue) bool {
		return x.Type != 0 && class(x.Type) == class(v.Type) && compareValues(x, v) == 0
	}) || (field.Type == v.Type && compareValues(field, v) == 0)
}

// anyValue applies ok to field, or to each item when field is an array.
func anyValue(field bson.RawValue, ok func(bson.RawValue) bool) bool {
	if arr, isArr := field.ArrayOK(); isArr {
		vals, _ := bson.Raw(arr).Values()
		return slices.ContainsFunc(vals, ok)
	}
	return ok(field)
}

// class is a type's place in MongoDB's order of types.
func class(t bson.Type) int {
	switch t {
	case bson.TypeMinKey:
		return 1
	case bson.TypeNull, bson.TypeUndefined:
		return 2
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return 3
	case bson.TypeString, bson.TypeSymbol:
		return 4
	case bson.TypeEmbeddedDocument:
		return 5
	case bson.TypeArray:
		return 6
	case bson.TypeBinary:
		return 7
	case bson.TypeObjectID:
		return 8
	case bson.TypeBoolean:
		return 9
	case bson.TypeDateTime:
		return 10
	case bson.TypeTimestamp:
		return 11
	case bson.TypeRegex:
		return 12
	case bson.TypeMaxKey:
		return 14
	}
	return 13
}

// compareValues orders two values as MongoDB sorts them, closely enough
// for tests: by type, then numbers by value, strings and ObjectIds by
// bytes, the rest by their encoding.
func compareValues(a, b bson.RawValue) int {
	if c := cmp.Compare(class(a.Type), class(b.Type)); c != 0 {
		return c
	}
	switch class(a.Type) {
	case 3:
		return cmp.Compare(number(a), number(b))
	case 4:
		return strings.Compare(stringOf(a), stringOf(b))
	case 9:
		return cmp.Compare(boolInt(a.Boolean()), boolInt(b.Boolean()))
	case 10:
		return cmp.Compare(a.DateTime(), b.DateTime())
	}
	return bytes.Compare(a.Value, b.Value)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func number(v bson.RawValue) float64 {
	if d, ok := v.Decimal128OK(); ok {
		var f float64
		fmt.Sscan(d.String(), &f)
		return f
	}
	return v.AsFloat64()
}

func stringOf(v bson.RawValue) string {
	if s, ok := v.StringValueOK(); ok {
		return s
	}
	return v.Symbol()
}
