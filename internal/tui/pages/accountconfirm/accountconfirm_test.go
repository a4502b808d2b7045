package accountconfirm

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func acme() *remotetest.Fake {
	f := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "admin@acme.test")}}
	f.PutMember("Acme", "v@acme.test", "member-password", rpc.RoleViewer)
	return f
}

func member(t *testing.T, f *remotetest.Fake, email string) (rpc.Organization, rpc.Account) {
	t.Helper()
	o, _ := f.Org("Acme")
	a, ok := f.Account(email)
	if !ok {
		t.Fatalf("no account %s", email)
	}
	return o, a
}

func TestEnterDoesItAndEscapeCancels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		page   func(c pages.Common, f *remotetest.Fake) pages.Page
		keys   []string
		method string
		done   bool
		flash  string
	}{
		{"enter removes a member", func(c pages.Common, f *remotetest.Fake) pages.Page {
			o, a := member(t, f, "v@acme.test")
			return NewRemoveMember(c, o, a)
		}, []string{"enter"}, rpc.MethodMemberRemove, true, "removed v@acme.test from Acme"},
		{"escape keeps the member", func(c pages.Common, f *remotetest.Fake) pages.Page {
			o, a := member(t, f, "v@acme.test")
			return NewRemoveMember(c, o, a)
		}, []string{"esc"}, rpc.MethodMemberRemove, false, ""},
		{"enter on Cancel keeps the member", func(c pages.Common, f *remotetest.Fake) pages.Page {
			o, a := member(t, f, "v@acme.test")
			return NewRemoveMember(c, o, a)
		}, []string{"tab", "enter"}, rpc.MethodMemberRemove, false, ""},
		{"enter makes a viewer an admin", func(c pages.Common, f *remotetest.Fake) pages.Page {
			o, a := member(t, f, "v@acme.test")
			return NewChangeRole(c, o, a)
		}, []string{"enter"}, rpc.MethodMemberUpdate, true, "v@acme.test is now an admin of Acme"},
		{"enter removes an operator", func(c pages.Common, f *remotetest.Fake) pages.Page {
			return NewRemoveOperator(c, f.PutOperator("second@example.com", "operator-password"))
		}, []string{"enter"}, rpc.MethodOperatorDelete, true, "removed operator second@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme()
			f.Accounts = map[string]string{"ops@example.com": "operator-password"}
			c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
			h := pagetest.Start(t, f, c, tt.page(c, f))
			h.D.Press(tt.keys...)
			calls := len(f.CallsOf(tt.method))
			if (calls == 1) != tt.done {
				t.Fatalf("%s was called %d times, want done = %v", tt.method, calls, tt.done)
			}
			if len(h.Back) != 1 {
				t.Fatalf("the dialog sent %d backs, want to close", len(h.Back))
			}
			if h.Back[0].Flash != tt.flash {
				t.Errorf("the dialog closed with %q, want %q", h.Back[0].Flash, tt.flash)
			}
			if tt.done && len(h.Accounts) != 1 {
				t.Errorf("the lists were told %+v, want one change", h.Accounts)
			}
		})
	}
}

func TestTheLastOfAKindIsRefusedInPlainWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		page func(c pages.Common, f *remotetest.Fake) pages.Page
		want string
	}{
		{"removing the only admin", func(c pages.Common, f *remotetest.Fake) pages.Page {
			o, a := member(t, f, "admin@acme.test")
			return NewRemoveMember(c, o, a)
		}, "admin@acme.test is the only admin of Acme: make another member admin first."},
		{"making the only admin a viewer", func(c pages.Common, f *remotetest.Fake) pages.Page {
			o, a := member(t, f, "admin@acme.test")
			return NewChangeRole(c, o, a)
		}, "admin@acme.test is the only admin of Acme: make another member admin first."},
		{"removing the only operator", func(c pages.Common, f *remotetest.Fake) pages.Page {
			a, _ := f.Account("ops@example.com")
			return NewRemoveOperator(c, a)
		}, "ops@example.com is the only operator left, and orgd keeps one: add another first."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := acme()
			f.Accounts = map[string]string{"ops@example.com": "operator-password"}
			c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
			h := pagetest.Start(t, f, c, tt.page(c, f))
			h.D.Press("enter")
			if len(h.Back) != 0 {
				t.Fatalf("a refusal closed the dialog: %+v", h.Back)
			}
			if got := h.Page.(Model).Err(); got != tt.want {
				t.Errorf("the dialog says %q, want %q", got, tt.want)
			}
			if screen := strings.Join(strings.Fields(h.Screen()), " "); !strings.Contains(screen, "only") {
				t.Errorf("the refusal does not show:\n%s", h.Screen())
			}
		})
	}
}

func TestRemovingMyselfSaysMySessionEnds(t *testing.T) {
	t.Parallel()
	f := acme()
	f.Accounts = map[string]string{"ops@example.com": "operator-password"}
	f.PutOperator("second@example.com", "operator-password")
	me, _ := f.Account("ops@example.com")
	c := pagetest.Common(f, rpc.RoleOperator, "ops@example.com", nil)
	h := pagetest.Start(t, f, c, NewRemoveOperator(c, me))
	if !strings.Contains(h.Screen(), "This is you") {
		t.Errorf("the dialog does not warn that this is me:\n%s", h.Screen())
	}
	h.D.Press("enter")
	if len(h.Back) != 1 || !strings.HasSuffix(h.Back[0].Flash, "your session ends") {
		t.Errorf("the dialog closed with %+v", h.Back)
	}
}
