package mongo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/org"
)

// Paging through a tenant's documents (data.find).
//
// A cursor is the position after the last document of a page: the values
// of the sort's fields in that document, and its _id, which is always the
// sort's last field and makes the position unique. The next page is the
// documents after that position in the sort order, found with a filter
// (keyset pagination), so a cursor stays right while documents come and go:
// every document that exists throughout is returned exactly once, and
// documents added or removed meanwhile may or may not be.
//
// Values of different types: MongoDB sorts them by a fixed order of type
// classes (missing and null, numbers, strings, documents, arrays, binary,
// ObjectIds, booleans, dates, timestamps, regular expressions, …), but its
// comparison operators ($gt, $lt) only match values of the class they are
// given. "After v" is therefore "greater than v within v's class, or of a
// later class" ($type), and missing fields count as null, as in the sort.
//
// Limits, documented for clients: an array sorts by its smallest element
// (ascending) or its largest (descending), while filters match any element,
// so documents whose sort field holds an array may repeat or be skipped
// across pages; and regular expressions cannot be compared in a filter, so
// after a page that ends on one in a sort field, the remaining regular
// expressions of that field are skipped. Sort on fields that hold neither.
//
// Live cursors: the embedded engine reads, filters and sorts the whole
// collection for every query (4 s at 100,000 documents), which would make
// every page cost as much as the first. So the store keeps the driver's
// cursor of a page open, with the document after the page already read,
// and a cursor string that names it continues it instead of querying again.
// Live cursors live in this process only, for liveCursorTTL after their
// last use and at most maxLiveCursors at once; a cursor string whose live
// cursor is gone (expired, another daemon, a rename) falls back to its
// position, so nothing depends on them but speed.

// The live cursors' bounds: each holds an open cursor on the store, and on
// the embedded engine the whole sorted result in the engine's memory.
const (
	maxLiveCursors = 16
	liveCursorTTL  = time.Minute
	// maxCursorBytes bounds a cursor string; sort fields with values near
	// this size cannot be paged on.
	maxCursorBytes = 64 << 10
	cursorVersion  = 1
)

// sortSpec is a sort as sent to the store: the caller's fields up to _id,
// and _id ascending last when the caller did not name it.
type sortSpec []org.SortKey

func newSortSpec(keys []org.SortKey) sortSpec {
	var s sortSpec
	for _, k := range keys {
		s = append(s, k)
		if k.Path == "_id" {
			return s // _id is unique: later fields never decide anything
		}
	}
	return append(s, org.SortKey{Path: "_id"})
}

func (s sortSpec) bson() bson.D {
	d := make(bson.D, len(s))
	for i, k := range s {
		dir := 1
		if k.Descending {
			dir = -1
		}
		d[i] = bson.E{Key: k.Path, Value: dir}
	}
	return d
}

// valuesOf reads the sort's fields of doc; a missing field is null, as the
// sort takes it.
func (s sortSpec) valuesOf(doc bson.Raw) []bson.RawValue {
	vals := make([]bson.RawValue, len(s))
	for i, k := range s {
		v, err := doc.LookupErr(strings.Split(k.Path, ".")...)
		if err != nil {
			v = bson.RawValue{Type: bson.TypeNull}
		}
		vals[i] = v
	}
	return vals
}

// queryHash identifies a query, so that a cursor cannot continue another.
func queryHash(q org.DocumentQuery, spec sortSpec) []byte {
	h := sha256.New()
	for _, part := range [][]byte{q.Filter.BSON(), q.Projection.BSON(), []byte(fmt.Sprint(spec))} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return h.Sum(nil)[:16]
}

// position is a decoded cursor string.
type position struct {
	values []bson.RawValue
	live   string
}

func badCursor(format string, args ...any) error {
	return org.Invalidf("cursor", "invalid", "cursor: "+format+"; start again without one", args...)
}

// encodeCursor writes the position after values as a cursor string.
func encodeCursor(orgID string, query []byte, values []bson.RawValue, live string) (string, error) {
	arr := bson.A{}
	for _, v := range values {
		arr = append(arr, v)
	}
	b, err := bson.Marshal(bson.D{
		{Key: "v", Value: int32(cursorVersion)},
		{Key: "o", Value: orgID},
		{Key: "q", Value: bson.Binary{Data: query}},
		{Key: "k", Value: arr},
		{Key: "l", Value: live},
	})
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	if len(b) > maxCursorBytes {
		return "", org.Invalidf("sort", "too_large", "a sort field of the page's last document holds too much data (%d bytes) to page on; sort on smaller fields", len(b))
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor reads a cursor string made for orgID, query and a sort of n
// fields.
func decodeCursor(s, orgID string, query []byte, n int) (position, error) {
	if len(s) > base64.RawURLEncoding.EncodedLen(maxCursorBytes) {
		return position{}, badCursor("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, badCursor("not one that data.find made")
	}
	raw := bson.Raw(b)
	if raw.Validate() != nil {
		return position{}, badCursor("not one that data.find made")
	}
	if v, ok := raw.Lookup("v").Int32OK(); !ok || v != cursorVersion {
		return position{}, badCursor("made by another version of orgd")
	}
	if o, _ := raw.Lookup("o").StringValueOK(); o != orgID {
		return position{}, badCursor("it belongs to another organization")
	}
	if _, q, ok := raw.Lookup("q").BinaryOK(); !ok || !bytes.Equal(q, query) {
		return position{}, badCursor("it belongs to another query (filter, projection and sort must stay the same)")
	}
	arr, ok := raw.Lookup("k").ArrayOK()
	if !ok {
		return position{}, badCursor("not one that data.find made")
	}
	vals, err := arr.Values()
	if err != nil || len(vals) != n {
		return position{}, badCursor("it belongs to another query (filter, projection and sort must stay the same)")
	}
	live, _ := raw.Lookup("l").StringValueOK()
	return position{values: vals, live: live}, nil
}

// typeClass is a class of BSON types that sort as one, in sort order. A
// class without names is null: null and missing fields, matched with
// {$eq: null}.
type typeClass struct {
	names  []string
	ferret bool // the embedded engine knows these types
}

var typeClasses = []typeClass{
	{names: []string{"minKey"}},
	{names: []string{"undefined"}},
	{ferret: true}, // null and missing
	{names: []string{"int", "long", "double", "decimal"}, ferret: true},
	{names: []string{"string", "symbol"}, ferret: true},
	{names: []string{"object"}, ferret: true},
	{names: []string{"array"}, ferret: true},
	{names: []string{"binData"}, ferret: true},
	{names: []string{"objectId"}, ferret: true},
	{names: []string{"bool"}, ferret: true},
	{names: []string{"date"}, ferret: true},
	{names: []string{"timestamp"}, ferret: true},
	{names: []string{"regex"}, ferret: true},
	{names: []string{"dbPointer"}},
	{names: []string{"javascript"}},
	{names: []string{"javascriptWithScope"}},
	{names: []string{"maxKey"}},
}

// classOf returns the index in typeClasses of t's class.
func classOf(t bson.Type) int {
	name := document.TypeName(byte(t))
	if t == bson.TypeNull {
		return 2
	}
	for i, c := range typeClasses {
		for _, n := range c.names {
			if n == name {
				return i
			}
		}
	}
	return 2
}

// after is the filter of the documents after the position values in the
// sort spec: for some field i, equal on the fields before it and beyond
// values[i] on field i.
func (s *Store) after(spec sortSpec, values []bson.RawValue) bson.D {
	ors := bson.A{}
	for i, k := range spec {
		and := bson.A{}
		for j := range i {
			and = append(and, equal(spec[j].Path, values[j]))
		}
		and = append(and, s.beyond(k, values[i]))
		if len(and) == 1 {
			ors = append(ors, and[0])
		} else {
			ors = append(ors, bson.D{{Key: "$and", Value: and}})
		}
	}
	return bson.D{{Key: "$or", Value: ors}}
}

// equal matches the values that sort equal to v.
func equal(path string, v bson.RawValue) bson.D {
	if classOf(v.Type) == 2 {
		return bson.D{{Key: path, Value: bson.D{{Key: "$eq", Value: nil}}}}
	}
	return bson.D{{Key: path, Value: bson.D{{Key: "$eq", Value: v}}}}
}

// beyond matches the values that come after v in k's direction.
func (s *Store) beyond(k org.SortKey, v bson.RawValue) bson.D {
	class := classOf(v.Type)
	alts := bson.A{}
	switch {
	case class == 2 || v.Type == bson.TypeMinKey || v.Type == bson.TypeMaxKey || v.Type == bson.TypeUndefined:
		// A class of one value: nothing in it comes after v.
	case v.Type == bson.TypeRegex:
		// Regular expressions cannot be compared in a filter (see above).
	case v.Type == bson.TypeDouble && math.IsNaN(v.Double()):
		// NaN sorts below every number, and compares to nothing.
		if !k.Descending {
			alts = append(alts, bson.D{{Key: k.Path, Value: bson.D{{Key: "$gte", Value: math.Inf(-1)}}}})
		}
	default:
		op := "$gt"
		if k.Descending {
			op = "$lt"
		}
		alts = append(alts, bson.D{{Key: k.Path, Value: bson.D{{Key: op, Value: v}}}})
	}
	var names []string
	for i, c := range typeClasses {
		if (k.Descending && i >= class) || (!k.Descending && i <= class) || (s.ferret && !c.ferret) {
			continue
		}
		if c.names == nil {
			alts = append(alts, bson.D{{Key: k.Path, Value: bson.D{{Key: "$eq", Value: nil}}}})
			continue
		}
		for _, n := range c.names {
			if !s.ferret || n != "decimal" && n != "symbol" {
				names = append(names, n)
			}
		}
	}
	if len(names) > 0 {
		alts = append(alts, bson.D{{Key: k.Path, Value: bson.D{{Key: "$type", Value: names}}}})
	}
	switch len(alts) {
	case 0:
		// Nothing comes after: a filter that matches nothing.
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}
	case 1:
		return alts[0].(bson.D)
	}
	return bson.D{{Key: "$or", Value: alts}}
}

// pagingProjection is the caller's projection with _id and the sort's
// fields put back in: the cursor is made of them. A projection that
// reshapes one of them ($slice, $elemMatch, an expression) is refused.
func pagingProjection(p document.Document, spec sortSpec) (bson.D, error) {
	if p.Empty() {
		return nil, nil
	}
	raw := bson.Raw(p.BSON())
	elems, err := raw.Elements()
	if err != nil {
		return nil, fmt.Errorf("projection: %w", err)
	}
	related := func(k, path string) bool {
		return k == path || strings.HasPrefix(path, k+".") || strings.HasPrefix(k, path+".")
	}
	inclusion := false
	for _, e := range elems {
		include, plain := projectionFlag(e.Value())
		for _, k := range spec {
			if !plain && related(e.Key(), k.Path) {
				return nil, org.Invalidf("projection", "reshapes_sort_field",
					"the projection reshapes %q, which the sort reads: project it with 1 or 0 only (it is always returned)", e.Key())
			}
		}
		if e.Key() != "_id" && (include || !plain && !isProjectionOperator(e.Value())) {
			inclusion = true
		}
	}
	out := bson.D{}
	for _, e := range elems {
		keep := true
		for _, k := range spec {
			if !related(e.Key(), k.Path) {
				continue
			}
			include, _ := projectionFlag(e.Value())
			switch {
			case !include:
				keep = false // an exclusion of a sort field goes
			case inclusion && strings.HasPrefix(e.Key(), k.Path+"."):
				keep = false // the whole sort field comes instead
			}
		}
		if keep {
			out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	if inclusion {
		for _, k := range spec {
			covered := false
			for _, e := range out {
				if e.Key == k.Path || strings.HasPrefix(k.Path, e.Key+".") {
					covered = true
				}
			}
			if !covered {
				out = append(out, bson.E{Key: k.Path, Value: 1})
			}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// projectionFlag reads a projection value: a number or a boolean includes
// (non-zero, true) or excludes; anything else is not plain.
func projectionFlag(v bson.RawValue) (include, plain bool) {
	switch v.Type {
	case bson.TypeBoolean:
		return v.Boolean(), true
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return !isZeroNumber(v), true
	}
	return false, false
}

func isZeroNumber(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32:
		return v.Int32() == 0
	case bson.TypeInt64:
		return v.Int64() == 0
	case bson.TypeDouble:
		return v.Double() == 0
	case bson.TypeDecimal128:
		return v.Decimal128().IsZero()
	}
	return false
}

// isProjectionOperator reports whether v is {$slice …}, {$elemMatch …} or
// {$meta …}, which neither include nor exclude.
func isProjectionOperator(v bson.RawValue) bool {
	d, ok := v.DocumentOK()
	if !ok {
		return false
	}
	elems, err := d.Elements()
	if err != nil || len(elems) != 1 {
		return false
	}
	switch elems[0].Key() {
	case "$slice", "$elemMatch", "$meta":
		return true
	}
	return false
}

// FindDocuments implements org.DocumentStore.
func (s *Store) FindDocuments(ctx context.Context, orgID string, q org.DocumentQuery) (org.DocumentPage, error) {
	if err := s.engineCheck("filter", q.Filter); err != nil {
		return org.DocumentPage{}, err
	}
	if err := s.engineCheck("projection", q.Projection); err != nil {
		return org.DocumentPage{}, err
	}
	spec := newSortSpec(q.Sort)
	hash := queryHash(q, spec)
	var pos *position
	if q.Cursor != "" {
		p, err := decodeCursor(q.Cursor, orgID, hash, len(spec))
		if err != nil {
			return org.DocumentPage{}, err
		}
		pos = &p
	}
	proj, err := pagingProjection(q.Projection, spec)
	if err != nil {
		return org.DocumentPage{}, err
	}
	var page org.DocumentPage
	err = s.tenant(ctx, orgID, false, func(c *mongo.Collection, _ org.Organization) error {
		var lc *liveCursor
		if pos != nil && pos.live != "" {
			lc = s.cursors.take(ctx, pos.live, orgID, hash)
		}
		if lc == nil {
			filter := query(q.Filter)
			var f any = filter
			if pos != nil {
				keyset := s.after(spec, pos.values)
				if q.Filter.Empty() {
					f = keyset
				} else {
					f = bson.D{{Key: "$and", Value: bson.A{filter, keyset}}}
				}
				if err := s.engineCheckValue("cursor", pos.values); err != nil {
					return err
				}
			}
			opts := options.Find().SetSort(spec.bson()).SetBatchSize(int32(q.Limit + 1))
			if proj != nil {
				opts.SetProjection(proj)
			}
			cur, err := c.Find(ctx, f, opts)
			if err != nil {
				return dataErr("find documents", "filter", err)
			}
			lc = &liveCursor{orgID: orgID, query: hash, cur: cur}
		} else {
			lc.cur.SetBatchSize(int32(q.Limit + 1))
		}
		docs, more, err := lc.read(ctx, q.Limit)
		if err != nil {
			lc.close(ctx)
			return dataErr("find documents", "filter", err)
		}
		page.Documents = docs
		if !more {
			lc.close(ctx)
			return nil
		}
		values := spec.valuesOf(docs[len(docs)-1].BSON())
		live := s.cursors.put(ctx, lc)
		page.NextCursor, err = encodeCursor(orgID, hash, values, live)
		return err
	})
	if err != nil {
		return org.DocumentPage{}, err
	}
	return page, nil
}

// engineCheckValue is engineCheck for the values of a cursor.
func (s *Store) engineCheckValue(field string, values []bson.RawValue) error {
	if !s.ferret {
		return nil
	}
	arr := bson.A{}
	for _, v := range values {
		arr = append(arr, v)
	}
	b, err := bson.Marshal(bson.D{{Key: "k", Value: arr}})
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	d, err := document.FromBSON(b)
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if s.engineCheck(field, d) != nil {
		return badCursor("not one that data.find made")
	}
	return nil
}

func newCursorID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
