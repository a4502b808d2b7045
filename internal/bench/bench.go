// Package bench measures orgd against the targets of SPEC §7, each next to
// a baseline measured in the same run on the same machine: it starts orgd
// in process on the embedded store in a temporary directory, seeds it
// through the store, drives it over its Unix socket with concurrent
// clients that each hold a connection of their own, and reports one row
// per target. orgbench (make bench) is its command line.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/rpc"
)

// Options size a run.
type Options struct {
	// Quick marks a reduced run; the report says so.
	Quick bool
	// Orgs is how many organizations the store is seeded with.
	Orgs int
	// ScaleOrgs is how many it holds for the rows of SPEC §11, measured
	// after those of §7; none of them when it is not above Orgs.
	ScaleOrgs int
	// Documents is how many documents the renamed organization holds.
	Documents int
	// Clients is how many concurrent clients drive the throughput rows.
	Clients int
	// LoginClients is how many clients log in while org.get's latency is
	// measured.
	LoginClients int
	// Window is how long one run of a fast measurement lasts.
	Window time.Duration
	// Runs is how many times each figure is measured; the median is quoted.
	Runs int
	// SlowOps is how many operations one run of a bcrypt-bound
	// measurement (logins, creates) does.
	SlowOps int
	// SlowRuns is how many times the bcrypt-bound figures are measured.
	SlowRuns int
	// Samples is how many single creates and renames are timed.
	Samples int
	// Accounts is how many accounts the store holds for the rows of
	// accounts: the seeded organizations' admins, the operator, and as
	// many viewers as it takes.
	Accounts int
	// BigOrgMembers is how many of those viewers the first organization
	// has, whose first page member.list serves.
	BigOrgMembers int
	// SSHSessions is how many SSH sessions browse beside org.get's
	// clients.
	SSHSessions int
	// AuditEntries is how many entries the audit trail holds for its
	// row.
	AuditEntries int
	// BcryptCost is orgd's bcrypt cost, and the baselines'.
	BcryptCost int
	// Orgd is a built orgd binary: the memory row runs it on the seeded
	// data directory. Without it, the memory row measures this process.
	Orgd string
	// Orgtui is a built orgtui binary: the orgtui rows run it in tmux.
	// Without it (or without tmux), those rows are skipped.
	Orgtui string
	// ProfileDir, when set, receives a CPU and an allocation profile of
	// each row that drives orgd over its socket.
	ProfileDir string
	// Only, when not empty, names the rows to measure (by Row.Key; the
	// organizations are seeded anyway), to look into a few.
	Only []string
	// Log receives progress; discarded when nil.
	Log io.Writer
}

// wants reports whether the row with key is to be measured.
func (o Options) wants(key string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, key)
}

// Full returns the options of make bench: the sizes of SPEC §7.
func Full() Options {
	return Options{
		Orgs:          10000,
		ScaleOrgs:     50000,
		Documents:     100000,
		Clients:       16,
		LoginClients:  4,
		Window:        2 * time.Second,
		Runs:          5,
		SlowOps:       24,
		SlowRuns:      3,
		Samples:       5,
		Accounts:      50000,
		BigOrgMembers: 1000,
		SSHSessions:   20,
		AuditEntries:  1000000,
		BcryptCost:    auth.DefaultCost,
	}
}

// Quick returns the options of make bench BENCH_QUICK=1: a tenth of the
// organizations and documents, shorter windows, fewer runs.
func Quick() Options {
	o := Full()
	o.Quick = true
	o.Orgs = 1000
	o.ScaleOrgs = 2000
	o.Documents = 10000
	o.Window = 500 * time.Millisecond
	o.Runs = 3
	o.SlowOps = 8
	o.SlowRuns = 2
	o.Samples = 3
	o.Accounts = 5000
	o.AuditEntries = 100000
	return o
}

// seedPassword is every seeded admin's password; the store gets one hash
// of it, computed once.
const seedPassword = "bench-password"

// Operator credentials of the run.
const (
	operatorEmail    = "ops@bench.example"
	operatorPassword = "operator-password"
)

// env is one run: the daemon under test and what the rows share.
type env struct {
	o       Options
	cores   int // bcrypt's slots
	dir     string
	data    string
	socket  string
	d       *daemon.Daemon
	client  *rpc.Client
	token   string // the operator's
	hash    []byte // of seedPassword, at the run's cost
	seeded  int    // organizations seeded so far
	members int    // members seeded by seedAccounts
	rows    []Row

	// roundTrip is row 1's figure, the baseline of org.get.
	roundTrip Figure
	// curve is the capacity curve measured so far (rows_scale.go).
	curve []CurvePoint
	// getTokens are the operator's tokens of the org.get clients, one
	// each.
	getTokens []string
	// ssh is the SSH rows' client, once sshSetup made it.
	ssh *sshClient
	// running is bin/orgd, run by the memory row on the seeded data
	// directory after the in-process daemon stopped.
	running *orgdProcess
	closers []func() error
}

func (e *env) logf(format string, args ...any) {
	if e.o.Log != nil {
		fmt.Fprintf(e.o.Log, format+"\n", args...)
	}
}

// Run measures every row and returns the report. A row orgd fails is
// reported failed, with why; rows that cannot be measured here (no tmux,
// no orgtui binary) say why. An error ends the run early, and the report
// holds the rows measured until then.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Orgs < 2 || o.Clients < 1 || o.Runs < 1 || o.SlowOps < 1 || o.SlowRuns < 1 || o.Samples < 1 || o.SSHSessions < 1 || o.Window <= 0 {
		return nil, errors.New("bench: options out of range")
	}
	// As orgd serve does: bcrypt gets every core, the embedded store's
	// connections and requests Ps of their own.
	cores, restore := daemon.ReserveProcessors(daemon.Config{})
	defer restore()
	dir, err := os.MkdirTemp("", "orgbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e := &env{o: o, cores: cores, dir: dir, data: filepath.Join(dir, "data"), socket: filepath.Join(dir, "orgd.sock")}
	rep := &Report{Machine: ThisMachine(), Options: o, Started: time.Now()}

	if err := e.start(ctx); err != nil {
		if e.d != nil {
			err = errors.Join(err, e.stop(ctx))
		}
		return nil, err
	}
	err = e.measure(ctx)
	if err == nil && o.Orgd == "" && o.wants("memory") {
		e.logf("· memory (in process)")
		err = e.rowMemoryInProcess(ctx)
	}
	err = errors.Join(err, e.stop(ctx))
	if err == nil && o.Orgd != "" && (o.wants("memory") || o.wants("orgtui")) {
		e.logf("· memory")
		err = e.outside(ctx, "memory", e.rowMemory)
	}
	if err == nil && o.wants("orgtui") {
		e.logf("· orgtui")
		err = e.outside(ctx, "orgtui", e.rowsOrgtui)
	}
	if e.running != nil {
		err = errors.Join(err, e.running.stop())
		e.running = nil
	}
	if err == nil && o.wantsScale() {
		err = e.scale(ctx)
		if e.d != nil {
			err = errors.Join(err, e.stop(ctx))
		}
	}
	for _, c := range e.closers {
		err = errors.Join(err, c())
	}
	rep.Rows, rep.Curve = e.rows, e.curve
	rep.Elapsed = time.Since(rep.Started)
	return rep, err
}

// measure runs the rows that drive the in-process daemon.
func (e *env) measure(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"create-time", e.rowCreateTime},
		{"seed", func(ctx context.Context) error { return e.seedMeasuring(ctx, e.o.Orgs) }},
		{"roundtrip", e.rowRoundTrip},
		{"org-get", e.rowOrgGet},
		{"metrics-cost", e.rowMetricsCost},
		{"get-under-login", e.rowGetUnderLogin},
		{"login", e.rowLogin},
		{"create", e.rowCreate},
		{"rename", e.rowRename},
		{"list", e.rowList},
		{"accounts", e.seedAccounts},
		{"login-accounts", e.rowLoginAccounts},
		{"member-list", e.rowMemberList},
		{"ssh-first-frame", e.rowSSHFirstFrame},
		{"ssh-browse", e.rowSSHBrowse},
		{"audit-list", e.rowAudit},
	}
	for _, s := range steps {
		switch {
		case s.name == "accounts" && !e.o.wants("login-accounts") && !e.o.wants("member-list"):
			continue
		case s.name != "seed" && s.name != "accounts" && !e.o.wants(s.name):
			continue
		}
		e.logf("· %s", s.name)
		n := len(e.rows)
		err := e.profile(s.name, func() error { return s.fn(ctx) })
		switch {
		case err != nil && (s.name == "seed" || s.name == "accounts" || ctx.Err() != nil):
			return fmt.Errorf("%s: %w", s.name, err)
		case err != nil:
			e.rows = e.rows[:n]
			e.failed(s.name, err)
		}
		for _, r := range e.rows[n:] {
			e.logf("  %s: %s (%s; target %s) %s", r.What, r.Figure, r.Ratio, r.Target, r.Result)
		}
	}
	return nil
}

// failed records that orgd failed the row key, which is a result, not the
// end of the run.
func (e *env) failed(key string, err error) {
	e.logf("  %s failed: %v", key, err)
	e.rows = append(e.rows, Row{Key: key, What: key, Figure: "failed", Result: Fail,
		Note: fmt.Sprintf("The row could not be measured: %v", err)})
}

// outside runs rows that need the built binaries; only the failure to
// start orgd ends the run.
func (e *env) outside(ctx context.Context, key string, fn func(context.Context) error) error {
	n := len(e.rows)
	err := fn(ctx)
	if err != nil && (ctx.Err() != nil || key == "memory" && e.running == nil) {
		return fmt.Errorf("%s: %w", key, err)
	}
	if err != nil {
		e.rows = e.rows[:n]
		e.failed(key, err)
	}
	for _, r := range e.rows[n:] {
		e.logf("  %s: %s (%s; target %s) %s", r.What, r.Figure, r.Ratio, r.Target, r.Result)
	}
	return nil
}

// start starts orgd in process and creates the operator.
func (e *env) start(ctx context.Context) error {
	if err := e.startDaemon(ctx); err != nil {
		return err
	}
	sess, err := e.client.Bootstrap(ctx, operatorEmail, operatorPassword)
	if err != nil {
		return fmt.Errorf("bootstrap the operator: %w", err)
	}
	e.token = sess.Token
	h, err := auth.NewHasherUnchecked(e.o.BcryptCost)
	if err != nil {
		return err
	}
	defer h.Close()
	e.hash, err = h.Hash(ctx, seedPassword)
	return err
}

func (e *env) config() daemon.Config {
	cfg := daemon.DefaultConfig()
	cfg.DataDir = e.data
	cfg.Listen = []string{"unix://" + e.socket}
	cfg.Version = "bench"
	cfg.LogLevel = "warn"
	cfg.BcryptSlots = e.cores
	if e.o.wantsSSH() {
		cfg.SSHListen = []string{"tcp://127.0.0.1:0"}
		cfg.SSHMaxSessions = max(cfg.SSHMaxSessions, e.o.SSHSessions+1)
	}
	return cfg
}

func (e *env) startDaemon(ctx context.Context) error {
	log := slog.New(slog.NewTextHandler(logWriter(e.o.Log), &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := daemon.Start(ctx, e.config(), log, daemon.Hooks{BcryptCost: e.o.BcryptCost})
	if err != nil {
		return fmt.Errorf("start orgd: %w", err)
	}
	e.d = d
	e.client = &rpc.Client{Addr: "unix://" + e.socket}
	return nil
}

func (e *env) stop(ctx context.Context) error {
	e.client.Close()
	err := e.d.Close(ctx)
	e.d = nil
	return err
}

func logWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// cores is how many cores the machine has: the all-cores baselines run as
// many goroutines.
func cores() int { return runtime.NumCPU() }
