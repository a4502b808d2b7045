package org_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/org"
)

// wantInvalid fails unless err is EINVALID naming field for reason.
func wantInvalid(t *testing.T, err error, field, reason string) {
	t.Helper()
	var e *org.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want EINVALID on %q", err, field)
	}
	if e.Code != org.EINVALID || e.Field != field || (reason != "" && e.Reason != reason) {
		t.Fatalf("got code %q field %q reason %q (%s), want %q field %q reason %q",
			e.Code, e.Field, e.Reason, e.Message, org.EINVALID, field, reason)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		reason string // empty: valid
	}{
		{"a name with an umlaut and a space is valid", "Müller GmbH", ""},
		{"a plain name is valid", "SpaceX", ""},
		{"a single letter is valid", "x", ""},
		{"a single digit is valid", "7", ""},
		{"punctuation inside a name is valid", "A&B (Holdings), Inc.", ""},
		{"a name in another script is valid", "東京電力", ""},
		{"64 characters are valid", strings.Repeat("a", 64), ""},
		{"64 two-byte characters slug to too many bytes", strings.Repeat("é", 64), "slug_too_long"},
		{"an empty name is refused", "", "required"},
		{"65 characters are refused", strings.Repeat("a", 65), "too_long"},
		{"a NUL is refused", "a\x00b", "control_character"},
		{"a tab is refused", "a\tb", "control_character"},
		{"a newline is refused", "Acme\n", "control_character"},
		{"DEL is refused", "a\x7fb", "control_character"},
		{"a C1 control is refused", "a\u0085b", "control_character"},
		{"a zero-width space is refused", "a\u200bb", "control_character"},
		{"invalid UTF-8 is refused", "a\xffb", "encoding"},
		{"a leading space is refused", " Acme", "surrounding_space"},
		{"a trailing space is refused", "Acme ", "surrounding_space"},
		{"a name that is only spaces is refused", "   ", "surrounding_space"},
		{"a name without letters or digits is refused", "!!!", "no_letters"},
		{"a name of underscores is refused", "___", "no_letters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := org.ValidateName(tt.input)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tt.input, err)
				}
				return
			}
			wantInvalid(t, err, "name", tt.reason)
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"a plain name is lower-cased", "SpaceX", "spacex"},
		{"a space becomes an underscore", "Space X", "space_x"},
		{"an underscore stays one underscore", "space_x", "space_x"},
		{"a run of other characters becomes one underscore", "A -- & -- B", "a_b"},
		{"leading and trailing punctuation is trimmed", "(Acme)!", "acme"},
		{"digits are kept", "Route 66", "route_66"},
		{"letters outside ASCII are kept", "Müller GmbH", "müller_gmbh"},
		{"a decomposed umlaut slugs like a composed one", "Mu\u0308ller GmbH", "müller_gmbh"},
		{"other scripts are kept", "東京 電力", "東京_電力"},
		{"upper-case Greek is lower-cased", "ΑΘΗΝΑ", "αθηνα"},
		{"64 ASCII letters fit", strings.Repeat("a", 64), strings.Repeat("a", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := org.Slug(tt.input)
			if err != nil {
				t.Fatalf("Slug(%q): %v", tt.input, err)
			}
			if got != tt.want {
				t.Fatalf("Slug(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestSlugRefuses(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		reason string
	}{
		{"an empty name has no slug", "", "no_letters"},
		{"punctuation alone has no slug", "-_-", "no_letters"},
		{"a slug over 64 bytes is refused", strings.Repeat("a", 65), "slug_too_long"},
		{"33 two-byte letters are over 64 bytes", strings.Repeat("ü", 33), "slug_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := org.Slug(tt.input)
			wantInvalid(t, err, "name", tt.reason)
		})
	}
}

func TestNamesThatConflictShareASlug(t *testing.T) {
	pairs := []struct {
		name string
		a, b string
	}{
		{"a space and an underscore conflict", "Space X", "space_x"},
		{"case does not matter", "ACME", "acme"},
		{"composed and decomposed umlauts conflict", "Müller", "Mu\u0308ller"},
		{"surrounding punctuation does not matter", "Acme", "Acme!"},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, errA := org.Slug(p.a)
			b, errB := org.Slug(p.b)
			if errA != nil || errB != nil {
				t.Fatalf("Slug(%q) = %v, Slug(%q) = %v", p.a, errA, p.b, errB)
			}
			if a != b {
				t.Fatalf("Slug(%q) = %q but Slug(%q) = %q: they should conflict", p.a, a, p.b, b)
			}
		})
	}
}

func TestCollectionName(t *testing.T) {
	tests := []struct {
		name string
		slug string
		want string
	}{
		{"a slug gets the tenant prefix", "spacex", "org_spacex"},
		{"a slug with underscores keeps them", "space_x", "org_space_x"},
		{"a slug named system is still a tenant collection", "system", "org_system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := org.CollectionName(tt.slug)
			if got != tt.want {
				t.Fatalf("CollectionName(%q) = %q, want %q", tt.slug, got, tt.want)
			}
			checkCollectionName(t, got)
		})
	}
}

// checkCollectionName fails unless name is a valid MongoDB collection name
// in the database orgd uses by default.
func checkCollectionName(t *testing.T, name string) {
	t.Helper()
	const db = "orgd"
	switch {
	case name == "":
		t.Errorf("collection name is empty")
	case strings.ContainsAny(name, "$\x00"):
		t.Errorf("collection name %q holds $ or NUL", name)
	case strings.HasPrefix(name, "system."):
		t.Errorf("collection name %q is in the system namespace", name)
	case len(db)+1+len(name) > 255:
		t.Errorf("namespace %s.%s is %d bytes, over 255", db, name, len(db)+1+len(name))
	case !utf8.ValidString(name):
		t.Errorf("collection name %q is not valid UTF-8", name)
	}
}

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 bytes
	tests := []struct {
		name   string
		input  string
		reason string // empty: valid
	}{
		{"a plain address is valid", "ops@example.com", ""},
		{"an address in mixed case is kept as given", "Ops@Example.COM", ""},
		{"a plus address is valid", "ops+orgd@example.com", ""},
		{"an address of 254 bytes is valid", long, ""},
		{"an empty address is refused", "", "required"},
		{"an address of 255 bytes is refused", "a" + long, "too_long"},
		{"a missing at sign is refused", "ops.example.com", "format"},
		{"a display name is refused", "Ops <ops@example.com>", "format"},
		{"surrounding spaces are refused", " ops@example.com ", "format"},
		{"two addresses are refused", "a@example.com, b@example.com", "format"},
		{"a missing domain is refused", "ops@", "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := org.NormalizeEmail("admin_email", tt.input)
			if tt.reason != "" {
				wantInvalid(t, err, "admin_email", tt.reason)
				return
			}
			if err != nil {
				t.Fatalf("NormalizeEmail(%q): %v", tt.input, err)
			}
			if got != tt.input {
				t.Fatalf("NormalizeEmail(%q) = %q, want it as given", tt.input, got)
			}
		})
	}
}

func TestEmailKeyIgnoresCase(t *testing.T) {
	if a, b := org.EmailKey("Ops@Example.COM"), org.EmailKey("ops@example.com"); a != b {
		t.Fatalf("EmailKey gives %q and %q for the same address in two cases", a, b)
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name   string
		bytes  int
		reason string // empty: valid
	}{
		{"an empty password is refused", 0, "required"},
		{"7 bytes are refused", 7, "too_short"},
		{"8 bytes are accepted", 8, ""},
		{"72 bytes are accepted", 72, ""},
		{"73 bytes are refused, not truncated", 73, "too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := org.ValidatePassword("admin_password", strings.Repeat("p", tt.bytes))
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("%d bytes: %v", tt.bytes, err)
				}
				return
			}
			wantInvalid(t, err, "admin_password", tt.reason)
		})
	}
	t.Run("length is counted in bytes, not characters", func(t *testing.T) {
		// 37 characters, 74 bytes.
		wantInvalid(t, org.ValidatePassword("password", strings.Repeat("ü", 37)), "password", "too_long")
	})
}

// checkSlug fails unless slug is what Slug may return.
func checkSlug(t *testing.T, name, slug string) {
	t.Helper()
	switch {
	case slug == "":
		t.Fatalf("Slug(%q) is empty", name)
	case len(slug) > org.MaxSlugBytes:
		t.Fatalf("Slug(%q) = %q is %d bytes, over %d", name, slug, len(slug), org.MaxSlugBytes)
	case !utf8.ValidString(slug):
		t.Fatalf("Slug(%q) = %q is not valid UTF-8", name, slug)
	case strings.HasPrefix(slug, "_") || strings.HasSuffix(slug, "_"):
		t.Fatalf("Slug(%q) = %q starts or ends with _", name, slug)
	case strings.Contains(slug, "__"):
		t.Fatalf("Slug(%q) = %q holds a double _", name, slug)
	}
	for _, r := range slug {
		if r != '_' && !((unicode.IsLetter(r) || unicode.IsDigit(r)) && unicode.ToLower(r) == r) {
			t.Fatalf("Slug(%q) = %q holds %q (%U), not a lower-case letter, digit or _", name, slug, r, r)
		}
	}
	again, err := org.Slug(slug)
	if err != nil || again != slug {
		t.Fatalf("Slug(%q) = %q, but Slug(%q) = %q, %v: not idempotent", name, slug, slug, again, err)
	}
	checkCollectionName(t, org.CollectionName(slug))
}

func FuzzSlug(f *testing.F) {
	for _, s := range []string{
		"SpaceX", "Space X", "space_x", "Müller GmbH", "Mu\u0308ller", "東京電力", "ΑΘΗΝΑ",
		"__a__b__", "a\x00b", "\xff\xfe", "İstanbul", "ǅemal", "Ω", "K", "가각", "\u1100\u1161\u11a8",
		strings.Repeat("ü", 40), strings.Repeat("a", 64), strings.Repeat("a", 65), "$system.users",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		slug, err := org.Slug(name)
		if err != nil {
			var e *org.Error
			if !errors.As(err, &e) || e.Code != org.EINVALID || e.Field != "name" {
				t.Fatalf("Slug(%q) failed with %v, want EINVALID on name", name, err)
			}
			return
		}
		checkSlug(t, name, slug)
	})
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{
		"SpaceX", "Müller GmbH", " x", "x ", "", "a\tb", "\u00a0x", "x\u2028", "!!!",
		strings.Repeat("é", 32), strings.Repeat("é", 33), "\xed\xa0\x80", "a\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := org.ValidateName(name)
		if err != nil {
			var e *org.Error
			if !errors.As(err, &e) || e.Code != org.EINVALID || e.Field != "name" || e.Reason == "" {
				t.Fatalf("ValidateName(%q) failed with %v, want EINVALID on name with a reason", name, err)
			}
			return
		}
		if n := utf8.RuneCountInString(name); n < 1 || n > org.MaxNameRunes {
			t.Fatalf("ValidateName accepted %q of %d characters", name, n)
		}
		for _, r := range name {
			if unicode.IsControl(r) {
				t.Fatalf("ValidateName accepted %q holding the control character %U", name, r)
			}
		}
		if strings.TrimSpace(name) != name {
			t.Fatalf("ValidateName accepted %q with surrounding space", name)
		}
		slug, err := org.Slug(name)
		if err != nil {
			t.Fatalf("ValidateName accepted %q, but Slug fails: %v", name, err)
		}
		checkSlug(t, name, slug)
	})
}
