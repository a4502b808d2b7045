package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// tmuxControl is a tmux control-mode client: commands go in on a pipe and
// their output comes back on another, so the screen can be read every
// couple of milliseconds without starting a process each time.
type tmuxControl struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func attachTmux(socket, session string) (*tmuxControl, error) {
	cmd := exec.Command("tmux", "-S", socket, "-C", "attach-session", "-t", session)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &tmuxControl{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

// run runs one tmux command and returns its output. Notifications (lines
// starting with % outside a command's output) are skipped.
func (t *tmuxControl) run(command string) (string, error) {
	if _, err := io.WriteString(t.in, command+"\n"); err != nil {
		return "", err
	}
	var out strings.Builder
	inBlock := false
	for {
		line, err := t.out.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("tmux %s: %w", command, err)
		}
		switch {
		case !inBlock && strings.HasPrefix(line, "%begin"):
			inBlock = true
		case inBlock && strings.HasPrefix(line, "%end"):
			return out.String(), nil
		case inBlock && strings.HasPrefix(line, "%error"):
			return "", fmt.Errorf("tmux %s: %s", command, strings.TrimSpace(out.String()))
		case inBlock:
			out.WriteString(line)
		}
	}
}

func (t *tmuxControl) close() {
	t.in.Close()
	_ = t.cmd.Wait()
}

// waitScreen reads the screen until it shows every one of wants, and
// returns when it did.
func (t *tmuxControl) waitScreen(ctx context.Context, session string, timeout time.Duration, wants ...string) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		screen, err := t.run("capture-pane -p -t " + session)
		if err != nil {
			return time.Time{}, err
		}
		now := time.Now()
		missing := slices.IndexFunc(wants, func(w string) bool { return !strings.Contains(screen, w) })
		if missing < 0 {
			return now, nil
		}
		if now.After(deadline) || ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("the screen does not show %q:\n%s", wants[missing], screen)
		}
		time.Sleep(time.Millisecond)
	}
}

// tmuxQuote quotes s for a tmux command line.
func tmuxQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`).Replace(s) + `"`
}

// orgtuiRun is one start of orgtui: to the first frame, and from the
// submitted login to the painted list.
type orgtuiRun struct {
	firstFrame, loginToList time.Duration
}

// runOrgtui starts orgtui in a new tmux session at 80×24, waits for the
// login dialog, logs in as the operator and waits for the list.
func (e *env) runOrgtui(ctx context.Context, n int) (orgtuiRun, error) {
	socket := filepath.Join(e.dir, "tmux.sock")
	session := fmt.Sprintf("orgtui%d", n)
	tmux := func(args ...string) error {
		out, err := exec.Command("tmux", append([]string{"-S", socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	// The shell waits for a key before it becomes orgtui, so that the
	// clock starts at orgtui's start and not at tmux's.
	if err := tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24",
		"env", "TERM=xterm-256color", "sh", "-c", `read _; exec "$0" "$@"`, e.o.Orgtui, "--addr", "unix://"+e.socket); err != nil {
		return orgtuiRun{}, err
	}
	defer func() { _ = tmux("kill-session", "-t", session) }()
	ctl, err := attachTmux(socket, session)
	if err != nil {
		return orgtuiRun{}, err
	}
	defer ctl.close()

	var r orgtuiRun
	t0 := time.Now()
	if _, err := ctl.run("send-keys -t " + session + " Enter"); err != nil {
		return r, err
	}
	first, err := ctl.waitScreen(ctx, session, 30*time.Second, "Log in to orgd")
	if err != nil {
		return r, err
	}
	r.firstFrame = first.Sub(t0)

	// Wait for the dialog to settle (its question to orgd answered), type
	// the credentials and check they arrived before submitting them.
	if _, err := ctl.waitScreen(ctx, session, 30*time.Second, "enter logs in"); err != nil {
		return r, err
	}
	for _, cmd := range []string{
		"send-keys -t " + session + " -l " + tmuxQuote(operatorEmail),
		"send-keys -t " + session + " Tab",
		"send-keys -t " + session + " -l " + tmuxQuote(operatorPassword),
	} {
		if _, err := ctl.run(cmd); err != nil {
			return r, err
		}
	}
	if _, err := ctl.waitScreen(ctx, session, 10*time.Second, operatorEmail, strings.Repeat("•", 4)); err != nil {
		return r, err
	}
	t1 := time.Now()
	if _, err := ctl.run("send-keys -t " + session + " Enter"); err != nil {
		return r, err
	}
	listed, err := ctl.waitScreen(ctx, session, 30*time.Second, "1 of "+count(e.seeded), seedName(1), seedName(2))
	if err != nil {
		return r, err
	}
	r.loginToList = listed.Sub(t1)
	_, _ = ctl.run("send-keys -t " + session + " q")
	return r, nil
}

// rowsOrgtui measures orgtui against the orgd that rowMemory left
// running: the time from its start to the first frame, and from a
// submitted login to the painted list.
func (e *env) rowsOrgtui(ctx context.Context) error {
	skip := func(why string) {
		for _, what := range []string{"orgtui: start to the first frame", "orgtui: submitted login to the painted list of " + count(e.seeded) + " organizations"} {
			e.rows = append(e.rows, Row{Key: "orgtui", What: what, Result: Skipped, Note: why})
		}
	}
	switch {
	case e.o.Orgtui == "":
		skip("Not measured: no orgtui binary was given (make bench builds one).")
		return nil
	case e.running == nil:
		skip("Not measured: no orgd binary was given (make bench builds one).")
		return nil
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		skip("Not measured: tmux is not installed (apt-get install -y tmux).")
		return nil
	}
	var firsts, logins []time.Duration
	for i := range e.o.Runs {
		r, err := e.runOrgtui(ctx, i)
		if err != nil {
			return err
		}
		firsts, logins = append(firsts, r.firstFrame), append(logins, r.loginToList)
	}
	var compares []time.Duration
	for range 3 {
		t0 := time.Now()
		if err := bcrypt.CompareHashAndPassword(e.hash, []byte(seedPassword)); err != nil {
			return errors.New("the seeded hash does not match")
		}
		compares = append(compares, time.Since(t0))
	}
	first, login, bc := medianDuration(firsts), medianDuration(logins), medianDuration(compares)
	how := fmt.Sprintf("bin/orgtui in tmux at 80×24, against bin/orgd serving %s organizations, started %d times; "+
		"the screen is read through a tmux control-mode client every millisecond or so, so a figure is late by at most about that. ",
		count(e.seeded), e.o.Runs)
	e.rows = append(e.rows,
		Row{
			Key:    "orgtui-start",
			What:   "orgtui: start to the first frame (the login dialog)",
			Figure: "p50 " + fmtDur(first),
			Spread: durSpread(firsts),
			Target: "≤ 100 ms",
			Result: verdict(first <= 100*time.Millisecond),
			Note:   how + "The clock starts when the shell in the pane is told to exec orgtui and stops when the dialog shows.",
		},
		Row{
			Key:      "orgtui-login",
			What:     "orgtui: submitted login to the painted list of " + count(e.seeded) + " organizations",
			Figure:   "p50 " + fmtDur(login),
			Spread:   durSpread(logins),
			Baseline: fmt.Sprintf("one bcrypt comparison at cost %d: %s", e.o.BcryptCost, fmtDur(bc)),
			Ratio:    fmtRatio(float64(login) / float64(bc)),
			Target:   "≤ one bcrypt comparison + 100 ms",
			Result:   verdict(login <= bc+100*time.Millisecond),
			Note: how + fmt.Sprintf("The clock starts at the enter that submits email and password and stops when the list shows its first rows and \"1 of %s\". "+
				"auth.login must compare the password with bcrypt at cost %d, which alone takes %s here; the rest, %s, is orgtui, orgd and the terminal.",
				count(e.seeded), e.o.BcryptCost, fmtDur(bc), fmtDur(max(0, login-bc))),
		})
	return nil
}
