package org_test

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

func TestValidateLabels(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		reason string // empty: valid
	}{
		{"no labels are valid", nil, ""},
		{"plain keys and values are valid", map[string]string{"env": "prod", "tier": "gold"}, ""},
		{"a key with a DNS prefix is valid", map[string]string{"example.com/team": "platform"}, ""},
		{"dots, dashes and underscores inside a name are valid", map[string]string{"a.b-c_d": "x"}, ""},
		{"an empty value is valid", map[string]string{"flag": ""}, ""},
		{"a value of 256 bytes is valid", map[string]string{"note": strings.Repeat("é", 128)}, ""},
		{"32 labels are valid", manyLabels(32), ""},
		{"33 labels are too many", manyLabels(33), "too_many"},
		{"an empty key is refused", map[string]string{"": "x"}, "empty_key"},
		{"a name of 64 characters is refused", map[string]string{strings.Repeat("k", 64): "x"}, "invalid_key"},
		{"a name starting with a dash is refused", map[string]string{"-env": "x"}, "invalid_key"},
		{"a name ending with a dot is refused", map[string]string{"env.": "x"}, "invalid_key"},
		{"a space in a name is refused", map[string]string{"my env": "x"}, "invalid_key"},
		{"an upper-case prefix is refused", map[string]string{"Example.com/team": "x"}, "invalid_key"},
		{"an empty prefix is refused", map[string]string{"/team": "x"}, "invalid_key"},
		{"an empty name after the prefix is refused", map[string]string{"example.com/": "x"}, "invalid_key"},
		{"a value of 257 bytes is refused", map[string]string{"note": strings.Repeat("v", 257)}, "value_too_long"},
		{"a value with a newline is refused", map[string]string{"note": "a\nb"}, "control_character"},
		{"a value that is not UTF-8 is refused", map[string]string{"note": "\xff"}, "encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := org.ValidateLabels("labels", tt.labels)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ValidateLabels = %v, want nil", err)
				}
				return
			}
			wantInvalid(t, err, "labels", tt.reason)
		})
	}
}

func TestSelector(t *testing.T) {
	prod := map[string]string{"env": "prod", "tier": "gold", "team": "a"}
	dev := map[string]string{"env": "dev"}
	tests := []struct {
		selector  string
		prod, dev bool
	}{
		{"", true, true},
		{"env=prod", true, false},
		{"env==prod", true, false},
		{" env = prod ", true, false},
		{"env!=prod", false, true},
		{"tier!=free", true, true},
		{"team", true, false},
		{"!team", false, true},
		{"env=prod,tier=gold", true, false},
		{"env=prod,tier=free", false, false},
		{"env=", false, false},
	}
	for _, tt := range tests {
		t.Run("selector "+tt.selector+" selects as it says", func(t *testing.T) {
			sel, err := org.ParseSelector(tt.selector)
			if err != nil {
				t.Fatal(err)
			}
			if got := sel.Matches(prod); got != tt.prod {
				t.Errorf("prod: %v, want %v", got, tt.prod)
			}
			if got := sel.Matches(dev); got != tt.dev {
				t.Errorf("dev: %v, want %v", got, tt.dev)
			}
		})
	}
	refused := []struct {
		name, selector, reason string
	}{
		{"an empty term", "env=prod,,tier", "empty_term"},
		{"a trailing comma", "env=prod,", "empty_term"},
		{"a bang that is not a negation", "env!prod", "invalid_term"},
		{"a key that is not a label key", "-env=prod", "invalid_key"},
		{"a negation without a key", "!", "empty_key"},
		{"a value over 256 bytes", "env=" + strings.Repeat("v", 257), "value_too_long"},
	}
	for _, tt := range refused {
		t.Run("a selector with "+tt.name+" is refused", func(t *testing.T) {
			_, err := org.ParseSelector(tt.selector)
			wantInvalid(t, err, "selector", tt.reason)
		})
	}
}

// FuzzParseSelector checks that whatever a selector says, it is refused as
// invalid params or parsed into one that reads back the same.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", "env=prod", "env!=prod,tier", "!legacy", "a/b=c", "k==v", ",", "!", "=x", "a=b=c", "a!=b!=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sel, err := org.ParseSelector(text)
		if err != nil {
			wantInvalid(t, err, "selector", "")
			return
		}
		again, err := org.ParseSelector(sel.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", text, sel.String(), err)
		}
		if again.String() != sel.String() {
			t.Fatalf("%q reads back as %q, then %q", text, sel.String(), again.String())
		}
		labels := map[string]string{"env": "prod", "tier": "gold"}
		if sel.Matches(labels) != again.Matches(labels) {
			t.Fatalf("%q and its String %q select differently", text, sel.String())
		}
	})
}
