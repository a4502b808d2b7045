package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// Environment variables of TestKillDuringBurstsLosesNothing: how many
// trials it runs (make test runs a few, make reliability 50), and the seed
// of its choices, to replay a failure.
const (
	crashTrialsEnv = "ORGD_CRASH_TRIALS"
	crashSeedEnv   = "ORGD_CRASH_SEED"
)

// envInt reads a positive integer from the environment, or returns def.
func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// crashOp is a change a burst worker had sent when orgd died: its outcome
// is unknown, and either is right, as long as it is whole.
type crashOp struct {
	kind    string // create, insert, rename, delete
	name    string
	newName string // rename
	docs    int64  // insert: how many documents it carried
}

// crashModel is what the clients were told: every organization whose
// create was acknowledged and not deleted since, and how many of its
// documents were acknowledged.
type crashModel struct {
	mu    sync.Mutex
	docs  map[string]int64 // by organization name
	acked int              // changes acknowledged
}

func (m *crashModel) set(name string, docs int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[name] = docs
}

func (m *crashModel) add(name string, docs int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[name] += docs
}

func (m *crashModel) get(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.docs[name]
}

func (m *crashModel) rename(from, to string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[to] = m.docs[from]
	delete(m.docs, from)
}

func (m *crashModel) remove(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.docs, name)
}

// nextCrashOp picks a worker's next change to its organizations: a create
// when it has none, else mostly inserts, some renames and deletes.
func nextCrashOp(rng *rand.Rand, prefix string, k int, current string) crashOp {
	switch r := rng.IntN(100); {
	case current == "" || r < 10:
		return crashOp{kind: "create", name: fmt.Sprintf("%s N%d", prefix, k)}
	case r < 60:
		return crashOp{kind: "insert", name: current, docs: int64(1 + rng.IntN(40))}
	case r < 80:
		return crashOp{kind: "rename", name: current, newName: fmt.Sprintf("%s N%d", prefix, k)}
	default:
		return crashOp{kind: "delete", name: current}
	}
}

// send makes the change o, and once it is acknowledged records it in m and
// returns the organization the worker works on next.
func (o crashOp) send(ctx context.Context, c *rpc.Client, op string, k int, rng *rand.Rand, m *crashModel) (current string, err error) {
	defer func() {
		if err == nil {
			m.mu.Lock()
			m.acked++
			m.mu.Unlock()
		}
	}()
	switch o.kind {
	case "create":
		_, err = c.CreateOrg(ctx, rpc.OrgCreateParams{Token: op, Name: o.name, AdminEmail: adminEmail(o.name), AdminPassword: adminPassword})
		if err == nil {
			m.set(o.name, 0)
		}
		return o.name, err
	case "insert":
		docs := make([]json.RawMessage, o.docs)
		for i := range docs {
			docs[i] = json.RawMessage(fmt.Sprintf(`{"k":%d,"i":%d,"pad":"%s"}`, k, i, strings.Repeat("x", rng.IntN(200))))
		}
		_, err = c.InsertDocuments(ctx, rpc.DataInsertParams{Token: op, Org: o.name, Documents: docs})
		if err == nil {
			m.add(o.name, o.docs)
		}
		return o.name, err
	case "rename":
		newName := o.newName
		_, err = c.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: op, Name: o.name, NewName: &newName})
		if err == nil {
			m.rename(o.name, o.newName)
		}
		return o.newName, err
	default:
		err = c.DeleteOrg(ctx, op, o.name)
		if err == nil {
			m.remove(o.name)
		}
		return "", err
	}
}

// burstWorker makes changes on a connection of its own, to organizations
// of its own, until orgd dies under it. It returns the change in flight
// then, if any.
func burstWorker(ctx context.Context, t *testing.T, addr, op string, rng *rand.Rand, prefix string, m *crashModel) *crashOp {
	c := &rpc.Client{Addr: addr}
	defer c.Close()
	var current string // the organization the worker works on
	for k := 0; ; k++ {
		o := nextCrashOp(rng, prefix, k, current)
		next, err := o.send(ctx, c, op, k, rng, m)
		if err == nil {
			current = next
			continue
		}
		if code := rpc.ErrorCode(err); code != 0 {
			// orgd answered: it was alive, and refused a change no other
			// client touches.
			t.Errorf("%s %q: orgd answered %v", o.kind, o.name, err)
			return nil
		}
		return &o
	}
}

// settle decides, from what orgd now holds, how the change in flight at the
// crash ended, and fails if it ended halfway. It reports whether the
// change took effect.
func settle(t *testing.T, c *rpc.Client, op string, o *crashOp, m *crashModel) bool {
	t.Helper()
	ctx := ctxT(t)
	exists := func(name string) bool {
		_, err := c.GetOrg(ctx, op, name)
		if err != nil && rpc.ErrorCode(err) != rpc.CodeNotFound {
			t.Fatalf("org.get %q: %v", name, err)
		}
		return err == nil
	}
	switch o.kind {
	case "create":
		if exists(o.name) {
			m.set(o.name, 0)
			return true
		}
	case "insert":
		n, err := c.CountDocuments(ctx, rpc.DataCountParams{Token: op, Org: o.name})
		if err != nil {
			t.Fatalf("data.count %q: %v", o.name, err)
		}
		acked := m.get(o.name)
		if n.Count < acked || n.Count > acked+o.docs {
			t.Errorf("%q holds %d documents; %d were acknowledged and %d more were in flight", o.name, n.Count, acked, o.docs)
		}
		if landed := n.Count - acked; landed > 0 && landed < o.docs {
			t.Logf("an insert into %q was cut short: %d of its %d documents landed", o.name, landed, o.docs)
		}
		m.set(o.name, n.Count)
		return n.Count > acked
	case "rename":
		before, after := exists(o.name), exists(o.newName)
		switch {
		case before && after:
			t.Errorf("after a crash mid-rename both %q and %q exist", o.name, o.newName)
		case !before && !after:
			t.Errorf("after a crash mid-rename neither %q nor %q exists", o.name, o.newName)
		case after:
			m.rename(o.name, o.newName)
			return true
		}
	case "delete":
		if !exists(o.name) {
			m.remove(o.name)
			return true
		}
	}
	return false
}

// orgdCheck runs the real orgd check on p's store and returns its output
// and whether it found the store clean.
func orgdCheck(t *testing.T, p *testenv.Process) (string, bool) {
	t.Helper()
	cmd := exec.CommandContext(ctxT(t), p.Binary(t), "check", "--mongo-uri", p.MongoURI, "--db", p.DB)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("orgd check: %v", err)
	}
	return string(out), err == nil
}

// waitOrgdCheck waits until orgd check finds p's store clean, failing
// after within.
func waitOrgdCheck(t *testing.T, p *testenv.Process, within time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		out, clean := orgdCheck(t, p)
		if clean {
			return
		}
		if time.Since(start) > within {
			t.Fatalf("orgd check still finds problems after %s:\n%s", within, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKillDuringBurstsLosesNothing kills a real orgd with SIGKILL (the
// embedded engine inside it dies too) at a random moment of a burst of
// creates, document inserts, renames and deletes from several connections,
// restarts it on the same data directory, and checks that every
// acknowledged change is there, the change in flight is whole one way or
// the other, no organization is left in a transitional state, orgd check is
// clean, and no document is lost. State carries over from trial to trial.
func TestKillDuringBurstsLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real orgd through kill -9 and restart")
	}
	// Its orgd is a process of its own: it can share the machine with the
	// other tests that run theirs.
	t.Parallel()
	trials := envInt(t, crashTrialsEnv, 3)
	seed := envInt(t, crashSeedEnv, time.Now().UnixNano()&(1<<62-1))
	t.Logf("%d trials, seed %d (%s=%d replays the same choices)", trials, seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	p := testenv.StartProcess(t)
	c := &rpc.Client{Addr: p.Addr}
	defer c.Close()
	s, err := c.Bootstrap(ctxT(t), "ops@example.com", "operator-password")
	if err != nil {
		t.Fatal(err)
	}
	op := s.Token
	m := &crashModel{docs: map[string]int64{}}
	const workers = 8
	// Changes in flight at a kill, by kind, and how many of those took
	// effect.
	inFlight, tookEffect := map[string]int{}, map[string]int{}

	for trial := range trials {
		killAfter := time.Duration(50+rng.IntN(1500)) * time.Millisecond
		var wg sync.WaitGroup
		pending := make([]*crashOp, workers)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for w := range workers {
			wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
			wg.Go(func() {
				pending[w] = burstWorker(ctx, t, p.Addr, op, wrng, fmt.Sprintf("T%d W%d", trial, w), m)
			})
		}
		time.Sleep(killAfter)
		p.Kill()
		wg.Wait()
		cancel()
		if t.Failed() {
			t.Fatalf("trial %d (seed %d): orgd refused a change before the kill", trial, seed)
		}

		p.Restart(t)
		c.Close()
		// On the embedded store a restarted orgd repairs at once; on a
		// shared MongoDB it waits until the killed one's heartbeat is
		// stale.
		waitOrgdCheck(t, p, 30*time.Second)
		for _, o := range pending {
			if o != nil {
				inFlight[o.kind]++
				if settle(t, c, op, o, m) {
					tookEffect[o.kind]++
				}
			}
		}
		verifyCrashModel(t, c, op, m)
		out, clean := orgdCheck(t, p)
		if !clean {
			t.Errorf("trial %d: orgd check after the restart:\n%s", trial, out)
		}
		if t.Failed() {
			t.Fatalf("trial %d failed (seed %d, killed after %s)", trial, seed, killAfter)
		}
		t.Logf("trial %d: killed after %s; %d organizations, %d documents held", trial, killAfter, len(m.snapshot()), m.total())
	}
	var whole []string
	for _, kind := range []string{"create", "insert", "rename", "delete"} {
		whole = append(whole, fmt.Sprintf("%s %d (%d took effect)", kind, inFlight[kind], tookEffect[kind]))
	}
	t.Logf("%d trials: every acknowledged change held (%d acknowledged); in flight at a kill and found whole: %s",
		trials, m.acked, strings.Join(whole, ", "))
}

// snapshot copies the model.
func (m *crashModel) snapshot() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int64, len(m.docs))
	for k, v := range m.docs {
		out[k] = v
	}
	return out
}

func (m *crashModel) total() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, v := range m.docs {
		n += v
	}
	return n
}

// verifyCrashModel fails unless orgd holds exactly the organizations of
// the model, every one active, with exactly its documents.
func verifyCrashModel(t *testing.T, c *rpc.Client, op string, m *crashModel) {
	t.Helper()
	ctx := ctxT(t)
	want := m.snapshot()
	seen := map[string]bool{}
	cursor := ""
	for {
		l, err := c.ListOrgs(ctx, rpc.OrgListParams{Token: op, Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatalf("org.list: %v", err)
		}
		for _, o := range l.Items {
			seen[o.Name] = true
			if o.State != rpc.StateActive {
				t.Errorf("%q is %s after the restart", o.Name, o.State)
			}
			if _, ok := want[o.Name]; !ok {
				t.Errorf("%q exists, but its create was never acknowledged (or its delete was)", o.Name)
			}
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	for name, docs := range want {
		if !seen[name] {
			t.Errorf("%q was acknowledged but is gone", name)
			continue
		}
		n, err := c.CountDocuments(ctx, rpc.DataCountParams{Token: op, Org: name})
		if err != nil {
			t.Errorf("data.count %q: %v", name, err)
			continue
		}
		if n.Count != docs {
			t.Errorf("%q holds %d documents, want %d", name, n.Count, docs)
		}
	}
}
