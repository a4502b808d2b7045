package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestScreenSeesWhatOrgtuiPaints feeds a screen output as an SSH session
// delivers it, in pieces cut anywhere, and checks when it says the wants
// showed: as soon as the last of them arrived, and never before, whatever
// control sequences lie between them.
func TestScreenSeesWhatOrgtuiPaints(t *testing.T) {
	frame := "\x1b[?1049h\x1b[H\x1b[2J\x1b[1;38;5;63morgtui › Organizations\x1b[m\x1b[2;70H1 of 10,000" +
		"\x1b[4;3H\x1b[7mBench Org 00001\x1b[m\x1b[5;3HBench Org 00002\x1b[K"
	wants := []string{"1 of 10,000", "Bench Org 00001", "Bench Org 00002"}
	for _, tc := range []struct {
		name string
		cut  int // the output arrives in pieces of this many bytes
	}{
		{"whole", len(frame)},
		{"byte by byte", 1},
		{"in pieces that cut control sequences and names", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The list shows once the last character of the last want
			// arrived.
			end := 0
			for _, w := range wants {
				end = max(end, strings.Index(frame, w)+len(w))
			}
			s := newScreen(wants...)
			for i := 0; i < len(frame); i += tc.cut {
				if shown(s) != (i >= end) {
					t.Fatalf("after %d bytes of %d the screen says the list showed: %v; its last name ends at byte %d", i, len(frame), shown(s), end)
				}
				if _, err := s.Write([]byte(frame[i:min(i+tc.cut, len(frame))])); err != nil {
					t.Fatal(err)
				}
			}
			if !shown(s) {
				t.Fatalf("the screen did not see %q in %q", wants, frame)
			}
			if got := s.bytes.Load(); got != int64(len(frame)) {
				t.Errorf("the screen counted %d bytes, want %d", got, len(frame))
			}
		})
	}
	t.Run("expect waits for what arrives from then on", func(t *testing.T) {
		s := newScreen("Bench Org 00001")
		s.Write([]byte(frame))
		if !shown(s) {
			t.Fatal("the list did not show")
		}
		s.expect("Slug", "Bench Org 00001")
		s.Write([]byte("\x1b[4;3HSlug          bench_org_00002"))
		if shown(s) {
			t.Fatal("a name painted before expect counted after it")
		}
		s.Write([]byte("\x1b[2;3HBench Org 00001"))
		if !shown(s) {
			t.Fatal("the details did not show")
		}
	})
	t.Run("wait says what the screen showed when the wants never came", func(t *testing.T) {
		s := newScreen("Bench Org 00001")
		s.Write([]byte("\x1b[1;1Hloading\x1b[K"))
		_, err := s.wait(context.Background(), time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "loading") {
			t.Errorf("wait = %v, want an error that shows the screen", err)
		}
	})
}

// shown reports, without waiting, whether s has seen its wants; it keeps
// the time for a later wait.
func shown(s *screen) bool {
	select {
	case at := <-s.shown:
		s.shown <- at
		return true
	default:
		return false
	}
}
