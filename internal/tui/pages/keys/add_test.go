package keys

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/pages/pagetest"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

const privateKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBMtav2rXn79auF8zCadhc0mUe1LiFtYafJBrt8KW6KQAAAAJhq3Ulfat1J
-----END OPENSSH PRIVATE KEY-----
`

func TestAddingAKey(t *testing.T) {
	t.Parallel()
	line := remotetest.KeyLine(7, "ada@laptop")
	tests := []struct {
		name  string
		role  string
		whose string
		input func(h *pagetest.Harness)
		// added is the name orgd gives the key; empty: nothing is added.
		added string
		// field and says are where the refusal shows (empty field: under
		// the form).
		field, says string
	}{
		{"a pasted line and enter add the key named by its comment", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: line + "\n"})
			h.D.Press("enter")
		}, "ada@laptop", "", ""},
		{"a line pasted as many keys, then a name, add the key with that name", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Type(line)
			h.D.Press("tab")
			h.D.Type("work laptop")
			h.D.Press("enter")
		}, "work laptop", "", ""},
		{"a viewer adds a key of their own", rpc.RoleViewer, "", func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: line})
			h.D.Press("enter")
		}, "ada@laptop", "", ""},
		{"an operator adds a key for another account", rpc.RoleOperator, viewerEmail, func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: line})
			h.D.Press("enter")
		}, "ada@laptop", "", ""},
		{"a line that is not a key is refused before it is sent", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: "ssh-ed25519 AAAAC3Nza"})
			h.D.Press("enter")
		}, "", FieldPublicKey, "this is not a public key line"},
		{"a DSA key is refused before it is sent", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: remotetest.DSAKeyLine("old")})
			h.D.Press("enter")
		}, "", FieldPublicKey, "DSA keys (ssh-dss) are weak"},
		{"a short RSA key is refused before it is sent", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: remotetest.RSAKeyLine(1024, "old")})
			h.D.Press("enter")
		}, "", FieldPublicKey, "has 1024 bits; at least 2048"},
		{"enter with nothing pasted moves on and back, and sends nothing", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Press("enter", "enter")
			if got := h.Page.(AddModel).Form().Focused(); got != FieldPublicKey {
				h.T.Errorf("the focus is on %s, want back on the key", got)
			}
		}, "", FieldPublicKey, ""},
		{"orgd's refusal of a key taken shows on the key", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.Fake.PutKey(viewerEmail, line, "")
			h.D.Send(tea.PasteMsg{Content: line})
			h.D.Press("enter")
		}, "", FieldPublicKey, "this key is registered already"},
		{"orgd's refusal of a name shows on the name", rpc.RoleOperator, "", func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: line})
			h.D.Press("tab")
			h.D.Send(tea.PasteMsg{Content: strings.Repeat("n", 64)})
			h.Fake.FailNext(rpc.MethodAuthKeysAdd, &rpc.Error{Code: rpc.CodeInvalidParams, Message: "the name holds a control character",
				Data: &rpc.ErrorData{Field: "name", Reason: "invalid"}})
			h.D.Press("enter")
		}, "", FieldName, "the name holds a control character"},
		{"orgd's refusal without a field shows under the form", rpc.RoleViewer, opsEmail, func(h *pagetest.Harness) {
			h.D.Send(tea.PasteMsg{Content: line})
			h.D.Press("enter")
		}, "", "", "only operators manage other accounts' keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(tt.role)
			c := common(f, tt.role)
			h := pagetest.Start(t, f, c, NewAdd(c, tt.whose))
			tt.input(h)
			owner := c.Email
			if tt.whose != "" {
				owner = tt.whose
			}
			keys := f.Keys(owner)
			if tt.added == "" {
				if len(keys) != 0 || len(h.Back) != 0 {
					t.Fatalf("a key was added (%+v) or the form closed (%+v)", keys, h.Back)
				}
				local := !strings.HasPrefix(tt.name, "orgd's")
				if n := len(f.CallsOf(rpc.MethodAuthKeysAdd)); (n == 0) != local {
					t.Errorf("auth.keys.add was called %d times; refused before sending: %v", n, local)
				}
				m := h.Page.(AddModel)
				got := m.Err()
				if tt.field != "" {
					got = m.Form().Error(tt.field)
				}
				if !strings.Contains(got, tt.says) {
					t.Errorf("the form says %q there, want %q:\n%s", got, tt.says, h.Screen())
				}
				return
			}
			if len(keys) != 1 || keys[0].Name != tt.added || keys[0].Type != "ssh-ed25519" {
				t.Fatalf("%s has the keys %+v, want one named %q", owner, keys, tt.added)
			}
			calls := f.CallsOf(rpc.MethodAuthKeysAdd)
			if p := calls[0].Params.(rpc.KeyAddParams); p.Email != tt.whose || p.PublicKey != line {
				t.Errorf("auth.keys.add was called with %+v", p)
			}
			if len(h.Back) != 1 || !strings.Contains(h.Back[0].Flash, "added the SSH key "+tt.added) {
				t.Errorf("the form closed with %+v", h.Back)
			}
		})
	}
}

func TestAPastedPrivateKeyIsDroppedAtOnce(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"pasted", "typed"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			f := world(rpc.RoleOperator)
			c := common(f, rpc.RoleOperator)
			h := pagetest.Start(t, f, c, NewAdd(c, ""))
			if how == "pasted" {
				h.D.Send(tea.PasteMsg{Content: privateKey})
			} else {
				// Without bracketed paste each line ends in an enter.
				for _, l := range strings.Split(privateKey, "\n") {
					h.D.Type(l)
					h.D.Press("enter")
				}
			}
			m := h.Page.(AddModel)
			if v := m.Form().Value(FieldPublicKey); strings.Contains(v, "b3Blbn") || strings.Contains(v, "PRIVATE") {
				t.Errorf("the field keeps the private key: %q", v)
			}
			if strings.Contains(h.Screen(), "b3Blbn") {
				t.Errorf("the screen shows the private key:\n%s", h.Screen())
			}
			if !strings.Contains(m.Form().Error(FieldPublicKey), "this is a private key") {
				t.Errorf("the form does not say what happened:\n%s", h.Screen())
			}
			if n := len(f.CallsOf(rpc.MethodAuthKeysAdd)); n != 0 {
				t.Errorf("auth.keys.add was called %d times", n)
			}
		})
	}
}

func TestTheAddFormFollowsSPEC6(t *testing.T) {
	t.Parallel()
	line := remotetest.KeyLine(8, "me")
	tests := []struct {
		name  string
		keys  []string
		back  bool
		focus string
	}{
		{"escape cancels", []string{"esc"}, true, FieldPublicKey},
		{"tab only moves to the name", []string{"tab"}, false, FieldName},
		{"tab twice comes back to the key", []string{"tab", "tab"}, false, FieldPublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(rpc.RoleOperator)
			c := common(f, rpc.RoleOperator)
			h := pagetest.Start(t, f, c, NewAdd(c, ""))
			h.D.Send(tea.PasteMsg{Content: line})
			h.D.Press(tt.keys...)
			if (len(h.Back) == 1) != tt.back {
				t.Errorf("the form closed: %v, want %v", len(h.Back) == 1, tt.back)
			}
			if got := h.Page.(AddModel).Form().Focused(); got != tt.focus {
				t.Errorf("the focus is on %s, want %s", got, tt.focus)
			}
			if n := len(f.CallsOf(rpc.MethodAuthKeysAdd)); n != 0 {
				t.Errorf("auth.keys.add was called %d times", n)
			}
		})
	}
}

func TestTheFormSaysWhatAPastedLineReadsAs(t *testing.T) {
	t.Parallel()
	f := world(rpc.RoleOperator)
	c := common(f, rpc.RoleOperator)
	h := pagetest.Start(t, f, c, NewAdd(c, ""))
	h.D.Send(tea.PasteMsg{Content: "  " + remotetest.KeyLine(1, "ada@laptop") + "\n"})
	if !strings.Contains(h.Screen(), "✓ ssh-ed25519  SHA256:mXhe4VT8IZgX1fUCWPH5SZ3xupG1AvwouipH1zOKCA0") {
		t.Errorf("the form does not show the key's fingerprint:\n%s", h.Screen())
	}
}
