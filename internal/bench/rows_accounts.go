package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// The rows of accounts (SPEC §8): logins among many accounts, and the
// first page of an organization's members, both served from the
// directory.

// memberEmail is the i-th seeded member's email (from 1).
func memberEmail(i int) string { return fmt.Sprintf("member%06d@bench.example", i) }

// seedAccounts adds members to the seeded organizations until the store
// holds o.Accounts accounts (the admins and the operator included):
// BigOrgMembers of them to the first organization, the others spread over
// the rest. Like seedTo, it writes straight into the store with the one
// precomputed hash.
func (e *env) seedAccounts(ctx context.Context) error {
	n := e.o.Accounts - e.seeded - 1
	if n <= 0 {
		return nil
	}
	start := time.Now()
	orgs := make([]string, 0, e.seeded)
	for i := 1; i <= e.seeded; i++ {
		o, ok := e.d.Store().Directory.OrganizationByName(seedName(i))
		if !ok {
			return fmt.Errorf("seeded organization %s is missing", seedName(i))
		}
		orgs = append(orgs, o.ID)
	}
	accounts := make([]org.Account, 0, seedChunk)
	flush := func() error {
		err := e.d.Store().ImportAccounts(ctx, accounts)
		accounts = accounts[:0]
		return err
	}
	for i := 1; i <= n; i++ {
		orgID := orgs[0]
		if i > e.o.BigOrgMembers {
			orgID = orgs[1+(i%(len(orgs)-1))]
		}
		accounts = append(accounts, org.Account{ID: org.NewID(), Email: memberEmail(i), Role: org.RoleViewer, OrgID: orgID,
			PasswordHash: e.hash, CredVersion: 1})
		if len(accounts) == seedChunk {
			if err := flush(); err != nil {
				return fmt.Errorf("seed members: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("seed members: %w", err)
	}
	e.members = n
	e.logf("  %s members seeded (%s)", count(n), time.Since(start).Round(time.Millisecond))
	return nil
}

// rowLoginAccounts is the login row among all the accounts: the clients
// log in as members spread over the seeded ones.
func (e *env) rowLoginAccounts(ctx context.Context) error {
	if e.members < e.o.Clients {
		return fmt.Errorf("%d members seeded, fewer than the %d clients", e.members, e.o.Clients)
	}
	emails := make([]string, e.o.Clients)
	for w := range emails {
		emails[w] = memberEmail(1 + w*(e.members/e.o.Clients))
	}
	total := e.seeded + e.members + 1
	return e.loginRow(ctx, "login-accounts",
		fmt.Sprintf("auth.login throughput with %s accounts, %d clients", count(total), e.o.Clients), emails,
		fmt.Sprintf(" The store holds %s accounts: %s admins, %s viewers and the operator, every one looked up by email in the directory.",
			count(total), count(e.seeded), count(e.members)))
}

// rowMemberList measures member.list's first page of the organization
// that holds BigOrgMembers members.
func (e *env) rowMemberList(ctx context.Context) error {
	list, err := e.client.ListMembers(ctx, rpc.MemberListParams{Token: e.token, Org: seedName(1)})
	if err != nil {
		return err
	}
	want := min(e.members, e.o.BigOrgMembers) + 1 // and its admin
	if list.Total != want || len(list.Items) != min(want, org.DefaultPageSize) {
		return fmt.Errorf("member.list gives %d items of %d, want %d of %d", len(list.Items), list.Total, min(want, org.DefaultPageSize), want)
	}
	return e.firstPageRow(ctx, Row{
		Key:    "member-list",
		What:   fmt.Sprintf("member.list first page (%d) of an organization of %s members, 1 client", len(list.Items), count(want)),
		Target: "p50 ≤ 1 ms",
		Note: fmt.Sprintf("Latency from writing the request to reading the whole answer; the store holds %s accounts in all.",
			count(e.seeded+e.members+1)),
	}, request(rpc.MethodMemberList, rpc.MemberListParams{Token: e.token, Org: seedName(1)}))
}
