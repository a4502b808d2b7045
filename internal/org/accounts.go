package org

import (
	"context"
	"fmt"
)

// The rules of accounts (SPEC §8). Operators manage every account; an
// organization's admins manage its members; viewers only read; anyone
// changes their own password and ends their own sessions. There is always
// at least one operator, and every organization keeps at least one admin:
// the directory gives a quick answer, and the store makes it hold when
// daemons race. Every change is written to the audit trail, with who did
// it, to whom, and from where; never a password, a hash or a token.

// AccountFilter selects a page of accounts.
type AccountFilter struct {
	// Limit is the page size: 1–500, 50 when zero.
	Limit int
	// Cursor continues from the end of an earlier page.
	Cursor string
}

// AccountPage is one page of accounts, sorted by email case-insensitively
// and then by id.
type AccountPage struct {
	Items []Account
	// NextCursor continues after the last item; empty on the last page.
	NextCursor string
	// Total counts the accounts on all pages.
	Total int
}

// MemberUpdate changes a member; nil fields stay as they are.
type MemberUpdate struct {
	Role     *Role
	Password *string
}

func checkAccountFilter(f AccountFilter) error {
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return Invalidf("limit", "out_of_range", "limit must be 1–%d", MaxPageSize)
	}
	return nil
}

func onlyOperators(p *Principal) error {
	if p.Role != RoleOperator {
		return errForbidden("only operators may manage operators")
	}
	return nil
}

// ListOperators returns one page of the operators. Operators only.
func (s *Service) ListOperators(p *Principal, f AccountFilter) (AccountPage, error) {
	if err := onlyOperators(p); err != nil {
		return AccountPage{}, err
	}
	if err := checkAccountFilter(f); err != nil {
		return AccountPage{}, err
	}
	return s.dir.Operators(f)
}

// CreateOperator creates an operator account. Operators only; ECONFLICT
// when the email is taken.
func (s *Service) CreateOperator(ctx context.Context, p *Principal, email, password string) (Account, error) {
	if err := onlyOperators(p); err != nil {
		return Account{}, err
	}
	return s.createOperator(ctx, p, email, password, false)
}

// CreateOperatorLocally creates an operator for orgd operator create,
// which holds the store itself: there is no token to check, and the
// change is audited as orgd's own.
func (s *Service) CreateOperatorLocally(ctx context.Context, email, password string) (Account, error) {
	return s.createOperator(ctx, &Principal{Peer: "local"}, email, password, false)
}

// createOperator creates an operator. With first set it is the bootstrap:
// it fails with EFORBIDDEN once any operator has been created.
func (s *Service) createOperator(ctx context.Context, p *Principal, email, password string, first bool) (Account, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Account{}, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return Account{}, err
	}
	if err := s.emailFree("email", email); err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	now := s.now().UTC()
	op, err := s.store.CreateAccount(ctx, Account{
		ID: NewID(), Email: email, Role: RoleOperator, State: StateProvisioning,
		PasswordHash: hash, CredVersion: 1, CreatedAt: now, UpdatedAt: now,
	}, first)
	if err != nil {
		return Account{}, err
	}
	action := "operator.create"
	if first {
		action, p.AccountID, p.Email, p.Role = "auth.bootstrap", op.ID, op.Email, RoleOperator
	}
	s.record(ctx, p, AuditEntry{Action: action, Target: op.Email})
	return op, nil
}

// DeleteOperator deletes the operator with email; their tokens stop
// working. Operators only. ENOTFOUND when no operator has that email;
// ECONFLICT with Reason ReasonLastOperator for the only one.
func (s *Service) DeleteOperator(ctx context.Context, p *Principal, email string) error {
	if err := onlyOperators(p); err != nil {
		return err
	}
	op, err := s.operatorByEmail(email)
	if err != nil {
		return err
	}
	if s.dir.OperatorCount() <= 1 {
		return errLastOperator()
	}
	if err := s.store.RemoveAccount(ctx, op.ID); err != nil {
		return err
	}
	s.record(ctx, p, AuditEntry{Action: "operator.delete", Target: op.Email})
	return nil
}

func errLastOperator() *Error {
	return &Error{Code: ECONFLICT, Field: "email", Reason: ReasonLastOperator,
		Message: "this is the only operator; add another operator before deleting this one"}
}

func errLastAdmin(o Organization) *Error {
	return &Error{Code: ECONFLICT, Field: "email", Reason: ReasonLastAdmin,
		Message: fmt.Sprintf("this is the only admin of %s; make another member admin first", o.Name)}
}

func (s *Service) operatorByEmail(email string) (Account, error) {
	if email == "" {
		return Account{}, Invalidf("email", "required", "email is required")
	}
	a, ok := s.dir.AccountByEmail(email)
	if !ok || a.Role != RoleOperator {
		return Account{}, &Error{Code: ENOTFOUND, Field: "email", Message: fmt.Sprintf("no operator with the email %s", email)}
	}
	return a, nil
}

// ResetOperatorPassword gives the operator with email a new password and
// revokes their tokens. Operators only (operator.update): for one who
// lost their password; one's own is ChangePassword's.
func (s *Service) ResetOperatorPassword(ctx context.Context, p *Principal, email, password string) (Account, error) {
	if err := onlyOperators(p); err != nil {
		return Account{}, err
	}
	return s.resetOperatorPassword(ctx, p, email, password, "")
}

// ResetOperatorPasswordLocally is ResetOperatorPassword for orgd operator
// reset-password, which holds the store itself: the way back in for a
// team that lost every password.
func (s *Service) ResetOperatorPasswordLocally(ctx context.Context, email, password string) (Account, error) {
	return s.resetOperatorPassword(ctx, &Principal{Peer: "local"}, email, password, "reset on the command line")
}

func (s *Service) resetOperatorPassword(ctx context.Context, p *Principal, email, password, detail string) (Account, error) {
	op, err := s.operatorByEmail(email)
	if err != nil {
		return Account{}, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	if op, err = s.store.UpdateAccount(ctx, op.ID, AccountChange{PasswordHash: hash}); err != nil {
		return Account{}, err
	}
	s.record(ctx, p, AuditEntry{Action: "operator.password", Target: op.Email, Detail: detail})
	return op, nil
}

// ListMembers returns one page of an organization's members. Operators and
// the organization's members may list.
func (s *Service) ListMembers(p *Principal, orgName string, f AccountFilter) (AccountPage, error) {
	o, err := s.Organization(p, orgName)
	if err != nil {
		return AccountPage{}, err
	}
	if err := checkAccountFilter(f); err != nil {
		return AccountPage{}, err
	}
	return s.dir.Members(o.ID, f)
}

func parseRole(field string, r Role) (Role, error) {
	switch r {
	case RoleAdmin, RoleViewer:
		return r, nil
	case "":
		return "", Invalidf(field, "required", "role is required: admin or viewer")
	}
	return "", Invalidf(field, "invalid", "role %q is not a member's role: admin or viewer", r)
}

// AddMember adds a member to an organization. Operators and the
// organization's admins may. ECONFLICT when the email is taken.
func (s *Service) AddMember(ctx context.Context, p *Principal, orgName, email, password string, role Role) (Account, error) {
	o, err := s.manageable(p, orgName)
	if err != nil {
		return Account{}, err
	}
	if email, err = NormalizeEmail("email", email); err != nil {
		return Account{}, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return Account{}, err
	}
	if role, err = parseRole("role", role); err != nil {
		return Account{}, err
	}
	if err := s.emailFree("email", email); err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	now := s.now().UTC()
	a, err := s.store.CreateAccount(ctx, Account{
		ID: NewID(), Email: email, Role: role, OrgID: o.ID, State: StateProvisioning,
		PasswordHash: hash, CredVersion: 1, CreatedAt: now, UpdatedAt: now,
	}, false)
	if err != nil {
		return Account{}, err
	}
	s.record(ctx, p, AuditEntry{Action: "member.add", OrgID: o.ID, OrgName: o.Name, Target: a.Email, Detail: "role " + string(role)})
	return a, nil
}

// member returns the member of o with email; ENOTFOUND naming the email
// when there is none.
func (s *Service) member(o Organization, email string) (Account, error) {
	if email == "" {
		return Account{}, Invalidf("email", "required", "email is required")
	}
	a, ok := s.dir.AccountByEmail(email)
	if !ok || a.OrgID != o.ID {
		return Account{}, &Error{Code: ENOTFOUND, Field: "email", Message: fmt.Sprintf("%s has no member with the email %s", o.Name, email)}
	}
	return a, nil
}

// UpdateMember changes a member's role or password; either revokes the
// member's tokens. Operators and the organization's admins may.
// ECONFLICT with Reason ReasonLastAdmin when it would leave the
// organization without an admin.
func (s *Service) UpdateMember(ctx context.Context, p *Principal, orgName, email string, u MemberUpdate) (Account, error) {
	o, err := s.manageable(p, orgName)
	if err != nil {
		return Account{}, err
	}
	a, err := s.member(o, email)
	if err != nil {
		return Account{}, err
	}
	var c AccountChange
	if u.Role != nil {
		if c.Role, err = parseRole("role", *u.Role); err != nil {
			return Account{}, err
		}
		if c.Role == a.Role {
			c.Role = ""
		} else if a.Role == RoleAdmin && s.dir.AdminCount(o.ID) <= 1 {
			return Account{}, errLastAdmin(o)
		}
	}
	if u.Password != nil {
		if err := ValidatePassword("password", *u.Password); err != nil {
			return Account{}, err
		}
		if c.PasswordHash, err = s.hasher.Hash(ctx, *u.Password); err != nil {
			return Account{}, err
		}
	}
	if c.Role == "" && c.PasswordHash == nil {
		return a, nil
	}
	updated, err := s.store.UpdateAccount(ctx, a.ID, c)
	if err != nil {
		return Account{}, err
	}
	if c.Role != "" {
		s.record(ctx, p, AuditEntry{Action: "member.role", OrgID: o.ID, OrgName: o.Name, Target: a.Email, Detail: fmt.Sprintf("%s -> %s", a.Role, c.Role)})
	}
	if c.PasswordHash != nil {
		s.record(ctx, p, AuditEntry{Action: "member.password", OrgID: o.ID, OrgName: o.Name, Target: a.Email})
	}
	return updated, nil
}

// RemoveMember removes a member from an organization; their tokens stop
// working. Operators and the organization's admins may. ECONFLICT with
// Reason ReasonLastAdmin for its only admin.
func (s *Service) RemoveMember(ctx context.Context, p *Principal, orgName, email string) error {
	o, err := s.manageable(p, orgName)
	if err != nil {
		return err
	}
	a, err := s.member(o, email)
	if err != nil {
		return err
	}
	if a.Role == RoleAdmin && s.dir.AdminCount(o.ID) <= 1 {
		return errLastAdmin(o)
	}
	if err := s.store.RemoveAccount(ctx, a.ID); err != nil {
		return err
	}
	s.record(ctx, p, AuditEntry{Action: "member.remove", OrgID: o.ID, OrgName: o.Name, Target: a.Email, Detail: "role " + string(a.Role)})
	return nil
}

// ChangePassword changes the caller's own password, which they confirm
// with the current one, and revokes every token of their account, the
// caller's included. A wrong current password is EUNAUTHENTICATED and
// counts against the email like a failed login (ETHROTTLED past the
// limit).
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	if err := validateLoginPassword("current_password", current); err != nil {
		return err
	}
	if err := ValidatePassword("new_password", next); err != nil {
		return err
	}
	key := EmailKey(p.Email)
	if wait := s.throttle.Check(key, p.Peer, s.now()); wait > 0 {
		return throttled(wait)
	}
	a, ok := s.dir.Account(p.AccountID)
	if !ok {
		return Errorf(EUNAUTHENTICATED, "the token was revoked; log in again")
	}
	match, err := s.hasher.Compare(ctx, a.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	if !match {
		s.throttle.Fail(key, p.Peer, s.now())
		return &Error{Code: EUNAUTHENTICATED, Field: "current_password", Message: "the current password is wrong"}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	if _, err := s.store.UpdateAccount(ctx, a.ID, AccountChange{PasswordHash: hash}); err != nil {
		return err
	}
	s.record(ctx, p, AuditEntry{Action: "auth.password", OrgID: a.OrgID, OrgName: s.orgName(a.OrgID), Target: a.Email})
	return nil
}

// Logout revokes the caller's token, or with all every token of their
// account, on every daemon sharing the store.
func (s *Service) Logout(ctx context.Context, p *Principal, all bool) error {
	if all {
		if _, err := s.store.UpdateAccount(ctx, p.AccountID, AccountChange{Revoke: true}); err != nil {
			return err
		}
		s.record(ctx, p, AuditEntry{Action: "auth.logout_all", OrgID: p.OrgID, OrgName: s.orgName(p.OrgID), Target: p.Email})
		return nil
	}
	return s.store.RevokeToken(ctx, p.TokenID, p.AccountID, p.ExpiresAt)
}

// OrgName returns the name of the organization with id, "" when there is
// none (or id is empty, as an operator's is).
func (s *Service) OrgName(id string) string { return s.orgName(id) }

func (s *Service) orgName(id string) string {
	if id == "" {
		return ""
	}
	o, _ := s.dir.Organization(id)
	return o.Name
}
