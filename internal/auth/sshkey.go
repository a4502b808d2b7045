package auth

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// MinRSABits is the smallest RSA key ParsePublicKey accepts.
const MinRSABits = 2048

// PublicKey is an SSH public key as orgd keeps it: what ssh-keygen -lf
// shows of it, and the key itself in SSH wire form.
type PublicKey struct {
	// Type is the key's algorithm: ssh-ed25519, ecdsa-sha2-nistp256, …
	Type string
	// Fingerprint is "SHA256:" and the unpadded base64 of the SHA-256 of
	// the key, as ssh-keygen -lf prints it.
	Fingerprint string
	// Comment is the comment of its authorized_keys line, if any.
	Comment string
	// Wire is the key in SSH wire form (ssh.PublicKey.Marshal).
	Wire []byte
}

// ErrKey marks a key line that is not one orgd takes; the message says why.
var ErrKey = errors.New("not an SSH public key orgd takes")

// ParsePublicKey reads one line of authorized_keys: a key type, the key in
// base64, and an optional comment (options before the type, as
// authorized_keys allows, are refused: they mean nothing here). DSA keys
// and RSA keys under MinRSABits are refused. Errors wrap ErrKey.
func ParsePublicKey(line string) (PublicKey, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return PublicKey{}, fmt.Errorf("%w: the line is empty", ErrKey)
	}
	if strings.ContainsAny(line, "\r\n") {
		return PublicKey{}, fmt.Errorf("%w: give one key, on one line", ErrKey)
	}
	key, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	switch {
	case err != nil:
		return PublicKey{}, fmt.Errorf("%w: it does not read as an authorized_keys line (type, key in base64, comment), like the .pub file ssh-keygen writes", ErrKey)
	case len(options) > 0:
		return PublicKey{}, fmt.Errorf("%w: options before the key type (%s) mean nothing to orgd; give the line without them", ErrKey, strings.Join(options, ","))
	case len(rest) > 0:
		return PublicKey{}, fmt.Errorf("%w: give one key, on one line", ErrKey)
	}
	if err := checkStrength(key); err != nil {
		return PublicKey{}, err
	}
	return PublicKey{Type: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Comment: comment, Wire: key.Marshal()}, nil
}

// checkStrength refuses DSA keys and short RSA keys.
func checkStrength(key ssh.PublicKey) error {
	switch key.Type() {
	case ssh.KeyAlgoDSA: //nolint:staticcheck // named to be refused
		return fmt.Errorf("%w: DSA keys are too weak; make an ed25519 key (ssh-keygen -t ed25519)", ErrKey)
	case ssh.KeyAlgoRSA:
		ck, ok := key.(ssh.CryptoPublicKey)
		if !ok {
			return fmt.Errorf("%w: the RSA key cannot be read", ErrKey)
		}
		if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < MinRSABits {
			return fmt.Errorf("%w: the RSA key has %d bits; at least %d are needed (or make an ed25519 key)", ErrKey, rk.N.BitLen(), MinRSABits)
		}
	}
	return nil
}

// ParseWireKey reads a key in SSH wire form, as kept in PublicKey.Wire.
func ParseWireKey(wire []byte) (ssh.PublicKey, error) {
	return ssh.ParsePublicKey(wire)
}
