package rpc

import (
	"context"
	"time"
)

// Methods on SSH public keys (SPEC §9): the keys that log an account in to
// orgtui over SSH (orgd serve --ssh-listen).
const (
	MethodAuthKeysAdd    = "auth.keys.add"
	MethodAuthKeysList   = "auth.keys.list"
	MethodAuthKeysRemove = "auth.keys.remove"
)

// Key is an SSH public key registered to an account. Times are RFC 3339,
// UTC.
type Key struct {
	Fingerprint string     `json:"fingerprint" doc:"SHA256:… as ssh-keygen -lf prints it; unique across all accounts"`
	Type        string     `json:"type" doc:"the key's algorithm: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …"`
	Name        string     `json:"name" doc:"what people call it"`
	Email       string     `json:"email" doc:"the account it logs in as"`
	AddedAt     time.Time  `json:"added_at"`
	LastUsedAt  *time.Time `json:"last_used_at" doc:"null until it first logs in"`
}

// KeyAddParams are the params of auth.keys.add.
type KeyAddParams struct {
	Token     string `json:"token" doc:"from auth.login"`
	PublicKey string `json:"public_key" doc:"one line of authorized_keys: the key's type, the key in base64, and an optional comment"`
	Name      string `json:"name,omitempty" doc:"at most 64 characters; the line's comment when omitted"`
	Email     string `json:"email,omitempty" doc:"whose key it is, for operators; the caller's own when omitted"`
}

// KeyListParams are the params of auth.keys.list.
type KeyListParams struct {
	Token string `json:"token" doc:"from auth.login"`
	Email string `json:"email,omitempty" doc:"whose keys to list, for operators; the caller's own when omitted"`
}

// KeyList is the result of auth.keys.list.
type KeyList struct {
	Items []Key `json:"items" doc:"oldest first"`
}

// KeyRemoveParams are the params of auth.keys.remove.
type KeyRemoveParams struct {
	Token       string `json:"token" doc:"from auth.login"`
	Fingerprint string `json:"fingerprint" doc:"SHA256:…"`
	Email       string `json:"email,omitempty" doc:"whose key it is, for operators; the caller's own when omitted"`
}

// AddKey calls auth.keys.add.
func (c *Client) AddKey(ctx context.Context, p KeyAddParams) (*Key, error) {
	var k Key
	return &k, c.Call(ctx, MethodAuthKeysAdd, p, &k)
}

// ListKeys calls auth.keys.list.
func (c *Client) ListKeys(ctx context.Context, p KeyListParams) (*KeyList, error) {
	var l KeyList
	return &l, c.Call(ctx, MethodAuthKeysList, p, &l)
}

// RemoveKey calls auth.keys.remove. Removing a key ends the SSH sessions
// it logged in.
func (c *Client) RemoveKey(ctx context.Context, p KeyRemoveParams) error {
	return c.Call(ctx, MethodAuthKeysRemove, p, nil)
}
