package mongo

import (
	"bytes"
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/orgd/orgd/internal/document"
)

// liveCursor is a driver cursor kept open between pages (see paging.go).
type liveCursor struct {
	orgID string
	query []byte
	cur   *mongo.Cursor
	// next is the document after the last page, read to learn whether
	// there is a next page at all.
	next document.Document
	used time.Time
}

// read returns up to limit documents, and whether more follow.
func (lc *liveCursor) read(ctx context.Context, limit int) ([]document.Document, bool, error) {
	docs := make([]document.Document, 0, limit)
	if !lc.next.IsZero() {
		docs = append(docs, lc.next)
		lc.next = document.Document{}
	}
	for len(docs) < limit+1 && lc.cur.Next(ctx) {
		// Current is the driver's buffer: copy what is kept.
		d, err := document.FromBSON(bytes.Clone(lc.cur.Current))
		if err != nil {
			return nil, false, err
		}
		docs = append(docs, d)
	}
	if err := lc.cur.Err(); err != nil {
		return nil, false, err
	}
	if len(docs) <= limit {
		return docs, false, nil
	}
	lc.next = docs[limit]
	return docs[:limit], true, nil
}

func (lc *liveCursor) close(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = lc.cur.Close(cctx)
}

// cursors holds the live cursors of this process, by id.
type cursors struct {
	mu   sync.Mutex
	open map[string]*liveCursor
	max  int
	ttl  time.Duration
}

func newCursors(max int, ttl time.Duration) *cursors {
	return &cursors{open: make(map[string]*liveCursor), max: max, ttl: ttl}
}

// take removes and returns the live cursor id, if it is there, unexpired,
// and made for orgID and query.
func (c *cursors) take(ctx context.Context, id, orgID string, query []byte) *liveCursor {
	c.mu.Lock()
	lc, ok := c.open[id]
	if ok {
		delete(c.open, id)
	}
	c.mu.Unlock()
	switch {
	case !ok:
		return nil
	case lc.orgID != orgID || !bytes.Equal(lc.query, query) || time.Since(lc.used) > c.ttl:
		lc.close(ctx)
		return nil
	}
	return lc
}

// put keeps lc under a new id, which it returns, closing expired cursors
// and, beyond the maximum, the least recently used.
func (c *cursors) put(ctx context.Context, lc *liveCursor) string {
	lc.used = time.Now()
	id := newCursorID()
	var drop []*liveCursor
	c.mu.Lock()
	c.open[id] = lc
	drop = c.expiredLocked(drop)
	for len(c.open) > c.max {
		oldest := ""
		for k, v := range c.open {
			if oldest == "" || v.used.Before(c.open[oldest].used) {
				oldest = k
			}
		}
		drop = append(drop, c.open[oldest])
		delete(c.open, oldest)
	}
	c.mu.Unlock()
	for _, d := range drop {
		d.close(ctx)
	}
	if _, kept := c.peek(id); !kept {
		return ""
	}
	return id
}

func (c *cursors) peek(id string) (*liveCursor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lc, ok := c.open[id]
	return lc, ok
}

func (c *cursors) expiredLocked(drop []*liveCursor) []*liveCursor {
	for k, v := range c.open {
		if time.Since(v.used) > c.ttl {
			drop = append(drop, v)
			delete(c.open, k)
		}
	}
	return drop
}

// sweep closes the expired cursors.
func (c *cursors) sweep(ctx context.Context) {
	c.mu.Lock()
	drop := c.expiredLocked(nil)
	c.mu.Unlock()
	for _, d := range drop {
		d.close(ctx)
	}
}

// forget closes the cursors of the organization orgID.
func (c *cursors) forget(ctx context.Context, orgID string) {
	var drop []*liveCursor
	c.mu.Lock()
	for k, v := range c.open {
		if v.orgID == orgID {
			drop = append(drop, v)
			delete(c.open, k)
		}
	}
	c.mu.Unlock()
	for _, d := range drop {
		d.close(ctx)
	}
}

// closeAll closes every cursor.
func (c *cursors) closeAll(ctx context.Context) {
	c.mu.Lock()
	drop := make([]*liveCursor, 0, len(c.open))
	for k, v := range c.open {
		drop = append(drop, v)
		delete(c.open, k)
	}
	c.mu.Unlock()
	for _, d := range drop {
		d.close(ctx)
	}
}
