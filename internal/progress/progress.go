// Package progress draws a one-line progress report on a terminal: how
// many items are done and how fast, and, when the total is known, the
// percentage, a bar and the time left. orgd export and orgd import use it
// on stderr.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// redrawEvery bounds how often the line is drawn: often enough to look
// alive, rarely enough to cost nothing over a slow SSH link.
const redrawEvery = 200 * time.Millisecond

// barWidth is the number of cells of the bar itself; the whole line stays
// within 80 columns.
const barWidth = 12

// Bar is a progress line. Its methods are safe for concurrent use. The
// zero value is not usable: make one with New.
type Bar struct {
	w    io.Writer
	verb string // "exported", "imported"
	now  func() time.Time

	mu       sync.Mutex
	start    time.Time
	drawn    time.Time
	count    int64
	total    int64   // of count; 0 when unknown
	fraction float64 // done, 0–1, when the total is known otherwise (bytes read); -1 when unknown
	width    int     // of the last line drawn
}

// New returns a bar that draws on w, saying verb ("exported") before the
// count.
func New(w io.Writer, verb string) *Bar {
	return &Bar{w: w, verb: verb, now: time.Now, start: time.Now(), fraction: -1}
}

// SetTotal sets how many items there are, when known.
func (b *Bar) SetTotal(n int64) {
	b.mu.Lock()
	b.total = n
	b.mu.Unlock()
}

// Add counts n more items done, and redraws if it is time.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count += n
	b.maybeDraw()
}

// SetFraction says how much of the work is done, 0–1, when the total
// number of items is unknown but the share of the work is (the bytes of a
// file read so far).
func (b *Bar) SetFraction(f float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fraction = min(max(f, 0), 1)
	b.maybeDraw()
}

// Finish draws the line one last time and ends it.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw()
	fmt.Fprintln(b.w)
}

func (b *Bar) maybeDraw() {
	if now := b.now(); now.Sub(b.drawn) >= redrawEvery {
		b.draw()
	}
}

func (b *Bar) draw() {
	now := b.now()
	b.drawn = now
	line := b.line(now.Sub(b.start))
	pad := ""
	if n := b.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n) // blank out the rest of a longer line before
	}
	b.width = len(line)
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
}

// line is the text of the line after elapsed, at most 80 columns for up to
// a billion documents:
//
//	exported 45,000 documents 12,345/s
//	imported 45,000/100,000 documents 45% [#####.......] 12,345/s ETA 4s
func (b *Bar) line(elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(b.count) / s
	}
	frac := b.fraction
	count := Count(b.count)
	if b.total > 0 {
		frac = min(float64(b.count)/float64(b.total), 1)
		count += "/" + Count(b.total)
	}
	speed := Count(int64(rate)) + "/s"
	if frac < 0 {
		return fmt.Sprintf("%s %s documents %s", b.verb, count, speed)
	}
	filled := int(frac * barWidth)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled)
	eta := "?"
	switch {
	case frac >= 1:
		eta = "0s"
	case frac > 0:
		eta = Duration(time.Duration(float64(elapsed) * (1 - frac) / frac))
	}
	return fmt.Sprintf("%s %s documents %d%% [%s] %s ETA %s", b.verb, count, int(frac*100), bar, speed, eta)
}

// Count writes n with thousands separators: 1,234,567.
func Count(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Duration writes d briefly: 45s, 3m12s, 2h05m.
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
