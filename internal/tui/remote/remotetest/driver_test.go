package remotetest

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestSettleHandlesEveryMessageOnItsWay stands for a machine so loaded
// that a command's goroutine runs, or hands its message over, later than
// Quiet: with a Quiet of a nanosecond, every message of a chain of
// commands that each answer at once must still be handled before Settle
// returns, as none is a timer's.
func TestSettleHandlesEveryMessageOnItsWay(t *testing.T) {
	const chain = 200
	handled := 0
	d := NewDriver(func(msg tea.Msg) tea.Cmd {
		handled++
		if handled == chain {
			return nil
		}
		next := handled
		return func() tea.Msg { return next }
	})
	d.Quiet = time.Nanosecond
	d.Run(func() tea.Msg { return 0 })
	if handled != chain {
		t.Fatalf("Settle returned after %d of the chain's %d messages", handled, chain)
	}
}

// TestSettleDoesNotWaitForATimer checks that a timer still pending when
// the rest is quiet is left running, as Bubble Tea leaves it.
func TestSettleDoesNotWaitForATimer(t *testing.T) {
	d := NewDriver(func(tea.Msg) tea.Cmd { return nil })
	start := time.Now()
	d.Run(tea.Tick(time.Hour, func(time.Time) tea.Msg { return "late" }))
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("Settle waited %s for a timer", waited)
	}
	if len(d.Seen) != 0 {
		t.Fatalf("a timer of an hour delivered %v", d.Seen)
	}
}
