package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/org"
)

// InsertDocuments implements org.DocumentStore.
func (s *Store) InsertDocuments(ctx context.Context, orgID string, docs []document.Document) ([]document.Value, error) {
	in := make([]any, len(docs))
	ids := make([]document.Value, len(docs))
	for i, d := range docs {
		field := fmt.Sprintf("documents[%d]", i)
		if err := s.engineCheck(field, d); err != nil {
			return nil, err
		}
		withID, id, err := ensureID(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		in[i], ids[i] = bson.Raw(withID.BSON()), id
	}
	err := s.tenant(ctx, orgID, true, func(c *mongo.Collection, _ org.Organization) error {
		_, err := c.InsertMany(ctx, in, options.InsertMany().SetOrdered(true))
		if err == nil {
			return nil
		}
		field := "documents"
		if _, _, i, ok := serverError(err); ok && i >= 0 && i < len(docs) {
			field = fmt.Sprintf("documents[%d]", i)
		}
		return dataErr("insert documents", field, err)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ensureID returns d with an _id, a new ObjectId put first when it had
// none (as the driver would), and the _id.
func ensureID(d document.Document) (document.Document, document.Value, error) {
	if id, ok := d.Lookup("_id"); ok {
		return d, id, nil
	}
	oid := bson.NewObjectID()
	elems := d.BSON()[4 : len(d.BSON())-1]
	b := bsoncore.BuildDocument(nil, append(bsoncore.AppendObjectIDElement(nil, "_id", oid), elems...))
	withID, err := document.FromBSON(b)
	if err != nil {
		return document.Document{}, document.Value{}, err
	}
	id, _ := withID.Lookup("_id")
	return withID, id, nil
}

// CountDocuments implements org.DocumentStore.
func (s *Store) CountDocuments(ctx context.Context, orgID string, filter document.Document) (int64, error) {
	if err := s.engineCheck("filter", filter); err != nil {
		return 0, err
	}
	var n int64
	err := s.tenant(ctx, orgID, false, func(c *mongo.Collection, _ org.Organization) error {
		var err error
		n, err = c.CountDocuments(ctx, query(filter))
		return dataErr("count documents", "filter", err)
	})
	return n, err
}

// query is the filter to send: {} for the zero Document.
func query(filter document.Document) bson.Raw {
	if filter.IsZero() {
		return bson.Raw(emptyDocument)
	}
	return bson.Raw(filter.BSON())
}

var emptyDocument = []byte{5, 0, 0, 0, 0}

// UpdateDocuments implements org.DocumentStore.
func (s *Store) UpdateDocuments(ctx context.Context, orgID string, u org.DocumentUpdate) (org.UpdateResult, error) {
	if err := s.engineCheck("filter", u.Filter); err != nil {
		return org.UpdateResult{}, err
	}
	if err := s.engineCheck("update", u.Update); err != nil {
		return org.UpdateResult{}, err
	}
	var res *mongo.UpdateResult
	err := s.tenant(ctx, orgID, true, func(c *mongo.Collection, _ org.Organization) error {
		var err error
		f, upd := query(u.Filter), bson.Raw(u.Update.BSON())
		switch {
		case u.Replace:
			res, err = c.ReplaceOne(ctx, f, upd, options.Replace().SetUpsert(u.Upsert))
		case u.Many:
			res, err = c.UpdateMany(ctx, f, upd, options.UpdateMany().SetUpsert(u.Upsert))
		default:
			res, err = c.UpdateOne(ctx, f, upd, options.UpdateOne().SetUpsert(u.Upsert))
		}
		return dataErr("update documents", "update", err)
	})
	if err != nil {
		return org.UpdateResult{}, err
	}
	out := org.UpdateResult{Matched: res.MatchedCount, Modified: res.ModifiedCount}
	if res.UpsertedID != nil {
		id, err := valueOf(res.UpsertedID)
		if err != nil {
			return org.UpdateResult{}, fmt.Errorf("upserted _id: %w", err)
		}
		out.UpsertedID = id
	}
	return out, nil
}

// valueOf encodes a value the driver decoded back into BSON.
func valueOf(v any) (document.Value, error) {
	t, b, err := bson.MarshalValue(v)
	if err != nil {
		return document.Value{}, err
	}
	return document.ValueFromBSON(byte(t), b)
}

// DeleteDocuments implements org.DocumentStore.
func (s *Store) DeleteDocuments(ctx context.Context, orgID string, filter document.Document, many bool) (int64, error) {
	if err := s.engineCheck("filter", filter); err != nil {
		return 0, err
	}
	var n int64
	err := s.tenant(ctx, orgID, true, func(c *mongo.Collection, _ org.Organization) error {
		var res *mongo.DeleteResult
		var err error
		if many {
			res, err = c.DeleteMany(ctx, query(filter))
		} else {
			res, err = c.DeleteOne(ctx, query(filter))
		}
		if err != nil {
			return dataErr("delete documents", "filter", err)
		}
		n = res.DeletedCount
		return nil
	})
	return n, err
}
