package daemon_test

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/testenv"
)

// notifySocket listens where systemd would, as NOTIFY_SOCKET, and returns
// what orgd sends there, message by message.
func notifySocket(t *testing.T) <-chan string {
	t.Helper()
	path := filepath.Join(testenv.ShortDir(t), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	out := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			out <- string(buf[:n])
		}
	}()
	return out
}

// untilReady collects what orgd sends systemd up to and including READY=1.
func untilReady(t *testing.T, msgs <-chan string) []string {
	t.Helper()
	var seen []string
	timeout := time.After(time.Minute)
	for {
		select {
		case m := <-msgs:
			seen = append(seen, strings.Split(strings.TrimSpace(m), "\n")...)
			if slices.Contains(seen, "READY=1") {
				return seen
			}
		case <-timeout:
			t.Fatalf("no READY=1 within a minute; got %q", seen)
		}
	}
}

func TestAStartLongerThanUsualAsksSystemdForMoreTime(t *testing.T) {
	for _, c := range []struct {
		name      string
		longStart time.Duration
		extended  bool
	}{
		{"a start longer than usual sends EXTEND_TIMEOUT_USEC before READY", time.Nanosecond, true},
		{"a usual start sends READY alone", time.Hour, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			msgs := notifySocket(t)
			testenv.Start(t, testenv.Options{Embedded: true, LongStart: c.longStart})
			seen := untilReady(t, msgs)
			extended := slices.ContainsFunc(seen, func(m string) bool { return strings.HasPrefix(m, "EXTEND_TIMEOUT_USEC=") })
			if extended != c.extended {
				t.Errorf("EXTEND_TIMEOUT_USEC sent: %v, want %v; got %q", extended, c.extended, seen)
			}
			if i := slices.Index(seen, "EXTEND_TIMEOUT_USEC=30000000"); c.extended && (i < 0 || i > slices.Index(seen, "READY=1")) {
				t.Errorf("want EXTEND_TIMEOUT_USEC=30000000 (30 s) before READY=1; got %q", seen)
			}
		})
	}
}
