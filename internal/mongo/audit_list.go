package mongo

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// Reading the audit trail (audit.list).
//
// A page is read newest first: the numbered entries from the newest (or
// the cursor's) down, then an earlier orgd's (audit_legacy.go). Every
// entry is matched in orgd (org.AuditQuery.Match), so a filter costs the
// entries it passes over, not one query; at most auditReadLimit entries
// are read from the store per call (those held in memory cost nothing),
// and a page that is not full by then comes back as it is, with the
// cursor of where the reading stopped. A cursor is that position, not the
// filter: it stays valid while entries are added and expire, and every
// entry present throughout is returned once.
//
// Time bounds the reading: until starts it at the newest entry before
// until (found by halving, a score of lookups at most), and the first
// entry older than since ends it. Entries are numbered as they were
// written, and their times follow: exactly on an exclusive store, within
// auditClockSlack for the clocks of daemons sharing one.

// auditReadLimit bounds the entries one audit.list call reads from the
// store (lookups by _id on FerretDB, documents of a range on MongoDB).
const auditReadLimit = 256

// auditPos is where a page starts: a numbered entry (seq, inclusive; zero
// for the newest), or with legacy set an earlier orgd's entry older than
// after (from the newest when zero).
type auditPos struct {
	seq    uint64
	legacy bool
	after  bson.ObjectID
}

const cursorPrefix = "a1"

func (p auditPos) cursor() string {
	var s string
	switch {
	case !p.legacy:
		s = cursorPrefix + "n" + auditID(p.seq)
	case p.after.IsZero():
		s = cursorPrefix + "l"
	default:
		s = cursorPrefix + "l" + p.after.Hex()
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

var errAuditCursor = org.Invalidf("cursor", "malformed", "cursor is not one this server gave out")

func decodeAuditCursor(c string) (auditPos, error) {
	if c == "" {
		return auditPos{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return auditPos{}, errAuditCursor
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	switch {
	case !ok || rest == "":
		return auditPos{}, errAuditCursor
	case rest[0] == 'n':
		seq, ok := auditSeq(rest[1:])
		if !ok || seq == 0 {
			return auditPos{}, errAuditCursor
		}
		return auditPos{seq: seq}, nil
	case rest == "l":
		return auditPos{legacy: true}, nil
	case rest[0] == 'l':
		raw, err := hex.DecodeString(rest[1:])
		if err != nil || len(raw) != len(bson.ObjectID{}) {
			return auditPos{}, errAuditCursor
		}
		return auditPos{legacy: true, after: bson.ObjectID(raw)}, nil
	}
	return auditPos{}, errAuditCursor
}

// auditWalk is one audit.list call under way.
type auditWalk struct {
	s      *Store
	q      org.AuditQuery
	budget int
	items  []org.AuditEntry
	// ended is set once an entry older than since was met: nothing after
	// it can match.
	ended bool
}

func (w *auditWalk) full() bool { return len(w.items) >= w.q.Limit }

// take looks at e: it ends the walk when e is older than since, and keeps
// it when it matches.
func (w *auditWalk) take(e org.AuditEntry) {
	if !w.q.Since.IsZero() && e.At.Before(w.q.Since.Add(-w.s.clockSlack())) {
		w.ended = true
		return
	}
	if w.q.Match(e) {
		w.items = append(w.items, e)
	}
}

// ListAudit implements org.Store.
func (s *Store) ListAudit(ctx context.Context, q org.AuditQuery) (org.AuditPage, error) {
	pos, err := decodeAuditCursor(q.Cursor)
	if err != nil {
		return org.AuditPage{}, err
	}
	if err := s.ensureAudit(ctx); err != nil {
		return org.AuditPage{}, err
	}
	w := &auditWalk{s: s, q: q, budget: auditReadLimit}
	if !pos.legacy {
		next, more, err := w.numbered(ctx, pos.seq)
		if err != nil || w.ended {
			return org.AuditPage{Items: w.items}, err
		}
		if more {
			return org.AuditPage{Items: w.items, NextCursor: auditPos{seq: next}.cursor()}, nil
		}
		pos = auditPos{legacy: true}
		if w.full() {
			// The numbered entries ended with the page: say whether an
			// earlier orgd's follow.
			some, _, err := s.legacyBatch(ctx, bson.ObjectID{}, 1)
			if err != nil || len(some) == 0 {
				return org.AuditPage{Items: w.items}, err
			}
			return org.AuditPage{Items: w.items, NextCursor: pos.cursor()}, nil
		}
	}
	after, more, err := w.earlier(ctx, pos.after)
	if err != nil || !more || w.ended {
		return org.AuditPage{Items: w.items}, err
	}
	return org.AuditPage{Items: w.items, NextCursor: auditPos{legacy: true, after: after}.cursor()}, nil
}

// ensureAudit finds the trail's bounds once; on a FerretDB that other
// daemons share it looks again how far the numbers went, and where they
// begin.
func (s *Store) ensureAudit(ctx context.Context) error {
	a := &s.auditLog
	a.write.Lock()
	defer a.write.Unlock()
	if err := s.knowAudit(ctx); err != nil || s.exclusive || !s.ferret {
		return err
	}
	var hint auditHint
	if err := s.findByID(ctx, s.meta, auditHintID).Decode(&hint); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return storeErr("read the audit hint", err)
	}
	a.mu.Lock()
	head := a.head
	a.tail = max(a.tail, uint64(max(hint.Tail, 1)))
	a.mu.Unlock()
	head, err := s.newestAudit(ctx, max(head, uint64(max(hint.Head, 0))))
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.head = max(a.head, head)
	a.mu.Unlock()
	return nil
}

// numbered reads the numbered entries from seq down (the newest when seq
// is zero). It returns where to go on from and whether any may be left
// there.
func (w *auditWalk) numbered(ctx context.Context, seq uint64) (next uint64, more bool, err error) {
	s := w.s
	a := &s.auditLog
	a.mu.Lock()
	floor := max(a.tail, 1)
	if seq == 0 {
		seq = a.head
		if !s.ferret {
			seq = maxAuditSeq
		}
	}
	a.mu.Unlock()
	if !w.q.Until.IsZero() {
		before, err := s.auditBefore(ctx, w.q.Until.Add(s.clockSlack()))
		if err != nil {
			return 0, false, err
		}
		seq = min(seq, before)
	}
	if !s.ferret {
		return w.numberedByRange(ctx, seq)
	}
	for ; seq >= floor; seq-- {
		if w.full() || w.ended {
			return seq, !w.ended, nil
		}
		e, ok := a.held(seq)
		if !ok {
			if w.budget == 0 {
				return seq, true, nil
			}
			w.budget--
			if e, ok, err = s.lookupAudit(ctx, seq); err != nil {
				return 0, false, err
			}
		}
		if ok {
			w.take(e)
		}
	}
	return 0, false, nil
}

// held returns the entry numbered seq if it is in memory.
func (a *auditTrail) held(seq uint64) (org.AuditEntry, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.recent.get(seq)
}

// numberedByRange reads the numbered entries from seq down through
// MongoDB's _id index, a range at a time.
func (w *auditWalk) numberedByRange(ctx context.Context, seq uint64) (uint64, bool, error) {
	for seq > 0 {
		if w.full() || w.ended {
			return seq, !w.ended, nil
		}
		if w.budget == 0 {
			return seq, true, nil
		}
		n := w.budget
		if !w.q.Filtered() {
			n = min(n, w.q.Limit-len(w.items)+1)
		}
		cur, err := w.s.auditData().Find(ctx, auditRange(1, seq), options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(n)))
		if err != nil {
			return 0, false, storeErr("read audit entries", err)
		}
		var docs []storedAudit
		if err := cur.All(ctx, &docs); err != nil {
			return 0, false, storeErr("read audit entries", err)
		}
		for _, d := range docs {
			e := d.entry()
			at, _ := auditSeq(e.ID)
			if w.full() {
				return at, true, nil
			}
			w.budget--
			w.take(e)
			if w.ended {
				return 0, false, nil
			}
			seq = at - 1
		}
		if len(docs) < n {
			return 0, false, nil
		}
	}
	return 0, false, nil
}

// earlier reads an earlier orgd's entries older than after (from the
// newest when zero). It returns the last one it looked at and whether any
// may be left after it.
func (w *auditWalk) earlier(ctx context.Context, after bson.ObjectID) (bson.ObjectID, bool, error) {
	for {
		if w.full() || w.ended {
			return after, !w.ended, nil
		}
		n := 1 << 20 // held in memory on FerretDB: no read to bound
		if !w.s.ferret {
			if w.budget == 0 {
				return after, true, nil
			}
			n = w.budget
		}
		batch, last, err := w.s.legacyBatch(ctx, after, n)
		if err != nil {
			return after, false, err
		}
		for i, x := range batch {
			if !w.s.ferret {
				w.budget--
			}
			w.take(x.e)
			after = x.oid
			if w.ended {
				return after, false, nil
			}
			if w.full() {
				return after, !(last && i == len(batch)-1), nil
			}
		}
		if last {
			return after, false, nil
		}
	}
}

// auditBefore returns the number of the newest entry older than t, or
// zero when there is none, by halving: entries are numbered in the order
// of their times (within clockSlack, which callers add to t). An entry
// that is gone counts as older.
func (s *Store) auditBefore(ctx context.Context, t time.Time) (uint64, error) {
	a := &s.auditLog
	a.mu.Lock()
	lo, hi := max(a.tail, 1), a.head
	a.mu.Unlock()
	if !s.ferret {
		var err error
		if lo, hi, err = s.auditEnds(ctx); err != nil || hi == 0 {
			return 0, err
		}
	}
	older := func(seq uint64) (bool, error) {
		e, ok, err := s.lookupAudit(ctx, seq)
		return !ok || e.At.Before(t), err
	}
	if lo > hi {
		return 0, nil
	}
	if ok, err := older(hi); err != nil || ok {
		return hi, err
	}
	if ok, err := older(lo); err != nil || !ok {
		return 0, err
	}
	// older(lo) and not older(hi).
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := older(mid)
		if err != nil {
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

// auditEnds returns the numbers of the oldest and the newest entry on
// MongoDB (zeros when there is none).
func (s *Store) auditEnds(ctx context.Context) (oldest, newest uint64, err error) {
	for _, dir := range []int{1, -1} {
		var d storedAudit
		err := s.auditData().FindOne(ctx, auditRange(1, maxAuditSeq), options.FindOne().SetSort(bson.D{{Key: "_id", Value: dir}})).Decode(&d)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			return 0, 0, nil
		case err != nil:
			return 0, 0, storeErr("find the ends of the audit trail", err)
		}
		seq, _ := auditSeq(d.entry().ID)
		if dir == 1 {
			oldest = seq
		} else {
			newest = seq
		}
	}
	return oldest, newest, nil
}
