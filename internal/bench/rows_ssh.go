package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/orgd/orgd/internal/tui"
	"github.com/orgd/orgd/rpc"
)

// The rows of orgtui over SSH (SPEC §9): how long a session takes to show
// the list, beside the same TUI on the Unix socket, and what sessions that
// browse cost the socket's clients. Both run against the daemon in this
// process, which serves SSH on a loopback port for them.

// wantsSSH reports whether the run measures a row that needs orgd to
// serve SSH.
func (o Options) wantsSSH() bool { return o.wants("ssh-first-frame") || o.wants("ssh-browse") }

// listShown is what the first frame of the operator's list shows: the
// count of every organization and the first rows.
func (e *env) listShown() []string {
	return []string{"1 of " + count(e.seeded), seedName(1), seedName(2)}
}

// sshFirstFrame opens an SSH session and returns the time from the start
// of the connection to the list painted on its terminal.
func (e *env) sshFirstFrame(ctx context.Context, c *sshClient) (time.Duration, error) {
	scr := newScreen(e.listShown()...)
	t0 := time.Now()
	t, err := c.open(scr)
	if err != nil {
		return 0, err
	}
	shown, err := scr.wait(ctx, 30*time.Second)
	if err := errors.Join(err, t.close()); err != nil {
		return 0, err
	}
	return shown.Sub(t0), nil
}

// socketFirstFrame runs orgtui's program here, logged in already with
// login as orgd's SSH server runs it, on a new connection to orgd's Unix
// socket and a terminal of the same size and type as the SSH sessions',
// and returns the time from its start to the list painted.
func (e *env) socketFirstFrame(ctx context.Context, login *rpc.Session) (time.Duration, error) {
	scr := newScreen(e.listShown()...)
	keys, typed := io.Pipe()
	envs := []string{"TERM=" + terminalType}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t0 := time.Now()
	client := &rpc.Client{Addr: "unix://" + e.socket}
	defer client.Close()
	p := tui.NewProgram(pctx, tui.Options{Client: client, Session: &tui.Session{Email: operatorEmail, Session: *login}},
		tea.WithInput(keys), tea.WithOutput(scr), tea.WithEnvironment(envs), tea.WithColorProfile(colorprofile.Env(envs)),
		tea.WithWindowSize(terminalWidth, terminalHeight))
	ran := make(chan error, 1)
	go func() {
		_, err := p.Run()
		ran <- err
	}()
	shown, err := scr.wait(ctx, 30*time.Second)
	cancel()
	typed.Close()
	if rerr := <-ran; rerr != nil && !errors.Is(rerr, tea.ErrProgramKilled) {
		err = errors.Join(err, fmt.Errorf("orgtui: %w", rerr))
	}
	if err != nil {
		return 0, err
	}
	return shown.Sub(t0), nil
}

// rowSSHFirstFrame holds the time from connecting over SSH to the painted
// list against the same TUI on the Unix socket, logged in already: the
// starts alternate, after one warm-up of each.
func (e *env) rowSSHFirstFrame(ctx context.Context) error {
	c, err := e.sshSetup(ctx)
	if err != nil {
		return err
	}
	login, err := e.client.Login(ctx, operatorEmail, operatorPassword)
	if err != nil {
		return err
	}
	starts := 4 * e.o.Runs
	var sockets, sshs []time.Duration
	for i := range starts + 1 {
		sock, err := e.socketFirstFrame(ctx, login)
		if err != nil {
			return fmt.Errorf("on the socket: %w", err)
		}
		over, err := e.sshFirstFrame(ctx, c)
		if err != nil {
			return err
		}
		if i > 0 {
			sockets, sshs = append(sockets, sock), append(sshs, over)
		}
	}
	over, sock := medianDuration(sshs), medianDuration(sockets)
	e.rows = append(e.rows, Row{
		Key:      "ssh-first-frame",
		What:     fmt.Sprintf("orgtui over SSH: connection to the painted list of %s organizations, logged in by key", count(e.seeded)),
		Figure:   "p50 " + fmtDur(over),
		Spread:   durSpread(sshs),
		Baseline: fmt.Sprintf("the same TUI on the Unix socket, logged in already: p50 %s (%s)", fmtDur(sock), durSpread(sockets)),
		Ratio:    fmtRatio(float64(over) / float64(sock)),
		Target:   "≤ the socket's + 100 ms",
		Result:   verdict(over <= sock+100*time.Millisecond),
		Note: fmt.Sprintf("%d starts of each, alternating, after one warm-up of each, against orgd in the bench's process serving SSH on a loopback port. "+
			"Over SSH, the clock starts when golang.org/x/crypto/ssh dials and runs through the handshake, the login with an Ed25519 key registered to the operator "+
			"(orgd mints the session's token and audits its start), the PTY (%s, %d×%d) and orgd starting orgtui on an in-process connection, "+
			"and stops when the session's output shows the list's first rows and \"1 of %s\". "+
			"On the socket, the same TUI code starts here on a new rpc.Client on orgd's Unix socket, already logged in as the operator "+
			"(orgtui itself cannot start logged in, and its login costs a bcrypt comparison that SSH's key login does not), on an output of the same size and type, "+
			"and the clock runs from its start to the same frame. No process starts and no terminal emulator draws on either side: the difference, %s, is what SSH adds. "+
			"The target gives SSH SPEC §7's budget of a first frame, 100 ms, on top of the socket, as the orgtui rows hold their figures to 100 ms over what they cannot avoid; "+
			"a target on the ratio would move with the TUI's own start on the socket, not with what SSH adds.",
			starts, terminalType, terminalWidth, terminalHeight, count(e.seeded), fmtDur(max(0, over-sock))),
	})
	return nil
}

// browseKeys is what each browsing session types, one key every
// browseStep, over and over: down, open the details, back, down, open,
// back, up, up (the cursor ends where it started).
var browseKeys = []string{"j", "\r", "\x1b", "j", "\r", "\x1b", "k", "k"}

const browseStep = 100 * time.Millisecond

// browsers are SSH sessions browsing the list together.
type browsers struct {
	terms   []*terminal
	screens []*screen
	keys    atomic.Int64
	stop    context.CancelFunc
	wg      sync.WaitGroup
	errs    []error
}

// openBrowsers opens n SSH sessions, a few at a time (orgd lets an address
// have at most 10 connections logging in at once), and waits until each
// shows the list.
func (e *env) openBrowsers(ctx context.Context, c *sshClient, n int) (*browsers, error) {
	b := &browsers{terms: make([]*terminal, n), screens: make([]*screen, n), errs: make([]error, n)}
	errs := make([]error, n)
	gate := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			gate <- struct{}{}
			defer func() { <-gate }()
			b.screens[i] = newScreen(e.listShown()...)
			if b.terms[i], errs[i] = c.open(b.screens[i]); errs[i] == nil {
				_, errs[i] = b.screens[i].wait(ctx, 30*time.Second)
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, errors.Join(err, b.close())
	}
	return b, nil
}

// browse starts every session typing browseKeys, each from a moment of
// its own within the first step.
func (b *browsers) browse(ctx context.Context) {
	ctx, b.stop = context.WithCancel(ctx)
	for i, t := range b.terms {
		b.wg.Go(func() {
			select {
			case <-time.After(rand.N(browseStep)):
			case <-ctx.Done():
				return
			}
			tick := time.NewTicker(browseStep)
			defer tick.Stop()
			for k := 0; ; k++ {
				if _, err := io.WriteString(t.in, browseKeys[k%len(browseKeys)]); err != nil {
					b.errs[i] = fmt.Errorf("SSH session %d: %w", i+1, err)
					return
				}
				b.keys.Add(1)
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		})
	}
}

// drawn returns how many bytes each session has drawn so far.
func (b *browsers) drawn() []int64 {
	n := make([]int64, len(b.screens))
	for i, s := range b.screens {
		n[i] = s.bytes.Load()
	}
	return n
}

// close stops the typing and ends every session.
func (b *browsers) close() error {
	if b.stop != nil {
		b.stop()
	}
	b.wg.Wait()
	time.Sleep(browseStep) // a lone escape, typed last, is taken for one
	errs := slices.Clone(b.errs)
	var wg sync.WaitGroup
	for i, t := range b.terms {
		if t != nil {
			wg.Go(func() { errs[i] = errors.Join(errs[i], t.close()) })
		}
	}
	wg.Wait()
	return firstError(errs)
}

// checkBrowsing makes sure that what the sessions type does what the row
// says: in one session, enter opens an organization's details, and escape
// goes back to the list.
func (e *env) checkBrowsing(ctx context.Context, c *sshClient) error {
	b, err := e.openBrowsers(ctx, c, 1)
	if err != nil {
		return err
	}
	scr, t := b.screens[0], b.terms[0]
	for _, step := range []struct {
		key   string
		shown []string
	}{
		{"\r", []string{"Slug", "Admins"}},
		{"\x1b", []string{"ADMIN EMAIL"}},
	} {
		scr.expect(step.shown...)
		if _, err = io.WriteString(t.in, step.key); err == nil {
			_, err = scr.wait(ctx, 10*time.Second)
		}
		if err != nil {
			return errors.Join(fmt.Errorf("browsing over SSH, %q: %w", step.key, err), b.close())
		}
	}
	return b.close()
}

// rowSSHBrowse measures org.get's throughput from the clients of the
// org.get row while SSHSessions sessions browse over SSH, against the same
// clients with no SSH session open, in alternating windows. Each run
// opens the sessions anew and ends them after its window.
func (e *env) rowSSHBrowse(ctx context.Context) error {
	c, err := e.sshSetup(ctx)
	if err != nil {
		return err
	}
	if err := e.checkBrowsing(ctx, c); err != nil {
		return err
	}
	get, done, err := e.orgGetLoad(ctx)
	if err != nil {
		return err
	}
	defer done()
	if _, err := forDuration(ctx, e.o.Clients, e.o.Window/4, get); err != nil {
		return err
	}
	var base, fig Figure
	var typed int64
	var typing time.Duration
	for range e.o.Runs {
		s, err := forDuration(ctx, e.o.Clients, e.o.Window, get)
		if err != nil {
			return err
		}
		base.Add(s)

		b, err := e.openBrowsers(ctx, c, e.o.SSHSessions)
		if err != nil {
			return err
		}
		drawn0 := b.drawn()
		b.browse(ctx)
		time.Sleep(2 * browseStep) // every session is typing
		keys0, t0 := b.keys.Load(), time.Now()
		s, err = forDuration(ctx, e.o.Clients, e.o.Window, get)
		keys1, drawn1, t1 := b.keys.Load(), b.drawn(), time.Now()
		if err := errors.Join(err, b.close()); err != nil {
			return err
		}
		// What the sessions asked of the store has finished, or given
		// up, within the store's timeout: none of it runs into the next
		// window without them.
		time.Sleep(e.config().StoreTimeout)
		for i := range drawn0 {
			if drawn1[i] == drawn0[i] {
				return fmt.Errorf("SSH session %d drew nothing while it browsed", i+1)
			}
		}
		typed += keys1 - keys0
		typing += t1.Sub(t0)
		fig.Add(s)
	}
	ratio := fig.OpsPerSec() / base.OpsPerSec()
	e.rows = append(e.rows, Row{
		Key:      "ssh-browse",
		What:     fmt.Sprintf("org.get with %s organizations, %d clients, while %d SSH sessions browse", count(e.seeded), e.o.Clients, e.o.SSHSessions),
		Figure:   fmtFigure(fig),
		Spread:   fmtOpsSpread(fig),
		Baseline: "the same clients, no SSH session: " + fmtFigure(base),
		Ratio:    fmtRatio(ratio),
		Target:   "≥ 0.8× without the sessions",
		Result:   verdict(ratio >= 0.8),
		Note: fmt.Sprintf("The clients of row org.get (each with its own token, organizations picked at random) in alternating windows: without SSH sessions, "+
			"then with %d sessions of the operator open over SSH (golang.org/x/crypto/ssh, PTY %d×%d), each typing a key every %s: down, enter (orgtui opens "+
			"the organization's details, with org.get and org.stats), escape (back to the list), down, enter, escape, up, up. "+
			"They typed %.0f keys/s in all while org.get was measured; before the first run, one session checked that enter shows the details and escape the list again. "+
			"Each run opens the sessions anew, once the window without them ended, and ends them after its window; the next window without them starts "+
			"once the store's timeout (%s) has passed, by which time whatever the sessions asked of the store has finished or given up. "+
			"The sessions' client side (decrypting what orgd draws) runs in the bench's process, beside orgd, on the same cores.",
			e.o.SSHSessions, terminalWidth, terminalHeight, browseStep, float64(typed)/typing.Seconds(), e.config().StoreTimeout),
	})
	return nil
}
