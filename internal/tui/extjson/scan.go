// Package extjson reads and writes the MongoDB Extended JSON v2 that orgd's
// data.* methods speak, for the screens that show and edit documents: a
// scanner that splits JSON text into tokens (for colouring, and tolerant of
// broken text), a parser that keeps the order of keys and the text of
// numbers, a relaxed form for people to read and edit that still
// round-trips every BSON type exactly, and short summaries of values.
//
// It has no notion of BSON itself: it rewrites only what it can rewrite
// without losing a type, and leaves every other wrapper as it is.
package extjson

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// TokenKind says what a token is.
type TokenKind int

// Token kinds.
const (
	// Space is a run of blanks and line breaks.
	Space TokenKind = iota
	// Punct is one of { } [ ] , :
	Punct
	// Key is a string that names an object member (it is followed by ':').
	Key
	// WrapperKey is a key that names an Extended JSON type: "$oid",
	// "$date", "$numberLong" and the others.
	WrapperKey
	// String is a string value.
	String
	// WrappedString is a string that is the value of a WrapperKey: the hex
	// of an ObjectId, the digits of a $numberLong, a relaxed date.
	WrappedString
	// Number is a number, as written (never rounded).
	Number
	// Literal is true, false or null.
	Literal
	// Invalid is text that is not JSON: an unterminated string, a stray
	// character or word.
	Invalid
)

// Token is one piece of JSON text.
type Token struct {
	Kind TokenKind
	Text string
}

// wrapperKeys are the keys of Extended JSON v2's type wrappers (with $uuid,
// which relaxed input accepts).
var wrapperKeys = map[string]bool{
	"$oid": true, "$symbol": true, "$numberInt": true, "$numberLong": true, "$numberDouble": true,
	"$numberDecimal": true, "$binary": true, "$code": true, "$scope": true, "$timestamp": true,
	"$regularExpression": true, "$dbPointer": true, "$date": true, "$minKey": true, "$maxKey": true,
	"$undefined": true, "$uuid": true,
}

// IsWrapperKey reports whether key (decoded) names an Extended JSON type
// wrapper.
func IsWrapperKey(key string) bool { return wrapperKeys[key] }

// Tokens splits text into tokens. Joining the tokens' texts gives text
// back, byte for byte, whatever text is: what is not JSON comes out as
// Invalid tokens, and scanning goes on after it.
func Tokens(text string) []Token {
	var out []Token
	wrapped := false // the last key was a wrapper key; its string value is wrapped
	for i := 0; i < len(text); {
		c := text[i]
		var t Token
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			j := i
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r') {
				j++
			}
			t = Token{Space, text[i:j]}
		case strings.IndexByte("{}[],:", c) >= 0:
			t = Token{Punct, text[i : i+1]}
		case c == '"':
			end, ok := stringEnd(text, i)
			t = Token{String, text[i:end]}
			switch {
			case !ok:
				t.Kind = Invalid
			case followedByColon(text, end):
				t.Kind = Key
				if IsWrapperKey(unquote(t.Text)) {
					t.Kind = WrapperKey
				}
			case wrapped:
				t.Kind = WrappedString
			}
		case c == '-' || ('0' <= c && c <= '9'):
			j := i + 1
			for j < len(text) && strings.IndexByte("0123456789.eE+-", text[j]) >= 0 {
				j++
			}
			t = Token{Number, text[i:j]}
			if !validNumber(t.Text) {
				t.Kind = Invalid
			}
		case isLetter(c):
			j := i
			for j < len(text) && isLetter(text[j]) {
				j++
			}
			t = Token{Invalid, text[i:j]}
			if w := t.Text; w == "true" || w == "false" || w == "null" {
				t.Kind = Literal
			}
		default:
			_, n := utf8.DecodeRuneInString(text[i:])
			t = Token{Invalid, text[i : i+n]}
		}
		switch t.Kind {
		case WrapperKey:
			wrapped = true
		case Space:
		case Punct:
			if t.Text != ":" {
				wrapped = false
			}
		default:
			wrapped = false
		}
		out = append(out, t)
		i += len(t.Text)
	}
	return out
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// stringEnd returns the end of the string that starts at text[start] (a
// quote), and whether it is closed. An unclosed string ends at the end of
// its line.
func stringEnd(text string, start int) (int, bool) {
	for j := start + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		case '\n':
			return j, false
		}
	}
	return len(text), false
}

func followedByColon(text string, i int) bool {
	for ; i < len(text); i++ {
		switch text[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// unquote decodes a JSON string literal; a broken one gives "".
func unquote(lit string) string {
	var s string
	if json.Unmarshal([]byte(lit), &s) != nil {
		return ""
	}
	return s
}
