package mongo

import (
	"sync"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// statsFresh is how long a collection's figures (collStats) are answered
// again without asking the store. collStats is costly on the embedded
// engine, and grows with the number of collections (26 ms of CPU a call
// at 10,000 organizations): orgtui asks for them each time an
// organization's details open. This orgd's own writes to a collection
// forget its figures at once; another daemon's show within statsFresh.
const statsFresh = 5 * time.Second

// statsCache keeps recent figures of tenant collections, by name.
type statsCache struct {
	mu sync.Mutex
	m  map[string]statsEntry
}

type statsEntry struct {
	stats org.Stats
	at    time.Time
}

// get returns the figures of collection if they are fresh.
func (c *statsCache) get(collection string, now time.Time) (org.Stats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[collection]
	if !ok || now.Sub(e.at) >= statsFresh {
		return org.Stats{}, false
	}
	return e.stats, true
}

// put keeps the figures of collection, read at now.
func (c *statsCache) put(collection string, st org.Stats, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]statsEntry)
	}
	// Old entries go when the map grows: nothing else reads them.
	if len(c.m) >= 1024 {
		for k, e := range c.m {
			if now.Sub(e.at) >= statsFresh {
				delete(c.m, k)
			}
		}
	}
	c.m[collection] = statsEntry{stats: st, at: now}
}

// forget drops the figures of collection: it was written, renamed or
// dropped.
func (c *statsCache) forget(collection string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, collection)
}
