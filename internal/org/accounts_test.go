package org_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

// The rules of accounts that are decided before the store is asked
// anything; the store (untouchedStore) fails the test if it is.

func TestOperatorRules(t *testing.T) {
	ctx := context.Background()
	f := newService(t, org.Config{})
	t.Run("only operators list operators", func(t *testing.T) {
		wantCode(t, getErr(f.svc.ListOperators(acmeBoss, org.AccountFilter{})), org.EFORBIDDEN)
		p, err := f.svc.ListOperators(operator, org.AccountFilter{})
		if err != nil || p.Total != 1 || p.Items[0].Email != "ops@example.com" {
			t.Fatalf("ListOperators = %+v, %v", p, err)
		}
	})
	t.Run("a limit over 500 is refused", func(t *testing.T) {
		wantInvalid(t, getErr(f.svc.ListOperators(operator, org.AccountFilter{Limit: 501})), "limit", "out_of_range")
	})
	t.Run("only operators create operators", func(t *testing.T) {
		wantCode(t, getErr(f.svc.CreateOperator(ctx, acmeBoss, "new@example.com", "operator-password")), org.EFORBIDDEN)
	})
	t.Run("only operators delete operators", func(t *testing.T) {
		wantCode(t, f.svc.DeleteOperator(ctx, acmeBoss, "ops@example.com"), org.EFORBIDDEN)
	})
	t.Run("the only operator is never deleted", func(t *testing.T) {
		e := wantCode(t, f.svc.DeleteOperator(ctx, operator, "ops@example.com"), org.ECONFLICT)
		if e.Reason != org.ReasonLastOperator {
			t.Fatalf("reason %q, want %s", e.Reason, org.ReasonLastOperator)
		}
	})
	t.Run("an email that is no operator's is not found", func(t *testing.T) {
		for _, email := range []string{"nobody@example.com", "admin@acme.example"} {
			if e := wantCode(t, f.svc.DeleteOperator(ctx, operator, email), org.ENOTFOUND); e.Field != "email" {
				t.Fatalf("field %q, want email", e.Field)
			}
		}
	})
	t.Run("only operators reset an operator's password", func(t *testing.T) {
		wantCode(t, getErr(f.svc.ResetOperatorPassword(ctx, acmeBoss, "ops@example.com", "new-password")), org.EFORBIDDEN)
	})
}

func TestMemberRules(t *testing.T) {
	ctx := context.Background()
	admin, viewer := org.RoleAdmin, org.RoleViewer
	tests := []struct {
		name  string
		call  func(f fixture) error
		code  string
		field string
	}{
		{"a viewer may not add members", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, acmeViewer, "Acme", "new@acme.example", "new-password", org.RoleViewer))
		}, org.EFORBIDDEN, ""},
		{"an admin cannot find another organization to add to", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, acmeBoss, "Beta", "new@beta.example", "new-password", org.RoleViewer))
		}, org.ENOTFOUND, ""},
		{"a member needs a role", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, acmeBoss, "Acme", "new@acme.example", "new-password", ""))
		}, org.EINVALID, "role"},
		{"operator is not a member's role", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, operator, "Acme", "new@acme.example", "new-password", org.RoleOperator))
		}, org.EINVALID, "role"},
		{"a taken email conflicts, in any case", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, operator, "Acme", "OPS@example.com", "new-password", org.RoleViewer))
		}, org.ECONFLICT, "email"},
		{"a short password is refused", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, operator, "Acme", "new@acme.example", "short", org.RoleViewer))
		}, org.EINVALID, "password"},
		{"nothing is added to a suspended organization", func(f fixture) error {
			return getErr(f.svc.AddMember(ctx, operator, "Cold", "new@cold.example", "new-password", org.RoleViewer))
		}, org.ESUSPENDED, ""},
		{"an unknown member is not found, naming email", func(f fixture) error {
			return getErr(f.svc.UpdateMember(ctx, operator, "Acme", "nobody@acme.example", org.MemberUpdate{Role: &viewer}))
		}, org.ENOTFOUND, "email"},
		{"another organization's member is not found", func(f fixture) error {
			return getErr(f.svc.UpdateMember(ctx, operator, "Acme", "admin@beta.example", org.MemberUpdate{Role: &viewer}))
		}, org.ENOTFOUND, "email"},
		{"the only admin is not demoted", func(f fixture) error {
			return getErr(f.svc.UpdateMember(ctx, operator, "Acme", "admin@acme.example", org.MemberUpdate{Role: &viewer}))
		}, org.ECONFLICT, "email"},
		{"a viewer may not change members", func(f fixture) error {
			return getErr(f.svc.UpdateMember(ctx, acmeViewer, "Acme", "viewer@acme.example", org.MemberUpdate{Role: &admin}))
		}, org.EFORBIDDEN, ""},
		{"a role that is no member's is refused", func(f fixture) error {
			bad := org.Role("owner")
			return getErr(f.svc.UpdateMember(ctx, operator, "Acme", "viewer@acme.example", org.MemberUpdate{Role: &bad}))
		}, org.EINVALID, "role"},
		{"the only admin is not removed", func(f fixture) error {
			return f.svc.RemoveMember(ctx, acmeBoss, "Acme", "admin@acme.example")
		}, org.ECONFLICT, "email"},
		{"a viewer may not remove members", func(f fixture) error {
			return f.svc.RemoveMember(ctx, acmeViewer, "Acme", "viewer@acme.example")
		}, org.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newService(t, org.Config{})
			if e := wantCode(t, tt.call(f), tt.code); e.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
	t.Run("the last admin refusals say why", func(t *testing.T) {
		f := newService(t, org.Config{})
		e := wantCode(t, f.svc.RemoveMember(ctx, operator, "Acme", "admin@acme.example"), org.ECONFLICT)
		if e.Reason != org.ReasonLastAdmin || !strings.Contains(e.Message, "Acme") {
			t.Fatalf("reason %q message %q", e.Reason, e.Message)
		}
	})
	t.Run("a role the member has already changes nothing", func(t *testing.T) {
		f := newService(t, org.Config{})
		a, err := f.svc.UpdateMember(ctx, acmeBoss, "Acme", "viewer@acme.example", org.MemberUpdate{Role: &viewer})
		if err != nil || a.ID != "viewer-acme" {
			t.Fatalf("UpdateMember = %+v, %v", a, err)
		}
	})
	t.Run("members are listed to the organization's viewers", func(t *testing.T) {
		f := newService(t, org.Config{})
		p, err := f.svc.ListMembers(acmeViewer, "Acme", org.AccountFilter{})
		if err != nil || p.Total != 2 || p.Items[0].Email != "admin@acme.example" || p.Items[1].Email != "viewer@acme.example" {
			t.Fatalf("ListMembers = %+v, %v", p, err)
		}
		wantCode(t, getErr(f.svc.ListMembers(acmeViewer, "Beta", org.AccountFilter{})), org.ENOTFOUND)
	})
}

func TestOwnAccountRules(t *testing.T) {
	ctx := context.Background()
	f := newService(t, org.Config{})
	me := &org.Principal{AccountID: "viewer-acme", Email: "viewer@acme.example", Role: org.RoleViewer, OrgID: "acme", Peer: "uid:1000"}
	t.Run("a wrong current password is refused, naming current_password", func(t *testing.T) {
		e := wantCode(t, f.svc.ChangePassword(ctx, me, "wrong password", "new-password"), org.EUNAUTHENTICATED)
		if e.Field != "current_password" {
			t.Fatalf("field %q", e.Field)
		}
	})
	t.Run("a short new password is refused", func(t *testing.T) {
		wantInvalid(t, f.svc.ChangePassword(ctx, me, testPassword, "short"), "new_password", "too_short")
	})
	t.Run("a missing current password is refused", func(t *testing.T) {
		wantInvalid(t, f.svc.ChangePassword(ctx, me, "", "new-password"), "current_password", "required")
	})
	t.Run("wrong current passwords are throttled like logins", func(t *testing.T) {
		for range 4 {
			wantCode(t, f.svc.ChangePassword(ctx, me, "wrong password", "new-password"), org.EUNAUTHENTICATED)
		}
		wantCode(t, f.svc.ChangePassword(ctx, me, testPassword, "new-password"), org.ETHROTTLED)
	})
}

func TestSuspensionRules(t *testing.T) {
	ctx := context.Background()
	f := newService(t, org.Config{})
	tests := []struct {
		name  string
		call  func() error
		code  string
		field string
	}{
		{"an admin may not suspend", func() error { return getErr(f.svc.SuspendOrganization(ctx, acmeBoss, "Acme", "")) }, org.EFORBIDDEN, ""},
		{"an admin may not resume", func() error { return getErr(f.svc.ResumeOrganization(ctx, acmeBoss, "Acme")) }, org.EFORBIDDEN, ""},
		{"a suspended organization is not suspended again", func() error { return getErr(f.svc.SuspendOrganization(ctx, operator, "Cold", "")) }, org.ECONFLICT, ""},
		{"an active organization is not resumed", func() error { return getErr(f.svc.ResumeOrganization(ctx, operator, "Acme")) }, org.ECONFLICT, ""},
		{"an organization in the middle of a change is not suspended", func() error { return getErr(f.svc.SuspendOrganization(ctx, operator, "Beta", "")) }, org.ECONFLICT, ""},
		{"a reason over 256 characters is refused", func() error {
			return getErr(f.svc.SuspendOrganization(ctx, operator, "Acme", strings.Repeat("r", 257)))
		}, org.EINVALID, "reason"},
		{"a reason with a control character is refused", func() error {
			return getErr(f.svc.SuspendOrganization(ctx, operator, "Acme", "late\x1b[2J"))
		}, org.EINVALID, "reason"},
		{"an unknown organization is not found", func() error { return getErr(f.svc.SuspendOrganization(ctx, operator, "Nope", "")) }, org.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e := wantCode(t, tt.call(), tt.code); e.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
	t.Run("data of a suspended organization is not written, even by operators", func(t *testing.T) {
		wantCode(t, getErr(f.svc.InsertDocuments(ctx, operator, "Cold", [][]byte{[]byte(`{"a":1}`)})), org.ESUSPENDED)
	})
	t.Run("a suspended organization is still deleted by operators only", func(t *testing.T) {
		coldBoss := &org.Principal{AccountID: "admin-cold", Role: org.RoleAdmin, OrgID: "cold"}
		wantCode(t, f.svc.DeleteOrganization(ctx, coldBoss, "Cold", "Cold"), org.ESUSPENDED)
	})
}
