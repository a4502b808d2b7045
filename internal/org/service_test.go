package org_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/internal/org"
)

// untouchedStore is a Store for rules that must be decided before the store
// is asked anything: every call fails the test.
type untouchedStore struct{ t *testing.T }

func (s untouchedStore) called(what string) error {
	s.t.Helper()
	s.t.Errorf("the store was asked to %s", what)
	return errors.New("unexpected store call")
}

func (untouchedStore) Kind() string { return "untouched" }
func (s untouchedStore) CreateOrganization(context.Context, org.Organization, org.Account) (org.Organization, error) {
	return org.Organization{}, s.called("create an organization")
}
func (s untouchedStore) SuspendOrganization(context.Context, string, time.Time, string) (org.Organization, error) {
	return org.Organization{}, s.called("suspend an organization")
}
func (s untouchedStore) ResumeOrganization(context.Context, string) (org.Organization, error) {
	return org.Organization{}, s.called("resume an organization")
}
func (s untouchedStore) CreateAccount(context.Context, org.Account, bool) (org.Account, error) {
	return org.Account{}, s.called("create an account")
}
func (s untouchedStore) UpdateAccount(context.Context, string, org.AccountChange) (org.Account, error) {
	return org.Account{}, s.called("update an account")
}
func (s untouchedStore) RemoveAccount(context.Context, string) error {
	return s.called("remove an account")
}
func (s untouchedStore) RevokeToken(context.Context, string, string, time.Time) error {
	return s.called("revoke a token")
}
func (untouchedStore) TouchLogin(string, time.Time) {}
func (s untouchedStore) AddKey(context.Context, org.Key) (org.Key, error) {
	return org.Key{}, s.called("add a key")
}
func (s untouchedStore) RemoveKey(context.Context, string) error {
	return s.called("remove a key")
}
func (untouchedStore) TouchKey(string, time.Time) {}
func (s untouchedStore) UpdateOrganization(context.Context, string, org.Change) (org.Organization, error) {
	return org.Organization{}, s.called("update an organization")
}
func (s untouchedStore) DeleteOrganization(context.Context, string) error {
	return s.called("delete an organization")
}
func (s untouchedStore) OrganizationStats(context.Context, string) (org.Stats, error) {
	return org.Stats{}, s.called("report stats")
}
func (untouchedStore) Ping(context.Context) error              { return nil }
func (s untouchedStore) Audit(context.Context, org.AuditEntry) { _ = s.called("audit") }
func (s untouchedStore) ListAudit(context.Context, org.AuditQuery) (org.AuditPage, error) {
	return org.AuditPage{}, s.called("list the audit trail")
}
func (s untouchedStore) InsertDocuments(context.Context, string, []document.Document) ([]document.Value, error) {
	return nil, s.called("insert documents")
}
func (s untouchedStore) FindDocuments(context.Context, string, org.DocumentQuery) (org.DocumentPage, error) {
	return org.DocumentPage{}, s.called("find documents")
}
func (s untouchedStore) CountDocuments(context.Context, string, document.Document) (int64, error) {
	return 0, s.called("count documents")
}
func (s untouchedStore) UpdateDocuments(context.Context, string, org.DocumentUpdate) (org.UpdateResult, error) {
	return org.UpdateResult{}, s.called("update documents")
}
func (s untouchedStore) DeleteDocuments(context.Context, string, document.Document, bool) (int64, error) {
	return 0, s.called("delete documents")
}
func (s untouchedStore) Indexes(context.Context, string) ([]org.Index, error) {
	return nil, s.called("list indexes")
}
func (s untouchedStore) CreateIndex(context.Context, string, org.Index) (string, error) {
	return "", s.called("create an index")
}
func (s untouchedStore) DropIndex(context.Context, string, string) error {
	return s.called("drop an index")
}

// The hasher runs at the lowest cost orgd allows; the accounts' hashes are
// made at bcrypt's own minimum, which Compare reads from the hash, so that
// logins stay fast under the race detector.
var (
	testHasherOnce sync.Once
	testHasher     *auth.Hasher
	testHash       []byte
)

const testPassword = "correct horse"

func hasher(t *testing.T) (*auth.Hasher, []byte) {
	t.Helper()
	testHasherOnce.Do(func() {
		h, err := auth.NewHasher(auth.MinCost)
		if err != nil {
			panic(err)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		testHasher, testHash = h, hash
	})
	return testHasher, testHash
}

type fixture struct {
	svc    *org.Service
	dir    *org.Directory
	signer *auth.Signer
}

// newService returns a service over a directory holding the organizations
// "Acme" (id acme, admin admin@acme.example, viewer viewer@acme.example),
// "Beta" (id beta, being renamed, admin admin@beta.example) and "Cold"
// (id cold, suspended, admin admin@cold.example), and the operator
// ops@example.com, all with testPassword.
func newService(t *testing.T, cfg org.Config) fixture {
	t.Helper()
	h, hash := hasher(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer := auth.NewSigner(key, time.Hour)
	events := org.NewEvents()
	dir := org.NewDirectory(events)
	dir.PutOrganization(organization(t, "acme", "Acme"))
	beta := organization(t, "beta", "Beta")
	beta.State = org.StateRenaming
	dir.PutOrganization(beta)
	cold := organization(t, "cold", "Cold")
	cold.State, cold.SuspendReason = org.StateSuspended, "unpaid invoice"
	dir.PutOrganization(cold)
	for _, a := range []org.Account{
		{ID: "admin-acme", Email: "admin@acme.example", Role: org.RoleAdmin, OrgID: "acme"},
		{ID: "viewer-acme", Email: "viewer@acme.example", Role: org.RoleViewer, OrgID: "acme"},
		{ID: "admin-beta", Email: "admin@beta.example", Role: org.RoleAdmin, OrgID: "beta"},
		{ID: "admin-cold", Email: "admin@cold.example", Role: org.RoleAdmin, OrgID: "cold"},
		{ID: "op", Email: "ops@example.com", Role: org.RoleOperator},
	} {
		a.State, a.PasswordHash, a.CredVersion = org.StateActive, hash, 1
		dir.PutAccount(a)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := org.NewService(untouchedStore{t}, dir, events, h, signer, auth.NewThrottle(), cfg, logger)
	return fixture{svc: svc, dir: dir, signer: signer}
}

var (
	operator   = &org.Principal{AccountID: "op", Email: "ops@example.com", Role: org.RoleOperator}
	acmeBoss   = &org.Principal{AccountID: "admin-acme", Email: "admin@acme.example", Role: org.RoleAdmin, OrgID: "acme"}
	acmeViewer = &org.Principal{AccountID: "viewer-acme", Email: "viewer@acme.example", Role: org.RoleViewer, OrgID: "acme"}
)

// wantCode fails unless err is an *org.Error with code, and returns it.
func wantCode(t *testing.T, err error, code string) *org.Error {
	t.Helper()
	var e *org.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

func TestBootstrapRules(t *testing.T) {
	ctx := context.Background()
	t.Run("an untrusted peer is forbidden", func(t *testing.T) {
		f := newService(t, org.Config{})
		_, err := f.svc.Bootstrap(ctx, "first@example.com", "operator-password", org.Peer{Key: "ip:192.0.2.7"})
		wantCode(t, err, org.EFORBIDDEN)
	})
	t.Run("a trusted peer is forbidden once an operator exists", func(t *testing.T) {
		f := newService(t, org.Config{})
		_, err := f.svc.Bootstrap(ctx, "first@example.com", "operator-password", org.Peer{Key: "uid:0", Trusted: true})
		wantCode(t, err, org.EFORBIDDEN)
	})
}

func TestCreateOperatorRules(t *testing.T) {
	f := newService(t, org.Config{})
	ctx := context.Background()
	tests := []struct {
		name     string
		email    string
		password string
		code     string
		field    string
	}{
		{"a malformed email is refused", "not-an-email", "operator-password", org.EINVALID, "email"},
		{"a short password is refused", "new@example.com", "short", org.EINVALID, "password"},
		{"a password over 72 bytes is refused", "new@example.com", strings.Repeat("p", 73), org.EINVALID, "password"},
		{"an operator's email in another case is taken", "OPS@example.com", "operator-password", org.ECONFLICT, "email"},
		{"an admin's email is taken", "admin@acme.example", "operator-password", org.ECONFLICT, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CreateOperator(ctx, operator, tt.email, tt.password)
			if e := wantCode(t, err, tt.code); e.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
}

func TestListOrganizationsRules(t *testing.T) {
	f := newService(t, org.Config{})
	limits := []struct {
		name  string
		limit int
		ok    bool
	}{
		{"a negative limit is refused", -1, false},
		{"no limit takes the default", 0, true},
		{"a limit of 1 is accepted", 1, true},
		{"a limit of 500 is accepted", 500, true},
		{"a limit of 501 is refused", 501, false},
	}
	for _, tt := range limits {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.ListOrganizations(operator, org.OrganizationFilter{Limit: tt.limit})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantInvalid(t, err, "limit", "out_of_range")
		})
	}
	t.Run("an operator sees every organization, the suspended one too", func(t *testing.T) {
		p, err := f.svc.ListOrganizations(operator, org.OrganizationFilter{})
		if err != nil || p.Total != 3 {
			t.Fatalf("List = %v total %d, %v; want 3", ids(p.Items), p.Total, err)
		}
	})
	t.Run("a viewer sees only their own organization", func(t *testing.T) {
		p, err := f.svc.ListOrganizations(acmeViewer, org.OrganizationFilter{})
		if err != nil || p.Total != 1 || len(p.Items) != 1 || p.Items[0].ID != "acme" {
			t.Fatalf("List = %v total %d, %v; want [acme]", ids(p.Items), p.Total, err)
		}
	})
	t.Run("a malformed selector names selector", func(t *testing.T) {
		wantInvalid(t, getErr(f.svc.ListOrganizations(operator, org.OrganizationFilter{Selector: "env=prod,,tier"})), "selector", "empty_term")
	})
	t.Run("an admin sees only their own organization", func(t *testing.T) {
		p, err := f.svc.ListOrganizations(acmeBoss, org.OrganizationFilter{})
		if err != nil || p.Total != 1 || len(p.Items) != 1 || p.Items[0].ID != "acme" {
			t.Fatalf("List = %v total %d, %v; want [acme]", ids(p.Items), p.Total, err)
		}
	})
}

func TestOrganizationHidesWhatTheCallerMayNotSee(t *testing.T) {
	f := newService(t, org.Config{})
	t.Run("an admin gets their own organization", func(t *testing.T) {
		if o, err := f.svc.Organization(acmeBoss, "acme"); err != nil || o.ID != "acme" {
			t.Fatalf("Organization = %+v, %v", o, err)
		}
	})
	t.Run("another organization looks like one that does not exist", func(t *testing.T) {
		other := wantCode(t, getErr(f.svc.Organization(acmeBoss, "Beta")), org.ENOTFOUND)
		missing := wantCode(t, getErr(f.svc.Organization(acmeBoss, "Gamma")), org.ENOTFOUND)
		if strings.ReplaceAll(other.Message, "Beta", "X") != strings.ReplaceAll(missing.Message, "Gamma", "X") {
			t.Fatalf("messages differ: %q and %q", other.Message, missing.Message)
		}
	})
}

func getErr[T any](_ T, err error) error { return err }

func TestCreateOrganizationRules(t *testing.T) {
	ctx := context.Background()
	valid := org.OrganizationCreate{Name: "Gamma", AdminEmail: "admin@gamma.example", AdminPassword: "admin-password"}
	with := func(change func(*org.OrganizationCreate)) org.OrganizationCreate {
		c := valid
		change(&c)
		return c
	}
	tests := []struct {
		name   string
		cfg    org.Config
		caller *org.Principal
		create org.OrganizationCreate
		code   string
		field  string
	}{
		{"a caller without a token is refused", org.Config{}, nil, valid, org.EUNAUTHENTICATED, ""},
		{"an admin may not create", org.Config{}, acmeBoss, valid, org.EFORBIDDEN, ""},
		{"with signup a caller without a token gets as far as the name", org.Config{AllowSignup: true}, nil,
			with(func(c *org.OrganizationCreate) { c.Name = " Gamma" }), org.EINVALID, "name"},
		{"an invalid name is refused", org.Config{}, operator, with(func(c *org.OrganizationCreate) { c.Name = "" }), org.EINVALID, "name"},
		{"a malformed admin email is refused", org.Config{}, operator, with(func(c *org.OrganizationCreate) { c.AdminEmail = "gamma" }), org.EINVALID, "admin_email"},
		{"a short admin password is refused", org.Config{}, operator, with(func(c *org.OrganizationCreate) { c.AdminPassword = "1234567" }), org.EINVALID, "admin_password"},
		{"a name with a taken slug conflicts", org.Config{}, operator, with(func(c *org.OrganizationCreate) { c.Name = "ACME!" }), org.ECONFLICT, "name"},
		{"a taken admin email conflicts in any case", org.Config{}, operator, with(func(c *org.OrganizationCreate) { c.AdminEmail = "Ops@Example.com" }), org.ECONFLICT, "admin_email"},
		{"a viewer may not create", org.Config{}, acmeViewer, valid, org.EFORBIDDEN, ""},
		{"a label key that is not a Kubernetes key names labels", org.Config{}, operator,
			with(func(c *org.OrganizationCreate) { c.Labels = map[string]string{"-bad": "x"} }), org.EINVALID, "labels"},
		{"a full daemon refuses", org.Config{MaxTenants: 3}, operator, valid, org.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newService(t, tt.cfg)
			_, err := f.svc.CreateOrganization(ctx, tt.caller, tt.create)
			if e := wantCode(t, err, tt.code); e.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
	t.Run("a slug conflict names the organization that has it", func(t *testing.T) {
		f := newService(t, org.Config{})
		_, err := f.svc.CreateOrganization(ctx, operator, with(func(c *org.OrganizationCreate) { c.Name = "acme" }))
		if e := wantCode(t, err, org.ECONFLICT); e.Existing != "Acme" {
			t.Fatalf("existing %q, want Acme", e.Existing)
		}
	})
}

func TestUpdateOrganizationRules(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		caller *org.Principal
		target string
		update org.OrganizationUpdate
		code   string
		field  string
	}{
		{"an admin cannot find another organization", acmeBoss, "Beta", org.OrganizationUpdate{Name: ptr("Gamma")}, org.ENOTFOUND, ""},
		{"an invalid new name names new_name", operator, "Acme", org.OrganizationUpdate{Name: ptr("Acme\n")}, org.EINVALID, "new_name"},
		{"a new name with a taken slug conflicts on new_name", operator, "Acme", org.OrganizationUpdate{Name: ptr("BETA")}, org.ECONFLICT, "new_name"},
		{"a taken email conflicts", operator, "Acme", org.OrganizationUpdate{AdminEmail: ptr("ops@example.com")}, org.ECONFLICT, "admin_email"},
		{"a malformed email is refused", operator, "Acme", org.OrganizationUpdate{AdminEmail: ptr("nope")}, org.EINVALID, "admin_email"},
		{"a password over 72 bytes is refused", operator, "Acme", org.OrganizationUpdate{AdminPassword: ptr(strings.Repeat("p", 73))}, org.EINVALID, "admin_password"},
		{"an organization in the middle of a change is busy", operator, "Beta", org.OrganizationUpdate{Name: ptr("Gamma")}, org.ECONFLICT, ""},
		{"a viewer may not change their organization", acmeViewer, "Acme", org.OrganizationUpdate{Name: ptr("Gamma")}, org.EFORBIDDEN, ""},
		{"a suspended organization does not change", operator, "Cold", org.OrganizationUpdate{Name: ptr("Warm")}, org.ESUSPENDED, ""},
		{"labels over the limit name labels", operator, "Acme", org.OrganizationUpdate{Labels: ptr(manyLabels(33))}, org.EINVALID, "labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newService(t, org.Config{})
			_, err := f.svc.UpdateOrganization(ctx, tt.caller, tt.target, tt.update)
			if e := wantCode(t, err, tt.code); e.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
	t.Run("an update that changes nothing does not reach the store", func(t *testing.T) {
		f := newService(t, org.Config{})
		o, err := f.svc.UpdateOrganization(ctx, acmeBoss, "acme", org.OrganizationUpdate{Name: ptr("Acme"), AdminEmail: ptr("admin@acme.example")})
		if err != nil || o.ID != "acme" {
			t.Fatalf("UpdateOrganization = %+v, %v", o, err)
		}
	})
}

func TestDeleteOrganizationRules(t *testing.T) {
	ctx := context.Background()
	f := newService(t, org.Config{})
	t.Run("confirm must equal the name", func(t *testing.T) {
		wantInvalid(t, f.svc.DeleteOrganization(ctx, operator, "Acme", "acme"), "confirm", "mismatch")
	})
	t.Run("an admin cannot find another organization", func(t *testing.T) {
		wantCode(t, f.svc.DeleteOrganization(ctx, acmeBoss, "Beta", "Beta"), org.ENOTFOUND)
	})
	t.Run("an organization in the middle of a change is busy", func(t *testing.T) {
		e := wantCode(t, f.svc.DeleteOrganization(ctx, operator, "Beta", "Beta"), org.ECONFLICT)
		if e.Reason != "busy" {
			t.Fatalf("reason %q, want busy", e.Reason)
		}
	})
	t.Run("a viewer may not delete their organization", func(t *testing.T) {
		wantCode(t, f.svc.DeleteOrganization(ctx, acmeViewer, "Acme", "Acme"), org.EFORBIDDEN)
	})
}

func manyLabels(n int) map[string]string {
	labels := make(map[string]string, n)
	for i := range n {
		labels[fmt.Sprintf("k%d", i)] = "v"
	}
	return labels
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	f := newService(t, org.Config{})
	peer := org.Peer{Key: "uid:1000"}

	t.Run("a missing email names email", func(t *testing.T) {
		wantInvalid(t, getErr(f.svc.Login(ctx, "", testPassword, peer)), "email", "required")
	})
	t.Run("a password over 72 bytes names password", func(t *testing.T) {
		wantInvalid(t, getErr(f.svc.Login(ctx, "ops@example.com", strings.Repeat("p", 73), peer)), "password", "too_long")
	})
	t.Run("a wrong password and an unknown email get the same error", func(t *testing.T) {
		wrong := wantCode(t, getErr(f.svc.Login(ctx, "ops@example.com", "wrong password", peer)), org.EUNAUTHENTICATED)
		unknown := wantCode(t, getErr(f.svc.Login(ctx, "nobody@example.com", testPassword, peer)), org.EUNAUTHENTICATED)
		if wrong.Message != unknown.Message {
			t.Fatalf("%q and %q differ", wrong.Message, unknown.Message)
		}
	})
	t.Run("an operator logs in with the email in any case", func(t *testing.T) {
		s, err := f.svc.Login(ctx, "OPS@example.com", testPassword, peer)
		if err != nil || s.Role != org.RoleOperator || s.OrgID != "" || s.Token == "" {
			t.Fatalf("Login = %+v, %v", s, err)
		}
		p, err := f.svc.Authenticate(s.Token)
		if err != nil || p.AccountID != "op" || p.Role != org.RoleOperator {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
	})
	t.Run("an admin's session names the organization", func(t *testing.T) {
		s, err := f.svc.Login(ctx, "admin@acme.example", testPassword, peer)
		if err != nil || s.Role != org.RoleAdmin || s.OrgID != "acme" || s.OrgName != "Acme" {
			t.Fatalf("Login = %+v, %v", s, err)
		}
	})
	t.Run("a viewer's session names the organization and the role", func(t *testing.T) {
		s, err := f.svc.Login(ctx, "viewer@acme.example", testPassword, peer)
		if err != nil || s.Role != org.RoleViewer || s.OrgID != "acme" || s.OrgName != "Acme" {
			t.Fatalf("Login = %+v, %v", s, err)
		}
	})
	t.Run("a member of a suspended organization is told so after a right password", func(t *testing.T) {
		e := wantCode(t, getErr(f.svc.Login(ctx, "admin@cold.example", testPassword, peer)), org.ESUSPENDED)
		if !strings.Contains(e.Message, "unpaid invoice") {
			t.Fatalf("message %q does not give the reason", e.Message)
		}
		wantCode(t, getErr(f.svc.Login(ctx, "admin@cold.example", "wrong password", peer)), org.EUNAUTHENTICATED)
	})
	t.Run("a member of an organization being created cannot log in", func(t *testing.T) {
		o := organization(t, "new", "New")
		o.State = org.StateProvisioning
		f.dir.PutOrganization(o)
		f.dir.PutAccount(org.Account{ID: "admin-new", Email: "admin@new.example", Role: org.RoleAdmin, OrgID: "new", State: org.StateActive, PasswordHash: testHashOf(t), CredVersion: 1})
		wantCode(t, getErr(f.svc.Login(ctx, "admin@new.example", testPassword, peer)), org.EUNAUTHENTICATED)
	})
	t.Run("five failures for one email throttle it", func(t *testing.T) {
		for range 5 {
			wantCode(t, getErr(f.svc.Login(ctx, "admin@beta.example", "wrong password", org.Peer{Key: "uid:2000"})), org.EUNAUTHENTICATED)
		}
		e := wantCode(t, getErr(f.svc.Login(ctx, "ADMIN@beta.example", testPassword, org.Peer{Key: "uid:3000"})), org.ETHROTTLED)
		if e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute {
			t.Fatalf("retry after %s", e.RetryAfter)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	f := newService(t, org.Config{})
	issue := func(t *testing.T, c auth.Claims) string {
		t.Helper()
		tok, _, err := f.signer.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	opToken := issue(t, auth.NewClaims("op", "ops@example.com", "operator", "", 1))
	adminToken := issue(t, auth.NewClaims("admin-acme", "admin@acme.example", "admin", "acme", 1))

	t.Run("an admin's token proves the admin and their organization", func(t *testing.T) {
		p, err := f.svc.Authenticate(adminToken)
		if err != nil || p.Role != org.RoleAdmin || p.OrgID != "acme" || p.AccountID != "admin-acme" || p.ExpiresAt.IsZero() {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
	})
	t.Run("no token is unauthenticated", func(t *testing.T) {
		wantCode(t, getErr(f.svc.Authenticate("")), org.EUNAUTHENTICATED)
	})
	t.Run("a malformed token is unauthenticated", func(t *testing.T) {
		wantCode(t, getErr(f.svc.Authenticate("a.b.c")), org.EUNAUTHENTICATED)
	})
	t.Run("a viewer's token proves the viewer", func(t *testing.T) {
		tok := issue(t, auth.NewClaims("viewer-acme", "viewer@acme.example", "viewer", "acme", 1))
		p, err := f.svc.Authenticate(tok)
		if err != nil || p.Role != org.RoleViewer || p.OrgID != "acme" || p.TokenID == "" {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
	})
	t.Run("a token that claims another role than the account's is unauthenticated", func(t *testing.T) {
		tok := issue(t, auth.NewClaims("viewer-acme", "viewer@acme.example", "admin", "acme", 1))
		wantCode(t, getErr(f.svc.Authenticate(tok)), org.EUNAUTHENTICATED)
	})
	t.Run("a member of a suspended organization is refused as suspended", func(t *testing.T) {
		tok := issue(t, auth.NewClaims("admin-cold", "admin@cold.example", "admin", "cold", 1))
		wantCode(t, getErr(f.svc.Authenticate(tok)), org.ESUSPENDED)
	})
	t.Run("a revoked token is unauthenticated, and only that one", func(t *testing.T) {
		other := issue(t, auth.NewClaims("op", "ops@example.com", "operator", "", 1))
		p, err := f.svc.Authenticate(other)
		if err != nil {
			t.Fatal(err)
		}
		f.dir.Revoke(p.TokenID, p.ExpiresAt)
		wantCode(t, getErr(f.svc.Authenticate(other)), org.EUNAUTHENTICATED)
		if _, err := f.svc.Authenticate(opToken); err != nil {
			t.Fatalf("another token of the account: %v", err)
		}
	})
	t.Run("a password change revokes the admin's token, remembered as verified or not", func(t *testing.T) {
		if _, err := f.svc.Authenticate(adminToken); err != nil || !f.signer.Remembers(adminToken) {
			t.Fatalf("before: %v; remembered: %v", err, f.signer.Remembers(adminToken))
		}
		a, _ := f.dir.Account("admin-acme")
		a.CredVersion++
		a.Rev++
		f.dir.PutAccount(a)
		for range 2 {
			wantCode(t, getErr(f.svc.Authenticate(adminToken)), org.EUNAUTHENTICATED)
		}
		if f.signer.Remembers(adminToken) {
			t.Error("the revoked token is still remembered as verified")
		}
	})
	t.Run("an operator's removal revokes their token", func(t *testing.T) {
		if _, err := f.svc.Authenticate(opToken); err != nil {
			t.Fatalf("before: %v", err)
		}
		f.dir.RemoveAccount("op")
		wantCode(t, getErr(f.svc.Authenticate(opToken)), org.EUNAUTHENTICATED)
	})
	t.Run("a token for an unknown role is unauthenticated", func(t *testing.T) {
		tok := issue(t, auth.NewClaims("op", "ops@example.com", "root", "", 1))
		wantCode(t, getErr(f.svc.Authenticate(tok)), org.EUNAUTHENTICATED)
	})
	t.Run("an admin token whose subject is not the organization's admin is unauthenticated", func(t *testing.T) {
		tok := issue(t, auth.NewClaims("someone-else", "x@example.com", "admin", "beta", 1))
		wantCode(t, getErr(f.svc.Authenticate(tok)), org.EUNAUTHENTICATED)
	})
	t.Run("an admin token naming another organization than the account's is unauthenticated", func(t *testing.T) {
		tok := issue(t, auth.NewClaims("admin-beta", "admin@beta.example", "admin", "acme", 1))
		wantCode(t, getErr(f.svc.Authenticate(tok)), org.EUNAUTHENTICATED)
	})
}

func testHashOf(t *testing.T) []byte {
	t.Helper()
	_, hash := hasher(t)
	return hash
}
