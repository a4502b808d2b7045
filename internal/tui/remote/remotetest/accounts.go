package remotetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/orgd/orgd/rpc"
)

// The accounts of the fake behave as orgd's (SPEC §8): operators may do
// everything; an admin manages their own organization and its members; a
// viewer may only read (org.get, org.stats, org.list, member.list,
// data.find and data.count); an organization keeps at least one admin and
// orgd at least one operator (-32009 with reason last_admin or
// last_operator); a password, role change or removal revokes the
// account's tokens; the members of a suspended organization are refused
// every call (and login, after a right password) with -32010, and changes
// to it are refused for everyone, deletion by an operator aside.

// account is an account of the fake.
type account struct {
	rpc.Account
	orgID    string // the member's organization; empty for an operator
	password string
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return Epoch
}

func (f *Fake) role() string {
	if f.Role == "" {
		return rpc.RoleOperator
	}
	return f.Role
}

// memberOrg returns the ID of the organization of Accounts and Token, or
// empty for an operator (or when there is none).
func (f *Fake) memberOrg() string {
	if f.role() == rpc.RoleOperator {
		return ""
	}
	if f.MemberOf != "" {
		if i := f.find(f.MemberOf); i >= 0 {
			return f.Orgs[i].ID
		}
		return ""
	}
	if len(f.Orgs) > 0 {
		return f.Orgs[0].ID
	}
	return ""
}

// sync takes in the accounts of Accounts it does not have yet and gives every organization the admins
// it names that have no account yet (they cannot log in: their password
// is unknown). It is called with f.mu held, by every call.
func (f *Fake) sync() {
	if f.accts == nil {
		f.accts = make(map[string]*account)
		f.members = make(map[string][]*account)
		f.tokens = make(map[string]string)
	}
	if len(f.Accounts) > 0 {
		emails := slices.Sorted(maps.Keys(f.Accounts))
		for _, e := range emails {
			if _, ok := f.accts[strings.ToLower(e)]; !ok {
				f.addAccount(e, f.Accounts[e], f.role(), f.memberOrg(), f.now())
			}
		}
		if f.tokenOwner == "" {
			f.tokenOwner = strings.ToLower(emails[0])
		}
	}
	for _, o := range f.Orgs {
		admins := o.Admins
		if len(admins) == 0 && o.AdminEmail != "" {
			admins = []string{o.AdminEmail}
		}
		for i, e := range admins {
			if _, ok := f.accts[strings.ToLower(e)]; !ok {
				f.addAccount(e, "", rpc.RoleAdmin, o.ID, o.CreatedAt.Add(time.Duration(i)*time.Second))
			}
		}
	}
}

func (f *Fake) addAccount(email, password, role, orgID string, at time.Time) *account {
	f.nextID++
	a := &account{Account: rpc.Account{ID: fmt.Sprintf("acct%04d", f.nextID), Email: email, Role: role, CreatedAt: at},
		orgID: orgID, password: password}
	f.accts[strings.ToLower(email)] = a
	if orgID != "" {
		f.members[orgID] = append(f.members[orgID], a)
	}
	return a
}

func (f *Fake) removeAccount(a *account) {
	f.revoke(a)
	delete(f.accts, strings.ToLower(a.Email))
	delete(f.sshKeys, strings.ToLower(a.Email))
	if a.orgID != "" {
		f.members[a.orgID] = slices.DeleteFunc(f.members[a.orgID], func(b *account) bool { return b == a })
	}
	for k := range f.Accounts {
		if strings.EqualFold(k, a.Email) {
			delete(f.Accounts, k)
		}
	}
}

func (f *Fake) renameAccount(a *account, email string) {
	delete(f.accts, strings.ToLower(a.Email))
	if f.tokenOwner == strings.ToLower(a.Email) {
		f.tokenOwner = strings.ToLower(email)
	}
	for t, e := range f.tokens {
		if e == strings.ToLower(a.Email) {
			f.tokens[t] = strings.ToLower(email)
		}
	}
	if keys, ok := f.sshKeys[strings.ToLower(a.Email)]; ok {
		delete(f.sshKeys, strings.ToLower(a.Email))
		for i := range keys {
			keys[i].Email = email
		}
		f.sshKeys[strings.ToLower(email)] = keys
	}
	a.Email = email
	f.accts[strings.ToLower(email)] = a
}

// revoke ends every session of a.
func (f *Fake) revoke(a *account) {
	key := strings.ToLower(a.Email)
	for t, e := range f.tokens {
		if e == key {
			delete(f.tokens, t)
		}
	}
	if f.tokenOwner == key {
		f.tokenRevoked = true
	}
}

// admins returns the admins of organization id, oldest first.
func (f *Fake) admins(id string) []*account {
	var out []*account
	for _, a := range f.members[id] {
		if a.Role == rpc.RoleAdmin {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *account) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

// view returns o as orgd shows it: its admins and its count of members
// from the accounts.
func (f *Fake) view(o rpc.Organization) rpc.Organization {
	admins := f.admins(o.ID)
	o.Admins = make([]string, len(admins))
	for i, a := range admins {
		o.Admins[i] = a.Email
	}
	if len(admins) > 0 {
		o.AdminEmail = admins[0].Email
	}
	o.Members = len(f.members[o.ID])
	return o
}

func (f *Fake) adminMatches(o rpc.Organization, q string) bool {
	if strings.Contains(strings.ToLower(o.AdminEmail), q) {
		return true
	}
	for _, a := range f.admins(o.ID) {
		if strings.Contains(strings.ToLower(a.Email), q) {
			return true
		}
	}
	return false
}

func (f *Fake) ref(orgID string) *rpc.OrgRef {
	if orgID == "" {
		return nil
	}
	for _, o := range f.Orgs {
		if o.ID == orgID {
			return &rpc.OrgRef{ID: o.ID, Name: o.Name}
		}
	}
	return &rpc.OrgRef{ID: orgID}
}

// public returns a as orgd shows it.
func (f *Fake) public(a *account) rpc.Account {
	out := a.Account
	out.Org = f.ref(a.orgID)
	return out
}

func unauthenticated() error {
	return &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "the token is invalid or expired; log in again"}
}

func forbidden(msg string) error {
	return &rpc.Error{Code: rpc.CodeForbidden, Message: msg}
}

func conflict(field, reason, msg string) error {
	return &rpc.Error{Code: rpc.CodeConflict, Message: msg, Data: &rpc.ErrorData{Field: field, Reason: reason}}
}

func suspended(o rpc.Organization) error {
	msg := fmt.Sprintf("organization %q is suspended", o.Name)
	if o.SuspendReason != "" {
		msg += ": " + o.SuspendReason
	}
	return &rpc.Error{Code: rpc.CodeSuspended, Message: msg + "; an operator can resume it", Data: &rpc.ErrorData{Reason: "suspended"}}
}

// caller returns the holder of token: -32001 when there is none (or the
// token was revoked), -32010 when they are a member of a suspended
// organization. It also syncs the accounts, so every call makes it first.
func (f *Fake) caller(token string) (*account, error) {
	f.sync()
	var a *account
	switch {
	case token == Token && f.tokenRevoked:
		return nil, unauthenticated()
	case token == Token && f.tokenOwner != "":
		a = f.accts[f.tokenOwner]
	case token == Token:
		a = &account{Account: rpc.Account{ID: "caller", Email: "caller@example.com", Role: f.role(), CreatedAt: f.now()}, orgID: f.memberOrg()}
	case token != "":
		a = f.accts[f.tokens[token]]
	}
	if a == nil {
		return nil, unauthenticated()
	}
	if a.orgID != "" {
		i := slices.IndexFunc(f.Orgs, func(o rpc.Organization) bool { return o.ID == a.orgID })
		if i >= 0 && f.Orgs[i].State == rpc.StateSuspended {
			return nil, suspended(f.Orgs[i])
		}
	}
	return a, nil
}

// visible returns the index of the organization named name if c may see
// it: operators see all, members their own; -32004 otherwise, so that
// names cannot be probed.
func (f *Fake) visible(c *account, name string) (int, error) {
	i := f.find(name)
	if i < 0 || (c.orgID != "" && f.Orgs[i].ID != c.orgID) {
		return -1, notFound(name)
	}
	return i, nil
}

// mayChange checks that c may change organization i, its members or its
// data: not a viewer, and not while it is suspended.
func (f *Fake) mayChange(c *account, i int) error {
	if c.Role == rpc.RoleViewer {
		return forbidden("viewers may only read")
	}
	if f.Orgs[i].State == rpc.StateSuspended {
		return suspended(f.Orgs[i])
	}
	return nil
}

// checkPassword refuses a password orgd would refuse.
func checkPassword(field, password string) error {
	if len(password) < 8 || len(password) > 72 {
		return invalid(field, "length", "a password has 8 to 72 bytes; this one has %d", len(password))
	}
	return nil
}

// checkNewAccount refuses an email that is not one or is taken, and a
// password orgd would refuse (when passwordField is not empty).
func (f *Fake) checkNewAccount(emailField, email, passwordField, password string) error {
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " \t") {
		return invalid(emailField, "format", "%q is not an email address like name@example.com", email)
	}
	if _, taken := f.accts[strings.ToLower(email)]; taken {
		return conflict(emailField, "taken", fmt.Sprintf("the email %s is taken by another account", email))
	}
	if passwordField != "" {
		return checkPassword(passwordField, password)
	}
	return nil
}

// session starts a session of a: Token for the holder of Token, a new
// token otherwise.
func (f *Fake) session(a *account) *rpc.Session {
	at := f.now()
	a.LastLoginAt = &at
	token := Token
	if strings.ToLower(a.Email) == f.tokenOwner {
		f.tokenRevoked = false
	} else {
		f.nextID++
		token = fmt.Sprintf("token-%04d", f.nextID)
		f.tokens[token] = strings.ToLower(a.Email)
	}
	return &rpc.Session{Token: token, TokenType: "Bearer", ExpiresAt: f.Expires, Role: a.Role, Org: f.ref(a.orgID)}
}

// Login checks the email and password; a member of a suspended
// organization gets -32010 after a right password.
func (f *Fake) Login(_ context.Context, email, password string) (*rpc.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodAuthLogin, rpc.LoginParams{Email: email}); err != nil {
		return nil, err
	}
	f.sync()
	a := f.accts[strings.ToLower(email)]
	if a == nil || a.password == "" || a.password != password {
		return nil, &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "wrong email or password"}
	}
	if i := slices.IndexFunc(f.Orgs, func(o rpc.Organization) bool { return o.ID == a.orgID }); a.orgID != "" && i >= 0 &&
		f.Orgs[i].State == rpc.StateSuspended {
		return nil, suspended(f.Orgs[i])
	}
	return f.session(a), nil
}

// Bootstrap creates the first operator, as orgd does: -32003 once one
// exists, -32602 on the email field for an invalid email. The operator
// holds Token.
func (f *Fake) Bootstrap(_ context.Context, email, password string) (*rpc.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodAuthBootstrap, rpc.LoginParams{Email: email}); err != nil {
		return nil, err
	}
	f.sync()
	if f.HasOperator {
		return nil, &rpc.Error{Code: rpc.CodeForbidden, Message: "an operator already exists; log in with auth.login"}
	}
	if !strings.Contains(email, "@") {
		return nil, invalid("email", "format", "%q is not an email address like name@example.com", email)
	}
	f.HasOperator = true
	if f.Accounts == nil {
		f.Accounts = make(map[string]string)
	}
	f.Accounts[email] = password
	a := f.addAccount(email, password, rpc.RoleOperator, "", f.now())
	f.tokenOwner = strings.ToLower(a.Email)
	return f.session(a), nil
}

// Whoami returns the token's holder.
func (f *Fake) Whoami(_ context.Context, token string) (*rpc.Whoami, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodAuthWhoami, nil); err != nil {
		return nil, err
	}
	c, err := f.caller(token)
	if err != nil {
		return nil, err
	}
	return &rpc.Whoami{ID: c.ID, Email: c.Email, Role: c.Role, Org: f.ref(c.orgID)}, nil
}

// ChangePassword changes the caller's own password and revokes every
// token of theirs, this one included. A wrong current password is -32001,
// as a wrong password at login.
func (f *Fake) ChangePassword(_ context.Context, token, current, next string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodAuthPassword, nil); err != nil {
		return err
	}
	c, err := f.caller(token)
	if err != nil {
		return err
	}
	if c.password == "" || c.password != current {
		return &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "wrong email or password"}
	}
	if err := checkPassword("new_password", next); err != nil {
		return err
	}
	c.password = next
	for k := range f.Accounts {
		if strings.EqualFold(k, c.Email) {
			f.Accounts[k] = next
		}
	}
	f.revoke(c)
	return nil
}

// Logout revokes token, or with all every token of its holder.
func (f *Fake) Logout(_ context.Context, token string, all bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodAuthLogout, rpc.LogoutParams{All: all}); err != nil {
		return err
	}
	c, err := f.caller(token)
	if err != nil {
		return err
	}
	switch {
	case all:
		f.revoke(c)
	case token == Token:
		f.tokenRevoked = true
	default:
		delete(f.tokens, token)
	}
	return nil
}

// SuspendOrg suspends an organization: operators only.
func (f *Fake) SuspendOrg(_ context.Context, token, name, reason string) (*rpc.Organization, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOrgSuspend, rpc.OrgSuspendParams{Name: name, Reason: reason}); err != nil {
		return nil, err
	}
	i, err := f.operatorOrg(token, name)
	if err != nil {
		return nil, err
	}
	o := &f.Orgs[i]
	switch {
	case o.State == rpc.StateSuspended:
		return nil, conflict("name", "suspended", fmt.Sprintf("organization %q is suspended already", o.Name))
	case len([]rune(reason)) > 256:
		return nil, invalid("reason", "too_long", "a reason has at most 256 characters")
	}
	at := f.now()
	o.State, o.SuspendedAt, o.SuspendReason = rpc.StateSuspended, &at, reason
	o.UpdatedAt = o.UpdatedAt.Add(time.Minute)
	f.record(token, "org.suspend", *o, reason)
	out := f.view(*o)
	return &out, nil
}

// ResumeOrg resumes a suspended organization: operators only.
func (f *Fake) ResumeOrg(_ context.Context, token, name string) (*rpc.Organization, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOrgResume, rpc.OrgNameParams{Name: name}); err != nil {
		return nil, err
	}
	i, err := f.operatorOrg(token, name)
	if err != nil {
		return nil, err
	}
	o := &f.Orgs[i]
	if o.State != rpc.StateSuspended {
		return nil, conflict("name", "not_suspended", fmt.Sprintf("organization %q is not suspended", o.Name))
	}
	o.State, o.SuspendedAt, o.SuspendReason = rpc.StateActive, nil, ""
	o.UpdatedAt = o.UpdatedAt.Add(time.Minute)
	f.record(token, "org.resume", *o, "")
	out := f.view(*o)
	return &out, nil
}

// operatorOrg returns the organization named name for an operator's
// token; -32003 for anyone else.
func (f *Fake) operatorOrg(token, name string) (int, error) {
	c, err := f.caller(token)
	if err != nil {
		return -1, err
	}
	if c.Role != rpc.RoleOperator {
		return -1, forbidden("only operators may do this")
	}
	return f.visible(c, name)
}

// operator checks that token is an operator's.
func (f *Fake) operator(token string) error {
	c, err := f.caller(token)
	if err != nil {
		return err
	}
	if c.Role != rpc.RoleOperator {
		return forbidden("only operators may do this")
	}
	return nil
}

// page pages through accounts sorted by email (case-insensitively), then
// id; the cursor is the index of the next one.
func (f *Fake) page(accts []*account, cursor string, limit int) *rpc.AccountList {
	slices.SortFunc(accts, func(a, b *account) int {
		return cmp.Or(compareFold(a.Email, b.Email), strings.Compare(a.ID, b.ID))
	})
	start := 0
	if cursor != "" {
		fmt.Sscan(cursor, &start)
	}
	if limit == 0 {
		limit = 50
	}
	end := min(len(accts), start+limit)
	out := &rpc.AccountList{Items: []rpc.Account{}, Total: len(accts)}
	for _, a := range accts[min(start, end):end] {
		out.Items = append(out.Items, f.public(a))
	}
	if end < len(accts) {
		out.NextCursor = fmt.Sprint(end)
	}
	return out
}

// ListOperators pages through the operators: operators only.
func (f *Fake) ListOperators(_ context.Context, p rpc.OperatorListParams) (*rpc.AccountList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodOperatorList, logged); err != nil {
		return nil, err
	}
	if err := f.operator(p.Token); err != nil {
		return nil, err
	}
	var ops []*account
	for _, a := range f.accts {
		if a.Role == rpc.RoleOperator {
			ops = append(ops, a)
		}
	}
	return f.page(ops, p.Cursor, p.Limit), nil
}

// CreateOperator adds an operator: operators only.
func (f *Fake) CreateOperator(_ context.Context, p rpc.OperatorCreateParams) (*rpc.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOperatorCreate, rpc.OperatorCreateParams{Email: p.Email}); err != nil {
		return nil, err
	}
	if err := f.operator(p.Token); err != nil {
		return nil, err
	}
	if err := f.checkNewAccount("email", p.Email, "password", p.Password); err != nil {
		return nil, err
	}
	out := f.public(f.addAccount(p.Email, p.Password, rpc.RoleOperator, "", f.now()))
	return &out, nil
}

// DeleteOperator removes an operator, never the last one: operators only.
func (f *Fake) DeleteOperator(_ context.Context, token, email string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOperatorDelete, rpc.OperatorDeleteParams{Email: email}); err != nil {
		return err
	}
	if err := f.operator(token); err != nil {
		return err
	}
	a := f.accts[strings.ToLower(email)]
	if a == nil || a.Role != rpc.RoleOperator {
		return &rpc.Error{Code: rpc.CodeNotFound, Message: fmt.Sprintf("no operator %s", email)}
	}
	n := 0
	for _, b := range f.accts {
		if b.Role == rpc.RoleOperator {
			n++
		}
	}
	if n <= 1 {
		return conflict("email", rpc.ReasonLastOperator, "the last operator cannot be deleted")
	}
	f.removeAccount(a)
	return nil
}

// UpdateOperator sets another operator's password and revokes their
// tokens, as operator.update does.
func (f *Fake) UpdateOperator(_ context.Context, p rpc.OperatorUpdateParams) (*rpc.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token, logged.Password = "", ""
	if err := f.begin(rpc.MethodOperatorUpdate, logged); err != nil {
		return nil, err
	}
	if err := f.operator(p.Token); err != nil {
		return nil, err
	}
	a := f.accts[strings.ToLower(p.Email)]
	if a == nil || a.Role != rpc.RoleOperator {
		return nil, &rpc.Error{Code: rpc.CodeNotFound, Message: fmt.Sprintf("no operator with the email %s", p.Email), Data: &rpc.ErrorData{Field: "email"}}
	}
	if err := checkPassword("password", p.Password); err != nil {
		return nil, err
	}
	a.password = p.Password
	f.revoke(a)
	out := f.public(a)
	return &out, nil
}

// membersOf returns the organization named name whose members c may list
// (change, when change is set: operators, and admins of it while it is
// not suspended).
func (f *Fake) membersOf(c *account, name string, change bool) (int, error) {
	i, err := f.visible(c, name)
	if err != nil {
		return -1, err
	}
	if change {
		if err := f.mayChange(c, i); err != nil {
			return -1, err
		}
	}
	return i, nil
}

// member returns the member email of organization i, or -32004.
func (f *Fake) member(i int, email string) (*account, error) {
	a := f.accts[strings.ToLower(email)]
	if a == nil || a.orgID != f.Orgs[i].ID {
		return nil, &rpc.Error{Code: rpc.CodeNotFound, Message: fmt.Sprintf("%s is not a member of %s", email, f.Orgs[i].Name)}
	}
	return a, nil
}

func checkRole(role string) error {
	if role != rpc.RoleAdmin && role != rpc.RoleViewer {
		return invalid("role", "invalid", "a member's role is admin or viewer, not %q", role)
	}
	return nil
}

// ListMembers pages through an organization's members: operators, and
// its members.
func (f *Fake) ListMembers(_ context.Context, p rpc.MemberListParams) (*rpc.AccountList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodMemberList, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	i, err := f.membersOf(c, p.Org, false)
	if err != nil {
		return nil, err
	}
	return f.page(slices.Clone(f.members[f.Orgs[i].ID]), p.Cursor, p.Limit), nil
}

// AddMember adds a member to an organization.
func (f *Fake) AddMember(_ context.Context, p rpc.MemberAddParams) (*rpc.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token, logged.Password = "", ""
	if err := f.begin(rpc.MethodMemberAdd, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	i, err := f.membersOf(c, p.Org, true)
	if err != nil {
		return nil, err
	}
	if err := checkRole(p.Role); err != nil {
		return nil, err
	}
	if err := f.checkNewAccount("email", p.Email, "password", p.Password); err != nil {
		return nil, err
	}
	out := f.public(f.addAccount(p.Email, p.Password, p.Role, f.Orgs[i].ID, f.now()))
	return &out, nil
}

// UpdateMember changes a member's role or password, never making the
// organization's last admin a viewer; either change revokes their tokens.
func (f *Fake) UpdateMember(_ context.Context, p rpc.MemberUpdateParams) (*rpc.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token, logged.Password = "", nil
	if err := f.begin(rpc.MethodMemberUpdate, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	i, err := f.membersOf(c, p.Org, true)
	if err != nil {
		return nil, err
	}
	a, err := f.member(i, p.Email)
	if err != nil {
		return nil, err
	}
	if p.Role != nil {
		if err := checkRole(*p.Role); err != nil {
			return nil, err
		}
		if a.Role == rpc.RoleAdmin && *p.Role != rpc.RoleAdmin && len(f.admins(a.orgID)) <= 1 {
			return nil, conflict("role", rpc.ReasonLastAdmin, "the organization's last admin stays admin")
		}
	}
	if p.Password != nil {
		if err := checkPassword("password", *p.Password); err != nil {
			return nil, err
		}
	}
	if p.Role != nil {
		a.Role = *p.Role
	}
	if p.Password != nil {
		a.password = *p.Password
	}
	if p.Role != nil || p.Password != nil {
		f.revoke(a)
	}
	out := f.public(a)
	return &out, nil
}

// RemoveMember removes a member, never the organization's last admin.
func (f *Fake) RemoveMember(_ context.Context, p rpc.MemberRemoveParams) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodMemberRemove, logged); err != nil {
		return err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return err
	}
	i, err := f.membersOf(c, p.Org, true)
	if err != nil {
		return err
	}
	a, err := f.member(i, p.Email)
	if err != nil {
		return err
	}
	if a.Role == rpc.RoleAdmin && len(f.admins(a.orgID)) <= 1 {
		return conflict("email", rpc.ReasonLastAdmin, "the organization's last admin cannot be removed")
	}
	f.removeAccount(a)
	return nil
}

// PutOperator adds an operator who logs in with password (and a token of
// their own).
func (f *Fake) PutOperator(email, password string) rpc.Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sync()
	return f.public(f.addAccount(email, password, rpc.RoleOperator, "", f.now()))
}

// PutMember adds a member of role to organization org (its name), who
// logs in with password. It panics when org does not exist: the test is
// wrong then.
func (f *Fake) PutMember(org, email, password, role string) rpc.Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sync()
	i := f.find(org)
	if i < 0 {
		panic("remotetest: no organization " + org)
	}
	return f.public(f.addAccount(email, password, role, f.Orgs[i].ID, f.now()))
}

// Account returns the account of email, as orgd shows it.
func (f *Fake) Account(email string) (rpc.Account, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sync()
	a := f.accts[strings.ToLower(email)]
	if a == nil {
		return rpc.Account{}, false
	}
	return f.public(a), true
}

// LogsIn reports whether email logs in with password.
func (f *Fake) LogsIn(email, password string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sync()
	a := f.accts[strings.ToLower(email)]
	return a != nil && a.password != "" && a.password == password
}

// Org returns the organization named name as orgd shows it.
func (f *Fake) Org(name string) (rpc.Organization, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sync()
	i := f.find(name)
	if i < 0 {
		return rpc.Organization{}, false
	}
	return f.view(f.Orgs[i]), true
}
