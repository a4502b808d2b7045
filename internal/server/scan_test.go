package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

// decodeAny decodes JSON as the library does its params: numbers kept as
// written.
func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// FuzzScanRequest checks the one-pass reading against the slow way: a line
// scanRequest takes is one checkRequest lets through, and the envelope plus
// the kept params tell the server what the library would have read from the
// whole line.
func FuzzScanRequest(f *testing.F) {
	for _, s := range []string{
		goodRequest,
		`{"jsonrpc":"2.0","id":"x","method":"org.get","params":{"token":"t","name":"a"}}`,
		`{"jsonrpc":"2.0","method":"a","params":[1,2.50,"\u00e9",{"b":{"c":[]}}]}`,
		` { "id" : 7 , "method" : "a" , "jsonrpc" : "2.0" , "params" : null } `,
		`{"jsonrpc":"2.0","id":9223372036854775807,"method":"a"}`,
		`{"jsonrpc":"2.0","id":9223372036854775808,"method":"a"}`,
		`{"jsonrpc":"2.0","id":"a\"b","method":"a"}`,
		`{"jsonrpc":"2.0","id":-1,"method":"a"}`,
		`{"jsonrpc":"2.0","id":1,"method":"a","params":{"b":1,"a":2,"b":3}}`,
		`{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}`,
		`{"jsonrpc":"2.0","id":1,"method":"\u0061"}`,
		`{"jsonrpc":"2.0","id":1,"Method":"a"}`,
		`{"jsonrpc":"2.0","id":1,"method":"a","meta":{}}`,
		`{"jsonrpc":"2.0","id":1,"method":""}`,
		`{"jsonrpc":"1.0","id":1,"method":"a"}`,
		`{"jsonrpc":"2.0","id":1,"method":"a","params":"<&>"}`,
		`{}`, `[]`, `null`, `{"jsonrpc":"2.0"`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, ok := scanRequest(line)
		if !ok {
			return
		}
		if code, msg, _ := checkRequest(line); code != 0 {
			t.Fatalf("scanRequest took %q, which checkRequest refuses: %s", line, msg)
		}
		var whole, env jsonrpc2.Request
		if err := json.Unmarshal(line, &whole); err != nil {
			t.Fatalf("scanRequest took %q, which the library cannot read: %v", line, err)
		}
		if err := json.Unmarshal(r.envelope(nil, 42), &env); err != nil {
			t.Fatalf("the envelope of %q does not decode: %v", line, err)
		}
		if env.Method != whole.Method || env.ID != whole.ID || env.Notif != whole.Notif {
			t.Fatalf("from the envelope the library reads %s #%s (notification %v), from the line %s #%s (notification %v)",
				env.Method, env.ID, env.Notif, whole.Method, whole.ID, whole.Notif)
		}
		if env.Meta == nil || string(*env.Meta) != "42" {
			t.Fatalf("the envelope of %q carries meta %v, want 42", line, env.Meta)
		}
		switch {
		case whole.Params == nil && r.params != nil, whole.Params != nil && r.params == nil:
			t.Fatalf("params of %q: library %v, scanned %q", line, whole.Params, r.params)
		case whole.Params != nil:
			if a, b := decodeAny(t, *whole.Params), decodeAny(t, r.params); !reflect.DeepEqual(a, b) {
				t.Fatalf("params of %q: library %#v, scanned %#v", line, a, b)
			}
		}
	})
}

func TestPlainRequestsKeepTheirParamsAsSent(t *testing.T) {
	h := newStreamHarness(t, 1<<20, time.Minute)
	// The library would decode the params into a map and encode them
	// again, sorting the members and escaping < > &.
	params := `{"name":"<Acme & Co>","token":"t"}`
	h.send(t, `{"jsonrpc":"2.0","id":1,"method":"org.get","params":`+params+"}\n")
	var req jsonrpc2.Request
	if err := h.s.ReadObject(&req); err != nil {
		t.Fatal(err)
	}
	if req.Params != nil {
		t.Errorf("the library was handed the params %s; they should stay with the stream", *req.Params)
	}
	got, err := h.s.params(&req)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != params {
		t.Errorf("the params are %s, want them as sent: %s", got, params)
	}
}

func TestParamsOfAnotherRequestAreNeverHandedOut(t *testing.T) {
	h := newStreamHarness(t, 1<<20, time.Minute)
	h.send(t, `{"jsonrpc":"2.0","id":1,"method":"a","params":{"token":"first"}}`+"\n"+
		`{"jsonrpc":"2.0","id":2,"method":"a","params":{"token":"second"}}`+"\n")
	var first, second jsonrpc2.Request
	if err := h.s.ReadObject(&first); err != nil {
		t.Fatal(err)
	}
	if err := h.s.ReadObject(&second); err != nil {
		t.Fatal(err)
	}
	if p, err := h.s.params(&first); !errors.Is(err, errLostParams) {
		t.Fatalf("the first request, asked for after the second was read, gets %s, %v; want errLostParams", p, err)
	}
}

func TestRequestsTheLibraryDecodesKeepTheirParams(t *testing.T) {
	h := newStreamHarness(t, 1<<20, time.Minute)
	// "meta" is no member of a plain request: this line goes the slow way.
	h.send(t, `{"jsonrpc":"2.0","id":1,"method":"a","meta":{},"params":{"token":"t"}}`+"\n")
	var req jsonrpc2.Request
	if err := h.s.ReadObject(&req); err != nil {
		t.Fatal(err)
	}
	p, err := h.s.params(&req)
	if err != nil || string(p) != `{"token":"t"}` {
		t.Fatalf("params %s, %v; want the library's {\"token\":\"t\"}", p, err)
	}
}

// TestRepliesAreWhatTheLibraryWrites: the server writes its answers
// itself, and they must not differ by a byte from the library's.
func TestRepliesAreWhatTheLibraryWrites(t *testing.T) {
	data := json.RawMessage(`{"field":"name"}`)
	ids := []jsonrpc2.ID{{Num: 0}, {Num: 1<<63 - 1}, {Str: "x", IsString: true}, {Str: `<é "\>`, IsString: true}}
	answers := []struct {
		result any
		err    *jsonrpc2.Error
	}{
		{result: map[string]any{"name": "Müller & <Co>", "n": 1}},
		{result: json.RawMessage(`{"a": [1, 2]}`)},
		{result: nil},
		{err: &jsonrpc2.Error{Code: -32602, Message: "name is <required>", Data: &data}},
		{err: &jsonrpc2.Error{Code: -32601, Message: "method not found"}},
	}
	for _, id := range ids {
		for _, a := range answers {
			h := newStreamHarness(t, 1<<20, time.Minute)
			want := &jsonrpc2.Response{ID: id, Error: a.err}
			var encoded json.RawMessage
			if a.err == nil {
				if err := want.SetResult(a.result); err != nil {
					t.Fatal(err)
				}
				var err error
				if encoded, err = json.Marshal(a.result); err != nil {
					t.Fatal(err)
				}
			}
			// What the library writes, through the stream's WriteObject.
			if err := h.s.WriteObject(want); err != nil {
				t.Fatal(err)
			}
			wantLine, err := h.replies.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			if err := h.s.reply(id, encoded, a.err); err != nil {
				t.Fatal(err)
			}
			got, err := h.replies.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(wantLine) {
				t.Errorf("reply\n%s\nwant what the library writes\n%s", strings.TrimSpace(string(got)), strings.TrimSpace(string(wantLine)))
			}
		}
	}
}

// TestServedParamsAreThoseSent serves requests through the library as orgd
// does, and checks that each method gets its own params, pipelined or not.
func TestServedParamsAreThoseSent(t *testing.T) {
	h := newStreamHarness(t, 1<<20, time.Minute)
	got := make(chan string, 10)
	handler := jsonrpc2.HandlerWithError(func(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
		p, err := h.s.params(req)
		if err != nil {
			return nil, err
		}
		got <- string(p)
		return nil, nil
	})
	jc := jsonrpc2.NewConn(context.Background(), h.s, handler)
	t.Cleanup(func() { jc.Close() })
	var lines strings.Builder
	var want []string
	for i := range 5 {
		p := `{"n":` + string(rune('0'+i)) + `}`
		want = append(want, p)
		lines.WriteString(`{"jsonrpc":"2.0","id":` + string(rune('0'+i)) + `,"method":"a","params":` + p + "}\n")
	}
	h.send(t, lines.String())
	for i, w := range want {
		select {
		case p := <-got:
			if p != w {
				t.Fatalf("request %d got params %s, want %s", i, p, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("request %d was not served", i)
		}
	}
}

func TestTheStreamLetsInlineRequestsBeAnsweredInPlace(t *testing.T) {
	h := newStreamHarness(t, 1<<20, time.Minute)
	var served []string
	h.s.serveInline = func(r plainRequest) bool {
		served = append(served, string(r.method))
		return string(r.method) == `"inline"`
	}
	h.send(t, `{"jsonrpc":"2.0","id":1,"method":"inline"}`+"\n"+
		`{"jsonrpc":"2.0","id":2,"method":"inline"}`+"\n"+
		`{"jsonrpc":"2.0","id":3,"method":"other"}`+"\n")
	if got := h.read(t); string(got) != `{"jsonrpc":"2.0","id":3,"method":"other"}` {
		t.Fatalf("the library was handed %s, want only the request that was not served inline", got)
	}
	if want := []string{`"inline"`, `"inline"`, `"other"`}; !reflect.DeepEqual(served, want) {
		t.Fatalf("offered %v inline, want %v", served, want)
	}
}

func TestMethodsThatAnswerFromMemoryAreServedInline(t *testing.T) {
	s, err := New(nil, Config{Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	h := newStreamHarness(t, 1<<20, time.Minute)
	c := &conn{srv: s, stream: h.s, ctx: context.Background()}
	plain := func(line string) plainRequest {
		r, ok := scanRequest([]byte(line))
		if !ok {
			t.Fatalf("%s is not plain", line)
		}
		return r
	}
	if !c.serveInline(plain(`{"jsonrpc":"2.0","id":"d","method":"rpc.discover"}`)) {
		t.Fatal("rpc.discover was not served inline")
	}
	r := h.reply(t)
	if string(r.ID) != `"d"` || r.Error != nil || !bytes.Contains(r.Result, []byte(`"openrpc"`)) {
		t.Fatalf("rpc.discover answered %+v", r)
	}
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"org.create","params":{}}`,
		`{"jsonrpc":"2.0","id":1,"method":"org.subscribe","params":{}}`,
		`{"jsonrpc":"2.0","id":1,"method":"no.such.method"}`,
	} {
		if c.serveInline(plain(line)) {
			t.Errorf("%s was served inline; it must go to the library", line)
		}
	}
	for name, rt := range s.methods {
		if rt.inline && (name == "auth.login" || name == "org.create" || name == "org.update" || name == "org.delete" || name == "org.stats") {
			t.Errorf("%s waits on the store or bcrypt but is served inline", name)
		}
	}
	h.noReply(t)
}
