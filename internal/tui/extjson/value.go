package extjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Kind is the JSON type of a Value.
type Kind int

// Kinds of values.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindObject
	KindArray
)

// Value is a parsed JSON value that keeps what encoding/json would lose:
// the order of an object's keys and the exact text of numbers and strings.
type Value struct {
	Kind Kind
	// Raw is the literal of a null, boolean, number or string exactly as it was
	// written: a number's digits, a string with its quotes and escapes.
	Raw string
	// Members are an object's members, in order.
	Members []Member
	// Items are an array's items.
	Items []*Value
}

// Member is one key and value of an object.
type Member struct {
	// Key is the key, decoded.
	Key string
	// Value is the member's value.
	Value *Value
}

// SyntaxError says where JSON text is broken, in the terms of an editor.
type SyntaxError struct {
	Line, Column int // 1-based; Column counts characters
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Parse parses one JSON value. Broken text gives a *SyntaxError.
func Parse(text []byte) (*Value, error) {
	// encoding/json validates (and says what is wrong where); the parser
	// below then reads text known to be valid.
	var raw json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(text, int(se.Offset))
			return nil, &SyntaxError{Line: line, Column: col, Msg: strings.TrimPrefix(se.Error(), "json: ")}
		}
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	p := parser{toks: Tokens(string(text))}
	return p.value(), nil
}

// ParseObject parses a JSON object, as documents and filters must be.
func ParseObject(text []byte) (*Value, error) {
	v, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if v.Kind != KindObject {
		return nil, errors.New("not a JSON object: it must start with { and end with }")
	}
	return v, nil
}

// position turns a byte offset just past the error into a line and
// column.
func position(text []byte, offset int) (line, col int) {
	offset = max(0, min(offset, len(text)))
	before := text[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	col = len([]rune(string(before[start:])))
	return line, max(1, col)
}

type parser struct {
	toks []Token
	i    int
}

// next returns the next token that is not space.
func (p *parser) next() Token {
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		p.i++
		if t.Kind != Space {
			return t
		}
	}
	return Token{Kind: Invalid}
}

func (p *parser) peek() Token {
	i := p.i
	t := p.next()
	p.i = i
	return t
}

func (p *parser) value() *Value {
	t := p.next()
	switch t.Kind {
	case String, WrappedString:
		return &Value{Kind: KindString, Raw: t.Text}
	case Number:
		return &Value{Kind: KindNumber, Raw: t.Text}
	case Literal:
		if t.Text == "null" {
			return &Value{Kind: KindNull, Raw: t.Text}
		}
		return &Value{Kind: KindBool, Raw: t.Text}
	}
	switch t.Text {
	case "{":
		v := &Value{Kind: KindObject}
		if p.peek().Text == "}" {
			p.next()
			return v
		}
		for {
			k := p.next()
			p.next() // :
			v.Members = append(v.Members, Member{Key: unquote(k.Text), Value: p.value()})
			if p.next().Text != "," {
				return v
			}
		}
	case "[":
		v := &Value{Kind: KindArray}
		if p.peek().Text == "]" {
			p.next()
			return v
		}
		for {
			v.Items = append(v.Items, p.value())
			if p.next().Text != "," {
				return v
			}
		}
	}
	return &Value{Kind: KindNull, Raw: "null"} // not reached on valid text
}

// Get returns the value of member key of an object, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != KindObject {
		return nil
	}
	for _, m := range v.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// Text returns the decoded text of a string, or "".
func (v *Value) Text() string {
	if v == nil || v.Kind != KindString {
		return ""
	}
	return unquote(v.Raw)
}

// Wrapper returns the Extended JSON type key of an object that is a type
// wrapper ("$oid" for {"$oid": "…"}), or "".
func (v *Value) Wrapper() string {
	if v == nil || v.Kind != KindObject || len(v.Members) == 0 || !IsWrapperKey(v.Members[0].Key) {
		return ""
	}
	return v.Members[0].Key
}

// Compact writes v on one line without spaces ("" for nil). Strings are written afresh
// from their decoded text, so two spellings of one string ("é" and
// "\u00e9") come out the same.
func (v *Value) Compact() string {
	if v == nil {
		return ""
	}
	var b strings.Builder
	v.write(&b, "", "", false)
	return b.String()
}

// Indent writes v over several lines, indenting each level by two spaces.
// Extended JSON wrappers such as {"$oid": "…"} stay on one line, as do
// empty objects and arrays.
func (v *Value) Indent() string {
	if v == nil {
		return ""
	}
	var b strings.Builder
	v.write(&b, "\n", "  ", false)
	return b.String()
}

// write writes v; nl is the line break and prefix ("" for compact), ind
// one level of indentation, inline whether v is inside a wrapper (written
// on one line with spaces).
func (v *Value) write(b *strings.Builder, nl, ind string, inline bool) {
	sep, colon := ",", ":"
	if nl != "" || inline {
		colon = ": "
	}
	if nl != "" && !inline && v.Wrapper() != "" {
		inline = true
	}
	if inline {
		sep = ", "
	}
	switch v.Kind {
	case KindString:
		b.WriteString(quote(unquote(v.Raw)))
	case KindObject:
		if len(v.Members) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, m := range v.Members {
			if i > 0 {
				b.WriteString(sep)
			}
			if !inline {
				b.WriteString(nl + ind)
			}
			b.WriteString(quote(m.Key) + colon)
			m.Value.write(b, nl+ind, ind, inline)
		}
		if !inline {
			b.WriteString(nl)
		}
		b.WriteByte('}')
	case KindArray:
		if len(v.Items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, item := range v.Items {
			if i > 0 {
				b.WriteString(sep)
			}
			if !inline {
				b.WriteString(nl + ind)
			}
			item.write(b, nl+ind, ind, inline)
		}
		if !inline {
			b.WriteString(nl)
		}
		b.WriteByte(']')
	default:
		b.WriteString(v.Raw)
	}
}

// quote writes s as a JSON string, leaving <, > and & as they are.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
