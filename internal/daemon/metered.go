package daemon

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
)

// meteredStore is the store as the service sees it when orgd exports
// metrics: every operation that waits on the store is timed by name
// (orgd_store_operation_duration_seconds) and counted in flight while it
// runs. TouchLogin and TouchKey wait on nothing and pass straight through,
// as does any method added to org.Store later, until it is listed here.
// What the store does on its own (reconcile, following other daemons) is
// not a request's work and is not counted.
type meteredStore struct {
	org.Store
	m *metrics.Metrics
}

func (s meteredStore) CreateOrganization(ctx context.Context, o org.Organization, admin org.Account) (org.Organization, error) {
	defer s.m.StoreCall("create_organization")()
	return s.Store.CreateOrganization(ctx, o, admin)
}

func (s meteredStore) UpdateOrganization(ctx context.Context, id string, c org.Change) (org.Organization, error) {
	defer s.m.StoreCall("update_organization")()
	return s.Store.UpdateOrganization(ctx, id, c)
}

func (s meteredStore) SuspendOrganization(ctx context.Context, id string, at time.Time, reason string) (org.Organization, error) {
	defer s.m.StoreCall("suspend_organization")()
	return s.Store.SuspendOrganization(ctx, id, at, reason)
}

func (s meteredStore) ResumeOrganization(ctx context.Context, id string) (org.Organization, error) {
	defer s.m.StoreCall("resume_organization")()
	return s.Store.ResumeOrganization(ctx, id)
}

func (s meteredStore) DeleteOrganization(ctx context.Context, id string) error {
	defer s.m.StoreCall("delete_organization")()
	return s.Store.DeleteOrganization(ctx, id)
}

// OrganizationStats keeps the operation's label of the metric,
// collection_stats, that it had when it took a collection's name.
func (s meteredStore) OrganizationStats(ctx context.Context, id string) (org.Stats, error) {
	defer s.m.StoreCall("collection_stats")()
	return s.Store.OrganizationStats(ctx, id)
}

func (s meteredStore) CreateAccount(ctx context.Context, a org.Account, first bool) (org.Account, error) {
	defer s.m.StoreCall("create_account")()
	return s.Store.CreateAccount(ctx, a, first)
}

func (s meteredStore) UpdateAccount(ctx context.Context, id string, c org.AccountChange) (org.Account, error) {
	defer s.m.StoreCall("update_account")()
	return s.Store.UpdateAccount(ctx, id, c)
}

func (s meteredStore) RemoveAccount(ctx context.Context, id string) error {
	defer s.m.StoreCall("remove_account")()
	return s.Store.RemoveAccount(ctx, id)
}

func (s meteredStore) RevokeToken(ctx context.Context, jti, accountID string, expires time.Time) error {
	defer s.m.StoreCall("revoke_token")()
	return s.Store.RevokeToken(ctx, jti, accountID, expires)
}

func (s meteredStore) AddKey(ctx context.Context, k org.Key) (org.Key, error) {
	defer s.m.StoreCall("add_key")()
	return s.Store.AddKey(ctx, k)
}

func (s meteredStore) RemoveKey(ctx context.Context, fingerprint string) error {
	defer s.m.StoreCall("remove_key")()
	return s.Store.RemoveKey(ctx, fingerprint)
}

func (s meteredStore) Ping(ctx context.Context) error {
	defer s.m.StoreCall("ping")()
	return s.Store.Ping(ctx)
}

func (s meteredStore) Audit(ctx context.Context, e org.AuditEntry) {
	defer s.m.StoreCall("audit")()
	s.Store.Audit(ctx, e)
}

func (s meteredStore) ListAudit(ctx context.Context, q org.AuditQuery) (org.AuditPage, error) {
	defer s.m.StoreCall("list_audit")()
	return s.Store.ListAudit(ctx, q)
}

func (s meteredStore) InsertDocuments(ctx context.Context, orgID string, docs []document.Document) ([]document.Value, error) {
	defer s.m.StoreCall("insert_documents")()
	return s.Store.InsertDocuments(ctx, orgID, docs)
}

func (s meteredStore) FindDocuments(ctx context.Context, orgID string, q org.DocumentQuery) (org.DocumentPage, error) {
	defer s.m.StoreCall("find_documents")()
	return s.Store.FindDocuments(ctx, orgID, q)
}

func (s meteredStore) CountDocuments(ctx context.Context, orgID string, filter document.Document) (int64, error) {
	defer s.m.StoreCall("count_documents")()
	return s.Store.CountDocuments(ctx, orgID, filter)
}

func (s meteredStore) UpdateDocuments(ctx context.Context, orgID string, u org.DocumentUpdate) (org.UpdateResult, error) {
	defer s.m.StoreCall("update_documents")()
	return s.Store.UpdateDocuments(ctx, orgID, u)
}

func (s meteredStore) DeleteDocuments(ctx context.Context, orgID string, filter document.Document, many bool) (int64, error) {
	defer s.m.StoreCall("delete_documents")()
	return s.Store.DeleteDocuments(ctx, orgID, filter, many)
}

func (s meteredStore) Indexes(ctx context.Context, orgID string) ([]org.Index, error) {
	defer s.m.StoreCall("list_indexes")()
	return s.Store.Indexes(ctx, orgID)
}

func (s meteredStore) CreateIndex(ctx context.Context, orgID string, ix org.Index) (string, error) {
	defer s.m.StoreCall("create_index")()
	return s.Store.CreateIndex(ctx, orgID, ix)
}

func (s meteredStore) DropIndex(ctx context.Context, orgID string, name string) error {
	defer s.m.StoreCall("drop_index")()
	return s.Store.DropIndex(ctx, orgID, name)
}
