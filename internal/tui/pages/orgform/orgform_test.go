package orgform

import (
	"maps"
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

// fill types values into the fields in order, moving on with tab, and
// presses enter.
func (h *harness) fill(values ...string) {
	for _, v := range values {
		h.d.Press("ctrl+u")
		h.d.Type(v)
		h.d.Press("tab")
	}
	h.d.Press("enter")
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

func TestEnterSubmitsOnceTheFormIsValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  bool
		keys  func(h *harness)
		calls int
	}{
		{"enter on a fresh create form moves on", false, func(h *harness) {
			h.d.Type("Acme")
			h.d.Press("enter")
		}, 0},
		{"enter on the last empty field of a create form moves on", false, func(h *harness) {
			for _, v := range []string{"Acme", "a@acme.test", "a-password"} {
				h.d.Type(v)
				h.d.Press("enter")
			}
		}, 0},
		{"enter once every field is filled creates", false, func(h *harness) {
			for _, v := range []string{"Acme", "a@acme.test", "a-password", "a-password"} {
				h.d.Type(v)
				h.d.Press("enter")
			}
		}, 1},
		{"enter on the name of an edit saves at once", true, func(h *harness) {
			h.d.Press("ctrl+u")
			h.d.Type("Acme Two")
			h.d.Press("enter")
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &remotetest.Fake{Orgs: []rpc.Organization{remotetest.NewOrg("Acme Corp", "a@acme.test")}}
			var h *harness
			method := rpc.MethodOrgCreate
			if tt.edit {
				method = rpc.MethodOrgUpdate
				h = start(t, fake, &fake.Orgs[0])
			} else {
				h = start(t, fake, nil)
			}
			tt.keys(h)
			if n := len(fake.CallsOf(method)); n != tt.calls {
				t.Errorf("%s was called %d times, want %d", method, n, tt.calls)
			}
		})
	}
}

func TestEscapeCancelsTheForm(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{}
	h := start(t, fake, nil)
	h.d.Type("Acme")
	h.d.Press("esc")
	if len(h.back) != 1 || len(fake.CallsOf(rpc.MethodOrgCreate)) != 0 {
		t.Errorf("esc: %d backs, %d creates; want to close without creating", len(h.back), len(fake.CallsOf(rpc.MethodOrgCreate)))
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      map[string]string // the labels of the organization edited; nil: a create
		typed     string
		want      *map[string]string // the labels sent; nil: none
		fieldErr  string             // the error on the labels field
		serverErr bool               // orgd refuses the labels
	}{
		{name: "a create sends what is typed", typed: "env=prod, tier = gold", want: &map[string]string{"env": "prod", "tier": "gold"}},
		{name: "a create without labels sends none", typed: ""},
		{name: "an empty value is a label", typed: "team=", want: &map[string]string{"team": ""}},
		{name: "a label without = is refused", typed: "env=prod, legacy", fieldErr: `"legacy" has no value`},
		{name: "a label given twice is refused", typed: "env=prod,env=dev", fieldErr: "the label env is given twice"},
		{name: "a label orgd refuses shows on the field", typed: "-bad=1", serverErr: true, fieldErr: "label key"},
		{name: "an edit replaces every label", edit: map[string]string{"env": "prod", "old": "x"}, typed: "env=dev", want: &map[string]string{"env": "dev"}},
		{name: "an edit that empties the field removes every label", edit: map[string]string{"env": "prod"}, typed: "", want: &map[string]string{}},
		{name: "an edit that keeps the labels sends none", edit: map[string]string{"env": "prod", "tier": "gold"}, typed: "tier=gold, env=prod", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acme := remotetest.NewOrg("Acme", "a@acme.test")
			acme.Labels = tt.edit
			fake := &remotetest.Fake{Orgs: []rpc.Organization{acme}}
			var h *harness
			if tt.edit != nil {
				h = start(t, fake, &acme)
				if got := h.form().Form().Value(FieldLabels); got != pages.Labels(tt.edit) {
					t.Errorf("the labels field starts with %q", got)
				}
				h.fill("Acme Two", "a@acme.test", "", "", tt.typed)
			} else {
				h = start(t, fake, nil)
				h.fill("Beta", "b@beta.test", "a-password", "a-password", tt.typed)
			}
			if tt.fieldErr != "" {
				if got := h.form().Form().Error(FieldLabels); !strings.Contains(got, tt.fieldErr) {
					t.Errorf("the labels field shows %q, want %q", got, tt.fieldErr)
				}
				if len(h.back) != 0 {
					t.Error("the form closed on bad labels")
				}
				calls := len(fake.CallsOf(rpc.MethodOrgCreate))
				if !tt.serverErr && calls != 0 {
					t.Errorf("bad labels were sent (%d calls)", calls)
				}
				return
			}
			var got *map[string]string
			if tt.edit != nil {
				calls := fake.CallsOf(rpc.MethodOrgUpdate)
				if len(calls) != 1 {
					t.Fatalf("org.update was called %d times", len(calls))
				}
				got = calls[0].Params.(rpc.OrgUpdateParams).Labels
			} else {
				calls := fake.CallsOf(rpc.MethodOrgCreate)
				if len(calls) != 1 {
					t.Fatalf("org.create was called %d times", len(calls))
				}
				if l := calls[0].Params.(rpc.OrgCreateParams).Labels; l != nil {
					got = &l
				}
			}
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("labels %v were sent, want none", *got)
			case tt.want != nil && (got == nil || !maps.Equal(*got, *tt.want)):
				t.Errorf("labels sent: %v, want %v", got, *tt.want)
			}
			if tt.want != nil && len(*tt.want) == 0 && (got == nil || *got == nil) {
				t.Error("clearing the labels sent nil, which leaves them")
			}
		})
	}
}
