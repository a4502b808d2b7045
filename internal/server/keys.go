package server

import (
	"context"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// keyRoutes are the methods on SSH keys (SPEC §9).
func (s *Server) keyRoutes() []route {
	return []route{
		method(rpc.MethodAuthKeysAdd, "Register an SSH public key that logs your account in to orgtui over SSH.", s.keysAdd).
			describedAs("public_key is one authorized_keys line. Operators may register a key to any account (email). "+
				"A line that is not a key orgd takes (DSA, RSA under 2048 bits, options) gets -32602 on public_key; a key registered already, to anyone, -32009.").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeConflict, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
		method(rpc.MethodAuthKeysList, "List the SSH keys of your account, or (operators) of any.", s.keysList).
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeSuspended).fromMemory(),
		method(rpc.MethodAuthKeysRemove, "Remove an SSH key; the SSH sessions it logged in end.", s.keysRemove).
			describedAs("Operators may remove any account's key (email).").
			withAuth(rpc.CodeForbidden, rpc.CodeNotFound, rpc.CodeSuspended, rpc.CodeStoreUnavailable),
	}
}

func (s *Server) keysAdd(ctx context.Context, c *call, p *rpc.KeyAddParams) (rpc.Key, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Key{}, err
	}
	k, err := s.svc.AddKey(ctx, who, p.Email, p.PublicKey, p.Name)
	if err != nil {
		return rpc.Key{}, err
	}
	s.log.Info("SSH key added", "fingerprint", k.Fingerprint, "account_id", k.AccountID, "by", who.AccountID)
	return s.key(k), nil
}

func (s *Server) keysList(_ context.Context, c *call, p *rpc.KeyListParams) (rpc.KeyList, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.KeyList{}, err
	}
	a, keys, err := s.svc.ListKeys(who, p.Email)
	if err != nil {
		return rpc.KeyList{}, err
	}
	out := rpc.KeyList{Items: make([]rpc.Key, len(keys))}
	for i, k := range keys {
		out.Items[i] = keyOf(k, a.Email)
	}
	return out, nil
}

func (s *Server) keysRemove(ctx context.Context, c *call, p *rpc.KeyRemoveParams) (rpc.Removed, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Removed{}, err
	}
	if err := s.svc.RemoveKey(ctx, who, p.Email, p.Fingerprint); err != nil {
		return rpc.Removed{}, err
	}
	s.log.Info("SSH key removed", "fingerprint", p.Fingerprint, "by", who.AccountID)
	return rpc.Removed{Removed: true}, nil
}

// key is k as the API shows it, with its account's email.
func (s *Server) key(k org.Key) rpc.Key {
	a, _ := s.svc.Directory().Account(k.AccountID)
	return keyOf(k, a.Email)
}

func keyOf(k org.Key, email string) rpc.Key {
	out := rpc.Key{Fingerprint: k.Fingerprint, Type: k.Type, Name: k.Name, Email: email, AddedAt: k.AddedAt}
	if !k.LastUsedAt.IsZero() {
		at := k.LastUsedAt
		out.LastUsedAt = &at
	}
	return out
}
