package audit

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		text, want string
	}{
		{"", ""},
		{"2026-03-14T09:30:00Z", "2026-03-14T09:30:00Z"},
		{"2026-03-14T11:30:00+02:00", "2026-03-14T09:30:00Z"},
		{"2026-03-14T09:30:00.25Z", "2026-03-14T09:30:00.25Z"},
		{"2026-03-14", "2026-03-14T00:00:00Z"},
		{"2026-03-14 09:30", "2026-03-14T09:30:00Z"},
		{"2026-03-14T09:30", "2026-03-14T09:30:00Z"},
		{" 2026-03-14 09:30:15 ", "2026-03-14T09:30:15Z"},
		{"90m", "2026-03-14T08:30:00Z"},
		{"24h", "2026-03-13T10:00:00Z"},
		{"7d", "2026-03-07T10:00:00Z"},
	}
	for _, tt := range tests {
		t.Run("reads "+tt.text, func(t *testing.T) {
			got, err := ParseTime(tt.text, now)
			if err != nil || got != tt.want {
				t.Fatalf("ParseTime(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
			}
		})
	}
	for _, text := range []string{"yesterday", "-1h", "2026-13-01", "7 days", "d"} {
		t.Run("refuses "+text, func(t *testing.T) {
			if got, err := ParseTime(text, now); err == nil {
				t.Fatalf("ParseTime(%q) = %q, want an error", text, got)
			}
		})
	}
}

func TestFilterSaysWhatItSelects(t *testing.T) {
	f := Filter{Org: "Acme", Action: "member.", Since: "2026-03-14T09:30:00Z", Until: "2026-03-14T09:30:15Z"}
	if got, want := f.String(), "organization Acme · action member. · since 2026-03-14 09:30 · until 2026-03-14 09:30:15"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if !(Filter{}).IsZero() || f.IsZero() {
		t.Fatal("IsZero is wrong")
	}
}
