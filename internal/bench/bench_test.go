package bench_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/bench"
)

// TestSmokeRunReportsEveryRow runs the whole harness at tiny sizes, so that
// it cannot rot between the times someone runs make bench. It checks what
// the report holds, never a figure: the machine is shared and timings are
// noise here.
func TestSmokeRunReportsEveryRow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts orgd on the embedded store; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress strings.Builder
	rep, err := bench.Run(ctx, bench.Options{
		Orgs:          6,
		ScaleOrgs:     12,
		Documents:     50,
		Clients:       2,
		LoginClients:  1,
		Window:        30 * time.Millisecond,
		Runs:          1,
		SlowOps:       2,
		SlowRuns:      1,
		Samples:       1,
		Accounts:      20,
		BigOrgMembers: 5,
		SSHSessions:   2,
		AuditEntries:  300,
		BcryptCost:    4,
		Log:           &progress,
	})
	if err != nil {
		t.Fatalf("bench: %v\nprogress:\n%s", err, progress.String())
	}
	wantKeys := []string{"create-time", "roundtrip", "org-get", "metrics-cost", "get-under-login", "login", "create", "rename", "list",
		"login-accounts", "member-list",
		"ssh-first-frame", "ssh-browse", "audit-list", "memory", "orgtui", "orgtui",
		"scale-create", "scale-org-get", "scale-list", "scale-start", "scale-memory", "scale-check"}
	if len(rep.Rows) != len(wantKeys) {
		t.Fatalf("the report has %d rows, want %d:\n%s", len(rep.Rows), len(wantKeys), rep.Text())
	}
	md := rep.Markdown()
	for i, row := range rep.Rows {
		if row.Key != wantKeys[i] {
			t.Errorf("row %d is %q, want %q", i+1, row.Key, wantKeys[i])
		}
		switch row.Result {
		case bench.Pass, bench.Fail:
			if row.Figure == "" || row.Figure == "failed" || row.Target == "" {
				t.Errorf("row %q was measured but shows no figure or no target: %+v", row.Key, row)
			}
		case bench.Skipped:
			if row.Key != "orgtui" || row.Note == "" {
				t.Errorf("row %q was not run, and only the orgtui rows without a binary may be: %+v", row.Key, row)
			}
		default:
			t.Errorf("row %q has no verdict: %+v", row.Key, row)
		}
		if !strings.Contains(md, row.What) {
			t.Errorf("the Markdown table lacks row %q", row.What)
		}
	}
	if !strings.Contains(md, rep.Machine.CPU) || !strings.Contains(rep.Text(), rep.Machine.Go) {
		t.Errorf("the report does not name the machine:\n%s", md)
	}
	if len(rep.Curve) < 2 || !strings.Contains(md, bench.CurveFile) || !strings.HasPrefix(rep.CurveSVG(), "<svg") {
		t.Errorf("the report has no capacity curve (%d points):\n%s", len(rep.Curve), md)
	}
}
