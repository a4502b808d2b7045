package org

import "sync"

// SubscriptionBuffer is how many events a subscriber may fall behind by
// before its subscription is ended: a subscriber that does not keep up is
// dropped rather than allowed to hold memory without bound.
const SubscriptionBuffer = 256

// Events fans organization events out to subscribers. Publish never blocks.
type Events struct {
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	dropped int64
}

// Subscription receives the events its filter accepts on C. C is closed when
// the subscription ends: by Close, or because the subscriber fell more than
// SubscriptionBuffer events behind (then Overflowed reports true).
type Subscription struct {
	C <-chan Event

	c          chan Event
	filter     func(Event) bool
	events     *Events
	overflowed bool
}

// NewEvents returns a hub with no subscribers.
func NewEvents() *Events {
	return &Events{subs: make(map[*Subscription]struct{})}
}

// Subscribe starts a subscription to the events filter accepts.
func (h *Events) Subscribe(filter func(Event) bool) *Subscription {
	c := make(chan Event, SubscriptionBuffer)
	s := &Subscription{C: c, c: c, filter: filter, events: h}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Publish delivers ev to every subscriber that accepts it.
func (h *Events) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.filter != nil && !s.filter(ev) {
			continue
		}
		select {
		case s.c <- ev:
		default:
			s.overflowed = true
			h.dropped++
			delete(h.subs, s)
			close(s.c)
		}
	}
}

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	h := s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.c)
	}
}

// Overflowed reports whether the subscription ended because its subscriber
// fell behind. Call it after C is closed.
func (s *Subscription) Overflowed() bool {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return s.overflowed
}

// Subscribers returns the number of live subscriptions.
func (h *Events) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Dropped returns how many subscriptions have ended because their
// subscriber fell behind, since the hub was made.
func (h *Events) Dropped() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}
