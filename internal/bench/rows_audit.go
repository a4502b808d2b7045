package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// The row of the audit trail (SPEC §10, issue 15): audit.list's first
// page with AuditEntries entries in the store.

// auditSeedChunk is how many entries one import carries.
const auditSeedChunk = 10000

// auditActions are the actions the seeded entries cycle through.
var auditActions = []string{"org.create", "member.add", "member.role", "org.labels", "member.password", "data.index_create", "org.rename"}

// seedAudit writes o.AuditEntries entries straight into the store, oldest
// first, about the seeded organizations and by their admins. Their times
// are spread from the newest entry already there (the operator's
// bootstrap) to now: orgd never lets an entry be older than the one
// before it.
func (e *env) seedAudit(ctx context.Context) (first, last time.Time, err error) {
	n := e.o.AuditEntries
	start := time.Now()
	newest, err := e.client.ListAudit(ctx, rpc.AuditListParams{Token: e.token, Limit: 1})
	if err != nil || len(newest.Items) == 0 {
		return first, last, fmt.Errorf("the newest audit entry: %v", err)
	}
	first = newest.Items[0].At.Add(time.Millisecond)
	step := max(0, start.Sub(first)) / time.Duration(n)
	orgs := max(1, e.seeded)
	batch := make([]org.AuditEntry, 0, auditSeedChunk)
	for i := range n {
		k := 1 + i%orgs
		batch = append(batch, org.AuditEntry{
			At: first.Add(time.Duration(i) * step), Actor: fmt.Sprintf("%024x", k), ActorEmail: seedEmail(k), Role: org.RoleAdmin,
			Action: auditActions[i%len(auditActions)], OrgID: fmt.Sprintf("%024x", k), OrgName: seedName(k),
			Target: memberEmail(1 + i%1000), Detail: "role viewer", Peer: "uid:1000",
		})
		if len(batch) == auditSeedChunk || i == n-1 {
			if err := e.d.Store().ImportAudit(ctx, batch); err != nil {
				return first, last, fmt.Errorf("seed audit entries: %w", err)
			}
			last = batch[len(batch)-1].At
			batch = batch[:0]
		}
	}
	e.logf("  %s audit entries seeded (%s)", count(n), time.Since(start).Round(time.Millisecond))
	return first, last, nil
}

// rowAudit measures audit.list's first page (50 entries, no filter) with
// 1 client, alternating with system.health as firstPageRow does, and
// notes what a page deep in the trail costs, read from the store.
func (e *env) rowAudit(ctx context.Context) error {
	if e.o.AuditEntries < 100 {
		return fmt.Errorf("%d audit entries to seed; at least 100 are needed", e.o.AuditEntries)
	}
	first, last, err := e.seedAudit(ctx)
	if err != nil {
		return err
	}
	params := rpc.AuditListParams{Token: e.token}
	l, err := e.client.ListAudit(ctx, params)
	if err != nil {
		return err
	}
	if len(l.Items) != org.DefaultPageSize || l.NextCursor == "" || l.Items[0].At.Before(last.Truncate(time.Millisecond)) {
		return fmt.Errorf("audit.list's first page holds %d entries from %v, want %d from the newest", len(l.Items), l.Items[0].At, org.DefaultPageSize)
	}
	c, err := dialLine(e.socket)
	if err != nil {
		return err
	}
	defer c.Close()
	call := func(req []byte) op {
		return func(context.Context, int, int) error {
			line, err := c.roundTrip(req)
			if err == nil {
				err = checkReply(line)
			}
			return err
		}
	}
	base, fig, err := e.alternate(ctx, 1, call(request(rpc.MethodSystemHealth, nil)), call(request(rpc.MethodAuditList, params)))
	if err != nil {
		return err
	}
	// Half-way back: audit.list finds where until falls by halving, and
	// reads the page by _id, entry by entry.
	middle := first.Add(last.Sub(first) / 2).UTC()
	until := middle.Format(time.RFC3339Nano)
	back, err := e.client.ListAudit(ctx, rpc.AuditListParams{Token: e.token, Until: until})
	if err != nil {
		return err
	}
	if len(back.Items) != org.DefaultPageSize || !back.Items[0].At.Before(middle) || back.Items[0].At.Before(middle.Add(-time.Hour)) {
		return fmt.Errorf("audit.list until %s holds %d entries from %v", until, len(back.Items), back.Items)
	}
	deep, err := e.latencies(ctx, 20, call(request(rpc.MethodAuditList, rpc.AuditListParams{Token: e.token, Until: until})))
	if err != nil {
		return fmt.Errorf("a page half-way back: %w", err)
	}
	lo, hi := fig.P50Spread()
	e.rows = append(e.rows, Row{
		Key:      "audit-list",
		What:     fmt.Sprintf("audit.list first page (%d) with %s entries, 1 client", org.DefaultPageSize, count(e.o.AuditEntries)),
		Figure:   fmtFigure(fig),
		Spread:   fmt.Sprintf("p50 %s–%s", fmtDur(lo), fmtDur(hi)),
		Baseline: "system.health, 1 client: " + fmtFigure(base),
		Ratio:    fmtRatio(float64(fig.P50()) / float64(base.P50())),
		Target:   "p50 ≤ 5 ms",
		Result:   verdict(fig.P50() <= 5*time.Millisecond),
		Note: fmt.Sprintf("Latency from writing the request to reading the whole answer. The %s entries were written straight into the store "+
			"(numbered _ids, as orgd writes them), their times spread over the run so far; the embedded store keeps the newest %s in memory, which the first pages "+
			"are read from. A page half-way back (until in the middle of the trail: about 20 lookups by _id to find where, then 50 more for "+
			"the entries) took p50 %s over %d calls.",
			count(e.o.AuditEntries), count(4096), fmtDur(deep), 20),
	})
	return nil
}

// latencies runs o n times, one after the other, and returns the median
// time it took.
func (e *env) latencies(ctx context.Context, n int, o op) (time.Duration, error) {
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		if err := o(ctx, 0, i); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2], nil
}
