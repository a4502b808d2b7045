package mongo_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/testenv"
)

// snapshotStore opens exclusive stores, one after the other, on one
// engine, with the directory snapshot in a file of the test's own.
type snapshotStore struct {
	t    *testing.T
	uri  string
	file string
}

func newSnapshotStore(t *testing.T) *snapshotStore {
	t.Helper()
	proc := testenv.StartStoreProcess(t, testenv.ShortDir(t))
	return &snapshotStore{t: t, uri: proc.URI, file: filepath.Join(t.TempDir(), "directory.snapshot")}
}

// open opens the store and upgrades it, as orgd does at start.
func (e *snapshotStore) open() (*mongo.Store, *org.Directory) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := org.NewDirectory(nil)
	s, err := mongo.Open(ctx, mongo.Options{URI: e.uri, Database: "orgd", Kind: mongo.KindEmbedded, Directory: dir,
		ServerSelectionTimeout: 10 * time.Second, Exclusive: true, SnapshotFile: e.file})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := s.Upgrade(ctx); err != nil {
		e.t.Fatal(err)
	}
	return s, dir
}

func (e *snapshotStore) close(s *mongo.Store) {
	e.t.Helper()
	if err := s.Close(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// names are the organizations of a directory, sorted.
func names(dir *org.Directory) []string {
	var out []string
	for _, o := range dir.Organizations() {
		out = append(out, o.Name+"@"+o.Database+"/"+o.Collection)
	}
	slices.Sort(out)
	return out
}

func TestTheDirectorySnapshotOfACleanStopIsReadOnceByTheNextStart(t *testing.T) {
	e := newSnapshotStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s, dir := e.open()
	for _, name := range []string{"Alpha", "Bravo", "Müller GmbH"} {
		if _, err := create(ctx, s, name, name+"@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	want := names(dir)
	wantAccounts := len(dir.Accounts())
	e.close(s)
	if _, err := os.Stat(e.file); err != nil {
		t.Fatalf("a clean stop left no snapshot: %v", err)
	}

	s, dir = e.open()
	t.Run("the next start serves what the stop left, and consumes the snapshot", func(t *testing.T) {
		if got := names(dir); !slices.Equal(got, want) {
			t.Errorf("organizations %v, want %v", got, want)
		}
		if got := len(dir.Accounts()); got != wantAccounts {
			t.Errorf("%d accounts, want %d", got, wantAccounts)
		}
		if !s.StartedFromSnapshot() {
			t.Error("the start did not read the snapshot")
		}
		if _, err := os.Stat(e.file); !os.IsNotExist(err) {
			t.Errorf("the snapshot is still there after the start that read it: %v", err)
		}
	})
	// A crash: the store is never closed, so no snapshot is sealed, and
	// what this process changed must come from the store at the next start.
	if _, err := create(ctx, s, "Charlie", "charlie@example.com"); err != nil {
		t.Fatal(err)
	}
	want = names(dir)
	s2, dir2 := e.open()
	t.Run("a start after a crash loads the directory from the store", func(t *testing.T) {
		if s2.StartedFromSnapshot() {
			t.Error("a start after a crash read a snapshot")
		}
		if got := names(dir2); !slices.Equal(got, want) {
			t.Errorf("organizations %v, want %v", got, want)
		}
	})
	e.close(s2)
	_ = s.Close(context.Background())
}

func TestADamagedDirectorySnapshotIsNeverTrusted(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, file string)
	}{
		{"a snapshot cut short", func(t *testing.T, file string) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b[:len(b)/2], 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"a snapshot with a byte changed", func(t *testing.T, file string) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-10] ^= 0xff
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"a snapshot gone", func(t *testing.T, file string) {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name+" is replaced by a load from the store", func(t *testing.T) {
			e := newSnapshotStore(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, dir := e.open()
			if _, err := create(ctx, s, "Alpha", "alpha@example.com"); err != nil {
				t.Fatal(err)
			}
			want := names(dir)
			e.close(s)
			c.damage(t, e.file)
			s, dir = e.open()
			defer e.close(s)
			if s.StartedFromSnapshot() {
				t.Error("the start read the damaged snapshot")
			}
			if got := names(dir); !slices.Equal(got, want) {
				t.Errorf("organizations %v, want %v", got, want)
			}
		})
	}
}

func TestAnOlderSnapshotIsNotTakenForTheSealedOne(t *testing.T) {
	e := newSnapshotStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, _ := e.open()
	if _, err := create(ctx, s, "Alpha", "alpha@example.com"); err != nil {
		t.Fatal(err)
	}
	e.close(s)
	older, err := os.ReadFile(e.file)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = e.open()
	if _, err := create(ctx, s, "Bravo", "bravo@example.com"); err != nil {
		t.Fatal(err)
	}
	e.close(s)
	// The file of the first stop, put back: the seal names the second.
	if err := os.WriteFile(e.file, older, 0o600); err != nil {
		t.Fatal(err)
	}
	s, dir := e.open()
	defer e.close(s)
	if s.StartedFromSnapshot() {
		t.Error("the start read a snapshot the seal does not name")
	}
	if _, ok := dir.OrganizationByName("Bravo"); !ok {
		t.Errorf("the start read the older snapshot: %v", names(dir))
	}
}

func TestAStoreThatWritesNothingLeavesTheSnapshotForTheNextStart(t *testing.T) {
	e := newSnapshotStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, dir := e.open()
	if _, err := create(ctx, s, "Alpha", "alpha@example.com"); err != nil {
		t.Fatal(err)
	}
	want := names(dir)
	e.close(s)

	// As orgd check opens it: it reads the snapshot and keeps it.
	checkDir := org.NewDirectory(nil)
	check, err := mongo.Open(ctx, mongo.Options{URI: e.uri, Database: "orgd", Kind: mongo.KindEmbedded, Directory: checkDir,
		ServerSelectionTimeout: 10 * time.Second, Exclusive: true, SnapshotFile: e.file, KeepSnapshot: true})
	if err != nil {
		t.Fatal(err)
	}
	if !check.StartedFromSnapshot() || !slices.Equal(names(checkDir), want) {
		t.Errorf("the check's directory (from the snapshot: %v): %v, want %v", check.StartedFromSnapshot(), names(checkDir), want)
	}
	e.close(check)

	s, dir = e.open()
	defer e.close(s)
	if !s.StartedFromSnapshot() {
		t.Error("the start after the check did not read the snapshot")
	}
	if got := names(dir); !slices.Equal(got, want) {
		t.Errorf("organizations %v, want %v", got, want)
	}
}
