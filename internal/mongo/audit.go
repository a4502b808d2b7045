package mongo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// The audit trail's layout.
//
// Each entry is a document of the audit collection whose _id is its
// sequence number: 16 lower-case hex digits, from 1, one more for each
// entry, so that _ids sort as the entries were written (strictly: two
// entries of one millisecond keep their order) and the entry before any
// other is known without asking. A daemon appends with the next number; on
// a shared store, where another daemon may have taken it, the insert fails
// as a duplicate key, the daemon finds the newest number again and retries:
// the _id is the claim, as for slugs and emails.
//
// Why numbers, and not the time in the _id: the embedded engine looks
// documents up by _id alone and reads, decodes and sorts the whole
// collection for anything else, a range of _ids included (25 s for the
// newest page of 100,000 entries, measured). With numbers, the entries
// around any position are found by _id, one lookup each, and an exclusive
// store (the embedded engine) keeps the newest auditRecent of them in
// memory besides, so that the first pages of audit.list wait on nothing.
// MongoDB reads a range of _ids through its index instead.
//
// An earlier orgd let the driver give each entry an ObjectId. Those
// entries stay as they are, older than every numbered one; audit.list
// reads them after the numbered ones (audit_legacy.go).
//
// On FerretDB the meta document auditHintID holds how far the numbers
// went (head, written by the store's periodic work and at Close) and where
// they begin (tail, written by retention before it deletes), so that a
// start finds the newest number with a few lookups instead of a scan: from
// the hint up, doubling the step until an entry is missing, then halving.

// auditDoc is an entry as stored. ID is a sequence number's _id, or an
// earlier orgd's ObjectId when read back.
type auditDoc struct {
	ID         any       `bson:"_id,omitempty"`
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

// storedAudit is an entry as read back: its _id of either form.
type storedAudit struct {
	ID         bson.RawValue `bson:"_id"`
	At         time.Time     `bson:"at"`
	Actor      string        `bson:"actor"`
	ActorEmail string        `bson:"actor_email"`
	Role       string        `bson:"role"`
	Action     string        `bson:"action"`
	OrgID      string        `bson:"org_id"`
	OrgName    string        `bson:"org_name"`
	Target     string        `bson:"target"`
	Detail     string        `bson:"detail"`
	Peer       string        `bson:"peer"`
}

func (d storedAudit) entry() org.AuditEntry {
	e := org.AuditEntry{
		At: d.At.UTC(), Actor: d.Actor, ActorEmail: d.ActorEmail, Role: org.Role(d.Role), Action: d.Action,
		OrgID: d.OrgID, OrgName: d.OrgName, Target: d.Target, Detail: d.Detail, Peer: d.Peer,
	}
	if id, ok := d.ID.StringValueOK(); ok {
		e.ID = id
	} else if oid, ok := d.ID.ObjectIDOK(); ok {
		e.ID = oid.Hex()
	}
	return e
}

func newAuditDoc(seq uint64, e org.AuditEntry) auditDoc {
	return auditDoc{
		ID: auditID(seq), At: e.At, Actor: e.Actor, ActorEmail: e.ActorEmail, Role: string(e.Role), Action: e.Action,
		OrgID: e.OrgID, OrgName: e.OrgName, Target: e.Target, Detail: e.Detail, Peer: e.Peer,
	}
}

// auditID is the _id of the entry numbered seq.
func auditID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// auditSeq is the number of the entry with _id id; ok is false for an id
// of another form.
func auditSeq(id string) (seq uint64, ok bool) {
	if len(id) != 16 {
		return 0, false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(id, 16, 64)
	return n, err == nil
}

// Bounds of the audit trail's work.
const (
	// auditRecent is how many of the newest entries an exclusive store
	// keeps in memory: 20 pages of 50, about 2 MB.
	auditRecent = 4096
	// auditClockSlack is how far apart the clocks of daemons sharing a
	// store may be: entries are numbered in the order they were written,
	// and on a shared store their times may disagree with that order by
	// this much. (A daemon never writes an entry older than its last one,
	// so on an exclusive store they agree.)
	auditClockSlack = 5 * time.Second
)

// clockSlack is how far the times of entries may disagree with their
// numbers: not at all on an exclusive store.
func (s *Store) clockSlack() time.Duration {
	if s.exclusive {
		return 0
	}
	return auditClockSlack
}

// auditHintID is the _id of the audit trail's hint in the meta collection.
const auditHintID = "audit"

// auditHint says how far the numbers went: head is at or below the newest
// entry's number; every entry below tail is gone (or expired).
type auditHint struct {
	Head int64 `bson:"head"`
	Tail int64 `bson:"tail"`
}

// auditTrail is the store's knowledge of the audit collection.
type auditTrail struct {
	// write lets one append at a time take the next number.
	write sync.Mutex

	mu sync.Mutex
	// known is set once head and tail have been found.
	known bool
	// head is the newest number this store wrote or found; on a shared
	// store others may have gone further.
	head uint64
	// tail is the oldest number that may still be there (FerretDB only).
	tail uint64
	// hinted is the head last written to the hint.
	hinted uint64
	// lastAt is the newest entry's time: entries never go back in time,
	// even when the clock does.
	lastAt time.Time
	// recent holds the newest entries of an exclusive store.
	recent recent
	// legacy holds an earlier orgd's entries once read (FerretDB), and
	// legacyLoad lets one read them.
	legacy     *legacyEntries
	legacyLoad sync.Mutex
}

// auditData is the audit collection through the tenants' connections
// (when there are some): what reads, deletes or imports many entries goes
// there, so that it never holds up orgd's own writes, which have one
// connection on the embedded engine.
func (s *Store) auditData() *mongo.Collection { return s.data.Collection(AuditCollection) }

// keepsRecent reports whether the newest entries are kept in memory: on an
// exclusive store no other daemon writes any.
func (s *Store) keepsRecent() bool { return s.exclusive && s.ferret }

// Audit implements org.Store: it appends e under the next number. It never
// records a password, a hash or a token: AuditEntry has no field for them.
func (s *Store) Audit(ctx context.Context, e org.AuditEntry) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.appendAudit(ctx, s.audit, []org.AuditEntry{e}); err != nil {
		s.log.Warn("audit entry not written", "action", e.Action, "org_id", e.OrgID, "error", err)
	}
}

// ImportAudit appends entries, oldest first, as Audit does one, in
// batches through the tenants' connections: for benchmarks and tests that
// need a long trail quickly. Their times are kept, but for an entry older
// than the one before it, which takes that one's time.
func (s *Store) ImportAudit(ctx context.Context, entries []org.AuditEntry) error {
	const batch = 1000
	for len(entries) > 0 {
		n := min(batch, len(entries))
		if err := s.appendAudit(ctx, s.auditData(), entries[:n]); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// appendAudit writes es, oldest first, under the numbers after the newest,
// into c.
func (s *Store) appendAudit(ctx context.Context, c *mongo.Collection, es []org.AuditEntry) error {
	a := &s.auditLog
	a.write.Lock()
	defer a.write.Unlock()
	if err := s.knowAudit(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	head, last := a.head, a.lastAt
	a.mu.Unlock()
	es = append([]org.AuditEntry(nil), es...)
	for i := range es {
		// BSON dates hold milliseconds: keep no more, so that what is
		// kept in memory equals what is read back.
		at := es[i].At.UTC().Truncate(time.Millisecond)
		if at.Before(last) {
			at = last
		}
		es[i].At, last = at, at
	}
	for attempt := 0; len(es) > 0; attempt++ {
		docs := make([]any, len(es))
		for i, e := range es {
			docs[i] = newAuditDoc(head+1+uint64(i), e)
		}
		var err error
		if len(docs) == 1 {
			_, err = c.InsertOne(ctx, docs[0])
		} else {
			_, err = c.InsertMany(ctx, docs)
		}
		// The entries before the first that failed went in (in order).
		in := len(es)
		if err != nil {
			in = insertedBefore(err)
		}
		s.appended(head, es[:in], last)
		head += uint64(in)
		es = es[in:]
		if err == nil {
			break
		}
		if !mongo.IsDuplicateKeyError(err) || attempt == 8 {
			return storeErr("insert audit entries", err)
		}
		// Another daemon took the number (or a write that seemed to fail
		// went through): find the newest again, and go on after it.
		if head, err = s.newestAudit(ctx, head); err != nil {
			return err
		}
	}
	return nil
}

// writeAuditHint writes how far the numbers went to the hint, when they
// went on since it was last written (FerretDB). The store's periodic work
// and Close call it, so that no append waits for it: an update on the
// embedded engine may take a second's schema reading after tenants were
// created.
func (s *Store) writeAuditHint(ctx context.Context) {
	if !s.ferret {
		return
	}
	a := &s.auditLog
	a.mu.Lock()
	head, behind := a.head, a.known && a.head > a.hinted
	a.mu.Unlock()
	if behind {
		s.hintAudit(ctx, head, 0)
	}
}

// appended notes that es went in under the numbers after head.
func (s *Store) appended(head uint64, es []org.AuditEntry, last time.Time) {
	if len(es) == 0 {
		return
	}
	a := &s.auditLog
	a.mu.Lock()
	defer a.mu.Unlock()
	a.head, a.lastAt = max(a.head, head+uint64(len(es))), last
	if s.keepsRecent() {
		for i, e := range es {
			seq := head + 1 + uint64(i)
			e.ID = auditID(seq)
			a.recent.add(seq, e)
		}
	}
}

// insertedBefore says how many documents of an ordered insert went in
// before err: none, unless err names the first that failed.
func insertedBefore(err error) int {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		return bwe.WriteErrors[0].Index
	}
	return 0
}

// hintAudit raises the hint's head and tail to at least head and tail
// (FerretDB). It is best effort: a start without it looks further.
func (s *Store) hintAudit(ctx context.Context, head, tail uint64) {
	set := bson.D{{Key: "head", Value: int64(head)}}
	if tail > 0 {
		set = append(set, bson.E{Key: "tail", Value: int64(tail)})
	}
	_, err := s.meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: auditHintID}}, bson.D{{Key: "$max", Value: set}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		s.log.Debug("audit hint not written", "error", err)
		return
	}
	s.auditLog.mu.Lock()
	s.auditLog.hinted = max(s.auditLog.hinted, head)
	s.auditLog.mu.Unlock()
}

// knowAudit finds the newest number and, on FerretDB, the oldest, once.
// The caller holds auditLog.write.
func (s *Store) knowAudit(ctx context.Context) error {
	a := &s.auditLog
	a.mu.Lock()
	known := a.known
	a.mu.Unlock()
	if known {
		return nil
	}
	var hint auditHint
	if s.ferret {
		err := s.findByID(ctx, s.meta, auditHintID).Decode(&hint)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return storeErr("read the audit hint", err)
		}
	}
	tail := uint64(max(hint.Tail, 1))
	head, err := s.newestAudit(ctx, max(uint64(max(hint.Head, 0)), tail-1))
	if err != nil {
		return err
	}
	var last time.Time
	if head > 0 {
		e, ok, err := s.lookupAudit(ctx, head)
		if err != nil {
			return err
		}
		if ok {
			last = e.At
		}
	}
	a.mu.Lock()
	a.known, a.head, a.tail, a.hinted, a.lastAt = true, max(a.head, head), max(a.tail, tail), uint64(max(hint.Head, 0)), last
	a.mu.Unlock()
	return nil
}

// newestAudit returns the newest entry's number, from base on: on MongoDB
// through the index; on FerretDB by looking up base+1, base+2, base+4, …
// until one is missing, and then halving the gap. Numbers are given out
// without gaps, so every number up to the newest is there (retention
// deletes only from the oldest up, and the tail hint is above what it
// deleted).
func (s *Store) newestAudit(ctx context.Context, base uint64) (uint64, error) {
	if !s.ferret {
		var d storedAudit
		err := s.auditData().FindOne(ctx, auditRange(0, maxAuditSeq), options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&d)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			return base, nil
		case err != nil:
			return 0, storeErr("find the newest audit entry", err)
		}
		seq, _ := auditSeq(d.entry().ID)
		return max(seq, base), nil
	}
	exists := func(seq uint64) (bool, error) {
		_, ok, err := s.lookupAudit(ctx, seq)
		return ok, err
	}
	ok, err := exists(base + 1)
	if err != nil || !ok {
		return base, err
	}
	lo, step := base+1, uint64(1)
	var hi uint64
	for {
		hi = lo + step
		if ok, err = exists(hi); err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, step = hi, step*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok, err = exists(mid); err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// maxAuditSeq is the highest number an _id can hold.
const maxAuditSeq = ^uint64(0)

// auditRange selects the numbered entries from lo to hi, both included.
func auditRange(lo, hi uint64) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: auditID(lo)}, {Key: "$lte", Value: auditID(hi)}}}}
}

// lookupAudit reads the entry numbered seq: from memory when it is one of
// the newest, else by its _id.
func (s *Store) lookupAudit(ctx context.Context, seq uint64) (org.AuditEntry, bool, error) {
	s.auditLog.mu.Lock()
	e, ok := s.auditLog.recent.get(seq)
	s.auditLog.mu.Unlock()
	if ok {
		return e, true, nil
	}
	var d storedAudit
	err := s.findByID(ctx, s.auditData(), auditID(seq)).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return org.AuditEntry{}, false, nil
	case err != nil:
		return org.AuditEntry{}, false, storeErr("read an audit entry", err)
	}
	return d.entry(), true, nil
}
