package org

import (
	"context"
	"fmt"

	"github.com/orgd/orgd/internal/document"
)

// The data methods work on an organization's own collection. p may name
// only organizations it can see (ENOTFOUND otherwise, as for one that does
// not exist, so names cannot be probed), and the organization must be
// active (ECONFLICT with Reason "busy" while it is being renamed or
// deleted). The collection comes from the organization, never from the
// caller. Filters, projections, sorts and updates are checked before the
// store sees them: size, depth, and no operator that runs JavaScript or
// reaches another collection (EINVALID with Operator set).

// dataOrganization returns the organization p names for a data method
// that writes (write set) or only reads. Viewers may only read (EFORBIDDEN
// otherwise); a suspended organization is read by operators only
// (ESUSPENDED otherwise).
func (s *Service) dataOrganization(p *Principal, name string, write bool) (Organization, error) {
	if write {
		return s.manageable(p, name)
	}
	o, err := s.Organization(p, name)
	if err != nil {
		return Organization{}, err
	}
	switch {
	case o.State == StateSuspended && p.Role != RoleOperator:
		return Organization{}, errSuspended(o)
	case !o.State.Settled():
		return Organization{}, busy(o)
	}
	return o, nil
}

// InsertDocuments inserts 1–MaxInsertDocuments documents, given as
// Extended JSON, in order, and returns their _ids. A document without _id
// gets an ObjectId. When the store refuses one, those before it are in and
// the error's Field names it (documents[i]); when one is invalid, nothing
// is inserted.
func (s *Service) InsertDocuments(ctx context.Context, p *Principal, orgName string, texts [][]byte) ([]document.Value, error) {
	o, err := s.dataOrganization(p, orgName, true)
	if err != nil {
		return nil, err
	}
	switch {
	case len(texts) == 0:
		return nil, Invalidf("documents", "required", "documents must hold 1–%d documents", MaxInsertDocuments)
	case len(texts) > MaxInsertDocuments:
		return nil, Invalidf("documents", "too_many", "documents holds %d documents; at most %d are allowed per call", len(texts), MaxInsertDocuments)
	}
	docs := make([]document.Document, len(texts))
	for i, text := range texts {
		if docs[i], err = ParseDocument(fmt.Sprintf("documents[%d]", i), text); err != nil {
			return nil, err
		}
	}
	noteOrganization(ctx, o.ID)
	return s.store.InsertDocuments(ctx, o.ID, docs)
}

// FindQuery is a data.find request as the caller gives it: Extended JSON
// texts, any of which may be empty.
type FindQuery struct {
	Filter, Projection, Sort []byte
	// Limit is the page size, 1–MaxFindLimit; DefaultFindLimit when 0.
	Limit  int
	Cursor string
}

// FindDocuments returns one page of documents. The cursor of the page
// continues the same query (EINVALID for another query's) and stays valid
// while documents come and go: every document that exists throughout is
// returned exactly once.
func (s *Service) FindDocuments(ctx context.Context, p *Principal, orgName string, f FindQuery) (DocumentPage, error) {
	o, err := s.dataOrganization(p, orgName, false)
	if err != nil {
		return DocumentPage{}, err
	}
	q := DocumentQuery{Limit: f.Limit, Cursor: f.Cursor}
	if q.Limit == 0 {
		q.Limit = DefaultFindLimit
	}
	if q.Limit < 1 || q.Limit > MaxFindLimit {
		return DocumentPage{}, Invalidf("limit", "out_of_range", "limit must be 1–%d", MaxFindLimit)
	}
	if q.Filter, err = ParseFilter("filter", f.Filter); err != nil {
		return DocumentPage{}, err
	}
	if q.Projection, err = ParseFilter("projection", f.Projection); err != nil {
		return DocumentPage{}, err
	}
	if q.Sort, err = parseSort(f.Sort); err != nil {
		return DocumentPage{}, err
	}
	return s.store.FindDocuments(ctx, o.ID, q)
}

// CountDocuments counts the documents filter selects; all of them when it
// is empty.
func (s *Service) CountDocuments(ctx context.Context, p *Principal, orgName string, filter []byte) (int64, error) {
	o, err := s.dataOrganization(p, orgName, false)
	if err != nil {
		return 0, err
	}
	f, err := ParseFilter("filter", filter)
	if err != nil {
		return 0, err
	}
	return s.store.CountDocuments(ctx, o.ID, f)
}

// UpdateRequest is a data.update request as the caller gives it.
type UpdateRequest struct {
	Filter, Update        []byte
	Replace, Many, Upsert bool
}

// UpdateDocuments applies update operators to the first document the
// filter selects (with Many, to all), or with Replace replaces the first
// with a whole document; with Upsert it inserts one when none matches.
func (s *Service) UpdateDocuments(ctx context.Context, p *Principal, orgName string, r UpdateRequest) (UpdateResult, error) {
	o, err := s.dataOrganization(p, orgName, true)
	if err != nil {
		return UpdateResult{}, err
	}
	if r.Replace && r.Many {
		return UpdateResult{}, Invalidf("many", "conflict", "a replacement replaces one document: replace cannot go with many")
	}
	u := DocumentUpdate{Replace: r.Replace, Many: r.Many, Upsert: r.Upsert}
	if isNull(r.Filter) {
		return UpdateResult{}, Invalidf("filter", "required", "filter is required ({} selects every document)")
	}
	if u.Filter, err = ParseFilter("filter", r.Filter); err != nil {
		return UpdateResult{}, err
	}
	if u.Update, err = parseUpdate(r.Update, r.Replace); err != nil {
		return UpdateResult{}, err
	}
	noteOrganization(ctx, o.ID)
	return s.store.UpdateDocuments(ctx, o.ID, u)
}

// DeleteDocuments deletes the first document the filter selects, or with
// many all of them. An empty filter selects every document: deleting with
// it needs both many and all.
func (s *Service) DeleteDocuments(ctx context.Context, p *Principal, orgName string, filter []byte, many, all bool) (int64, error) {
	o, err := s.dataOrganization(p, orgName, true)
	if err != nil {
		return 0, err
	}
	if isNull(filter) {
		return 0, Invalidf("filter", "required", "filter is required")
	}
	f, err := ParseFilter("filter", filter)
	if err != nil {
		return 0, err
	}
	if f.Empty() {
		switch {
		case !many:
			return 0, Invalidf("many", "required", "an empty filter selects every document: to delete them all, pass many: true and all: true")
		case !all:
			return 0, Invalidf("all", "required", "an empty filter selects every document: to delete them all, pass all: true as well")
		}
	}
	noteOrganization(ctx, o.ID)
	n, err := s.store.DeleteDocuments(ctx, o.ID, f, many)
	if err != nil {
		return 0, err
	}
	if f.Empty() {
		s.record(ctx, p, AuditEntry{Action: "data.delete_all", OrgID: o.ID, OrgName: o.Name, Detail: fmt.Sprintf("%d documents", n)})
	}
	return n, nil
}

// Indexes lists the indexes of the organization's collection.
func (s *Service) Indexes(ctx context.Context, p *Principal, orgName string) ([]Index, error) {
	o, err := s.dataOrganization(p, orgName, false)
	if err != nil {
		return nil, err
	}
	return s.store.Indexes(ctx, o.ID)
}

// CreateIndex creates an index on the organization's collection: the
// tenant asks for it, and pays a little on every write. keys is Extended
// JSON such as {"email": 1}; an empty name lets the store make one from
// the keys.
func (s *Service) CreateIndex(ctx context.Context, p *Principal, orgName string, keys []byte, name string, unique bool) (string, error) {
	o, err := s.dataOrganization(p, orgName, true)
	if err != nil {
		return "", err
	}
	k, err := ParseFilter("keys", keys)
	if err != nil {
		return "", err
	}
	if k.Empty() {
		return "", Invalidf("keys", "required", `keys must name at least one field, e.g. {"email": 1}`)
	}
	if len(name) > 128 {
		return "", Invalidf("name", "too_long", "name has %d bytes; at most 128 are allowed", len(name))
	}
	noteOrganization(ctx, o.ID)
	made, err := s.store.CreateIndex(ctx, o.ID, Index{Name: name, Keys: k, Unique: unique})
	if err != nil {
		return "", err
	}
	s.record(ctx, p, AuditEntry{Action: "data.index_create", OrgID: o.ID, OrgName: o.Name, Detail: made})
	return made, nil
}

// DropIndex drops an index of the organization's collection by name. The
// _id index stays: EINVALID. ENOTFOUND when there is no such index.
func (s *Service) DropIndex(ctx context.Context, p *Principal, orgName, name string) error {
	o, err := s.dataOrganization(p, orgName, true)
	if err != nil {
		return err
	}
	switch name {
	case "":
		return Invalidf("name", "required", "name is required")
	case IDIndex:
		return Invalidf("name", "protected", "the _id index cannot be dropped")
	case "*":
		return Invalidf("name", "invalid", "name one index to drop; * (every index) is not accepted")
	}
	noteOrganization(ctx, o.ID)
	if err := s.store.DropIndex(ctx, o.ID, name); err != nil {
		return err
	}
	s.record(ctx, p, AuditEntry{Action: "data.index_drop", OrgID: o.ID, OrgName: o.Name, Detail: name})
	return nil
}
