package keys

import (
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

const (
	opsEmail    = "ops@example.com"
	viewerEmail = "v@acme.test"
)

// world is an orgd with Acme, whose viewer is viewerEmail, and an
// operator, opsEmail. The token is the operator's, or the viewer's when
// role is viewer.
func world(role string) *remotetest.Fake {
	f := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "admin@acme.test")}}
	if role == rpc.RoleViewer {
		f.Role, f.MemberOf = rpc.RoleViewer, "Acme"
		f.Accounts = map[string]string{viewerEmail: "viewer-password"}
		f.PutOperator(opsEmail, "operator-password")
	} else {
		f.Accounts = map[string]string{opsEmail: "operator-password"}
		f.PutMember("Acme", viewerEmail, "viewer-password", rpc.RoleViewer)
	}
	return f
}

func common(f *remotetest.Fake, role string) pages.Common {
	email := opsEmail
	if role == rpc.RoleViewer {
		email = viewerEmail
	}
	return pagetest.Common(f, role, email, nil)
}

func TestTheListShowsWhoseKeysWithWhatMatters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, role, whose, title string
		wantEmail                string // the email auth.keys.list is called with
		wants                    []string
	}{
		{"my own keys, oldest first", rpc.RoleOperator, "", "My SSH keys", "",
			[]string{"2 keys", "laptop", "SHA256:mXhe4VT8IZgX1fUCWPH5SZ", "2026-03-14 09:45", "never", "ssh-ed25519  SHA256:mXhe4VT8IZgX1fUCWPH5SZ3xupG1AvwouipH1zOKCA0"}},
		{"my own email names my own keys", rpc.RoleOperator, "OPS@example.com", "My SSH keys", "", []string{"2 keys", "laptop"}},
		{"a viewer's own keys", rpc.RoleViewer, "", "My SSH keys", "", []string{"1 key", "viewer-laptop"}},
		{"an operator sees another account's keys", rpc.RoleOperator, viewerEmail, "SSH keys of v@acme.test", viewerEmail,
			[]string{"These keys log v@acme.test in", "1 key", "viewer-laptop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(tt.role)
			laptop := f.PutKey(opsEmail, remotetest.KeyLine(1, "ops@laptop"), "laptop")
			f.PutKey(opsEmail, remotetest.KeyLine(2, "ops@desk"), "")
			f.PutKey(viewerEmail, remotetest.KeyLine(3, "viewer-laptop"), "")
			f.KeyUsed(laptop.Fingerprint, time.Date(2026, 3, 14, 9, 45, 0, 0, time.UTC))
			c := common(f, tt.role)
			h := pagetest.Start(t, f, c, New(c, tt.whose))
			if got := h.Page.Title(); got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			screen := h.Screen()
			for _, w := range tt.wants {
				if !strings.Contains(screen, w) {
					t.Errorf("the page does not show %q:\n%s", w, screen)
				}
			}
			calls := f.CallsOf(rpc.MethodAuthKeysList)
			if len(calls) != 1 || calls[0].Params.(rpc.KeyListParams).Email != tt.wantEmail {
				t.Errorf("auth.keys.list was called %+v, want once for %q", calls, tt.wantEmail)
			}
		})
	}
}

func TestTheListOpensTheFormAndTheDialog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		keys   []int // how many keys the account has
		press  []string
		opened string // the title of what opened; empty: nothing
		remove bool   // the help offers d
	}{
		{"n opens the form that adds a key", []int{1}, []string{"n"}, "Add an SSH key", true},
		{"n opens it with no key yet", nil, []string{"n"}, "Add an SSH key", false},
		{"d asks before removing the key under the cursor", []int{1, 2}, []string{"j", "d"}, "Remove the SSH key second", true},
		{"d with no key opens nothing", nil, []string{"d"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(rpc.RoleOperator)
			names := []string{"", "first", "second"}
			for _, k := range tt.keys {
				f.PutKey(opsEmail, remotetest.KeyLine(byte(k), ""), names[k])
			}
			c := common(f, rpc.RoleOperator)
			h := pagetest.Start(t, f, c, New(c, ""))
			if h.Offers("d") != tt.remove {
				t.Errorf("the help offers d: %v, want %v", h.Offers("d"), tt.remove)
			}
			h.D.Press(tt.press...)
			switch {
			case tt.opened == "" && len(h.Opened) != 0:
				t.Errorf("%v opened %s", tt.press, h.Opened[0].Title())
			case tt.opened != "" && (len(h.Opened) != 1 || h.Opened[0].Title() != tt.opened):
				t.Errorf("%v opened %d pages, want %q", tt.press, len(h.Opened), tt.opened)
			}
		})
	}
}

func TestAnOrgdWithoutKeysSaysSo(t *testing.T) {
	t.Parallel()
	f := world(rpc.RoleOperator)
	f.FailNext(rpc.MethodAuthKeysList, &rpc.Error{Code: rpc.CodeMethodNotFound, Message: "method not found"})
	c := common(f, rpc.RoleOperator)
	h := pagetest.Start(t, f, c, New(c, ""))
	if !strings.Contains(h.Screen(), "this orgd does not offer that yet") || !strings.Contains(h.Screen(), "Press r to try again") {
		t.Fatalf("the page does not say why nothing shows:\n%s", h.Screen())
	}
	h.D.Press("r")
	if !strings.Contains(h.Screen(), "You have no SSH keys yet") {
		t.Errorf("r does not load again:\n%s", h.Screen())
	}
}

func TestAChangeReloadsTheListOfThoseKeysOnly(t *testing.T) {
	t.Parallel()
	f := world(rpc.RoleOperator)
	f.PutKey(opsEmail, remotetest.KeyLine(1, "one"), "")
	c := common(f, rpc.RoleOperator)
	h := pagetest.Start(t, f, c, New(c, ""))
	second := f.PutKey(opsEmail, remotetest.KeyLine(2, "two"), "")
	h.D.Send(changedMsg{whose: viewerEmail})
	if strings.Contains(h.Screen(), "two") {
		t.Fatalf("a change to another account's keys reloaded mine:\n%s", h.Screen())
	}
	h.D.Send(changedMsg{whose: "", focus: second.Fingerprint})
	if !strings.Contains(h.Screen(), "2 of 2") {
		t.Errorf("the list did not load again with the cursor on the new key:\n%s", h.Screen())
	}
}
