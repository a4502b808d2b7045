package daemon_test

import (
	"runtime/debug"
	"testing"

	"github.com/orgd/orgd/internal/daemon"
)

func TestTuneGCLowersTheTargetOnTheEmbeddedStoreOnly(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	for _, c := range []struct {
		name     string
		mongoURI string
		gogc     string
		want     int
	}{
		{"the embedded store collects at 50", "", "", daemon.EmbeddedGCPercent},
		{"GOGC set by the operator wins", "", "200", 100},
		{"MongoDB keeps the runtime's target", "mongodb://db.example.com", "", 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := daemon.DefaultConfig()
			cfg.MongoURI = c.mongoURI
			got, restore := daemon.TuneGC(cfg, func(k string) string {
				if k == "GOGC" {
					return c.gogc
				}
				return ""
			})
			inForce := debug.SetGCPercent(-1)
			debug.SetGCPercent(inForce)
			restore()
			if got != c.want || inForce != c.want {
				t.Errorf("TuneGC says %d, the runtime has %d; want %d", got, inForce, c.want)
			}
			if now := debug.SetGCPercent(-1); now != 100 {
				t.Errorf("after restore the target is %d, want 100", now)
			} else {
				debug.SetGCPercent(now)
			}
		})
	}
}
