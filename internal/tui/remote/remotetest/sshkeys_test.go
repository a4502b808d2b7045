package remotetest

import (
	"context"
	"strings"
	"testing"

	"github.com/orgd/orgd/rpc"
)

func TestWhoManagesWhichKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, email, password, whose string
		want                         int64
	}{
		{"a viewer manages their own keys", "viewer@acme.test", "viewer-password", "", 0},
		{"a viewer may name their own email", "viewer@acme.test", "viewer-password", "VIEWER@acme.test", 0},
		{"an admin may not manage a member's keys", "boss@acme.test", "admin-password", "viewer@acme.test", rpc.CodeForbidden},
		{"an operator manages any account's keys", "ops@example.com", "operator-password", "viewer@acme.test", 0},
		{"an operator naming an unknown email gets not found", "ops@example.com", "operator-password", "nobody@acme.test", rpc.CodeNotFound},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(t)
			tok := login(t, f, tt.email, tt.password)
			k, err := f.AddKey(ctx, rpc.KeyAddParams{Token: tok, PublicKey: KeyLine(byte(i+1), "laptop"), Email: tt.whose})
			if code(err) != tt.want {
				t.Fatalf("auth.keys.add: %v, want code %d", err, tt.want)
			}
			_, lerr := f.ListKeys(ctx, rpc.KeyListParams{Token: tok, Email: tt.whose})
			rerr := f.RemoveKey(ctx, rpc.KeyRemoveParams{Token: tok, Fingerprint: "SHA256:x", Email: tt.whose})
			if tt.want != 0 {
				if code(lerr) != tt.want || code(rerr) != tt.want {
					t.Errorf("list %v and remove %v, want code %d", lerr, rerr, tt.want)
				}
				return
			}
			owner := tt.email
			if tt.whose != "" {
				owner = tt.whose
			}
			if !strings.EqualFold(k.Email, owner) || k.Name != "laptop" || k.Type != "ssh-ed25519" || !k.AddedAt.Equal(Epoch) || k.LastUsedAt != nil {
				t.Errorf("the key is %+v", k)
			}
			if keys := f.Keys(owner); len(keys) != 1 || keys[0].Fingerprint != k.Fingerprint {
				t.Errorf("%s has the keys %+v", owner, keys)
			}
			if lerr != nil || code(rerr) != rpc.CodeNotFound {
				t.Errorf("list %v, remove of an unknown fingerprint %v", lerr, rerr)
			}
		})
	}
}

func TestAddKeyRefusesAsOrgdDoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, line, keyName string
		code                int64
		field, reason       string
	}{
		{"a line that does not parse", "ssh-ed25519 not-base64", "", rpc.CodeInvalidParams, "public_key", "format"},
		{"a DSA key", DSAKeyLine("old"), "", rpc.CodeInvalidParams, "public_key", "weak"},
		{"an RSA key under 2048 bits", RSAKeyLine(1024, "old"), "", rpc.CodeInvalidParams, "public_key", "weak"},
		{"a key registered to someone else", KeyLine(9, "taken"), "", rpc.CodeConflict, "public_key", "taken"},
		{"a name over 64 characters", KeyLine(3, ""), strings.Repeat("n", 65), rpc.CodeInvalidParams, "name", "too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := world(t)
			f.PutKey("boss@acme.test", KeyLine(9, "boss"), "")
			tok := login(t, f, "viewer@acme.test", "viewer-password")
			_, err := f.AddKey(ctx, rpc.KeyAddParams{Token: tok, PublicKey: tt.line, Name: tt.keyName})
			e, ok := err.(*rpc.Error)
			if !ok || e.Code != tt.code || e.Data == nil || e.Data.Field != tt.field || e.Data.Reason != tt.reason {
				t.Fatalf("auth.keys.add = %#v, want code %d on %s (%s)", err, tt.code, tt.field, tt.reason)
			}
			if len(f.Keys("viewer@acme.test")) != 0 {
				t.Error("a refused key was registered")
			}
		})
	}
}

func TestAnAccountHasAtMost32Keys(t *testing.T) {
	t.Parallel()
	f := world(t)
	tok := login(t, f, "viewer@acme.test", "viewer-password")
	for i := range MaxKeys {
		if _, err := f.AddKey(context.Background(), rpc.KeyAddParams{Token: tok, PublicKey: KeyLine(byte(i+1), "")}); err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
	}
	_, err := f.AddKey(context.Background(), rpc.KeyAddParams{Token: tok, PublicKey: KeyLine(MaxKeys+1, "")})
	if code(err) != rpc.CodeInvalidParams || !strings.Contains(err.Error(), "at most 32") {
		t.Errorf("the 33rd key: %v", err)
	}
}

func TestKeysAreListedOldestFirstAndRemoved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := world(t)
	tok := login(t, f, "ops@example.com", "operator-password")
	first := f.PutKey("ops@example.com", KeyLine(1, "first"), "")
	second := f.PutKey("ops@example.com", KeyLine(2, "second"), "desk")
	l, err := f.ListKeys(ctx, rpc.KeyListParams{Token: tok})
	if err != nil || len(l.Items) != 2 || l.Items[0].Name != "first" || l.Items[1].Name != "desk" {
		t.Fatalf("auth.keys.list = %+v, %v", l, err)
	}
	if err := f.RemoveKey(ctx, rpc.KeyRemoveParams{Token: tok, Fingerprint: first.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	if keys := f.Keys("ops@example.com"); len(keys) != 1 || keys[0] != second {
		t.Errorf("after removing the first key: %+v", keys)
	}
	if calls := f.CallsOf(rpc.MethodAuthKeysList); len(calls) != 1 || calls[0].Params.(rpc.KeyListParams).Token != "" {
		t.Errorf("the fake recorded %+v", calls)
	}
}

func TestAnAccountsKeysGoWithIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := world(t)
	line := KeyLine(5, "viewer")
	f.PutKey("viewer@acme.test", line, "")
	tok := login(t, f, "ops@example.com", "operator-password")
	if err := f.RemoveMember(ctx, rpc.MemberRemoveParams{Token: tok, Org: "Acme", Email: "viewer@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if keys := f.Keys("viewer@acme.test"); len(keys) != 0 {
		t.Errorf("the removed account keeps %+v", keys)
	}
	if _, err := f.AddKey(ctx, rpc.KeyAddParams{Token: tok, PublicKey: line}); err != nil {
		t.Errorf("the removed account's key cannot be added again: %v", err)
	}
}

func TestAMemberOfASuspendedOrganizationCannotManageKeys(t *testing.T) {
	t.Parallel()
	f := world(t)
	tok := login(t, f, "viewer@acme.test", "viewer-password")
	ops := login(t, f, "ops@example.com", "operator-password")
	if _, err := f.SuspendOrg(context.Background(), ops, "Acme", ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.ListKeys(context.Background(), rpc.KeyListParams{Token: tok})
	if code(err) != rpc.CodeSuspended {
		t.Errorf("auth.keys.list = %v, want -32010", err)
	}
}
