package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/orgd/orgd/rpc"
)

// socketPair returns the two ends of a connected Unix stream socket.
// Unlike net.Pipe, it buffers, so one goroutine can write a line and then
// read the answer to it.
func socketPair(t *testing.T) (server, client *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int, name string) *net.UnixConn {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*net.UnixConn)
	}
	return conn(fds[0], "server"), conn(fds[1], "client")
}

// streamHarness is a lineStream on one end of a socket, and the client on
// the other.
type streamHarness struct {
	s       *lineStream
	client  *net.UnixConn
	replies *bufio.Reader
}

func newStreamHarness(t *testing.T, maxLine int, idle time.Duration) *streamHarness {
	t.Helper()
	server, client := socketPair(t)
	return &streamHarness{s: newLineStream(server, maxLine, idle, time.Second), client: client, replies: bufio.NewReader(client)}
}

func (h *streamHarness) send(t *testing.T, data string) {
	t.Helper()
	if _, err := io.WriteString(h.client, data); err != nil {
		t.Fatal(err)
	}
}

// reply is an answer as the client reads it.
type reply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *rpc.Error      `json:"error"`
}

// reply reads the next line the client receives.
func (h *streamHarness) reply(t *testing.T) reply {
	t.Helper()
	_ = h.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := h.replies.ReadBytes('\n')
	if err != nil {
		t.Fatalf("no reply: %v (got %q)", err, line)
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("reply %q is not JSON: %v", line, err)
	}
	if r.JSONRPC != "2.0" {
		t.Fatalf("reply %q lacks jsonrpc 2.0", line)
	}
	return r
}

// noReply fails if the client has a reply waiting.
func (h *streamHarness) noReply(t *testing.T) {
	t.Helper()
	_ = h.client.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if line, err := h.replies.ReadBytes('\n'); err == nil || len(line) > 0 {
		t.Fatalf("unexpected reply %q", line)
	}
	_ = h.client.SetReadDeadline(time.Time{})
}

// read returns the next request the stream hands on, as the server gets
// it: what the library decodes, with the params the stream kept for it,
// written out as a line with the members in the order jsonrpc, id, method,
// params.
func (h *streamHarness) read(t *testing.T) json.RawMessage {
	t.Helper()
	var req jsonrpc2.Request
	if err := h.s.ReadObject(&req); err != nil {
		t.Fatalf("ReadObject: %v", err)
	}
	params, err := h.s.params(&req)
	if err != nil {
		t.Fatalf("params: %v", err)
	}
	line := `{"jsonrpc":"2.0"`
	if !req.Notif {
		id, _ := req.ID.MarshalJSON()
		line += `,"id":` + string(id)
	}
	m, _ := json.Marshal(req.Method)
	line += `,"method":` + string(m)
	if params != nil {
		line += `,"params":` + string(params)
	}
	return json.RawMessage(line + "}")
}

// readErr returns the error that ends reading, failing if a request comes
// instead or nothing comes in time.
func (h *streamHarness) readErr(t *testing.T) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		var raw json.RawMessage
		err := h.s.ReadObject(&raw)
		if err == nil {
			err = fmt.Errorf("unexpected request %s", raw)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("ReadObject did not return")
		return nil
	}
}

const goodRequest = `{"jsonrpc":"2.0","id":99,"method":"system.health"}`

func TestStreamAnswersBadLinesAndKeepsGoing(t *testing.T) {
	tests := []struct {
		name string
		line string
		code int64
		id   string
	}{
		{"a line that is not JSON is a parse error with id null", `not json`, rpc.CodeParseError, "null"},
		{"a cut-off object is a parse error", `{"jsonrpc":"2.0","id":1,"method":`, rpc.CodeParseError, "null"},
		{"two objects on one line are a parse error", `{"jsonrpc":"2.0","id":1,"method":"a"} {}`, rpc.CodeParseError, "null"},
		{"a batch is an invalid request", `[{"jsonrpc":"2.0","id":1,"method":"system.health"}]`, rpc.CodeInvalidRequest, "null"},
		{"an empty batch is an invalid request", `[]`, rpc.CodeInvalidRequest, "null"},
		{"a number is an invalid request", `42`, rpc.CodeInvalidRequest, "null"},
		{"a string is an invalid request", `"system.health"`, rpc.CodeInvalidRequest, "null"},
		{"null is an invalid request", `null`, rpc.CodeInvalidRequest, "null"},
		{"a missing jsonrpc is an invalid request that keeps the id", `{"id":1,"method":"system.health"}`, rpc.CodeInvalidRequest, "1"},
		{"jsonrpc 1.0 is an invalid request", `{"jsonrpc":"1.0","id":"a","method":"system.health"}`, rpc.CodeInvalidRequest, `"a"`},
		{"a jsonrpc that is not a string is an invalid request", `{"jsonrpc":2.0,"id":1,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"a method that is not a string is an invalid request", `{"jsonrpc":"2.0","id":1,"method":7}`, rpc.CodeInvalidRequest, "null"},
		{"a missing method is an invalid request", `{"jsonrpc":"2.0","id":3}`, rpc.CodeInvalidRequest, "3"},
		{"an empty method is an invalid request", `{"jsonrpc":"2.0","id":3,"method":""}`, rpc.CodeInvalidRequest, "3"},
		{"id null is an invalid request", `{"jsonrpc":"2.0","id":null,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"a negative id is an invalid request", `{"jsonrpc":"2.0","id":-1,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"a fractional id is an invalid request", `{"jsonrpc":"2.0","id":1.5,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"an id over 2^63-1 is an invalid request", `{"jsonrpc":"2.0","id":9223372036854775808,"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"an object id is an invalid request", `{"jsonrpc":"2.0","id":{},"method":"system.health"}`, rpc.CodeInvalidRequest, "null"},
		{"a response with a result is an invalid request", `{"jsonrpc":"2.0","id":5,"result":{}}`, rpc.CodeInvalidRequest, "5"},
		{"a response with an error is an invalid request", `{"jsonrpc":"2.0","id":5,"error":{"code":1,"message":"x"}}`, rpc.CodeInvalidRequest, "5"},
		{"a request with a null result is an invalid request", `{"jsonrpc":"2.0","id":5,"method":"a","result":null}`, rpc.CodeInvalidRequest, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newStreamHarness(t, 1<<20, time.Minute)
			h.send(t, tt.line+"\n"+goodRequest+"\n")
			if got := h.read(t); string(got) != goodRequest {
				t.Fatalf("read %s, want the request after the bad line", got)
			}
			r := h.reply(t)
			if r.Error == nil || r.Error.Code != tt.code || r.Error.Message == "" {
				t.Fatalf("reply %+v, want error %d", r, tt.code)
			}
			if string(r.ID) != tt.id {
				t.Fatalf("reply id %s, want %s", r.ID, tt.id)
			}
			h.noReply(t)
		})
	}
}

func TestStreamHandsOnRequests(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"a request with a numeric id", goodRequest + "\n", []string{goodRequest}},
		{"a request with a string id and params", `{"jsonrpc":"2.0","id":"x","method":"org.get","params":{"name":"a"}}` + "\n",
			[]string{`{"jsonrpc":"2.0","id":"x","method":"org.get","params":{"name":"a"}}`}},
		{"id 0 and the largest id", `{"jsonrpc":"2.0","id":0,"method":"a"}` + "\n" + `{"jsonrpc":"2.0","id":9223372036854775807,"method":"a"}` + "\n",
			[]string{`{"jsonrpc":"2.0","id":0,"method":"a"}`, `{"jsonrpc":"2.0","id":9223372036854775807,"method":"a"}`}},
		{"a notification, without an id", `{"jsonrpc":"2.0","method":"a"}` + "\n", []string{`{"jsonrpc":"2.0","method":"a"}`}},
		{"blank lines are skipped", "\n\n   \n\t\n" + goodRequest + "\n\n", []string{goodRequest}},
		{"CRLF line ends are accepted", goodRequest + "\r\n" + goodRequest + "\r\n", []string{goodRequest, goodRequest}},
		{"space around a request is ignored", "  " + goodRequest + "  \n", []string{goodRequest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newStreamHarness(t, 1<<20, time.Minute)
			h.send(t, tt.data)
			for _, want := range tt.want {
				if got := h.read(t); string(got) != want {
					t.Fatalf("read %s, want %s", got, want)
				}
			}
			h.noReply(t)
		})
	}
}

func TestStreamReadsALastLineWithoutNewline(t *testing.T) {
	h := newStreamHarness(t, 1<<20, time.Minute)
	h.send(t, goodRequest+"\n"+goodRequest)
	if err := h.client.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if got := h.read(t); string(got) != goodRequest {
			t.Fatalf("request %d: read %s", i, got)
		}
	}
	if err := h.readErr(t); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last line: %v, want EOF", err)
	}
}

func TestStreamLineLimit(t *testing.T) {
	request := func(size int) string {
		pad := size - len(`{"jsonrpc":"2.0","id":1,"method":"a","params":{"p":""}}`)
		return `{"jsonrpc":"2.0","id":1,"method":"a","params":{"p":"` + strings.Repeat("x", pad) + `"}}`
	}
	tests := []struct {
		name    string
		maxLine int
		line    string
		tooLong bool
	}{
		{"a line under the limit is read", 200, request(150), false},
		{"a line that with its newline fills the limit is read", 200, request(199), false},
		{"a line over the limit is refused", 200, request(250), true},
		{"a line of several buffers under the limit is read", 300 << 10, request(200 << 10), false},
		{"a line of several buffers over the limit is refused", 100 << 10, request(200 << 10), true},
		{"a line over the limit is refused before it is parsed", 200, strings.Repeat("x", 250), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newStreamHarness(t, tt.maxLine, time.Minute)
			go func() {
				// In pieces, as a slow client would send it.
				data := tt.line + "\n" + goodRequest + "\n"
				for len(data) > 0 {
					n := min(len(data), 50<<10)
					if _, err := io.WriteString(h.client, data[:n]); err != nil {
						return
					}
					data = data[n:]
				}
			}()
			if !tt.tooLong {
				if got := h.read(t); string(got) != tt.line {
					t.Fatalf("read %d bytes, want the %d-byte line", len(got), len(tt.line))
				}
				if got := h.read(t); string(got) != goodRequest {
					t.Fatalf("read %s after it", got)
				}
				return
			}
			if err := h.readErr(t); !errors.Is(err, errLineTooLong) {
				t.Fatalf("ReadObject = %v, want errLineTooLong", err)
			}
			r := h.reply(t)
			if r.Error == nil || r.Error.Code != rpc.CodeInvalidRequest || string(r.ID) != "null" {
				t.Fatalf("reply %+v, want -32600 with id null", r)
			}
		})
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	t.Run("a silent connection ends after the idle timeout", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, 30*time.Millisecond)
		start := time.Now()
		if err := h.readErr(t); !errors.Is(err, errIdle) {
			t.Fatalf("ReadObject = %v, want errIdle", err)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Fatalf("ended after %s, before the timeout", d)
		}
	})
	t.Run("a half-written line does not keep the connection open", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, 30*time.Millisecond)
		h.send(t, `{"jsonrpc":"2.0","id":1,`)
		if err := h.readErr(t); !errors.Is(err, errIdle) {
			t.Fatalf("ReadObject = %v, want errIdle", err)
		}
	})
	t.Run("a line that arrives in pieces within the timeout is read", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, time.Second)
		go func() {
			data := goodRequest + "\n"
			for i := 0; i < len(data); i += 10 {
				time.Sleep(5 * time.Millisecond)
				if _, err := io.WriteString(h.client, data[i:min(i+10, len(data))]); err != nil {
					return
				}
			}
		}()
		if got := h.read(t); string(got) != goodRequest {
			t.Fatalf("read %s", got)
		}
	})
	t.Run("waiting on answers in flight is not idleness", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, 20*time.Millisecond)
		var mu sync.Mutex
		busy := true
		h.s.busy = func() bool { mu.Lock(); defer mu.Unlock(); return busy }
		go func() {
			time.Sleep(100 * time.Millisecond)
			_, _ = io.WriteString(h.client, goodRequest+"\n")
		}()
		if got := h.read(t); string(got) != goodRequest {
			t.Fatalf("read %s", got)
		}
		mu.Lock()
		busy = false
		mu.Unlock()
		if err := h.readErr(t); !errors.Is(err, errIdle) {
			t.Fatalf("once nothing is in flight: %v, want errIdle", err)
		}
	})
}

func TestStreamStop(t *testing.T) {
	t.Run("Stop ends a read under way with EOF", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, time.Minute)
		go func() {
			time.Sleep(20 * time.Millisecond)
			h.s.Stop()
		}()
		if err := h.readErr(t); !errors.Is(err, io.EOF) {
			t.Fatalf("ReadObject = %v, want EOF", err)
		}
	})
	t.Run("a stopped stream reads no further requests", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, time.Minute)
		h.s.Stop()
		h.send(t, goodRequest+"\n")
		if err := h.readErr(t); !errors.Is(err, io.EOF) {
			t.Fatalf("ReadObject = %v, want EOF", err)
		}
	})
	t.Run("a stopped stream reports the end only once requests in flight are answered", func(t *testing.T) {
		h := newStreamHarness(t, 1<<20, time.Minute)
		answered := make(chan struct{})
		h.s.waitIdle = func() { <-answered }
		done := make(chan error, 1)
		go func() {
			var raw json.RawMessage
			done <- h.s.ReadObject(&raw)
		}()
		time.Sleep(10 * time.Millisecond)
		h.s.Stop()
		select {
		case err := <-done:
			t.Fatalf("ReadObject returned %v with a request in flight", err)
		case <-time.After(30 * time.Millisecond):
		}
		close(answered)
		select {
		case err := <-done:
			if !errors.Is(err, io.EOF) {
				t.Fatalf("ReadObject = %v, want EOF", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("ReadObject did not return once the requests were answered")
		}
	})
}

func TestStreamWriteTimeout(t *testing.T) {
	// net.Pipe does not buffer: a write waits for the client to read.
	server, client := net.Pipe()
	defer client.Close()
	s := newLineStream(server, 1<<20, time.Minute, 20*time.Millisecond)
	if err := s.WriteObject(map[string]string{"jsonrpc": "2.0"}); err == nil {
		t.Fatal("a write that nobody reads succeeded")
	}
	_ = client.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := client.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("client read %v, want EOF: the connection should be closed", err)
	}
}

// libraryConn serves a lineStream with jsonrpc2, as orgd does, answering
// every request with its method name.
func libraryConn(t *testing.T) (*streamHarness, *jsonrpc2.Conn, func() string) {
	t.Helper()
	h := newStreamHarness(t, 1<<20, time.Minute)
	var logged strings.Builder
	var mu sync.Mutex
	handler := jsonrpc2.HandlerWithError(func(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
		return req.Method, nil
	})
	jc := jsonrpc2.NewConn(context.Background(), h.s, handler, jsonrpc2.SetLogger(log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), "", 0)))
	t.Cleanup(func() { jc.Close() })
	return h, jc, func() string {
		mu.Lock()
		defer mu.Unlock()
		return logged.String()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestStreamAndLibraryAgree sends lines through jsonrpc2 as orgd does: the
// library must answer every line the stream hands on, and the connection
// must stay open for the next request.
func TestStreamAndLibraryAgree(t *testing.T) {
	tests := []struct {
		name string
		line string
		code int64 // 0: served
	}{
		{"a plain request is served", `{"jsonrpc":"2.0","id":1,"method":"a"}`, 0},
		{"a request with a string id is served", `{"jsonrpc":"2.0","id":"x","method":"a"}`, 0},
		{"a request with extra members is served", `{"jsonrpc":"2.0","id":1,"method":"a","meta":{},"x":[1]}`, 0},
		{"Method in another case is refused", `{"jsonrpc":"2.0","id":1,"Method":"a"}`, rpc.CodeInvalidRequest},
		{"METHOD beside method is refused", `{"jsonrpc":"2.0","id":1,"method":"a","METHOD":null}`, rpc.CodeInvalidRequest},
		{"ID in another case is refused", `{"jsonrpc":"2.0","id":{},"ID":5,"method":"a"}`, rpc.CodeInvalidRequest},
		{"Result in another case is refused", `{"jsonrpc":"2.0","id":1,"method":"a","Result":1}`, rpc.CodeInvalidRequest},
		{"JSONRPC in another case is refused", `{"JSONRPC":"2.0","id":1,"method":"a"}`, rpc.CodeInvalidRequest},
		{"a member folded with the long s is refused", `{"jsonrpc":"2.0","id":1,"method":"a","reſult":1}`, rpc.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, jc, logged := libraryConn(t)
			h.send(t, tt.line+"\n")
			r := h.reply(t)
			switch {
			case tt.code == 0 && (r.Error != nil || string(r.Result) != `"a"`):
				t.Fatalf("reply %+v, want result \"a\"", r)
			case tt.code != 0 && (r.Error == nil || r.Error.Code != tt.code):
				t.Fatalf("reply %+v, want error %d", r, tt.code)
			}
			h.send(t, `{"jsonrpc":"2.0","id":2,"method":"next"}`+"\n")
			if r := h.reply(t); string(r.Result) != `"next"` {
				t.Fatalf("the next request got %+v", r)
			}
			select {
			case <-jc.DisconnectNotify():
				t.Fatalf("the connection closed: %s", logged())
			default:
			}
		})
	}
}

// oneLine is an ObjectStream that hands jsonrpc2 a single line, recording
// whether the library could take it.
type oneLine struct {
	line    []byte
	read    bool
	readErr error
}

func (o *oneLine) ReadObject(v any) error {
	if o.read {
		return io.EOF
	}
	o.read = true
	o.readErr = json.Unmarshal(o.line, v)
	return o.readErr
}

func (o *oneLine) WriteObject(any) error { return nil }
func (o *oneLine) Close() error          { return nil }

// FuzzCheckRequest checks that checkRequest never panics, answers what it
// refuses with a well-formed error, and lets through only what jsonrpc2
// takes as a request: a line the library cannot decode would end the
// connection without an answer.
func FuzzCheckRequest(f *testing.F) {
	for _, s := range []string{
		goodRequest,
		`{"jsonrpc":"2.0","id":"x","method":"org.get","params":{"token":"t","name":"a"}}`,
		`{"jsonrpc":"2.0","method":"a"}`,
		`{"jsonrpc":"2.0","id":1,"Method":"a"}`,
		`{"jsonrpc":"2.0","id":{},"ID":5,"method":"a"}`,
		`{"jsonrpc":"2.0","id":1,"method":"a","result":null}`,
		`{"jsonrpc":"2.0","id":-0,"method":"a"}`,
		`{"jsonrpc":"2.0","id":1e2,"method":"a"}`,
		`{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"a"}]`,
		`null`, `{}`, `{"jsonrpc":"2.0","id":1,"method":"a"`, "\xff", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		code, msg, id := checkRequest(line)
		if code != 0 {
			if code != rpc.CodeParseError && code != rpc.CodeInvalidRequest {
				t.Fatalf("code %d for %q", code, line)
			}
			if msg == "" {
				t.Fatalf("no message for %q", line)
			}
			if id != nil && !validID(id) {
				t.Fatalf("answering %q with the id %s", line, id)
			}
			if id == nil {
				id = json.RawMessage("null")
			}
			if _, err := json.Marshal(errorLine{JSONRPC: "2.0", ID: id, Error: rpc.Error{Code: int64(code), Message: msg}}); err != nil {
				t.Fatalf("the answer to %q does not encode: %v", line, err)
			}
			return
		}

		var req jsonrpc2.Request
		if err := json.Unmarshal(line, &req); err != nil {
			t.Fatalf("checkRequest let %q through, but it is no jsonrpc2.Request: %v", line, err)
		}
		if req.Method == "" {
			t.Fatalf("checkRequest let %q through without a method", line)
		}

		stream := &oneLine{line: line}
		handled := make(chan *jsonrpc2.Request, 1)
		jc := jsonrpc2.NewConn(context.Background(), stream, jsonrpc2.HandlerWithError(func(_ context.Context, _ *jsonrpc2.Conn, r *jsonrpc2.Request) (any, error) {
			handled <- r
			return nil, nil
		}), jsonrpc2.SetLogger(log.New(io.Discard, "", 0)))
		<-jc.DisconnectNotify()
		if stream.readErr != nil {
			t.Fatalf("checkRequest let %q through, but jsonrpc2 cannot read it: %v", line, stream.readErr)
		}
		select {
		case r := <-handled:
			if r.Method != req.Method || r.Notif != req.Notif || r.ID != req.ID {
				t.Fatalf("jsonrpc2 read %q as %s #%s, not %s #%s", line, r.Method, r.ID, req.Method, req.ID)
			}
		default:
			t.Fatalf("jsonrpc2 did not take %q for a request", line)
		}
	})
}

func TestParamsReachTheHandlerAsTheClientWroteThem(t *testing.T) {
	tests := []struct{ name, params string }{
		{"keys out of alphabetical order", `{"z":1,"a":{"y":2,"b":3}}`},
		{"a repeated key", `{"a":1,"a":2}`},
		{"numbers as written", `{"n":1.0,"m":1e3,"big":123456789012345678901234567890}`},
		{"escapes and HTML characters", `{"s":"<&>\u00e9\"\\"}`},
		{"an array", `[3,1,2]`},
		{"null", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := `{"jsonrpc":"2.0","id":1,"method":"m","params":` + tt.params + `,"meta":{"x":1}}`
			kept, err := keepParams([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			var req jsonrpc2.Request
			if err := json.Unmarshal(kept, &req); err != nil {
				t.Fatal(err)
			}
			got, err := requestParams(&req)
			if err != nil || string(got) != tt.params {
				t.Fatalf("params %s (%v), want %s", got, err, tt.params)
			}
		})
	}
	t.Run("a request without params has none, even with a meta member", func(t *testing.T) {
		kept, err := keepParams([]byte(`{"jsonrpc":"2.0","id":1,"method":"m","meta":"{\"token\":\"x\"}"}`))
		if err != nil {
			t.Fatal(err)
		}
		var req jsonrpc2.Request
		if err := json.Unmarshal(kept, &req); err != nil {
			t.Fatal(err)
		}
		if got, err := requestParams(&req); err != nil || got != nil {
			t.Fatalf("params %s (%v), want none", got, err)
		}
	})
}

func TestRepliesCarryHTMLCharactersUnescaped(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"escapes of <, > and & in strings", `{"s":"a\u003cb\u003ec\u0026d"}`, `{"s":"a<b>c&d"}`},
		{"other escapes stay", `{"s":"\u00e9\u2028\"\\\n"}`, `{"s":"\u00e9\u2028\"\\\n"}`},
		{"an escaped backslash before u003c stays", `{"s":"\\u003c"}`, `{"s":"\\u003c"}`},
		{"nothing to do", `{"a":[1,2]}`, `{"a":[1,2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unescapeHTML([]byte(tt.in))
			if string(got) != tt.want {
				t.Fatalf("unescapeHTML(%s) = %s, want %s", tt.in, got, tt.want)
			}
			var a, b any
			if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(tt.in), &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("%s and %s do not mean the same", got, tt.in)
			}
		})
	}
}

// deadlineCounter counts the deadlines set on a connection.
type deadlineCounter struct {
	net.Conn
	mu           sync.Mutex
	reads, write int
}

func (c *deadlineCounter) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *deadlineCounter) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.write++
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

// TestStreamMovesDeadlinesOnlyWhenItMust: moving a deadline costs a timer
// update, as much as the rest of a small request; a busy connection keeps
// its deadlines while they are far enough off.
func TestStreamMovesDeadlinesOnlyWhenItMust(t *testing.T) {
	server, client := socketPair(t)
	counted := &deadlineCounter{Conn: server}
	s := newLineStream(counted, 1<<20, time.Minute, time.Minute)
	go func() {
		for range 100 {
			if _, err := io.WriteString(client, goodRequest+"\n"); err != nil {
				return
			}
		}
	}()
	go func() { _, _ = io.Copy(io.Discard, client) }()
	for range 100 {
		var raw json.RawMessage
		if err := s.ReadObject(&raw); err != nil {
			t.Fatal(err)
		}
		if err := s.write([]byte(`{"jsonrpc":"2.0","id":99,"result":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	counted.mu.Lock()
	defer counted.mu.Unlock()
	if counted.reads > 2 || counted.write > 2 {
		t.Fatalf("100 requests and answers set %d read and %d write deadlines, want 1 or 2 of each", counted.reads, counted.write)
	}
}
