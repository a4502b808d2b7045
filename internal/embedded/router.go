package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The store's socket serves every database, tenant databases included,
// although each of those has an engine of its own (see tenants.go): a
// router reads each message of the MongoDB wire protocol a client sends,
// and passes it to the engine of the database the message names, over a
// connection of that client's own to that engine; the reply comes back
// the same way. So orgd's driver, orgd check, mongodump and the tests see
// one MongoDB, as before, and the router knows when a tenant database is
// no longer used: a connection to its engine that carried nothing for
// the idle time is closed, and an engine without connections stops.
//
// Messages are OP_MSG, which names its database in $db, or the legacy
// OP_QUERY of a driver's first handshake, which names it in the
// collection's namespace. renameCollection is sent to admin and names its
// database in its argument; listDatabases, also sent to admin, is answered
// by the main engine with the tenant databases added.

// Wire protocol opcodes and OP_MSG flags.
const (
	opQuery = 2004
	opMsg   = 2013

	msgChecksumPresent = 1 << 0
	msgMoreToCome      = 1 << 1
)

// maxWireMessage bounds a message: MongoDB's own limit is 48,000,000
// bytes.
const maxWireMessage = 64 << 20

// router serves the store's socket.
type router struct {
	ln      net.Listener
	main    string // the main engine's socket
	tenants *tenantEngines
	idle    time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	conns  map[*routedConn]struct{}
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}
}

// routedConn is a client's connection, and its connections to the
// engines it has used.
type routedConn struct {
	client net.Conn
	mu     sync.Mutex // held for a whole round trip, and by the sweeper
	ups    map[string]*upstream
}

// upstream is a connection to one engine ("" for the main one).
type upstream struct {
	conn    net.Conn
	release func()
	used    time.Time
}

func newRouter(ln net.Listener, main string, tenants *tenantEngines, idle time.Duration, log *slog.Logger) *router {
	r := &router{ln: ln, main: main, tenants: tenants, idle: idle, log: log,
		conns: make(map[*routedConn]struct{}), stop: make(chan struct{})}
	r.wg.Add(2)
	go func() { defer r.wg.Done(); r.serve() }()
	go func() { defer r.wg.Done(); r.sweep() }()
	return r
}

func (r *router) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		rc := &routedConn{client: c, ups: make(map[string]*upstream)}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			c.Close()
			return
		}
		r.conns[rc] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go func() {
			defer r.wg.Done()
			r.handle(rc)
		}()
	}
}

// handle passes the client's messages on until either side closes.
func (r *router) handle(rc *routedConn) {
	defer func() {
		rc.client.Close()
		rc.mu.Lock()
		for name, up := range rc.ups {
			rc.drop(name, up)
		}
		rc.mu.Unlock()
		r.mu.Lock()
		delete(r.conns, rc)
		r.mu.Unlock()
	}()
	for {
		msg, err := readMessage(rc.client)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				r.log.Debug("store connection ended", "error", err)
			}
			return
		}
		if err := r.roundTrip(rc, msg); err != nil {
			r.log.Warn("store connection ended", "error", err)
			return
		}
	}
}

// roundTrip passes one message to its engine and the reply back.
func (r *router) roundTrip(rc *routedConn, msg []byte) error {
	database, command := route(msg)
	target := ""
	if r.tenants.tenant(database) {
		target = database
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	up, err := r.upstream(rc, target)
	if err != nil {
		return err
	}
	if _, err := up.conn.Write(msg); err != nil {
		rc.drop(target, up)
		return fmt.Errorf("to the engine of %q: %w", target, err)
	}
	up.used = time.Now()
	if moreToCome(msg) {
		// An unacknowledged write, which the client reads no reply to; the
		// engine (FerretDB v1) answers it all the same, so the reply is
		// read here and dropped, or it would pass for the next one.
		if _, err := readMessage(up.conn); err != nil {
			rc.drop(target, up)
			return fmt.Errorf("from the engine of %q: %w", target, err)
		}
		return nil
	}
	for {
		reply, err := readMessage(up.conn)
		if err != nil {
			rc.drop(target, up)
			return fmt.Errorf("from the engine of %q: %w", target, err)
		}
		if command == "listdatabases" && target == "" {
			reply = r.addTenantDatabases(msg, reply)
		}
		if _, err := rc.client.Write(reply); err != nil {
			return err
		}
		up.used = time.Now()
		if !moreToCome(reply) {
			return nil
		}
	}
}

// upstream returns rc's connection to the engine of target, connecting
// (and starting a tenant database's engine) when there is none.
func (r *router) upstream(rc *routedConn, target string) (*upstream, error) {
	if up := rc.ups[target]; up != nil {
		return up, nil
	}
	socket, release := r.main, func() {}
	if target != "" {
		var err error
		if socket, release, err = r.tenants.acquire(context.Background(), target); err != nil {
			return nil, err
		}
	}
	conn, err := net.Dial("unix", socket)
	if err != nil {
		release()
		return nil, fmt.Errorf("connect to the engine of %q: %w", target, err)
	}
	up := &upstream{conn: conn, release: release, used: time.Now()}
	rc.ups[target] = up
	return up, nil
}

// drop closes rc's connection to an engine; the caller holds rc.mu.
func (rc *routedConn) drop(target string, up *upstream) {
	up.conn.Close()
	up.release()
	delete(rc.ups, target)
}

// sweep closes the connections to tenant databases' engines that carried
// nothing for the idle time, until the router closes.
func (r *router) sweep() {
	every := min(max(r.idle/4, 50*time.Millisecond), 15*time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		r.mu.Lock()
		conns := make([]*routedConn, 0, len(r.conns))
		for rc := range r.conns {
			conns = append(conns, rc)
		}
		r.mu.Unlock()
		for _, rc := range conns {
			if !rc.mu.TryLock() {
				continue // a round trip is under way: not idle
			}
			for target, up := range rc.ups {
				if target != "" && time.Since(up.used) >= r.idle {
					rc.drop(target, up)
				}
			}
			rc.mu.Unlock()
		}
	}
}

// close stops accepting, ends every connection and waits for them.
func (r *router) close() {
	r.mu.Lock()
	r.closed = true
	for rc := range r.conns {
		rc.client.Close()
	}
	r.mu.Unlock()
	close(r.stop)
	r.ln.Close()
	r.wg.Wait()
}

// readMessage reads one wire protocol message.
func readMessage(c io.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(head[:])
	if n < 16 || n > maxWireMessage {
		return nil, fmt.Errorf("a message of %d bytes", n)
	}
	msg := make([]byte, n)
	copy(msg, head[:])
	if _, err := io.ReadFull(c, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

func opcode(msg []byte) uint32 { return binary.LittleEndian.Uint32(msg[12:]) }

func moreToCome(msg []byte) bool {
	return opcode(msg) == opMsg && len(msg) >= 20 && binary.LittleEndian.Uint32(msg[16:])&msgMoreToCome != 0
}

// route returns the database a message is for, and its command's name in
// lower case ("" when it has none).
func route(msg []byte) (database, command string) {
	switch opcode(msg) {
	case opMsg:
		body := msgBody(msg)
		if body == nil {
			return "", ""
		}
		database, _ = body.Lookup("$db").StringValueOK()
		if first, err := body.IndexErr(0); err == nil {
			command = strings.ToLower(first.Key())
			if command == "renamecollection" {
				if ns, ok := first.Value().StringValueOK(); ok {
					database, _, _ = strings.Cut(ns, ".")
				}
			}
		}
		return database, command
	case opQuery:
		if len(msg) > 20 {
			ns := msg[20:]
			if end := bytes.IndexByte(ns, 0); end >= 0 {
				database, _, _ = strings.Cut(string(ns[:end]), ".")
			}
		}
	}
	return database, ""
}

// msgBody returns the body section of an OP_MSG, or nil.
func msgBody(msg []byte) bson.Raw {
	end := len(msg)
	if len(msg) < 21 {
		return nil
	}
	if binary.LittleEndian.Uint32(msg[16:])&msgChecksumPresent != 0 {
		end -= 4
	}
	for i := 20; i < end; {
		kind := msg[i]
		i++
		if i+4 > end {
			return nil
		}
		n := int(binary.LittleEndian.Uint32(msg[i:]))
		if n < 5 || i+n > end {
			return nil
		}
		if kind == 0 {
			return bson.Raw(msg[i : i+n])
		}
		i += n
	}
	return nil
}

// addTenantDatabases adds the tenant databases to the main engine's reply
// to listDatabases (request), as the main engine would list its own; a
// reply it cannot read is passed on as it is.
func (r *router) addTenantDatabases(request, reply []byte) []byte {
	if r.tenants == nil || opcode(reply) != opMsg {
		return reply
	}
	body := msgBody(reply)
	req := msgBody(request)
	if body == nil || req == nil {
		return reply
	}
	var res bson.D
	if err := bson.Unmarshal(body, &res); err != nil {
		return reply
	}
	nameOnly, _ := req.Lookup("nameOnly").BooleanOK()
	filterName, filtered := "", false
	if f, ok := req.Lookup("filter").DocumentOK(); ok {
		if elems, _ := f.Elements(); len(elems) > 0 {
			filtered = true
			// The one filter orgd sends others: a name.
			if n, ok := f.Lookup("name").StringValueOK(); ok && len(elems) == 1 {
				filterName = n
			}
		}
	}
	tenants, err := r.tenants.list()
	if err != nil {
		r.log.Warn("list the tenant databases", "error", err)
		return reply
	}
	var total int64
	for i, e := range res {
		switch e.Key {
		case "databases":
			list, _ := e.Value.(bson.A)
			for _, t := range tenants {
				if filtered && t.name != filterName {
					continue
				}
				if nameOnly {
					list = append(list, bson.D{{Key: "name", Value: t.name}})
				} else {
					list = append(list, bson.D{{Key: "name", Value: t.name}, {Key: "sizeOnDisk", Value: t.size}, {Key: "empty", Value: t.size == 0}})
					total += t.size
				}
			}
			res[i].Value = list
		}
	}
	for i, e := range res {
		if e.Key != "totalSize" && e.Key != "totalSizeMb" {
			continue
		}
		add := total
		if e.Key == "totalSizeMb" {
			add = total >> 20
		}
		switch v := e.Value.(type) {
		case int64:
			res[i].Value = v + add
		case int32:
			res[i].Value = int64(v) + add
		case float64:
			res[i].Value = v + float64(add)
		}
	}
	doc, err := bson.Marshal(res)
	if err != nil {
		return reply
	}
	out := make([]byte, 16, 16+4+1+len(doc))
	copy(out, reply[:16])
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = append(out, 0)
	out = append(out, doc...)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out
}
