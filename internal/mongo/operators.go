package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// CreateOperator implements org.Store:
//
//	insert doc (provisioning) → [first: claim bootstrap] → claim email → activate.
//
// Reconcile rolls an unfinished one back.
func (s *Store) CreateOperator(ctx context.Context, op org.Operator, first bool) (_ org.Operator, err error) {
	s.begin(op.ID)
	defer func() { s.end(op.ID, err) }()

	t := now()
	op.State, op.Rev, op.IntentOwner, op.IntentAt = org.StateProvisioning, 1, s.instance, t
	op.CreatedAt, op.UpdatedAt = t, t
	if _, err := s.ops.InsertOne(ctx, toOperatorDoc(op)); err != nil {
		return org.Operator{}, storeErr("insert operator", err)
	}
	s.dir.PutOperator(op)
	if err := s.step("operator:inserted"); err != nil {
		return org.Operator{}, err
	}

	holder, err := s.claim(ctx, bootstrapClaim, op.ID, "operator")
	if err != nil {
		return org.Operator{}, err
	}
	if first && holder != op.ID {
		return org.Operator{}, s.abandonOperator(ctx, op, org.Errorf(org.EFORBIDDEN, "an operator already exists; log in with auth.login"))
	}
	if err := s.step("operator:claimed-bootstrap"); err != nil {
		return org.Operator{}, err
	}

	if holder, err := s.claim(ctx, emailClaim(op.Email), op.ID, "operator"); err != nil {
		return org.Operator{}, err
	} else if holder != op.ID {
		return org.Operator{}, s.abandonOperator(ctx, op, org.ConflictEmail("email", op.Email))
	}
	if err := s.step("operator:claimed-email"); err != nil {
		return org.Operator{}, err
	}

	var d operatorDoc
	err = s.ops.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: op.ID}, {Key: "state", Value: org.StateProvisioning}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "state", Value: org.StateActive}, {Key: "updated_at", Value: now()}}},
			{Key: "$unset", Value: bson.D{{Key: "intent_owner", Value: ""}, {Key: "intent_at", Value: ""}}},
			{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
		},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return org.Operator{}, errors.New("operator create was undone underneath")
	}
	if err != nil {
		return org.Operator{}, storeErr("activate operator", err)
	}
	done := d.operator()
	s.dir.PutOperator(done)
	s.bump(ctx)
	return done, nil
}

func (s *Store) abandonOperator(ctx context.Context, op org.Operator, cause error) error {
	if err := s.undoOperator(ctx, op); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// undoOperator removes an unfinished operator: its claims, then its document.
func (s *Store) undoOperator(ctx context.Context, op org.Operator) error {
	for _, key := range []string{bootstrapClaim, emailClaim(op.Email)} {
		if err := s.release(ctx, key, op.ID); err != nil {
			return err
		}
	}
	if _, err := s.ops.DeleteOne(ctx, bson.D{{Key: "_id", Value: op.ID}}); err != nil {
		return storeErr("delete operator", err)
	}
	s.dir.RemoveOperator(op.ID)
	return nil
}
