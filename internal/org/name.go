package org

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on names, emails and passwords.
const (
	MaxNameRunes     = 64
	MaxSlugBytes     = 64
	MaxEmailBytes    = 254
	MinPasswordBytes = 8
	MaxPasswordBytes = 72 // bcrypt reads no further; longer passwords are refused, never truncated.

	// CollectionPrefix starts the name of every tenant collection.
	CollectionPrefix = "org_"
)

// ValidateName reports whether name may name an organization: 1–64 printable
// Unicode characters, no control characters, and no leading or trailing space.
// The error is EINVALID with Field "name".
func ValidateName(name string) error {
	return validateName("name", name)
}

func validateName(field, name string) error {
	switch {
	case name == "":
		return Invalidf(field, "required", "name is required")
	case !utf8.ValidString(name):
		return Invalidf(field, "encoding", "name is not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameRunes:
		return Invalidf(field, "too_long", "name has %d characters; at most %d are allowed", utf8.RuneCountInString(name), MaxNameRunes)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return Invalidf(field, "control_character", "name contains the non-printable character %U", r)
		}
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return Invalidf(field, "surrounding_space", "name must not start or end with a space")
	}
	if _, err := Slug(name); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Field = field
		}
		return err
	}
	return nil
}

// Slug derives the slug of a valid organization name: lowercase letters and
// digits are kept, every other run of characters becomes one "_", and
// leading and trailing "_" are trimmed. The name is first put in Unicode
// normal form C, so "Müller" slugs the same however its "ü" was typed.
// The error is EINVALID with Field "name" when the slug would be empty or
// longer than 64 bytes.
func Slug(name string) (string, error) {
	var b strings.Builder
	b.Grow(len(name))
	gap := false
	for _, r := range norm.NFC.String(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		gap = true
	}
	s := b.String()
	switch {
	case s == "":
		return "", Invalidf("name", "no_letters", "name needs at least one letter or digit")
	case len(s) > MaxSlugBytes:
		return "", Invalidf("name", "slug_too_long", "the slug %q is %d bytes; at most %d are allowed", s, len(s), MaxSlugBytes)
	}
	return s, nil
}

// CollectionName is the tenant collection of the organization with slug s.
// A slug holds only letters, digits and "_", so the result is always a valid
// MongoDB collection name: no "$", no NUL, never "system.".
func CollectionName(slug string) string {
	return CollectionPrefix + slug
}

// NormalizeEmail validates an email address (name@example.com, no display
// name, at most 254 bytes) and returns it as given; EmailKey gives the key
// it is compared by. The error is EINVALID naming field.
func NormalizeEmail(field, email string) (string, error) {
	if email == "" {
		return "", Invalidf(field, "required", "email is required")
	}
	if len(email) > MaxEmailBytes {
		return "", Invalidf(field, "too_long", "email is longer than %d bytes", MaxEmailBytes)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", Invalidf(field, "format", "%q is not an email address like name@example.com", email)
	}
	return email, nil
}

// EmailKey is the case-insensitive key under which an email is unique.
func EmailKey(email string) string {
	return strings.ToLower(email)
}

// ValidatePassword checks a password's length: 8–72 bytes, bcrypt's limit.
func ValidatePassword(field, password string) error {
	switch n := len(password); {
	case n == 0:
		return Invalidf(field, "required", "password is required")
	case n < MinPasswordBytes:
		return Invalidf(field, "too_short", "password has %d bytes; at least %d are needed", n, MinPasswordBytes)
	case n > MaxPasswordBytes:
		return Invalidf(field, "too_long", "password has %d bytes; at most %d are allowed (bcrypt's limit)", n, MaxPasswordBytes)
	}
	return nil
}
