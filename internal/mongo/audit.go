package mongo

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/org"
)

type auditDoc struct {
	At         time.Time `bson:"at"`
	Actor      string    `bson:"actor,omitempty"`
	ActorEmail string    `bson:"actor_email,omitempty"`
	Role       string    `bson:"role,omitempty"`
	Action     string    `bson:"action"`
	OrgID      string    `bson:"org_id,omitempty"`
	OrgName    string    `bson:"org_name,omitempty"`
	Target     string    `bson:"target,omitempty"`
	Detail     string    `bson:"detail,omitempty"`
	Peer       string    `bson:"peer,omitempty"`
}

// Audit implements org.Store. It never records a password, a hash or a
// token: AuditEntry has no field for them.
func (s *Store) Audit(ctx context.Context, e org.AuditEntry) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := s.audit.InsertOne(ctx, auditDoc{
		At: e.At, Actor: e.Actor, ActorEmail: e.ActorEmail, Role: string(e.Role), Action: e.Action,
		OrgID: e.OrgID, OrgName: e.OrgName, Target: e.Target, Detail: e.Detail, Peer: e.Peer,
	})
	if err != nil {
		s.log.Warn("audit entry not written", "action", e.Action, "org_id", e.OrgID, "error", err)
	}
}
