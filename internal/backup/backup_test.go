package backup_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/orgd/orgd/internal/backup"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// env is an orgd with an operator and the store under it.
type env struct {
	c  *rpc.Client
	op string
	db *mongo.Database
}

func newEnv(t *testing.T, p *testenv.Process, orgs ...string) *env {
	t.Helper()
	ctx := ctxT(t)
	c := &rpc.Client{Addr: p.Addr}
	t.Cleanup(func() { c.Close() })
	s, err := c.Bootstrap(ctx, "ops@example.com", "operator-password")
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range orgs {
		if _, err := c.CreateOrg(ctx, rpc.OrgCreateParams{Token: s.Token, Name: name,
			AdminEmail: fmt.Sprintf("admin%d@example.com", i), AdminPassword: "admin-password"}); err != nil {
			t.Fatal(err)
		}
	}
	mc, err := mongo.Connect(options.Client().ApplyURI(p.MongoURI))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mc.Disconnect(context.Background()) })
	return &env{c: c, op: s.Token, db: mc.Database(p.DB)}
}

// tenantDB is the database that holds the collection of the organization
// named name: the one its document records, or the main one.
func (e *env) tenantDB(t *testing.T, name string) *mongo.Database {
	t.Helper()
	var d struct {
		Database string `bson:"database"`
	}
	if err := e.db.Collection("organizations").FindOne(ctxT(t), bson.D{{Key: "name", Value: name}}).Decode(&d); err != nil {
		t.Fatalf("organization %s: %v", name, err)
	}
	if d.Database == "" {
		return e.db
	}
	return e.db.Client().Database(d.Database)
}

func (e *env) target(org string) backup.Target {
	return backup.Target{Client: e.c, Token: e.op, Org: org}
}

// seedDoc is document i of the big collection, as BSON: 100 bytes of
// canonical Extended JSON, with _ids in i's order. The embedded engine's
// time grows with every field, and it is most of this test's time: the
// types are few here, and TestEveryBSONTypeRoundTripsThroughExtendedJSON
// has them all. The document is built by hand, not by the driver's
// encoder, which under the race detector would take longer than the
// engine.
func seedDoc(i int) []byte {
	var id bson.ObjectID
	binary.BigEndian.PutUint32(id[:4], 0x65000000)
	binary.BigEndian.PutUint64(id[4:], uint64(i))
	start, b := bsoncore.AppendDocumentStart(nil)
	b = bsoncore.AppendObjectIDElement(b, "_id", id)
	b = bsoncore.AppendInt64Element(b, "n", int64(i)<<20)
	b = bsoncore.AppendStringElement(b, "name", fmt.Sprintf("customer <%06d> & co", i))
	b, _ = bsoncore.AppendDocumentEnd(b, start)
	return b
}

// seed inserts documents from to to-1 with one insert command built by
// hand, sparing the driver's work on each document.
func seed(t *testing.T, db *mongo.Database, collection string, from, to int) {
	t.Helper()
	start, cmd := bsoncore.AppendDocumentStart(nil)
	cmd = bsoncore.AppendStringElement(cmd, "insert", collection)
	docs, cmd := bsoncore.AppendArrayElementStart(cmd, "documents")
	for i := from; i < to; i++ {
		cmd = bsoncore.AppendDocumentElement(cmd, strconv.Itoa(i-from), seedDoc(i))
	}
	cmd, _ = bsoncore.AppendArrayEnd(cmd, docs)
	cmd, _ = bsoncore.AppendDocumentEnd(cmd, start)
	var res struct {
		N int `bson:"n"`
	}
	if err := db.RunCommand(ctxT(t), bson.Raw(cmd)).Decode(&res); err != nil || res.N != to-from {
		t.Fatalf("seed %d–%d: %d inserted, %v", from, to, res.N, err)
	}
}

// heapPeak samples the live heap (as of each garbage collection) and the
// allocated heap until stopped, and returns the highest of each.
func heapPeak() (stop func() (live, alloc uint64)) {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	var peakLive, peakAlloc uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			peakLive = max(peakLive, samples[0].Value.Uint64())
			peakAlloc = max(peakAlloc, samples[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peakLive, peakAlloc
	}
}

func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

const mib = 1 << 20

// TestExportThenImportOf100000DocumentsKeepsThemAllInFlatMemory moves
// 100,000 documents (10.5 MiB of Extended JSON) out of one organization, into
// a file and into another organization through orgd's API, and measures
// this process's heap while it does: the export and import code runs here,
// orgd in a child process (at full speed, without the race detector).
//
// The bound: a page holds at most 1,000 documents (110 KB here) and an
// import batch at most 512 KiB, each held a few times over (the reply being
// read and decoded, the pipe, the lines, the request being encoded): about
// 2 MiB when measured, and 6 MiB over the heap before allows for the
// garbage collector's timing. Code that held the whole collection would
// hold its 10.5 MiB at least once, and twice while encoding it.
func TestExportThenImportOf100000DocumentsKeepsThemAllInFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 100,000 documents; skipped with -short")
	}
	const n = 100000
	const bound = 6 * mib
	start := time.Now()
	p := testenv.StartProcess(t)
	e := newEnv(t, p, "Source", "Copy")
	ctx := ctxT(t)
	t.Logf("started orgd in %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	source := e.tenantDB(t, "Source")
	for from := 0; from < n; from += 10000 {
		seed(t, source, "org_source", from, from+10000)
	}
	t.Logf("seeded %d documents through the driver in %s", n, time.Since(start).Round(time.Millisecond))

	// The export goes to a file and, through a pipe, straight into the
	// import, so that both run at once: the engine and orgd work while the
	// client does.
	path := filepath.Join(t.TempDir(), "source.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	base := liveHeap()
	stop := heapPeak()
	start = time.Now()
	pr, pw := io.Pipe()
	exported := make(chan backup.ExportResult, 1)
	go func() {
		res, err := backup.Export(ctx, e.target("Source"), io.MultiWriter(f, pw), backup.ExportOptions{})
		pw.CloseWithError(err)
		exported <- res
	}()
	ires, err := backup.Import(ctx, e.target("Copy"), pr, backup.ImportOptions{})
	pr.CloseWithError(errors.New("the import stopped reading"))
	res := <-exported
	live, alloc := stop()
	if err != nil {
		t.Fatalf("export and import: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("export and import: %d documents, %d bytes in %s; live heap %d MiB before, peak %d MiB (allocated peak %d MiB)",
		res.Documents, res.Bytes, time.Since(start).Round(time.Millisecond), base/mib, live/mib, alloc/mib)
	if res.Documents != n || ires.Documents != n {
		t.Fatalf("exported %d documents and imported %d, want %d", res.Documents, ires.Documents, n)
	}
	if live > base+bound {
		t.Errorf("the live heap reached %d MiB, %d MiB over where it was: more than %d MiB", live/mib, (live-base)/mib, bound/mib)
	}
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	// The copy holds the very same documents, _ids included, byte for byte.
	start = time.Now()
	cur, err := e.tenantDB(t, "Copy").Collection("org_copy").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(5000))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for cur.Next(ctx) {
		if want := seedDoc(i); !bytes.Equal(cur.Current, want) {
			t.Fatalf("document %d of the copy is %s, want %s", i, cur.Current, bson.Raw(want))
		}
		i++
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("the copy holds %d documents, want %d", i, n)
	}
	t.Logf("compared the copy with the source's documents in %s", time.Since(start).Round(time.Millisecond))

	// The file is what mongoexport --jsonFormat=canonical writes: one
	// canonical document per line, in _id order.
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	line := 0
	for ; sc.Scan(); line++ {
		if line%997 != 0 {
			continue
		}
		want, err := bson.MarshalExtJSON(bson.Raw(seedDoc(line)), true, false)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Text() != string(want) {
			t.Fatalf("line %d is\n%s\nwant\n%s", line+1, sc.Text(), want)
		}
	}
	if line != n {
		t.Errorf("the file has %d lines, want %d", line, n)
	}
}

func TestImportReadsWhatMongoexportWrites(t *testing.T) {
	p := testenv.StartProcess(t)
	e := newEnv(t, p, "Target")
	ctx := ctxT(t)
	// Canonical and relaxed lines, as mongoexport writes them with and
	// without --jsonFormat=canonical, with a byte order mark, CRLF line
	// ends, blank lines and a last line without its end.
	input := "\xef\xbb\xbf" + `{"_id":{"$oid":"5d505646cf6d4fe581014ab2"},"n":{"$numberInt":"1"},"when":{"$date":{"$numberLong":"1577836800000"}}}` + "\r\n" +
		"\n" +
		`{"_id":{"$oid":"5d505646cf6d4fe581014ab3"},"n":2,"when":{"$date":"2020-01-01T00:00:00Z"},"big":{"$numberLong":"9007199254740993"}}` + "\n" +
		"   \n" +
		`{"_id":3,"price":{"$numberDecimal":"1.5"}}` + "\n" +
		`{"no_id":true}`
	decimalOK := true
	if engine(t, e) == "ferretdb" {
		// The embedded engine holds no decimals.
		input = strings.Replace(input, `{"$numberDecimal":"1.5"}`, `1.5`, 1)
		decimalOK = false
	}
	res, err := backup.Import(ctx, e.target("Target"), strings.NewReader(input), backup.ImportOptions{})
	if err != nil || res.Documents != 4 {
		t.Fatalf("import: %+v %v", res, err)
	}
	var out bytes.Buffer
	if _, err := backup.Export(ctx, e.target("Target"), &out, backup.ExportOptions{PageSize: 2}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	price := `{"$numberDouble":"1.5"}`
	if decimalOK {
		price = `{"$numberDecimal":"1.5"}`
	}
	want := []string{
		`{"_id":{"$numberInt":"3"},"price":` + price + `}`,
		`{"_id":{"$oid":"5d505646cf6d4fe581014ab2"},"n":{"$numberInt":"1"},"when":{"$date":{"$numberLong":"1577836800000"}}}`,
		`{"_id":{"$oid":"5d505646cf6d4fe581014ab3"},"n":{"$numberInt":"2"},"when":{"$date":{"$numberLong":"1577836800000"}},"big":{"$numberLong":"9007199254740993"}}`,
	}
	if len(lines) != 4 || strings.Join(lines[:3], "\n") != strings.Join(want, "\n") || !strings.HasSuffix(lines[3], `,"no_id":true}`) {
		t.Fatalf("exported\n%s\nwant\n%s\nand the document without _id last, with a new ObjectId", out.String(), strings.Join(want, "\n"))
	}
}

// engine names the store under the daemon, as the store reports it.
func engine(t *testing.T, e *env) string {
	t.Helper()
	var info bson.Raw
	if err := e.db.RunCommand(ctxT(t), bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if _, err := info.LookupErr("ferretdbVersion"); err == nil {
		return "ferretdb"
	}
	return "mongodb"
}

func TestAFailedImportSaysWhereToGoOnAndUpsertIsSafeToRepeat(t *testing.T) {
	p := testenv.StartProcess(t)
	e := newEnv(t, p, "Target")
	ctx := ctxT(t)
	var good []string
	for i := range 250 {
		good = append(good, fmt.Sprintf(`{"_id": %d, "v": "document %d"}`, i, i))
	}
	broken := slices(good)
	broken[170] = `{"_id": 170, "v": }` // line 171 is not JSON

	opts := backup.ImportOptions{BatchDocuments: 50}
	_, err := backup.Import(ctx, e.target("Target"), strings.NewReader(strings.Join(broken, "\n")), opts)
	var ie *backup.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("import of a broken file: %v", err)
	}
	if ie.Landed != 170 || ie.Resume != 170 || ie.Line != 171 || !errors.Is(ie, backup.ErrNotJSON) {
		t.Fatalf("import error %+v: want 170 landed, resume at 170, line 171", ie)
	}
	if !strings.Contains(ie.Error(), "--skip 170 --mode upsert") {
		t.Errorf("the error does not say how to go on: %s", ie)
	}

	// With the line mended, going on from a little early finishes the
	// job: the documents that had landed are replaced by themselves.
	res, err := backup.Import(ctx, e.target("Target"), strings.NewReader(strings.Join(good, "\n")),
		backup.ImportOptions{Mode: backup.ModeUpsert, Skip: ie.Resume - 2, BatchDocuments: 50})
	if err != nil || res.Documents != 82 || res.Skipped != 168 {
		t.Fatalf("resumed import: %+v %v", res, err)
	}
	count := func(filter string) int64 {
		t.Helper()
		p := rpc.DataCountParams{Token: e.op, Org: "Target"}
		if filter != "" {
			p.Filter = []byte(filter)
		}
		n, err := e.c.CountDocuments(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return n.Count
	}
	if n := count(""); n != 250 {
		t.Fatalf("%d documents after resuming, want 250", n)
	}

	// Inserting again stops at the first taken _id; upserting again
	// changes nothing but what changed, however often.
	_, err = backup.Import(ctx, e.target("Target"), strings.NewReader(strings.Join(good, "\n")), opts)
	if !errors.As(err, &ie) || ie.Landed != 0 || ie.Resume != 0 || ie.Line != 1 || rpc.ErrorCode(ie.Err) != rpc.CodeConflict {
		t.Fatalf("inserting again: %v", err)
	}
	good[242] = `{"_id": 242, "v": "changed"}`
	good = append(good, `{"_id": "new", "v": "new"}`)
	for range 2 {
		res, err = backup.Import(ctx, e.target("Target"), strings.NewReader(strings.Join(good[230:], "\n")), backup.ImportOptions{Mode: backup.ModeUpsert})
		if err != nil || res.Documents != 21 {
			t.Fatalf("upsert again: %+v %v", res, err)
		}
	}
	if n := count(`{"v": "changed"}`); n != 1 {
		t.Fatalf("%d changed documents after upserting twice, want 1", n)
	}
	if n := count(""); n != 251 {
		t.Fatalf("%d documents after upserting twice, want 251", n)
	}
}

func slices(s []string) []string { return append([]string(nil), s...) }

func TestImportBatchesFitInARequestLine(t *testing.T) {
	p := testenv.StartProcess(t)
	e := newEnv(t, p, "Target")
	ctx := ctxT(t)
	// 40 documents of 100 KB: 4 MB, which one request line (1 MiB by
	// default) could not carry.
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf(`{"_id": %d, "pad": %q}`, i, strings.Repeat("x", 100<<10)))
	}
	res, err := backup.Import(ctx, e.target("Target"), strings.NewReader(strings.Join(lines, "\n")), backup.ImportOptions{})
	if err != nil || res.Documents != 40 {
		t.Fatalf("import: %+v %v", res, err)
	}
}
