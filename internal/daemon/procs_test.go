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

func TestTheEmbeddedStoreRunsAFewOperationsAtOnce(t *testing.T) {
	if n := maxConns(mongo.KindEmbedded); n < 1 || n > 8 {
		t.Errorf("orgd runs up to %d operations at once on the embedded engine, want a few", n)
	}
	if n := maxConns(mongo.KindMongoDB); n != 0 {
		t.Errorf("orgd bounds a MongoDB at %d connections, want the driver's default", n)
	}
}
