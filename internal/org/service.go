package org

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/orgd/orgd/internal/auth"
)

// Config holds the rules a Service runs under.
type Config struct {
	// AllowSignup lets anyone, without a token, create an organization.
	AllowSignup bool
	// MaxTenants refuses creates beyond this many organizations; 0 means no
	// limit.
	MaxTenants int
}

// Service carries out what accounts ask for, deciding who may do what. It
// reads from the Directory and writes through the Store.
type Service struct {
	store    Store
	dir      *Directory
	events   *Events
	hasher   *auth.Hasher
	signer   *auth.Signer
	throttle *auth.Throttle
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	health   health
}

// NewService returns a Service over store and dir. Events must be the hub
// dir publishes to.
func NewService(store Store, dir *Directory, events *Events, hasher *auth.Hasher, signer *auth.Signer, throttle *auth.Throttle, cfg Config, log *slog.Logger) *Service {
	return &Service{store: store, dir: dir, events: events, hasher: hasher, signer: signer, throttle: throttle, cfg: cfg, log: log, now: time.Now}
}

// Directory returns the directory the service reads.
func (s *Service) Directory() *Directory { return s.dir }

// Login checks email and password and returns a session. Unknown emails and
// wrong passwords get the same EUNAUTHENTICATED error after about the same
// time. ETHROTTLED when the email or the peer has failed too often.
func (s *Service) Login(ctx context.Context, email, password string, peer Peer) (Session, error) {
	if email == "" {
		return Session{}, Invalidf("email", "required", "email is required")
	}
	if err := validateLoginPassword(password); err != nil {
		return Session{}, err
	}
	key := EmailKey(email)
	if wait := s.throttle.Check(key, peer.Key, s.now()); wait > 0 {
		return Session{}, throttled(wait)
	}
	acct, found := s.dir.AccountByEmail(email)
	var hash []byte
	if found {
		hash = acct.PasswordHash
	}
	ok, err := s.hasher.Compare(ctx, hash, password)
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !ok || !found {
		s.throttle.Fail(key, peer.Key, s.now())
		return Session{}, errBadCredentials
	}
	s.throttle.Succeed(key)
	return s.session(acct)
}

// validateLoginPassword refuses only what bcrypt cannot check; a short
// password is simply wrong.
func validateLoginPassword(password string) error {
	switch {
	case password == "":
		return Invalidf("password", "required", "password is required")
	case len(password) > MaxPasswordBytes:
		return Invalidf("password", "too_long", "password has %d bytes; at most %d are allowed (bcrypt's limit)", len(password), MaxPasswordBytes)
	}
	return nil
}

func throttled(wait time.Duration) *Error {
	secs := int(math.Ceil(wait.Seconds()))
	return &Error{Code: ETHROTTLED, RetryAfter: wait, Message: fmt.Sprintf("too many attempts, retry in %d s", secs)}
}

func (s *Service) session(acct Account) (Session, error) {
	token, exp, err := s.signer.Issue(auth.NewClaims(acct.ID, acct.Email, string(acct.Role), acct.OrgID, acct.CredVersion))
	if err != nil {
		return Session{}, err
	}
	sess := Session{Token: token, ExpiresAt: exp, Role: acct.Role, OrgID: acct.OrgID}
	if acct.Role == RoleAdmin {
		if o, ok := s.dir.Organization(acct.OrgID); ok {
			sess.OrgName = o.Name
		}
	}
	return sess, nil
}

// Bootstrap creates the first operator and logs them in. Only a trusted peer
// (root or orgd's own user on the Unix socket) may call it, and only while
// no operator exists: EFORBIDDEN otherwise.
func (s *Service) Bootstrap(ctx context.Context, email, password string, peer Peer) (Session, error) {
	if !peer.Trusted {
		return Session{}, Errorf(EFORBIDDEN, "auth.bootstrap is only for root or orgd's own user, on the Unix socket")
	}
	if s.dir.HasOperator() {
		return Session{}, Errorf(EFORBIDDEN, "an operator already exists; log in with auth.login")
	}
	op, err := s.CreateOperator(ctx, email, password, true)
	if err != nil {
		return Session{}, err
	}
	acct, ok := s.dir.Account(RoleOperator, op.ID)
	if !ok {
		return Session{}, fmt.Errorf("bootstrap: operator %s missing from the directory", op.ID)
	}
	return s.session(acct)
}

// CreateOperator creates an operator account. With first set it is the
// bootstrap: it fails with EFORBIDDEN once any operator has been created.
func (s *Service) CreateOperator(ctx context.Context, email, password string, first bool) (Operator, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Operator{}, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return Operator{}, err
	}
	if _, taken := s.dir.AccountByEmail(email); taken {
		return Operator{}, &Error{Code: ECONFLICT, Field: "email", Message: fmt.Sprintf("the email %s is already in use", email)}
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Operator{}, err
	}
	now := s.now().UTC()
	op, err := s.store.CreateOperator(ctx, Operator{
		ID: NewID(), Email: email, State: StateProvisioning, PasswordHash: hash, CredVersion: 1, CreatedAt: now, UpdatedAt: now,
	}, first)
	if err != nil {
		return Operator{}, err
	}
	s.store.Audit(ctx, AuditEntry{At: now, Actor: op.ID, Role: RoleOperator, Action: "operator.create"})
	return op, nil
}

// Authenticate checks a token and returns who holds it. EUNAUTHENTICATED
// when the token is missing, malformed, badly signed, expired, or revoked
// (its account is gone or its password changed since it was issued).
func (s *Service) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, Errorf(EUNAUTHENTICATED, "a token is required: log in with auth.login and pass params.token")
	}
	c, err := s.signer.Verify(token)
	if err != nil {
		return nil, Errorf(EUNAUTHENTICATED, "the token is invalid or expired; log in again")
	}
	var acct Account
	var ok bool
	switch Role(c.Role) {
	case RoleOperator:
		acct, ok = s.dir.Account(RoleOperator, c.Subject)
	case RoleAdmin:
		acct, ok = s.dir.Account(RoleAdmin, c.Org)
		ok = ok && acct.ID == c.Subject
	}
	if !ok || acct.CredVersion != c.CredVersion {
		s.signer.Forget(token)
		return nil, Errorf(EUNAUTHENTICATED, "the token was revoked; log in again")
	}
	p := &Principal{AccountID: acct.ID, Email: acct.Email, Role: acct.Role, OrgID: acct.OrgID}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.Time
	}
	return p, nil
}

// CreateOrganization creates an organization with its admin and collection.
// p is nil for a caller without a token. Operators may create; anyone may
// when signup is allowed. EINVALID names the bad field; ECONFLICT names the
// organization that holds the slug or the email.
func (s *Service) CreateOrganization(ctx context.Context, p *Principal, c OrganizationCreate) (Organization, error) {
	if !s.cfg.AllowSignup {
		if p == nil {
			return Organization{}, Errorf(EUNAUTHENTICATED, "a token is required to create an organization")
		}
		if p.Role != RoleOperator {
			return Organization{}, Errorf(EFORBIDDEN, "only operators may create organizations")
		}
	}
	if err := ValidateName(c.Name); err != nil {
		return Organization{}, err
	}
	slug, _ := Slug(c.Name)
	email, err := NormalizeEmail("admin_email", c.AdminEmail)
	if err != nil {
		return Organization{}, err
	}
	if err := ValidatePassword("admin_password", c.AdminPassword); err != nil {
		return Organization{}, err
	}
	if s.cfg.MaxTenants > 0 && s.dir.Len() >= s.cfg.MaxTenants {
		return Organization{}, &Error{Code: EFORBIDDEN, Reason: "max_tenants", Message: fmt.Sprintf("orgd holds its maximum of %d organizations (--max-tenants)", s.cfg.MaxTenants)}
	}
	// These checks give a quick, clear answer; the store's claims are what
	// make the outcome right when two creates race.
	if err := s.checkFree(slug, "name", email, "admin_email", ""); err != nil {
		return Organization{}, err
	}
	hash, err := s.hasher.Hash(ctx, c.AdminPassword)
	if err != nil {
		return Organization{}, err
	}
	now := s.now().UTC()
	o, err := s.store.CreateOrganization(ctx, Organization{
		ID:           NewID(),
		Name:         c.Name,
		Slug:         slug,
		Collection:   CollectionName(slug),
		AdminID:      NewID(),
		AdminEmail:   email,
		State:        StateProvisioning,
		CreatedAt:    now,
		UpdatedAt:    now,
		PasswordHash: hash,
		CredVersion:  1,
	})
	if err != nil {
		return Organization{}, err
	}
	s.audit(ctx, p, "org.create", o.ID, o.Name)
	return o, nil
}

// checkFree reports ECONFLICT when slug or email belongs to anyone but self.
func (s *Service) checkFree(slug, slugField, email, emailField, self string) error {
	if slug != "" {
		if o, ok := s.dir.OrganizationBySlug(slug); ok && o.ID != self {
			return ConflictSlug(slugField, o.Name)
		}
	}
	if email != "" {
		if a, ok := s.dir.AccountByEmail(email); ok && (a.Role != RoleAdmin || a.OrgID != self) {
			return ConflictEmail(emailField, email)
		}
	}
	return nil
}

// ConflictSlug is the error for a name whose slug existing already has.
func ConflictSlug(field, existing string) *Error {
	return &Error{Code: ECONFLICT, Field: field, Existing: existing, Message: fmt.Sprintf("the name conflicts with the existing organization %q (same slug)", existing)}
}

// ConflictEmail is the error for an email that another account uses.
func ConflictEmail(field, email string) *Error {
	return &Error{Code: ECONFLICT, Field: field, Message: fmt.Sprintf("the email %s is already in use", email)}
}

// Organization returns the organization named name (or with that slug), if
// p may see it; ENOTFOUND otherwise, so names cannot be probed.
func (s *Service) Organization(p *Principal, name string) (Organization, error) {
	o, ok := s.dir.OrganizationByName(name)
	if !ok || !p.CanSee(o.ID) {
		return Organization{}, errNotFound(name)
	}
	return o, nil
}

// ListOrganizations returns one page of the organizations p may see.
func (s *Service) ListOrganizations(p *Principal, f OrganizationFilter) (OrganizationPage, error) {
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return OrganizationPage{}, Invalidf("limit", "out_of_range", "limit must be 1–%d", MaxPageSize)
	}
	var only func(*Organization) bool
	if p.Role != RoleOperator {
		only = func(o *Organization) bool { return p.CanSee(o.ID) }
	}
	return s.dir.List(f, only)
}

// UpdateOrganization renames an organization, changes its admin's email or
// resets its admin's password. A password change revokes the admin's
// tokens. ECONFLICT when the new name's slug or the new email is taken, or
// when another change to the organization is under way.
func (s *Service) UpdateOrganization(ctx context.Context, p *Principal, name string, u OrganizationUpdate) (Organization, error) {
	o, err := s.Organization(p, name)
	if err != nil {
		return Organization{}, err
	}
	var c Change
	if u.Name != nil && *u.Name != o.Name {
		if err := validateName("new_name", *u.Name); err != nil {
			return Organization{}, err
		}
		c.Name = *u.Name
		c.Slug, _ = Slug(c.Name)
		c.Collection = CollectionName(c.Slug)
	}
	if u.AdminEmail != nil && *u.AdminEmail != o.AdminEmail {
		if c.AdminEmail, err = NormalizeEmail("admin_email", *u.AdminEmail); err != nil {
			return Organization{}, err
		}
	}
	if u.AdminPassword != nil {
		if err := ValidatePassword("admin_password", *u.AdminPassword); err != nil {
			return Organization{}, err
		}
	}
	if err := s.checkFree(c.Slug, "new_name", c.AdminEmail, "admin_email", o.ID); err != nil {
		return Organization{}, err
	}
	if o.State != StateActive {
		return Organization{}, busy(o)
	}
	if u.AdminPassword != nil {
		if c.PasswordHash, err = s.hasher.Hash(ctx, *u.AdminPassword); err != nil {
			return Organization{}, err
		}
	}
	if c.Name == "" && c.AdminEmail == "" && c.PasswordHash == nil {
		return o, nil
	}
	updated, err := s.store.UpdateOrganization(ctx, o.ID, c)
	if err != nil {
		return Organization{}, err
	}
	switch {
	case c.Name != "":
		s.audit(ctx, p, "org.rename", o.ID, fmt.Sprintf("%s -> %s", o.Name, c.Name))
	case c.AdminEmail != "":
		s.audit(ctx, p, "org.update", o.ID, "admin email")
	}
	if c.PasswordHash != nil {
		s.audit(ctx, p, "org.password", o.ID, "admin password reset")
	}
	return updated, nil
}

func busy(o Organization) *Error {
	return &Error{Code: ECONFLICT, Reason: "busy", Message: fmt.Sprintf("organization %q is %s; retry in a moment", o.Name, o.State)}
}

// DeleteOrganization deletes an organization, its collection and its admin,
// whose tokens stop working. confirm must equal name.
func (s *Service) DeleteOrganization(ctx context.Context, p *Principal, name, confirm string) error {
	o, err := s.Organization(p, name)
	if err != nil {
		return err
	}
	if confirm != name {
		return Invalidf("confirm", "mismatch", "confirm must equal name (%q) to delete the organization and all its data", name)
	}
	if o.State != StateActive {
		return busy(o)
	}
	if err := s.store.DeleteOrganization(ctx, o.ID); err != nil {
		return err
	}
	s.audit(ctx, p, "org.delete", o.ID, o.Name)
	return nil
}

// OrganizationStats reports the figures of an organization's collection.
func (s *Service) OrganizationStats(ctx context.Context, p *Principal, name string) (Stats, error) {
	o, err := s.Organization(p, name)
	if err != nil {
		return Stats{}, err
	}
	return s.store.CollectionStats(ctx, o.Collection)
}

// Subscribe starts a subscription to the events of the organizations p may
// see. The caller must Close it.
func (s *Service) Subscribe(p *Principal) *Subscription {
	return s.events.Subscribe(func(ev Event) bool { return p.CanSee(ev.Organization.ID) })
}

func (s *Service) audit(ctx context.Context, p *Principal, action, orgID, detail string) {
	e := AuditEntry{At: s.now().UTC(), Action: action, OrgID: orgID, Detail: detail}
	if p != nil {
		e.Actor, e.Role = p.AccountID, p.Role
	}
	// The change is done: its audit line must not be lost to a client that
	// hung up the moment the answer came.
	s.store.Audit(context.WithoutCancel(ctx), e)
}

// NewID returns a new 24-hex-digit id: 4 bytes of Unix time, so ids sort
// roughly by creation, and 8 random bytes.
func NewID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	if _, err := rand.Read(b[4:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // rand.Read does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// IsUnavailable reports whether err means the store could not be reached.
func IsUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable)
}
