package mongo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/org"
)

// Reconcile finishes or rolls back every abandoned intent: changes whose
// daemon crashed or lost the store halfway. An intent is abandoned when
// this process started it and no longer works on it, or when the daemon
// that started it is gone (its heartbeat stopped; with an exclusive store,
// any other daemon is gone). It returns the first error met, after trying
// every intent.
func (s *Store) Reconcile(ctx context.Context) error {
	var errs []error
	ids, err := s.candidates(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range ids {
		if err := s.reconcileOrganization(ctx, id); err != nil {
			// Tried again at the next tick, even if only its commit
			// record named it.
			s.suspect(id)
			errs = append(errs, fmt.Errorf("organization %s: %w", id, err))
		}
	}
	for _, a := range slices.Concat(s.dir.AccountIntents(), s.dir.Orphans(), s.accountSuspects()) {
		if err := s.reconcileAccount(ctx, a.ID); err != nil {
			s.suspect(a.ID)
			errs = append(errs, fmt.Errorf("account %s: %w", a.ID, err))
		}
	}
	if err := s.removeOrphanKeys(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.removeStrayLogins(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// candidates are the organizations the directory shows in an intent, and
// those whose change failed here (their state in the store is unknown).
// The first time, on an exclusive store, they also include the creates
// with a commit record (see commit.go): a crash may have left one without
// a document, and so out of the directory.
func (s *Store) candidates(ctx context.Context) ([]string, error) {
	var committed []string
	var err error
	s.mu.Lock()
	readRecords := s.exclusive && !s.recordsRead
	s.mu.Unlock()
	if readRecords {
		if committed, err = s.committedIDs(ctx); err == nil {
			s.mu.Lock()
			s.recordsRead = true
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	seen := make(map[string]bool, len(s.suspects))
	ids := make([]string, 0, len(s.suspects))
	for _, id := range slices.Concat(slices.Collect(maps.Keys(s.suspects)), committed) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	// Every refresh interval: the directory's unsettled organizations only,
	// not a copy of all of them (14 MB at 50,000 organizations).
	for _, id := range s.dir.Unsettled() {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	return ids, err
}

// accountSuspects are the accounts among the suspects: changes to them
// failed here, and their state in the store is unknown.
func (s *Store) accountSuspects() []org.Account {
	s.mu.Lock()
	ids := slices.Collect(maps.Keys(s.suspects))
	s.mu.Unlock()
	var out []org.Account
	for _, id := range ids {
		if a, ok := s.dir.Account(id); ok {
			out = append(out, a)
		}
	}
	return out
}

func (s *Store) reconcileOrganization(ctx context.Context, id string) error {
	if !s.tryBegin(id) {
		return nil // a change is under way here; its own code finishes it
	}
	defer s.end(id, nil)
	// Rolling a rename back or forth, or a delete on, moves or drops the
	// collection: data methods wait (see tenant.go).
	defer s.lockTenant(id)()
	if restored, err := s.restoreCommitted(ctx, id); err != nil || restored {
		if err == nil {
			s.clearSuspect(id)
		}
		return err
	}
	var d orgDoc
	err := s.findByID(ctx, s.orgs, id).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		s.dir.RemoveOrganization(id)
		s.clearSuspect(id)
		return nil
	}
	if err != nil {
		return storeErr("read organization", err)
	}
	o := d.organization()
	s.dir.PutOrganization(o)
	if o.State.Settled() {
		s.clearSuspect(id)
		return nil
	}
	abandoned, err := s.abandoned(ctx, o.IntentOwner, o.IntentAt)
	if err != nil || !abandoned {
		return err
	}
	release, err := s.changeSchema(ctx)
	if err != nil {
		return err
	}
	defer release()

	switch o.State {
	case org.StateProvisioning:
		s.log.Info("rolling back an unfinished create", "org_id", id, "name", o.Name)
		err = s.undoCreate(ctx, d, !d.KeepCollection)
	case org.StateRenaming, org.StateUpdating:
		s.cursors.forget(ctx, id)
		switch {
		case o.Pending == nil:
			_, err = s.finishIntent(ctx, id, o.State, nil)
		case o.Pending.Committed:
			s.log.Info("finishing an interrupted rename", "org_id", id, "name", o.Name, "new_name", o.Pending.Name)
			_, err = s.rollForwardUpdate(ctx, o)
		default:
			s.log.Info("rolling back an interrupted rename", "org_id", id, "name", o.Name, "new_name", o.Pending.Name)
			_, err = s.rollBackUpdate(ctx, o)
		}
	case org.StateDeleting:
		s.log.Info("finishing an interrupted delete", "org_id", id, "name", o.Name)
		err = s.finishDelete(ctx, d)
	default:
		return fmt.Errorf("unknown state %q", o.State)
	}
	if err != nil {
		return err
	}
	s.clearSuspect(id)
	s.bump(ctx)
	return nil
}

// reconcileAccount finishes or rolls back the change left half-done on
// the account with id, and removes a member whose organization is gone.
func (s *Store) reconcileAccount(ctx context.Context, id string) error {
	if !s.tryBegin(id) {
		return nil // a change is under way here; its own code finishes it
	}
	defer s.end(id, nil)
	a, err := s.readAccount(ctx, id)
	if errors.Is(err, errNoAccount) {
		s.clearSuspect(id)
		return nil
	}
	if err != nil {
		return err
	}
	s.dir.PutAccount(a)
	if a.Role.Member() {
		if _, ok := s.dir.Organization(a.OrgID); !ok {
			// Gone from the directory: the store says whether it is gone.
			gone, err := s.organizationGone(ctx, a.OrgID)
			if err != nil {
				return err
			}
			if gone {
				s.log.Info("removing a member of an organization that no longer exists", "account_id", id, "org_id", a.OrgID)
				if err := s.undoAccount(ctx, a); err != nil {
					return err
				}
				s.clearSuspect(id)
				s.bump(ctx)
				return nil
			}
		}
	}
	if a.State == org.StateActive {
		s.clearSuspect(id)
		return nil
	}
	abandoned, err := s.abandoned(ctx, a.IntentOwner, a.IntentAt)
	if err != nil || !abandoned {
		return err
	}
	switch a.State {
	case org.StateProvisioning:
		s.log.Info("rolling back an unfinished account create", "account_id", id, "role", a.Role)
		err = s.undoAccount(ctx, a)
	case org.StateRemoving:
		s.log.Info("finishing an interrupted account removal", "account_id", id, "role", a.Role)
		err = s.undoAccount(ctx, a)
	case org.StateUpdating:
		if a.EmailCommitted {
			s.log.Info("finishing an interrupted email change", "account_id", id)
			_, err = s.rollForwardEmail(ctx, a)
		} else {
			s.log.Info("rolling back an interrupted email change", "account_id", id)
			_, err = s.rollBackEmail(ctx, a)
		}
	default:
		return fmt.Errorf("unknown account state %q", a.State)
	}
	if err != nil {
		return err
	}
	s.clearSuspect(id)
	s.bump(ctx)
	return nil
}

// organizationGone reports whether the organization with id is gone for
// good: no document, and no commit record that reconcile would restore it
// from.
func (s *Store) organizationGone(ctx context.Context, id string) (bool, error) {
	_, err := s.readOrg(ctx, id)
	if org.ErrorCode(err) != org.ENOTFOUND {
		return false, err
	}
	if !s.exclusive {
		return true, nil // records are never written there
	}
	_, recorded, err := s.commitRecord(ctx, id)
	return !recorded, err
}

func (s *Store) clearSuspect(id string) {
	s.mu.Lock()
	delete(s.suspects, id)
	s.mu.Unlock()
}

// abandoned decides whether an intent's daemon has stopped working on it.
func (s *Store) abandoned(ctx context.Context, owner string, at time.Time) (bool, error) {
	switch {
	case owner == s.instance:
		return true, nil // the caller holds it, so no change of ours runs
	case s.exclusive:
		return true, nil
	case owner == "":
		return time.Since(at) > time.Minute, nil
	}
	alive, err := s.alive(ctx, owner)
	return !alive, err
}
