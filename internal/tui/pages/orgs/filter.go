package orgs

import (
	"strings"

	"github.com/orgd/orgd/rpc"
)

// LabelPrefix starts a token of the filter that selects by labels:
// "label:env=prod", "label:tier!=free", "label:team", "label:!legacy".
const LabelPrefix = "label:"

// SplitFilter splits what was typed after / into org.list's query and its
// label selector: the "label:…" tokens make the selector (their terms
// joined by commas), the other words the query (joined by single spaces).
func SplitFilter(text string) (query, selector string) {
	var words, terms []string
	for _, f := range strings.Fields(text) {
		if t, ok := strings.CutPrefix(f, LabelPrefix); ok {
			if t != "" {
				terms = append(terms, t)
			}
			continue
		}
		words = append(words, f)
	}
	return strings.Join(words, " "), strings.Join(terms, ",")
}

// Matches reports whether org.list would list o for the filter text: its
// query a case-insensitive substring of the name, slug or admin email,
// and every term of its selector true of o's labels. A term this list
// cannot read counts as true: orgd has the last word on the next load.
func Matches(text string, o rpc.Organization) bool {
	query, selector := SplitFilter(text)
	return matchesQuery(query, o) && matchesSelector(selector, o.Labels)
}

func matchesQuery(query string, o rpc.Organization) bool {
	if query == "" {
		return true
	}
	q := strings.ToLower(query)
	if strings.Contains(strings.ToLower(o.Name), q) || strings.Contains(o.Slug, q) {
		return true
	}
	if strings.Contains(strings.ToLower(o.AdminEmail), q) {
		return true
	}
	for _, a := range o.Admins {
		if strings.Contains(strings.ToLower(a), q) {
			return true
		}
	}
	return false
}

// matchesSelector reports whether labels satisfy every term of selector:
// key=value (or key==value), key!=value (true without the key too), key
// (has it), !key (has it not).
func matchesSelector(selector string, labels map[string]string) bool {
	for term := range strings.SplitSeq(selector, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		var holds bool
		if k, ok := strings.CutPrefix(term, "!"); ok {
			_, has := labels[strings.TrimSpace(k)]
			holds = !has
		} else if k, v, ok := strings.Cut(term, "!="); ok {
			got, has := labels[strings.TrimSpace(k)]
			holds = !has || got != strings.TrimSpace(v)
		} else if k, v, ok := strings.Cut(term, "="); ok {
			got, has := labels[strings.TrimSpace(k)]
			holds = has && got == strings.TrimSpace(strings.TrimPrefix(v, "="))
		} else {
			_, holds = labels[term]
		}
		if !holds {
			return false
		}
	}
	return true
}
