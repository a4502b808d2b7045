package org_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/org"
)

// auditStore answers ListAudit with entries, and keeps the query it got.
type auditStore struct {
	untouchedStore
	entries []org.AuditEntry
	got     *org.AuditQuery
}

func (s *auditStore) ListAudit(_ context.Context, q org.AuditQuery) (org.AuditPage, error) {
	s.got = &q
	var out []org.AuditEntry
	for _, e := range s.entries {
		if q.Match(e) {
			out = append(out, e)
		}
	}
	return org.AuditPage{Items: out}, nil
}

// newAuditService returns a service over the directory of newService,
// whose store answers ListAudit from entries.
func newAuditService(t *testing.T, entries ...org.AuditEntry) (*org.Service, *auditStore) {
	t.Helper()
	f := newService(t, org.Config{})
	h, _ := hasher(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st := &auditStore{untouchedStore: untouchedStore{t}, entries: entries}
	svc := org.NewService(st, f.dir, org.NewEvents(), h, auth.NewSigner(key, time.Hour), auth.NewThrottle(), org.Config{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	return svc, st
}

func TestAuditVisibility(t *testing.T) {
	ctx := context.Background()
	entries := []org.AuditEntry{
		{Action: "org.create", OrgID: "acme", OrgName: "Acme", ActorEmail: "ops@example.com"},
		{Action: "org.create", OrgID: "beta", OrgName: "Beta", ActorEmail: "ops@example.com"},
		{Action: "operator.create", ActorEmail: "ops@example.com", Target: "two@example.com"},
	}
	t.Run("an operator reads every entry", func(t *testing.T) {
		svc, _ := newAuditService(t, entries...)
		p, err := svc.ListAudit(ctx, operator, org.AuditFilter{})
		if err != nil || len(p.Items) != 3 {
			t.Fatalf("%d entries, %v; want 3", len(p.Items), err)
		}
	})
	t.Run("an admin reads their organization's entries only", func(t *testing.T) {
		svc, st := newAuditService(t, entries...)
		p, err := svc.ListAudit(ctx, acmeBoss, org.AuditFilter{})
		if err != nil || len(p.Items) != 1 || p.Items[0].OrgID != "acme" || st.got.OrgID != "acme" {
			t.Fatalf("%v, %v; want Acme's entry alone", p.Items, err)
		}
	})
	for _, name := range []string{"Acme", "acme", "ACME"} {
		t.Run("an admin may name their own organization as "+name, func(t *testing.T) {
			svc, st := newAuditService(t, entries...)
			if _, err := svc.ListAudit(ctx, acmeBoss, org.AuditFilter{Org: name}); err != nil || st.got.OrgID != "acme" {
				t.Fatalf("%v, query %+v", err, st.got)
			}
		})
	}
	for _, name := range []string{"Beta", "Nowhere", "beta"} {
		t.Run("an admin naming "+name+" gets not found, as for one that does not exist", func(t *testing.T) {
			svc, _ := newAuditService(t, entries...)
			_, err := svc.ListAudit(ctx, acmeBoss, org.AuditFilter{Org: name})
			wantCode(t, err, org.ENOTFOUND)
		})
	}
	t.Run("a viewer reads nothing", func(t *testing.T) {
		svc, _ := newAuditService(t, entries...)
		_, err := svc.ListAudit(ctx, acmeViewer, org.AuditFilter{})
		wantCode(t, err, org.EFORBIDDEN)
	})
}

func TestAuditFilterResolution(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		filter org.AuditFilter
		want   org.AuditQuery
	}{
		{"no filter pages by 50", org.AuditFilter{}, org.AuditQuery{Limit: 50}},
		{"an organization that exists is selected by id", org.AuditFilter{Org: "acme"}, org.AuditQuery{OrgID: "acme", Limit: 50}},
		{"another name selects what was recorded under it", org.AuditFilter{Org: "Gone Inc"}, org.AuditQuery{OrgSlug: "gone_inc", OrgRef: "Gone Inc", Limit: 50}},
		{"an actor with an account is selected by email and id", org.AuditFilter{Actor: "Admin@Acme.example"},
			org.AuditQuery{ActorEmail: "admin@acme.example", ActorID: "admin-acme", Limit: 50}},
		{"an actor without one by email", org.AuditFilter{Actor: "gone@example.com"}, org.AuditQuery{ActorEmail: "gone@example.com", Limit: 50}},
		{"an action ending in a dot is a prefix", org.AuditFilter{Action: "member."}, org.AuditQuery{Action: "member.", ActionPrefix: true, Limit: 50}},
		{"an action is exact", org.AuditFilter{Action: "member.add", Limit: 7}, org.AuditQuery{Action: "member.add", Limit: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st := newAuditService(t)
			if _, err := svc.ListAudit(ctx, operator, tt.filter); err != nil {
				t.Fatal(err)
			}
			if *st.got != tt.want {
				t.Fatalf("query %+v, want %+v", *st.got, tt.want)
			}
		})
	}
	bad := []struct {
		name   string
		filter org.AuditFilter
		field  string
	}{
		{"a limit over 500", org.AuditFilter{Limit: 501}, "limit"},
		{"a negative limit", org.AuditFilter{Limit: -1}, "limit"},
		{"until before since", org.AuditFilter{Since: time.Unix(100, 0), Until: time.Unix(50, 0)}, "until"},
		{"an action with a control character", org.AuditFilter{Action: "org\ncreate"}, "action"},
		{"an action too long", org.AuditFilter{Action: string(make([]byte, 65))}, "action"},
		{"an organization name with a control character", org.AuditFilter{Org: "a\x00b"}, "org"},
	}
	for _, tt := range bad {
		t.Run(tt.name+" is refused naming "+tt.field, func(t *testing.T) {
			svc, _ := newAuditService(t)
			_, err := svc.ListAudit(ctx, operator, tt.filter)
			if e := wantCode(t, err, org.EINVALID); e.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Field, tt.field)
			}
		})
	}
}

func TestAuditQueryMatch(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	e := org.AuditEntry{At: at, Actor: "a1", ActorEmail: "Ana@Example.com", Action: "member.add", OrgID: "o1", OrgName: "Space X"}
	old := org.AuditEntry{At: at, Actor: "a1", Action: "org.create", OrgID: "o1"} // an earlier orgd's: no email, no name
	tests := []struct {
		name  string
		q     org.AuditQuery
		entry org.AuditEntry
		want  bool
	}{
		{"no filter matches", org.AuditQuery{}, e, true},
		{"the exact action matches", org.AuditQuery{Action: "member.add"}, e, true},
		{"another action does not", org.AuditQuery{Action: "member.remove"}, e, false},
		{"a prefix matches", org.AuditQuery{Action: "member.", ActionPrefix: true}, e, true},
		{"a prefix is not matched exactly", org.AuditQuery{Action: "member."}, e, false},
		{"the organization's id matches", org.AuditQuery{OrgID: "o1"}, e, true},
		{"another id does not", org.AuditQuery{OrgID: "o2"}, e, false},
		{"the recorded name matches by slug", org.AuditQuery{OrgSlug: "space_x", OrgRef: "space x"}, e, true},
		{"an id given as a name matches", org.AuditQuery{OrgSlug: "o1", OrgRef: "o1"}, e, true},
		{"another name does not", org.AuditQuery{OrgSlug: "spacex", OrgRef: "SpaceX"}, e, false},
		{"the email matches whatever its case", org.AuditQuery{ActorEmail: "ana@example.com"}, e, true},
		{"another email does not, whatever the id", org.AuditQuery{ActorEmail: "bo@example.com", ActorID: "a1"}, e, false},
		{"without a recorded email the account id matches", org.AuditQuery{ActorEmail: "ana@example.com", ActorID: "a1"}, old, true},
		{"without a recorded email and an id nothing does", org.AuditQuery{ActorEmail: "ana@example.com"}, old, false},
		{"since is included", org.AuditQuery{Since: at}, e, true},
		{"until is not", org.AuditQuery{Until: at}, e, false},
		{"a range around it matches", org.AuditQuery{Since: at.Add(-time.Second), Until: at.Add(time.Second)}, e, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Match(tt.entry); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAuditFillsWhatEarlierEntriesLack(t *testing.T) {
	svc, _ := newAuditService(t, org.AuditEntry{Actor: "admin-acme", Action: "org.update", OrgID: "acme"})
	p, err := svc.ListAudit(context.Background(), operator, org.AuditFilter{})
	if err != nil || len(p.Items) != 1 {
		t.Fatal(p, err)
	}
	if e := p.Items[0]; e.ActorEmail != "admin@acme.example" || e.OrgName != "Acme" {
		t.Fatalf("the entry reads %+v; want the actor's email and the organization's name filled in", e)
	}
}
