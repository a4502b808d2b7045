// Package remotetest is a stand-in for orgd in orgtui's model tests: an
// in-memory remote.Client that behaves like orgd where the screens care
// (paging, filtering by query and labels, errors with codes, fields and
// reasons, accounts and their roles, suspension, SSH keys, and each
// organization's documents in Extended JSON), and records the calls it gets, never with a
// password or a token in them.
package remotetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orgd/orgd/rpc"
)

// Token is the token the fake hands out to the accounts of Accounts, and
// accepts as theirs (see Fake.Role and Fake.MemberOf for a fake without
// any).
const Token = "test-token"

// Epoch is when the fake's accounts are created and log in, unless
// Fake.Now says otherwise.
var Epoch = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// Fake is an in-memory orgd. Set its fields before use; it is safe for
// concurrent use after that.
type Fake struct {
	mu sync.Mutex

	// Accounts maps email to password: accounts of role Role (members of
	// MemberOf), which log in with Token. The first of them, by email,
	// holds Token; without any, Token belongs to an account of role Role
	// that is listed nowhere.
	Accounts map[string]string
	// Role is the role of Accounts and of Token (operator when empty).
	Role string
	// MemberOf names the organization of Accounts and of Token when Role
	// is admin or viewer; when empty, the first of Orgs.
	MemberOf string
	// Now is the fake's clock (Epoch when nil).
	Now func() time.Time
	// HasOperator makes Bootstrap answer -32003.
	HasOperator bool
	// Orgs are the organizations, in any order.
	Orgs []rpc.Organization
	// Stats are org.stats figures by organization name.
	Stats map[string]rpc.OrgStats
	// Fail, when set, is returned by the next call to the method it names
	// (then forgotten).
	Fail map[string]error
	// Down makes every call fail as if orgd could not be reached.
	Down bool
	// Expires is the expiry of the sessions Login hands out.
	Expires time.Time
	// AuditScan, when set, is the most audit entries one audit.list call
	// examines (audit.go).
	AuditScan int

	calls  []Call
	docs   map[string][]bson.Raw // documents by organization ID, in _id order (data.go)
	sorted bool                  // Orgs is sorted as org.list sorts
	events chan rpc.OrgEvent
	nextID int

	// Accounts (accounts.go).
	accts        map[string]*account   // by lower-cased email
	members      map[string][]*account // by organization ID
	tokens       map[string]string     // token → lower-cased email of its holder
	tokenOwner   string                // lower-cased email of Token's holder; empty: nobody listed
	tokenRevoked bool                  // Token was revoked (until its holder logs in again)

	// SSH keys (sshkeys.go).
	sshKeys map[string][]rpc.Key // by lower-cased email, oldest first

	// The audit trail, oldest first (audit.go).
	audit []rpc.AuditEntry
}

// Call is one call the fake got.
type Call struct {
	Method string
	Params any
}

// Address returns a made-up address.
func (f *Fake) Address() string { return "unix:///run/orgd/orgd.sock" }

// Close closes the event channel, like a closed connection.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events != nil {
		close(f.events)
		f.events = nil
	}
	return nil
}

// Calls returns the calls so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CallsOf returns the calls of method so far.
func (f *Fake) CallsOf(method string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// SetDown makes orgd unreachable (true) or reachable again.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Down = down
	if down && f.events != nil {
		close(f.events)
		f.events = nil
	}
}

// FailNext makes the next call of method fail with err.
func (f *Fake) FailNext(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Fail == nil {
		f.Fail = make(map[string]error)
	}
	f.Fail[method] = err
}

// Send delivers an org.event to the subscriber, if any.
func (f *Fake) Send(ev rpc.OrgEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events != nil {
		f.events <- ev
	}
}

// begin records a call and returns the error it must fail with, if any.
// It is called with f.mu held.
func (f *Fake) begin(method string, params any) error {
	f.calls = append(f.calls, Call{Method: method, Params: params})
	if f.Down {
		return fmt.Errorf("%w at %s: connection refused", rpc.ErrUnreachable, f.Address())
	}
	if err, ok := f.Fail[method]; ok {
		delete(f.Fail, method)
		return err
	}
	return nil
}

// GetOrg finds an organization by name.
func (f *Fake) GetOrg(_ context.Context, token, name string) (*rpc.Organization, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOrgGet, rpc.OrgNameParams{Name: name}); err != nil {
		return nil, err
	}
	c, err := f.caller(token)
	if err != nil {
		return nil, err
	}
	i, err := f.visible(c, name)
	if err != nil {
		return nil, err
	}
	o := f.view(f.Orgs[i])
	return &o, nil
}

func notFound(name string) error {
	return &rpc.Error{Code: rpc.CodeNotFound, Message: fmt.Sprintf("no organization named %q", name)}
}

func (f *Fake) find(name string) int {
	return slices.IndexFunc(f.Orgs, func(o rpc.Organization) bool { return o.Name == name || o.Slug == name })
}

// ListOrgs pages through Orgs sorted by name; the cursor is the index of
// the next item.
func (f *Fake) ListOrgs(_ context.Context, p rpc.OrgListParams) (*rpc.OrgList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodOrgList, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	sel, err := parseSelector(p.Selector)
	if err != nil {
		return nil, err
	}
	if !f.sorted {
		// Tests may hand several fakes one slice: sort a copy of our own.
		f.Orgs = slices.Clone(f.Orgs)
		slices.SortFunc(f.Orgs, compare)
		f.sorted = true
	}
	var match []rpc.Organization
	q := strings.ToLower(p.Query)
	for _, o := range f.Orgs {
		if c.orgID != "" && o.ID != c.orgID {
			continue
		}
		if !sel.matches(o.Labels) {
			continue
		}
		if q == "" || strings.Contains(strings.ToLower(o.Name), q) || strings.Contains(o.Slug, q) || f.adminMatches(o, q) {
			match = append(match, o)
		}
	}
	start := 0
	if p.Cursor != "" {
		fmt.Sscan(p.Cursor, &start)
	}
	limit := p.Limit
	if limit == 0 {
		limit = 50
	}
	end := min(len(match), start+limit)
	out := &rpc.OrgList{Total: len(match)}
	for _, o := range match[min(start, end):end] {
		out.Items = append(out.Items, f.view(o))
	}
	if end < len(match) {
		out.NextCursor = fmt.Sprint(end)
	}
	return out, nil
}

func compare(a, b rpc.Organization) int {
	return cmp.Or(compareFold(a.Name, b.Name), strings.Compare(a.ID, b.ID))
}

// compareFold compares lower-cased a and b without allocating.
func compareFold(a, b string) int {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if c := cmp.Compare(unicode.ToLower(ar[i]), unicode.ToLower(br[i])); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ar), len(br))
}

// CreateOrg adds an organization and its first admin: operators only.
func (f *Fake) CreateOrg(_ context.Context, p rpc.OrgCreateParams) (*rpc.Organization, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token, logged.AdminPassword = "", ""
	if err := f.begin(rpc.MethodOrgCreate, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	if c.Role != rpc.RoleOperator {
		return nil, forbidden("only operators create organizations")
	}
	if err := checkLabels(p.Labels); err != nil {
		return nil, err
	}
	if err := f.checkNewAccount("admin_email", p.AdminEmail, "admin_password", p.AdminPassword); err != nil {
		return nil, err
	}
	f.nextID++
	o := NewOrg(p.Name, p.AdminEmail)
	o.ID = fmt.Sprintf("new%04d", f.nextID)
	if len(p.Labels) > 0 {
		o.Labels = maps.Clone(p.Labels)
	}
	f.Orgs = append(f.Orgs, o)
	f.sorted = false
	f.addAccount(p.AdminEmail, p.AdminPassword, rpc.RoleAdmin, o.ID, f.now())
	f.record(p.Token, "org.create", o, "")
	out := f.view(o)
	return &out, nil
}

// UpdateOrg renames, changes the oldest admin's email and password, and
// replaces the labels: operators, and admins of the organization, while it
// is not suspended.
func (f *Fake) UpdateOrg(_ context.Context, p rpc.OrgUpdateParams) (*rpc.Organization, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token, logged.AdminPassword = "", nil
	if err := f.begin(rpc.MethodOrgUpdate, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	i, err := f.visible(c, p.Name)
	if err != nil {
		return nil, err
	}
	if err := f.mayChange(c, i); err != nil {
		return nil, err
	}
	if p.Labels != nil {
		if err := checkLabels(*p.Labels); err != nil {
			return nil, err
		}
	}
	o := &f.Orgs[i]
	admins := f.admins(o.ID)
	if p.AdminEmail != nil && len(admins) > 0 && !strings.EqualFold(*p.AdminEmail, admins[0].Email) {
		if err := f.checkNewAccount("admin_email", *p.AdminEmail, "", ""); err != nil {
			return nil, err
		}
	}
	if p.AdminPassword != nil {
		if err := checkPassword("admin_password", *p.AdminPassword); err != nil {
			return nil, err
		}
	}
	if p.NewName != nil {
		was := o.Name
		renamed := NewOrg(*p.NewName, o.AdminEmail)
		o.Name, o.Slug, o.Collection = renamed.Name, renamed.Slug, renamed.Collection
		f.record(p.Token, "org.rename", *o, was+" -> "+o.Name)
	}
	if p.AdminEmail != nil {
		if len(admins) > 0 {
			f.renameAccount(admins[0], *p.AdminEmail)
		}
		o.AdminEmail = *p.AdminEmail
	}
	if p.AdminPassword != nil && len(admins) > 0 {
		admins[0].password = *p.AdminPassword
		f.revoke(admins[0])
	}
	if p.Labels != nil {
		o.Labels = maps.Clone(*p.Labels)
	}
	o.UpdatedAt = o.UpdatedAt.Add(time.Minute)
	f.sorted = false
	out := f.view(*o)
	return &out, nil
}

// DeleteOrg removes an organization and its members: operators, and
// admins of it (a suspended one too, by operators).
func (f *Fake) DeleteOrg(_ context.Context, token, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOrgDelete, rpc.OrgDeleteParams{Name: name, Confirm: name}); err != nil {
		return err
	}
	c, err := f.caller(token)
	if err != nil {
		return err
	}
	i, err := f.visible(c, name)
	if err != nil {
		return err
	}
	if c.Role == rpc.RoleViewer {
		return forbidden("viewers may only read")
	}
	id := f.Orgs[i].ID
	f.record(token, "org.delete", f.Orgs[i], f.Orgs[i].Collection)
	for _, a := range slices.Clone(f.members[id]) {
		f.removeAccount(a)
	}
	delete(f.docs, id)
	f.Orgs = slices.Delete(f.Orgs, i, i+1)
	return nil
}

// OrgStats returns Stats[name], or when there is none, the number of
// documents the organization holds.
func (f *Fake) OrgStats(_ context.Context, token, name string) (*rpc.OrgStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOrgStats, rpc.OrgNameParams{Name: name}); err != nil {
		return nil, err
	}
	c, err := f.caller(token)
	if err != nil {
		return nil, err
	}
	i, err := f.visible(c, name)
	if err != nil {
		return nil, err
	}
	s, ok := f.Stats[name]
	if !ok {
		s = rpc.OrgStats{Documents: int64(len(f.docs[f.Orgs[i].ID])), Indexes: 1}
	}
	return &s, nil
}

// Health reports a healthy embedded store.
func (f *Fake) Health(context.Context) (*rpc.Health, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodSystemHealth, nil); err != nil {
		return nil, err
	}
	return &rpc.Health{Status: "ok", Version: "test", Store: rpc.StoreHealth{Kind: "embedded", OK: true, LatencyMS: 0.2}, Tenants: len(f.Orgs)}, nil
}

// Subscribe opens the event channel that Send feeds.
func (f *Fake) Subscribe(_ context.Context, token string) (<-chan rpc.OrgEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(rpc.MethodOrgSubscribe, nil); err != nil {
		return nil, err
	}
	if _, err := f.caller(token); err != nil {
		return nil, err
	}
	if f.events != nil {
		close(f.events)
	}
	f.events = make(chan rpc.OrgEvent, 16)
	return f.events, nil
}

// NewOrg returns an active organization named name, created at a fixed
// time, with its slug and collection derived roughly as orgd does.
func NewOrg(name, adminEmail string) rpc.Organization {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	slug := strings.Trim(b.String(), "_")
	at := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	return rpc.Organization{
		ID: "id_" + slug, Name: name, Slug: slug, Collection: "org_" + slug, AdminEmail: adminEmail,
		Admins: []string{adminEmail}, Members: 1,
		State: rpc.StateActive, CreatedAt: at, UpdatedAt: at,
	}
}

// Orgs returns n organizations named "Org 00001" and so on.
func Orgs(n int) []rpc.Organization {
	out := make([]rpc.Organization, n)
	for i := range out {
		out[i] = NewOrg(fmt.Sprintf("Org %05d", i+1), fmt.Sprintf("admin%d@example.com", i+1))
	}
	return out
}
