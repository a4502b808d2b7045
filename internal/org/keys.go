package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/auth"
)

// Key is an SSH public key registered to an account: it logs the account
// in to orgtui over SSH (SPEC §9). A key belongs to one account.
type Key struct {
	// Fingerprint is "SHA256:…", as ssh-keygen -lf prints it.
	Fingerprint string
	// Type is the key's algorithm, e.g. ssh-ed25519.
	Type string
	Name string
	// AccountID is the account it logs in as.
	AccountID string
	// Wire is the key in SSH wire form.
	Wire       []byte
	AddedAt    time.Time
	LastUsedAt time.Time
}

// Limits on keys.
const (
	MaxKeysPerAccount = 32
	MaxKeyNameRunes   = 64
)

// keyAccount returns the account whose keys p asks for: p's own when email
// is empty, else the account with email, which only operators may name
// (EFORBIDDEN for others; ENOTFOUND naming email when there is none).
func (s *Service) keyAccount(p *Principal, email string) (Account, error) {
	if email == "" || EmailKey(email) == EmailKey(p.Email) {
		a, ok := s.dir.Account(p.AccountID)
		if !ok {
			return Account{}, Errorf(EUNAUTHENTICATED, "the token was revoked; log in again")
		}
		return a, nil
	}
	if p.Role != RoleOperator {
		return Account{}, errForbidden("only operators manage other accounts' keys")
	}
	a, ok := s.dir.AccountByEmail(email)
	if !ok {
		return Account{}, &Error{Code: ENOTFOUND, Field: "email", Message: fmt.Sprintf("no account with the email %s", email)}
	}
	return a, nil
}

// AddKey registers an SSH public key, one line of authorized_keys, to the
// caller's account, or with email (operators only) to that account's.
// name defaults to the line's comment. EINVALID naming public_key for a
// line that is not a key orgd takes, and ECONFLICT for a key registered
// already, to anyone.
func (s *Service) AddKey(ctx context.Context, p *Principal, email, line, name string) (Key, error) {
	a, err := s.keyAccount(p, email)
	if err != nil {
		return Key{}, err
	}
	pk, err := auth.ParsePublicKey(line)
	if err != nil {
		if errors.Is(err, auth.ErrKey) {
			return Key{}, Invalidf("public_key", "invalid", "%s", strings.TrimPrefix(err.Error(), auth.ErrKey.Error()+": "))
		}
		return Key{}, err
	}
	if name == "" {
		name = pk.Comment
	}
	if name == "" {
		name = pk.Type
	}
	switch {
	case !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return Key{}, Invalidf("name", "control_character", "name must be printable text")
	case utf8.RuneCountInString(name) > MaxKeyNameRunes:
		return Key{}, Invalidf("name", "too_long", "name has %d characters; at most %d are allowed", utf8.RuneCountInString(name), MaxKeyNameRunes)
	}
	if k, ok := s.dir.Key(pk.Fingerprint); ok {
		return Key{}, errKeyTaken(k, a)
	}
	if n := len(s.dir.KeysOf(a.ID)); n >= MaxKeysPerAccount {
		return Key{}, Invalidf("public_key", "too_many", "%s has %d keys, the most an account may have; remove one first", a.Email, n)
	}
	k, err := s.store.AddKey(ctx, Key{
		Fingerprint: pk.Fingerprint, Type: pk.Type, Name: strings.TrimSpace(name), AccountID: a.ID, Wire: pk.Wire,
		AddedAt: s.now().UTC(),
	})
	if err != nil {
		return Key{}, err
	}
	s.record(ctx, p, AuditEntry{Action: "auth.keys.add", OrgID: a.OrgID, OrgName: s.orgName(a.OrgID), Target: a.Email, Detail: k.Fingerprint})
	return k, nil
}

func errKeyTaken(k Key, a Account) *Error {
	if k.AccountID == a.ID {
		return &Error{Code: ECONFLICT, Field: "public_key", Reason: "taken", Message: fmt.Sprintf("the key %s is registered to %s already", k.Fingerprint, a.Email)}
	}
	// Whose it is stays unsaid: it is someone else's.
	return &Error{Code: ECONFLICT, Field: "public_key", Reason: "taken", Message: fmt.Sprintf("the key %s is registered to another account", k.Fingerprint)}
}

// ListKeys returns the keys of the caller's account, or with email
// (operators only) of that account's, oldest first.
func (s *Service) ListKeys(p *Principal, email string) (Account, []Key, error) {
	a, err := s.keyAccount(p, email)
	if err != nil {
		return Account{}, nil, err
	}
	return a, s.dir.KeysOf(a.ID), nil
}

// RemoveKey removes the key with fingerprint from the caller's account, or
// with email (operators only) from that account's; the SSH sessions it
// logged in end. ENOTFOUND naming fingerprint when the account has no such
// key.
func (s *Service) RemoveKey(ctx context.Context, p *Principal, email, fingerprint string) error {
	a, err := s.keyAccount(p, email)
	if err != nil {
		return err
	}
	k, ok := s.dir.Key(fingerprint)
	if !ok || k.AccountID != a.ID {
		return &Error{Code: ENOTFOUND, Field: "fingerprint", Message: fmt.Sprintf("%s has no key %s", a.Email, fingerprint)}
	}
	if err := s.store.RemoveKey(ctx, fingerprint); err != nil {
		return err
	}
	s.record(ctx, p, AuditEntry{Action: "auth.keys.remove", OrgID: a.OrgID, OrgName: s.orgName(a.OrgID), Target: a.Email, Detail: fingerprint})
	return nil
}

// KeyHolder returns the account that the key with fingerprint logs in as,
// when it may log in at all (its organization, for a member, neither
// being created, deleted, nor suspended).
func (s *Service) KeyHolder(fingerprint string) (Account, bool) {
	k, ok := s.dir.Key(fingerprint)
	if !ok {
		return Account{}, false
	}
	a, ok := s.dir.Account(k.AccountID)
	if !ok || !a.CanLogIn() {
		return Account{}, false
	}
	if a.Role.Member() {
		o, ok := s.dir.Organization(a.OrgID)
		if !ok || !loginAllowed(o.State) {
			return Account{}, false
		}
	}
	return a, true
}

// LoginKey starts a session for the account the key with fingerprint
// belongs to, which the caller (the SSH server) has seen sign the
// connection's authentication. EUNAUTHENTICATED when the key is unknown;
// ESUSPENDED for a member of a suspended organization.
func (s *Service) LoginKey(ctx context.Context, fingerprint string) (Session, Account, error) {
	k, ok := s.dir.Key(fingerprint)
	if !ok {
		return Session{}, Account{}, errBadCredentials
	}
	a, ok := s.dir.Account(k.AccountID)
	if !ok || !a.CanLogIn() {
		return Session{}, Account{}, errBadCredentials
	}
	if a.Role.Member() {
		o, ok := s.dir.Organization(a.OrgID)
		switch {
		case ok && o.State == StateSuspended:
			return Session{}, Account{}, errSuspended(o)
		case !ok || !loginAllowed(o.State):
			return Session{}, Account{}, errBadCredentials
		}
	}
	sess, err := s.session(a)
	if err != nil {
		return Session{}, Account{}, err
	}
	now := s.now().UTC()
	s.store.TouchLogin(a.ID, now)
	s.store.TouchKey(fingerprint, now)
	return sess, a, nil
}

// KeyOf reports whether the key with fingerprint is still registered to
// the account with id accountID: a session it logged in ends when it is
// not.
func (s *Service) KeyOf(fingerprint, accountID string) bool {
	k, ok := s.dir.Key(fingerprint)
	return ok && k.AccountID == accountID
}

// RecordSession writes an SSH session's start or end (action
// "ssh.session_start" or "ssh.session_end") to the audit trail, as done
// by p, the session's account, from p.Peer; detail says how it logged in
// and, at its end, how long it lasted and why it ended.
func (s *Service) RecordSession(ctx context.Context, p *Principal, action, detail string) {
	s.record(ctx, p, AuditEntry{Action: action, OrgID: p.OrgID, OrgName: s.orgName(p.OrgID), Target: p.Email, Detail: detail})
}
