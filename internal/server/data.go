package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// dataRoutes are the methods on an organization's own collection.
func (s *Server) dataRoutes() []route {
	const who = "An admin may name only their own organization (any other gets -32004, as one that does not exist); an operator any. " +
		"The collection is always the organization's own. While the organization is being renamed or deleted: -32009 with data.reason busy. "
	const refused = "Filters, projections, sorts and updates are MongoDB Extended JSON v2 (relaxed or canonical); " +
		"$where, $function and $accumulator (JavaScript on the server) and $lookup, $graphLookup, $unionWith, $out and $merge (other collections) " +
		"are refused at any depth with -32602, data.operator naming the operator and data.field the param. " +
		"Filters, projections and sorts may nest 32 levels deep and hold 256 KiB."
	return []route{
		method(rpc.MethodDataInsert, "Insert documents into an organization's collection.", s.dataInsert).
			describedAs(who+"1–1,000 documents of Extended JSON, inserted in order; those without _id get an ObjectId. "+
				"An invalid document inserts nothing and -32602 names it in data.field (documents[i]); when the store refuses one "+
				"(-32602, or -32009 with data.reason duplicate_key), the documents before it are in.").
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataFind, "Find an organization's documents, a page at a time.", s.dataFind).
			describedAs(who+refused+" Documents come back as canonical Extended JSON. The sort is {field: 1 or -1, …} with _id ascending last; "+
				"next_cursor continues the same query and stays valid while documents come and go: every document present throughout is returned once. "+
				"_id and the sort's fields are always returned. Sort fields that hold arrays or regular expressions cannot be paged reliably.").
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataCount, "Count an organization's documents that match a filter.", s.dataCount).
			describedAs(who+refused).
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataUpdate, "Update or replace an organization's documents.", s.dataUpdate).
			describedAs(who+refused+" Without replace, update holds only update operators ($set, $inc, …); with replace, a whole document "+
				"and no operator, and many is refused.").
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataDelete, "Delete an organization's documents.", s.dataDelete).
			describedAs(who+refused+" An empty filter selects every document: deleting with it needs many and all.").
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataIndexesList, "List the indexes of an organization's collection.", s.dataIndexesList).
			describedAs(who).
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataIndexesCreate, "Create an index on an organization's collection.", s.dataIndexesCreate).
			describedAs(who+"An index of the same keys under another name, or a unique index the documents already break: -32009.").
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodDataIndexesDrop, "Drop an index of an organization's collection.", s.dataIndexesDrop).
			describedAs(who+"The _id index (_id_) cannot be dropped; an unknown name gets -32004.").
			withAuth(rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
	}
}

func (s *Server) dataInsert(ctx context.Context, c *call, p *rpc.DataInsertParams) (rpc.DataInserted, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataInserted{}, err
	}
	texts := make([][]byte, len(p.Documents))
	for i, d := range p.Documents {
		texts[i] = d
	}
	ids, err := s.svc.InsertDocuments(ctx, who, p.Org, texts)
	if err != nil {
		return rpc.DataInserted{}, err
	}
	out := rpc.DataInserted{InsertedIDs: make([]json.RawMessage, len(ids))}
	for i, id := range ids {
		if out.InsertedIDs[i], err = id.JSON(); err != nil {
			return rpc.DataInserted{}, err
		}
	}
	return out, nil
}

func (s *Server) dataFind(ctx context.Context, c *call, p *rpc.DataFindParams) (rpc.DataFound, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataFound{}, err
	}
	page, err := s.svc.FindDocuments(ctx, who, p.Org, org.FindQuery{
		Filter: p.Filter, Projection: p.Projection, Sort: p.Sort, Limit: p.Limit, Cursor: p.Cursor,
	})
	if err != nil {
		return rpc.DataFound{}, err
	}
	out := rpc.DataFound{Documents: make([]json.RawMessage, len(page.Documents)), NextCursor: page.NextCursor}
	for i, d := range page.Documents {
		if out.Documents[i], err = d.JSON(); err != nil {
			return rpc.DataFound{}, fmt.Errorf("document %d: %w", i, err)
		}
	}
	return out, nil
}

func (s *Server) dataCount(ctx context.Context, c *call, p *rpc.DataCountParams) (rpc.DataCount, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataCount{}, err
	}
	n, err := s.svc.CountDocuments(ctx, who, p.Org, p.Filter)
	if err != nil {
		return rpc.DataCount{}, err
	}
	return rpc.DataCount{Count: n}, nil
}

func (s *Server) dataUpdate(ctx context.Context, c *call, p *rpc.DataUpdateParams) (rpc.DataUpdated, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataUpdated{}, err
	}
	res, err := s.svc.UpdateDocuments(ctx, who, p.Org, org.UpdateRequest{
		Filter: p.Filter, Update: p.Update, Replace: p.Replace, Many: p.Many, Upsert: p.Upsert,
	})
	if err != nil {
		return rpc.DataUpdated{}, err
	}
	id, err := res.UpsertedID.JSON()
	if err != nil {
		return rpc.DataUpdated{}, err
	}
	return rpc.DataUpdated{Matched: res.Matched, Modified: res.Modified, UpsertedID: id}, nil
}

func (s *Server) dataDelete(ctx context.Context, c *call, p *rpc.DataDeleteParams) (rpc.DataDeleted, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataDeleted{}, err
	}
	n, err := s.svc.DeleteDocuments(ctx, who, p.Org, p.Filter, p.Many, p.All)
	if err != nil {
		return rpc.DataDeleted{}, err
	}
	return rpc.DataDeleted{Deleted: n}, nil
}

func (s *Server) dataIndexesList(ctx context.Context, c *call, p *rpc.DataIndexesParams) (rpc.DataIndexes, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataIndexes{}, err
	}
	ixs, err := s.svc.Indexes(ctx, who, p.Org)
	if err != nil {
		return rpc.DataIndexes{}, err
	}
	out := rpc.DataIndexes{Indexes: make([]rpc.DataIndex, len(ixs))}
	for i, ix := range ixs {
		keys, err := ix.Keys.JSON()
		if err != nil {
			return rpc.DataIndexes{}, err
		}
		out.Indexes[i] = rpc.DataIndex{Name: ix.Name, Keys: keys, Unique: ix.Unique}
	}
	return out, nil
}

func (s *Server) dataIndexesCreate(ctx context.Context, c *call, p *rpc.DataIndexCreateParams) (rpc.DataIndexCreated, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataIndexCreated{}, err
	}
	name, err := s.svc.CreateIndex(ctx, who, p.Org, p.Keys, p.Name, p.Unique)
	if err != nil {
		return rpc.DataIndexCreated{}, err
	}
	s.log.Info("index created", "org", p.Org, "index", name, "by", who.AccountID)
	return rpc.DataIndexCreated{Name: name}, nil
}

func (s *Server) dataIndexesDrop(ctx context.Context, c *call, p *rpc.DataIndexDropParams) (rpc.DataIndexDropped, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.DataIndexDropped{}, err
	}
	if err := s.svc.DropIndex(ctx, who, p.Org, p.Name); err != nil {
		return rpc.DataIndexDropped{}, err
	}
	s.log.Info("index dropped", "org", p.Org, "index", p.Name, "by", who.AccountID)
	return rpc.DataIndexDropped{Dropped: true}, nil
}
