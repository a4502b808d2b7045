package org

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on labels.
const (
	MaxLabels          = 32
	MaxLabelNameBytes  = 63  // the name part of a key, as in Kubernetes
	MaxLabelPrefix     = 253 // the DNS prefix of a key, as in Kubernetes
	MaxLabelValueBytes = 256
)

// ValidateLabels checks an organization's labels: at most MaxLabels, keys
// as Kubernetes label keys (a name of at most 63 characters, letters,
// digits, "-", "_" and "." inside, a letter or digit at each end, with an
// optional DNS subdomain prefix and "/"), values of at most 256 bytes of
// printable UTF-8. The error is EINVALID naming field and, in its message,
// the key at fault.
func ValidateLabels(field string, labels map[string]string) error {
	if len(labels) > MaxLabels {
		return Invalidf(field, "too_many", "%s has %d labels; at most %d are allowed", field, len(labels), MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if err := validateLabelKey(field, k); err != nil {
			return err
		}
		v := labels[k]
		switch {
		case len(v) > MaxLabelValueBytes:
			return Invalidf(field, "value_too_long", "the value of label %q has %d bytes; at most %d are allowed", k, len(v), MaxLabelValueBytes)
		case !utf8.ValidString(v):
			return Invalidf(field, "encoding", "the value of label %q is not valid UTF-8", k)
		case strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			return Invalidf(field, "control_character", "the value of label %q holds a non-printable character", k)
		}
	}
	return nil
}

// validateLabelKey checks one label key.
func validateLabelKey(field, key string) error {
	prefix, name, hasPrefix := strings.Cut(key, "/")
	if !hasPrefix {
		prefix, name = "", key
	}
	switch {
	case key == "":
		return Invalidf(field, "empty_key", "a label key is empty")
	case hasPrefix && (prefix == "" || len(prefix) > MaxLabelPrefix || !dnsSubdomain(prefix)):
		return Invalidf(field, "invalid_key", "label key %q: the prefix before / must be a DNS subdomain like example.com of at most %d characters", key, MaxLabelPrefix)
	case name == "":
		return Invalidf(field, "invalid_key", "label key %q has no name after its prefix", key)
	case len(name) > MaxLabelNameBytes:
		return Invalidf(field, "invalid_key", "label key %q: the name is %d characters; at most %d are allowed", key, len(name), MaxLabelNameBytes)
	case !labelName(name):
		return Invalidf(field, "invalid_key", "label key %q: a name has letters, digits, -, _ and ., with a letter or digit at each end", key)
	}
	return nil
}

// labelName reports whether s is a Kubernetes label name (length checked
// apart).
func labelName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(s)-1 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

// dnsSubdomain reports whether s is lower-case DNS labels joined by dots.
func dnsSubdomain(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || len(part) > 63 {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			if !alnum && (i == 0 || i == len(part)-1 || c != '-') {
				return false
			}
		}
	}
	return true
}

// Selector selects organizations by their labels; every term must hold.
// The zero Selector selects every organization.
type Selector struct {
	terms []selectorTerm
}

type selectorOp int

const (
	opEquals selectorOp = iota
	opNotEquals
	opExists
	opNotExists
)

type selectorTerm struct {
	key, value string
	op         selectorOp
}

// ParseSelector reads a label selector: terms separated by commas, each
// "key=value" (or "key==value"), "key!=value" (also true of an
// organization without the key), "key" (has the label) or "!key" (has
// not). Space around terms, keys and values is ignored. The error is
// EINVALID with Field "selector".
func ParseSelector(text string) (Selector, error) {
	var sel Selector
	if strings.TrimSpace(text) == "" {
		return sel, nil
	}
	for raw := range strings.SplitSeq(text, ",") {
		term := strings.TrimSpace(raw)
		var t selectorTerm
		switch i := strings.IndexAny(term, "=!"); {
		case term == "":
			return Selector{}, Invalidf("selector", "empty_term", "selector %q has an empty term; terms are separated by single commas", text)
		case strings.HasPrefix(term, "!"):
			t = selectorTerm{key: strings.TrimSpace(term[1:]), op: opNotExists}
		case i < 0:
			t = selectorTerm{key: term, op: opExists}
		case strings.HasPrefix(term[i:], "!="):
			t = selectorTerm{key: term[:i], value: term[i+2:], op: opNotEquals}
		case term[i] == '=':
			t = selectorTerm{key: term[:i], value: strings.TrimPrefix(term[i+1:], "="), op: opEquals}
		default:
			return Selector{}, Invalidf("selector", "invalid_term", "selector term %q: write key=value, key!=value, key or !key", term)
		}
		t.key, t.value = strings.TrimSpace(t.key), strings.TrimSpace(t.value)
		if err := validateLabelKey("selector", t.key); err != nil {
			return Selector{}, err
		}
		if len(t.value) > MaxLabelValueBytes {
			return Selector{}, Invalidf("selector", "value_too_long", "selector term %q: a value has at most %d bytes", term, MaxLabelValueBytes)
		}
		sel.terms = append(sel.terms, t)
	}
	return sel, nil
}

// Empty reports whether the selector selects everything.
func (s Selector) Empty() bool { return len(s.terms) == 0 }

// Matches reports whether labels satisfy every term of s.
func (s Selector) Matches(labels map[string]string) bool {
	for _, t := range s.terms {
		v, ok := labels[t.key]
		var holds bool
		switch t.op {
		case opEquals:
			holds = ok && v == t.value
		case opNotEquals:
			holds = !ok || v != t.value
		case opExists:
			holds = ok
		case opNotExists:
			holds = !ok
		}
		if !holds {
			return false
		}
	}
	return true
}

// String writes the selector back in the form ParseSelector reads.
func (s Selector) String() string {
	parts := make([]string, len(s.terms))
	for i, t := range s.terms {
		switch t.op {
		case opEquals:
			// key==value is read as key=value, so a value that begins
			// with "=" is written after "==" to keep it.
			if strings.HasPrefix(t.value, "=") {
				parts[i] = t.key + "==" + t.value
			} else {
				parts[i] = t.key + "=" + t.value
			}
		case opNotEquals:
			parts[i] = t.key + "!=" + t.value
		case opExists:
			parts[i] = t.key
		case opNotExists:
			parts[i] = "!" + t.key
		}
	}
	return strings.Join(parts, ",")
}

// labelsCopy returns a copy of labels, never nil.
func labelsCopy(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels))
	maps.Copy(out, labels)
	return out
}

// formatLabels writes labels as "k=v, k2=v2", sorted by key, for logs and
// the audit trail.
func formatLabels(labels map[string]string) string {
	keys := slices.Sorted(maps.Keys(labels))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%s", k, labels[k])
	}
	return strings.Join(parts, ", ")
}
