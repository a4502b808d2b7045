package remotetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/rpc"
)

// The data.* methods of the fake keep each organization's documents in
// memory, in _id order, as BSON, and read and write Extended JSON with the
// driver's own codec, as orgd does: relaxed or canonical in, canonical out.
// Filters support equality, $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin,
// $exists, $and, $or and $nor on fields and dotted paths; server-side
// JavaScript ($where, $function, $accumulator) and operators that reach
// other collections are refused with -32602 naming the operator, as orgd
// refuses them.

// refused are the operators orgd refuses in filters and updates.
var refused = map[string]string{
	"$where":       "server-side JavaScript is not allowed",
	"$function":    "server-side JavaScript is not allowed",
	"$accumulator": "server-side JavaScript is not allowed",
	"$lookup":      "a filter cannot reach another collection",
	"$unionWith":   "a filter cannot reach another collection",
	"$out":         "a filter cannot reach another collection",
	"$merge":       "a filter cannot reach another collection",
}

// PutDocuments adds documents, given as Extended JSON, to the collection of
// organization org (its name). Documents without an _id get an ObjectId.
// It panics on a document that is not Extended JSON or an org that does
// not exist: the test is wrong then.
func (f *Fake) PutDocuments(org string, docs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(org)
	if i < 0 {
		panic("remotetest: no organization " + org)
	}
	for _, d := range docs {
		raw, err := parseDocument(json.RawMessage(d), "documents")
		if err != nil {
			panic(fmt.Sprintf("remotetest: %s: %v", d, err))
		}
		if _, err := f.insert(f.Orgs[i].ID, raw); err != nil {
			panic(fmt.Sprintf("remotetest: %s: %v", d, err))
		}
	}
}

// Documents returns the documents of organization org (its name) in _id
// order, as canonical Extended JSON.
func (f *Fake) Documents(org string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(org)
	if i < 0 {
		return nil
	}
	var out []string
	for _, d := range f.docs[f.Orgs[i].ID] {
		out = append(out, string(canonical(d)))
	}
	return out
}

// People returns n documents with ObjectIds in increasing order:
// {"_id": …, "name": "Person 00001", "n": 1, "email": "person1@example.com"}.
func People(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"_id": {"$oid": "65f1c0ffee%014x"}, "name": "Person %05d", "n": %d, "email": "person%d@example.com"}`,
			i+1, i+1, i+1, i+1)
	}
	return out
}

// dataOrg returns the ID of the organization named by org, whose data the
// holder of token may read, or change when write is set, as orgd decides:
// -32001 for a bad token, -32004 for an organization the caller may not
// see, -32003 for a viewer's change, -32010 for a change to a suspended
// organization (its members are refused everything).
func (f *Fake) dataOrg(token, org string, write bool) (string, error) {
	c, err := f.caller(token)
	if err != nil {
		return "", err
	}
	i, err := f.visible(c, org)
	if err != nil {
		return "", err
	}
	if write {
		if err := f.mayChange(c, i); err != nil {
			return "", err
		}
	}
	return f.Orgs[i].ID, nil
}

func invalid(field, reason, format string, args ...any) error {
	return &rpc.Error{Code: rpc.CodeInvalidParams, Message: fmt.Sprintf(format, args...),
		Data: &rpc.ErrorData{Field: field, Reason: reason}}
}

func parseDocument(data json.RawMessage, field string) (bson.Raw, error) {
	var d bson.D
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		return nil, invalid(field, "format", "%s is not an Extended JSON document: %v", field, err)
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, invalid(field, "format", "%s: %v", field, err)
	}
	return raw, nil
}

// parseFilter reads a filter; nil or empty matches everything.
func parseFilter(data json.RawMessage, field string) (bson.Raw, error) {
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		raw, _ := bson.Marshal(bson.D{})
		return raw, nil
	}
	raw, err := parseDocument(data, field)
	if err != nil {
		return nil, err
	}
	return raw, checkOperators(raw, field)
}

// checkOperators refuses what orgd refuses, anywhere in doc.
func checkOperators(doc bson.Raw, field string) error {
	elems, _ := doc.Elements()
	for _, e := range elems {
		if why, ok := refused[e.Key()]; ok {
			return &rpc.Error{Code: rpc.CodeInvalidParams, Message: fmt.Sprintf("%s: %s", e.Key(), why),
				Data: &rpc.ErrorData{Field: field, Reason: "operator", Operator: e.Key()}}
		}
		if sub, ok := e.Value().DocumentOK(); ok {
			if err := checkOperators(sub, field); err != nil {
				return err
			}
		}
		if arr, ok := e.Value().ArrayOK(); ok {
			if err := checkOperators(bson.Raw(arr), field); err != nil {
				return err
			}
		}
	}
	return nil
}

func canonical(doc bson.Raw) []byte {
	out, err := bson.MarshalExtJSON(doc, true, false)
	if err != nil {
		panic(err) // a stored document always marshals
	}
	return out
}

// idJSON writes the _id of doc as canonical Extended JSON.
func idJSON(id bson.RawValue) json.RawMessage {
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: id}})
	s := string(canonical(doc))
	return json.RawMessage(strings.TrimSuffix(strings.TrimPrefix(s, `{"_id":`), "}"))
}

func idOf(doc bson.Raw) bson.RawValue { return doc.Lookup("_id") }

// insert puts doc in its place in _id order, giving it an _id first if it
// has none, and returns what it stored; a taken _id is -32009.
func (f *Fake) insert(orgID string, doc bson.Raw) (bson.Raw, error) {
	if idOf(doc).Type == 0 {
		var d bson.D
		_ = bson.Unmarshal(doc, &d)
		d = append(bson.D{{Key: "_id", Value: bson.NewObjectID()}}, d...)
		doc, _ = bson.Marshal(d)
	}
	if f.docs == nil {
		f.docs = make(map[string][]bson.Raw)
	}
	docs := f.docs[orgID]
	id := idOf(doc)
	at, found := slices.BinarySearchFunc(docs, id, func(d bson.Raw, id bson.RawValue) int {
		return compareValues(idOf(d), id)
	})
	if found {
		return nil, &rpc.Error{Code: rpc.CodeConflict, Message: fmt.Sprintf("a document with _id %s exists", idJSON(id)),
			Data: &rpc.ErrorData{Field: "documents", Reason: "duplicate"}}
	}
	f.docs[orgID] = slices.Insert(docs, at, doc)
	return doc, nil
}

// matches returns the indexes of the documents of orgID that filter
// matches, in _id order, from the first one after the _id after (when
// set).
func (f *Fake) matches(orgID string, filter bson.Raw, after *bson.RawValue) ([]int, error) {
	var out []int
	for i, d := range f.docs[orgID] {
		if after != nil && compareValues(idOf(d), *after) <= 0 {
			continue
		}
		ok, err := match(d, filter)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// FindDocuments pages through the documents that match, in _id order; the
// cursor holds the last _id of the page.
func (f *Fake) FindDocuments(_ context.Context, p rpc.DataFindParams) (*rpc.DataFound, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodDataFind, logged); err != nil {
		return nil, err
	}
	orgID, err := f.dataOrg(p.Token, p.Org, false)
	if err != nil {
		return nil, err
	}
	filter, err := parseFilter(p.Filter, "filter")
	if err != nil {
		return nil, err
	}
	limit := cmp.Or(p.Limit, rpc.DefaultFindLimit)
	if limit < 1 || limit > rpc.MaxFindLimit {
		return nil, invalid("limit", "range", "limit must be 1 to %d", rpc.MaxFindLimit)
	}
	var after *bson.RawValue
	if p.Cursor != "" {
		id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, invalid("cursor", "format", "the cursor is not one orgd made")
		}
		after = &id
	}
	hits, err := f.matches(orgID, filter, after)
	if err != nil {
		return nil, err
	}
	out := &rpc.DataFound{Documents: []json.RawMessage{}}
	docs := f.docs[orgID]
	for _, i := range hits[:min(limit, len(hits))] {
		out.Documents = append(out.Documents, canonical(docs[i]))
	}
	if len(hits) > limit {
		out.NextCursor = encodeCursor(idOf(docs[hits[limit-1]]))
	}
	return out, nil
}

func encodeCursor(id bson.RawValue) string {
	return base64.RawURLEncoding.EncodeToString(idJSON(id))
}

func decodeCursor(c string) (bson.RawValue, error) {
	data, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(`{"_id":`+string(data)+`}`), true, &d); err != nil {
		return bson.RawValue{}, err
	}
	return idOf(d), nil
}

// InsertDocuments inserts, in order, stopping at the first failure.
func (f *Fake) InsertDocuments(_ context.Context, p rpc.DataInsertParams) (*rpc.DataInserted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodDataInsert, logged); err != nil {
		return nil, err
	}
	orgID, err := f.dataOrg(p.Token, p.Org, true)
	if err != nil {
		return nil, err
	}
	if len(p.Documents) < 1 || len(p.Documents) > rpc.MaxInsertDocuments {
		return nil, invalid("documents", "range", "documents must hold 1 to %d documents", rpc.MaxInsertDocuments)
	}
	out := &rpc.DataInserted{}
	for _, data := range p.Documents {
		doc, err := parseDocument(data, "documents")
		if err == nil {
			err = checkOperators(doc, "documents")
		}
		if err == nil {
			doc, err = f.insert(orgID, doc)
		}
		if err != nil {
			return nil, err
		}
		out.InsertedIDs = append(out.InsertedIDs, idJSON(idOf(doc)))
	}
	return out, nil
}

// UpdateDocuments replaces the first match (replace), or applies $set and
// $unset to the first or every match.
func (f *Fake) UpdateDocuments(_ context.Context, p rpc.DataUpdateParams) (*rpc.DataUpdated, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodDataUpdate, logged); err != nil {
		return nil, err
	}
	orgID, err := f.dataOrg(p.Token, p.Org, true)
	if err != nil {
		return nil, err
	}
	if len(p.Filter) == 0 {
		return nil, invalid("filter", "required", "filter is required")
	}
	filter, err := parseFilter(p.Filter, "filter")
	if err != nil {
		return nil, err
	}
	update, err := parseDocument(p.Update, "update")
	if err != nil {
		return nil, err
	}
	if err := checkOperators(update, "update"); err != nil {
		return nil, err
	}
	if p.Replace && p.Many {
		return nil, invalid("many", "conflict", "a replacement replaces one document: many cannot be set with replace")
	}
	elems, _ := update.Elements()
	for _, e := range elems {
		if op := strings.HasPrefix(e.Key(), "$"); op == p.Replace {
			if p.Replace {
				return nil, invalid("update", "operator", "a replacement document cannot hold %s", e.Key())
			}
			return nil, invalid("update", "operator", "update must hold only update operators such as $set, or set replace")
		}
	}
	hits, err := f.matches(orgID, filter, nil)
	if err != nil {
		return nil, err
	}
	if !p.Many && len(hits) > 1 {
		hits = hits[:1]
	}
	out := &rpc.DataUpdated{Matched: int64(len(hits)), UpsertedID: json.RawMessage("null")}
	docs := f.docs[orgID]
	for _, i := range hits {
		var next bson.Raw
		if p.Replace {
			next, err = replaced(docs[i], update)
		} else {
			next, err = applyOperators(docs[i], update)
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(next, docs[i]) {
			docs[i] = next
			out.Modified++
		}
	}
	return out, nil
}

// replaced is old replaced by repl, keeping old's _id, which repl may
// repeat but not change.
func replaced(old, repl bson.Raw) (bson.Raw, error) {
	id := idOf(old)
	if rid := idOf(repl); rid.Type != 0 && compareValues(rid, id) != 0 {
		return nil, invalid("update", "immutable", "the _id of a document cannot change")
	}
	d := bson.D{{Key: "_id", Value: id}}
	elems, _ := repl.Elements()
	for _, e := range elems {
		if e.Key() != "_id" {
			d = append(d, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	return bson.Marshal(d)
}

func applyOperators(old, update bson.Raw) (bson.Raw, error) {
	var d bson.D
	_ = bson.Unmarshal(old, &d)
	ops, _ := update.Elements()
	for _, op := range ops {
		fields, ok := op.Value().DocumentOK()
		if !ok {
			return nil, invalid("update", "format", "%s takes a document", op.Key())
		}
		elems, _ := fields.Elements()
		for _, e := range elems {
			if e.Key() == "_id" {
				return nil, invalid("update", "immutable", "the _id of a document cannot change")
			}
			i := slices.IndexFunc(d, func(x bson.E) bool { return x.Key == e.Key() })
			switch op.Key() {
			case "$set":
				if i >= 0 {
					d[i].Value = e.Value()
				} else {
					d = append(d, bson.E{Key: e.Key(), Value: e.Value()})
				}
			case "$unset":
				if i >= 0 {
					d = slices.Delete(d, i, i+1)
				}
			default:
				return nil, invalid("update", "operator", "unknown update operator %s", op.Key())
			}
		}
	}
	return bson.Marshal(d)
}

// DeleteDocuments deletes the first match, or every match with many.
func (f *Fake) DeleteDocuments(_ context.Context, p rpc.DataDeleteParams) (*rpc.DataDeleted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodDataDelete, logged); err != nil {
		return nil, err
	}
	orgID, err := f.dataOrg(p.Token, p.Org, true)
	if err != nil {
		return nil, err
	}
	if len(p.Filter) == 0 {
		return nil, invalid("filter", "required", "filter is required")
	}
	filter, err := parseFilter(p.Filter, "filter")
	if err != nil {
		return nil, err
	}
	if elems, _ := filter.Elements(); len(elems) == 0 && p.Many && !p.All {
		return nil, invalid("all", "required", "deleting every document needs all: true")
	}
	hits, err := f.matches(orgID, filter, nil)
	if err != nil {
		return nil, err
	}
	if !p.Many && len(hits) > 1 {
		hits = hits[:1]
	}
	docs := f.docs[orgID]
	for _, i := range slices.Backward(hits) {
		docs = slices.Delete(docs, i, i+1)
	}
	f.docs[orgID] = docs
	return &rpc.DataDeleted{Deleted: int64(len(hits))}, nil
}
