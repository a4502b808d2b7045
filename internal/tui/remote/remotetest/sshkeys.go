package remotetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/orgd/orgd/internal/tui/authkey"
	"github.com/orgd/orgd/rpc"
)

// The SSH keys of the fake behave as orgd's (SPEC §9, rpc/keys.go): anyone
// manages their own keys (email omitted, or their own); operators also
// any account's (email given); anyone else naming another email gets
// -32003, an unknown email -32004. A line that does not parse, more than
// one key, and weak keys (DSA, RSA under 2048 bits) are -32602 on
// public_key; a fingerprint registered already, to anyone, is -32009 on
// public_key; an account has at most MaxKeys keys (-32602, reason
// too_many); an unknown fingerprint is -32004. An account's keys go with
// it when it is removed.

// MaxKeys is the most keys an account may have.
const MaxKeys = 32

// MaxKeyName is the longest name of a key, in characters.
const MaxKeyName = 64

// keyOwner returns the email of the account whose keys a call of c is
// about: c's own when email is empty or c's, another account's for an
// operator.
func (f *Fake) keyOwner(c *account, email string) (string, error) {
	if email == "" || strings.EqualFold(email, c.Email) {
		return c.Email, nil
	}
	if c.Role != rpc.RoleOperator {
		return "", forbidden("only operators manage other accounts' keys")
	}
	a := f.accts[strings.ToLower(email)]
	if a == nil {
		return "", &rpc.Error{Code: rpc.CodeNotFound, Message: fmt.Sprintf("no account with the email %s", email), Data: &rpc.ErrorData{Field: "email"}}
	}
	return a.Email, nil
}

// AddKey registers a public key to the caller, or for an operator to the
// account email names.
func (f *Fake) AddKey(_ context.Context, p rpc.KeyAddParams) (*rpc.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodAuthKeysAdd, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	owner, err := f.keyOwner(c, p.Email)
	if err != nil {
		return nil, err
	}
	return f.addKey(owner, p.PublicKey, p.Name)
}

// addKey registers line to owner. It is called with f.mu held.
func (f *Fake) addKey(owner, line, name string) (*rpc.Key, error) {
	k, err := authkey.Parse(line)
	if err != nil {
		reason := authkey.ReasonFormat
		if e, ok := errors.AsType[*authkey.Error](err); ok {
			reason = e.Reason
		}
		return nil, invalid("public_key", reason, "%s", err.Error())
	}
	if name == "" {
		name = k.Comment
	}
	if utf8.RuneCountInString(name) > MaxKeyName {
		return nil, invalid("name", "too_long", "a key's name has at most %d characters", MaxKeyName)
	}
	for _, keys := range f.sshKeys {
		if slices.ContainsFunc(keys, func(o rpc.Key) bool { return o.Fingerprint == k.Fingerprint }) {
			return nil, conflict("public_key", "taken", "this key is registered already; a key belongs to one account")
		}
	}
	if f.sshKeys == nil {
		f.sshKeys = make(map[string][]rpc.Key)
	}
	id := strings.ToLower(owner)
	if len(f.sshKeys[id]) >= MaxKeys {
		return nil, invalid("public_key", "too_many", "an account has at most %d keys: remove one first", MaxKeys)
	}
	key := rpc.Key{Fingerprint: k.Fingerprint, Type: k.Type, Name: name, Email: owner, AddedAt: f.now()}
	f.sshKeys[id] = append(f.sshKeys[id], key)
	return &key, nil
}

// ListKeys returns the caller's keys, or for an operator those of the
// account email names, oldest first.
func (f *Fake) ListKeys(_ context.Context, p rpc.KeyListParams) (*rpc.KeyList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodAuthKeysList, logged); err != nil {
		return nil, err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return nil, err
	}
	owner, err := f.keyOwner(c, p.Email)
	if err != nil {
		return nil, err
	}
	return &rpc.KeyList{Items: append([]rpc.Key{}, f.sshKeys[strings.ToLower(owner)]...)}, nil
}

// RemoveKey removes a key of the caller, or for an operator of the account
// email names.
func (f *Fake) RemoveKey(_ context.Context, p rpc.KeyRemoveParams) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	logged := p
	logged.Token = ""
	if err := f.begin(rpc.MethodAuthKeysRemove, logged); err != nil {
		return err
	}
	c, err := f.caller(p.Token)
	if err != nil {
		return err
	}
	owner, err := f.keyOwner(c, p.Email)
	if err != nil {
		return err
	}
	id := strings.ToLower(owner)
	i := slices.IndexFunc(f.sshKeys[id], func(k rpc.Key) bool { return k.Fingerprint == p.Fingerprint })
	if i < 0 {
		return &rpc.Error{Code: rpc.CodeNotFound, Message: fmt.Sprintf("%s has no key %s", owner, p.Fingerprint), Data: &rpc.ErrorData{Field: "fingerprint"}}
	}
	f.sshKeys[id] = slices.Delete(f.sshKeys[id], i, i+1)
	return nil
}

// PutKey registers line (an authorized_keys line) to the account email,
// named name (the line's comment when empty). It panics when orgd would
// refuse the key: the test is wrong then.
func (f *Fake) PutKey(email, line, name string) rpc.Key {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sync()
	k, err := f.addKey(email, line, name)
	if err != nil {
		panic("remotetest: " + err.Error())
	}
	return *k
}

// KeyUsed records that the key fingerprint logged in at at, as orgd's SSH
// server does; it reports whether there is such a key.
func (f *Fake) KeyUsed(fingerprint string, at time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, keys := range f.sshKeys {
		for i := range keys {
			if keys[i].Fingerprint == fingerprint {
				keys[i].LastUsedAt = &at
				return true
			}
		}
	}
	return false
}

// Keys returns the keys of the account email, oldest first.
func (f *Fake) Keys(email string) []rpc.Key {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sshKeys[strings.ToLower(email)])
}

// KeyLine returns the authorized_keys line of an Ed25519 key made from
// seed (the same seed, the same key), with comment.
func KeyLine(seed byte, comment string) string {
	priv := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), seed))
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		panic(err)
	}
	return line(pub, comment)
}

// RSAKeyLine returns the authorized_keys line of an RSA public key of
// bits bits (not a usable key: only its size matters), with comment.
func RSAKeyLine(bits int, comment string) string {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.Add(n, big.NewInt(0x1234567))
	pub, err := ssh.NewPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		panic(err)
	}
	return line(pub, comment)
}

// DSAKeyLine returns the authorized_keys line of a DSA public key (of the
// only size SSH has, 1024 bits), with comment.
func DSAKeyLine(comment string) string {
	// A real 1024-bit DSA key, made once with crypto/dsa: the SSH library
	// checks a DSA key's parameters before anything can call it weak.
	return strings.TrimSpace(dsaKey + " " + comment)
}

const dsaKey = "ssh-dss AAAAB3NzaC1kc3MAAACBANC4FppdqnpwTQjpSqCf288BBeiwN0J0pAz+c1tab1uPRFy8452+OAK515c9DWF9aJFsvFPUvxJIFIOoa6e6p5kerrwamzYb5wMKfXYE3/mWq6nhd43C2UmOz64TAB6rd93LjTP83R9FU4Sq4gWyiEGI7L+Dsg+ynmrzvZp6s68DAAAAFQCJ/MMOpEoMwv8kI+xSABhVD/CaiQAAAIEAp/Yigmjuj/GmNt2XFoiCaeVyLjWIpaqA43AN2f+8uxj8OsC/QtqgUiIizr3FyPEZTCDdLBL/dHywU+zfLNEq7rsSFB22MkFiNtPXYCAxrygk2xW7Gof9Xwdr62h5jciu81xLBVOQd0ZXX2VGiHPLBnzKdFTqsY8Zh/o0FfY/s5YAAACABuRcxS1Alr5ZJJNISHKQwxa/jinTbavfd4MYFDp1Dhp2hCEE/y+Y0yuxu9ysTm4VY93eYZplmfhGQPmGUPRqikmtfsZjIMwW190bprfGW3p3yaDxApn/snAAE1sIIj8VBylxK1jFb6BcucZVVjN+bcqzi+v4FhKrToAV+OtwmPE="

func line(pub ssh.PublicKey, comment string) string {
	return strings.TrimSpace(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + comment)
}
