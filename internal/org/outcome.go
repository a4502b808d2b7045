package org

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/orgd/orgd/internal/auth"
)

// What a request that failed on its store did, so that its answer tells
// the truth (SPEC §10): "did nothing" only when nothing was sent to the
// store, "may have happened" otherwise.

// Writes records, for one request, whether a write was sent to the store,
// and which organization the request changes. The transport starts it
// (TrackWrites); the store notes each write it sends (NoteWrite), from the
// request's context.
type Writes struct {
	sent  atomic.Bool
	orgID atomic.Pointer[string]
}

type writesKey struct{}

// TrackWrites returns ctx carrying a new Writes, and the Writes.
func TrackWrites(ctx context.Context) (context.Context, *Writes) {
	w := &Writes{}
	return context.WithValue(ctx, writesKey{}, w), w
}

// NoteWrite records that a write is being sent to the store for the
// request of ctx; a ctx without Writes (background work) is ignored.
func NoteWrite(ctx context.Context) {
	if w, _ := ctx.Value(writesKey{}).(*Writes); w != nil {
		w.sent.Store(true)
	}
}

// noteOrganization records that the request of ctx changes the
// organization with id.
func noteOrganization(ctx context.Context, id string) {
	if w, _ := ctx.Value(writesKey{}).(*Writes); w != nil {
		w.orgID.Store(&id)
	}
}

// Sent reports whether a write was sent to the store.
func (w *Writes) Sent() bool { return w != nil && w.sent.Load() }

func (w *Writes) org() string {
	if w == nil {
		return ""
	}
	if id := w.orgID.Load(); id != nil {
		return *id
	}
	return ""
}

// ErrBusy marks work refused before it started because the store is
// saturated: its queue (or bcrypt's) could not admit it in time.
// RetryAfter says when to try again.
func ErrBusy(retryAfter time.Duration, what string) *Error {
	return &Error{Code: EBUSY, RetryAfter: retryAfter,
		Message: fmt.Sprintf("orgd is busy (%s); the request did nothing; retry in %d ms", what, retryAfter.Milliseconds())}
}

// busyHashing is the answer to a request refused because every core is
// busy with bcrypt (auth.ErrBusy): a password takes a few hundred
// milliseconds, so a retry soon finds one.
func busyHashing(err error) error {
	return fmt.Errorf("%w: %w", ErrBusy(500*time.Millisecond, "too many passwords are being checked at once"), err)
}

// StoreFailed reports whether err means that the store did not answer:
// it cannot be reached, or it was too slow for the request's deadline.
func StoreFailed(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrStoreTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// Explain turns the failure of a request on its store into the answer
// that tells the truth about it, given what w recorded:
//   - a write reached the store: EUNCERTAIN, with the organization's
//     state as orgd knows it, since the change may have been applied
//     (orgd finishes or rolls back an intent itself);
//   - nothing did, and the store cannot be reached (the request's own
//     call failed as a probe would, or the last probe did): EUNAVAILABLE;
//   - nothing did, and the store answers its probe (it was only slow):
//     EBUSY, with a hint of when to retry.
//
// Any other error is returned as it is.
func (s *Service) Explain(err error, w *Writes, retryAfter time.Duration) error {
	if errors.Is(err, auth.ErrBusy) {
		return busyHashing(err)
	}
	if err == nil || !StoreFailed(err) {
		return err
	}
	if w.Sent() {
		e := &Error{Code: EUNCERTAIN, Message: "the store stopped answering after the change was sent: it may have happened; " +
			"orgd finishes or rolls back a change it began, so read the organization again to see which"}
		if o, ok := s.dir.Organization(w.org()); ok {
			e.State, e.Existing = string(o.State), o.Name
			e.Message = fmt.Sprintf("the store stopped answering after the change to %q was sent: it may have happened; "+
				"orgd finishes or rolls back a change it began (the organization is %s now), so read it again to see which", o.Name, o.State)
		}
		return fmt.Errorf("%w: %w", e, err)
	}
	if errors.Is(err, ErrUnavailable) {
		// The request's call failed as the probe would: the store is down
		// until the next probe finds it back.
		s.storeDown()
		return err
	}
	if !s.StoreHealth().OK {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", ErrBusy(retryAfter, "the store is slow"), err)
}
