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
	CodeStoreUnavailable = -32050 // the store cannot be reached (its probe fails); the request did nothing
	CodeOutcomeUnknown   = -32052 // the store stopped answering after the change was sent: it may have happened; data.state, data.existing
	CodeBusy             = -32053 // refused before anything was done: the store is saturated; data.retry_after_ms
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
	// RetryAfterMS is how many milliseconds to wait (-32053).
	RetryAfterMS int `json:"retry_after_ms,omitempty"`
	// State is the state of the organization that Existing names, as orgd
	// knows it when a change's outcome is unknown (-32052): orgd finishes
	// or rolls back a change it began, and a read shows which.
	State string `json:"state,omitempty"`
}

func (e *Error) Error() string {
	if e.Data != nil && e.Data.Field != "" {
		return fmt.Sprintf("%s (%s, code %d)", e.Message, e.Data.Field, e.Code)
	}
	return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
}

// MayHaveHappened reports whether err says that a change may have been
// applied although it failed (-32052): read again before retrying.
func MayHaveHappened(err error) bool { return ErrorCode(err) == CodeOutcomeUnknown }

// IsBusy reports whether err is a refusal of a saturated orgd (-32053):
// nothing was done, and the request may be sent again after
// RetryAfter(err).
func IsBusy(err error) bool { return ErrorCode(err) == CodeBusy }

// ErrorCode returns the JSON-RPC code of err, or 0 when err is not an *Error.
func ErrorCode(err error) int64 {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
