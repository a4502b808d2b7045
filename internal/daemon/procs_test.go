package daemon

import (
	"runtime"
	"testing"

	"github.com/orgd/orgd/internal/mongo"
)

func TestReserveProcessorAddsOneAndPutsItBack(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	restore := ReserveProcessor()
	if got := runtime.GOMAXPROCS(0); got != before+1 {
		t.Errorf("GOMAXPROCS is %d, want %d", got, before+1)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("after restore GOMAXPROCS is %d, want %d", got, before)
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
