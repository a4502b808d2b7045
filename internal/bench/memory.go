package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orgd/orgd/rpc"
)

// rssMiB reads a process's resident set (VmRSS) or its peak (VmHWM) from
// /proc, in MiB.
func rssMiB(pid int, field string) (float64, error) {
	v, ok := procField(fmt.Sprintf("/proc/%d/status", pid), field)
	if !ok {
		return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
	}
	kb, err := strconv.Atoi(strings.TrimSuffix(v, " kB"))
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", field, v, err)
	}
	return float64(kb) / 1024, nil
}

// idleRSS samples a process's resident set five times over a second, after
// settle, and returns the median.
func idleRSS(ctx context.Context, pid int, settle time.Duration) (float64, error) {
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	var xs []float64
	for i := range 5 {
		if i > 0 {
			time.Sleep(250 * time.Millisecond)
		}
		v, err := rssMiB(pid, "VmRSS")
		if err != nil {
			return 0, err
		}
		xs = append(xs, v)
	}
	return median(xs), nil
}

// orgdProcess is a built orgd serving a data directory of its own.
type orgdProcess struct {
	cmd    *exec.Cmd
	socket string
	client *rpc.Client
	done   chan error
}

// startOrgd runs bin/orgd serve on dataDir, on the embedded store, and
// waits until it answers.
func startOrgd(ctx context.Context, bin, dataDir, socket string, logTo *os.File) (*orgdProcess, error) {
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--listen", "unix://"+socket, "--log-level", "warn")
	// The caller's ORGD_* settings (a --mongo-uri, say) must not leak in.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORGD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logTo, logTo
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &orgdProcess{cmd: cmd, socket: socket, client: &rpc.Client{Addr: "unix://" + socket}, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		h, err := p.client.Health(hctx)
		cancel()
		if err == nil && h.Store.OK {
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited before it answered: %v", bin, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not answer on %s", bin, socket)
		}
	}
}

func (p *orgdProcess) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, as systemd would, and waits.
func (p *orgdProcess) stop() error {
	p.client.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.Join(errors.New("orgd did not stop on SIGTERM"), <-p.done)
	}
}

// exercise makes orgd do what an operator's first minute does: a health
// check, a login and the first page of the list.
func exercise(ctx context.Context, c *rpc.Client) error {
	if _, err := c.Health(ctx); err != nil {
		return err
	}
	s, err := loginRetrying(ctx, c, operatorEmail, operatorPassword)
	if err != nil {
		return err
	}
	_, err = c.ListOrgs(ctx, rpc.OrgListParams{Token: s.Token})
	return err
}

// settleTime is how long orgd is left idle before its memory is read.
func (e *env) settleTime() time.Duration {
	if e.o.Quick {
		return time.Second
	}
	return 3 * time.Second
}

// rowMemory measures orgd's resident memory with every organization seeded,
// idle, against orgd on an empty store: bin/orgd run on the data directory
// the rows before filled, so that nothing of the bench is counted. It
// leaves that orgd running for the orgtui rows, in e.running.
func (e *env) rowMemory(ctx context.Context) error {
	logFile, err := os.Create(filepath.Join(e.dir, "orgd.log"))
	if err != nil {
		return err
	}
	e.closers = append(e.closers, logFile.Close)

	emptyDir := filepath.Join(e.dir, "empty")
	empty, err := startOrgd(ctx, e.o.Orgd, emptyDir, filepath.Join(e.dir, "empty.sock"), logFile)
	if err != nil {
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = empty.client.Bootstrap(bctx, operatorEmail, operatorPassword)
	cancel()
	if err == nil {
		err = exercise(ctx, empty.client)
	}
	var base float64
	if err == nil {
		base, err = idleRSS(ctx, empty.pid(), e.settleTime())
	}
	if err := errors.Join(err, empty.stop()); err != nil {
		return fmt.Errorf("orgd on an empty store: %w", err)
	}

	t0 := time.Now()
	full, err := startOrgd(ctx, e.o.Orgd, e.data, e.socket, logFile)
	if err != nil {
		return err
	}
	ready := time.Since(t0)
	e.running = full
	if err := exercise(ctx, full.client); err != nil {
		return err
	}
	rss, err := idleRSS(ctx, full.pid(), e.settleTime())
	if err != nil {
		return err
	}
	peak, err := rssMiB(full.pid(), "VmHWM")
	if err != nil {
		return err
	}
	e.rows = append(e.rows, Row{
		Key:      "memory",
		What:     fmt.Sprintf("orgd resident memory with %s organizations, idle, embedded engine included", count(e.seeded)) + e.withAccounts(),
		Figure:   fmt.Sprintf("%.0f MiB", rss),
		Spread:   "",
		Baseline: fmt.Sprintf("orgd on an empty store: %.0f MiB", base),
		Ratio:    fmtRatio(rss / base),
		Target:   "≤ 150 MiB",
		Result:   verdict(rss <= 150),
		Note: fmt.Sprintf("VmRSS of bin/orgd serve, a process of its own on the data directory the other rows filled "+
			"(so nothing of the bench is counted), read from /proc five times over a second after a health check, a login, the first page "+
			"of org.list and %s idle; the median is quoted. It started and loaded its directory in %s; its peak (VmHWM) was %.0f MiB.",
			e.settleTime(), ready.Round(time.Millisecond), peak),
	})
	return nil
}

// rowMemoryInProcess is rowMemory without a built orgd: the resident
// memory of this process, orgd and the bench together, after a garbage
// collection that returns what it can to the system.
func (e *env) rowMemoryInProcess(ctx context.Context) error {
	select {
	case <-time.After(e.settleTime()):
	case <-ctx.Done():
		return ctx.Err()
	}
	runtime.GC()
	debug.FreeOSMemory()
	rss, err := rssMiB(os.Getpid(), "VmRSS")
	if err != nil {
		return err
	}
	e.rows = append(e.rows, Row{
		Key:    "memory",
		What:   fmt.Sprintf("orgd resident memory with %s organizations, idle, embedded engine included", count(e.seeded)) + e.withAccounts(),
		Figure: fmt.Sprintf("%.0f MiB (bench included)", rss),
		Target: "≤ 150 MiB",
		Result: verdict(rss <= 150),
		Note: "Measured in the bench's own process (no orgd binary was given): VmRSS after a garbage collection " +
			"and debug.FreeOSMemory, which counts the bench's clients and samples too, so it overstates orgd.",
	})
	return nil
}

// withAccounts says how many accounts beyond the organizations' admins
// the store holds, for the memory row.
func (e *env) withAccounts() string {
	if e.members == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %s accounts)", count(e.seeded+e.members+1))
}
