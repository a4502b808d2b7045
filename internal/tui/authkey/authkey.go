// Package authkey reads one line of an authorized_keys file the way orgd
// takes an SSH public key (auth.keys.add, SPEC §9): the key's type, its
// SHA256 fingerprint as ssh-keygen -lf prints it, and its comment. It
// refuses, in words a person can act on, what orgd refuses: a line that
// does not parse, more than one key, and weak keys (DSA, RSA under 2048
// bits). It also notices a private key pasted by mistake, so that orgtui
// can drop it before it goes anywhere.
package authkey

import (
	"crypto/rsa"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// MinRSABits is the smallest RSA key orgd accepts.
const MinRSABits = 2048

// Key is a public key read from a line of authorized_keys.
type Key struct {
	// Public is the key.
	Public ssh.PublicKey
	// Type is the key's algorithm: "ssh-ed25519", "ecdsa-sha2-nistp256",
	// "ssh-rsa", …
	Type string
	// Fingerprint is "SHA256:…", as ssh-keygen -lf prints it.
	Fingerprint string
	// Comment is the line's comment (often user@host); empty when there is
	// none.
	Comment string
}

// Reasons a line is refused, as orgd gives them in error.data.reason.
const (
	// ReasonFormat: nothing, not a key line, or more than one key.
	ReasonFormat = "format"
	// ReasonWeak: a DSA key, or an RSA key under MinRSABits bits.
	ReasonWeak = "weak"
	// ReasonPrivate: a private key, pasted by mistake.
	ReasonPrivate = "private_key"
)

// Error says why a line is refused.
type Error struct {
	// Reason is ReasonFormat, ReasonWeak or ReasonPrivate.
	Reason string
	// Message says what to do, in a sentence.
	Message string
}

func (e *Error) Error() string { return e.Message }

func refuse(reason, format string, args ...any) error {
	return &Error{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ErrPrivateKey is returned for text that holds a private key. The text
// must be dropped at once: it must not be shown, kept or sent.
var ErrPrivateKey error = &Error{Reason: ReasonPrivate,
	Message: "this is a private key: never paste it anywhere; paste the public key (the .pub file) instead"}

// Example is what a line of authorized_keys looks like, for messages and
// placeholders.
const Example = "ssh-ed25519 AAAA… you@laptop"

// IsPrivate reports whether text holds (part of) a private key: its PEM
// header or footer.
func IsPrivate(text string) bool { return strings.Contains(text, "PRIVATE KEY") }

// Parse reads line, one line of authorized_keys (a type, the key in
// base64, an optional comment; leading options are read past). The
// errors, each an *Error, say what is wrong: nothing pasted, a private
// key (ErrPrivateKey), not a key line, more than one key, or a weak key.
func Parse(line string) (Key, error) {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return Key{}, refuse(ReasonFormat, "paste a public key: one line such as %s", Example)
	case IsPrivate(line):
		return Key{}, ErrPrivateKey
	}
	pub, comment, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return Key{}, refuse(ReasonFormat, "this is not a public key line; it reads like %s (the .pub file's one line)", Example)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return Key{}, refuse(ReasonFormat, "this holds more than one key: paste one line only")
	}
	k := Key{Public: pub, Type: pub.Type(), Fingerprint: ssh.FingerprintSHA256(pub), Comment: comment}
	if err := Strong(pub); err != nil {
		return Key{}, err
	}
	return k, nil
}

// Strong refuses the keys orgd refuses as weak, with an *Error of
// ReasonWeak: DSA keys, and RSA keys under MinRSABits bits.
func Strong(pub ssh.PublicKey) error {
	switch pub.Type() {
	case ssh.KeyAlgoDSA:
		return refuse(ReasonWeak, "DSA keys (ssh-dss) are weak and not accepted: make an Ed25519 key with ssh-keygen -t ed25519")
	case ssh.KeyAlgoRSA:
		ck, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return nil
		}
		if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < MinRSABits {
			return refuse(ReasonWeak, "this RSA key has %d bits; at least %d are needed (or make an Ed25519 key with ssh-keygen -t ed25519)",
				rk.N.BitLen(), MinRSABits)
		}
	}
	return nil
}
