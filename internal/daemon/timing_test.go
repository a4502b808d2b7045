package daemon_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// Login timing is measured against orgd in a child process (no race
// detector) hashing at cost 10, the lowest cost orgd accepts.
const (
	timingSamples  = 16  // of each kind, per measurement
	timingAccounts = 8   // known emails, each failing at most 5 times
	timingSlack    = 1.2 // the slower median over the faster one
)

// TestLoginTakesAsLongForUnknownAndKnownEmails measures failed logins of
// both kinds in pairs, one of each kind sent at the same moment, so that a
// busy moment of the machine slows both alike, and compares the medians of
// the two kinds. Each login comes over a connection from a loopback address
// of its own (the throttle counts failures per IP address on TCP), and the
// known emails are spread so that none reaches its limit of 5.
func TestLoginTakesAsLongForUnknownAndKnownEmails(t *testing.T) {
	if testing.Short() {
		t.Skip("measures bcrypt at cost 10")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	p := testenv.StartProcess(t, "--listen", "tcp://127.0.0.1:"+port)
	c := &rpc.Client{Addr: p.Addr}
	t.Cleanup(func() { c.Close() })
	ctx := ctxT(t)
	s, err := c.Bootstrap(ctx, "ops@example.com", "operator-password")
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	for i := range timingAccounts {
		o := create(t, c, s.Token, fmt.Sprintf("Timing %d", i))
		known = append(known, o.AdminEmail)
	}

	peer, knownAttempt := 0, 0
	pair := func(i int) (k, u time.Duration) {
		knownAttempt++
		peer += 2
		probes := []*loginProbe{
			dialLogin(t, port, peer, known[knownAttempt%len(known)]),
			dialLogin(t, port, peer+1, fmt.Sprintf("unknown-%d@example.com", peer)),
		}
		if i%2 == 1 {
			// Which one reaches orgd first alternates.
			probes[0], probes[1] = probes[1], probes[0]
		}
		runLogins(t, probes)
		if i%2 == 1 {
			probes[0], probes[1] = probes[1], probes[0]
		}
		return probes[0].took, probes[1].took
	}
	measure := func() (knownMedian, unknownMedian time.Duration) {
		var k, u []time.Duration
		for i := range timingSamples {
			dk, du := pair(i)
			k, u = append(k, dk), append(u, du)
		}
		return median(k), median(u)
	}
	// One pair first, unmeasured, to warm both paths.
	pair(0)

	k, u := measure()
	if ratio(k, u) > timingSlack {
		t.Logf("medians %s (known) and %s (unknown) differ by more than %.0f%%; measuring again", k, u, (timingSlack-1)*100)
		k, u = measure()
	}
	t.Logf("median failed login: %s for a known email, %s for an unknown one (%d samples each)", k, u, timingSamples)
	if r := ratio(k, u); r > timingSlack {
		t.Errorf("a failed login takes %s for a known email and %s for an unknown one: %.0f%% apart, want within %.0f%%",
			k, u, (r-1)*100, (timingSlack-1)*100)
	}
	if k < time.Millisecond || u < time.Millisecond {
		t.Errorf("medians %s and %s: too quick for bcrypt at cost 10; is a password checked at all?", k, u)
	}
}

// loginProbe is one failed login, ready to be sent over its own
// connection.
type loginProbe struct {
	email string
	conn  net.Conn
	req   []byte
	took  time.Duration
	err   error
}

// dialLogin connects to orgd over TCP from 127.0.1.n (127.0.2.n past 250)
// and prepares a login for email with a wrong password.
func dialLogin(t *testing.T, port string, n int, email string) *loginProbe {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1+byte(n/250), byte(1+n%250))}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "auth.login",
		"params": map[string]string{"email": email, "password": "wrong-password"}})
	if err != nil {
		t.Fatal(err)
	}
	return &loginProbe{email: email, conn: conn, req: append(req, '\n')}
}

// runLogins sends the logins at once and times each from its request to
// its answer, which must be the refusal of a wrong email or password, not
// a throttle.
func runLogins(t *testing.T, probes []*loginProbe) {
	t.Helper()
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Go(func() {
			defer p.conn.Close()
			_ = p.conn.SetDeadline(time.Now().Add(30 * time.Second))
			start := time.Now()
			if _, p.err = p.conn.Write(p.req); p.err != nil {
				return
			}
			line, err := bufio.NewReader(p.conn).ReadBytes('\n')
			p.took = time.Since(start)
			if err != nil {
				p.err = err
				return
			}
			var rep testenv.Reply
			if err := json.Unmarshal(line, &rep); err != nil || rep.Error == nil || rep.Error.Code != rpc.CodeUnauthenticated {
				p.err = fmt.Errorf("answered %s, want -32001", line)
			}
		})
	}
	wg.Wait()
	for _, p := range probes {
		if p.err != nil {
			t.Fatalf("login of %s with a wrong password: %v", p.email, p.err)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratio is the slower of a and b over the faster.
func ratio(a, b time.Duration) float64 {
	return float64(max(a, b)) / float64(max(min(a, b), 1))
}
