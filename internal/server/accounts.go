package server

import (
	"context"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// accountRoutes are the methods on accounts (SPEC §8).
func (s *Server) accountRoutes() []route {
	return []route{
		method(rpc.MethodAuthPassword, "Change your own password.", s.authPassword).
			describedAs("current_password confirms it is you; a wrong one gets -32001 and counts as a failed login. "+
				"Every token of the account is revoked, this one too: log in again with the new password.").
			withAuth(rpc.CodeTooManyAttempts, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodAuthLogout, "Revoke this token, or with all every token of your account.", s.authLogout).
			describedAs("On every daemon sharing the store within --refresh-interval.").
			withAuth(rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodOperatorList, "List the operators, a page at a time.", s.operatorList).
			describedAs("Operators only. Sorted by email, case-insensitively, then by id.").
			withAuth(rpc.CodeForbidden).fromMemory(),
		method(rpc.MethodOperatorCreate, "Add an operator.", s.operatorCreate).
			describedAs("Operators only. An email any account uses gets -32009.").
			withAuth(rpc.CodeForbidden, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodOperatorUpdate, "Give an operator a new password; their tokens stop working.", s.operatorUpdate).
			describedAs("Operators only: for an operator who lost their password (one's own is auth.password's). An unknown email gets -32004.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeStoreUnavailable),
		method(rpc.MethodOperatorDelete, "Delete an operator; their tokens stop working.", s.operatorDelete).
			describedAs("Operators only. The only operator is never deleted: -32009 with data.reason last_operator. An unknown email gets -32004.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodMemberList, "List an organization's members, a page at a time.", s.memberList).
			describedAs("Operators, and the organization's admins and viewers. Sorted by email, case-insensitively, then by id.").
			withAuth(rpc.CodeNotFound, rpc.CodeSuspended).fromMemory(),
		method(rpc.MethodMemberAdd, "Add a member, admin or viewer, to an organization.", s.memberAdd).
			describedAs("Operators and the organization's admins. An email any account uses gets -32009.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodMemberUpdate, "Change a member's role or password; either revokes the member's tokens.", s.memberUpdate).
			describedAs("Operators and the organization's admins. The only admin stays admin: -32009 with data.reason last_admin. "+
				"An email that is not a member's gets -32004.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodMemberRemove, "Remove a member from an organization; their tokens stop working.", s.memberRemove).
			describedAs("Operators and the organization's admins. The only admin is never removed: -32009 with data.reason last_admin. "+
				"An email that is not a member's gets -32004.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
	}
}

func (s *Server) authPassword(ctx context.Context, c *call, p *rpc.PasswordParams) (rpc.PasswordChanged, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.PasswordChanged{}, err
	}
	if err := s.svc.ChangePassword(ctx, who, p.CurrentPassword, p.NewPassword); err != nil {
		return rpc.PasswordChanged{}, err
	}
	s.log.Info("password changed", "account_id", who.AccountID)
	return rpc.PasswordChanged{Changed: true}, nil
}

func (s *Server) authLogout(ctx context.Context, c *call, p *rpc.LogoutParams) (rpc.LoggedOut, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.LoggedOut{}, err
	}
	if err := s.svc.Logout(ctx, who, p.All); err != nil {
		return rpc.LoggedOut{}, err
	}
	return rpc.LoggedOut{LoggedOut: true}, nil
}

func (s *Server) operatorList(_ context.Context, c *call, p *rpc.OperatorListParams) (rpc.AccountList, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.AccountList{}, err
	}
	page, err := s.svc.ListOperators(who, org.AccountFilter{Limit: p.Limit, Cursor: p.Cursor})
	if err != nil {
		return rpc.AccountList{}, err
	}
	return accountList(page, nil), nil
}

func (s *Server) operatorCreate(ctx context.Context, c *call, p *rpc.OperatorCreateParams) (rpc.Account, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Account{}, err
	}
	a, err := s.svc.CreateOperator(ctx, who, p.Email, p.Password)
	if err != nil {
		return rpc.Account{}, err
	}
	s.log.Info("operator created", "account_id", a.ID, "by", who.AccountID)
	return account(a, nil), nil
}

func (s *Server) operatorUpdate(ctx context.Context, c *call, p *rpc.OperatorUpdateParams) (rpc.Account, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Account{}, err
	}
	a, err := s.svc.ResetOperatorPassword(ctx, who, p.Email, p.Password)
	if err != nil {
		return rpc.Account{}, err
	}
	s.log.Info("operator password reset", "account_id", a.ID, "by", who.AccountID)
	return account(a, nil), nil
}

func (s *Server) operatorDelete(ctx context.Context, c *call, p *rpc.OperatorDeleteParams) (rpc.Deleted, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Deleted{}, err
	}
	if err := s.svc.DeleteOperator(ctx, who, p.Email); err != nil {
		return rpc.Deleted{}, err
	}
	s.log.Info("operator deleted", "by", who.AccountID)
	return rpc.Deleted{Deleted: true}, nil
}

func (s *Server) memberList(_ context.Context, c *call, p *rpc.MemberListParams) (rpc.AccountList, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.AccountList{}, err
	}
	page, err := s.svc.ListMembers(who, p.Org, org.AccountFilter{Limit: p.Limit, Cursor: p.Cursor})
	if err != nil {
		return rpc.AccountList{}, err
	}
	return accountList(page, s.orgRef), nil
}

func (s *Server) memberAdd(ctx context.Context, c *call, p *rpc.MemberAddParams) (rpc.Account, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Account{}, err
	}
	a, err := s.svc.AddMember(ctx, who, p.Org, p.Email, p.Password, org.Role(p.Role))
	if err != nil {
		return rpc.Account{}, err
	}
	s.log.Info("member added", "account_id", a.ID, "org_id", a.OrgID, "role", a.Role, "by", who.AccountID)
	return account(a, s.orgRef), nil
}

func (s *Server) memberUpdate(ctx context.Context, c *call, p *rpc.MemberUpdateParams) (rpc.Account, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Account{}, err
	}
	u := org.MemberUpdate{Password: p.Password}
	if p.Role != nil {
		r := org.Role(*p.Role)
		u.Role = &r
	}
	a, err := s.svc.UpdateMember(ctx, who, p.Org, p.Email, u)
	if err != nil {
		return rpc.Account{}, err
	}
	s.log.Info("member updated", "account_id", a.ID, "org_id", a.OrgID, "role", a.Role, "by", who.AccountID)
	return account(a, s.orgRef), nil
}

func (s *Server) memberRemove(ctx context.Context, c *call, p *rpc.MemberRemoveParams) (rpc.Removed, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Removed{}, err
	}
	if err := s.svc.RemoveMember(ctx, who, p.Org, p.Email); err != nil {
		return rpc.Removed{}, err
	}
	s.log.Info("member removed", "by", who.AccountID)
	return rpc.Removed{Removed: true}, nil
}

// orgRef names the organization with id, for a member's account.
func (s *Server) orgRef(id string) *rpc.OrgRef {
	ref := &rpc.OrgRef{ID: id}
	if o, ok := s.svc.Directory().Organization(id); ok {
		ref.Name = o.Name
	}
	return ref
}

// account is a as the API shows it; ref names a member's organization.
func account(a org.Account, ref func(id string) *rpc.OrgRef) rpc.Account {
	out := rpc.Account{ID: a.ID, Email: a.Email, Role: string(a.Role), CreatedAt: a.CreatedAt}
	if a.Role.Member() && ref != nil {
		out.Org = ref(a.OrgID)
	}
	if !a.LastLoginAt.IsZero() {
		at := a.LastLoginAt
		out.LastLoginAt = &at
	}
	return out
}

func accountList(page org.AccountPage, ref func(id string) *rpc.OrgRef) rpc.AccountList {
	out := rpc.AccountList{Items: make([]rpc.Account, len(page.Items)), NextCursor: page.NextCursor, Total: page.Total}
	var orgRef *rpc.OrgRef // a page of members is of one organization
	for i, a := range page.Items {
		if a.Role.Member() && ref != nil && (orgRef == nil || orgRef.ID != a.OrgID) {
			orgRef = ref(a.OrgID)
		}
		out.Items[i] = account(a, func(string) *rpc.OrgRef { return orgRef })
	}
	return out
}
