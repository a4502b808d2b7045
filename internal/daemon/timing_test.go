package daemon_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// Login timing is measured against orgd in a child process (no race
// detector) hashing at cost 10, the lowest cost orgd accepts.
const (
	timingSamples  = 12  // of each kind, per measurement
	timingAccounts = 8   // known emails, each failing at most 4 times
	timingSlack    = 1.2 // the slower median over the faster one
)

// TestLoginTakesAsLongForUnknownAndKnownEmails measures failed logins of
// both kinds, interleaved, each over a connection from a loopback address
// of its own (the throttle counts failures per IP address on TCP, and
// allows 5 per email), and compares their medians.
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

	attempt := 0
	measure := func() (knownMedian, unknownMedian time.Duration) {
		var k, u []time.Duration
		for i := range timingSamples {
			// Interleaved, so that a slow moment of the machine hurts
			// both kinds alike; which goes first alternates too.
			kinds := []bool{true, false}
			if i%2 == 1 {
				kinds = []bool{false, true}
			}
			for _, isKnown := range kinds {
				attempt++
				email := fmt.Sprintf("unknown-%d@example.com", attempt)
				if isKnown {
					email = known[attempt%len(known)]
				}
				took := timeLogin(t, port, attempt, email)
				if isKnown {
					k = append(k, took)
				} else {
					u = append(u, took)
				}
			}
		}
		return median(k), median(u)
	}
	// One login of each kind first, unmeasured, to warm both paths.
	timeLogin(t, port, 0, known[0])
	timeLogin(t, port, 0, "warm-up@example.com")

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

// timeLogin connects to orgd over TCP from 127.0.1.n, sends one login with
// a wrong password, and returns how long the answer took to come back. The
// answer must be the refusal of a wrong email or password, not a throttle.
func timeLogin(t *testing.T, port string, n int, email string) time.Duration {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1+byte(n/250), byte(1+n%250))}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "auth.login",
		"params": map[string]string{"email": email, "password": "wrong-password"}})
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	start := time.Now()
	if _, err := conn.Write(append(req, '\n')); err != nil {
		t.Fatal(err)
	}
	line, err := r.ReadBytes('\n')
	took := time.Since(start)
	if err != nil {
		t.Fatalf("login of %s: %v", email, err)
	}
	var rep testenv.Reply
	if err := json.Unmarshal(line, &rep); err != nil || rep.Error == nil || rep.Error.Code != rpc.CodeUnauthenticated {
		t.Fatalf("login of %s with a wrong password answered %s, want -32001", email, line)
	}
	return took
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
