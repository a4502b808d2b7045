package rpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"sync"
)

// lineStream is the client's side of the framing, one JSON object per
// line, as a jsonrpc2.ObjectStream, with a short cut for bulk: the library
// encodes params two more times after they are encoded, and decodes every
// result into Go maps and slices just to tell a response from a request
// before decoding it again, which for a page of a thousand documents costs
// more than all the rest. So Call encodes the params once and the stream
// splices them into the request line the library writes; and the stream
// keeps the result of a response for the Call waiting on it, handing the
// library a response with a null result. Lines of another shape go
// through the library as they are.
type lineStream struct {
	nc  net.Conn
	r   *bufio.Reader
	wmu sync.Mutex

	mu      sync.Mutex
	waiting map[uint64]*exchange // by request id
}

// exchange is one call's params, and its result once it came.
type exchange struct {
	params []byte
	result []byte
	got    bool
}

func newLineStream(nc net.Conn) *lineStream {
	return &lineStream{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), waiting: make(map[uint64]*exchange)}
}

// expect registers the call with id, whose params are the JSON text
// params (nil for none).
func (s *lineStream) expect(id uint64, params []byte) {
	s.mu.Lock()
	s.waiting[id] = &exchange{params: params}
	s.mu.Unlock()
}

// done forgets the call with id and returns its result, if the stream
// kept it.
func (s *lineStream) done(id uint64) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.waiting[id]
	delete(s.waiting, id)
	if x == nil || !x.got {
		return nil, false
	}
	return x.result, true
}

// WriteObject writes v as one line, with the params of a call that
// expects them.
func (s *lineStream) WriteObject(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var req struct {
		ID *uint64 `json:"id"`
	}
	if len(b) > 0 && b[len(b)-1] == '}' && json.Unmarshal(b, &req) == nil && req.ID != nil {
		s.mu.Lock()
		x := s.waiting[*req.ID]
		var params []byte
		if x != nil {
			params, x.params = x.params, nil
		}
		s.mu.Unlock()
		if params != nil {
			b = append(append(append(b[:len(b)-1:len(b)-1], `,"params":`...), params...), '}')
		}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err = s.nc.Write(append(b, '\n'))
	return err
}

// ReadObject reads the next line into v, keeping the result of a response
// for its call.
func (s *lineStream) ReadObject(v any) error {
	for {
		line, err := s.r.ReadBytes('\n')
		if err != nil && len(line) == 0 {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue
		}
		if id, result, ok := splitResponse(line); ok {
			s.mu.Lock()
			if x := s.waiting[id]; x != nil {
				x.result, x.got = result, true
			}
			s.mu.Unlock()
			line = []byte(`{"id":` + strconv.FormatUint(id, 10) + `,"result":null,"jsonrpc":"2.0"}`)
		}
		return json.Unmarshal(line, v)
	}
}

// Close closes the connection.
func (s *lineStream) Close() error { return s.nc.Close() }

// splitResponse reads a response as orgd writes one,
// {"id":N,"result":…,"jsonrpc":"2.0"}, without going through the result.
// Whether the result is valid JSON is for its decoding to tell.
func splitResponse(line []byte) (id uint64, result []byte, ok bool) {
	const prefix, key, suffix = `{"id":`, `,"result":`, `,"jsonrpc":"2.0"}`
	rest, found := bytes.CutPrefix(line, []byte(prefix))
	if !found {
		return 0, nil, false
	}
	n := 0
	for n < len(rest) && n < 20 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	id, err := strconv.ParseUint(string(rest[:n]), 10, 64)
	if err != nil {
		return 0, nil, false
	}
	rest, found = bytes.CutPrefix(rest[n:], []byte(key))
	if !found {
		return 0, nil, false
	}
	result, found = bytes.CutSuffix(rest, []byte(suffix))
	if !found || len(result) == 0 {
		return 0, nil, false
	}
	return id, result, true
}
