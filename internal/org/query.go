package org

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/document"
)

// refusedOperator says why op may not appear in anything a client sends,
// or "" when it may. This API runs no JavaScript on the server and reaches
// no collection but the organization's own; these operators would do one
// or the other (the stages among them only exist in aggregations, which
// the API does not offer, but refusing them by name makes that plain).
func refusedOperator(op string) string {
	switch op {
	case "$where", "$function", "$accumulator":
		return "it runs JavaScript on the server"
	case "$lookup", "$graphLookup", "$unionWith":
		return "it reads another collection"
	case "$out", "$merge":
		return "it writes another collection"
	}
	return ""
}

// queryLimits bound one param.
type queryLimits struct {
	depth int
	bytes int
}

var (
	queryBounds    = queryLimits{depth: MaxQueryDepth, bytes: MaxQueryBytes}
	documentBounds = queryLimits{depth: MaxDocumentDepth, bytes: MaxDocumentBytes}
)

// isNull reports whether text is absent: empty or JSON null.
func isNull(text []byte) bool {
	t := bytes.TrimSpace(text)
	return len(t) == 0 || string(t) == "null"
}

// parseParam reads the Extended JSON document of the param field. An absent
// param gives the zero Document. The size is checked before parsing, the
// depth after; with operators set, every key at any depth is checked
// against the refused operators.
func parseParam(field string, text []byte, lim queryLimits, operators bool) (document.Document, error) {
	if isNull(text) {
		return document.Document{}, nil
	}
	if len(text) > lim.bytes {
		return document.Document{}, Invalidf(field, "too_large", "%s has %d bytes; at most %d are allowed", field, len(text), lim.bytes)
	}
	d, err := document.Parse(text)
	if err != nil {
		var de *document.Error
		if errors.As(err, &de) {
			return document.Document{}, Invalidf(field, de.Reason, "%s %s", field, de.Message)
		}
		return document.Document{}, Invalidf(field, "invalid", "%s: %v", field, err)
	}
	if d.Size() > lim.bytes {
		return document.Document{}, Invalidf(field, "too_large", "%s has %d bytes as BSON; at most %d are allowed", field, d.Size(), lim.bytes)
	}
	if err := checkDocument(field, d, lim.depth, operators); err != nil {
		return document.Document{}, err
	}
	return d, nil
}

// checkDocument checks the depth of d and, with operators set, its keys.
func checkDocument(field string, d document.Document, maxDepth int, operators bool) error {
	return d.Visit(func(e document.Element) error {
		if e.Depth > maxDepth {
			return Invalidf(field, "too_deep", "%s nests deeper than %d levels (at %s)", field, maxDepth, pathString(field, e.Path))
		}
		if !operators || e.InArray {
			return nil
		}
		if why := refusedOperator(e.Key()); why != "" {
			return &Error{Code: EINVALID, Field: field, Reason: "refused_operator", Operator: e.Key(),
				Message: fmt.Sprintf("%s is not allowed: %s (at %s)", e.Key(), why, pathString(field, e.Path))}
		}
		return nil
	})
}

func pathString(field string, path []string) string {
	return field + "." + strings.Join(path, ".")
}

// ParseFilter reads a filter, projection or index key: Extended JSON of at
// most MaxQueryBytes, nesting at most MaxQueryDepth deep, with no refused
// operator at any depth. field names the param in errors. An absent one
// gives the zero Document.
func ParseFilter(field string, text []byte) (document.Document, error) {
	return parseParam(field, text, queryBounds, true)
}

// parseSort reads a sort: {field: 1 or -1, …}, at most MaxSortKeys fields.
func parseSort(text []byte) ([]SortKey, error) {
	d, err := parseParam("sort", text, queryBounds, true)
	if err != nil || d.IsZero() {
		return nil, err
	}
	keys := d.Keys()
	if len(keys) > MaxSortKeys {
		return nil, Invalidf("sort", "too_many", "sort has %d fields; at most %d are allowed", len(keys), MaxSortKeys)
	}
	seen := make(map[string]bool, len(keys))
	out := make([]SortKey, 0, len(keys))
	for _, k := range keys {
		if k == "" || strings.HasPrefix(k, "$") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") || strings.Contains(k, "..") {
			return nil, Invalidf("sort", "invalid_field", "sort: %q is not a field name", k)
		}
		if seen[k] {
			return nil, Invalidf("sort", "duplicate_field", "sort names %q twice", k)
		}
		seen[k] = true
		v, _ := d.Lookup(k)
		dir, ok := direction(v)
		if !ok {
			return nil, Invalidf("sort", "invalid_direction", "sort: %q must be 1 (ascending) or -1 (descending)", k)
		}
		out = append(out, SortKey{Path: k, Descending: dir < 0})
	}
	return out, nil
}

// direction reads a sort direction: a number equal to 1 or -1.
func direction(v document.Value) (int, bool) {
	switch f, ok := v.Number(); {
	case ok && f == 1:
		return 1, true
	case ok && f == -1:
		return -1, true
	}
	return 0, false
}

// ParseDocument reads a document to store: Extended JSON nesting at most
// MaxDocumentDepth deep. Its keys are data, not operators: a field may be
// called "$where" without anything running.
func ParseDocument(field string, text []byte) (document.Document, error) {
	if isNull(text) {
		return document.Document{}, Invalidf(field, "required", "%s must be a document", field)
	}
	return parseParam(field, text, documentBounds, false)
}

// parseUpdate reads an update: update operators ({"$set": …}), or with
// replace a whole document and no operator at its top.
func parseUpdate(text []byte, replace bool) (document.Document, error) {
	if isNull(text) {
		return document.Document{}, Invalidf("update", "required", "update is required")
	}
	d, err := parseParam("update", text, documentBounds, true)
	if err != nil {
		return document.Document{}, err
	}
	keys := d.Keys()
	if replace {
		for _, k := range keys {
			if strings.HasPrefix(k, "$") {
				return document.Document{}, &Error{Code: EINVALID, Field: "update", Reason: "operator_in_replacement", Operator: k,
					Message: fmt.Sprintf("a replacement is a whole document: it cannot hold the operator %s (without replace, update takes operators)", k)}
			}
		}
		return d, nil
	}
	if len(keys) == 0 {
		return document.Document{}, Invalidf("update", "empty", `update must hold update operators, such as {"$set": {"field": "value"}}`)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "$") {
			return document.Document{}, Invalidf("update", "not_an_operator",
				"update must hold only update operators such as $set, not the field %q; to replace the whole document pass replace: true", k)
		}
	}
	return d, nil
}
