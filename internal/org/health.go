package org

import (
	"context"
	"sync"
	"time"
)

// StoreHealth is what orgd last learned of its store.
type StoreHealth struct {
	Kind    string
	OK      bool
	Latency time.Duration
	Checked time.Time
}

// health keeps the last probe of the store, so that system.health answers
// at once, without waiting on a store that may be down.
type health struct {
	mu   sync.Mutex
	last StoreHealth
}

// StoreHealth returns the last known health of the store.
func (s *Service) StoreHealth() StoreHealth {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	h := s.health.last
	h.Kind = s.store.Kind()
	return h
}

// ProbeStore pings the store once and records the outcome.
func (s *Service) ProbeStore(ctx context.Context, timeout time.Duration) StoreHealth {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	err := s.store.Ping(ctx)
	h := StoreHealth{Kind: s.store.Kind(), OK: err == nil, Latency: time.Since(start), Checked: time.Now()}
	s.health.mu.Lock()
	was := s.health.last
	s.health.last = h
	s.health.mu.Unlock()
	if was.OK != h.OK && !was.Checked.IsZero() {
		if h.OK {
			s.log.Info("store reachable again", "latency", h.Latency)
		} else {
			s.log.Warn("store unreachable", "error", err)
		}
	}
	return h
}

// storeDown records that a request found the store out of reach, as a
// failed probe would; the next probe says when it is back.
func (s *Service) storeDown() {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	if s.health.last.OK {
		s.log.Warn("store unreachable (a request could not reach it)")
	}
	s.health.last.OK, s.health.last.Checked = false, time.Now()
}

// WatchStore probes the store every interval until ctx ends.
func (s *Service) WatchStore(ctx context.Context, interval, timeout time.Duration) {
	s.ProbeStore(ctx, timeout)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.ProbeStore(ctx, timeout)
		}
	}
}

// Tenants returns the number of organizations and the configured maximum
// (0: no limit).
func (s *Service) Tenants() (n, max int) {
	return s.dir.Len(), s.cfg.MaxTenants
}
