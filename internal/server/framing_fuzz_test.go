package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/orgd/orgd/rpc"
)

// fuzzMaxLine is the line limit of FuzzLineFraming: small, so that the
// fuzzer reaches it with short inputs.
const fuzzMaxLine = 256

// lineEvent is what the read side made of one line, in the order of the
// lines: refused by the stream (bad), or handed to the handler.
type lineEvent struct {
	bad    bool
	code   int
	method string
	notif  bool
	params json.RawMessage
}

// FuzzLineFraming feeds arbitrary bytes, as a client would send them,
// through lineStream and jsonrpc2 wired as orgd wires them (plain requests
// read in one pass and some answered without the library, params kept as
// written, a line limit), and checks what the client gets back:
//
//   - every non-blank line is either refused with one -32700 or -32600
//     answer, or reaches the handler; nothing is skipped or read twice;
//   - a line that reaches the handler gets exactly one answer, with its own
//     id and the handler's result, unless it has no id (a notification),
//     and then it gets none; its method and params arrive as written;
//   - every answer is one line of valid JSON-RPC 2.0: jsonrpc "2.0", an id,
//     and exactly one of result and error;
//   - a line over the limit is answered with -32600 and id null, and then
//     the connection is closed: nothing after it is read or answered;
//   - the connection ends cleanly at the end of the input.
func FuzzLineFraming(f *testing.F) {
	for _, s := range []string{
		goodRequest + "\n",
		goodRequest + "\n" + goodRequest,
		`{"jsonrpc":"2.0","method":"note"}` + "\n" + goodRequest + "\n",
		`{"jsonrpc":"2.0","method":"system.health"}` + "\n" + `{"id":"\u00e9","jsonrpc":"2.0","method":"system.x","params":[1]}` + "\n",
		`{"jsonrpc":"2.0","id":"\xff","method":"system.health"}` + "\n" + `{"jsonrpc":"2.0","id":9223372036854775807,"method":"org.get","params":{}}` + "\n",
		"not json\n" + goodRequest + "\n",
		"\n\n  \r\n\t" + goodRequest + "\r\n",
		`[{"jsonrpc":"2.0","id":1,"method":"a"}]` + "\n",
		`{"jsonrpc":"2.0","id":"x","method":"org.get","params":{"z":1,"a":[2,1]}}` + "\n",
		`{"jsonrpc":"2.0","id":1,"Method":"a"}` + "\n",
		`{"jsonrpc":"2.0","id":-1,"method":"a"}` + "\n" + `{"jsonrpc":"2.0","id":null,"method":"a"}` + "\n",
		`{"jsonrpc":"2.0","id":5,"result":{}}` + "\n",
		`{"jsonrpc":"2.0","id":1,"method":"a","meta":{"x":1}}` + "\n",
		`{"jsonrpc":"2.0","id":1,"method":"a","params":"\xff"}` + "\n",
		`{"jsonrpc":"2.0","id":1,"method":"a","params":{"p":"` + strings.Repeat("x", fuzzMaxLine) + `"}}` + "\n" + goodRequest + "\n",
		goodRequest + "\n" + strings.Repeat(" ", fuzzMaxLine+1) + "\n",
		`{"jsonrpc":"2.0","id":1,"method":"a"`,
		"\x00\xff\n{}\n[]\nnull\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, replies, endErr := serveLines(t, data)
		lines, oversized := splitLines(data, fuzzMaxLine)
		if endErr != nil {
			t.Fatalf("the connection ended with %v, want EOF", endErr)
		}
		if len(events) != len(lines) {
			t.Fatalf("%q: %d non-blank lines up to the limit, but %d were refused or handled", data, len(lines), len(events))
		}
		for i, ev := range events {
			line := lines[i]
			if ev.notif {
				if hasMember(line, "id") {
					t.Fatalf("line %q, which has an id, was taken for a notification", line)
				}
				checkHandled(t, line, ev)
				continue
			}
			if len(replies) == 0 {
				t.Fatalf("line %q got no answer", line)
			}
			r := replies[0]
			replies = replies[1:]
			if oversized && i == len(lines)-1 {
				if !ev.bad || r.Error == nil || r.Error.Code != rpc.CodeInvalidRequest || string(r.ID) != "null" ||
					!strings.Contains(r.Error.Message, "--max-message-bytes") {
					t.Fatalf("%q: a line over the limit was answered %+v, want -32600 naming --max-message-bytes with id null", data, r)
				}
				continue
			}
			if ev.bad {
				if r.Error == nil || int(r.Error.Code) != ev.code || (ev.code != rpc.CodeParseError && ev.code != rpc.CodeInvalidRequest) || r.Error.Message == "" {
					t.Fatalf("line %q was refused with %d but answered %+v", line, ev.code, r)
				}
				if string(r.ID) != "null" && !sameID(t, r.ID, memberOf(line, "id")) {
					t.Fatalf("line %q was answered with the id %s, not its own", line, r.ID)
				}
				continue
			}
			checkHandled(t, line, ev)
			var result string
			if r.Error != nil || json.Unmarshal(r.Result, &result) != nil || result != ev.method {
				t.Fatalf("line %q reached the handler but was answered %+v", line, r)
			}
			if !sameID(t, r.ID, memberOf(line, "id")) {
				t.Fatalf("line %q was answered with the id %s, not its own", line, r.ID)
			}
		}
		if len(replies) != 0 {
			t.Fatalf("%q: %d answers more than lines to answer, the first %+v", data, len(replies), replies[0])
		}
	})
}

// handlerFunc is a jsonrpc2.Handler that serves each request before the
// next is read, so that answers come in the order of the lines.
type handlerFunc func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request)

func (f handlerFunc) Handle(ctx context.Context, jc *jsonrpc2.Conn, req *jsonrpc2.Request) {
	f(ctx, jc, req)
}

// fuzzReply is an answer as the client reads it, with the members it must
// have and must not have both.
type fuzzReply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *rpc.Error      `json:"error"`
}

// serveLines serves one connection on which the client sends data and
// then shuts its sending side down. It returns what the read side made of
// each line, every answer the client read, and the read error that ended
// the connection when it was not EOF.
func serveLines(t *testing.T, data []byte) ([]lineEvent, []fuzzReply, error) {
	t.Helper()
	server, client := socketPair(t)
	s := newLineStream(server, fuzzMaxLine, time.Minute, 5*time.Second)
	s.keepParams = true
	var mu sync.Mutex
	var events []lineEvent
	s.onBad = func(code int, _ string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, lineEvent{bad: true, code: code})
	}
	// As conn wires it: plain requests to methods that answer from memory
	// (here, those of system.*) are answered on the reading goroutine
	// without the library; the others go to the library, whose handler
	// takes their params from the stream. Every answer is the stream's.
	answer := func(req *jsonrpc2.Request, params json.RawMessage) {
		mu.Lock()
		events = append(events, lineEvent{method: req.Method, notif: req.Notif, params: params})
		mu.Unlock()
		if req.Notif {
			return
		}
		result, err := json.Marshal(req.Method)
		if err != nil {
			t.Errorf("encode %q: %v", req.Method, err)
			return
		}
		_ = s.reply(req.ID, result, nil)
	}
	s.serveInline = func(r plainRequest) bool {
		req, ok := r.request()
		if !ok || !strings.HasPrefix(req.Method, "system.") {
			return false
		}
		answer(req, r.params)
		return true
	}
	handler := handlerFunc(func(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) {
		params, err := s.params(req)
		if err != nil {
			t.Errorf("params of %s: %v", req.Method, err)
		}
		answer(req, params)
	})
	jc := jsonrpc2.NewConn(context.Background(), s, handler, jsonrpc2.SetLogger(log.New(io.Discard, "", 0)))
	defer jc.Close()

	go func() {
		// The server stops reading after a line over the limit, so this
		// write may fail; the answers tell what was read.
		_, _ = client.Write(data)
		_ = client.CloseWrite()
	}()
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	all, err := io.ReadAll(client)
	if errors.Is(err, syscall.ECONNRESET) {
		// The server closed with input of ours unread (after a line over
		// the limit); what it wrote before was still delivered.
		err = nil
	}
	select {
	case <-jc.DisconnectNotify():
	case <-time.After(10 * time.Second):
		t.Fatalf("%q: the connection did not end after the input did", data)
	}
	var replies []fuzzReply
	for len(all) > 0 {
		i := bytes.IndexByte(all, '\n')
		if i < 0 {
			t.Fatalf("%q: an answer %q does not end its line", data, all)
		}
		line := all[:i]
		all = all[i+1:]
		var members map[string]json.RawMessage
		if err := json.Unmarshal(line, &members); err != nil {
			t.Fatalf("%q: the answer %q is not a JSON object: %v", data, line, err)
		}
		_, hasResult := members["result"]
		_, hasError := members["error"]
		if string(members["jsonrpc"]) != `"2.0"` || members["id"] == nil || hasResult == hasError {
			t.Fatalf("%q: the answer %q is not JSON-RPC 2.0 (jsonrpc, id, and one of result and error)", data, line)
		}
		var r fuzzReply
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%q: the answer %q does not decode: %v", data, line, err)
		}
		if hasError && (r.Error == nil || r.Error.Code == 0 || r.Error.Message == "") {
			t.Fatalf("%q: the error answer %q has no code or message", data, line)
		}
		replies = append(replies, r)
	}
	mu.Lock()
	defer mu.Unlock()
	return events, replies, err
}

// splitLines returns the non-blank lines of data, trimmed, as a client
// means them, up to and including the first line over maxLine bytes (its
// newline counted), and whether there was one.
func splitLines(data []byte, maxLine int) (lines [][]byte, oversized bool) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		if len(line) > maxLine {
			return append(lines, line), true
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			lines = append(lines, trimmed)
		}
	}
	return lines, false
}

// memberOf returns a member of the JSON object line (the last one, when
// it is repeated, as encoding/json reads it), or nil.
func memberOf(line []byte, name string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return nil
	}
	return m[name]
}

func hasMember(line []byte, name string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return false
	}
	_, ok := m[name]
	return ok
}

// checkHandled fails unless a line that reached the handler is a request
// with that method, whose params arrived as the client wrote them.
func checkHandled(t *testing.T, line []byte, ev lineEvent) {
	t.Helper()
	var method string
	if err := json.Unmarshal(memberOf(line, "method"), &method); err != nil || method != ev.method || method == "" {
		t.Fatalf("line %q reached the handler as method %q", line, ev.method)
	}
	params := memberOf(line, "params")
	if utf8.Valid(params) && !bytes.Equal(params, ev.params) {
		t.Fatalf("line %q reached the handler with params %s, not as written", line, ev.params)
	}
}

// sameID reports whether the id of an answer is the id a line has: the
// same string, or the same integer however it is spelled (-0 is 0).
func sameID(t *testing.T, answer, line json.RawMessage) bool {
	t.Helper()
	a, ok := idValue(answer)
	if !ok {
		t.Fatalf("the answer's id %s is neither a string nor a non-negative integer", answer)
	}
	l, ok := idValue(line)
	return ok && a == l
}

func idValue(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "string " + s, true
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil && n >= 0 {
		return "number " + strconv.FormatInt(n, 10), true
	}
	return "", false
}
