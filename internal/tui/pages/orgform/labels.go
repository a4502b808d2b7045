package orgform

import (
	"fmt"
	"strings"
)

// Limits on labels, as orgd enforces them (SPEC §8); orgd also checks
// that each key is a Kubernetes label key.
const (
	MaxLabels          = 32
	MaxLabelValueBytes = 256
)

// ParseLabels reads labels as the form's field holds them:
// "env=prod, tier=gold". Space around keys and values is dropped, an empty
// value is allowed ("team="), and an empty field is no labels. The error
// says what to fix.
func ParseLabels(text string) (map[string]string, error) {
	labels := map[string]string{}
	for part := range strings.SplitSeq(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return nil, fmt.Errorf("%q has no value: write key=value, separated by commas", part)
		case k == "":
			return nil, fmt.Errorf("%q has no key: write key=value, separated by commas", part)
		case len(v) > MaxLabelValueBytes:
			return nil, fmt.Errorf("the value of %s has %d bytes; at most %d are allowed", k, len(v), MaxLabelValueBytes)
		}
		if _, dup := labels[k]; dup {
			return nil, fmt.Errorf("the label %s is given twice", k)
		}
		labels[k] = v
	}
	if len(labels) > MaxLabels {
		return nil, fmt.Errorf("%d labels; at most %d are allowed", len(labels), MaxLabels)
	}
	return labels, nil
}
