package accountform

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func acme() *remotetest.Fake {
	return &remotetest.Fake{
		Orgs:     []rpc.Organization{remotetest.NewOrg("Acme", "admin@acme.test")},
		Accounts: map[string]string{"ops@example.com": "operator-password"},
	}
}

// fill types values into the fields in order, moving on with tab, and
// presses enter.
func fill(h *pagetest.Harness, values ...string) {
	for _, v := range values {
		h.D.Type(v)
		h.D.Press("tab")
	}
	h.D.Press("enter")
}

func TestAddingAMemberWithARole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		choose []string // keys on the role field
		role   string
	}{
		{"a viewer unless chosen otherwise", nil, rpc.RoleViewer},
		{"an admin when chosen with the right arrow", []string{"right"}, rpc.RoleAdmin},
		{"an admin when chosen with space", []string{"space"}, rpc.RoleAdmin},
		{"a viewer again after two moves", []string{"right", "left"}, rpc.RoleViewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme()
			c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
			o, _ := f.Org("Acme")
			h := pagetest.Start(t, f, c, NewMember(c, o))
			h.D.Type("new@acme.test")
			h.D.Press("tab")
			if !h.Page.(Model).Form().OnChoice() || !h.Offers("←/→") {
				t.Error("the role field does not offer ←/→")
			}
			h.D.Press(tt.choose...)
			h.D.Press("tab")
			fill(h, "member-password", "member-password")
			calls := f.CallsOf(rpc.MethodMemberAdd)
			if len(calls) != 1 {
				t.Fatalf("member.add was called %d times: %s", len(calls), h.Page.(Model).Err())
			}
			if p := calls[0].Params.(rpc.MemberAddParams); p.Role != tt.role || p.Email != "new@acme.test" || p.Org != "Acme" {
				t.Errorf("member.add got %+v", p)
			}
			if !f.LogsIn("new@acme.test", "member-password") {
				t.Error("the new member cannot log in")
			}
			if len(h.Back) != 1 || h.Back[0].Flash != "added new@acme.test to Acme as "+tt.role {
				t.Errorf("the form closed with %+v", h.Back)
			}
			if len(h.Accounts) != 1 || h.Accounts[0].Org != o.ID || h.Accounts[0].Email != "new@acme.test" {
				t.Errorf("the lists were told %+v", h.Accounts)
			}
		})
	}
}

func TestRefusalsLandOnTheirField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		field  string
		want   string
	}{
		{"a taken email", []string{"admin@acme.test", "a-password", "a-password"}, FieldEmail, "taken"},
		{"not an email", []string{"nobody", "a-password", "a-password"}, FieldEmail, "not an email"},
		{"a short password", []string{"new@example.com", "short", "short"}, FieldPassword, "8 to 72 bytes"},
		{"passwords that differ", []string{"new@example.com", "a-password", "b-password"}, FieldConfirm, "the passwords differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme()
			c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
			h := pagetest.Start(t, f, c, NewOperator(c))
			fill(h, tt.values...)
			if got := h.Page.(Model).Form().Error(tt.field); !strings.Contains(got, tt.want) {
				t.Errorf("the %s field shows %q, want %q", tt.field, got, tt.want)
			}
			if len(h.Back) != 0 {
				t.Error("the form closed on a refusal")
			}
		})
	}
}

func TestAddingAnOperator(t *testing.T) {
	t.Parallel()
	f := acme()
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	h := pagetest.Start(t, f, c, NewOperator(c))
	fill(h, "second@example.com", "operator-password", "operator-password")
	if a, ok := f.Account("second@example.com"); !ok || a.Role != rpc.RoleOperator {
		t.Fatalf("the operator was not added: %+v", a)
	}
	if len(h.Back) != 1 || h.Back[0].Flash != "added operator second@example.com" {
		t.Errorf("the form closed with %+v", h.Back)
	}
	if len(h.Accounts) != 1 || h.Accounts[0].Org != "" {
		t.Errorf("the operators' list was told %+v", h.Accounts)
	}
	if strings.Contains(h.Screen(), "operator-password") {
		t.Errorf("the password shows:\n%s", h.Screen())
	}
}

func TestSettingAMembersPassword(t *testing.T) {
	t.Parallel()
	f := acme()
	v := f.PutMember("Acme", "v@acme.test", "old-password", rpc.RoleViewer)
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	o, _ := f.Org("Acme")
	h := pagetest.Start(t, f, c, NewPassword(c, o, v))
	fill(h, "new-password", "new-password")
	calls := f.CallsOf(rpc.MethodMemberUpdate)
	if len(calls) != 1 {
		t.Fatalf("member.update was called %d times", len(calls))
	}
	if p := calls[0].Params.(rpc.MemberUpdateParams); p.Email != "v@acme.test" || p.Role != nil {
		t.Errorf("member.update got %+v", p)
	}
	if !f.LogsIn("v@acme.test", "new-password") || f.LogsIn("v@acme.test", "old-password") {
		t.Error("the member does not log in with the new password only")
	}
	if len(h.Back) != 1 || !strings.Contains(h.Back[0].Flash, "set a new password for v@acme.test") {
		t.Errorf("the form closed with %+v", h.Back)
	}
}

func TestSettingAnotherOperatorsPassword(t *testing.T) {
	t.Parallel()
	f := acme()
	other := f.PutOperator("night@example.com", "old-password")
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	h := pagetest.Start(t, f, c, NewOperatorPassword(c, other))
	fill(h, "new-password", "new-password")
	calls := f.CallsOf(rpc.MethodOperatorUpdate)
	if len(calls) != 1 {
		t.Fatalf("operator.update was called %d times", len(calls))
	}
	if p := calls[0].Params.(rpc.OperatorUpdateParams); p.Email != "night@example.com" || p.Password != "" || p.Token != "" {
		t.Errorf("operator.update was recorded as %+v", p)
	}
	if !f.LogsIn("night@example.com", "new-password") || f.LogsIn("night@example.com", "old-password") {
		t.Error("the operator does not log in with the new password only")
	}
	if len(h.Back) != 1 || !strings.Contains(h.Back[0].Flash, "set a new password for night@example.com") {
		t.Errorf("the form closed with %+v", h.Back)
	}
}
