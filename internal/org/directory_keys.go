package org

import (
	"cmp"
	"slices"
	"time"
)

// keyEntry is a key and when the directory got it.
type keyEntry struct {
	key Key
	seq uint64
}

func byAdded(a, b *keyEntry) int {
	if c := a.key.AddedAt.Compare(b.key.AddedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.key.Fingerprint, b.key.Fingerprint)
}

// PutKey adds or replaces an SSH key.
func (d *Directory) PutKey(k Key) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putKeyLocked(k)
}

func (d *Directory) putKeyLocked(k Key) {
	if old := d.keys[k.Fingerprint]; old != nil {
		if k.LastUsedAt.Before(old.key.LastUsedAt) {
			k.LastUsedAt = old.key.LastUsedAt
		}
		d.unlinkKeyLocked(old)
	}
	d.seq++
	ke := &keyEntry{key: k, seq: d.seq}
	d.keys[k.Fingerprint] = ke
	list := d.accountKeys[k.AccountID]
	i, _ := slices.BinarySearchFunc(list, ke, byAdded)
	d.accountKeys[k.AccountID] = slices.Insert(list, i, ke)
}

func (d *Directory) unlinkKeyLocked(ke *keyEntry) {
	delete(d.keys, ke.key.Fingerprint)
	list := slices.DeleteFunc(d.accountKeys[ke.key.AccountID], func(x *keyEntry) bool { return x == ke })
	if len(list) == 0 {
		delete(d.accountKeys, ke.key.AccountID)
	} else {
		d.accountKeys[ke.key.AccountID] = list
	}
}

// RemoveKey forgets the SSH key with fingerprint.
func (d *Directory) RemoveKey(fingerprint string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ke := d.keys[fingerprint]; ke != nil {
		d.unlinkKeyLocked(ke)
	}
}

// removeKeysOfLocked forgets the keys of a removed account.
func (d *Directory) removeKeysOfLocked(accountID string) {
	for _, ke := range d.accountKeys[accountID] {
		delete(d.keys, ke.key.Fingerprint)
	}
	delete(d.accountKeys, accountID)
}

// Key returns the SSH key with fingerprint.
func (d *Directory) Key(fingerprint string) (Key, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ke, ok := d.keys[fingerprint]
	if !ok {
		return Key{}, false
	}
	return ke.key, true
}

// KeysOf returns the SSH keys of the account with id, oldest first.
func (d *Directory) KeysOf(accountID string) []Key {
	d.mu.RLock()
	defer d.mu.RUnlock()
	list := d.accountKeys[accountID]
	out := make([]Key, len(list))
	for i, ke := range list {
		out[i] = ke.key
	}
	return out
}

// Keys returns every SSH key.
func (d *Directory) Keys() []Key {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Key, 0, len(d.keys))
	for _, ke := range d.keys {
		out = append(out, ke.key)
	}
	return out
}

// TouchKey records when an SSH key last logged in.
func (d *Directory) TouchKey(fingerprint string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ke := d.keys[fingerprint]; ke != nil && at.After(ke.key.LastUsedAt) {
		ke.key.LastUsedAt = at
	}
}

// replaceKeysLocked swaps the keys for a fresh load, read after Seq
// returned asOf, keeping those put since.
func (d *Directory) replaceKeysLocked(keys []Key, asOf uint64) {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		seen[k.Fingerprint] = true
		if old := d.keys[k.Fingerprint]; old != nil && old.key.AccountID == k.AccountID && old.key.Name == k.Name {
			continue
		}
		d.putKeyLocked(k)
	}
	for fp, ke := range d.keys {
		if !seen[fp] && ke.seq <= asOf {
			d.unlinkKeyLocked(ke)
		}
	}
}
