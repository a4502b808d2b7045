package daemon

import (
	"runtime"
	"testing"

	"github.com/orgd/orgd/internal/mongo"
)

func TestReserveProcessorsLeavesAPForEachStoreConnectionAndForRequests(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		what  string
		cfg   Config
		extra int
	}{
		{"embedded", Config{}, embeddedConns + embeddedDataConns + 1},
		{"MongoDB", Config{MongoURI: "mongodb://db.example:27017"}, 1},
	} {
		cores, restore := ReserveProcessors(tc.cfg)
		if cores != before {
			t.Errorf("%s: ReserveProcessors says %d cores, want GOMAXPROCS's %d", tc.what, cores, before)
		}
		if got := runtime.GOMAXPROCS(0); got != before+tc.extra {
			t.Errorf("%s: GOMAXPROCS is %d, want %d", tc.what, got, before+tc.extra)
		}
		restore()
		if got := runtime.GOMAXPROCS(0); got != before {
			t.Errorf("%s: after restore GOMAXPROCS is %d, want %d", tc.what, got, before)
		}
	}
}

func TestTheEmbeddedStoreRunsOrgdsWritesOneAtATime(t *testing.T) {
	own, data := maxConns(mongo.KindEmbedded)
	if own != 1 {
		t.Errorf("orgd runs up to %d of its own operations at once on the embedded engine, want 1", own)
	}
	if data < 1 || data > 8 {
		t.Errorf("orgd runs up to %d data operations at once on the embedded engine, want a few", data)
	}
	if own, data := maxConns(mongo.KindMongoDB); own != 0 || data != 0 {
		t.Errorf("orgd bounds a MongoDB at %d and %d connections, want the driver's default", own, data)
	}
}
