package server

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// One pass over a request line. jsonrpc2 reads a line three times
// (anyMessage's type check, then Request.UnmarshalJSON into a map, then a
// re-encoding of the params), and checkRequest reads it twice more to
// answer what the library would choke on. For a plain request, which is
// nearly every one, scanRequest does the checking in one pass, the library
// is handed an envelope of the id and the method only, and the params go
// straight to the method (see lineStream.ReadObject and conn.Handle).
// Anything else takes the slow way, which answers the same.

// plainRequest is a request line as scanRequest reads it: slices of the
// line, raw JSON.
type plainRequest struct {
	id     []byte // a string or an integer from 0 to 2^63-1; nil for a notification
	method []byte // a non-empty string of printable ASCII
	params []byte // nil when absent
}

// scanRequest reads line in one pass when it is a plain JSON-RPC 2.0
// request: a JSON object whose members are jsonrpc ("2.0"), method (a
// non-empty string of printable ASCII), id (a string without escapes, or an
// integer from 0 to 2^63-1; may be absent) and params (any value; may be
// absent), each at most once, with names spelled without escapes. ok is
// false for any other line, valid or not: checkRequest and the library
// judge those.
func scanRequest(line []byte) (r plainRequest, ok bool) {
	if len(line) == 0 || line[0] != '{' || !json.Valid(line) {
		return r, false
	}
	var seenVersion bool
	i := skipSpace(line, 1)
	if line[i] == '}' {
		return r, false
	}
	for {
		// A member name: valid JSON, so a string follows.
		end := stringEnd(line, i)
		name := line[i+1 : end-1]
		i = skipSpace(line, end)
		i = skipSpace(line, i+1) // ':'
		vend := valueEnd(line, i)
		value := line[i:vend]
		switch string(name) {
		case "jsonrpc":
			if seenVersion || string(value) != `"2.0"` {
				return r, false
			}
			seenVersion = true
		case "method":
			if r.method != nil || !plainString(value) || len(value) == 2 || !printableASCII(value) {
				return r, false
			}
			r.method = value
		case "id":
			if r.id != nil || !(plainString(value) || plainID(value)) {
				return r, false
			}
			r.id = value
		case "params":
			if r.params != nil {
				return r, false
			}
			r.params = value
		default:
			return r, false // another member, or a name with escapes
		}
		i = skipSpace(line, vend)
		if line[i] == '}' {
			break
		}
		i = skipSpace(line, i+1) // ','
	}
	return r, seenVersion && r.method != nil
}

// envelope is what the library is handed for r: the id, the method, and
// in meta the number that pairs the request with the params the stream
// kept for it.
func (r plainRequest) envelope(buf []byte, seq uint64) []byte {
	buf = append(buf, '{')
	if r.id != nil {
		buf = append(buf, `"id":`...)
		buf = append(buf, r.id...)
		buf = append(buf, ',')
	}
	buf = append(buf, `"method":`...)
	buf = append(buf, r.method...)
	buf = append(buf, `,"meta":`...)
	buf = strconv.AppendUint(buf, seq, 10)
	return append(buf, '}')
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at b[i] (a
// quote), in valid JSON.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index after the value that starts at b[i], in valid
// JSON.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	// A number, true, false or null.
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return len(b)
}

// plainString reports whether v is a JSON string without escapes.
func plainString(v []byte) bool {
	return len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v[1:len(v)-1], '\\') < 0
}

func printableASCII(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// plainID reports whether v is an integer from 0 to 2^63-1, the numbers
// validID accepts.
func plainID(v []byte) bool {
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(string(v), 10, 64)
	return len(v) > 0 && err == nil
}
