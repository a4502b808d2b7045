package rpc

import (
	"context"
	"time"
)

// Methods on accounts (SPEC §8): operators, the members of organizations,
// one's own password and sessions.
const (
	MethodOperatorList   = "operator.list"
	MethodOperatorCreate = "operator.create"
	MethodOperatorUpdate = "operator.update"
	MethodOperatorDelete = "operator.delete"
	MethodMemberList     = "member.list"
	MethodMemberAdd      = "member.add"
	MethodMemberUpdate   = "member.update"
	MethodMemberRemove   = "member.remove"
	MethodAuthPassword   = "auth.password"
	MethodAuthLogout     = "auth.logout"
)

// Reasons in error.data.reason of the -32009 that keeps the last of a kind
// of account.
const (
	ReasonLastOperator = "last_operator" // operator.delete of the only operator
	ReasonLastAdmin    = "last_admin"    // member.remove or member.update of an organization's only admin
)

// Account is an operator, or a member (admin or viewer) of one
// organization. Times are RFC 3339, UTC.
type Account struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Role        string     `json:"role" doc:"operator, admin or viewer"`
	Org         *OrgRef    `json:"org" doc:"the member's organization; null for an operator"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at" doc:"null until the account first logs in"`
}

// AccountList is the result of operator.list and member.list.
type AccountList struct {
	Items      []Account `json:"items" doc:"sorted by email, case-insensitively, then by id"`
	NextCursor string    `json:"next_cursor" doc:"pass as cursor for the next page; empty on the last page"`
	Total      int       `json:"total" doc:"every account of the list, on all pages"`
}

// OperatorListParams are the params of operator.list.
type OperatorListParams struct {
	Token  string `json:"token" doc:"an operator's token"`
	Limit  int    `json:"limit,omitempty" doc:"page size, 1–500; 50 when omitted"`
	Cursor string `json:"cursor,omitempty" doc:"next_cursor of the previous page"`
}

// OperatorCreateParams are the params of operator.create.
type OperatorCreateParams struct {
	Token    string `json:"token" doc:"an operator's token"`
	Email    string `json:"email" doc:"the new operator's email, unique across all accounts"`
	Password string `json:"password" doc:"8–72 bytes"`
}

// OperatorUpdateParams are the params of operator.update, which resets
// another operator's password (one's own is auth.password's).
type OperatorUpdateParams struct {
	Token    string `json:"token" doc:"an operator's token"`
	Email    string `json:"email" doc:"the operator to change"`
	Password string `json:"password" doc:"their new password, 8–72 bytes; revokes their tokens"`
}

// OperatorDeleteParams are the params of operator.delete.
type OperatorDeleteParams struct {
	Token string `json:"token" doc:"an operator's token"`
	Email string `json:"email" doc:"the operator to delete"`
}

// MemberListParams are the params of member.list.
type MemberListParams struct {
	Token  string `json:"token" doc:"from auth.login"`
	Org    string `json:"org" doc:"the organization's name or slug"`
	Limit  int    `json:"limit,omitempty" doc:"page size, 1–500; 50 when omitted"`
	Cursor string `json:"cursor,omitempty" doc:"next_cursor of the previous page"`
}

// MemberAddParams are the params of member.add.
type MemberAddParams struct {
	Token    string `json:"token" doc:"an operator's, or an admin's of the organization"`
	Org      string `json:"org" doc:"the organization's name or slug"`
	Email    string `json:"email" doc:"the new member's email, unique across all accounts"`
	Password string `json:"password" doc:"8–72 bytes"`
	Role     string `json:"role" doc:"admin or viewer"`
}

// MemberUpdateParams are the params of member.update. Omitted fields stay
// as they are; either change revokes the member's tokens.
type MemberUpdateParams struct {
	Token    string  `json:"token" doc:"an operator's, or an admin's of the organization"`
	Org      string  `json:"org" doc:"the organization's name or slug"`
	Email    string  `json:"email" doc:"the member to change"`
	Role     *string `json:"role,omitempty" doc:"admin or viewer; the organization's only admin stays admin"`
	Password *string `json:"password,omitempty" doc:"a new password, 8–72 bytes"`
}

// MemberRemoveParams are the params of member.remove.
type MemberRemoveParams struct {
	Token string `json:"token" doc:"an operator's, or an admin's of the organization"`
	Org   string `json:"org" doc:"the organization's name or slug"`
	Email string `json:"email" doc:"the member to remove"`
}

// Removed is the result of member.remove.
type Removed struct {
	Removed bool `json:"removed"`
}

// PasswordParams are the params of auth.password.
type PasswordParams struct {
	Token           string `json:"token" doc:"from auth.login"`
	CurrentPassword string `json:"current_password" doc:"the password the account logs in with now"`
	NewPassword     string `json:"new_password" doc:"8–72 bytes"`
}

// PasswordChanged is the result of auth.password.
type PasswordChanged struct {
	Changed bool `json:"changed"`
}

// LogoutParams are the params of auth.logout.
type LogoutParams struct {
	Token string `json:"token" doc:"from auth.login"`
	All   bool   `json:"all,omitempty" doc:"revoke every token of the account, not only this one"`
}

// LoggedOut is the result of auth.logout.
type LoggedOut struct {
	LoggedOut bool `json:"logged_out"`
}

// ListOperators calls operator.list.
func (c *Client) ListOperators(ctx context.Context, p OperatorListParams) (*AccountList, error) {
	var l AccountList
	return &l, c.Call(ctx, MethodOperatorList, p, &l)
}

// CreateOperator calls operator.create.
func (c *Client) CreateOperator(ctx context.Context, p OperatorCreateParams) (*Account, error) {
	var a Account
	return &a, c.Call(ctx, MethodOperatorCreate, p, &a)
}

// UpdateOperator calls operator.update: it gives the operator with email
// a new password and revokes their tokens.
func (c *Client) UpdateOperator(ctx context.Context, p OperatorUpdateParams) (*Account, error) {
	var a Account
	return &a, c.Call(ctx, MethodOperatorUpdate, p, &a)
}

// DeleteOperator calls operator.delete.
func (c *Client) DeleteOperator(ctx context.Context, token, email string) error {
	return c.Call(ctx, MethodOperatorDelete, OperatorDeleteParams{Token: token, Email: email}, nil)
}

// ListMembers calls member.list.
func (c *Client) ListMembers(ctx context.Context, p MemberListParams) (*AccountList, error) {
	var l AccountList
	return &l, c.Call(ctx, MethodMemberList, p, &l)
}

// AddMember calls member.add.
func (c *Client) AddMember(ctx context.Context, p MemberAddParams) (*Account, error) {
	var a Account
	return &a, c.Call(ctx, MethodMemberAdd, p, &a)
}

// UpdateMember calls member.update.
func (c *Client) UpdateMember(ctx context.Context, p MemberUpdateParams) (*Account, error) {
	var a Account
	return &a, c.Call(ctx, MethodMemberUpdate, p, &a)
}

// RemoveMember calls member.remove.
func (c *Client) RemoveMember(ctx context.Context, p MemberRemoveParams) error {
	return c.Call(ctx, MethodMemberRemove, p, nil)
}

// ChangePassword calls auth.password. It revokes every token of the
// account, the one it was called with included: log in again with the new
// password.
func (c *Client) ChangePassword(ctx context.Context, token, current, next string) error {
	return c.Call(ctx, MethodAuthPassword, PasswordParams{Token: token, CurrentPassword: current, NewPassword: next}, nil)
}

// Logout calls auth.logout: it revokes token, or with all every token of
// its account.
func (c *Client) Logout(ctx context.Context, token string, all bool) error {
	return c.Call(ctx, MethodAuthLogout, LogoutParams{Token: token, All: all}, nil)
}

// SuspendOrg calls org.suspend.
func (c *Client) SuspendOrg(ctx context.Context, token, name, reason string) (*Organization, error) {
	var o Organization
	return &o, c.Call(ctx, MethodOrgSuspend, OrgSuspendParams{Token: token, Name: name, Reason: reason}, &o)
}

// ResumeOrg calls org.resume.
func (c *Client) ResumeOrg(ctx context.Context, token, name string) (*Organization, error) {
	var o Organization
	return &o, c.Call(ctx, MethodOrgResume, OrgNameParams{Token: token, Name: name}, &o)
}
