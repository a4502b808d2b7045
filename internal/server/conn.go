package server

import (
	"context"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
)

var errTooManyFiles = syscall.EMFILE

// conn is one client connection.
type conn struct {
	srv  *Server
	nc   net.Conn
	peer org.Peer
	// listener records the connection's opening and end; nil records
	// nothing.
	listener *metrics.Listener
	stream   *lineStream
	rpc      *jsonrpc2.Conn
	// ctx is the connection's context, the library's parent: it ends when
	// the connection does.
	ctx    context.Context
	cancel context.CancelFunc

	slots    chan struct{} // bounds the requests served at once
	active   atomic.Int32
	inflight sync.WaitGroup

	mu  sync.Mutex
	sub *subscription
}

func (s *Server) accept(nc net.Conn, listener *metrics.Listener) {
	s.acceptAs(nc, peerOf(nc), listener)
}

// ServeConn serves the JSON-RPC API on nc, a connection made in this
// process (one end of a net.Pipe), for a client that peer names: the SSH
// server's sessions, whose requests go through every check a socket
// client's do. It returns at once; the connection is served until either
// end closes it, and counts towards --max-conns.
func (s *Server) ServeConn(nc net.Conn, peer org.Peer) {
	s.acceptAs(nc, peer, s.rec.inProcess)
}

func (s *Server) acceptAs(nc net.Conn, peer org.Peer, listener *metrics.Listener) {
	c := &conn{srv: s, nc: nc, peer: peer, listener: listener, slots: make(chan struct{}, s.cfg.MaxInflight)}
	st := newLineStream(nc, s.cfg.MaxMessageBytes, s.cfg.IdleTimeout, s.cfg.RequestTimeout)
	st.keepParams = true
	st.busy = func() bool { return c.active.Load() > 0 }
	st.waitIdle = c.inflight.Wait
	st.hungUp = hangupProbe(nc)
	st.onBad = func(code int, reason string) {
		s.rec.other.Count(int64(code))
		s.log.Debug("bad request line", "peer", c.peer.Key, "code", code, "reason", reason)
	}
	st.serveInline = c.serveInline
	c.stream = st

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if len(s.conns) >= s.cfg.MaxConns {
		s.mu.Unlock()
		s.rejectBusy(nc)
		return
	}
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	listener.Opened()

	c.ctx, c.cancel = context.WithCancel(s.base)
	c.rpc = jsonrpc2.NewConn(c.ctx, st, c, jsonrpc2.SetLogger(log.New(io.Discard, "", 0)))
	s.log.Debug("connection opened", "peer", c.peer.Key)
	go c.wait()
}

// wait cleans up after the connection ends.
func (c *conn) wait() {
	<-c.rpc.DisconnectNotify()
	c.cancel()
	c.inflight.Wait()
	c.mu.Lock()
	if c.sub != nil {
		c.sub.close()
		c.sub = nil
	}
	c.mu.Unlock()
	s := c.srv
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.listener.Closed()
	s.connWG.Done()
	s.log.Debug("connection closed", "peer", c.peer.Key)
}

// stopReading makes the connection read no further requests; it closes
// once those in flight are answered.
func (c *conn) stopReading() {
	c.stream.Stop()
}

// Handle implements jsonrpc2.Handler. It serves each request in its own
// goroutine, at most MaxInflight at once per connection: past that it
// blocks, and so does the reading of further requests, which holds back a
// client that sends faster than orgd answers.
func (c *conn) Handle(ctx context.Context, jc *jsonrpc2.Conn, req *jsonrpc2.Request) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	params, err := c.stream.params(req)
	c.active.Add(1)
	c.inflight.Add(1)
	go func() {
		defer func() {
			c.active.Add(-1)
			<-c.slots
			c.inflight.Done()
		}()
		c.srv.serve(ctx, c, jc, req, params, err)
	}()
}

// serveInline answers r on the connection's reading goroutine, before the
// next request is read, when its method answers from memory (route.inline):
// it starts no goroutine, and the library never sees the request. Other
// methods may wait on the store or on bcrypt: those go to the library and
// Handle, one goroutine each.
func (c *conn) serveInline(r plainRequest) bool {
	rt := c.srv.methods[string(r.method[1:len(r.method)-1])]
	if rt == nil || !rt.inline {
		return false
	}
	req, ok := r.request()
	if !ok {
		return false
	}
	c.active.Add(1)
	c.inflight.Add(1)
	defer func() {
		c.active.Add(-1)
		c.inflight.Done()
	}()
	c.srv.serve(c.ctx, c, nil, req, r.params, nil)
	return true
}

// setSubscription replaces the connection's subscription, if any.
func (c *conn) setSubscription(sub *subscription) {
	c.mu.Lock()
	old := c.sub
	c.sub = sub
	c.mu.Unlock()
	if old != nil {
		old.close()
	}
}

func remoteName(nc net.Conn) string {
	if a := nc.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.String()
	}
	return "unix"
}
