package server

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// routes is the method table: every method orgd serves, in the order
// rpc.discover lists them.
func (s *Server) routes() []route {
	return slices.Concat(s.orgRoutes(), s.accountRoutes(), s.keyRoutes(), s.dataRoutes(), s.auditRoutes(), s.systemRoutes())
}

// authenticate checks a token and says who holds it, noting the
// connection it came on for the audit trail.
func (s *Server) authenticate(c *call, token string) (*org.Principal, error) {
	who, err := s.svc.Authenticate(token)
	if err != nil {
		return nil, err
	}
	who.Peer = c.conn.peer.Key
	return who, nil
}

// orgRoutes are the methods on accounts and organizations.
func (s *Server) orgRoutes() []route {
	return []route{
		method(rpc.MethodAuthLogin, "Log in with email and password; returns a token.", s.authLogin).
			describedAs("Unknown emails and wrong passwords get the same -32001 after about the same time. "+
				"After 5 failures for one email, or 20 from one peer, within 15 minutes: -32029 with data.retry_after_s.").
			withErrors(rpc.CodeUnauthenticated, rpc.CodeTooManyAttempts, rpc.CodeSuspended, rpc.CodeBusy).noStoreWork(),
		method(rpc.MethodAuthWhoami, "Tell who a token belongs to.", s.authWhoami).withAuth(rpc.CodeSuspended).fromMemory(),
		method(rpc.MethodAuthBootstrap, "Create the first operator and log in as them.", s.authBootstrap).
			describedAs("Works only while no operator exists, and only over the Unix socket for a peer running as root or as orgd's own user; -32003 otherwise.").
			withErrors(rpc.CodeForbidden, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgCreate, "Create an organization, its admin and its collection.", s.orgCreate).
			describedAs("Operators only, unless orgd runs with --allow-signup. admin_email and admin_password make the first admin. "+
				"A name whose slug another organization has gets -32009 naming it in data.existing; bad labels get -32602 with data.field labels.").
			withErrors(rpc.CodeUnauthenticated, rpc.CodeForbidden, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgGet, "Get an organization by name or slug.", s.orgGet).
			describedAs("A member asking for another organization gets -32004, as for one that does not exist.").
			withAuth(rpc.CodeNotFound, rpc.CodeSuspended).fromMemory(),
		method(rpc.MethodOrgList, "List organizations, a page at a time.", s.orgList).
			describedAs("Sorted by name, case-insensitively, then by id. The cursor stays valid while organizations come and go. " +
				"Members see only their own; operators see suspended ones too (state suspended). selector selects by labels.").
			withAuth(rpc.CodeSuspended).fromMemory(),
		method(rpc.MethodOrgUpdate, "Rename an organization, replace its labels, or change its oldest admin's email or password.", s.orgUpdate).
			describedAs("Operators and the organization's admins. A rename renames the collection too (renameCollection: every document and _id kept). "+
				"labels replaces every label. A password reset revokes that admin's tokens.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgDelete, "Delete an organization, its members and its collection.", s.orgDelete).
			describedAs("confirm must equal name. Operators and the organization's admins; operators also while it is suspended. Its members' tokens stop working.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgStats, "Report an organization's documents, size and indexes.", s.orgStats).
			describedAs("Figures come from collStats, never from counting documents.").
			withAuth(rpc.CodeNotFound, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgSuspend, "Suspend an organization: its members are refused, its data kept as it is.", s.orgSuspend).
			describedAs("Operators only. Until org.resume, its members' logins and tokens get -32010, data.* on it is refused but for operators' reads, "+
				"and nothing in it changes; operators may still delete it. One write: a crash leaves it suspended or not.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgResume, "Resume a suspended organization, as it was.", s.orgResume).
			describedAs("Operators only. Its members log in again with the passwords they had.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeStoreUnavailable),
		method(rpc.MethodOrgSubscribe, "Receive org.event notifications for the organizations you may see.", s.orgSubscribe).
			describedAs("After the reply, the connection receives {type: created|updated|renamed|deleted, organization} "+
				"as org.event notifications until it closes or the token expires or is revoked. A subscriber more than 256 events behind is dropped.").
			withAuth(rpc.CodeSuspended).noStoreWork().
			notifying(rpc.NotificationOrgEvent, reflect.TypeFor[rpc.OrgEvent]()),
	}
}

// systemRoutes are the methods on orgd itself.
func (s *Server) systemRoutes() []route {
	return []route{
		method(rpc.MethodSystemHealth, "Report the daemon's and the store's health.", s.systemHealth).
			describedAs("Answers at once from the last store probe (every second); needs no token.").fromMemory(),
		method(rpc.MethodRPCDiscover, "Describe every method (OpenRPC).", s.rpcDiscover).fromMemory(),
	}
}

func (s *Server) authLogin(ctx context.Context, c *call, p *rpc.LoginParams) (rpc.Session, error) {
	sess, err := s.svc.Login(ctx, p.Email, p.Password, c.conn.peer)
	if err != nil {
		return rpc.Session{}, err
	}
	return session(sess), nil
}

func (s *Server) authBootstrap(ctx context.Context, c *call, p *rpc.LoginParams) (rpc.Session, error) {
	sess, err := s.svc.Bootstrap(ctx, p.Email, p.Password, c.conn.peer)
	if err != nil {
		return rpc.Session{}, err
	}
	s.log.Info("first operator created", "peer", c.conn.peer.Key)
	return session(sess), nil
}

func session(s org.Session) rpc.Session {
	out := rpc.Session{Token: s.Token, TokenType: "Bearer", ExpiresAt: s.ExpiresAt, Role: string(s.Role)}
	if s.Role.Member() {
		out.Org = &rpc.OrgRef{ID: s.OrgID, Name: s.OrgName}
	}
	return out
}

func (s *Server) authWhoami(_ context.Context, c *call, p *rpc.TokenParams) (rpc.Whoami, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Whoami{}, err
	}
	out := rpc.Whoami{ID: who.AccountID, Email: who.Email, Role: string(who.Role)}
	if who.Role.Member() {
		out.Org = &rpc.OrgRef{ID: who.OrgID}
		if o, ok := s.svc.Directory().Organization(who.OrgID); ok {
			out.Org.Name = o.Name
		}
	}
	return out, nil
}

func (s *Server) orgCreate(ctx context.Context, c *call, p *rpc.OrgCreateParams) (rpc.Organization, error) {
	var who *org.Principal
	if p.Token != "" {
		var err error
		if who, err = s.authenticate(c, p.Token); err != nil {
			return rpc.Organization{}, err
		}
	}
	o, err := s.svc.CreateOrganization(ctx, who, org.OrganizationCreate{Name: p.Name, AdminEmail: p.AdminEmail, AdminPassword: p.AdminPassword, Labels: p.Labels})
	if err != nil {
		return rpc.Organization{}, err
	}
	s.log.Info("organization created", "org_id", o.ID, "name", o.Name, "collection", o.Collection)
	return organization(o), nil
}

func (s *Server) orgGet(_ context.Context, c *call, p *rpc.OrgNameParams) (rpc.Organization, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Organization{}, err
	}
	o, err := s.svc.Organization(who, p.Name)
	if err != nil {
		return rpc.Organization{}, err
	}
	return organization(o), nil
}

func (s *Server) orgList(_ context.Context, c *call, p *rpc.OrgListParams) (rpc.OrgList, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.OrgList{}, err
	}
	page, err := s.svc.ListOrganizations(who, org.OrganizationFilter{Query: p.Query, Selector: p.Selector, Limit: p.Limit, Cursor: p.Cursor})
	if err != nil {
		return rpc.OrgList{}, err
	}
	out := rpc.OrgList{Items: make([]rpc.Organization, len(page.Items)), NextCursor: page.NextCursor, Total: page.Total}
	for i, o := range page.Items {
		out.Items[i] = organization(o)
	}
	return out, nil
}

func (s *Server) orgUpdate(ctx context.Context, c *call, p *rpc.OrgUpdateParams) (rpc.Organization, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Organization{}, err
	}
	before, _ := s.svc.Organization(who, p.Name)
	o, err := s.svc.UpdateOrganization(ctx, who, p.Name, org.OrganizationUpdate{Name: p.NewName, AdminEmail: p.AdminEmail, AdminPassword: p.AdminPassword, Labels: p.Labels})
	if err != nil {
		return rpc.Organization{}, err
	}
	if before.Name != o.Name {
		s.log.Info("organization renamed", "org_id", o.ID, "from", before.Name, "to", o.Name, "collection", o.Collection)
	} else {
		s.log.Info("organization updated", "org_id", o.ID, "name", o.Name)
	}
	return organization(o), nil
}

func (s *Server) orgDelete(ctx context.Context, c *call, p *rpc.OrgDeleteParams) (rpc.Deleted, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Deleted{}, err
	}
	if err := s.svc.DeleteOrganization(ctx, who, p.Name, p.Confirm); err != nil {
		return rpc.Deleted{}, err
	}
	s.log.Info("organization deleted", "name", p.Name, "by", who.AccountID)
	return rpc.Deleted{Deleted: true}, nil
}

func (s *Server) orgStats(ctx context.Context, c *call, p *rpc.OrgNameParams) (rpc.OrgStats, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.OrgStats{}, err
	}
	st, err := s.svc.OrganizationStats(ctx, who, p.Name)
	if err != nil {
		return rpc.OrgStats{}, err
	}
	return rpc.OrgStats{Documents: st.Documents, SizeBytes: st.SizeBytes, Indexes: st.Indexes}, nil
}

func (s *Server) systemHealth(_ context.Context, _ *call, _ *rpc.HealthParams) (rpc.Health, error) {
	h := s.svc.StoreHealth()
	n, maxN := s.svc.Tenants()
	q := s.admission.queue()
	status := "ok"
	switch {
	case !h.OK:
		status = "degraded"
	case q.Busy:
		status = "busy"
	}
	return rpc.Health{
		Status:     status,
		Version:    s.cfg.Version,
		UptimeS:    int64(s.uptime() / time.Second),
		Store:      rpc.StoreHealth{Kind: h.Kind, OK: h.OK, LatencyMS: float64(h.Latency.Microseconds()) / 1000, Capacity: s.cfg.StoreCapacity},
		Tenants:    n,
		MaxTenants: maxN,
		Queue:      rpc.QueueHealth{Inflight: q.Inflight, Waiting: q.Waiting},
	}, nil
}

func (s *Server) rpcDiscover(_ context.Context, _ *call, _ *rpc.DiscoverParams) (json.RawMessage, error) {
	return s.doc, nil
}

func (s *Server) orgSuspend(ctx context.Context, c *call, p *rpc.OrgSuspendParams) (rpc.Organization, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Organization{}, err
	}
	o, err := s.svc.SuspendOrganization(ctx, who, p.Name, p.Reason)
	if err != nil {
		return rpc.Organization{}, err
	}
	s.log.Info("organization suspended", "org_id", o.ID, "name", o.Name, "by", who.AccountID)
	return organization(o), nil
}

func (s *Server) orgResume(ctx context.Context, c *call, p *rpc.OrgNameParams) (rpc.Organization, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Organization{}, err
	}
	o, err := s.svc.ResumeOrganization(ctx, who, p.Name)
	if err != nil {
		return rpc.Organization{}, err
	}
	s.log.Info("organization resumed", "org_id", o.ID, "name", o.Name, "by", who.AccountID)
	return organization(o), nil
}

// organization is o as the API shows it. Admins and Labels are the
// directory's own, shared: never changed here.
func organization(o org.Organization) rpc.Organization {
	out := rpc.Organization{
		ID: o.ID, Name: o.Name, Slug: o.Slug, Collection: o.Collection, AdminEmail: o.AdminEmail(),
		Admins: o.Admins, Members: o.Members, Labels: o.Labels,
		State: string(o.State), SuspendReason: o.SuspendReason, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	if out.Admins == nil {
		out.Admins = []string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if o.State == org.StateSuspended && !o.SuspendedAt.IsZero() {
		at := o.SuspendedAt
		out.SuspendedAt = &at
	}
	return out
}
