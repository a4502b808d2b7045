package orgform

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

type harness struct {
	page    pages.Page
	d       *remotetest.Driver
	back    []pages.Back
	changed []pages.Changed
}

func start(t *testing.T, fake *remotetest.Fake, edit *rpc.Organization) *harness {
	t.Helper()
	o := remote.New(fake, 5*time.Second)
	o.SetToken(remotetest.Token)
	keys := keymap.Default()
	c := pages.Common{Orgd: o, Keys: &keys, Styles: styles.New(), Role: rpc.RoleOperator, Now: time.Now}
	h := &harness{}
	if edit != nil {
		h.page = NewEdit(c, *edit)
	} else {
		h.page = NewCreate(c)
	}
	h.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			msg = r.Msg
		}
		switch msg := msg.(type) {
		case pages.Back:
			h.back = append(h.back, msg)
			return nil
		case pages.Changed:
			h.changed = append(h.changed, msg)
		}
		var cmd tea.Cmd
		h.page, cmd = h.page.Update(msg)
		return cmd
	})
	h.d.Busy = o.Busy
	h.d.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	h.d.Run(h.page.Init())
	return h
}

func (h *harness) form() Model { return h.page.(Model) }

// fill types values into the fields in order, ending with enter.
func (h *harness) fill(values ...string) {
	for _, v := range values {
		h.d.Press("ctrl+u")
		h.d.Type(v)
		h.d.Press("enter")
	}
}

func TestCreateSendsTheFormAndGoesBack(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{}
	h := start(t, fake, nil)
	h.fill("Acme Corp", "admin@acme.test", "admin-password", "admin-password")
	calls := fake.CallsOf(rpc.MethodOrgCreate)
	if len(calls) != 1 {
		t.Fatalf("org.create was called %d times", len(calls))
	}
	if p := calls[0].Params.(rpc.OrgCreateParams); p.Name != "Acme Corp" || p.AdminEmail != "admin@acme.test" {
		t.Errorf("org.create got %+v", p)
	}
	if len(h.back) != 1 || h.back[0].Flash != "created Acme Corp" {
		t.Errorf("after creating, the form sent %+v", h.back)
	}
	if len(h.changed) != 1 || !h.changed[0].Focus || h.changed[0].Event.Type != rpc.EventCreated {
		t.Errorf("the list was told %+v", h.changed)
	}
}

func TestServerValidationErrorsLandOnTheNamedField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field string
		want  string
	}{
		{"a bad name", "name", FieldName},
		{"a taken email", "admin_email", FieldEmail},
		{"a short password", "admin_password", FieldPassword},
		{"a bad new name on an edit", "new_name", FieldName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}}
			msg := "refused: " + tt.name
			err := &rpc.Error{Code: rpc.CodeInvalidParams, Message: msg, Data: &rpc.ErrorData{Field: tt.field}}
			var h *harness
			if tt.field == "new_name" {
				fake.FailNext(rpc.MethodOrgUpdate, err)
				h = start(t, fake, &fake.Orgs[0])
				h.fill("Acme 2", "a@acme.test", "", "")
			} else {
				fake.FailNext(rpc.MethodOrgCreate, err)
				h = start(t, fake, nil)
				h.fill("Beta", "b@beta.test", "admin-password", "admin-password")
			}
			if got := h.form().Form().Error(tt.want); got != msg {
				t.Errorf("the %s field shows %q, want %q", tt.want, got, msg)
			}
			if h.form().Form().Focused() != tt.want {
				t.Errorf("the focus is on %s, want %s", h.form().Form().Focused(), tt.want)
			}
			if len(h.back) != 0 {
				t.Error("the form closed on an error")
			}
		})
	}
}

func TestDifferingPasswordsAreNotSent(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{}
	h := start(t, fake, nil)
	h.fill("Acme", "a@acme.test", "one-password", "two-password")
	if n := len(fake.CallsOf(rpc.MethodOrgCreate)); n != 0 {
		t.Errorf("org.create was called %d times", n)
	}
	if got := h.form().Form().Error(FieldConfirm); got != "the passwords differ" {
		t.Errorf("the repeat field shows %q", got)
	}
}

func TestEditSendsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		values         []string
		rename, email  bool
		password       bool
		flash          string
		unchanged      bool
		wantUpdateCall bool
	}{
		{name: "a rename", values: []string{"Acme Two", "a@acme.test", "", ""}, rename: true, flash: "renamed Acme to Acme Two", wantUpdateCall: true},
		{name: "a new admin email", values: []string{"Acme", "b@acme.test", "", ""}, email: true, flash: "saved Acme", wantUpdateCall: true},
		{name: "a password reset", values: []string{"Acme", "a@acme.test", "new-password", "new-password"}, password: true, flash: "saved Acme", wantUpdateCall: true},
		{name: "nothing", values: []string{"Acme", "a@acme.test", "", ""}, unchanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme", "a@acme.test")}}
			h := start(t, fake, &fake.Orgs[0])
			h.fill(tt.values...)
			calls := fake.CallsOf(rpc.MethodOrgUpdate)
			if !tt.wantUpdateCall {
				if len(calls) != 0 || h.form().Err() != "nothing changed" {
					t.Errorf("an unchanged form called org.update %d times and says %q", len(calls), h.form().Err())
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("org.update was called %d times", len(calls))
			}
			p := calls[0].Params.(rpc.OrgUpdateParams)
			if (p.NewName != nil) != tt.rename || (p.AdminEmail != nil) != tt.email {
				t.Errorf("org.update got new_name %v, admin_email %v", p.NewName, p.AdminEmail)
			}
			if len(h.back) != 1 || h.back[0].Flash != tt.flash {
				t.Errorf("after saving the form sent %+v, want the message %q", h.back, tt.flash)
			}
		})
	}
}

func TestTheFormNeverShowsThePassword(t *testing.T) {
	t.Parallel()
	h := start(t, &remotetest.Fake{}, nil)
	h.fill("Acme", "a@acme.test")
	h.d.Type("visible-secret")
	if screen := ansi.Strip(h.page.View()); strings.Contains(screen, "visible-secret") {
		t.Errorf("the password shows:\n%s", screen)
	}
}
