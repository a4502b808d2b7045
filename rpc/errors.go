package rpc

import (
	"errors"
	"fmt"
)

// Error codes: JSON-RPC 2.0's own, and orgd's in the server range.
const (
	CodeParseError       = -32700 // the line is not JSON; id is null and the connection stays open
	CodeInvalidRequest   = -32600 // not a JSON-RPC 2.0 request object, or a line over the size limit
	CodeMethodNotFound   = -32601
	CodeInvalidParams    = -32602 // data.field names the field
	CodeInternalError    = -32603 // no internals in the message
	CodeServerBusy       = -32000 // too many connections (--max-conns); the connection is closed
	CodeUnauthenticated  = -32001 // missing, malformed, expired or revoked token, or wrong email or password
	CodeForbidden        = -32003 // authenticated but not allowed
	CodeNotFound         = -32004 // no such organization, or not yours
	CodeConflict         = -32009 // name, slug or email taken, or another change under way
	CodeTooManyAttempts  = -32029 // data.retry_after_s
	CodeSuspended        = -32010 // the caller's organization (or the one named) is suspended
	CodeStoreUnavailable = -32050 // MongoDB cannot be reached; the request did nothing
)

// Error is a JSON-RPC error object as orgd sends it.
type Error struct {
	Code    int64      `json:"code"`
	Message string     `json:"message"`
	Data    *ErrorData `json:"data,omitempty"`
}

// ErrorData carries an error's details.
type ErrorData struct {
	// Field names the param at fault (-32602, -32009).
	Field string `json:"field,omitempty"`
	// Reason is a short machine-readable word, e.g. "too_long", "taken".
	Reason string `json:"reason,omitempty"`
	// Existing names the organization that holds a taken name (-32009).
	Existing string `json:"existing,omitempty"`
	// Operator names a query or update operator that is refused, e.g.
	// "$where" (-32602).
	Operator string `json:"operator,omitempty"`
	// RetryAfterS is how many seconds to wait (-32029).
	RetryAfterS int `json:"retry_after_s,omitempty"`
}

func (e *Error) Error() string {
	if e.Data != nil && e.Data.Field != "" {
		return fmt.Sprintf("%s (%s, code %d)", e.Message, e.Data.Field, e.Code)
	}
	return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
}

// ErrorCode returns the JSON-RPC code of err, or 0 when err is not an *Error.
func ErrorCode(err error) int64 {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
