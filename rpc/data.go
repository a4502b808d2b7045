package rpc

import "encoding/json"

// Methods on an organization's own collection. Every one takes token and
// org; an admin may name only their own organization (any other gets
// -32004), an operator any. The collection is always the organization's:
// it never comes from the client.
const (
	MethodDataInsert        = "data.insert"
	MethodDataFind          = "data.find"
	MethodDataCount         = "data.count"
	MethodDataUpdate        = "data.update"
	MethodDataDelete        = "data.delete"
	MethodDataIndexesList   = "data.indexes.list"
	MethodDataIndexesCreate = "data.indexes.create"
	MethodDataIndexesDrop   = "data.indexes.drop"
)

// Limits of the data methods.
const (
	MaxInsertDocuments = 1000 // documents per data.insert
	MaxFindLimit       = 1000 // documents per data.find page
	DefaultFindLimit   = 100
)

// Documents, filters, projections, sorts, updates and ids are MongoDB
// Extended JSON v2: relaxed or canonical on input, canonical on output, so
// ObjectIds, dates, decimals and binary round-trip exactly. Their order of
// keys is kept (it matters in sorts and index keys).

// DataInsertParams are the params of data.insert.
type DataInsertParams struct {
	Token     string            `json:"token" doc:"from auth.login"`
	Org       string            `json:"org" doc:"the organization's name or slug"`
	Documents []json.RawMessage `json:"documents" doc:"1–1,000 documents (Extended JSON); an _id is made for those without one"`
}

// DataInserted is the result of data.insert.
type DataInserted struct {
	InsertedIDs []json.RawMessage `json:"inserted_ids" doc:"the _id of each document, in order (canonical Extended JSON)"`
}

// DataFindParams are the params of data.find.
type DataFindParams struct {
	Token      string          `json:"token" doc:"from auth.login"`
	Org        string          `json:"org" doc:"the organization's name or slug"`
	Filter     json.RawMessage `json:"filter,omitempty" doc:"a query document (Extended JSON); all documents when omitted"`
	Projection json.RawMessage `json:"projection,omitempty" doc:"fields to include or exclude"`
	Sort       json.RawMessage `json:"sort,omitempty" doc:"e.g. {\"age\": -1}; _id ascending when omitted, and always last"`
	Limit      int             `json:"limit,omitempty" doc:"page size, 1–1,000; 100 when omitted"`
	Cursor     string          `json:"cursor,omitempty" doc:"next_cursor of the previous page"`
}

// DataFound is the result of data.find.
type DataFound struct {
	Documents  []json.RawMessage `json:"documents" doc:"canonical Extended JSON"`
	NextCursor string            `json:"next_cursor" doc:"pass as cursor for the next page; empty on the last page"`
}

// DataCountParams are the params of data.count.
type DataCountParams struct {
	Token  string          `json:"token" doc:"from auth.login"`
	Org    string          `json:"org" doc:"the organization's name or slug"`
	Filter json.RawMessage `json:"filter,omitempty" doc:"a query document; all documents when omitted"`
}

// DataCount is the result of data.count.
type DataCount struct {
	Count int64 `json:"count"`
}

// DataUpdateParams are the params of data.update.
type DataUpdateParams struct {
	Token   string          `json:"token" doc:"from auth.login"`
	Org     string          `json:"org" doc:"the organization's name or slug"`
	Filter  json.RawMessage `json:"filter" doc:"which documents: a query document"`
	Update  json.RawMessage `json:"update" doc:"update operators ({\"$set\": …}), or with replace a whole document"`
	Replace bool            `json:"replace,omitempty" doc:"update is a replacement document"`
	Many    bool            `json:"many,omitempty" doc:"update every match, not only the first (not with replace)"`
	Upsert  bool            `json:"upsert,omitempty" doc:"insert when nothing matches"`
}

// DataUpdated is the result of data.update.
type DataUpdated struct {
	Matched    int64           `json:"matched"`
	Modified   int64           `json:"modified"`
	UpsertedID json.RawMessage `json:"upserted_id" doc:"the _id of an upserted document; null otherwise"`
}

// DataDeleteParams are the params of data.delete.
type DataDeleteParams struct {
	Token  string          `json:"token" doc:"from auth.login"`
	Org    string          `json:"org" doc:"the organization's name or slug"`
	Filter json.RawMessage `json:"filter" doc:"which documents: a query document"`
	Many   bool            `json:"many,omitempty" doc:"delete every match, not only the first"`
	All    bool            `json:"all,omitempty" doc:"needed, with many, to delete with an empty filter"`
}

// DataDeleted is the result of data.delete.
type DataDeleted struct {
	Deleted int64 `json:"deleted"`
}

// DataIndexesParams are the params of data.indexes.list.
type DataIndexesParams struct {
	Token string `json:"token" doc:"from auth.login"`
	Org   string `json:"org" doc:"the organization's name or slug"`
}

// DataIndexes is the result of data.indexes.list.
type DataIndexes struct {
	Indexes []DataIndex `json:"indexes"`
}

// DataIndex describes one index of a tenant collection.
type DataIndex struct {
	Name   string          `json:"name"`
	Keys   json.RawMessage `json:"keys" doc:"e.g. {\"email\": 1} (canonical Extended JSON)"`
	Unique bool            `json:"unique"`
}

// DataIndexCreateParams are the params of data.indexes.create.
type DataIndexCreateParams struct {
	Token  string          `json:"token" doc:"from auth.login"`
	Org    string          `json:"org" doc:"the organization's name or slug"`
	Keys   json.RawMessage `json:"keys" doc:"the fields and directions, e.g. {\"email\": 1, \"created\": -1}"`
	Name   string          `json:"name,omitempty" doc:"made from the keys when omitted"`
	Unique bool            `json:"unique,omitempty"`
}

// DataIndexCreated is the result of data.indexes.create.
type DataIndexCreated struct {
	Name string `json:"name"`
}

// DataIndexDropParams are the params of data.indexes.drop.
type DataIndexDropParams struct {
	Token string `json:"token" doc:"from auth.login"`
	Org   string `json:"org" doc:"the organization's name or slug"`
	Name  string `json:"name" doc:"the index's name; _id_ cannot be dropped"`
}

// DataIndexDropped is the result of data.indexes.drop.
type DataIndexDropped struct {
	Dropped bool `json:"dropped"`
}
