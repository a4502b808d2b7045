package embedded

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestMinLevelWritesOnlyFromItsLevelWithEveryAttribute(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(minLevel{inner: slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), level: slog.LevelError})
	conn := log.With("conn", 7).WithGroup("op").With("name", "insert")
	conn.Info("not written")
	conn.Warn("not written either")
	if out.Len() != 0 {
		t.Fatalf("below the level, the log has %q", out.String())
	}
	conn.Error("failed", "why", "disk")
	// A sibling made from the same parent has its own attributes only.
	log.With("conn", 8).Error("other")
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`level=ERROR msg=failed conn=7 op.name=insert op.why=disk`,
		`level=ERROR msg=other conn=8`,
	}
	if len(got) != len(want) {
		t.Fatalf("log has %d lines, want %d:\n%s", len(got), len(want), out.String())
	}
	for i := range want {
		// Drop the time, the one attribute that differs from run to run.
		line := got[i][strings.Index(got[i], " ")+1:]
		if line != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, line, want[i])
		}
	}
}

func TestMinLevelDefersAttributesUntilARecordIsWritten(t *testing.T) {
	inner := slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelError})
	h := minLevel{inner: inner, level: slog.LevelError}
	if !h.Enabled(context.Background(), slog.LevelError) || h.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled does not follow the level")
	}
	// What the engine does for every message: a logger with attributes of
	// its own, that logs nothing at orgd's level.
	perMessage := func(log *slog.Logger) int64 {
		return testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				log.With("conn", 7, "op", "insert").Debug("handled")
			}
		}).AllocedBytesPerOp()
	}
	eager, lazy := perMessage(slog.New(inner)), perMessage(slog.New(h))
	if lazy >= eager {
		t.Errorf("a logger with attributes that writes nothing allocates %d bytes, the inner handler alone %d: want less", lazy, eager)
	}
}
