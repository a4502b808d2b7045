package remotetest

import (
	"bytes"
	"runtime"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Driver runs a model's commands the way Bubble Tea does, for tests: each
// command in its own goroutine, each message it returns handed to update
// on the test's goroutine, until nothing more arrives for a while. Timers
// (spinner frames, the filter's delay, health checks) that do not fire
// within that while keep running and are handled by a later Settle if
// they fire by then.
//
// A while without messages is not all that Settle goes by: a loaded
// machine may leave a command's goroutine without a CPU for longer than
// Quiet, before it runs the command or after the command returned, and
// its message would then be missed. So Settle also waits until no
// goroutine of a command can still run (every one left is blocked, on a
// timer or an event) and every message sent has been handled.
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

// SettleFor handles messages until none arrives for quiet, no command's
// goroutine can still run and no call is under way (for at most
// d.MaxWait).
func (d *Driver) SettleFor(quiet time.Duration) {
	deadline := time.Now().Add(d.MaxWait)
	for {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-time.After(quiet):
			if !d.working() || time.Now().After(deadline) {
				return
			}
		}
	}
}

// working reports whether a message that is not a timer's or an event's
// may still come: a call is under way, a command's goroutine can run, or
// a message waits in msgs (select picks at random among ready cases, so
// the timer may have won). They are looked at in the order a command goes
// through them, so that one moving on meanwhile is seen at the next.
func (d *Driver) working() bool {
	return (d.Busy != nil && d.Busy()) || commandRunnable() || len(d.msgs) > 0
}

// launched ends the line that names the function that started a
// goroutine, in a dump of the goroutines, when launch started it.
var launched = []byte("remotetest.(*Driver).launch in goroutine ")

// commandRunnable reports whether a goroutine that launch started is
// running or waiting only for a CPU: it has not yet run its command, is
// running it, or is handing over its message. One blocked in a receive
// or a sleep waits for a timer or an event, which Settle does not wait
// for.
func commandRunnable() bool {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if !bytes.Contains(g, launched) {
			continue
		}
		// "goroutine 18 [runnable]:"
		header, _, _ := bytes.Cut(g, []byte("\n"))
		_, state, _ := bytes.Cut(header, []byte("["))
		for _, s := range []string{"running", "runnable", "preempted", "syscall"} {
			if bytes.HasPrefix(state, []byte(s)) {
				return true
			}
		}
	}
	return false
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
