package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
)

// auditMode is a way the store reads the audit trail.
type auditMode struct {
	name string
	// exclusive: the embedded store, which holds the newest entries in
	// memory.
	exclusive bool
	// mongo: ranges of _ids, as on MongoDB.
	mongo bool
}

var auditModes = []auditMode{
	{name: "on the embedded store", exclusive: true},
	{name: "on a shared FerretDB"},
	{name: "as on MongoDB", mongo: true},
}

// openAuditStore opens a store on uri (an engine of its own when empty)
// read as mode says, and returns it with the engine's URI.
func openAuditStore(t *testing.T, mode auditMode, uri string, mon *event.CommandMonitor) (*mongo.Store, string) {
	t.Helper()
	if uri == "" {
		uri = testenv.StartStoreProcess(t, testenv.ShortDir(t)).URI
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := mongo.Open(ctx, mongo.Options{
		URI: uri, Database: "orgd", Kind: mongo.KindEmbedded, Directory: org.NewDirectory(nil),
		Exclusive: mode.exclusive, Monitor: mon, ServerSelectionTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode.mongo {
		mongo.ReadAuditAsOnMongoDB(s)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, uri
}

var auditEpoch = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// auditEntries returns n entries, one a minute from start, numbered from
// first in their Detail.
func auditEntries(first, n int, start time.Time) []org.AuditEntry {
	actions := []string{"org.create", "member.add", "member.remove", "org.rename"}
	out := make([]org.AuditEntry, n)
	for i := range out {
		k := first + i
		out[i] = org.AuditEntry{
			At: start.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprintf("acct%d", k%3), ActorEmail: fmt.Sprintf("user%d@example.com", k%3),
			Role: org.RoleOperator, Action: actions[k%len(actions)], OrgID: fmt.Sprintf("org%d", k%5), OrgName: fmt.Sprintf("Org %d", k%5),
			Detail: fmt.Sprintf("#%d", k), Peer: "uid:1000",
		}
	}
	return out
}

// listAll pages through what q selects and returns every entry.
func listAll(t *testing.T, s *mongo.Store, q org.AuditQuery) []org.AuditEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []org.AuditEntry
	for calls := 0; ; calls++ {
		if calls > 10000 {
			t.Fatal("the cursor never ends")
		}
		p, err := s.ListAudit(ctx, q)
		if err != nil {
			t.Fatalf("page %d: %v", calls, err)
		}
		if len(p.Items) > q.Limit {
			t.Fatalf("page %d holds %d entries, more than the limit %d", calls, len(p.Items), q.Limit)
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
}

func details(es []org.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Detail
	}
	return out
}

// want lists the Details "#hi" down to "#lo" that keep says to.
func want(hi, lo int, keep func(int) bool) []string {
	var out []string
	for k := hi; k >= lo; k-- {
		if keep == nil || keep(k) {
			out = append(out, fmt.Sprintf("#%d", k))
		}
	}
	return out
}

func importAudit(t *testing.T, s *mongo.Store, es []org.AuditEntry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.ImportAudit(ctx, es); err != nil {
		t.Fatal(err)
	}
}

func TestAuditPagesNewestFirstWithoutLossOrRepeat(t *testing.T) {
	for _, mode := range auditModes {
		t.Run(mode.name, func(t *testing.T) {
			s, _ := openAuditStore(t, mode, "", nil)
			importAudit(t, s, auditEntries(0, 120, auditEpoch))
			for _, e := range auditEntries(120, 3, auditEpoch.Add(200*time.Minute)) {
				s.Audit(context.Background(), e)
			}
			got := listAll(t, s, org.AuditQuery{Limit: 7})
			if w := want(122, 0, nil); !slices.Equal(details(got), w) {
				t.Fatalf("listed %v,\nwant %v", details(got), w)
			}
			ids := make(map[string]bool)
			for i, e := range got {
				if ids[e.ID] || e.ID == "" {
					t.Fatalf("entry %d has the id %q, empty or seen before", i, e.ID)
				}
				ids[e.ID] = true
				if i > 0 && (e.ID >= got[i-1].ID || e.At.After(got[i-1].At)) {
					t.Fatalf("entry %d (%s) does not come after entry %d (%s)", i, e, i-1, got[i-1])
				}
			}
			t.Run("an entry reads back as it was written", func(t *testing.T) {
				w := auditEntries(122, 1, auditEpoch.Add(202*time.Minute))[0]
				w.ID = got[0].ID
				if got[0] != w {
					t.Fatalf("the newest entry is %+v, want %+v", got[0], w)
				}
			})
			t.Run("a page as large as the trail ends it", func(t *testing.T) {
				p, err := s.ListAudit(context.Background(), org.AuditQuery{Limit: 123})
				if err != nil || len(p.Items) != 123 || p.NextCursor != "" {
					t.Fatalf("%d entries, cursor %q, %v; want 123 and no cursor", len(p.Items), p.NextCursor, err)
				}
			})
		})
	}
}

func TestAuditFiltersMatchWhatTheyName(t *testing.T) {
	for _, mode := range auditModes {
		t.Run(mode.name, func(t *testing.T) {
			s, _ := openAuditStore(t, mode, "", nil)
			importAudit(t, s, auditEntries(0, 200, auditEpoch))
			tests := []struct {
				name string
				q    org.AuditQuery
				keep func(int) bool
			}{
				{"an exact action", org.AuditQuery{Action: "member.add"}, func(k int) bool { return k%4 == 1 }},
				{"an action prefix", org.AuditQuery{Action: "member.", ActionPrefix: true}, func(k int) bool { return k%4 == 1 || k%4 == 2 }},
				{"an organization by id", org.AuditQuery{OrgID: "org2"}, func(k int) bool { return k%5 == 2 }},
				{"an organization by the name it had", org.AuditQuery{OrgSlug: "org_3"}, func(k int) bool { return k%5 == 3 }},
				{"an actor by email", org.AuditQuery{ActorEmail: "user1@example.com"}, func(k int) bool { return k%3 == 1 }},
				{"since and until", org.AuditQuery{Since: auditEpoch.Add(50 * time.Minute), Until: auditEpoch.Add(120 * time.Minute)},
					func(k int) bool { return k >= 50 && k < 120 }},
				{"until and an action", org.AuditQuery{Until: auditEpoch.Add(30 * time.Minute), Action: "org.create"},
					func(k int) bool { return k < 30 && k%4 == 0 }},
				{"since alone", org.AuditQuery{Since: auditEpoch.Add(190 * time.Minute)}, func(k int) bool { return k >= 190 }},
				{"a time range before everything", org.AuditQuery{Until: auditEpoch.Add(-time.Hour)}, func(int) bool { return false }},
			}
			for _, tt := range tests {
				t.Run(tt.name+" selects its entries, newest first", func(t *testing.T) {
					tt.q.Limit = 9
					if got, w := details(listAll(t, s, tt.q)), want(199, 0, tt.keep); !slices.Equal(got, w) {
						t.Fatalf("listed %v,\nwant %v", got, w)
					}
				})
			}
		})
	}
}

// TestAuditReadsABoundedNumberOfEntriesPerCall: a filter that matches
// few entries is answered a part at a time, each call reading at most
// AuditReadLimit entries from the store, and the parts together hold
// every match once.
func TestAuditReadsABoundedNumberOfEntriesPerCall(t *testing.T) {
	rec := &recorder{}
	s, _ := openAuditStore(t, auditModes[1], "", rec.monitor())
	n := 3 * mongo.AuditReadLimit
	es := auditEntries(0, n, auditEpoch)
	for _, k := range []int{5, 400, n - 2} {
		es[k].Action = "org.suspend"
	}
	importAudit(t, s, es)
	ctx := context.Background()
	q := org.AuditQuery{Action: "org.suspend", Limit: 50}
	var got []org.AuditEntry
	for calls := 1; ; calls++ {
		rec.start()
		p, err := s.ListAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		for _, c := range rec.commands() {
			if c.collection == mongo.AuditCollection {
				reads++
			}
		}
		if reads > mongo.AuditReadLimit+4 {
			t.Fatalf("call %d read the audit collection %d times; at most about %d were to be read", calls, reads, mongo.AuditReadLimit)
		}
		got = append(got, p.Items...)
		if p.NextCursor == "" {
			if calls < 3 {
				t.Errorf("%d calls read %d entries", calls, n)
			}
			break
		}
		q.Cursor = p.NextCursor
	}
	if w := []string{fmt.Sprintf("#%d", n-2), "#400", "#5"}; !slices.Equal(details(got), w) {
		t.Fatalf("found %v, want %v", details(got), w)
	}
}

// insertEarlier writes entries as the orgd before numbered entries did:
// the driver gives each an ObjectId.
func insertEarlier(t *testing.T, s *mongo.Store, es []org.AuditEntry) {
	t.Helper()
	for _, e := range es {
		doc := bson.D{{Key: "at", Value: e.At}, {Key: "actor", Value: e.Actor}, {Key: "actor_email", Value: e.ActorEmail},
			{Key: "role", Value: string(e.Role)}, {Key: "action", Value: e.Action}, {Key: "org_id", Value: e.OrgID},
			{Key: "org_name", Value: e.OrgName}, {Key: "detail", Value: e.Detail}, {Key: "peer", Value: e.Peer}}
		if _, err := s.Database().Collection(mongo.AuditCollection).InsertOne(context.Background(), doc); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditReadsAnEarlierOrgdsEntriesAfterTheNumberedOnes(t *testing.T) {
	for _, mode := range auditModes {
		t.Run(mode.name, func(t *testing.T) {
			s, _ := openAuditStore(t, mode, "", nil)
			insertEarlier(t, s, auditEntries(0, 5, auditEpoch))
			importAudit(t, s, auditEntries(5, 6, auditEpoch.Add(time.Hour)))
			t.Run("every entry once, newest first, across the seam", func(t *testing.T) {
				for _, limit := range []int{1, 2, 3, 6, 11, 50} {
					got := listAll(t, s, org.AuditQuery{Limit: limit})
					if w := want(10, 0, nil); !slices.Equal(details(got), w) {
						t.Fatalf("limit %d: listed %v, want %v", limit, details(got), w)
					}
				}
			})
			t.Run("the earlier entries have their ObjectIds as ids", func(t *testing.T) {
				got := listAll(t, s, org.AuditQuery{Limit: 50})
				last := got[len(got)-1]
				if _, err := bson.ObjectIDFromHex(last.ID); err != nil || last.OrgName != "Org 0" || last.ActorEmail != "user0@example.com" {
					t.Fatalf("the oldest entry is %+v", last)
				}
			})
			t.Run("filters apply to them", func(t *testing.T) {
				got := listAll(t, s, org.AuditQuery{Limit: 2, Action: "member.", ActionPrefix: true})
				if w := want(10, 0, func(k int) bool { return k%4 == 1 || k%4 == 2 }); !slices.Equal(details(got), w) {
					t.Fatalf("listed %v, want %v", details(got), w)
				}
			})
			t.Run("they expire as the others do", func(t *testing.T) {
				n, err := s.ExpireAudit(context.Background(), auditEpoch.Add(3*time.Minute))
				if err != nil || n != 3 {
					t.Fatalf("expired %d, %v; want 3", n, err)
				}
				if got, w := details(listAll(t, s, org.AuditQuery{Limit: 4})), want(10, 3, nil); !slices.Equal(got, w) {
					t.Fatalf("listed %v, want %v", got, w)
				}
			})
		})
	}
}

func TestAuditRetentionDeletesWhatIsOlderOnly(t *testing.T) {
	for _, mode := range auditModes {
		t.Run(mode.name, func(t *testing.T) {
			s, uri := openAuditStore(t, mode, "", nil)
			old := auditEntries(0, 450, auditEpoch.Add(-100*24*time.Hour))
			importAudit(t, s, old)
			importAudit(t, s, auditEntries(450, 10, auditEpoch))
			ctx := context.Background()
			n, err := s.ExpireAudit(ctx, auditEpoch.Add(-90*24*time.Hour))
			if err != nil || n != 450 {
				t.Fatalf("expired %d, %v; want 450", n, err)
			}
			if got, w := details(listAll(t, s, org.AuditQuery{Limit: 4})), want(459, 450, nil); !slices.Equal(got, w) {
				t.Fatalf("after expiry, listed %v, want %v", got, w)
			}
			if n, err := s.ExpireAudit(ctx, auditEpoch.Add(-90*24*time.Hour)); err != nil || n != 0 {
				t.Fatalf("expiring again deleted %d, %v; want none", n, err)
			}
			s.Audit(ctx, auditEntries(460, 1, auditEpoch.Add(time.Hour))[0])
			t.Run("after a restart, the numbers go on from the newest", func(t *testing.T) {
				if err := s.Close(ctx); err != nil {
					t.Fatal(err)
				}
				again, _ := openAuditStore(t, mode, uri, nil)
				again.Audit(ctx, auditEntries(461, 1, auditEpoch.Add(2*time.Hour))[0])
				got := listAll(t, again, org.AuditQuery{Limit: 5})
				if w := want(461, 450, nil); !slices.Equal(details(got), w) {
					t.Fatalf("listed %v, want %v", details(got), w)
				}
				if got[0].ID <= got[1].ID {
					t.Fatalf("the entry written after the restart has the id %s, not after %s", got[0].ID, got[1].ID)
				}
			})
		})
	}
}

func TestAuditAfterARestart(t *testing.T) {
	mode := auditModes[0]
	s, uri := openAuditStore(t, mode, "", nil)
	ctx := context.Background()
	// 300 imported, then five one by one, and no Close: as after a crash,
	// the hint of how far the numbers went was never written.
	importAudit(t, s, auditEntries(0, 300, auditEpoch))
	for _, e := range auditEntries(300, 5, auditEpoch.Add(300*time.Minute)) {
		s.Audit(ctx, e)
	}
	rec := &recorder{}
	again, _ := openAuditStore(t, mode, uri, rec.monitor())
	t.Run("the numbers go on from the newest, found without a hint", func(t *testing.T) {
		again.Audit(ctx, auditEntries(305, 1, auditEpoch.Add(305*time.Minute))[0])
		if got, w := details(listAll(t, again, org.AuditQuery{Limit: 50})), want(305, 0, nil); !slices.Equal(got, w) {
			t.Fatalf("listed %v, want %v", got, w)
		}
	})
	t.Run("once the newest are read into memory, the first page reads nothing", func(t *testing.T) {
		mongo.FillRecentAudit(again, ctx)
		rec.start()
		p, err := again.ListAudit(ctx, org.AuditQuery{Limit: 50})
		if err != nil || len(p.Items) != 50 || p.Items[0].Detail != "#305" {
			t.Fatalf("first page: %d entries from %v, %v", len(p.Items), details(p.Items[:min(1, len(p.Items))]), err)
		}
		if cmds := rec.commands(); len(cmds) > 0 {
			t.Fatalf("the first page sent %d commands, the first %s on %s", len(cmds), cmds[0].name, cmds[0].collection)
		}
	})
}

func TestAuditRefusesCursorsItDidNotGive(t *testing.T) {
	s, _ := openAuditStore(t, auditModes[0], "", nil)
	for _, c := range []string{"nope!", "YTFu", "YTF4MDAwMDAwMDAwMDAwMDAwMQ", "eHg"} {
		_, err := s.ListAudit(context.Background(), org.AuditQuery{Limit: 5, Cursor: c})
		var oe *org.Error
		if !errors.As(err, &oe) || oe.Code != org.EINVALID || oe.Field != "cursor" {
			t.Errorf("cursor %q: %v, want invalid cursor", c, err)
		}
	}
}
