package org

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSuspendReasonRunes bounds the reason given for a suspension.
const MaxSuspendReasonRunes = 256

// SuspendOrganization suspends an active organization, in one write: its
// members cannot log in and their tokens are refused with ESUSPENDED, its
// data is kept unchanged, and nothing in it changes until it is resumed.
// Operators only; reason says why, for the people who will see it.
func (s *Service) SuspendOrganization(ctx context.Context, p *Principal, name, reason string) (Organization, error) {
	if p.Role != RoleOperator {
		return Organization{}, errForbidden("only operators may suspend organizations")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case !utf8.ValidString(reason):
		return Organization{}, Invalidf("reason", "encoding", "reason is not valid UTF-8")
	case utf8.RuneCountInString(reason) > MaxSuspendReasonRunes:
		return Organization{}, Invalidf("reason", "too_long", "reason has %d characters; at most %d are allowed", utf8.RuneCountInString(reason), MaxSuspendReasonRunes)
	case strings.IndexFunc(reason, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return Organization{}, Invalidf("reason", "control_character", "reason holds a non-printable character")
	}
	o, err := s.Organization(p, name)
	if err != nil {
		return Organization{}, err
	}
	switch o.State {
	case StateSuspended:
		return Organization{}, &Error{Code: ECONFLICT, Reason: "suspended", Message: o.Name + " is suspended already"}
	case StateActive:
	default:
		return Organization{}, busy(o)
	}
	noteOrganization(ctx, o.ID)
	if o, err = s.store.SuspendOrganization(ctx, o.ID, s.now().UTC(), reason); err != nil {
		return Organization{}, err
	}
	s.record(ctx, p, AuditEntry{Action: "org.suspend", OrgID: o.ID, OrgName: o.Name, Detail: reason})
	return s.current(o), nil
}

// ResumeOrganization makes a suspended organization active again, as it
// was: its members log in with their passwords of before. Operators only.
func (s *Service) ResumeOrganization(ctx context.Context, p *Principal, name string) (Organization, error) {
	if p.Role != RoleOperator {
		return Organization{}, errForbidden("only operators may resume organizations")
	}
	o, err := s.Organization(p, name)
	if err != nil {
		return Organization{}, err
	}
	if o.State != StateSuspended {
		return Organization{}, &Error{Code: ECONFLICT, Reason: "not_suspended", Message: o.Name + " is not suspended"}
	}
	noteOrganization(ctx, o.ID)
	if o, err = s.store.ResumeOrganization(ctx, o.ID); err != nil {
		return Organization{}, err
	}
	s.record(ctx, p, AuditEntry{Action: "org.resume", OrgID: o.ID, OrgName: o.Name})
	return s.current(o), nil
}

// current returns o as the directory has it now, with its members.
func (s *Service) current(o Organization) Organization {
	if cur, ok := s.dir.Organization(o.ID); ok {
		return cur
	}
	return o
}
