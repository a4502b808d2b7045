package mongo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func TestImportLeavesAStoreThatChecksClean(t *testing.T) {
	s, dir := openStore(t, true, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var orgs []org.Organization
	var admins []org.Account
	for _, n := range [][2]string{{"Acme", "admin@acme.example"}, {"Beta", "admin@beta.example"}, {"Müller GmbH", "it@mueller.example"}} {
		o, a := newOrganization(n[0], n[1])
		orgs, admins = append(orgs, o), append(admins, a)
	}
	if err := s.Import(ctx, orgs, admins); err != nil {
		t.Fatal(err)
	}
	problems, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("after Import, Check finds %v", problems)
	}
	for i, o := range orgs {
		got, ok := dir.OrganizationByName(o.Name)
		if !ok || got.ID != o.ID || got.State != org.StateActive || got.AdminEmail() != admins[i].Email {
			t.Errorf("the directory holds %+v for %s, want it active with its admin", got, o.Name)
		}
		if a, ok := dir.AccountByEmail(admins[i].Email); !ok || a.OrgID != o.ID || string(a.PasswordHash) != "hash" {
			t.Errorf("the directory holds the admin %+v, want it with its organization and hash", a)
		}
	}

	// The claims are in place: a create with a taken slug or email loses.
	var oe *org.Error
	if _, err := create(ctx, s, "ACME", "new@acme.example"); !errors.As(err, &oe) || oe.Code != org.ECONFLICT {
		t.Errorf("creating ACME after importing Acme: %v, want a conflict", err)
	}
	if _, err := create(ctx, s, "Gamma", "admin@beta.example"); !errors.As(err, &oe) || oe.Code != org.ECONFLICT {
		t.Errorf("creating Gamma with Beta's admin email: %v, want a conflict", err)
	}
	// And an imported organization changes like any other.
	if _, err := s.UpdateOrganization(ctx, orgs[0].ID, rename("Acme Corp")); err != nil {
		t.Errorf("renaming an imported organization: %v", err)
	}
	if err := s.DeleteOrganization(ctx, orgs[1].ID); err != nil {
		t.Errorf("deleting an imported organization: %v", err)
	}
	if problems, err := s.Check(ctx); err != nil || len(problems) > 0 {
		t.Errorf("after a rename and a delete, Check finds %v, %v", problems, err)
	}
}
