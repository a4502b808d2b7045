package org_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func event(typ org.EventType, id string) org.Event {
	return org.Event{Type: typ, Organization: org.Organization{ID: id, Name: "Org " + id}}
}

// closed reports whether sub.C is closed once the events before the end
// are read, waiting a little for the close.
func closed(t *testing.T, sub *org.Subscription) bool {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case _, ok := <-sub.C:
			if !ok {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

func TestEventsFilter(t *testing.T) {
	h := org.NewEvents()
	all := h.Subscribe(nil)
	defer all.Close()
	onlyA := h.Subscribe(func(ev org.Event) bool { return ev.Organization.ID == "a" })
	defer onlyA.Close()
	onlyDeletes := h.Subscribe(func(ev org.Event) bool { return ev.Type == org.EventDeleted })
	defer onlyDeletes.Close()

	h.Publish(event(org.EventCreated, "a"))
	h.Publish(event(org.EventCreated, "b"))
	h.Publish(event(org.EventRenamed, "a"))
	h.Publish(event(org.EventDeleted, "b"))

	tests := []struct {
		name string
		sub  *org.Subscription
		want []string
	}{
		{"a subscriber without a filter gets every event in order", all, []string{"created a", "created b", "renamed a", "deleted b"}},
		{"a subscriber to one organization gets only its events", onlyA, []string{"created a", "renamed a"}},
		{"a subscriber to deletes gets only deletes", onlyDeletes, []string{"deleted b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, ev := range drain(t, tt.sub) {
				got = append(got, fmt.Sprintf("%s %s", ev.Type, ev.Organization.ID))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEventsDropSlowSubscribers(t *testing.T) {
	h := org.NewEvents()
	slow := h.Subscribe(nil)
	defer slow.Close()
	filtered := h.Subscribe(func(ev org.Event) bool { return ev.Organization.ID == "rare" })
	defer filtered.Close()

	for i := range org.SubscriptionBuffer {
		h.Publish(event(org.EventUpdated, fmt.Sprint(i)))
	}
	t.Run("a subscriber exactly a buffer behind is kept", func(t *testing.T) {
		if n := h.Subscribers(); n != 2 {
			t.Fatalf("%d subscribers, want 2", n)
		}
	})

	h.Publish(event(org.EventUpdated, "one too many"))
	t.Run("one event more drops it", func(t *testing.T) {
		if n := h.Subscribers(); n != 1 {
			t.Fatalf("%d subscribers, want 1", n)
		}
	})
	t.Run("it still reads what was buffered, then C is closed", func(t *testing.T) {
		n := 0
		for range slow.C {
			n++
		}
		if n != org.SubscriptionBuffer {
			t.Fatalf("read %d events before the end, want %d", n, org.SubscriptionBuffer)
		}
	})
	t.Run("Overflowed says why it ended", func(t *testing.T) {
		if !slow.Overflowed() {
			t.Fatal("Overflowed is false")
		}
	})
	t.Run("Dropped counts it, and Close does not count as a drop", func(t *testing.T) {
		if n := h.Dropped(); n != 1 {
			t.Fatalf("Dropped = %d, want 1", n)
		}
		h.Subscribe(nil).Close()
		if n := h.Dropped(); n != 1 {
			t.Fatalf("Dropped = %d after a Close, want 1", n)
		}
	})
	t.Run("events a filter refuses do not count against the buffer", func(t *testing.T) {
		h.Publish(event(org.EventUpdated, "rare"))
		if evs := drain(t, filtered); len(evs) != 1 {
			t.Fatalf("got %d events, want 1", len(evs))
		}
		if filtered.Overflowed() {
			t.Fatal("the filtered subscriber overflowed")
		}
	})
	t.Run("Close after the drop is safe and ends no other subscription", func(t *testing.T) {
		slow.Close()
		slow.Close()
		if n := h.Subscribers(); n != 1 {
			t.Fatalf("%d subscribers, want the filtered one", n)
		}
	})
}

func TestEventsClose(t *testing.T) {
	h := org.NewEvents()
	sub := h.Subscribe(nil)
	h.Publish(event(org.EventCreated, "a"))
	sub.Close()

	t.Run("Close ends the subscription", func(t *testing.T) {
		if !closed(t, sub) {
			t.Fatal("C is not closed")
		}
		if n := h.Subscribers(); n != 0 {
			t.Fatalf("%d subscribers, want 0", n)
		}
	})
	t.Run("a closed subscription did not overflow", func(t *testing.T) {
		if sub.Overflowed() {
			t.Fatal("Overflowed is true")
		}
	})
	t.Run("Close twice is safe", func(t *testing.T) {
		sub.Close()
		if n := h.Subscribers(); n != 0 || sub.Overflowed() {
			t.Fatalf("%d subscribers, overflowed %v", n, sub.Overflowed())
		}
	})
	t.Run("publishing after Close reaches nobody", func(t *testing.T) {
		h.Publish(event(org.EventCreated, "b"))
		if ev, ok := <-sub.C; ok {
			t.Fatalf("a closed subscription received %+v", ev)
		}
	})
}

// TestEventsConcurrently is for the race detector: publishers, readers,
// slow readers and closers all at once. A subscriber gets every event its
// filter accepts unless it was dropped for falling behind or closed.
func TestEventsConcurrently(t *testing.T) {
	h := org.NewEvents()
	const publishers, perPublisher = 4, 500
	const total, deletes = publishers * perPublisher, publishers * perPublisher / 10
	subs := make([]*org.Subscription, 8)
	received := make([]int, len(subs))
	var readers sync.WaitGroup
	for i := range subs {
		subs[i] = h.Subscribe(func(ev org.Event) bool { return i%2 == 0 || ev.Type == org.EventDeleted })
		readers.Go(func() {
			for range subs[i].C {
				received[i]++
				if i == 5 {
					time.Sleep(time.Millisecond) // falls behind
				}
			}
		})
	}
	var writers sync.WaitGroup
	for p := range publishers {
		writers.Go(func() {
			for n := range perPublisher {
				typ := org.EventUpdated
				if n%10 == 0 {
					typ = org.EventDeleted
				}
				h.Publish(event(typ, fmt.Sprint(p)))
			}
		})
	}
	writers.Go(func() {
		time.Sleep(time.Millisecond)
		subs[7].Close()
		subs[7].Close()
	})
	writers.Wait()
	for _, sub := range subs {
		sub.Close()
	}
	readers.Wait()

	for i, sub := range subs {
		want := total
		if i%2 == 1 {
			want = deletes
		}
		switch {
		case received[i] > want:
			t.Errorf("subscriber %d got %d events, more than the %d it accepts", i, received[i], want)
		case sub.Overflowed() && received[i] == want:
			t.Errorf("subscriber %d got all %d events, yet overflowed", i, want)
		case !sub.Overflowed() && i != 7 && received[i] != want:
			t.Errorf("subscriber %d got %d of %d events without overflowing", i, received[i], want)
		}
	}
}
