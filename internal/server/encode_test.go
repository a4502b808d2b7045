package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/orgd/orgd/rpc"
)

// FuzzEncodeResult holds the hand-written encodings of organizations and
// lists to json.Marshal's bytes.
func FuzzEncodeResult(f *testing.F) {
	f.Add("Acme", "admin@acme.example", "", int64(1795000000), int64(123000000), 3)
	f.Add("Müller GmbH", "it@mueller.example", "cursor", int64(0), int64(0), 0)
	f.Add("<Acme & Co>", "\"quoted\"@example.com", "a\u2028b", int64(-62135596800), int64(1), 1)
	f.Add("\xff\xfe", "tab\there", "\\", int64(253402300799), int64(999999999), 2)
	f.Add("", "", "", int64(253402300800), int64(0), -1)
	f.Add("Acme", "admin@acme.example", "legacy", int64(1795000000), int64(5), 44)
	zones := []*time.Location{time.UTC, time.FixedZone("odd", 5*3600+30*60+7), time.FixedZone("far", -23*3600)}
	f.Fuzz(func(t *testing.T, name, email, cursor string, sec, nsec int64, n int) {
		created := time.Unix(sec, nsec%1e9).In(zones[uint64(sec)%uint64(len(zones))])
		o := rpc.Organization{
			ID: "6b099bca84dfa73cf1a9b5ec", Name: name, Slug: "acme", Collection: "org_acme",
			AdminEmail: email, State: rpc.StateActive, CreatedAt: created, UpdatedAt: created.Add(time.Duration(nsec)).UTC(),
		}
		// The optional members, in every combination n picks: admins,
		// labels (from the fuzzed strings, as keys and values), and a
		// suspension.
		if n&4 != 0 {
			o.Admins, o.Members = []string{email, name}, n
		}
		if n&8 != 0 {
			o.Labels = map[string]string{name: email, cursor: name, "env": "prod"}
		} else if n&16 != 0 {
			o.Labels = map[string]string{}
		}
		if n&32 != 0 {
			suspended := created.Add(time.Hour)
			o.State, o.SuspendedAt, o.SuspendReason = rpc.StateSuspended, &suspended, cursor
		}
		var items []rpc.Organization
		if n >= 0 {
			items = make([]rpc.Organization, 0, n%4)
			for range n % 4 {
				items = append(items, o)
			}
		}
		for _, v := range []any{o, rpc.OrgList{Items: items, NextCursor: cursor, Total: n}} {
			want, wantErr := json.Marshal(v)
			got, err := encodeResult(v)
			if (err == nil) != (wantErr == nil) || string(got) != string(want) {
				t.Fatalf("encodeResult(%#v)\n= %s, %v\nwant %s, %v", v, got, err, want, wantErr)
			}
		}
	})
}

func TestEncodeResultWritesOrganizationsByHand(t *testing.T) {
	o := rpc.Organization{ID: "1", Name: "Müller GmbH", State: "active", CreatedAt: time.Date(2026, 11, 27, 14, 13, 10, 821000000, time.UTC)}
	b, ok := appendOrganization(nil, o)
	if !ok {
		t.Fatal("an organization with plain strings went to json.Marshal")
	}
	if want, _ := json.Marshal(o); string(b) != string(want) {
		t.Fatalf("%s, want %s", b, want)
	}
	if _, ok := appendOrganization(nil, rpc.Organization{Name: "<b>"}); ok {
		t.Fatal("a name json.Marshal escapes was written by hand")
	}
}
