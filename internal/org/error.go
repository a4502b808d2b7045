package org

import (
	"errors"
	"fmt"
	"time"
)

// Error codes of the domain. Transports map each to their own (JSON-RPC codes
// in internal/server); EINTERNAL errors reach users only as "internal error".
const (
	EINVALID         = "invalid"         // bad input; Field names it
	EUNAUTHENTICATED = "unauthenticated" // no, bad, expired or revoked token; wrong email or password
	EFORBIDDEN       = "forbidden"       // authenticated, but not allowed
	ENOTFOUND        = "not_found"       // no such thing, or not visible to the caller
	ECONFLICT        = "conflict"        // a name, slug or email is taken, or a change is under way
	ETHROTTLED       = "throttled"       // too many failed logins; RetryAfter says how long to wait
	ESUSPENDED       = "suspended"       // the caller's organization, or the one named, is suspended
	EUNAVAILABLE     = "unavailable"     // the store cannot be reached; the request did nothing
	EBUSY            = "busy"            // refused before anything was done: the store is saturated; RetryAfter says when to retry
	EUNCERTAIN       = "uncertain"       // the store stopped answering after the change was sent: it may have happened
	EINTERNAL        = "internal"        // a bug or an unexpected store answer
)

// Error is an error a caller can act on. Message is written for people and
// never holds a password, a hash or a token.
type Error struct {
	Code    string
	Message string

	// Field names the input at fault, for EINVALID and ECONFLICT.
	Field string
	// Reason is a short machine-readable word for EINVALID, e.g. "too_long".
	Reason string
	// Existing names the organization that holds a taken name (ECONFLICT).
	Existing string
	// Operator names a query or update operator that is refused (EINVALID),
	// e.g. "$where".
	Operator string
	// RetryAfter is set for ETHROTTLED and EBUSY.
	RetryAfter time.Duration
	// State is the organization's state as orgd knows it, for
	// EUNCERTAIN (Existing then names the organization).
	State string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID error naming field.
func Invalidf(field, reason, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err when it is (or wraps) an *Error, and
// EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err when it is (or wraps) an *Error,
// and "internal error" for anything else, so internals never reach users.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrUnavailable marks store errors that mean the store cannot be reached.
// Stores wrap it; the service and transports test for it with errors.Is.
var ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: "the store cannot be reached; the request did nothing"}

// ErrStoreTimeout marks store errors that mean the store did not answer in
// time: it may be slow rather than down, and a write may have reached it.
// Service.Explain turns it into the answer that says which.
var ErrStoreTimeout = errors.New("the store did not answer in time")

// errNotFound is what callers get for anything they may not see.
func errNotFound(name string) *Error {
	return Errorf(ENOTFOUND, "no organization named %q", name)
}

var errBadCredentials = Errorf(EUNAUTHENTICATED, "wrong email or password")

// errSuspended is what the members of a suspended organization get, and
// what changes to it get.
func errSuspended(o Organization) *Error {
	msg := fmt.Sprintf("organization %q is suspended", o.Name)
	if o.SuspendReason != "" {
		msg += ": " + o.SuspendReason
	}
	return &Error{Code: ESUSPENDED, Reason: "suspended", Message: msg + "; an operator can resume it"}
}
