package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// seedName, seedEmail: the seeded organizations are numbered from 1.
func seedName(i int) string  { return fmt.Sprintf("Bench Org %05d", i) }
func seedEmail(i int) string { return fmt.Sprintf("admin%05d@bench.example", i) }

// seedWorkers is how many organizations are seeded at once.
const seedWorkers = 4

// seedTo creates organizations through the store, as orgd's own creates
// do, until there are n, every admin with the one precomputed hash of
// seedPassword: seeding then costs the store's work only, not a bcrypt
// hash per organization.
func (e *env) seedTo(ctx context.Context, n int) error {
	from := e.seeded + 1
	if n < from {
		return nil
	}
	start := time.Now()
	var next atomic.Int64
	next.Store(int64(from))
	errs := make([]error, seedWorkers)
	var wg sync.WaitGroup
	for w := range seedWorkers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i > n {
					return
				}
				if err := e.seedOne(ctx, i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e.seeded = n
	e.logf("  seeded organizations %d–%d in %s", from, n, time.Since(start).Round(time.Millisecond))
	return nil
}

func (e *env) seedOne(ctx context.Context, i int) error {
	name := seedName(i)
	slug, err := org.Slug(name)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	_, err = e.d.Store().CreateOrganization(ctx, org.Organization{
		ID:           org.NewID(),
		Name:         name,
		Slug:         slug,
		Collection:   org.CollectionName(slug),
		AdminID:      org.NewID(),
		AdminEmail:   seedEmail(i),
		State:        org.StateProvisioning,
		CreatedAt:    now,
		UpdatedAt:    now,
		PasswordHash: e.hash,
		CredVersion:  1,
	})
	if err != nil {
		return fmt.Errorf("seed %s: %w", name, err)
	}
	return nil
}
