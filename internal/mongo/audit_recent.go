package mongo

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// recent holds the newest entries of the audit trail of an exclusive
// store, by number: entries[i] is numbered lo+i, without gaps. It is what
// the first pages of audit.list are read from. The caller locks.
type recent struct {
	lo      uint64
	entries []org.AuditEntry
}

// get returns the entry numbered seq, if it is held.
func (r *recent) get(seq uint64) (org.AuditEntry, bool) {
	if len(r.entries) == 0 || seq < r.lo || seq >= r.lo+uint64(len(r.entries)) {
		return org.AuditEntry{}, false
	}
	return r.entries[seq-r.lo], true
}

// newest returns the number of the newest entry held, and false when none
// is.
func (r *recent) newest() (uint64, bool) {
	if len(r.entries) == 0 {
		return 0, false
	}
	return r.lo + uint64(len(r.entries)) - 1, true
}

// add holds e, numbered seq, as the newest; it starts over when seq does
// not follow the newest held. The oldest go beyond auditRecent.
func (r *recent) add(seq uint64, e org.AuditEntry) {
	if n, ok := r.newest(); !ok || seq != n+1 {
		r.lo, r.entries = seq, r.entries[:0]
	}
	r.entries = append(r.entries, e)
	if len(r.entries) >= 2*auditRecent {
		drop := len(r.entries) - auditRecent
		r.entries = append([]org.AuditEntry(nil), r.entries[drop:]...)
		r.lo += uint64(drop)
	}
}

// room says how many older entries may be put before the oldest held.
func (r *recent) room() int { return max(0, auditRecent-len(r.entries)) }

// prepend holds older, the entries numbered lo, lo+1, … (oldest first),
// before those held, when they end where those held begin.
func (r *recent) prepend(lo uint64, older []org.AuditEntry) {
	if len(older) == 0 || len(r.entries) > 0 && lo+uint64(len(older)) != r.lo {
		return
	}
	if n := r.room(); len(older) > n {
		lo += uint64(len(older) - n)
		older = older[len(older)-n:]
	}
	r.entries = append(append([]org.AuditEntry(nil), older...), r.entries...)
	r.lo = lo
}

// dropThrough forgets the entries numbered seq and below.
func (r *recent) dropThrough(seq uint64) {
	if len(r.entries) == 0 || seq < r.lo {
		return
	}
	n := min(uint64(len(r.entries)), seq-r.lo+1)
	r.entries = append([]org.AuditEntry(nil), r.entries[n:]...)
	r.lo += n
}

// fillRecent reads the newest entries into memory after a start, newest
// first, a few at a time, until auditRecent are held or the oldest is
// reached. Entries written meanwhile are added as they come; it stops at
// the first failure (lookups fall back to the store).
func (s *Store) fillRecent(ctx context.Context) {
	if !s.keepsRecent() {
		return
	}
	s.auditLog.write.Lock()
	err := s.knowAudit(ctx)
	s.auditLog.write.Unlock()
	if err != nil {
		s.log.Debug("the newest audit entries were not read", "error", err)
		return
	}
	const chunk = 64
	start := time.Now()
	a := &s.auditLog
	for ctx.Err() == nil {
		a.mu.Lock()
		below := a.head + 1
		if len(a.recent.entries) > 0 {
			below = a.recent.lo
		}
		room, tail := a.recent.room(), a.tail
		a.mu.Unlock()
		if room == 0 || below <= tail {
			break
		}
		n := min(uint64(min(room, chunk)), below-tail)
		// Newest first, so that what was read before a gap or a failure
		// still joins those held.
		older := make([]org.AuditEntry, n)
		got := uint64(0)
		for ; got < n; got++ {
			e, ok, err := s.lookupAudit(ctx, below-1-got)
			if err != nil {
				s.log.Debug("reading the newest audit entries stopped", "error", err)
			}
			if err != nil || !ok {
				break
			}
			older[n-1-got] = e
		}
		a.mu.Lock()
		lo := below - got
		if lo < a.tail {
			got -= min(got, a.tail-lo)
			lo = below - got
		}
		a.recent.prepend(lo, older[n-got:])
		a.mu.Unlock()
		if got < n {
			// Entries are held without gaps: a gap ends what can be.
			return
		}
	}
	s.log.Debug("newest audit entries read", "took", time.Since(start))
}
