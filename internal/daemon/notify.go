package daemon

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// A start is usually done in well under a second: the embedded store reads
// its directory from the snapshot a clean stop left (see
// mongo.Options.SnapshotFile). After a crash, or on a MongoDB, it reads
// every organization and account instead, which the embedded engine does at
// about 8,000 documents a second: 12 s at 50,000 organizations, and more
// if the store must also finish half-done work. systemd's start timeout
// (90 s by default) must not kill such a start, so once it takes longer
// than usual orgd asks for more time, and asks again while it goes on.
const (
	// DefaultLongStart is how long a start may take before orgd tells
	// systemd that it needs longer.
	DefaultLongStart = 2 * time.Second
	// startExtension is how much longer orgd asks systemd to wait each
	// time; it asks again every startExtension/3.
	startExtension = 30 * time.Second
)

// extendStart tells systemd (EXTEND_TIMEOUT_USEC) that the start needs
// more time once it has taken longer than after, and again while it goes
// on, until the returned stop is called. Without NOTIFY_SOCKET it sends
// nothing.
func extendStart(log *slog.Logger, after time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		began := time.Now()
		timer := time.NewTimer(after)
		defer timer.Stop()
		select {
		case <-done:
			return
		case <-timer.C:
		}
		msg := fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", startExtension.Microseconds())
		tick := time.NewTicker(startExtension / 3)
		defer tick.Stop()
		for first := true; ; first = false {
			sent, err := sd.SdNotify(false, msg)
			switch {
			case err != nil:
				log.Warn("sd_notify EXTEND_TIMEOUT_USEC failed", "error", err)
			case first:
				log.Info("the start takes longer than usual (loading the directory from the store)",
					"so_far", time.Since(began).Round(time.Millisecond), "told_systemd", sent)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}
