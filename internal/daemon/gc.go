package daemon

import "runtime/debug"

// EmbeddedGCPercent is the garbage collector's target (GOGC) of orgd serve
// on the embedded store. The directory lives in orgd's heap, with the
// embedded engine beside it, and the Go runtime keeps up to the heap goal
// mapped while idle: at GOGC's default of 100, up to twice the live heap.
// At 50,000 organizations and 90,000 accounts that was 219 MiB resident,
// where SPEC §11 allows 200; at 50 the goal is one and a half times the
// live heap, for a collection twice as often in a daemon that allocates
// little per request.
const EmbeddedGCPercent = 50

// TuneGC sets the garbage collector's target for orgd serve, once it has
// started: on the embedded store EmbeddedGCPercent, unless the GOGC
// environment variable (read with getenv) says otherwise; on MongoDB it
// leaves the runtime's. It returns the target in force and what puts the
// previous one back.
func TuneGC(cfg Config, getenv func(string) string) (percent int, restore func()) {
	if cfg.MongoURI != "" || getenv("GOGC") != "" {
		percent = debug.SetGCPercent(-1)
		debug.SetGCPercent(percent)
		return percent, func() {}
	}
	was := debug.SetGCPercent(EmbeddedGCPercent)
	return EmbeddedGCPercent, func() { debug.SetGCPercent(was) }
}
