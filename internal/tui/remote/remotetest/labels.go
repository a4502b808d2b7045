package remotetest

import (
	"fmt"
	"strings"

	"github.com/orgd/orgd/rpc"
)

// checkLabels refuses labels as orgd does (SPEC §8): at most 32, keys as
// Kubernetes label keys (a name of letters, digits, -, _ and ., at most 63
// characters, starting and ending with a letter or digit, after an
// optional DNS prefix and /), values of at most 256 bytes. The error is
// -32602 on the field "labels", naming the key.
func checkLabels(labels map[string]string) error {
	if len(labels) > 32 {
		return invalid("labels", "too_many", "labels has %d labels; at most 32 are allowed", len(labels))
	}
	for k, v := range labels {
		if !labelKey(k) {
			return invalid("labels", "invalid_key", "label key %q: a name has letters, digits, -, _ and ., with a letter or digit at each end", k)
		}
		if len(v) > 256 {
			return invalid("labels", "value_too_long", "the value of label %q has %d bytes; at most 256 are allowed", k, len(v))
		}
	}
	return nil
}

func labelKey(k string) bool {
	prefix, name, ok := strings.Cut(k, "/")
	if !ok {
		prefix, name = "", k
	}
	if ok && (prefix == "" || strings.ContainsFunc(prefix, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	})) {
		return false
	}
	if name == "" || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

// selector is a parsed label selector: every term must hold.
type selector []term

type term struct {
	key, value string
	op         string // "=", "!=", "" (has the key), "!" (has not)
}

// parseSelector reads org.list's selector ("env=prod,tier!=free,team,!legacy");
// -32602 on the field "selector" for a term it cannot read.
func parseSelector(text string) (selector, error) {
	var sel selector
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	for _, raw := range strings.Split(text, ",") {
		t := strings.TrimSpace(raw)
		var tm term
		switch {
		case t == "":
			return nil, invalid("selector", "empty_term", "selector %q has an empty term", text)
		case strings.HasPrefix(t, "!"):
			tm = term{key: strings.TrimSpace(t[1:]), op: "!"}
		case strings.Contains(t, "!="):
			k, v, _ := strings.Cut(t, "!=")
			tm = term{key: strings.TrimSpace(k), value: strings.TrimSpace(v), op: "!="}
		case strings.Contains(t, "="):
			k, v, _ := strings.Cut(t, "=")
			tm = term{key: strings.TrimSpace(k), value: strings.TrimSpace(strings.TrimPrefix(v, "=")), op: "="}
		default:
			tm = term{key: t}
		}
		if !labelKey(tm.key) {
			return nil, &rpc.Error{Code: rpc.CodeInvalidParams, Message: fmt.Sprintf("selector term %q: %q is not a label key", t, tm.key),
				Data: &rpc.ErrorData{Field: "selector", Reason: "invalid_key"}}
		}
		sel = append(sel, tm)
	}
	return sel, nil
}

// matches reports whether labels satisfy every term.
func (s selector) matches(labels map[string]string) bool {
	for _, t := range s {
		v, ok := labels[t.key]
		var holds bool
		switch t.op {
		case "=":
			holds = ok && v == t.value
		case "!=":
			holds = !ok || v != t.value
		case "!":
			holds = !ok
		default:
			holds = ok
		}
		if !holds {
			return false
		}
	}
	return true
}
