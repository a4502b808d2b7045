package mongo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/org"
)

// Tenant collections and the changes that move or drop them.
//
// MongoDB creates a collection on the first write to it. A write aimed at
// an organization's collection just as a rename moves it away, or a delete
// drops it, would create a stray collection under the old name and the
// document would be lost to the tenant. Within one daemon this cannot
// happen: every data method holds its organization's lock for reading and
// finds the collection under it, and renames, deletes and their
// reconciliation hold it for writing. A data method therefore sees the
// organization either before the change (and finishes first) or after it.
//
// With several daemons on one MongoDB, another daemon learns of a rename or
// delete made here only when it follows the change (a change stream, or
// the next poll). Before every write it rereads the organization from the
// store, which shrinks the window to the few milliseconds between that read
// and the write; a write that still loses this race creates a collection
// that orgd check reports as an org_* collection without organization.

// tenantLock returns the lock of the organization with id.
func (s *Store) tenantLock(id string) *sync.RWMutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.tenants[id]
	if !ok {
		l = new(sync.RWMutex)
		s.tenants[id] = l
	}
	return l
}

// lockTenant takes the organization's lock for a change that may move or
// drop its collection. The returned function releases it.
func (s *Store) lockTenant(id string) func() {
	l := s.tenantLock(id)
	l.Lock()
	return l.Unlock
}

// forgetTenant drops the lock of a deleted organization; the caller holds
// it. Anyone still waiting for it finds the organization gone.
func (s *Store) forgetTenant(id string) {
	s.mu.Lock()
	delete(s.tenants, id)
	s.mu.Unlock()
}

// tenant runs fn on the collection of the active (or, to read, suspended)
// organization with id, holding the organization's lock for reading.
// Before writes, with other daemons possibly about, it confirms with the
// store that the organization is still active under that collection.
func (s *Store) tenant(ctx context.Context, id string, write bool, fn func(c *mongo.Collection, o org.Organization) error) error {
	l := s.tenantLock(id)
	l.RLock()
	defer l.RUnlock()
	o, ok := s.dir.Organization(id)
	if !ok {
		return org.Errorf(org.ENOTFOUND, "the organization no longer exists")
	}
	// A suspended organization's data is read (by operators), never
	// written: its lock is what a suspension waits on.
	if o.State != org.StateActive && (write || o.State != org.StateSuspended) {
		return busy(o)
	}
	if write && !s.exclusive {
		// By _id alone: the embedded engine reads any other filter by
		// scanning the whole collection.
		cur, err := s.readOrg(ctx, id)
		if err != nil {
			return err
		}
		if cur.State != org.StateActive || cur.Collection != o.Collection {
			// Changed by another daemon: learn how, and let the caller retry.
			s.dir.PutOrganization(cur)
			if cur.State == org.StateActive {
				return &org.Error{Code: org.ECONFLICT, Reason: "busy", Message: fmt.Sprintf("organization %q was just changed by another orgd; retry", cur.Name)}
			}
			return busy(cur)
		}
	}
	if write {
		defer s.stats.forget(o.Collection)
	}
	return fn(s.tenantDB(o.Database, true).Collection(o.Collection), o)
}

// detectEngine asks the store what it is: FerretDB says so in buildInfo.
func (s *Store) detectEngine(ctx context.Context) error {
	var info bson.Raw
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return storeErr("buildInfo", err)
	}
	_, err := info.LookupErr("ferretdbVersion")
	s.ferret = err == nil
	return nil
}

// Engine names what the store runs on: "ferretdb" (the embedded engine, or
// a FerretDB given by URI), whose limits orgd checks for before sending,
// or "mongodb".
func (s *Store) Engine() string {
	if s.ferret {
		return "ferretdb"
	}
	return "mongodb"
}

// ferretTypes are the BSON types the embedded engine (FerretDB v1) holds
// and knows by name in $type. It closes the connection on a message with
// any other type, or with a NaN anywhere, instead of answering with an
// error; so these are refused before they are sent.
var ferretTypes = []string{"double", "string", "object", "array", "binData", "objectId", "bool", "date", "null", "regex", "int", "timestamp", "long"}

// engineCheck refuses what the store cannot take, naming field: with
// FerretDB, any value of a type it lacks and any NaN.
func (s *Store) engineCheck(field string, d document.Document) error {
	if !s.ferret || d.IsZero() {
		return nil
	}
	return d.Visit(func(e document.Element) error {
		at := field + "." + strings.Join(e.Path, ".")
		if e.Value.IsNaN() {
			return &org.Error{Code: org.EINVALID, Field: field, Reason: "unsupported_value",
				Message: fmt.Sprintf("the embedded store cannot hold NaN (at %s); MongoDB can (orgd --mongo-uri)", at)}
		}
		t := e.Value.Type()
		for _, ok := range ferretTypes {
			if t == ok {
				return nil
			}
		}
		return &org.Error{Code: org.EINVALID, Field: field, Reason: "unsupported_type",
			Message: fmt.Sprintf("the embedded store cannot hold values of type %s (at %s); MongoDB can (orgd --mongo-uri)", t, at)}
	})
}

// Server error codes that mean the input was at fault, besides the 5-digit
// "location" codes, which MongoDB gives to assertions on input.
var clientFaultCodes = map[int32]bool{
	2: true, 4: true, 9: true, 14: true, 15: true, 16: true, 17: true, 20: true, 22: true,
	28: true, 29: true, 30: true, 40: true, 52: true, 53: true, 54: true, 55: true, 56: true,
	57: true, 66: true, 67: true, 72: true, 115: true, 121: true, 197: true, 238: true,
	10334: true, 17280: true,
}

// Codes of a duplicate key, and of an index that exists in another form.
const (
	codeDuplicateKey          = 11000
	codeIndexNotFound         = 27
	codeIndexAlreadyExists    = 68
	codeIndexOptionsConflict  = 85
	codeIndexKeySpecsConflict = 86
)

// serverError returns the code and message of the error a server answered
// with, and for a write error the index of the document at fault (-1 for
// none).
func serverError(err error) (code int32, msg string, index int, ok bool) {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		e := bwe.WriteErrors[0]
		return int32(e.Code), e.Message, e.Index, true
	}
	var we mongo.WriteException
	if errors.As(err, &we) && len(we.WriteErrors) > 0 {
		e := we.WriteErrors[0]
		return int32(e.Code), e.Message, e.Index, true
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		return ce.Code, ce.Message, -1, true
	}
	return 0, "", -1, false
}

var dupKeyIndex = regexp.MustCompile(`index: (\S+) dup key: (.*)$`)

// dataErr turns an error of a data method into one the caller can act on:
// EINVALID naming field for what the store refused, ECONFLICT for a
// duplicate key, ErrUnavailable for a store out of reach, and an internal
// error for the rest.
func dataErr(doing, field string, err error) error {
	if err == nil {
		return nil
	}
	var oe *org.Error
	if errors.As(err, &oe) {
		return err
	}
	if unreachable(err) || timedOut(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return storeErr(doing, err)
	}
	code, msg, _, ok := serverError(err)
	switch {
	case !ok:
		return storeErr(doing, err)
	case code == codeDuplicateKey || code == 11001:
		detail := "a document with the same key exists"
		if m := dupKeyIndex.FindStringSubmatch(msg); m != nil {
			detail = fmt.Sprintf("a document with the same key exists (index %s, key %s)", m[1], m[2])
		}
		return &org.Error{Code: org.ECONFLICT, Field: field, Reason: "duplicate_key", Message: detail}
	case clientFaultCodes[code] || (code >= 15000 && code < 100000):
		return &org.Error{Code: org.EINVALID, Field: field, Reason: "refused_by_store", Message: fmt.Sprintf("the store refused the %s: %s", field, msg)}
	}
	return storeErr(doing, err)
}
