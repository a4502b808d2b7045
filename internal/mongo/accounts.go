package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// Accounts are records of their own: operators in the operators
// collection, members of organizations in the members collection. Each
// holds a claim on its email (owner: the account's id), so emails stay
// unique across all accounts and daemons. Their multi-step changes are
// written as intents in the account's document, like an organization's:
//
//	create:  insert doc (provisioning) → [operators: claim bootstrap] →
//	         claim email → activate. Reconcile rolls back.
//	remove:  [guard] doc removing (tokens refused at once) → release
//	         claims → delete doc. Reconcile rolls forward.
//	email:   doc updating with the pending email → claim it → mark it
//	         committed → release the old one → finalize. Reconcile rolls
//	         back before commit, forward after.
//
// A password change, a role change and a logout of every session are one
// write each, which moves the credential version on and so revokes the
// account's tokens. Removing an account, or demoting an admin, first
// takes the guard of its kind (guard.go), so that two daemons cannot each
// remove one of the last two admins.

// accounts returns the collection of accounts with role.
func (s *Store) accounts(role org.Role) *mongo.Collection {
	if role == org.RoleOperator {
		return s.ops
	}
	return s.members
}

// CreateAccount implements org.Store.
func (s *Store) CreateAccount(ctx context.Context, a org.Account, first bool) (_ org.Account, err error) {
	if a.Role.Member() {
		// An organization's delete waits for its members' creates here,
		// and they for it; with several daemons, reconcile removes a
		// member whose organization went in the meantime.
		l := s.tenantLock(a.OrgID)
		l.RLock()
		defer l.RUnlock()
		if o, ok := s.dir.Organization(a.OrgID); !ok || o.State != org.StateActive {
			return org.Account{}, org.Errorf(org.ENOTFOUND, "the organization no longer exists or is changing; retry")
		}
	}
	s.begin(a.ID)
	defer func() { s.end(a.ID, err) }()

	t := now()
	a.State, a.Rev, a.IntentOwner, a.IntentAt = org.StateProvisioning, 1, s.instance, t
	a.CreatedAt, a.UpdatedAt = t, t
	coll := s.accounts(a.Role)
	if _, err := coll.InsertOne(ctx, toAccountDoc(a)); err != nil {
		return org.Account{}, storeErr("insert account", err)
	}
	s.dir.PutAccount(a)
	if err := s.step("account:inserted"); err != nil {
		return org.Account{}, err
	}

	if a.Role == org.RoleOperator {
		holder, err := s.claim(ctx, bootstrapClaim, a.ID, "account")
		if err != nil {
			return org.Account{}, err
		}
		if first && holder != a.ID {
			return org.Account{}, s.abandonAccount(ctx, a, org.Errorf(org.EFORBIDDEN, "an operator already exists; log in with auth.login"))
		}
		if err := s.step("account:claimed-bootstrap"); err != nil {
			return org.Account{}, err
		}
	}

	if holder, err := s.claim(ctx, emailClaim(a.Email), a.ID, "account"); err != nil {
		return org.Account{}, err
	} else if holder != a.ID {
		return org.Account{}, s.abandonAccount(ctx, a, org.ConflictEmail("email", a.Email))
	}
	if err := s.step("account:claimed-email"); err != nil {
		return org.Account{}, err
	}
	if a.Role.Member() && !s.exclusive {
		// Another daemon may be deleting the organization.
		o, err := s.readOrg(ctx, a.OrgID)
		if err != nil || o.State != org.StateActive {
			return org.Account{}, s.abandonAccount(ctx, a, errors.Join(err, org.Errorf(org.ENOTFOUND, "the organization no longer exists or is changing; retry")))
		}
	}

	done, err := s.updateAccountIf(ctx, a, bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: org.StateActive}, {Key: "updated_at", Value: now()}}},
		{Key: "$unset", Value: bson.D{{Key: "intent_owner", Value: ""}, {Key: "intent_at", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	}, org.StateProvisioning)
	if errors.Is(err, errChanged) {
		return org.Account{}, errors.New("account create was undone underneath")
	}
	if err != nil {
		return org.Account{}, err
	}
	s.bump(ctx)
	return done, nil
}

func (s *Store) abandonAccount(ctx context.Context, a org.Account, cause error) error {
	if err := s.undoAccount(ctx, a); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// undoAccount removes an account that is being created or removed: its
// SSH keys and claims, then its document.
func (s *Store) undoAccount(ctx context.Context, a org.Account) error {
	if err := s.removeKeysOf(ctx, a.ID); err != nil {
		return err
	}
	keys := []string{emailClaim(a.Email)}
	if a.PendingEmail != "" {
		keys = append(keys, emailClaim(a.PendingEmail))
	}
	if a.Role == org.RoleOperator {
		// The bootstrap claim stays with an operator who is removed: it
		// says that the store has had one.
		if a.State == org.StateProvisioning {
			keys = append(keys, bootstrapClaim)
		}
	}
	for _, key := range keys {
		if err := s.release(ctx, key, a.ID); err != nil {
			return err
		}
	}
	if _, err := s.lastLogins.DeleteOne(ctx, bson.D{{Key: "_id", Value: a.ID}}); err != nil {
		return storeErr("delete last login", err)
	}
	if _, err := s.accounts(a.Role).DeleteOne(ctx, bson.D{{Key: "_id", Value: a.ID}}); err != nil {
		return storeErr("delete account", err)
	}
	s.dir.RemoveAccount(a.ID)
	// A login written meanwhile may have put its document back: the next
	// tick removes it.
	s.markStrayLogin(a.ID)
	return nil
}

// updateAccountIf applies update to account a if it is in one of the
// states from, and puts the result into the directory.
func (s *Store) updateAccountIf(ctx context.Context, a org.Account, update bson.D, from ...org.State) (org.Account, error) {
	d, err := updateIf[accountDoc](ctx, s, s.accounts(a.Role), a.ID, from, update)
	if err != nil {
		return org.Account{}, err
	}
	done := d.account(a.Role == org.RoleOperator)
	s.dir.PutAccount(done)
	// The directory has the last login, which the logins collection holds
	// rather than the account's document.
	if known, ok := s.dir.Account(done.ID); ok {
		done.LastLoginAt = known.LastLoginAt
	}
	return done, nil
}

// readAccount reads the account with id from the store; the directory
// says which collection it is in.
func (s *Store) readAccount(ctx context.Context, id string) (org.Account, error) {
	known, ok := s.dir.Account(id)
	if !ok {
		return org.Account{}, errNoAccount
	}
	var d accountDoc
	err := s.findByID(ctx, s.accounts(known.Role), id).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		s.dir.RemoveAccount(id)
		return org.Account{}, errNoAccount
	}
	if err != nil {
		return org.Account{}, storeErr("read account", err)
	}
	a := d.account(known.Role == org.RoleOperator)
	if known.LastLoginAt.After(a.LastLoginAt) {
		a.LastLoginAt = known.LastLoginAt // from the logins collection
	}
	return a, nil
}

var errNoAccount = &org.Error{Code: org.ENOTFOUND, Field: "email", Message: "the account no longer exists"}

func accountBusy(a org.Account) *org.Error {
	return &org.Error{Code: org.ECONFLICT, Reason: "busy", Message: fmt.Sprintf("the account %s is %s; retry in a moment", a.Email, a.State)}
}

// UpdateAccount implements org.Store.
func (s *Store) UpdateAccount(ctx context.Context, id string, c org.AccountChange) (_ org.Account, err error) {
	s.begin(id)
	defer func() { s.end(id, err) }()
	a, err := s.readAccount(ctx, id)
	if err != nil {
		return org.Account{}, err
	}
	if a.State != org.StateActive {
		return org.Account{}, accountBusy(a)
	}
	set := bson.D{{Key: "updated_at", Value: now()}}
	if c.PasswordHash != nil {
		set = append(set, bson.E{Key: "password_hash", Value: c.PasswordHash})
	}
	demote := c.Role != "" && c.Role != a.Role && a.Role == org.RoleAdmin
	if c.Role != "" && c.Role != a.Role {
		if !a.Role.Member() || !c.Role.Member() {
			return org.Account{}, org.Invalidf("role", "invalid", "only a member's role changes, between admin and viewer")
		}
		set = append(set, bson.E{Key: "role", Value: c.Role})
	}
	if c.Email != "" && c.Email != a.Email && org.EmailKey(c.Email) == org.EmailKey(a.Email) {
		set = append(set, bson.E{Key: "email", Value: c.Email}) // spelled otherwise: the claim is the same
	}
	if len(set) > 1 || c.Revoke {
		write := func() (org.Account, error) {
			return s.updateAccountIf(ctx, a, bson.D{
				{Key: "$set", Value: set},
				{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}, {Key: "cred_version", Value: 1}}},
			}, org.StateActive)
		}
		if demote {
			a, err = s.guarded(ctx, a, write)
		} else {
			a, err = write()
		}
		if errors.Is(err, errChanged) {
			return org.Account{}, accountBusy(a)
		}
		if err != nil {
			return org.Account{}, err
		}
		// Other daemons must refuse the old tokens too, now.
		s.bump(ctx)
	}
	if c.Email != "" && org.EmailKey(c.Email) != org.EmailKey(a.Email) {
		return s.changeEmail(ctx, a, c.Email)
	}
	return a, nil
}

// guarded runs change, which takes a from the admins or operators, under
// the guard of its kind: it refuses with ECONFLICT when a is the last.
func (s *Store) guarded(ctx context.Context, a org.Account, change func() (org.Account, error)) (org.Account, error) {
	scope, last := guardOf(a)
	release, err := s.guard(ctx, scope)
	if err != nil {
		return org.Account{}, err
	}
	defer release()
	n, err := s.countLoggingIn(ctx, a)
	if err != nil {
		return org.Account{}, err
	}
	if n <= 1 {
		return org.Account{}, last
	}
	return change()
}

// guardOf returns the guard scope of a's kind and the error that refuses
// taking the last one away.
func guardOf(a org.Account) (string, *org.Error) {
	if a.Role == org.RoleOperator {
		return "operators", &org.Error{Code: org.ECONFLICT, Field: "email", Reason: org.ReasonLastOperator,
			Message: "this is the only operator; add another operator before deleting this one"}
	}
	return "admins:" + a.OrgID, &org.Error{Code: org.ECONFLICT, Field: "email", Reason: org.ReasonLastAdmin,
		Message: "this is the organization's only admin; make another member admin first"}
}

// changeEmail moves account a to email. The caller holds a's change.
func (s *Store) changeEmail(ctx context.Context, a org.Account, email string) (org.Account, error) {
	t := now()
	a, err := s.updateAccountIf(ctx, a, bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "state", Value: org.StateUpdating},
			{Key: "pending_email", Value: email},
			{Key: "intent_owner", Value: s.instance},
			{Key: "intent_at", Value: t},
			{Key: "updated_at", Value: t},
		}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	}, org.StateActive)
	if errors.Is(err, errChanged) {
		return org.Account{}, accountBusy(a)
	}
	if err != nil {
		return org.Account{}, err
	}
	if err := s.step("email:intent"); err != nil {
		return org.Account{}, err
	}
	if holder, err := s.claim(ctx, emailClaim(email), a.ID, "account"); err != nil {
		return org.Account{}, err
	} else if holder != a.ID {
		cause := org.ConflictEmail("admin_email", email)
		if _, err := s.rollBackEmail(ctx, a); err != nil {
			return org.Account{}, errors.Join(cause, err)
		}
		return org.Account{}, cause
	}
	if err := s.step("email:claimed"); err != nil {
		return org.Account{}, err
	}
	if a, err = s.updateAccountIf(ctx, a, bson.D{
		{Key: "$set", Value: bson.D{{Key: "email_committed", Value: true}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	}, org.StateUpdating); err != nil {
		return org.Account{}, err
	}
	if err := s.step("email:committed"); err != nil {
		return org.Account{}, err
	}
	a, err = s.rollForwardEmail(ctx, a)
	if err == nil {
		s.bump(ctx)
	}
	return a, err
}

// rollForwardEmail finishes a committed email change.
func (s *Store) rollForwardEmail(ctx context.Context, a org.Account) (org.Account, error) {
	if err := s.release(ctx, emailClaim(a.Email), a.ID); err != nil {
		return org.Account{}, err
	}
	if err := s.step("email:released"); err != nil {
		return org.Account{}, err
	}
	return s.finishAccountIntent(ctx, a, bson.D{{Key: "email", Value: a.PendingEmail}})
}

// rollBackEmail undoes an uncommitted email change.
func (s *Store) rollBackEmail(ctx context.Context, a org.Account) (org.Account, error) {
	if err := s.release(ctx, emailClaim(a.PendingEmail), a.ID); err != nil {
		return org.Account{}, err
	}
	return s.finishAccountIntent(ctx, a, nil)
}

// finishAccountIntent makes a active again, clearing its intent and
// applying set.
func (s *Store) finishAccountIntent(ctx context.Context, a org.Account, set bson.D) (org.Account, error) {
	return s.updateAccountIf(ctx, a, bson.D{
		{Key: "$set", Value: append(set, bson.E{Key: "state", Value: org.StateActive}, bson.E{Key: "updated_at", Value: now()})},
		{Key: "$unset", Value: bson.D{{Key: "pending_email", Value: ""}, {Key: "email_committed", Value: ""}, {Key: "intent_owner", Value: ""}, {Key: "intent_at", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}},
	}, a.State)
}

// RemoveAccount implements org.Store.
func (s *Store) RemoveAccount(ctx context.Context, id string) (err error) {
	s.begin(id)
	defer func() { s.end(id, err) }()
	a, err := s.readAccount(ctx, id)
	if err != nil {
		return err
	}
	if a.State != org.StateActive {
		return accountBusy(a)
	}
	t := now()
	mark := func() (org.Account, error) {
		return s.updateAccountIf(ctx, a, bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "state", Value: org.StateRemoving},
				{Key: "intent_owner", Value: s.instance},
				{Key: "intent_at", Value: t},
				{Key: "updated_at", Value: t},
			}},
			{Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}, {Key: "cred_version", Value: 1}}},
		}, org.StateActive)
	}
	if a.Role == org.RoleViewer {
		a, err = mark()
	} else {
		a, err = s.guarded(ctx, a, mark)
	}
	if errors.Is(err, errChanged) {
		return accountBusy(a)
	}
	if err != nil {
		return err
	}
	if err := s.step("remove:intent"); err != nil {
		return err
	}
	if err := s.undoAccount(ctx, a); err != nil {
		return err
	}
	s.bump(ctx)
	return nil
}

// removeAccountsOf removes every account of the organization d, which is
// being deleted or whose create is rolled back: those of the directory,
// those the store has (with other daemons about), and the admin an
// earlier orgd kept inside d.
func (s *Store) removeAccountsOf(ctx context.Context, d orgDoc) error {
	accounts := s.dir.AccountsOf(d.ID)
	if !s.exclusive {
		var docs []accountDoc
		cur, err := s.members.Find(ctx, bson.D{{Key: "org_id", Value: d.ID}})
		if err != nil {
			return storeErr("find members", err)
		}
		if err := cur.All(ctx, &docs); err != nil {
			return storeErr("find members", err)
		}
		for _, doc := range docs {
			accounts = append(accounts, doc.account(false))
		}
	}
	if f := d.Founder; f != nil {
		if _, ok := s.dir.Account(f.ID); !ok {
			// Not inserted yet, or the directory lost it: its claim may be
			// held all the same.
			accounts = append(accounts, org.Account{ID: f.ID, Email: f.Email, Role: org.RoleAdmin, OrgID: d.ID})
		}
	}
	for _, a := range accounts {
		if err := s.undoAccount(ctx, a); err != nil {
			return err
		}
	}
	if d.legacy() && d.Legacy.AdminEmail != "" {
		if err := s.release(ctx, emailClaim(d.Legacy.AdminEmail), d.ID); err != nil {
			return err
		}
		if p := d.Pending; p != nil && p.AdminEmail != "" {
			if err := s.release(ctx, emailClaim(p.AdminEmail), d.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// RevokeToken implements org.Store.
func (s *Store) RevokeToken(ctx context.Context, jti, accountID string, expires time.Time) error {
	_, err := s.revoked.InsertOne(ctx, revocationDoc{ID: jti, Account: accountID, ExpiresAt: expires.UTC()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return storeErr("revoke token", err)
	}
	s.dir.Revoke(jti, expires)
	s.bump(ctx)
	return nil
}

// TouchLogin implements org.Store: the directory has it now; the store at
// the next refresh tick (writeLogins), in the logins collection.
func (s *Store) TouchLogin(id string, at time.Time) {
	at = at.UTC().Truncate(time.Millisecond)
	s.dir.TouchLogin(id, at)
	s.mu.Lock()
	s.logins[id] = at
	s.mu.Unlock()
}

// writeLogins writes the logins TouchLogin recorded, each to the account's
// document in the logins collection, never to the account's own (see
// loginDoc). A failed write is tried again at the next tick.
func (s *Store) writeLogins(ctx context.Context) {
	s.mu.Lock()
	logins := s.logins
	s.logins = make(map[string]time.Time)
	s.mu.Unlock()
	var failed error
	for id, at := range logins {
		if _, ok := s.dir.Account(id); !ok {
			continue
		}
		if failed == nil {
			_, failed = s.lastLogins.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
				bson.D{{Key: "$max", Value: bson.D{{Key: "at", Value: at}}}},
				options.UpdateOne().SetUpsert(true))
			if failed == nil {
				if _, ok := s.dir.Account(id); !ok {
					s.markStrayLogin(id) // removed meanwhile
				}
				continue
			}
		}
		// Kept for the next tick, unless a later login came meanwhile.
		s.mu.Lock()
		if later, ok := s.logins[id]; !ok || later.Before(at) {
			s.logins[id] = at
		}
		s.mu.Unlock()
	}
	if failed != nil {
		s.log.Debug("last logins not written; will retry", "error", failed)
	}
}

// forgetRevocations deletes the revocations of tokens that have expired.
func (s *Store) forgetRevocations(ctx context.Context) {
	for _, id := range s.dir.ForgetExpired(time.Now()) {
		if _, err := s.revoked.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			s.log.Debug("expired revocation not deleted", "error", err)
			return
		}
	}
}

// markStrayLogin has the next Reconcile remove the last login of account
// id if the account is gone by then.
func (s *Store) markStrayLogin(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.strayLogins == nil {
		s.strayLogins = make(map[string]bool)
	}
	s.strayLogins[id] = true
}

// removeStrayLogins deletes the last logins marked stray, once the store
// says their account is gone: a login written while its account was being
// removed outlives it. After a store error, the rest wait for the next
// tick.
func (s *Store) removeStrayLogins(ctx context.Context) error {
	s.mu.Lock()
	strays := s.strayLogins
	s.strayLogins = nil
	s.mu.Unlock()
	var err error
	for id := range strays {
		if _, ok := s.dir.Account(id); ok {
			continue
		}
		if err == nil {
			err = s.removeLoginIfGone(ctx, id)
		}
		if err != nil {
			s.markStrayLogin(id)
		}
	}
	return err
}

// removeLoginIfGone deletes the last login of account id if the store
// has no such account.
func (s *Store) removeLoginIfGone(ctx context.Context, id string) error {
	gone, err := s.accountGone(ctx, id)
	if err != nil || !gone {
		return err
	}
	if _, err := s.lastLogins.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return storeErr("remove last login", err)
	}
	s.log.Info("removed the last login of an account that no longer exists", "account", id)
	return nil
}
