package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
)

// lineConn is one client connection that sends a line and reads the line
// that answers it: the same client, doing the same work, for orgd and for
// the echo server it is compared with.
type lineConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialLine(socket string) (*lineConn, error) {
	nc, err := net.Dial("unix", socket)
	if err != nil {
		return nil, err
	}
	return &lineConn{nc: nc, r: bufio.NewReaderSize(nc, 256<<10)}, nil
}

// roundTrip writes req, which ends with a newline, and returns the next
// line read, valid until the next call.
func (c *lineConn) roundTrip(req []byte) ([]byte, error) {
	if _, err := c.nc.Write(req); err != nil {
		return nil, err
	}
	line, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A long answer (a page of organizations): read the rest of it.
		buf := bytes.Clone(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = c.r.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	return line, err
}

func (c *lineConn) Close() error { return c.nc.Close() }

var (
	resultMember = []byte(`"result":`)
	errorMember  = []byte(`"error":{`)
)

// checkReply fails unless line is a JSON-RPC answer with a result. It looks
// for the members instead of decoding the answer, so that the client spends
// about as little as with the echo server.
func checkReply(line []byte) error {
	if bytes.Contains(line, errorMember) || !bytes.Contains(line, resultMember) {
		return fmt.Errorf("orgd answered %.300s", line)
	}
	return nil
}

// dialAll opens n connections to socket.
func dialAll(socket string, n int) ([]*lineConn, error) {
	conns := make([]*lineConn, 0, n)
	for range n {
		c, err := dialLine(socket)
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*lineConn) {
	for _, c := range conns {
		c.Close()
	}
}

// echoServer is the baseline of a round trip: a Unix socket server that
// answers each line with the same line, and does nothing else.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startEcho(socket string) (*echoServer, error) {
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	s := &echoServer{ln: ln, conns: make(map[net.Conn]struct{})}
	s.wg.Go(s.accept)
	return s, nil
}

func (s *echoServer) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer nc.Close()
			r := bufio.NewReaderSize(nc, 64<<10)
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return // the client hung up, or the bench is over
				}
				if _, err := nc.Write(line); err != nil {
					return
				}
			}
		})
	}
}

func (s *echoServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
