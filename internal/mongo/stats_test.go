package mongo

import (
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func TestStatsCache(t *testing.T) {
	var c statsCache
	now := time.Now()
	st := org.Stats{Documents: 3, SizeBytes: 120, Indexes: 1}
	if _, ok := c.get("org_acme", now); ok {
		t.Fatal("an empty cache answered")
	}
	c.put("org_acme", st, now)
	if got, ok := c.get("org_acme", now.Add(statsFresh-time.Millisecond)); !ok || got != st {
		t.Errorf("fresh figures: %+v, %v", got, ok)
	}
	if _, ok := c.get("org_acme", now.Add(statsFresh)); ok {
		t.Error("figures older than statsFresh were answered")
	}
	c.forget("org_acme")
	if _, ok := c.get("org_acme", now); ok {
		t.Error("forgotten figures were answered")
	}
	for i := range 2000 {
		c.put(string(rune('a'+i%26))+time.Duration(i).String(), st, now.Add(-statsFresh))
	}
	c.put("org_new", st, now)
	if len(c.m) > 1100 {
		t.Errorf("the cache kept %d stale entries", len(c.m))
	}
}
