package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestBar() (*Bar, *bytes.Buffer, *clock) {
	var out bytes.Buffer
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(&out, "exported")
	b.now, b.start = c.now, c.t
	return b, &out, c
}

func lastLine(out *bytes.Buffer) string {
	s := strings.TrimRight(out.String(), "\n")
	return strings.TrimRight(s[strings.LastIndex(s, "\r")+1:], " ")
}

func TestTheLineShowsCountAndRateWithoutATotal(t *testing.T) {
	b, out, c := newTestBar()
	c.t = c.t.Add(2 * time.Second)
	b.Add(24690)
	if got, want := lastLine(out), "exported 24,690 documents 12,345/s"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
}

func TestTheLineShowsPercentageAndTimeLeftWithATotal(t *testing.T) {
	b, out, c := newTestBar()
	b.SetTotal(100000)
	c.t = c.t.Add(10 * time.Second)
	b.Add(25000)
	want := "exported 25,000/100,000 documents 25% [###.........] 2,500/s ETA 30s"
	if got := lastLine(out); got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
	if len(want) > 80 {
		t.Errorf("the line has %d columns", len(want))
	}
	c.t = c.t.Add(30 * time.Second)
	b.Add(75000)
	b.Finish()
	if got := lastLine(out); !strings.Contains(got, "100% [############]") || !strings.HasSuffix(got, "ETA 0s") || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("finished line %q", got)
	}
}

func TestAFractionGivesPercentageWhenTheCountIsUnknown(t *testing.T) {
	b, out, c := newTestBar()
	c.t = c.t.Add(time.Minute)
	b.Add(1000)
	c.t = c.t.Add(time.Second)
	b.SetFraction(0.5)
	if got := lastLine(out); !strings.Contains(got, "1,000 documents 50% [######......]") || !strings.HasSuffix(got, "ETA 1m01s") {
		t.Fatalf("line %q", got)
	}
}

func TestRedrawsAreRateLimited(t *testing.T) {
	b, out, c := newTestBar()
	for range 1000 {
		b.Add(1)
	}
	if n := strings.Count(out.String(), "\r"); n != 1 {
		t.Fatalf("%d draws within one instant, want 1", n)
	}
	c.t = c.t.Add(redrawEvery)
	b.Add(1)
	if n := strings.Count(out.String(), "\r"); n != 2 {
		t.Fatalf("%d draws, want 2", n)
	}
}

func TestNumbersAndDurationsReadEasily(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{1400 * time.Millisecond: "1s", 192 * time.Second: "3m12s", 2*time.Hour + 5*time.Minute: "2h05m"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
