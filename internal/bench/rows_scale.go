package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// The rows of SPEC §11, the scale of the embedded store: once the rows of
// §7 are done at Options.Orgs, the store is filled on to
// Options.ScaleOrgs, and org.create's store work, the start to READY,
// the idle memory, org.get, org.list and orgd check are measured there,
// each against its baseline from the same run. On the way the store work
// of one org.create is timed at the points of the capacity curve.

// scaleKeys are the keys of the §11 rows; "scale" in Options.Only names
// them all.
var scaleKeys = []string{"scale-create", "scale-start", "scale-memory", "scale-org-get", "scale-list", "scale-check"}

// wantsScale reports whether any §11 row is to be measured.
func (o Options) wantsScale() bool {
	if o.ScaleOrgs <= o.Orgs {
		return false
	}
	if len(o.Only) == 0 || slices.Contains(o.Only, "scale") {
		return true
	}
	return slices.ContainsFunc(scaleKeys, o.wants)
}

func (o Options) wantsScaleRow(key string) bool {
	return o.wants(key) || slices.Contains(o.Only, "scale")
}

// curvePoints are the organization counts at which the capacity curve
// times a create: 1,000, 5,000, 10,000, 25,000 and 50,000 in a full run.
func (o Options) curvePoints() []int {
	var out []int
	for _, div := range []int{50, 10, 5, 2, 1} {
		if p := o.ScaleOrgs / div; p > 1 && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// CurvePoint is org.create's store work timed with Tenants-1 organizations
// in the store.
type CurvePoint struct {
	Tenants int
	Times   []time.Duration
}

// Median is the point's median time.
func (p CurvePoint) Median() time.Duration { return medianDuration(p.Times) }

// timeStoreCreates times the store work of Samples creates, after one
// warm-up, each deleted again so that every one finds the same number of
// organizations: mongo.Store.CreateOrganization with the precomputed hash,
// as org.create calls it once bcrypt is done.
func (e *env) timeStoreCreates(ctx context.Context) ([]time.Duration, error) {
	st := e.d.Store()
	var out []time.Duration
	for i := range e.o.Samples + 1 {
		name := fmt.Sprintf("Bench Store Create %d", i)
		slug, err := org.Slug(name)
		if err != nil {
			return nil, err
		}
		now := time.Now().UTC()
		o := org.Organization{ID: org.NewID(), Name: name, Slug: slug, Collection: org.CollectionName(slug),
			State: org.StateProvisioning, CreatedAt: now, UpdatedAt: now}
		admin := org.Account{ID: org.NewID(), Email: fmt.Sprintf("store-create-%d@bench.example", i), Role: org.RoleAdmin,
			OrgID: o.ID, State: org.StateActive, PasswordHash: e.hash, CredVersion: 1, CreatedAt: now, UpdatedAt: now}
		t0 := time.Now()
		if _, err := st.CreateOrganization(ctx, o, admin); err != nil {
			return nil, fmt.Errorf("create %s in the store: %w", name, err)
		}
		if i > 0 {
			out = append(out, time.Since(t0))
		}
		if err := st.DeleteOrganization(ctx, o.ID); err != nil {
			return nil, fmt.Errorf("delete %s: %w", name, err)
		}
	}
	return out, nil
}

// timeFirstCreate times the store work of the 1st organization's create,
// on the empty store: the start of the capacity curve.
func (e *env) timeFirstCreate(ctx context.Context) error {
	if !e.o.wantsScale() || e.seeded > 0 || len(e.curve) > 0 {
		return nil
	}
	times, err := e.timeStoreCreates(ctx)
	if err != nil {
		return err
	}
	e.curve = append(e.curve, CurvePoint{Tenants: 1, Times: times})
	return nil
}

// seedMeasuring seeds to n organizations as seedTo does, stopping at each
// point of the capacity curve on the way to time a create there.
func (e *env) seedMeasuring(ctx context.Context, n int) error {
	if e.o.wantsScale() {
		if err := e.timeFirstCreate(ctx); err != nil {
			return err
		}
		for _, p := range e.o.curvePoints() {
			if p > n || p <= e.seeded {
				continue
			}
			if err := e.seedTo(ctx, p-1); err != nil {
				return err
			}
			times, err := e.timeStoreCreates(ctx)
			if err != nil {
				return err
			}
			e.curve = append(e.curve, CurvePoint{Tenants: p, Times: times})
			e.logf("  the %s organization's store work: %s", ordinal(p), fmtDur(medianDuration(times)))
		}
	}
	return e.seedTo(ctx, n)
}

// scale measures the rows of §11, after those of §7: the in-process orgd
// has stopped, and bin/orgd too.
func (e *env) scale(ctx context.Context) error {
	e.logf("· scale: orgd check at %s organizations", count(e.seeded))
	baseCheck, err := e.timeCheck(ctx)
	if err != nil {
		return err
	}
	checkedAt := e.seeded

	if err := e.startDaemon(ctx); err != nil {
		return err
	}
	e.logf("· scale: seed to %s organizations", count(e.o.ScaleOrgs))
	err = e.seedMeasuring(ctx, e.o.ScaleOrgs)
	if err == nil && e.o.wantsScaleRow("scale-create") {
		e.rowScaleCreate()
	}
	for _, r := range []struct {
		key string
		fn  func(context.Context) error
	}{{"scale-org-get", e.rowOrgGet}, {"scale-list", e.rowList}} {
		if err != nil || !e.o.wantsScaleRow(r.key) {
			continue
		}
		e.logf("· %s", r.key)
		n := len(e.rows)
		if ferr := e.profile(r.key, func() error { return r.fn(ctx) }); ferr != nil {
			e.rows = e.rows[:n]
			e.failed(r.key, ferr)
			continue
		}
		row := &e.rows[len(e.rows)-1]
		row.Key = r.key
		row.Target += " (the target with 10,000)"
	}
	err = errors.Join(err, e.stop(ctx))
	if err != nil {
		return err
	}
	if e.o.wantsScaleRow("scale-start") || e.o.wantsScaleRow("scale-memory") {
		e.logf("· scale: start-up and memory")
		if err := e.rowsScaleStart(ctx); err != nil {
			e.failed("scale-start", err)
		}
	}
	if e.o.wantsScaleRow("scale-check") {
		e.logf("· scale: orgd check at %s organizations", count(e.seeded))
		d, err := e.timeCheck(ctx)
		if err != nil {
			e.failed("scale-check", err)
			return nil
		}
		e.rows = append(e.rows, Row{
			Key:      "scale-check",
			What:     fmt.Sprintf("orgd check with %s organizations", count(e.seeded)),
			Figure:   fmtDur(d),
			Baseline: fmt.Sprintf("with %s: %s", count(checkedAt), fmtDur(baseCheck)),
			Ratio:    fmtRatio(float64(d) / float64(baseCheck)),
			Target:   "≤ 30 s",
			Result:   verdict(d <= 30*time.Second),
			Note: "orgd check --data-dir on the stopped store, timed from its start to its exit (0: no broken invariant): " +
				"it reads every organization, account, claim and key, and lists the collections of the main database and of " +
				"every tenant database, whose engine it starts and stops in turn." + e.inProcessNote(),
		})
	}
	return nil
}

// rowScaleCreate holds the last point of the capacity curve against the
// first.
func (e *env) rowScaleCreate() {
	if len(e.curve) < 2 {
		return
	}
	first, last := e.curve[0], e.curve[len(e.curve)-1]
	ratio := float64(last.Median()) / float64(first.Median())
	e.rows = append(e.rows, Row{
		Key:      "scale-create",
		What:     fmt.Sprintf("org.create store work (without bcrypt) for the %s organization", ordinal(last.Tenants)),
		Figure:   fmtDur(last.Median()),
		Spread:   durSpread(last.Times),
		Baseline: fmt.Sprintf("the 1st: %s (%s)", fmtDur(first.Median()), durSpread(first.Times)),
		Ratio:    fmtRatio(ratio),
		Target:   "≤ 2× the 1st",
		Result:   verdict(ratio <= 2),
		Note: fmt.Sprintf("Median of %d creates each through mongo.Store.CreateOrganization, what org.create does once bcrypt is done "+
			"(the intent, the slug's and the email's claims, the admin's account, the collection, the commit record and the finished "+
			"document; not the audit entry), each deleted again before the next, after one warm-up. The store was filled through "+
			"mongo.Store.Import, every admin with one bcrypt hash computed once, so that seeding pays no bcrypt per organization. "+
			"The capacity curve below has the points in between.", e.o.Samples),
	})
}

// inProcessNote says how a row was measured without bin/orgd.
func (e *env) inProcessNote() string {
	if e.o.Orgd != "" {
		return ""
	}
	return " No orgd binary was given: measured in the bench's own process."
}

// timeCheck times orgd check on the stopped store: bin/orgd check, or the
// same in process.
func (e *env) timeCheck(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	if e.o.Orgd == "" {
		cfg := e.config()
		st, err := daemon.OpenStore(ctx, cfg, slog.New(slog.NewTextHandler(logWriter(e.o.Log), &slog.HandlerOptions{Level: slog.LevelWarn})), daemon.Hooks{TenantIdle: -1, ReadOnly: true})
		if err != nil {
			return 0, err
		}
		problems, err := st.Check(ctx)
		err = errors.Join(err, st.Close(context.WithoutCancel(ctx)))
		if err == nil && len(problems) > 0 {
			err = fmt.Errorf("orgd check finds %d problems, the first: %s", len(problems), problems[0])
		}
		return time.Since(t0), err
	}
	cmd := exec.CommandContext(ctx, e.o.Orgd, "check", "--data-dir", e.data, "--log-level", "warn")
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("orgd check: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return time.Since(t0), nil
}

// cleanEnv is this process's environment without the caller's ORGD_*
// settings (a --mongo-uri, say) and without NOTIFY_SOCKET.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORGD_") && !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			env = append(env, kv)
		}
	}
	return env
}

// startups is how many times each start-up is timed.
const startups = 3

// rowsScaleStart times bin/orgd's start to READY (as systemd hears it, on
// NOTIFY_SOCKET) on the filled store and on an empty one, and reads its
// memory idle on the filled one.
func (e *env) rowsScaleStart(ctx context.Context) error {
	if e.o.Orgd == "" {
		return e.rowsScaleStartInProcess(ctx)
	}
	logFile, err := os.OpenFile(filepath.Join(e.dir, "orgd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()

	emptyDir := filepath.Join(e.dir, "empty-scale")
	var base, full []time.Duration
	var emptyRSS float64
	for i := range startups {
		p, ready, err := startReady(ctx, e.o.Orgd, emptyDir, filepath.Join(e.dir, "empty.sock"), logFile)
		if err != nil {
			return fmt.Errorf("orgd on an empty store: %w", err)
		}
		base = append(base, ready)
		if i == startups-1 {
			bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if _, err = p.client.Bootstrap(bctx, operatorEmail, operatorPassword); err == nil {
				err = exercise(ctx, p.client)
			}
			cancel()
			if err == nil {
				emptyRSS, err = idleRSS(ctx, p.pid(), e.settleTime())
			}
		}
		if err := errors.Join(err, p.stop()); err != nil {
			return fmt.Errorf("orgd on an empty store: %w", err)
		}
	}
	var rss, allOpen, peak float64
	var opened int
	var openTook time.Duration
	for i := range startups {
		p, ready, err := startReady(ctx, e.o.Orgd, e.data, e.socket, logFile)
		if err != nil {
			return err
		}
		full = append(full, ready)
		if i == startups-1 {
			if err = exercise(ctx, p.client); err == nil {
				rss, err = idleRSS(ctx, p.pid(), e.settleTime())
			}
			if err == nil {
				peak, err = rssMiB(p.pid(), "VmHWM")
			}
			if err == nil {
				t0 := time.Now()
				opened, err = e.openEveryTenantDatabase(ctx, p.client)
				openTook = time.Since(t0)
			}
			if err == nil {
				allOpen, err = rssMiB(p.pid(), "VmRSS")
			}
		}
		if err := errors.Join(err, p.stop()); err != nil {
			return err
		}
	}
	crash, err := e.startAfterCrash(ctx, logFile)
	if err != nil {
		return err
	}
	files, databases, err := storeFiles(filepath.Join(e.data, embedded.Dir))
	if err != nil {
		return err
	}
	med, baseMed := medianDuration(full), medianDuration(base)
	if e.o.wantsScaleRow("scale-start") {
		e.rows = append(e.rows, Row{
			Key:      "scale-start",
			What:     fmt.Sprintf("start-up to READY with %s organizations", count(e.seeded)),
			Figure:   fmtDur(med),
			Spread:   durSpread(full),
			Baseline: fmt.Sprintf("on an empty store: %s (%s)", fmtDur(baseMed), durSpread(base)),
			Ratio:    fmtRatio(float64(med) / float64(baseMed)),
			Target:   "≤ 3 s",
			Result:   verdict(med <= 3*time.Second),
			Note: fmt.Sprintf("bin/orgd serve on the filled store, stopped cleanly before each of %d starts (SIGTERM, as systemd does), "+
				"timed from its exec to the READY=1 it sends on NOTIFY_SOCKET. A clean stop leaves the directory in a snapshot beside "+
				"the store, which the next start reads instead of every organization and account. A start after a crash (SIGKILL) "+
				"reads them from the store instead: it took %s to READY, and orgd %s systemd for more time (EXTEND_TIMEOUT_USEC) "+
				"before it. The store's files then: %s in all, %d tenant databases besides the main one.",
				startups, fmtDur(crash.ready), map[bool]string{true: "asked", false: "did not ask"}[crash.extended], fmtBytes(files), databases),
		})
	}
	if e.o.wantsScaleRow("scale-memory") {
		e.rows = append(e.rows, Row{
			Key:      "scale-memory",
			What:     fmt.Sprintf("orgd resident memory with %s organizations, idle, embedded engine included", count(e.seeded)) + e.withAccounts(),
			Figure:   fmt.Sprintf("%.0f MiB", rss),
			Baseline: fmt.Sprintf("orgd on an empty store: %.0f MiB", emptyRSS),
			Ratio:    fmtRatio(rss / emptyRSS),
			Target:   "≤ 200 MiB",
			Result:   verdict(rss <= 200),
			Note: fmt.Sprintf("VmRSS of bin/orgd serve on the filled store, read as for the memory row of §7 after a health check, "+
				"a login, the first page of org.list and %s idle (peak %.0f MiB). No tenant database's engine runs while idle; "+
				"after org.stats on %d organizations spread over the tenant databases, which started their engines (%s a call on "+
				"average, the engine's start included), it was %.0f MiB.",
				e.settleTime(), peak, opened, fmtDur(openTook/time.Duration(max(opened, 1))), allOpen),
		})
	}
	return nil
}

// startAfterCrash starts bin/orgd on the filled store, kills it, and
// times the start after.
func (e *env) startAfterCrash(ctx context.Context, logFile *os.File) (started, error) {
	p, _, err := startReady(ctx, e.o.Orgd, e.data, e.socket, logFile)
	if err != nil {
		return started{}, err
	}
	p.client.Close()
	_ = p.cmd.Process.Kill()
	<-p.done
	p, st, err := startNotified(ctx, e.o.Orgd, e.data, e.socket, logFile)
	if err != nil {
		return started{}, fmt.Errorf("start after a crash: %w", err)
	}
	return st, p.stop()
}

// storeFiles adds up the sizes of the embedded store's files under dir,
// and counts its tenant databases.
func storeFiles(dir string) (size int64, databases int, err error) {
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if filepath.Base(filepath.Dir(path)) == embedded.TenantsDir {
				databases++
			}
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return nil
	})
	return size, databases, err
}

// fmtBytes says a size in MB (10^6 bytes).
func fmtBytes(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/1e6) }

// openEveryTenantDatabase asks for the stats of one organization of each
// tenant database, which starts every tenant database's engine, and
// returns how many there are.
func (e *env) openEveryTenantDatabase(ctx context.Context, c *rpc.Client) (int, error) {
	s, err := loginRetrying(ctx, c, operatorEmail, operatorPassword)
	if err != nil {
		return 0, err
	}
	per := daemon.EmbeddedTenantsPerDB
	n := 0
	for i := 1; i <= e.seeded; i += per {
		if _, err := c.OrgStats(ctx, s.Token, seedName(i)); err != nil {
			return n, fmt.Errorf("org.stats of %s: %w", seedName(i), err)
		}
		n++
	}
	return n, nil
}

// rowsScaleStartInProcess is rowsScaleStart without a built orgd: the
// time of daemon.Start, and this process's memory.
func (e *env) rowsScaleStartInProcess(ctx context.Context) error {
	var full []time.Duration
	for range startups {
		t0 := time.Now()
		if err := e.startDaemon(ctx); err != nil {
			return err
		}
		full = append(full, time.Since(t0))
		if err := e.stop(ctx); err != nil {
			return err
		}
	}
	med := medianDuration(full)
	if e.o.wantsScaleRow("scale-start") {
		e.rows = append(e.rows, Row{
			Key: "scale-start", What: fmt.Sprintf("start-up to READY with %s organizations", count(e.seeded)),
			Figure: fmtDur(med), Spread: durSpread(full), Target: "≤ 3 s", Result: verdict(med <= 3*time.Second),
			Note: "daemon.Start in the bench's own process (no orgd binary was given), after a clean stop.",
		})
	}
	if e.o.wantsScaleRow("scale-memory") {
		runtime.GC()
		debug.FreeOSMemory()
		rss, err := rssMiB(os.Getpid(), "VmRSS")
		if err != nil {
			return err
		}
		e.rows = append(e.rows, Row{
			Key: "scale-memory", What: fmt.Sprintf("orgd resident memory with %s organizations, idle, embedded engine included", count(e.seeded)),
			Figure: fmt.Sprintf("%.0f MiB (bench included)", rss), Target: "≤ 200 MiB", Result: verdict(rss <= 200),
			Note: "Measured in the bench's own process (no orgd binary was given), orgd stopped: it counts the bench, not orgd.",
		})
	}
	return nil
}

// started is how a start of bin/orgd went, as systemd hears it.
type started struct {
	ready    time.Duration // from the exec to READY=1
	extended bool          // EXTEND_TIMEOUT_USEC came first
}

// startReady starts bin/orgd serve on dataDir, and returns it once it
// answers, with the time from its exec to the READY=1 it sent systemd.
func startReady(ctx context.Context, bin, dataDir, socket string, logTo *os.File) (*orgdProcess, time.Duration, error) {
	p, st, err := startNotified(ctx, bin, dataDir, socket, logTo)
	return p, st.ready, err
}

// startNotified is startReady, also telling whether orgd asked systemd
// for more time.
func startNotified(ctx context.Context, bin, dataDir, socket string, logTo *os.File) (*orgdProcess, started, error) {
	notifyPath := socket + ".notify"
	_ = os.Remove(notifyPath)
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		return nil, started{}, err
	}
	defer func() {
		notify.Close()
		os.Remove(notifyPath)
	}()
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--listen", "unix://"+socket, "--log-level", "warn")
	cmd.Env = append(cleanEnv(), "NOTIFY_SOCKET="+notifyPath)
	cmd.Stdout, cmd.Stderr = logTo, logTo
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, started{}, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &orgdProcess{cmd: cmd, socket: socket, client: &rpc.Client{Addr: "unix://" + socket}, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	ready := make(chan started, 1)
	go func() {
		buf := make([]byte, 4096)
		var st started
		for {
			n, _, err := notify.ReadFromUnix(buf)
			if err != nil {
				return
			}
			lines := strings.Split(string(buf[:n]), "\n")
			if slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "EXTEND_TIMEOUT_USEC=") }) {
				st.extended = true
			}
			if slices.Contains(lines, "READY=1") {
				st.ready = time.Since(t0)
				ready <- st
				return
			}
		}
	}()
	select {
	case st := <-ready:
		if err := waitAnswers(ctx, p); err != nil {
			return nil, started{}, errors.Join(err, p.stop())
		}
		return p, st, nil
	case err := <-p.done:
		return nil, started{}, fmt.Errorf("%s exited before READY: %v", bin, err)
	case <-time.After(2 * time.Minute):
		return nil, started{}, errors.Join(fmt.Errorf("%s sent no READY within 2 minutes", bin), p.stop())
	case <-ctx.Done():
		return nil, started{}, errors.Join(ctx.Err(), p.stop())
	}
}

// waitAnswers waits until the orgd p answers system.health.
func waitAnswers(ctx context.Context, p *orgdProcess) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := p.client.Health(hctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("orgd is READY but does not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
