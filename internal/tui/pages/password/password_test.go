package password

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func start(t *testing.T) *pagetest.Harness {
	t.Helper()
	f := &remotetest.Fake{Accounts: map[string]string{"ops@example.com": "old-password"}}
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	return pagetest.Start(t, f, c, New(c))
}

func fill(h *pagetest.Harness, values ...string) {
	for _, v := range values {
		h.D.Type(v)
		h.D.Press("tab")
	}
	h.D.Press("enter")
}

func TestAChangedPasswordLogsInAgainWithTheNewOne(t *testing.T) {
	t.Parallel()
	h := start(t)
	fill(h, "old-password", "new-password", "new-password")
	if !h.Fake.LogsIn("ops@example.com", "new-password") {
		t.Fatal("the password was not changed")
	}
	if n := len(h.Fake.CallsOf(rpc.MethodAuthLogin)); n != 1 {
		t.Errorf("auth.login was called %d times, want once, with the new password", n)
	}
	if len(h.Renewed) != 1 || h.Renewed[0].Session.Token == "" {
		t.Fatalf("the application was handed %+v, want the new session", h.Renewed)
	}
	if len(h.Back) != 1 || h.Back[0].Flash != "password changed; logged in again with the new one" {
		t.Errorf("the form closed with %+v", h.Back)
	}
	if len(h.Errs) != 0 {
		t.Errorf("the application saw errors %v", h.Errs)
	}
	if strings.Contains(h.Screen(), "new-password") || h.Page.(Model).Form().Value(FieldNew) != "" {
		t.Error("the form keeps the password")
	}
}

func TestAWrongCurrentPasswordStaysOnTheForm(t *testing.T) {
	t.Parallel()
	h := start(t)
	fill(h, "not-the-password", "new-password", "new-password")
	if got := h.Page.(Model).Form().Error(FieldCurrent); got != "this is not your current password" {
		t.Errorf("the current field shows %q", got)
	}
	// orgd says -32001, as for a dead session: the application must not
	// end this one.
	for _, err := range h.Errs {
		if remote.IsUnauthenticated(err) {
			t.Errorf("the application saw %v, and would end the session", err)
		}
	}
	if len(h.Back)+len(h.Renewed)+len(h.Ended) != 0 {
		t.Errorf("the form closed: %+v %+v %+v", h.Back, h.Renewed, h.Ended)
	}
	if !h.Fake.LogsIn("ops@example.com", "old-password") {
		t.Error("the password changed")
	}
}

func TestADeadSessionGoesToTheApplication(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.Fake.FailNext(rpc.MethodAuthPassword, &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "the token was revoked"})
	h.Fake.FailNext(rpc.MethodAuthWhoami, &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "the token was revoked"})
	fill(h, "old-password", "new-password", "new-password")
	if len(h.Errs) != 1 || !remote.IsUnauthenticated(h.Errs[0]) {
		t.Errorf("the application saw %v, want the -32001 that ends the session", h.Errs)
	}
}

func TestLocalChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		field  string
		want   string
	}{
		{"passwords that differ", []string{"old-password", "new-password", "other-password"}, FieldConfirm, "the passwords differ"},
		{"the same password", []string{"old-password", "old-password", "old-password"}, FieldNew, "the new password is the current one"},
		{"a short one, refused by orgd", []string{"old-password", "short", "short"}, FieldNew, "8 to 72 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t)
			fill(h, tt.values...)
			if got := h.Page.(Model).Form().Error(tt.field); !strings.Contains(got, tt.want) {
				t.Errorf("the %s field shows %q, want %q", tt.field, got, tt.want)
			}
			if !h.Fake.LogsIn("ops@example.com", "old-password") {
				t.Error("the password changed")
			}
		})
	}
}

func TestAFailedLoginAfterTheChangeEndsTheSessionWithANotice(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.Fake.FailNext(rpc.MethodAuthLogin, &rpc.Error{Code: rpc.CodeTooManyAttempts, Message: "too many attempts", Data: &rpc.ErrorData{RetryAfterS: 30}})
	fill(h, "old-password", "new-password", "new-password")
	if len(h.Ended) != 1 || !strings.Contains(h.Ended[0].Notice, "Your password was changed") {
		t.Errorf("the application was asked %+v, want the session ended with a notice", h.Ended)
	}
}
