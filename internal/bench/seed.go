package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// seedName, seedEmail: the seeded organizations are numbered from 1.
func seedName(i int) string  { return fmt.Sprintf("Bench Org %05d", i) }
func seedEmail(i int) string { return fmt.Sprintf("admin%05d@bench.example", i) }

// seedChunk is how many organizations one import carries.
const seedChunk = 1000

// seedTo writes organizations into the store until there are n, each
// active with its claims and its collection, every admin with the one
// precomputed hash of seedPassword: seeding then costs the store's work
// only, not a bcrypt hash per organization nor orgd's checks and intents.
func (e *env) seedTo(ctx context.Context, n int) error {
	from := e.seeded + 1
	if n < from {
		return nil
	}
	start := time.Now()
	for lo := from; lo <= n; lo += seedChunk {
		hi := min(lo+seedChunk-1, n)
		orgs := make([]org.Organization, 0, hi-lo+1)
		admins := make([]org.Account, 0, hi-lo+1)
		for i := lo; i <= hi; i++ {
			name := seedName(i)
			slug, err := org.Slug(name)
			if err != nil {
				return err
			}
			orgs = append(orgs, org.Organization{
				ID:         org.NewID(),
				Name:       name,
				Slug:       slug,
				Collection: org.CollectionName(slug),
			})
			admins = append(admins, org.Account{ID: org.NewID(), Email: seedEmail(i), PasswordHash: e.hash, CredVersion: 1})
		}
		t0 := time.Now()
		if err := e.d.Store().Import(ctx, orgs, admins); err != nil {
			return fmt.Errorf("seed organizations %d–%d: %w", lo, hi, err)
		}
		e.seeded = hi
		e.logf("  seeded organizations %d–%d in %s", lo, hi, time.Since(t0).Round(time.Millisecond))
	}
	e.logf("  %s organizations in the store (%s)", count(e.seeded), time.Since(start).Round(time.Millisecond))
	return nil
}
