package rpc

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

// ErrUnreachable wraps every failure to connect to orgd.
var ErrUnreachable = errors.New("cannot reach orgd")

// ErrDisconnected is returned by calls whose connection broke before the
// answer came; the next call reconnects.
var ErrDisconnected = errors.New("connection to orgd lost")

// Client calls orgd. Its zero value works: it connects on first use to
// ResolveAddr(""), and reconnects on the next call after a connection
// breaks. It is safe for concurrent use; calls on one Client share one
// connection and may be in flight together.
type Client struct {
	// Addr is the daemon's address (see ParseAddr); empty means
	// ResolveAddr("").
	Addr string
	// TLSConfig is used for tls:// addresses; nil means the system's roots.
	TLSConfig *tls.Config
	// DialTimeout bounds connecting; 5 s when zero.
	DialTimeout time.Duration
	// Dialer, when set, opens the client's connections instead of
	// dialling Addr, which then only names them: orgd's SSH server gives
	// each session an in-process connection this way.
	Dialer func(ctx context.Context) (net.Conn, error)

	mu     sync.Mutex
	conn   *jsonrpc2.Conn
	stream *lineStream
	subs   []chan OrgEvent
	seq    atomic.Uint64 // request ids
}

// Dial connects to orgd at addr (empty: ResolveAddr("")).
func Dial(ctx context.Context, addr string) (*Client, error) {
	c := &Client{Addr: addr}
	if _, _, err := c.connection(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Address returns the address the client uses; with a Dialer, Addr as it
// is, which only names the connections.
func (c *Client) Address() string {
	if c.Dialer != nil && c.Addr != "" {
		return c.Addr
	}
	return ResolveAddr(c.Addr)
}

func (c *Client) connection(ctx context.Context) (*jsonrpc2.Conn, *lineStream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		select {
		case <-c.conn.DisconnectNotify():
			c.conn = nil
		default:
			return c.conn, c.stream, nil
		}
	}
	nc, err := c.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	stream := newLineStream(nc)
	conn := newConn(c, stream)
	c.conn, c.stream = conn, stream
	go func() {
		<-conn.DisconnectNotify()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.conn == conn {
			c.conn = nil
			for _, ch := range c.subs {
				close(ch)
			}
			c.subs = nil
		}
	}()
	return conn, stream, nil
}

// newConn starts the library's connection over stream.
func newConn(c *Client, stream *lineStream) *jsonrpc2.Conn {
	return jsonrpc2.NewConn(context.Background(), stream, clientHandler{c}, jsonrpc2.SetLogger(log.New(io.Discard, "", 0)))
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	if c.Dialer != nil {
		nc, err := c.Dialer(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return nc, nil
	}
	a, err := ParseAddr(c.Address())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	timeout := c.DialTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	var nc net.Conn
	if a.TLS {
		cfg := c.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		nc, err = (&tls.Dialer{NetDialer: &d, Config: cfg}).DialContext(ctx, a.Network, a.Address)
	} else {
		nc, err = d.DialContext(ctx, a.Network, a.Address)
	}
	if err != nil && a.Network == "unix" && errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("%w at %s: %w (the socket is open to its group only: "+
			"for a packaged orgd, add this user to group orgd and log in again)", ErrUnreachable, a, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, a, err)
	}
	return nc, nil
}

// Close closes the connection, if any. The client may be used again.
func (c *Client) Close() error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return nil
	}
	err := conn.Close()
	if errors.Is(err, jsonrpc2.ErrClosed) {
		return nil
	}
	return err
}

// Call calls method with params and decodes the result into result (which
// may be nil). A JSON-RPC error comes back as *Error; a failure to connect
// wraps ErrUnreachable; a connection lost mid-call wraps ErrDisconnected.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	conn, stream, err := c.connection(ctx)
	if err != nil {
		return err
	}
	// The stream carries params and result past the library's own
	// encoding and decoding (see lineStream).
	var text []byte
	if params != nil {
		if text, err = json.Marshal(params); err != nil {
			return fmt.Errorf("%s: encode params: %w", method, err)
		}
	}
	id := c.seq.Add(1)
	stream.expect(id, text)
	var raw json.RawMessage
	err = conn.Call(ctx, method, nil, &raw, jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
	if kept, ok := stream.done(id); ok {
		raw = kept
	}
	var je *jsonrpc2.Error
	switch {
	case err == nil:
		if result != nil {
			if err := json.Unmarshal(raw, result); err != nil {
				return fmt.Errorf("%s: decode result: %w", method, err)
			}
		}
		return nil
	case errors.As(err, &je):
		e := &Error{Code: je.Code, Message: je.Message}
		if je.Data != nil {
			var d ErrorData
			if json.Unmarshal(*je.Data, &d) == nil {
				e.Data = &d
			}
		}
		return e
	case errors.Is(err, jsonrpc2.ErrClosed), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: %w", method, ErrDisconnected)
	}
	return fmt.Errorf("%s: %w", method, err)
}

// Login calls auth.login.
func (c *Client) Login(ctx context.Context, email, password string) (*Session, error) {
	var s Session
	return &s, c.Call(ctx, MethodAuthLogin, LoginParams{Email: email, Password: password}, &s)
}

// Bootstrap calls auth.bootstrap, which creates the first operator.
func (c *Client) Bootstrap(ctx context.Context, email, password string) (*Session, error) {
	var s Session
	return &s, c.Call(ctx, MethodAuthBootstrap, LoginParams{Email: email, Password: password}, &s)
}

// Whoami calls auth.whoami.
func (c *Client) Whoami(ctx context.Context, token string) (*Whoami, error) {
	var w Whoami
	return &w, c.Call(ctx, MethodAuthWhoami, TokenParams{Token: token}, &w)
}

// CreateOrg calls org.create.
func (c *Client) CreateOrg(ctx context.Context, p OrgCreateParams) (*Organization, error) {
	var o Organization
	return &o, c.Call(ctx, MethodOrgCreate, p, &o)
}

// GetOrg calls org.get.
func (c *Client) GetOrg(ctx context.Context, token, name string) (*Organization, error) {
	var o Organization
	return &o, c.Call(ctx, MethodOrgGet, OrgNameParams{Token: token, Name: name}, &o)
}

// ListOrgs calls org.list.
func (c *Client) ListOrgs(ctx context.Context, p OrgListParams) (*OrgList, error) {
	var l OrgList
	return &l, c.Call(ctx, MethodOrgList, p, &l)
}

// UpdateOrg calls org.update.
func (c *Client) UpdateOrg(ctx context.Context, p OrgUpdateParams) (*Organization, error) {
	var o Organization
	return &o, c.Call(ctx, MethodOrgUpdate, p, &o)
}

// DeleteOrg calls org.delete, confirming with the name itself.
func (c *Client) DeleteOrg(ctx context.Context, token, name string) error {
	return c.Call(ctx, MethodOrgDelete, OrgDeleteParams{Token: token, Name: name, Confirm: name}, nil)
}

// OrgStats calls org.stats.
func (c *Client) OrgStats(ctx context.Context, token, name string) (*OrgStats, error) {
	var s OrgStats
	return &s, c.Call(ctx, MethodOrgStats, OrgNameParams{Token: token, Name: name}, &s)
}

// Health calls system.health.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	return &h, c.Call(ctx, MethodSystemHealth, nil, &h)
}

// Discover calls rpc.discover.
func (c *Client) Discover(ctx context.Context) (*Document, error) {
	var d Document
	return &d, c.Call(ctx, MethodRPCDiscover, nil, &d)
}

// Subscribe calls org.subscribe and returns the events that follow. The
// channel is closed when the connection ends, or when the subscriber falls
// so far behind that orgd or the client drops it; subscribe again then (and
// reload, since events may have been missed).
func (c *Client) Subscribe(ctx context.Context, token string) (<-chan OrgEvent, error) {
	conn, _, err := c.connection(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan OrgEvent, 256)
	c.mu.Lock()
	if c.conn != conn { // lost already
		c.mu.Unlock()
		return nil, ErrDisconnected
	}
	c.subs = append(c.subs, ch)
	c.mu.Unlock()
	if err := c.Call(ctx, MethodOrgSubscribe, TokenParams{Token: token}, nil); err != nil {
		c.dropSub(ch)
		return nil, err
	}
	return ch, nil
}

func (c *Client) dropSub(ch chan OrgEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.subs {
		if s == ch {
			c.subs = append(c.subs[:i], c.subs[i+1:]...)
			close(ch)
			return
		}
	}
}

// clientHandler receives what orgd sends unasked: org.event notifications.
type clientHandler struct{ c *Client }

func (h clientHandler) Handle(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Method != NotificationOrgEvent || req.Params == nil {
		return
	}
	var ev OrgEvent
	if err := json.Unmarshal(*req.Params, &ev); err != nil {
		return
	}
	// Sends happen under the lock that closing takes too, so a channel is
	// never sent to after it is closed.
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	kept := h.c.subs[:0]
	for _, ch := range h.c.subs {
		select {
		case ch <- ev:
			kept = append(kept, ch)
		default:
			close(ch) // too far behind: it must resubscribe and reload
		}
	}
	h.c.subs = kept
}

// InsertDocuments calls data.insert.
func (c *Client) InsertDocuments(ctx context.Context, p DataInsertParams) (*DataInserted, error) {
	var r DataInserted
	return &r, c.Call(ctx, MethodDataInsert, p, &r)
}

// FindDocuments calls data.find: one page of documents; pass NextCursor
// as Cursor for the next.
func (c *Client) FindDocuments(ctx context.Context, p DataFindParams) (*DataFound, error) {
	var r DataFound
	return &r, c.Call(ctx, MethodDataFind, p, &r)
}

// CountDocuments calls data.count.
func (c *Client) CountDocuments(ctx context.Context, p DataCountParams) (*DataCount, error) {
	var r DataCount
	return &r, c.Call(ctx, MethodDataCount, p, &r)
}

// UpdateDocuments calls data.update.
func (c *Client) UpdateDocuments(ctx context.Context, p DataUpdateParams) (*DataUpdated, error) {
	var r DataUpdated
	return &r, c.Call(ctx, MethodDataUpdate, p, &r)
}

// DeleteDocuments calls data.delete.
func (c *Client) DeleteDocuments(ctx context.Context, p DataDeleteParams) (*DataDeleted, error) {
	var r DataDeleted
	return &r, c.Call(ctx, MethodDataDelete, p, &r)
}

// ListIndexes calls data.indexes.list.
func (c *Client) ListIndexes(ctx context.Context, p DataIndexesParams) (*DataIndexes, error) {
	var r DataIndexes
	return &r, c.Call(ctx, MethodDataIndexesList, p, &r)
}

// CreateIndex calls data.indexes.create.
func (c *Client) CreateIndex(ctx context.Context, p DataIndexCreateParams) (*DataIndexCreated, error) {
	var r DataIndexCreated
	return &r, c.Call(ctx, MethodDataIndexesCreate, p, &r)
}

// DropIndex calls data.indexes.drop.
func (c *Client) DropIndex(ctx context.Context, p DataIndexDropParams) (*DataIndexDropped, error) {
	var r DataIndexDropped
	return &r, c.Call(ctx, MethodDataIndexesDrop, p, &r)
}
