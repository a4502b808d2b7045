package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// route is one method: its name and documentation, the types of its params
// and result, and the function that serves it. The same table dispatches
// requests and generates rpc.discover's document, so the two cannot drift.
type route struct {
	name        string
	summary     string
	description string
	params      reflect.Type
	result      reflect.Type
	// auth is set for methods that need params.token.
	auth bool
	// inline is set for methods that answer from memory, waiting on
	// nothing (no store, no bcrypt): they are served on the connection's
	// reading goroutine (see conn.serveInline). They send no
	// notifications.
	inline bool
	// store is set for methods that do store work: they are admitted
	// through the bounded queue (admission.go). Every method that is not
	// served inline does, but for those marked withoutStore.
	store        bool
	withoutStore bool
	// errors are the codes the method may return, besides -32602/-32603.
	errors []int64
	// notifies names the notification the method leads to, if any.
	notifies *notification
	call     func(ctx context.Context, c *call, raw json.RawMessage) (any, error)
	// stats records the method's requests; nil without metrics.
	stats *metrics.Method
}

type notification struct {
	method string
	params reflect.Type
}

// call is one request being served.
type call struct {
	conn *conn
	rpc  *jsonrpc2.Conn
	// after runs once the reply has been written.
	after []func()
}

// handler serves one method with decoded params.
type handler[P, R any] func(ctx context.Context, c *call, p *P) (R, error)

// method builds a route from a typed handler.
func method[P, R any](name, summary string, h handler[P, R]) route {
	return route{
		name:    name,
		summary: summary,
		params:  reflect.TypeFor[P](),
		result:  reflect.TypeFor[R](),
		call: func(ctx context.Context, c *call, raw json.RawMessage) (any, error) {
			var p P
			if err := decodeParams(raw, &p); err != nil {
				return nil, err
			}
			return h(ctx, c, &p)
		},
	}
}

func (r route) withAuth(codes ...int64) route {
	r.auth = true
	r.errors = append(append(r.errors, rpc.CodeUnauthenticated), codes...)
	return r
}

func (r route) withErrors(codes ...int64) route {
	r.errors = append(r.errors, codes...)
	return r
}

func (r route) fromMemory() route {
	r.inline = true
	return r
}

// noStoreWork marks a method that is not served inline but does no store
// work of its own (a login's bcrypt has its own bound): it is not
// admitted through the store queue.
func (r route) noStoreWork() route {
	r.withoutStore = true
	return r
}

func (r route) describedAs(d string) route {
	r.description = d
	return r
}

func (r route) notifying(method string, params reflect.Type) route {
	r.notifies = &notification{method: method, params: params}
	return r
}

// decodeParams decodes a params object into p, refusing unknown fields and
// missing required ones (fields without omitempty; the token is checked
// by authentication instead, which answers -32001).
func decodeParams(raw json.RawMessage, p any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if raw[0] != '{' {
		return &rpc.Error{Code: rpc.CodeInvalidParams, Message: "params must be an object (by name)", Data: &rpc.ErrorData{Reason: "not_an_object"}}
	}
	if err := unmarshalKnown(raw, p); err != nil {
		return paramsError(err)
	}
	for _, f := range requiredFields(reflect.TypeOf(p).Elem()) {
		if reflect.ValueOf(p).Elem().Field(f.index).IsZero() {
			return &rpc.Error{Code: rpc.CodeInvalidParams, Message: f.name + " is required", Data: &rpc.ErrorData{Field: f.name, Reason: "required"}}
		}
	}
	return nil
}

func paramsError(err error) *rpc.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &rpc.Error{Code: rpc.CodeInvalidParams, Message: fmt.Sprintf("%s must be %s, not %s", te.Field, jsonKind(te.Type), te.Value),
			Data: &rpc.ErrorData{Field: te.Field, Reason: "wrong_type"}}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return &rpc.Error{Code: rpc.CodeInvalidParams, Message: fmt.Sprintf("unknown param %q", field), Data: &rpc.ErrorData{Field: field, Reason: "unknown"}}
	}
	return &rpc.Error{Code: rpc.CodeInvalidParams, Message: "params: " + err.Error()}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a " + t.Kind().String()
}

type requiredField struct {
	name  string
	index int
}

var requiredCache sync.Map // reflect.Type → []requiredField

func requiredFields(t reflect.Type) []requiredField {
	if v, ok := requiredCache.Load(t); ok {
		return v.([]requiredField)
	}
	var fs []requiredField
	for i := range t.NumField() {
		name, required := jsonField(t.Field(i))
		if required && name != "token" && name != "-" {
			fs = append(fs, requiredField{name: name, index: i})
		}
	}
	requiredCache.Store(t, fs)
	return fs
}

// jsonField returns a field's JSON name and whether it is required (has no
// omitempty).
func jsonField(f reflect.StructField) (name string, required bool) {
	tag := f.Tag.Get("json")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, !strings.Contains(opts, "omitempty")
}

// serve answers one request, whose params ReadObject kept or the library
// decoded (see lineStream.params).
//
// It is the one place where requests are counted and timed, whichever way
// they came (inline or through the library), whatever their outcome.
func (s *Server) serve(ctx context.Context, c *conn, jc *jsonrpc2.Conn, req *jsonrpc2.Request, params json.RawMessage, perr error) {
	r := s.methods[req.Method]
	stats := s.rec.other
	if r != nil {
		stats = r.stats
	}
	debug := s.log.Enabled(ctx, slog.LevelDebug)
	var start time.Time
	if debug || stats != nil {
		start = time.Now()
	}
	if r == nil || !r.inline {
		// Methods served inline wait on nothing: a deadline would only
		// cost a timer.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	cl := &call{conn: c, rpc: jc}
	var result any
	var encoded json.RawMessage
	err := perr
	if err == nil {
		result, err = s.dispatch(ctx, cl, r, req.Method, params)
	}
	if err == nil && !req.Notif {
		if encoded, err = encodeResult(result); err != nil {
			err = fmt.Errorf("encode result: %w", err)
		}
	}
	var code int64
	var rpcErr *jsonrpc2.Error
	if err != nil {
		rpcErr = s.toRPCError(req.Method, req.ID.String(), err)
		code = rpcErr.Code
	}
	if !req.Notif {
		_ = c.stream.reply(req.ID, encoded, rpcErr)
		for _, f := range cl.after {
			f()
		}
	}
	if stats != nil {
		s.rec.done(req.Method, stats, code, time.Since(start))
	}
	if debug {
		s.log.Debug("request", "method", req.Method, "id", req.ID.String(), "notification", req.Notif,
			"peer", c.peer.Key, "duration", time.Since(start), "code", code)
	}
}

// dispatch calls r, the route of method (nil when orgd serves no such
// method).
func (s *Server) dispatch(ctx context.Context, c *call, r *route, method string, params json.RawMessage) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving a request", "method", method, "panic", p, "stack", string(debug.Stack()))
			result, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	if r == nil {
		return nil, &rpc.Error{Code: rpc.CodeMethodNotFound, Message: fmt.Sprintf("method not found: %q; rpc.discover lists them", method)}
	}
	if !r.store {
		return r.call(ctx, c, params)
	}
	// Store work waits for its turn in the bounded queue, and its failure
	// is answered with what it did: nothing (-32053, -32050) or maybe
	// something (-32052).
	ctx, writes := org.TrackWrites(ctx)
	release, err := s.admission.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	result, err = r.call(ctx, c, params)
	return result, s.svc.Explain(err, writes, s.admission.retryAfter())
}

// toRPCError maps an error to its JSON-RPC code, once, at the edge.
// Internal errors are logged, with their cause and the request's id, and
// reach the client only as "internal error".
func (s *Server) toRPCError(method, id string, err error) *jsonrpc2.Error {
	var re *rpc.Error
	if errors.As(err, &re) {
		return jsonError(re)
	}
	var oe *org.Error
	if !errors.As(err, &oe) {
		oe = nil
	}
	e := &rpc.Error{Message: org.ErrorMessage(err)}
	switch org.ErrorCode(err) {
	case org.EINVALID:
		e.Code = rpc.CodeInvalidParams
		e.Data = &rpc.ErrorData{Field: oe.Field, Reason: oe.Reason, Operator: oe.Operator}
	case org.EUNAUTHENTICATED:
		e.Code = rpc.CodeUnauthenticated
		if oe.Field != "" {
			e.Data = &rpc.ErrorData{Field: oe.Field}
		}
	case org.EFORBIDDEN:
		e.Code = rpc.CodeForbidden
		if oe.Reason != "" {
			e.Data = &rpc.ErrorData{Reason: oe.Reason}
		}
	case org.ENOTFOUND:
		e.Code = rpc.CodeNotFound
		if oe.Field != "" {
			e.Data = &rpc.ErrorData{Field: oe.Field}
		}
	case org.ESUSPENDED:
		e.Code = rpc.CodeSuspended
		e.Data = &rpc.ErrorData{Reason: oe.Reason}
	case org.ECONFLICT:
		e.Code = rpc.CodeConflict
		reason := oe.Reason
		if reason == "" {
			reason = "taken"
		}
		e.Data = &rpc.ErrorData{Field: oe.Field, Reason: reason, Existing: oe.Existing}
	case org.ETHROTTLED:
		e.Code = rpc.CodeTooManyAttempts
		e.Data = &rpc.ErrorData{RetryAfterS: max(1, int((oe.RetryAfter+time.Second-1)/time.Second))}
	case org.EUNAVAILABLE:
		e.Code = rpc.CodeStoreUnavailable
		s.log.Warn("store unavailable", "method", method, "id", id, "error", err)
	case org.EBUSY:
		e.Code = rpc.CodeBusy
		e.Data = &rpc.ErrorData{RetryAfterMS: max(1, int(oe.RetryAfter.Milliseconds()))}
		s.log.Debug("busy: request refused", "method", method, "id", id, "error", err)
	case org.EUNCERTAIN:
		e.Code = rpc.CodeOutcomeUnknown
		e.Data = &rpc.ErrorData{Existing: oe.Existing, State: oe.State}
		s.log.Warn("a change's outcome is unknown: the store stopped answering after it was sent", "method", method, "id", id, "error", err)
	default:
		e.Code = rpc.CodeInternalError
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			e.Message = "the request took longer than --request-timeout"
		case errors.Is(err, context.Canceled):
			e.Message = "the request was cancelled"
		}
		s.log.Error("internal error", "method", method, "id", id, "error", err)
	}
	return jsonError(e)
}

func jsonError(e *rpc.Error) *jsonrpc2.Error {
	je := &jsonrpc2.Error{Code: e.Code, Message: e.Message}
	if e.Data != nil && *e.Data != (rpc.ErrorData{}) {
		je.SetError(e.Data)
	}
	return je
}
