package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/orgd/orgd/rpc"
)

// lineStream is the newline-delimited framing of every listener, as a
// jsonrpc2.ObjectStream. It does what the library leaves out:
//
//   - a line that is not JSON is answered with -32700 (id null), and the
//     connection stays open (the library would drop it);
//   - a line that is JSON but not a JSON-RPC 2.0 request is answered with
//     -32600, and the connection stays open;
//   - a line over the size limit is answered with -32600, and the
//     connection is closed (the library has no limit);
//   - a connection silent for the idle timeout, with no request in flight,
//     is closed, even halfway through a line;
//   - a write that the client does not read within the write timeout (or
//     up to half as much again, see write) closes the connection, so a
//     client that never reads cannot make orgd hold its replies without
//     bound.
type lineStream struct {
	nc           net.Conn
	r            *bufio.Reader
	maxLine      int
	idle         time.Duration
	writeTimeout time.Duration
	// busy reports whether requests of this connection are in flight.
	busy func() bool
	// waitIdle returns when no request is in flight; a stopped stream
	// waits for it before it reports the end of the connection.
	waitIdle func()
	// hungUp reports whether the client has closed the connection both
	// ways, as opposed to only its sending side.
	hungUp func() bool
	onBad  func(code int, reason string)
	// keepParams hands requests that are not plain on with their params
	// kept as written (see keepParams).
	keepParams bool
	// serveInline answers a plain request itself, or reports false and
	// lets the library have it.
	serveInline func(plainRequest) bool

	buf []byte // the line being assembled, when it spans reads
	env []byte // the envelope handed to the library (see scanRequest)

	// pending holds the params of the request ReadObject handed on last,
	// until conn.Handle takes them (see scanRequest).
	pmu     sync.Mutex
	seq     uint64
	pending pendingParams

	dmu     sync.Mutex // orders Stop against the arming of read deadlines
	stopped bool

	// Moving a deadline costs a timer update, as much as the rest of a
	// small request, so deadlines move only when they must (see arm and
	// write). lastData and readBy belong to the reading goroutine.
	lastData time.Time // when the last line, or a buffer of one, was read
	readBy   time.Time // the read deadline set; zero once it fired

	wmu     sync.Mutex
	writeBy time.Time // the write deadline set
}

// errLineTooLong ends a connection whose client sent an oversized line.
var errLineTooLong = errors.New("line over the size limit")

// errIdle ends a connection that stayed silent for the idle timeout.
var errIdle = errors.New("idle timeout")

func newLineStream(nc net.Conn, maxLine int, idle, writeTimeout time.Duration) *lineStream {
	return &lineStream{
		nc:           nc,
		r:            bufio.NewReaderSize(nc, 64<<10),
		maxLine:      maxLine,
		idle:         idle,
		writeTimeout: writeTimeout,
		busy:         func() bool { return false },
		waitIdle:     func() {},
		hungUp:       func() bool { return false },
		onBad:        func(int, string) {},
		serveInline:  func(plainRequest) bool { return false },
		lastData:     time.Now(),
	}
}

// ReadObject reads the next request line into v.
func (s *lineStream) ReadObject(v any) error {
	for {
		line, err := s.readLine()
		if err != nil {
			return err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if r, ok := scanRequest(line); ok {
			if s.serveInline(r) {
				continue
			}
			s.pmu.Lock()
			s.seq++
			s.pending = pendingParams{set: true, seq: s.seq, params: bytes.Clone(r.params)}
			s.env = r.envelope(s.env[:0], s.seq)
			s.pmu.Unlock()
			return json.Unmarshal(s.env, v)
		}
		if code, msg, id := checkRequest(line); code != 0 {
			s.onBad(code, msg)
			if err := s.writeError(id, code, msg); err != nil {
				return err
			}
			continue
		}
		s.pmu.Lock()
		s.pending = pendingParams{}
		s.pmu.Unlock()
		if s.keepParams {
			if line, err = keepParams(line); err != nil {
				return err
			}
		}
		return json.Unmarshal(line, v)
	}
}

// pendingParams are the params of a plain request, kept from the library.
type pendingParams struct {
	set    bool
	seq    uint64
	params json.RawMessage // nil when the request has none
}

// errLostParams means that a request is not the one whose params the
// stream kept: the library served requests out of the order it read them.
var errLostParams = errors.New("the params of the request were lost")

// params returns the params of req, which ReadObject just handed the
// library: those it kept for a plain request, or else those the library
// decoded.
func (s *lineStream) params(req *jsonrpc2.Request) (json.RawMessage, error) {
	s.pmu.Lock()
	p := s.pending
	s.pending = pendingParams{}
	s.pmu.Unlock()
	if !p.set {
		if s.keepParams {
			return requestParams(req)
		}
		if req.Params == nil {
			return nil, nil
		}
		return *req.Params, nil
	}
	if req.Meta == nil || string(*req.Meta) != strconv.FormatUint(p.seq, 10) {
		return nil, errLostParams
	}
	return p.params, nil
}

// readLine returns the next line, without copying it when it arrived whole.
// The result is valid until the next call.
func (s *lineStream) readLine() ([]byte, error) {
	s.buf = s.buf[:0]
	for {
		if !s.arm() {
			s.waitIdle()
			return nil, io.EOF
		}
		chunk, err := s.r.ReadSlice('\n')
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			s.lastData = time.Now()
		}
		if err == nil && len(s.buf) == 0 {
			if len(chunk) > s.maxLine {
				return nil, s.tooLong()
			}
			return chunk, nil
		}
		s.buf = append(s.buf, chunk...)
		if len(s.buf) > s.maxLine {
			return nil, s.tooLong()
		}
		switch {
		case err == nil:
			return s.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			if s.isStopped() {
				s.waitIdle()
				return nil, io.EOF
			}
			s.readBy = time.Time{}
			if len(s.buf) == 0 && s.busy() {
				s.lastData = time.Now()
				continue // waiting on our answers is not idleness
			}
			if time.Since(s.lastData) < s.idle {
				continue // a deadline set before the last read, not moved since
			}
			return nil, errIdle
		case errors.Is(err, io.EOF) && len(s.buf) > 0:
			return s.buf, nil // a last line without its newline
		case errors.Is(err, io.EOF):
			s.finishAfterEOF()
		}
		return nil, err
	}
}

// finishAfterEOF waits, once the client has sent its last request, until
// the requests in flight are answered: "echo request | socat - UNIX-CONNECT:…"
// shuts its sending side down right after the request, and still wants the
// answer. A client that hangs up altogether does not: its requests are
// cancelled at once (on a Unix socket, where a hang-up can be told apart
// from a half-close; over TCP they run to their end).
func (s *lineStream) finishAfterEOF() {
	idle := make(chan struct{})
	go func() {
		s.waitIdle()
		close(idle)
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-idle:
			return
		case <-tick.C:
			if s.hungUp() {
				return
			}
		}
	}
}

// arm sees that the next read has a deadline, unless the stream was
// stopped. The connection is idle once nothing came for the idle timeout
// since lastData; the deadline set is moved there only when it would
// fire early by more than half the timeout, and readLine, when it fires
// early, reads again.
func (s *lineStream) arm() bool {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if s.stopped {
		return false
	}
	if s.idle > 0 {
		if due := s.lastData.Add(s.idle); s.readBy.IsZero() || due.Sub(s.readBy) > s.idle/2 {
			s.readBy = due
			_ = s.nc.SetReadDeadline(due)
		}
	}
	return true
}

// Stop makes the stream read no further requests: a read under way ends at
// once, and the stream reports the end of the connection as soon as the
// requests in flight are answered.
func (s *lineStream) Stop() {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.stopped = true
	_ = s.nc.SetReadDeadline(time.Now())
}

func (s *lineStream) isStopped() bool {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.stopped
}

func (s *lineStream) tooLong() error {
	msg := fmt.Sprintf("message over %d bytes (--max-message-bytes); closing the connection", s.maxLine)
	s.onBad(rpc.CodeInvalidRequest, msg)
	_ = s.writeError(nil, rpc.CodeInvalidRequest, msg)
	return errLineTooLong
}

// checkRequest tells whether line is a JSON-RPC 2.0 request the library may
// have. When it is not, it returns the error code and message to answer
// with, and the request's id when one could be read (else nil: id null).
func checkRequest(line []byte) (code int, msg string, id json.RawMessage) {
	if !json.Valid(line) {
		return rpc.CodeParseError, "parse error: the line is not valid JSON", nil
	}
	switch line[0] {
	case '{':
	case '[':
		return rpc.CodeInvalidRequest, "invalid request: batches are not supported; send one request per line", nil
	default:
		return rpc.CodeInvalidRequest, "invalid request: want a JSON-RPC 2.0 request object", nil
	}
	// Members are read by their exact names, as jsonrpc2 reads a request.
	// A name that matches only when case is ignored is refused: the
	// library decodes some members case-insensitively too, and would take
	// the line for something else, or fail on it and drop the connection.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return rpc.CodeInvalidRequest, "invalid request: want a JSON-RPC 2.0 request object", nil
	}
	id = m["id"]
	if id != nil && !validID(id) {
		return rpc.CodeInvalidRequest, "invalid request: id must be a string or a non-negative integer", nil
	}
	for name := range m {
		for _, member := range []string{"jsonrpc", "method", "id", "params", "result", "error"} {
			if name != member && strings.EqualFold(name, member) {
				return rpc.CodeInvalidRequest, fmt.Sprintf("invalid request: member %q must be spelled %q", name, member), id
			}
		}
	}
	var version, method string
	if raw, ok := m["jsonrpc"]; ok && json.Unmarshal(raw, &version) != nil {
		return rpc.CodeInvalidRequest, "invalid request: jsonrpc and method must be strings", nil
	}
	if raw, ok := m["method"]; ok && json.Unmarshal(raw, &method) != nil {
		return rpc.CodeInvalidRequest, "invalid request: jsonrpc and method must be strings", nil
	}
	_, isResult := m["result"]
	_, isError := m["error"]
	switch {
	case version != "2.0":
		return rpc.CodeInvalidRequest, `invalid request: "jsonrpc" must be "2.0"`, id
	case method == "":
		return rpc.CodeInvalidRequest, `invalid request: "method" is missing`, id
	case isResult || isError:
		return rpc.CodeInvalidRequest, "invalid request: orgd takes requests, not responses", id
	}
	return 0, "", nil
}

// keepParams moves a request's params, as their exact text, into its meta
// member as a JSON string. jsonrpc2 reads params into Go maps and writes
// them out again, which sorts the keys of every object; but key order is
// meaning in the data methods (a sort, an index's keys, a document), and
// strings come through the library unchanged. dispatch reads them back
// with requestParams. A meta member the client sent is dropped: orgd has
// no use for one. line must be a valid request object.
func keepParams(line []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, err
	}
	params, ok := m["params"]
	if _, meta := m["meta"]; !ok && !meta {
		return line, nil
	}
	delete(m, "meta")
	if !ok {
		return json.Marshal(m)
	}
	delete(m, "params")
	text, err := json.Marshal(string(params))
	if err != nil {
		return nil, err
	}
	m["meta"] = text
	return json.Marshal(m)
}

// requestParams returns the params of a request read by lineStream, as
// their client wrote them (see keepParams).
func requestParams(req *jsonrpc2.Request) (json.RawMessage, error) {
	if req.Meta == nil || string(*req.Meta) == "null" {
		return nil, nil
	}
	var text string
	if err := json.Unmarshal(*req.Meta, &text); err != nil {
		return nil, fmt.Errorf("params kept in meta: %w", err)
	}
	return json.RawMessage(text), nil
}

// validID accepts the ids the library can echo: strings, and integers from
// 0 to 2^63-1. Null is refused: the library would take the request for a
// notification and never answer.
func validID(raw json.RawMessage) bool {
	if string(raw) == "null" {
		return false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return true
	}
	var n int64
	return json.Unmarshal(raw, &n) == nil && n >= 0
}

type errorLine struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   rpc.Error       `json:"error"`
}

// writeError answers a line the library never sees.
func (s *lineStream) writeError(id json.RawMessage, code int, msg string) error {
	if id == nil {
		id = json.RawMessage("null")
	}
	b, err := json.Marshal(errorLine{JSONRPC: "2.0", ID: id, Error: rpc.Error{Code: int64(code), Message: msg}})
	if err != nil {
		return err
	}
	return s.write(b)
}

// reply writes the answer to a request, its result or e, as the library
// would write a jsonrpc2.Response, with the result encoded already.
func (s *lineStream) reply(id jsonrpc2.ID, result json.RawMessage, e *jsonrpc2.Error) error {
	b := make([]byte, 0, len(result)+64)
	b = append(b, `{"id":`...)
	if id.IsString {
		sid, err := json.Marshal(id.Str)
		if err != nil {
			return err
		}
		b = append(b, sid...)
	} else {
		b = strconv.AppendUint(b, id.Num, 10)
	}
	if e != nil {
		je, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b = append(append(b, `,"error":`...), je...)
	} else {
		b = append(append(b, `,"result":`...), result...)
	}
	return s.write(unescapeHTML(append(b, `,"jsonrpc":"2.0"}`...)))
}

// WriteObject writes v as one line.
func (s *lineStream) WriteObject(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(unescapeHTML(b))
}

// unescapeHTML undoes the escapes of <, > and & that encoding/json puts
// into strings (for JSON embedded in HTML, which a line on a socket never
// is): documents then reach clients byte for byte as the store's Extended
// JSON writer, and mongoexport, write them. b must be valid JSON.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(b):
			if i+5 < len(b) && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' {
				switch string(b[i+4 : i+6]) {
				case "3c":
					out = append(out, '<')
					i += 5
					continue
				case "3e":
					out = append(out, '>')
					i += 5
					continue
				case "26":
					out = append(out, '&')
					i += 5
					continue
				}
			}
			// Any other escape stays as it is, the escaped character too
			// (which may be a quote or a backslash).
			out = append(out, c, b[i+1])
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}

func (s *lineStream) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.writeTimeout > 0 {
		// Each write gets from the write timeout to half as much again:
		// the deadline moves on only when less than the timeout is left.
		if now := time.Now(); s.writeBy.Sub(now) < s.writeTimeout {
			s.writeBy = now.Add(s.writeTimeout * 3 / 2)
			_ = s.nc.SetWriteDeadline(s.writeBy)
		}
	}
	if _, err := s.nc.Write(append(b, '\n')); err != nil {
		// A client that does not read its replies: let it go rather than
		// hold replies for it.
		s.nc.Close()
		return err
	}
	return nil
}

// Close closes the connection.
func (s *lineStream) Close() error {
	return s.nc.Close()
}
