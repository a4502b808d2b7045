package suspension

import (
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func acme(state string) *remotetest.Fake {
	o := remotetest.NewOrg("Acme Corp", "admin@acme.test")
	if state == rpc.StateSuspended {
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		o.State, o.SuspendedAt, o.SuspendReason = state, &at, "unpaid invoice"
	}
	return &remotetest.Fake{Orgs: []rpc.Organization{o}}
}

func TestSuspendAsksForAReasonAndTheName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		keys     func(h *pagetest.Harness)
		suspends bool
		reason   string
	}{
		{"enter on the reason moves on", func(h *pagetest.Harness) {
			h.D.Type("unpaid invoice")
			h.D.Press("enter")
		}, false, ""},
		{"enter without the name does nothing", func(h *pagetest.Harness) {
			h.D.Type("unpaid invoice")
			h.D.Press("enter", "enter")
		}, false, ""},
		{"a wrong name does nothing", func(h *pagetest.Harness) {
			h.D.Press("tab")
			h.D.Type("acme corp")
			h.D.Press("enter")
		}, false, ""},
		{"the name and enter suspend with the reason", func(h *pagetest.Harness) {
			h.D.Type("unpaid invoice")
			h.D.Press("enter")
			h.D.Type("Acme Corp")
			h.D.Press("enter")
		}, true, "unpaid invoice"},
		{"the name and enter suspend without a reason", func(h *pagetest.Harness) {
			h.D.Press("tab")
			h.D.Type("Acme Corp")
			h.D.Press("enter")
		}, true, ""},
		{"escape cancels", func(h *pagetest.Harness) {
			h.D.Press("tab")
			h.D.Type("Acme Corp")
			h.D.Press("esc")
		}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme(rpc.StateActive)
			c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
			h := pagetest.Start(t, f, c, NewSuspend(c, f.Orgs[0]))
			tt.keys(h)
			calls := f.CallsOf(rpc.MethodOrgSuspend)
			if (len(calls) == 1) != tt.suspends {
				t.Fatalf("org.suspend was called %d times, want suspended = %v", len(calls), tt.suspends)
			}
			if !tt.suspends {
				if o, _ := f.Org("Acme Corp"); o.State != rpc.StateActive {
					t.Errorf("the organization is %s", o.State)
				}
				return
			}
			if p := calls[0].Params.(rpc.OrgSuspendParams); p.Reason != tt.reason || p.Name != "Acme Corp" {
				t.Errorf("org.suspend got %+v", p)
			}
			if len(h.Changed) != 1 || h.Changed[0].Event.Organization.State != rpc.StateSuspended {
				t.Errorf("the other pages were told %+v", h.Changed)
			}
			if len(h.Back) != 1 || !strings.HasPrefix(h.Back[0].Flash, "suspended Acme Corp") {
				t.Errorf("the dialog closed with %+v", h.Back)
			}
		})
	}
}

func TestARefusedEnterSaysWhatToType(t *testing.T) {
	t.Parallel()
	f := acme(rpc.StateActive)
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	h := pagetest.Start(t, f, c, NewSuspend(c, f.Orgs[0]))
	h.D.Press("tab", "enter")
	if hint := h.Page.(Model).Confirm().Hint(); !strings.Contains(hint, `type "Acme Corp" exactly`) {
		t.Errorf("the hint is %q", hint)
	}
	if !strings.Contains(h.Screen(), "Nothing was done") {
		t.Errorf("the hint does not show:\n%s", h.Screen())
	}
}

func TestResumeAsksForTheName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typed   string
		keys    []string
		resumes bool
		closes  bool
	}{
		{"the name typed and enter resume", "Acme Corp", []string{"enter"}, true, true},
		{"enter with nothing typed does nothing and stays", "", []string{"enter"}, false, false},
		{"enter with another name does nothing and stays", "Acme", []string{"enter"}, false, false},
		{"escape cancels", "Acme Corp", []string{"esc"}, false, true},
		{"enter on Cancel cancels", "Acme Corp", []string{"tab", "tab", "enter"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme(rpc.StateSuspended)
			c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
			h := pagetest.Start(t, f, c, NewResume(c, f.Orgs[0]))
			if screen := h.Screen(); !strings.Contains(screen, "since 2026-03-01 12:00 UTC: unpaid") || !strings.Contains(screen, "invoice.") {
				t.Errorf("the dialog does not say since when and why:\n%s", screen)
			}
			h.D.Type(tt.typed)
			h.D.Press(tt.keys...)
			o, _ := f.Org("Acme Corp")
			if (o.State == rpc.StateActive) != tt.resumes {
				t.Errorf("the organization is %s", o.State)
			}
			if closed := len(h.Back) == 1; closed != tt.closes {
				t.Errorf("the dialog sent %d backs; want it closed: %v", len(h.Back), tt.closes)
			}
			if !tt.closes && !strings.Contains(h.Screen(), "Nothing was done") {
				t.Errorf("a refused enter does not say what to type:\n%s", h.Screen())
			}
		})
	}
}

func TestARefusalStaysInTheDialog(t *testing.T) {
	t.Parallel()
	f := acme(rpc.StateActive)
	f.Role = rpc.RoleAdmin
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	h := pagetest.Start(t, f, c, NewSuspend(c, f.Orgs[0]))
	h.D.Press("tab")
	h.D.Type("Acme Corp")
	h.D.Press("enter")
	if len(h.Back) != 0 {
		t.Fatalf("a refused suspension closed the dialog: %+v", h.Back)
	}
	if got := h.Page.(Model).Err(); !strings.Contains(got, "only operators") {
		t.Errorf("the dialog says %q", got)
	}
}
