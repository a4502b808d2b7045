package remotetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/orgd/orgd/rpc"
)

// world is an orgd with an operator (ops@example.com) and Acme, whose
// admin is admin@acme.test and whose viewer is viewer@acme.test, and Beta.
func world(t *testing.T) *Fake {
	t.Helper()
	f := &Fake{Orgs: []rpc.Organization{NewOrg("Acme", "admin@acme.test"), NewOrg("Beta", "admin@beta.test")}}
	f.PutOperator("ops@example.com", "operator-password")
	f.PutMember("Acme", "boss@acme.test", "admin-password", rpc.RoleAdmin)
	f.PutMember("Acme", "viewer@acme.test", "viewer-password", rpc.RoleViewer)
	return f
}

func login(t *testing.T, f *Fake, email, password string) string {
	t.Helper()
	s, err := f.Login(context.Background(), email, password)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return s.Token
}

func code(err error) int64 { return rpc.ErrorCode(err) }

func TestWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := map[string]func(f *Fake, token string) error{
		"org.get":       func(f *Fake, tok string) error { _, err := f.GetOrg(ctx, tok, "Acme"); return err },
		"org.get other": func(f *Fake, tok string) error { _, err := f.GetOrg(ctx, tok, "Beta"); return err },
		"org.update": func(f *Fake, tok string) error {
			_, err := f.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: tok, Name: "Acme"})
			return err
		},
		"org.suspend": func(f *Fake, tok string) error { _, err := f.SuspendOrg(ctx, tok, "Beta", ""); return err },
		"member.list": func(f *Fake, tok string) error {
			_, err := f.ListMembers(ctx, rpc.MemberListParams{Token: tok, Org: "Acme"})
			return err
		},
		"member.add": func(f *Fake, tok string) error {
			_, err := f.AddMember(ctx, rpc.MemberAddParams{Token: tok, Org: "Acme", Email: "n@acme.test", Password: "new-password", Role: rpc.RoleViewer})
			return err
		},
		"operator.list": func(f *Fake, tok string) error {
			_, err := f.ListOperators(ctx, rpc.OperatorListParams{Token: tok})
			return err
		},
		"data.find": func(f *Fake, tok string) error {
			_, err := f.FindDocuments(ctx, rpc.DataFindParams{Token: tok, Org: "Acme"})
			return err
		},
		"data.insert": func(f *Fake, tok string) error {
			_, err := f.InsertDocuments(ctx, rpc.DataInsertParams{Token: tok, Org: "Acme", Documents: []json.RawMessage{json.RawMessage(`{"a": 1}`)}})
			return err
		},
		"org.delete": func(f *Fake, tok string) error { return f.DeleteOrg(ctx, tok, "Acme") },
		"operator.create": func(f *Fake, tok string) error {
			_, err := f.CreateOperator(ctx, rpc.OperatorCreateParams{Token: tok, Email: "o2@example.com", Password: "operator-password"})
			return err
		},
	}
	tests := []struct {
		who, email, password string
		want                 map[string]int64
	}{
		{"an operator may do everything", "ops@example.com", "operator-password", map[string]int64{
			"org.get": 0, "org.get other": 0, "org.update": 0, "org.suspend": 0, "member.list": 0, "member.add": 0,
			"operator.list": 0, "operator.create": 0, "data.find": 0, "data.insert": 0, "org.delete": 0}},
		{"an admin manages their own organization only", "boss@acme.test", "admin-password", map[string]int64{
			"org.get": 0, "org.get other": rpc.CodeNotFound, "org.update": 0, "org.suspend": rpc.CodeForbidden, "member.list": 0,
			"member.add": 0, "operator.list": rpc.CodeForbidden, "operator.create": rpc.CodeForbidden, "data.find": 0, "data.insert": 0, "org.delete": 0}},
		{"a viewer may only read", "viewer@acme.test", "viewer-password", map[string]int64{
			"org.get": 0, "org.get other": rpc.CodeNotFound, "org.update": rpc.CodeForbidden, "org.suspend": rpc.CodeForbidden,
			"member.list": 0, "member.add": rpc.CodeForbidden, "operator.list": rpc.CodeForbidden, "operator.create": rpc.CodeForbidden,
			"data.find": 0, "data.insert": rpc.CodeForbidden, "org.delete": rpc.CodeForbidden}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			t.Parallel()
			for call, want := range tt.want {
				f := world(t)
				tok := login(t, f, tt.email, tt.password)
				if got := code(calls[call](f, tok)); got != want {
					t.Errorf("%s: code %d, want %d", call, got, want)
				}
			}
		})
	}
}

func TestTheLastAdminAndTheLastOperatorAreKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := world(t)
	tok := login(t, f, "ops@example.com", "operator-password")
	viewer := rpc.RoleViewer
	if _, err := f.UpdateMember(ctx, rpc.MemberUpdateParams{Token: tok, Org: "Acme", Email: "boss@acme.test", Role: &viewer}); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	err := f.RemoveMember(ctx, rpc.MemberRemoveParams{Token: tok, Org: "Acme", Email: "admin@acme.test"})
	var e *rpc.Error
	if code(err) != rpc.CodeConflict || !asError(err, &e) || e.Data.Reason != rpc.ReasonLastAdmin {
		t.Errorf("removing the last admin: %v, want -32009 last_admin", err)
	}
	_, err = f.UpdateMember(ctx, rpc.MemberUpdateParams{Token: tok, Org: "Acme", Email: "admin@acme.test", Role: &viewer})
	if !asError(err, &e) || e.Data.Reason != rpc.ReasonLastAdmin {
		t.Errorf("demoting the last admin: %v, want -32009 last_admin", err)
	}
	err = f.DeleteOperator(ctx, tok, "ops@example.com")
	if !asError(err, &e) || e.Code != rpc.CodeConflict || e.Data.Reason != rpc.ReasonLastOperator {
		t.Errorf("deleting the last operator: %v, want -32009 last_operator", err)
	}
	if err := f.RemoveMember(ctx, rpc.MemberRemoveParams{Token: tok, Org: "Acme", Email: "nobody@acme.test"}); code(err) != rpc.CodeNotFound {
		t.Errorf("removing an unknown email: %v, want -32004", err)
	}
	_, err = f.AddMember(ctx, rpc.MemberAddParams{Token: tok, Org: "Acme", Email: "ADMIN@beta.test", Password: "new-password", Role: rpc.RoleViewer})
	if !asError(err, &e) || e.Code != rpc.CodeConflict || e.Data.Field != "email" {
		t.Errorf("adding a taken email (in another case): %v, want -32009 on email", err)
	}
}

func TestChangesRevokeTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(f *Fake, own, ops string) error
	}{
		{"one's own password", func(f *Fake, own, _ string) error {
			return f.ChangePassword(ctx, own, "viewer-password", "another-password")
		}},
		{"a password set by an operator", func(f *Fake, _, ops string) error {
			p := "another-password"
			_, err := f.UpdateMember(ctx, rpc.MemberUpdateParams{Token: ops, Org: "Acme", Email: "viewer@acme.test", Password: &p})
			return err
		}},
		{"a role change", func(f *Fake, _, ops string) error {
			r := rpc.RoleAdmin
			_, err := f.UpdateMember(ctx, rpc.MemberUpdateParams{Token: ops, Org: "Acme", Email: "viewer@acme.test", Role: &r})
			return err
		}},
		{"logging out", func(f *Fake, own, _ string) error { return f.Logout(ctx, own, false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(t)
			own := login(t, f, "viewer@acme.test", "viewer-password")
			ops := login(t, f, "ops@example.com", "operator-password")
			if err := tt.change(f, own, ops); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Whoami(ctx, own); code(err) != rpc.CodeUnauthenticated {
				t.Errorf("the member's token still works: %v", err)
			}
			if _, err := f.Whoami(ctx, ops); err != nil {
				t.Errorf("the operator's token stopped working: %v", err)
			}
		})
	}
}

func TestAWrongCurrentPasswordChangesNothing(t *testing.T) {
	t.Parallel()
	f := world(t)
	tok := login(t, f, "viewer@acme.test", "viewer-password")
	if err := f.ChangePassword(context.Background(), tok, "wrong-password", "another-password"); code(err) != rpc.CodeUnauthenticated {
		t.Errorf("a wrong current password: %v, want -32001", err)
	}
	if !f.LogsIn("viewer@acme.test", "viewer-password") {
		t.Error("the password changed")
	}
	if _, err := f.Whoami(context.Background(), tok); err != nil {
		t.Errorf("the token stopped working: %v", err)
	}
}

func TestSuspension(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := world(t)
	ops := login(t, f, "ops@example.com", "operator-password")
	member := login(t, f, "boss@acme.test", "admin-password")
	o, err := f.SuspendOrg(ctx, ops, "Acme", "unpaid invoice")
	if err != nil {
		t.Fatal(err)
	}
	if o.State != rpc.StateSuspended || o.SuspendedAt == nil || o.SuspendReason != "unpaid invoice" {
		t.Errorf("the suspended organization is %+v", o)
	}
	if _, err := f.GetOrg(ctx, member, "Acme"); code(err) != rpc.CodeSuspended {
		t.Errorf("a member's call: %v, want -32010", err)
	}
	if _, err := f.Login(ctx, "boss@acme.test", "admin-password"); code(err) != rpc.CodeSuspended {
		t.Errorf("a member's login with the right password: %v, want -32010", err)
	}
	if _, err := f.Login(ctx, "boss@acme.test", "wrong-password"); code(err) != rpc.CodeUnauthenticated {
		t.Errorf("a member's login with a wrong password: %v, want -32001", err)
	}
	if _, err := f.FindDocuments(ctx, rpc.DataFindParams{Token: ops, Org: "Acme"}); err != nil {
		t.Errorf("an operator's read: %v", err)
	}
	if _, err := f.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: ops, Name: "Acme"}); code(err) != rpc.CodeSuspended {
		t.Errorf("an operator's change: %v, want -32010", err)
	}
	if _, err := f.AddMember(ctx, rpc.MemberAddParams{Token: ops, Org: "Acme", Email: "n@acme.test", Password: "new-password", Role: rpc.RoleViewer}); code(err) != rpc.CodeSuspended {
		t.Errorf("an operator's member change: %v, want -32010", err)
	}
	if _, err := f.ResumeOrg(ctx, ops, "Acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetOrg(ctx, member, "Acme"); err != nil {
		t.Errorf("after resuming, the member's token: %v", err)
	}
}

func TestLabelsAndSelectors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &Fake{}
	for _, p := range []rpc.OrgCreateParams{
		{Name: "Prod Gold", Labels: map[string]string{"env": "prod", "tier": "gold"}},
		{Name: "Prod Free", Labels: map[string]string{"env": "prod", "tier": "free", "legacy": ""}},
		{Name: "Dev", Labels: map[string]string{"env": "dev", "team": "a"}},
		{Name: "Bare"},
	} {
		p.Token, p.AdminEmail, p.AdminPassword = Token, strings.ReplaceAll(strings.ToLower(p.Name), " ", "")+"@x.test", "admin-password"
		if _, err := f.CreateOrg(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		selector string
		want     string
	}{
		{"", "Bare Dev Prod Free Prod Gold"},
		{"env=prod", "Prod Free Prod Gold"},
		{"env=prod,tier!=free", "Prod Gold"},
		{"tier!=free", "Bare Dev Prod Gold"},
		{"team", "Dev"},
		{"!legacy,env", "Dev Prod Gold"},
	}
	for _, tt := range tests {
		l, err := f.ListOrgs(ctx, rpc.OrgListParams{Token: Token, Selector: tt.selector})
		if err != nil {
			t.Fatalf("%q: %v", tt.selector, err)
		}
		var names []string
		for _, o := range l.Items {
			names = append(names, o.Name)
		}
		if got := strings.Join(names, " "); got != tt.want || l.Total != len(names) {
			t.Errorf("selector %q lists %q (total %d), want %q", tt.selector, got, l.Total, tt.want)
		}
	}
	if _, err := f.ListOrgs(ctx, rpc.OrgListParams{Token: Token, Selector: "env=,=x"}); rpc.ErrorCode(err) != rpc.CodeInvalidParams {
		t.Errorf("a bad selector: %v, want -32602", err)
	}
	var e *rpc.Error
	_, err := f.CreateOrg(ctx, rpc.OrgCreateParams{Token: Token, Name: "Bad", AdminEmail: "bad@x.test", AdminPassword: "admin-password",
		Labels: map[string]string{"-bad": "1"}})
	if !asError(err, &e) || e.Code != rpc.CodeInvalidParams || e.Data.Field != "labels" || !strings.Contains(e.Message, `"-bad"`) {
		t.Errorf("a bad label key: %v, want -32602 on labels naming the key", err)
	}
	empty := map[string]string{}
	o, err := f.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: Token, Name: "Dev", Labels: &empty})
	if err != nil || len(o.Labels) != 0 {
		t.Errorf("clearing the labels: %v, %v", o.Labels, err)
	}
	o, err = f.UpdateOrg(ctx, rpc.OrgUpdateParams{Token: Token, Name: "Prod Gold"})
	if err != nil || o.Labels["tier"] != "gold" {
		t.Errorf("an update without labels changed them: %v, %v", o.Labels, err)
	}
}

func TestMembersAreListedByEmailInPages(t *testing.T) {
	t.Parallel()
	f := world(t)
	for _, e := range []string{"Zed@acme.test", "amy@acme.test", "Bob@acme.test"} {
		f.PutMember("Acme", e, "member-password", rpc.RoleViewer)
	}
	var emails []string
	cursor := ""
	for {
		l, err := f.ListMembers(context.Background(), rpc.MemberListParams{Token: Token, Org: "Acme", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if l.Total != 6 {
			t.Errorf("total %d, want 6", l.Total)
		}
		for _, a := range l.Items {
			emails = append(emails, a.Email)
			if a.Org == nil || a.Org.Name != "Acme" {
				t.Errorf("%s has org %+v", a.Email, a.Org)
			}
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	want := "admin@acme.test amy@acme.test Bob@acme.test boss@acme.test viewer@acme.test Zed@acme.test"
	if got := strings.Join(emails, " "); got != want {
		t.Errorf("members: %q, want %q", got, want)
	}
	o, _ := f.Org("Acme")
	if strings.Join(o.Admins, " ") != "admin@acme.test boss@acme.test" || o.Members != 6 {
		t.Errorf("Acme has admins %v and %d members", o.Admins, o.Members)
	}
}

func asError(err error, target **rpc.Error) bool {
	e, ok := err.(*rpc.Error)
	if ok {
		*target = e
		if e.Data == nil {
			e.Data = &rpc.ErrorData{}
		}
	}
	return ok
}
