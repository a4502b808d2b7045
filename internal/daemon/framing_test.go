package daemon_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func TestHealthAnswersWithoutAToken(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Embedded: true})
	h, err := d.Client(t).Health(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.Version != "test" || !h.Store.OK || h.Store.LatencyMS < 0 || h.UptimeS < 0 || h.Tenants != 0 {
		t.Errorf("health = %+v", h)
	}
	wantKind := "embedded"
	if os.Getenv(testenv.MongoURIEnv) != "" {
		wantKind = "mongodb"
	}
	if h.Store.Kind != wantKind {
		t.Errorf("store kind %q, want %q", h.Store.Kind, wantKind)
	}
	// The embedded store states what it was measured with; a MongoDB is
	// sized by whoever runs it.
	switch c := h.Store.Capacity; {
	case wantKind == "mongodb" && c != nil:
		t.Errorf("a MongoDB store reports a tested capacity: %+v", c)
	case wantKind == "embedded" && (c == nil || c.TestedTenants != embedded.TestedOrganizations ||
		c.TestedDocuments != embedded.TestedDocuments || c.TestedSizeBytes != embedded.TestedSizeBytes):
		t.Errorf("the embedded store's tested capacity: %+v", c)
	}
}

func TestHealthOfAMongoDBStoreStatesNoTestedCapacity(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	h, err := d.Client(t).Health(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if h.Store.Kind != "mongodb" || h.Store.Capacity != nil {
		t.Errorf("store %+v", h.Store)
	}
}

func TestDiscoverDescribesEveryMethod(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	doc, err := d.Client(t).Discover(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenRPC != rpc.OpenRPCVersion || doc.Info.Title != "orgd" {
		t.Errorf("document header %+v %+v", doc.OpenRPC, doc.Info)
	}
	// The contract's list, which completion offers, is what orgd serves.
	want := rpc.Methods()
	got := map[string]rpc.MethodSpec{}
	for _, m := range doc.Methods {
		got[m.Name] = m
	}
	if len(got) != len(want) {
		t.Errorf("document has %d methods, want %d", len(got), len(want))
	}
	for _, name := range want {
		m, ok := got[name]
		if !ok {
			t.Errorf("%s is not described", name)
			continue
		}
		if m.Summary == "" || m.Result.Schema == nil {
			t.Errorf("%s lacks a summary or a result schema", name)
		}
		hasToken := false
		for _, p := range m.Params {
			if p.Name == "token" {
				hasToken = true
			}
		}
		if hasToken != rpc.TakesToken(name) {
			t.Errorf("%s: takes a token in the document: %v, rpc.TakesToken: %v", name, hasToken, rpc.TakesToken(name))
		}
	}
	for _, p := range got[rpc.MethodOrgCreate].Params {
		if p.Name == "name" && !p.Required {
			t.Error("org.create's name is not marked required")
		}
	}
	for _, name := range []string{rpc.MethodDataInsert, rpc.MethodDataFind, rpc.MethodDataCount, rpc.MethodDataUpdate,
		rpc.MethodDataDelete, rpc.MethodDataIndexesList, rpc.MethodDataIndexesCreate, rpc.MethodDataIndexesDrop} {
		org := false
		for _, p := range got[name].Params {
			if p.Name == "org" && p.Required {
				org = true
			}
		}
		if !org {
			t.Errorf("%s does not take a required org", name)
		}
	}
	if _, ok := doc.Components.Schemas["Organization"]; !ok {
		t.Error("Organization schema missing from components")
	}
	// The account methods say how they refuse.
	errorsOf := map[string][]int64{
		rpc.MethodOperatorDelete: {rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict},
		rpc.MethodMemberRemove:   {rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended},
		rpc.MethodMemberUpdate:   {rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended},
		rpc.MethodAuthLogin:      {rpc.CodeUnauthenticated, rpc.CodeTooManyAttempts, rpc.CodeSuspended},
		rpc.MethodOrgSuspend:     {rpc.CodeForbidden, rpc.CodeNotFound},
	}
	for name, codes := range errorsOf {
		listed := map[int64]bool{}
		for _, e := range got[name].Errors {
			listed[e.Code] = e.Message != ""
		}
		for _, code := range codes {
			if !listed[code] {
				t.Errorf("%s does not describe error %d", name, code)
			}
		}
	}
}

func TestParseErrorsKeepTheConnection(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	r := d.Dial(t)

	r.Send(`{"jsonrpc":"2.0","id":1,"method":`)
	rep := r.Read()
	if rep.Error == nil || rep.Error.Code != rpc.CodeParseError || string(rep.ID) != "null" {
		t.Fatalf("truncated JSON: %+v", rep)
	}
	r.Send("hello")
	if rep := r.Read(); rep.Error == nil || rep.Error.Code != rpc.CodeParseError {
		t.Fatalf("not JSON: %+v", rep)
	}
	rep = r.Call(rpc.MethodSystemHealth, 7, nil)
	if rep.Error != nil || string(rep.ID) != "7" || rep.JSONRPC != "2.0" {
		t.Fatalf("the connection is not usable after parse errors: %+v", rep)
	}
}

func TestInvalidRequestsAreAnswered(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	r := d.Dial(t)
	cases := []struct {
		name, line string
		code       int64
		id         string
	}{
		{"a batch", `[{"jsonrpc":"2.0","id":1,"method":"system.health"}]`, rpc.CodeInvalidRequest, "null"},
		{"a number", `42`, rpc.CodeInvalidRequest, "null"},
		{"no jsonrpc member", `{"id":2,"method":"system.health"}`, rpc.CodeInvalidRequest, "2"},
		{"jsonrpc 1.0", `{"jsonrpc":"1.0","id":3,"method":"system.health"}`, rpc.CodeInvalidRequest, "3"},
		{"no method", `{"jsonrpc":"2.0","id":4}`, rpc.CodeInvalidRequest, "4"},
		{"a null id", `{"jsonrpc":"2.0","id":null,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"a negative id", `{"jsonrpc":"2.0","id":-1,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"a response", `{"jsonrpc":"2.0","id":5,"result":1}`, rpc.CodeInvalidRequest, "5"},
		{"an unknown method", `{"jsonrpc":"2.0","id":6,"method":"org.explode"}`, rpc.CodeMethodNotFound, "6"},
		{"params by position", `{"jsonrpc":"2.0","id":7,"method":"org.get","params":["x"]}`, rpc.CodeInvalidParams, "7"},
		{"an unknown param", `{"jsonrpc":"2.0","id":"eight","method":"auth.login","params":{"email":"a@b.c","pasword":"x"}}`, rpc.CodeInvalidParams, `"eight"`},
		{"a param of the wrong type", `{"jsonrpc":"2.0","id":9,"method":"org.list","params":{"token":"t","limit":"ten"}}`, rpc.CodeInvalidParams, "9"},
		{"a missing token", `{"jsonrpc":"2.0","id":10,"method":"org.list","params":{}}`, rpc.CodeUnauthenticated, "10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.Send(tc.line)
			rep := r.Read()
			if rep.Error == nil || rep.Error.Code != tc.code || string(rep.ID) != tc.id {
				t.Errorf("got id %s error %+v, want id %s code %d", rep.ID, rep.Error, tc.id, tc.code)
			}
		})
	}
	if rep := r.Call(rpc.MethodSystemHealth, 11, nil); rep.Error != nil {
		t.Errorf("connection unusable after invalid requests: %+v", rep)
	}
	// Unknown params are named.
	r.Send(`{"jsonrpc":"2.0","id":12,"method":"auth.login","params":{"email":"a@b.c","pasword":"x"}}`)
	if rep := r.Read(); rep.Error == nil || rep.Error.Data == nil || rep.Error.Data.Field != "pasword" {
		t.Errorf("unknown param not named: %+v", rep.Error)
	}
}

func TestNotificationsGetNoAnswer(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	r := d.Dial(t)
	r.Send(`{"jsonrpc":"2.0","method":"system.health"}`)
	rep := r.Call(rpc.MethodSystemHealth, 1, nil)
	if string(rep.ID) != "1" {
		t.Fatalf("first line after a notification answers id %s, want 1", rep.ID)
	}
}

func TestOversizedLinesCloseTheConnection(t *testing.T) {
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) { c.MaxMessageBytes = 4096 }})
	r := d.Dial(t)
	if rep := r.Call(rpc.MethodSystemHealth, 1, nil); rep.Error != nil {
		t.Fatal(rep.Error)
	}
	r.Send(`{"jsonrpc":"2.0","id":2,"method":"auth.login","params":{"email":"` + strings.Repeat("a", 8000) + `"}}`)
	rep := r.Read()
	if rep.Error == nil || rep.Error.Code != rpc.CodeInvalidRequest || !strings.Contains(rep.Error.Message, "4096") {
		t.Fatalf("oversized line: %+v", rep.Error)
	}
	if _, err := r.ReadLine(5 * time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("after an oversized line the connection should close; read gave %v", err)
	}
}

func TestManyRequestsInFlightOnOneConnection(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	r := d.Dial(t)
	var batch strings.Builder
	for i := range 200 {
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": i, "method": rpc.MethodSystemHealth})
		batch.Write(b)
		batch.WriteByte('\n')
	}
	if _, err := io.WriteString(r.Conn, batch.String()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 200 {
		rep := r.Read()
		if rep.Error != nil {
			t.Fatalf("reply %s: %+v", rep.ID, rep.Error)
		}
		seen[string(rep.ID)] = true
	}
	if len(seen) != 200 {
		t.Errorf("%d distinct replies, want 200", len(seen))
	}
}

// slowStep returns a failpoint that holds a change for a while after step,
// as a slow store would, and a channel told when it does.
func slowStep(step string) (func(string) error, <-chan struct{}) {
	reached := make(chan struct{}, 1)
	return func(s string) error {
		if s == step {
			reached <- struct{}{}
			time.Sleep(time.Second)
		}
		return nil
	}, reached
}

func TestAHalfClosedConnectionStillGetsItsAnswers(t *testing.T) {
	slow, reached := slowStep("account:inserted")
	d := testenv.Start(t, testenv.Options{Failpoint: slow})
	r := d.Dial(t)
	// What "echo request | socat - UNIX-CONNECT:orgd.sock" does: send, then
	// shut the sending side while the answer is still being worked out.
	r.Send(`{"jsonrpc":"2.0","id":1,"method":"auth.bootstrap","params":{"email":"ops@example.com","password":"operator-password"}}`)
	<-reached
	if err := r.Conn.(*net.UnixConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rep := r.Read()
	if rep.Error != nil || len(rep.Result) == 0 {
		t.Fatalf("answer after a half-close: %+v", rep)
	}
	if _, err := r.ReadLine(5 * time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("after the answer the connection should close; read gave %v", err)
	}
}

func TestAClientThatHangsUpCancelsItsRequests(t *testing.T) {
	slow, reached := slowStep("create:inserted")
	d := testenv.Start(t, testenv.Options{Failpoint: slow})
	op := d.Operator(t)
	r := d.Dial(t)
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": rpc.MethodOrgCreate,
		"params": rpc.OrgCreateParams{Token: op, Name: "Abandoned", AdminEmail: "gone@example.com", AdminPassword: adminPassword}})
	r.Send(string(b))
	<-reached
	r.Conn.Close()

	// Had the create run on, it would be done well within this; cancelled,
	// it is rolled back.
	time.Sleep(3 * time.Second)
	_, err := d.Client(t).GetOrg(ctxT(t), op, "Abandoned")
	wantCode(t, err, rpc.CodeNotFound)
	checkClean(t, d)
}
