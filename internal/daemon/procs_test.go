package daemon

import (
	"runtime"
	"testing"
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
