package daemon

import "runtime"

// Processors: bcrypt and the embedded engine's SQLite are work that runs
// on a P for as long as it lasts, and the Go scheduler preempts such work
// only every ten milliseconds. A memory-served request (org.get, a token
// check) arriving while every P is in such work waits for that preemption,
// ten milliseconds and more, although it needs a few microseconds.
//
// So orgd serve runs more Ps than the machine has cores: bcrypt may use
// as many Ps as there are cores (auth.Hasher), the embedded engine's
// connections one each (embeddedConns and embeddedDataConns, which bound
// the store work running at once), and one more P is left over for
// requests. The kernel shares the cores between the threads of all of
// them, within a millisecond, so bcrypt and the store still have every
// core when nothing else needs one.

// ReserveProcessors raises GOMAXPROCS above the cores the runtime found
// (GOMAXPROCS's default: the machine's cores, or its CPU quota), by one P
// per embedded store connection when the store is embedded (cfg.MongoURI
// empty) and one for requests. It returns the number of cores, which is
// what bcrypt may use (Config.BcryptSlots), and what puts GOMAXPROCS back.
// It changes the whole process: orgd serve calls it once, before Start.
func ReserveProcessors(cfg Config) (cores int, restore func()) {
	cores = runtime.GOMAXPROCS(0)
	extra := 1
	if cfg.MongoURI == "" {
		extra += embeddedConns + embeddedDataConns
	}
	runtime.GOMAXPROCS(cores + extra)
	return cores, func() { runtime.GOMAXPROCS(cores) }
}
