package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/org"
)

// Indexes implements org.DocumentStore.
func (s *Store) Indexes(ctx context.Context, orgID string) ([]org.Index, error) {
	var out []org.Index
	err := s.tenant(ctx, orgID, false, func(c *mongo.Collection, _ org.Organization) error {
		cur, err := c.Indexes().List(ctx)
		if err != nil {
			return dataErr("list indexes", "org", err)
		}
		defer cur.Close(context.WithoutCancel(ctx))
		for cur.Next(ctx) {
			spec := cur.Current
			name, _ := spec.Lookup("name").StringValueOK()
			keys, _ := spec.Lookup("key").DocumentOK()
			unique, _ := spec.Lookup("unique").BooleanOK()
			d, err := document.FromBSON(append([]byte(nil), keys...))
			if err != nil {
				return fmt.Errorf("index %s: %w", name, err)
			}
			out = append(out, org.Index{Name: name, Keys: d, Unique: unique})
		}
		return dataErr("list indexes", "org", cur.Err())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateIndex implements org.DocumentStore.
func (s *Store) CreateIndex(ctx context.Context, orgID string, ix org.Index) (string, error) {
	if err := s.engineCheck("keys", ix.Keys); err != nil {
		return "", err
	}
	var name string
	err := s.tenant(ctx, orgID, true, func(c *mongo.Collection, _ org.Organization) error {
		opts := options.Index()
		if ix.Name != "" {
			opts.SetName(ix.Name)
		}
		if ix.Unique {
			opts.SetUnique(true)
		}
		var err error
		name, err = c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.Raw(ix.Keys.BSON()), Options: opts})
		if code, msg, _, ok := serverError(err); ok {
			switch code {
			case codeIndexAlreadyExists, codeIndexOptionsConflict, codeIndexKeySpecsConflict:
				return &org.Error{Code: org.ECONFLICT, Field: "keys", Reason: "index_exists", Message: "an index conflicts with this one: " + msg}
			case codeDuplicateKey:
				return &org.Error{Code: org.ECONFLICT, Field: "unique", Reason: "duplicate_key", Message: "documents already hold the same key twice, so the index cannot be unique"}
			case codeIndexNotFound:
				// FerretDB's answer to index types it lacks ("text", …).
				return &org.Error{Code: org.EINVALID, Field: "keys", Reason: "refused_by_store", Message: "the store refused the keys: " + msg}
			}
		}
		return dataErr("create index", "keys", err)
	})
	return name, err
}

// DropIndex implements org.DocumentStore.
func (s *Store) DropIndex(ctx context.Context, orgID string, name string) error {
	return s.tenant(ctx, orgID, true, func(c *mongo.Collection, o org.Organization) error {
		err := c.Indexes().DropOne(ctx, name)
		var ce mongo.CommandError
		if errors.As(err, &ce) && (ce.Code == codeIndexNotFound || ce.Code == codeNamespaceNotFound) {
			return org.Errorf(org.ENOTFOUND, "%s has no index named %q", o.Name, name)
		}
		return dataErr("drop index", "name", err)
	})
}
