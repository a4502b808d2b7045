package keys

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func TestRemovingAKeyFollowsSPEC6(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		whose   string
		keys    []string
		removed bool
		flash   string
	}{
		{"enter removes my key", "", []string{"enter"}, true, "removed the SSH key laptop; the SSH sessions it opened end"},
		{"enter removes another account's key, for an operator", viewerEmail, []string{"enter"}, true, "removed the SSH key laptop"},
		{"escape keeps it", "", []string{"esc"}, false, ""},
		{"tab only moves to Cancel, where enter keeps it", "", []string{"tab", "enter"}, false, ""},
		{"tab twice comes back to Remove", "", []string{"tab", "tab", "enter"}, true, "removed the SSH key laptop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(rpc.RoleOperator)
			owner := opsEmail
			if tt.whose != "" {
				owner = tt.whose
			}
			k := f.PutKey(owner, remotetest.KeyLine(4, "x"), "laptop")
			c := common(f, rpc.RoleOperator)
			h := pagetest.Start(t, f, c, NewRemove(c, tt.whose, k))
			h.D.Press(tt.keys...)
			if left := len(f.Keys(owner)); (left == 0) != tt.removed {
				t.Fatalf("%s has %d keys left, want removed = %v", owner, left, tt.removed)
			}
			if len(h.Back) != 1 || !strings.HasPrefix(h.Back[0].Flash, tt.flash) {
				t.Fatalf("the dialog closed with %+v, want %q", h.Back, tt.flash)
			}
			calls := f.CallsOf(rpc.MethodAuthKeysRemove)
			if tt.removed && (len(calls) != 1 || calls[0].Params.(rpc.KeyRemoveParams).Email != tt.whose) {
				t.Errorf("auth.keys.remove was called %+v", calls)
			}
		})
	}
}

func TestRemovingAKeyThatIsGoneOrRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fail  error
		back  string
		shows string
	}{
		{"a key removed meanwhile closes the dialog and says so", &rpc.Error{Code: rpc.CodeNotFound, Message: "no such key"},
			"the SSH key laptop was already removed", ""},
		{"a refusal stays in the dialog", &rpc.Error{Code: rpc.CodeForbidden, Message: "only operators manage other accounts' keys"},
			"", "only operators manage other accounts' keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(rpc.RoleOperator)
			k := f.PutKey(opsEmail, remotetest.KeyLine(4, "x"), "laptop")
			c := common(f, rpc.RoleOperator)
			h := pagetest.Start(t, f, c, NewRemove(c, "", k))
			f.FailNext(rpc.MethodAuthKeysRemove, tt.fail)
			h.D.Press("enter")
			switch {
			case tt.back != "" && (len(h.Back) != 1 || h.Back[0].Flash != tt.back):
				t.Errorf("the dialog closed with %+v, want %q", h.Back, tt.back)
			case tt.back == "" && len(h.Back) != 0:
				t.Errorf("the dialog closed: %+v", h.Back)
			case tt.shows != "" && !strings.Contains(h.Screen(), tt.shows):
				t.Errorf("the dialog does not show %q:\n%s", tt.shows, h.Screen())
			}
		})
	}
}
