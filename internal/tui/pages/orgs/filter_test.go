package orgs

import (
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

func TestSplitFilter(t *testing.T) {
	tests := []struct {
		text, query, selector string
	}{
		{"acme", "acme", ""},
		{"label:env=prod", "", "env=prod"},
		{"acme label:env=prod label:tier!=free", "acme", "env=prod,tier!=free"},
		{"label:team  Acme   Corp label:!legacy", "Acme Corp", "team,!legacy"},
		{"label:env=prod,tier=gold", "", "env=prod,tier=gold"},
		{"label: acme", "acme", ""},
	}
	for _, tt := range tests {
		q, s := SplitFilter(tt.text)
		if q != tt.query || s != tt.selector {
			t.Errorf("SplitFilter(%q) = %q, %q; want %q, %q", tt.text, q, s, tt.query, tt.selector)
		}
	}
}

func TestMatchesFollowsQueryAndSelector(t *testing.T) {
	o := remotetest.NewOrg("Acme", "a@acme.test")
	o.Labels = map[string]string{"env": "prod", "tier": "gold"}
	tests := []struct {
		text string
		want bool
	}{
		{"", true},
		{"acm", true},
		{"label:env=prod", true},
		{"label:env=dev", false},
		{"label:tier!=free", true},
		{"label:tier!=gold", false},
		{"label:env", true},
		{"label:!env", false},
		{"label:!legacy acme", true},
		{"beta label:env=prod", false},
	}
	for _, tt := range tests {
		if got := Matches(tt.text, o); got != tt.want {
			t.Errorf("Matches(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestTheFilterSendsLabelTokensAsTheSelector(t *testing.T) {
	prod := remotetest.NewOrg("Prod", "p@prod.test")
	prod.Labels = map[string]string{"env": "prod"}
	fake := &remotetest.Fake{Orgs: append(remotetest.Orgs(3), prod)}
	h := start(t, fake, rpc.RoleOperator)
	h.d.Press("/")
	h.d.Type("pro label:env=prod")
	h.d.SettleFor(FilterDelay + 200*time.Millisecond)
	h.d.Press("enter")
	calls := fake.CallsOf(rpc.MethodOrgList)
	last := calls[len(calls)-1].Params.(rpc.OrgListParams)
	if last.Query != "pro" || last.Selector != "env=prod" {
		t.Errorf("org.list got query %q and selector %q", last.Query, last.Selector)
	}
	if got := len(h.list().items); got != 1 || h.selected() != "Prod" {
		t.Errorf("the filtered list has %d organizations, on %q", got, h.selected())
	}
	if !strings.Contains(h.screen(), "filter: pro label:env=prod") {
		t.Errorf("the filter is not shown as typed:\n%s", h.screen())
	}
}

func TestASuspendedOrganizationIsMarked(t *testing.T) {
	orgs := remotetest.Orgs(3)
	orgs[1].State = rpc.StateSuspended
	h := start(t, &remotetest.Fake{Orgs: orgs}, rpc.RoleOperator)
	lines := strings.Split(h.page.View(), "\n")
	var row string
	for _, l := range lines {
		if strings.Contains(l, "Org 00002") {
			row = l
		}
	}
	st := h.list().c.Styles
	if !strings.Contains(row, st.StateSuspended.Render("suspended ")) {
		t.Errorf("the suspended organization's row is not marked: %q", row)
	}
	if strings.Contains(h.page.View(), st.StateSuspended.Render("active")) {
		t.Error("an active organization is marked suspended")
	}
}

func TestWhatTheListOffersFollowsTheRole(t *testing.T) {
	tests := []struct {
		role      string
		suspended bool
		offered   []string
		hidden    []string
	}{
		{rpc.RoleOperator, false, []string{"n", "e", "d", "s", "A"}, nil},
		{rpc.RoleOperator, true, []string{"n", "d", "s", "A"}, []string{"e"}},
		{rpc.RoleAdmin, false, []string{"e", "d"}, []string{"n", "s", "A"}},
		{rpc.RoleViewer, false, []string{"enter", "/"}, []string{"n", "e", "d", "s", "A"}},
	}
	for _, tt := range tests {
		name := tt.role
		if tt.suspended {
			name += " on a suspended organization"
		}
		t.Run(name, func(t *testing.T) {
			orgs := remotetest.Orgs(1)
			if tt.suspended {
				orgs[0].State = rpc.StateSuspended
			}
			h := start(t, &remotetest.Fake{Orgs: orgs, Role: tt.role}, tt.role)
			help := h.page.Help()
			for _, k := range tt.offered {
				if !offers(help.FullHelp(), k) {
					t.Errorf("%s is not offered", k)
				}
			}
			for _, k := range tt.hidden {
				if offers(help.FullHelp(), k) {
					t.Errorf("%s is offered", k)
				}
				h.d.Press(k)
			}
			if len(h.opened) != 0 {
				t.Errorf("keys that are not offered opened %T", h.opened[0])
			}
		})
	}
}

func TestSOpensSuspendOrResume(t *testing.T) {
	orgs := remotetest.Orgs(2)
	orgs[1].State = rpc.StateSuspended
	h := start(t, &remotetest.Fake{Orgs: orgs}, rpc.RoleOperator)
	h.d.Press("s", "j", "s", "A")
	if len(h.opened) != 3 {
		t.Fatalf("s, s and A opened %d pages", len(h.opened))
	}
	for i, want := range []string{"Suspend Org 00001", "Resume Org 00002", "Operators"} {
		if got := h.opened[i].Title(); got != want {
			t.Errorf("page %d is %q, want %q", i, got, want)
		}
	}
}
