package remotetest

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// Driver runs a model's commands the way Bubble Tea does, for tests: each
// command in its own goroutine, each message it returns handed to update
// on the test's goroutine, until nothing more arrives for a while. Timers
// (spinner frames, the filter's delay, health checks) that do not fire
// within that while keep running and are handled by a later Settle if
// they fire by then.
type Driver struct {
	update func(tea.Msg) tea.Cmd
	msgs   chan tea.Msg
	// Quiet is how long Settle waits for the next message before it
	// returns.
	Quiet time.Duration
	// Seen holds every message handled, in order.
	Seen []tea.Msg
	// Quit is set once a command returned tea.QuitMsg.
	Quit bool
	// Busy, when set, reports calls to orgd under way: Settle does not
	// return while it says true (for at most MaxWait).
	Busy func() bool
	// MaxWait bounds how long Settle waits for busy calls.
	MaxWait time.Duration
}

// NewDriver returns a driver that hands messages to update and runs the
// commands update returns.
func NewDriver(update func(tea.Msg) tea.Cmd) *Driver {
	return &Driver{update: update, msgs: make(chan tea.Msg, 1024), Quiet: 50 * time.Millisecond, MaxWait: 10 * time.Second}
}

// Run runs cmd and what follows from it.
func (d *Driver) Run(cmd tea.Cmd) {
	d.launch(cmd)
	d.Settle()
}

// Send hands msg to the model and runs what follows from it.
func (d *Driver) Send(msg tea.Msg) {
	d.handle(msg)
	d.Settle()
}

// Settle handles messages until none arrives for d.Quiet.
func (d *Driver) Settle() { d.SettleFor(d.Quiet) }

// SettleFor handles messages until none arrives for quiet and no call is
// under way.
func (d *Driver) SettleFor(quiet time.Duration) {
	deadline := time.Now().Add(d.MaxWait)
	for {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-time.After(quiet):
			if d.Busy == nil || !d.Busy() || time.Now().After(deadline) {
				return
			}
		}
	}
}

func (d *Driver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
		return
	case tea.BatchMsg:
		for _, c := range msg {
			d.launch(c)
		}
		return
	case tea.QuitMsg:
		d.Quit = true
		return
	}
	d.Seen = append(d.Seen, msg)
	d.launch(d.update(msg))
}

func (d *Driver) launch(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			d.msgs <- msg
		}
	}()
}
