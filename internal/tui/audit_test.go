package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/orgd/orgd/internal/tui/pages/audit"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// auditTrail is what the audit fakes hold: n entries, one a minute up to
// the fake's clock, oldest first, about Acme Corp, Beta (renamed Beta
// Renamed, whose id stays) and Gamma (deleted).
func auditTrail(n int) []rpc.AuditEntry {
	type step struct{ actor, role, action, org, target, detail string }
	steps := []step{
		{opsEmail, "operator", "org.create", "Acme Corp", "admin@acme.example", ""},
		{"admin@acme.example", "admin", "member.add", "Acme Corp", "ada@acme.example", "role viewer"},
		{opsEmail, "operator", "org.create", "Beta", "b@beta.example", ""},
		{opsEmail, "operator", "org.rename", "Beta Renamed", "", "Beta -> Beta Renamed"},
		{"admin@acme.example", "admin", "member.role", "Acme Corp", "ada@acme.example", "viewer -> admin"},
		{opsEmail, "operator", "org.create", "Gamma", "g@gamma.example", "env=prod"},
		{opsEmail, "operator", "org.delete", "Gamma", "", "org_gamma"},
		{opsEmail, "operator", "org.suspend", "Beta Renamed", "", "invoice 2026-02 unpaid"},
		{"admin@acme.example", "admin", "auth.keys.add", "Acme Corp", "admin@acme.example", "SHA256:mXhe4VT8IZgX1fUCWPH5SZ3xupG1AvwouipH1zOKCA0"},
	}
	ids := map[string]string{"Acme Corp": "id_acme_corp", "Beta": "id_beta", "Beta Renamed": "id_beta", "Gamma": "id_gamma"}
	out := make([]rpc.AuditEntry, n)
	for i := range out {
		s := steps[i%len(steps)]
		out[i] = rpc.AuditEntry{
			At: epoch.Add(-time.Duration(n-i) * time.Minute), Actor: s.actor, Role: s.role, Action: s.action,
			OrgID: ids[s.org], OrgName: s.org, Target: s.target, Detail: s.detail, Peer: "uid:1000",
		}
	}
	return out
}

func auditFake(n int) func() *remotetest.Fake {
	return func() *remotetest.Fake {
		f := operatorFake(remotetest.NewOrg("Acme Corp", "admin@acme.example"), remotetest.NewOrg("Beta Renamed", "b@beta.example"))
		f.AddAudit(auditTrail(n)...)
		return f
	}
}

// auditAdminFake is auditFake's orgd where opsEmail is an admin of Acme
// Corp.
func auditAdminFake() *remotetest.Fake {
	f := auditFake(40)()
	f.Role, f.MemberOf = rpc.RoleAdmin, "Acme Corp"
	return f
}

func TestGoldenAuditScreens(t *testing.T) {
	tests := []struct {
		name  string
		fake  func() *remotetest.Fake
		steps func(a *app)
	}{
		{"audit", auditFake(230), func(a *app) {
			a.login()
			a.step("a")
			a.d.Press("j", "j")
		}},
		{"audit-filter", auditFake(230), func(a *app) {
			a.login()
			a.step("a", "/")
			a.d.Press("tab", "tab")
			a.d.Type("member.")
			a.d.Press("tab")
			a.d.Type("2026-03-14 06:00")
		}},
		{"audit-filtered", auditFake(230), func(a *app) {
			a.login()
			a.step("a", "/")
			a.d.Type("beta renamed")
			a.d.Press("tab", "tab", "tab")
			a.d.Type("yesterday")
			a.d.Press("enter")
			a.d.Press("ctrl+u")
			a.d.Type("24h")
			a.d.Press("enter")
		}},
		{"audit-entry", auditFake(230), func(a *app) {
			a.login()
			a.step("a")
			a.d.Press("enter")
		}},
		{"audit-admin", auditAdminFake, func(a *app) {
			a.login()
			a.step("a")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, tt.fake(), 80, 24)
			tt.steps(a)
			m := a.model()
			golden(t, tt.name+".golden", render(t, m, colorprofile.NoTTY))
			golden(t, tt.name+".ansi.golden", render(t, m, colorprofile.ANSI))
		})
	}
}

// auditPage returns the audit log on the stack.
func (a *app) auditPage() audit.Model {
	a.t.Helper()
	for _, p := range a.model().stack {
		if l, ok := p.(audit.Model); ok {
			return l
		}
	}
	a.t.Fatalf("the audit log is not open:\n%s", a.screen())
	return audit.Model{}
}

func TestTheAuditLogPagesAsYouScroll(t *testing.T) {
	t.Parallel()
	a := startApp(t, auditFake(230)(), 80, 24)
	a.login()
	a.step("a")
	if got := len(a.auditPage().Items()); got != audit.PageSize {
		t.Fatalf("the first load holds %d entries, want a page of %d", got, audit.PageSize)
	}
	a.wantScreen("Audit log", "100 entries loaded, more older", "1 of 100+", "org.create")
	for range 90 {
		a.d.Press("j")
	}
	if got := len(a.auditPage().Items()); got != 200 {
		t.Fatalf("after scrolling down %d entries are loaded, want 200", got)
	}
	a.step("G")
	l := a.auditPage()
	if got := len(l.Items()); got != 230 || l.More() {
		t.Fatalf("after G %d entries are loaded, more: %v; want all 230", got, l.More())
	}
	ids := make([]string, len(l.Items()))
	for i, e := range l.Items() {
		ids[i] = e.ID
	}
	if !slices.IsSortedFunc(ids, func(x, y string) int { return strings.Compare(y, x) }) || len(slices.Compact(slices.Clone(ids))) != 230 {
		t.Fatal("the entries are not each once, newest first")
	}
	a.wantScreen("230 of 230")
	var cursors []string
	for _, c := range a.fake.CallsOf(rpc.MethodAuditList) {
		cursors = append(cursors, c.Params.(rpc.AuditListParams).Cursor)
	}
	if len(cursors) != 3 || cursors[0] != "" || cursors[1] == "" || cursors[2] == "" {
		t.Fatalf("audit.list was called with the cursors %q; want the first page, then two more", cursors)
	}
}

func TestTheAuditLogSearchesOnWhenPagesComeBackShort(t *testing.T) {
	t.Parallel()
	f := auditFake(900)()
	f.AuditScan = 20 // as orgd, which reads a bounded number of entries per call
	a := startApp(t, f, 80, 24)
	a.login()
	a.step("a", "/", "tab", "tab")
	a.d.Type("org.suspend")
	a.step("enter")
	l := a.auditPage()
	if got := len(f.CallsOf(rpc.MethodAuditList)); got != 1+audit.MaxSearchCalls {
		t.Fatalf("audit.list was called %d times; want the unfiltered load, then %d calls searching", got, audit.MaxSearchCalls)
	}
	want := 0
	for i := 900 - audit.MaxSearchCalls*20; i < 900; i++ {
		if i%9 == 7 {
			want++
		}
	}
	if len(l.Items()) != want || !l.More() {
		t.Fatalf("%d entries found, more: %v; want the %d among the %d entries read", len(l.Items()), l.More(), want, audit.MaxSearchCalls*20)
	}
	a.wantScreen("more to search (↓ at the end)", "org.suspend")
	a.step("G")
	for i := 0; a.auditPage().More() && i < 20; i++ {
		a.step("G")
	}
	if got := len(a.auditPage().Items()); got != 100 {
		t.Fatalf("after G, %d entries are found, want every one of the 100 suspensions", got)
	}
}

func TestTheAuditLogsFilterForm(t *testing.T) {
	t.Parallel()
	t.Run("a time that is not one is refused on its field, and nothing is asked", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, auditFake(30)(), 80, 24)
		a.login()
		a.step("a", "/", "tab", "tab", "tab")
		a.d.Type("last tuesday")
		calls := len(a.fake.CallsOf(rpc.MethodAuditList))
		a.step("enter")
		a.wantScreen("Filter the audit log", "not a time")
		if got := len(a.fake.CallsOf(rpc.MethodAuditList)); got != calls {
			t.Errorf("audit.list was called %d more times", got-calls)
		}
	})
	t.Run("until before since is refused", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, auditFake(30)(), 80, 24)
		a.login()
		a.step("a", "/", "tab", "tab", "tab")
		a.d.Type("2026-03-14")
		a.d.Press("tab")
		a.d.Type("2026-03-13")
		a.step("enter")
		a.wantScreen("until must be after since")
	})
	t.Run("each field becomes its param, times in RFC 3339", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, auditFake(30)(), 80, 24)
		a.login()
		a.step("a", "/")
		a.d.Type("Gamma")
		a.d.Press("tab")
		a.d.Type(opsEmail)
		a.d.Press("tab")
		a.d.Type("org.")
		a.d.Press("tab")
		a.d.Type("2026-03-13 09:30")
		a.d.Press("tab")
		a.d.Type("10m")
		a.step("enter")
		calls := a.fake.CallsOf(rpc.MethodAuditList)
		got := calls[len(calls)-1].Params.(rpc.AuditListParams)
		want := rpc.AuditListParams{Org: "Gamma", Actor: opsEmail, Action: "org.", Since: "2026-03-13T09:30:00Z",
			Until: epoch.Add(-10 * time.Minute).UTC().Format(time.RFC3339), Limit: audit.PageSize}
		if got != want {
			t.Fatalf("audit.list got %+v,\nwant %+v", got, want)
		}
		a.wantScreen("organization Gamma · actor ops@example.com · action org.", "4 entries", "org.delete", "org.create")
		t.Run("esc clears the filter, and then goes back", func(t *testing.T) {
			a.step("esc")
			if !a.auditPage().Filter().IsZero() {
				t.Fatal("esc left the filter")
			}
			a.wantScreen("newest first")
			a.step("esc")
			a.wantScreen("Organizations")
		})
	})
}

func TestAnAuditEntryShowsInFullAndMoves(t *testing.T) {
	t.Parallel()
	a := startApp(t, auditFake(30)(), 80, 24)
	a.login()
	a.step("a", "enter")
	newest := auditTrail(30)[29]
	a.wantScreen("Audit entry", newest.Action, newest.Actor+" ("+newest.Role+")", newest.Target, "uid:1000", newest.At.Format(time.RFC3339))
	a.step("j")
	a.wantScreen(auditTrail(30)[28].Action)
	if e, _ := a.auditPage().Selected(); e.Action != auditTrail(30)[28].Action {
		t.Fatalf("the log's cursor is on %s, not on the entry shown", e.Action)
	}
	a.step("esc")
	a.wantScreen("2 of 30")
}

func TestTheAuditLogIsOfferedToOperatorsAndAdmins(t *testing.T) {
	t.Parallel()
	t.Run("an admin reads their organization's entries and filters without an organization field", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, auditAdminFake(), 80, 24)
		a.login()
		a.step("a")
		a.wantScreen("Entries of Acme Corp")
		for _, e := range a.auditPage().Items() {
			if e.OrgID != "id_acme_corp" {
				t.Fatalf("an admin of Acme Corp sees %+v", e)
			}
		}
		a.step("/")
		if strings.Contains(a.screen(), "Organization") {
			t.Errorf("the form asks an admin for an organization:\n%s", a.screen())
		}
	})
	t.Run("a viewer is not offered it", func(t *testing.T) {
		t.Parallel()
		f := auditFake(30)()
		f.Role, f.MemberOf = rpc.RoleViewer, "Acme Corp"
		a := startApp(t, f, 80, 24)
		a.login()
		a.step("a")
		a.wantScreen("Organizations")
		if len(f.CallsOf(rpc.MethodAuditList)) != 0 {
			t.Error("a viewer's a asked for the audit log")
		}
		a.step("?")
		if strings.Contains(a.screen(), "audit log") {
			t.Errorf("the help offers a viewer the audit log:\n%s", a.screen())
		}
	})
	t.Run("the help offers it to an operator", func(t *testing.T) {
		t.Parallel()
		a := startApp(t, auditFake(3)(), 80, 24)
		a.login()
		a.step("?")
		a.wantScreen("a   audit log")
	})
}

func TestTheAuditLogShowsTheFakesOwnChanges(t *testing.T) {
	t.Parallel()
	a := startApp(t, operatorFake(remotetest.NewOrg("Acme Corp", "admin@acme.example")), 80, 24)
	a.login()
	a.step("j", "s")
	a.d.Type("late")
	a.d.Press("enter")
	a.d.Type("Acme Corp")
	a.step("enter")
	a.step("a")
	a.wantScreen("org.suspend", "Acme Corp", fmt.Sprintf("%d entry", 1))
}
