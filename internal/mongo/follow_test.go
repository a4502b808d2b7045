package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/mongo"
)

// TestEachTickFollowsOthersBeforeItsHeartbeat: on a shared store, a tick
// reads the directory version before it writes the heartbeat, so that
// another daemon's change reaches this one without waiting for a write.
func TestEachTickFollowsOthersBeforeItsHeartbeat(t *testing.T) {
	var rec recorder
	s, _ := openStoreWith(t, mongo.Options{Exclusive: false, Monitor: rec.monitor(), RefreshInterval: 50 * time.Millisecond})
	rec.start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	var meta []string
	deadline := time.Now().Add(10 * time.Second)
	for len(meta) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		meta = meta[:0]
		for _, c := range rec.commands() {
			if c.collection == mongo.MetaCollection && (c.name == "find" || c.name == "update") {
				meta = append(meta, c.name)
			}
		}
	}
	cancel()
	<-done
	if len(meta) < 4 {
		t.Fatalf("two ticks sent %v to %s, want a read and a heartbeat each", meta, mongo.MetaCollection)
	}
	for i := 0; i+1 < len(meta); i += 2 {
		if meta[i] != "find" || meta[i+1] != "update" {
			t.Fatalf("ticks sent %v to %s: each should read the version, then write the heartbeat", meta, mongo.MetaCollection)
		}
	}
}
