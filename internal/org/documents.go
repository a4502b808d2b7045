package org

import "github.com/orgd/orgd/internal/document"

// Limits of the data methods.
const (
	// MaxInsertDocuments is how many documents one insert may carry.
	MaxInsertDocuments = 1000
	// DefaultFindLimit and MaxFindLimit bound the documents of one page.
	DefaultFindLimit = 100
	MaxFindLimit     = 1000
	// MaxQueryDepth bounds how deeply documents and arrays nest in a
	// filter, projection, sort or index key (a filter {"a": {"$in": [1]}}
	// nests 3 deep).
	MaxQueryDepth = 32
	// MaxQueryBytes bounds the text of a filter, projection, sort or index
	// key.
	MaxQueryBytes = 256 << 10
	// MaxDocumentDepth bounds nesting in documents and updates: MongoDB's
	// own limit.
	MaxDocumentDepth = 100
	// MaxDocumentBytes is MongoDB's limit on a document's BSON size.
	MaxDocumentBytes = 16 << 20
	// MaxSortKeys is MongoDB's limit on the fields of a sort.
	MaxSortKeys = 32
)

// DocumentQuery selects one page of an organization's documents.
type DocumentQuery struct {
	// Filter selects documents; the zero Document selects all.
	Filter document.Document
	// Projection includes or excludes fields; the zero Document keeps
	// them all. _id and the sort's fields are always returned, since the
	// cursor is made of them.
	Projection document.Document
	// Sort orders the documents; _id ascending comes last when absent.
	Sort []SortKey
	// Limit is the page size, 1–MaxFindLimit.
	Limit int
	// Cursor continues after the last document of an earlier page of the
	// same query; empty for the first page.
	Cursor string
}

// SortKey is one field of a sort.
type SortKey struct {
	// Path is the field, dotted for fields of nested documents.
	Path       string
	Descending bool
}

// DocumentPage is one page of documents.
type DocumentPage struct {
	Documents []document.Document
	// NextCursor continues after the last document; empty on the last
	// page.
	NextCursor string
}

// DocumentUpdate changes the documents a filter selects.
type DocumentUpdate struct {
	Filter document.Document
	// Update is a document of update operators ({"$set": …}), or with
	// Replace set a whole document that replaces the first match.
	Update  document.Document
	Replace bool
	// Many updates every match instead of the first (not with Replace).
	Many bool
	// Upsert inserts a document when nothing matches.
	Upsert bool
}

// UpdateResult says what an update did.
type UpdateResult struct {
	Matched  int64
	Modified int64
	// UpsertedID is the _id of the document an upsert inserted; the zero
	// Value when it inserted none.
	UpsertedID document.Value
}

// Index is an index of a tenant collection.
type Index struct {
	Name string
	// Keys are the indexed fields and their directions, e.g. {"email": 1}.
	Keys   document.Document
	Unique bool
}

// IDIndex is the name of the index on _id, which every collection has and
// which cannot be dropped.
const IDIndex = "_id_"
