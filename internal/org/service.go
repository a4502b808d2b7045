package org

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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
// time. ETHROTTLED when the email or the peer has failed too often;
// ESUSPENDED, after a right password, for a member of a suspended
// organization.
func (s *Service) Login(ctx context.Context, email, password string, peer Peer) (Session, error) {
	if email == "" {
		return Session{}, Invalidf("email", "required", "email is required")
	}
	if err := validateLoginPassword("password", password); err != nil {
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
	if errors.Is(err, auth.ErrBusy) {
		return Session{}, busyHashing(err)
	}
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	var o Organization
	if ok && found && acct.Role.Member() {
		o, found = s.dir.Organization(acct.OrgID)
		found = found && (loginAllowed(o.State) || o.State == StateSuspended)
	}
	if !ok || !found {
		s.throttle.Fail(key, peer.Key, s.now())
		return Session{}, errBadCredentials
	}
	s.throttle.Succeed(key)
	if o.State == StateSuspended {
		return Session{}, errSuspended(o)
	}
	sess, err := s.session(acct)
	if err == nil {
		s.store.TouchLogin(acct.ID, s.now().UTC())
	}
	return sess, err
}

// validateLoginPassword refuses only what bcrypt cannot check; a short
// password is simply wrong.
func validateLoginPassword(field, password string) error {
	switch {
	case password == "":
		return Invalidf(field, "required", "password is required")
	case len(password) > MaxPasswordBytes:
		return Invalidf(field, "too_long", "password has %d bytes; at most %d are allowed (bcrypt's limit)", len(password), MaxPasswordBytes)
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
	if acct.Role.Member() {
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
	op, err := s.createOperator(ctx, &Principal{Peer: peer.Key}, email, password, true)
	if err != nil {
		return Session{}, err
	}
	return s.session(op)
}

// Authenticate checks a token and returns who holds it. EUNAUTHENTICATED
// when the token is missing, malformed, badly signed, expired, or revoked
// (its account is gone, its password or role changed, it was logged out,
// or its organization is gone); ESUSPENDED when the holder's organization
// is suspended.
func (s *Service) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, Errorf(EUNAUTHENTICATED, "a token is required: log in with auth.login and pass params.token")
	}
	c, err := s.signer.Verify(token)
	if err != nil {
		return nil, Errorf(EUNAUTHENTICATED, "the token is invalid or expired; log in again")
	}
	acct, o, ok := s.dir.TokenHolder(c.Subject, c.ID)
	ok = ok && acct.CanLogIn() && string(acct.Role) == c.Role && acct.OrgID == c.Org && acct.CredVersion == c.CredVersion
	if ok && acct.Role.Member() && !loginAllowed(o.State) {
		if o.State == StateSuspended {
			return nil, errSuspended(o)
		}
		ok = false
	}
	if !ok {
		s.signer.Forget(token)
		return nil, Errorf(EUNAUTHENTICATED, "the token was revoked; log in again")
	}
	p := &Principal{AccountID: acct.ID, Email: acct.Email, Role: acct.Role, OrgID: acct.OrgID, TokenID: c.ID}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.Time
	}
	return p, nil
}

// CreateOrganization creates an organization with its first admin, its
// labels and its collection. p is nil for a caller without a token.
// Operators may create; anyone may when signup is allowed. EINVALID names
// the bad field; ECONFLICT names the organization that holds the slug or
// the email.
func (s *Service) CreateOrganization(ctx context.Context, p *Principal, c OrganizationCreate) (Organization, error) {
	if !s.cfg.AllowSignup {
		if p == nil {
			return Organization{}, Errorf(EUNAUTHENTICATED, "a token is required to create an organization")
		}
		if p.Role != RoleOperator {
			return Organization{}, errForbidden("only operators may create organizations")
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
	if err := ValidateLabels("labels", c.Labels); err != nil {
		return Organization{}, err
	}
	if s.cfg.MaxTenants > 0 && s.dir.Len() >= s.cfg.MaxTenants {
		return Organization{}, &Error{Code: EFORBIDDEN, Reason: "max_tenants", Message: fmt.Sprintf("orgd holds its maximum of %d organizations (--max-tenants)", s.cfg.MaxTenants)}
	}
	// These checks give a quick, clear answer; the store's claims are what
	// make the outcome right when two creates race.
	if err := s.checkFree(slug, "name", ""); err != nil {
		return Organization{}, err
	}
	if err := s.emailFree("admin_email", email); err != nil {
		return Organization{}, err
	}
	hash, err := s.hasher.Hash(ctx, c.AdminPassword)
	if err != nil {
		return Organization{}, err
	}
	now := s.now().UTC()
	o := Organization{
		ID:         NewID(),
		Name:       c.Name,
		Slug:       slug,
		Collection: CollectionName(slug),
		State:      StateProvisioning,
		Labels:     labelsCopy(c.Labels),
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	admin := Account{
		ID: NewID(), Email: email, Role: RoleAdmin, OrgID: o.ID, State: StateActive,
		PasswordHash: hash, CredVersion: 1, CreatedAt: now, UpdatedAt: now,
	}
	noteOrganization(ctx, o.ID)
	o, err = s.store.CreateOrganization(ctx, o, admin)
	if err != nil {
		return Organization{}, err
	}
	o = s.current(o)
	s.record(ctx, p, AuditEntry{Action: "org.create", OrgID: o.ID, OrgName: o.Name, Target: email, Detail: formatLabels(o.Labels)})
	return o, nil
}

// checkFree reports ECONFLICT when slug belongs to any organization but
// self.
func (s *Service) checkFree(slug, field, self string) error {
	if o, ok := s.dir.OrganizationBySlug(slug); ok && o.ID != self {
		return ConflictSlug(field, o.Name)
	}
	return nil
}

// emailFree reports ECONFLICT when an account logs in with email.
func (s *Service) emailFree(field, email string) error {
	if _, ok := s.dir.AccountByEmail(email); ok {
		return ConflictEmail(field, email)
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

func errForbidden(msg string) *Error { return Errorf(EFORBIDDEN, "%s", msg) }

// Organization returns the organization named name (or with that slug), if
// p may see it; ENOTFOUND otherwise, so names cannot be probed.
func (s *Service) Organization(p *Principal, name string) (Organization, error) {
	o, ok := s.dir.OrganizationByName(name)
	if !ok || !p.CanSee(o.ID) {
		return Organization{}, errNotFound(name)
	}
	return o, nil
}

// manageable returns the organization named name if p may change it:
// ENOTFOUND when p may not see it, EFORBIDDEN for its viewers, ESUSPENDED
// while it is suspended, and ECONFLICT while another change is under way.
func (s *Service) manageable(p *Principal, name string) (Organization, error) {
	o, err := s.Organization(p, name)
	if err != nil {
		return Organization{}, err
	}
	if !p.CanManage(o.ID) {
		return Organization{}, errForbidden("viewers may only read")
	}
	switch o.State {
	case StateActive:
		return o, nil
	case StateSuspended:
		return Organization{}, errSuspended(o)
	}
	return Organization{}, busy(o)
}

// ListOrganizations returns one page of the organizations p may see.
func (s *Service) ListOrganizations(p *Principal, f OrganizationFilter) (OrganizationPage, error) {
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return OrganizationPage{}, Invalidf("limit", "out_of_range", "limit must be 1–%d", MaxPageSize)
	}
	sel, err := ParseSelector(f.Selector)
	if err != nil {
		return OrganizationPage{}, err
	}
	var only func(*Organization) bool
	if p.Role != RoleOperator {
		only = func(o *Organization) bool { return p.CanSee(o.ID) }
	}
	return s.dir.List(f, sel, only)
}

// UpdateOrganization renames an organization, replaces its labels, or
// changes its oldest admin's email or password; a password change revokes
// that admin's tokens. Operators and the organization's admins may.
// ECONFLICT when the new name's slug or the new email is taken, or when
// another change to the organization is under way.
func (s *Service) UpdateOrganization(ctx context.Context, p *Principal, name string, u OrganizationUpdate) (Organization, error) {
	o, err := s.manageable(p, name)
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
		if err := s.checkFree(c.Slug, "new_name", o.ID); err != nil {
			return Organization{}, err
		}
	}
	if u.Labels != nil {
		if err := ValidateLabels("labels", *u.Labels); err != nil {
			return Organization{}, err
		}
		if !maps.Equal(*u.Labels, o.Labels) {
			labels := labelsCopy(*u.Labels)
			c.Labels = &labels
		}
	}
	// The oldest admin is who admin_email and admin_password have always
	// named.
	var admin Account
	var ac AccountChange
	if u.AdminEmail != nil || u.AdminPassword != nil {
		var ok bool
		if admin, ok = s.dir.AccountByEmail(o.AdminEmail()); !ok || admin.OrgID != o.ID {
			return Organization{}, busy(o)
		}
	}
	if u.AdminEmail != nil && EmailKey(*u.AdminEmail) != EmailKey(admin.Email) {
		if ac.Email, err = NormalizeEmail("admin_email", *u.AdminEmail); err != nil {
			return Organization{}, err
		}
		if err := s.emailFree("admin_email", ac.Email); err != nil {
			return Organization{}, err
		}
	} else if u.AdminEmail != nil && *u.AdminEmail != admin.Email {
		ac.Email = *u.AdminEmail // the same email, spelled otherwise
	}
	if u.AdminPassword != nil {
		if err := ValidatePassword("admin_password", *u.AdminPassword); err != nil {
			return Organization{}, err
		}
		if ac.PasswordHash, err = s.hasher.Hash(ctx, *u.AdminPassword); err != nil {
			return Organization{}, err
		}
	}
	if c.Name != "" || c.Labels != nil {
		noteOrganization(ctx, o.ID)
		if o, err = s.store.UpdateOrganization(ctx, o.ID, c); err != nil {
			return Organization{}, err
		}
		switch {
		case c.Name != "":
			s.record(ctx, p, AuditEntry{Action: "org.rename", OrgID: o.ID, OrgName: o.Name, Detail: fmt.Sprintf("%s -> %s", name, c.Name)})
		}
		if c.Labels != nil {
			s.record(ctx, p, AuditEntry{Action: "org.labels", OrgID: o.ID, OrgName: o.Name, Detail: formatLabels(*c.Labels)})
		}
	}
	if ac.Email != "" || ac.PasswordHash != nil {
		if _, err := s.store.UpdateAccount(ctx, admin.ID, ac); err != nil {
			return Organization{}, err
		}
		if ac.Email != "" {
			s.record(ctx, p, AuditEntry{Action: "member.email", OrgID: o.ID, OrgName: o.Name, Target: ac.Email, Detail: "was " + admin.Email})
		}
		if ac.PasswordHash != nil {
			s.record(ctx, p, AuditEntry{Action: "member.password", OrgID: o.ID, OrgName: o.Name, Target: cmp.Or(ac.Email, admin.Email)})
		}
	}
	return s.current(o), nil
}

func busy(o Organization) *Error {
	return &Error{Code: ECONFLICT, Reason: "busy", Message: fmt.Sprintf("organization %q is %s; retry in a moment", o.Name, o.State)}
}

// DeleteOrganization deletes an organization, its collection and its
// members, whose tokens stop working. confirm must equal name. Operators
// and its admins may; operators also while it is suspended.
func (s *Service) DeleteOrganization(ctx context.Context, p *Principal, name, confirm string) error {
	o, err := s.Organization(p, name)
	if err != nil {
		return err
	}
	if !p.CanManage(o.ID) {
		return errForbidden("viewers may only read")
	}
	if confirm != name {
		return Invalidf("confirm", "mismatch", "confirm must equal name (%q) to delete the organization and all its data", name)
	}
	switch {
	case o.State == StateSuspended && p.Role != RoleOperator:
		return errSuspended(o)
	case !o.State.Settled():
		return busy(o)
	}
	noteOrganization(ctx, o.ID)
	if err := s.store.DeleteOrganization(ctx, o.ID); err != nil {
		return err
	}
	s.record(ctx, p, AuditEntry{Action: "org.delete", OrgID: o.ID, OrgName: o.Name, Detail: o.Collection})
	return nil
}

// OrganizationStats reports the figures of an organization's collection.
func (s *Service) OrganizationStats(ctx context.Context, p *Principal, name string) (Stats, error) {
	o, err := s.Organization(p, name)
	if err != nil {
		return Stats{}, err
	}
	return s.store.OrganizationStats(ctx, o.ID)
}

// Subscribe starts a subscription to the events of the organizations p may
// see. The caller must Close it.
func (s *Service) Subscribe(p *Principal) *Subscription {
	return s.events.Subscribe(func(ev Event) bool { return p.CanSee(ev.Organization.ID) })
}

// record writes e to the audit trail as done by p (nil: by an anonymous
// caller).
func (s *Service) record(ctx context.Context, p *Principal, e AuditEntry) {
	e.At = s.now().UTC()
	if p != nil {
		e.Actor, e.ActorEmail, e.Role, e.Peer = p.AccountID, p.Email, p.Role, p.Peer
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
