package rpc

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SocketName is the file name of orgd's Unix socket.
const SocketName = "orgd.sock"

// SystemSocket is the socket of a system-wide orgd, run by root or systemd.
const SystemSocket = "/run/orgd/" + SocketName

// DefaultSocket is where orgd listens when no --listen is given:
// /run/orgd/orgd.sock for root, $XDG_RUNTIME_DIR/orgd/orgd.sock for anyone
// else (a private directory under the temporary directory when
// XDG_RUNTIME_DIR is unset).
func DefaultSocket() string {
	if os.Geteuid() == 0 {
		return SystemSocket
	}
	return filepath.Join(UserRuntimeDir(), SocketName)
}

// UserRuntimeDir is $XDG_RUNTIME_DIR/orgd, or /tmp/orgd-UID when
// XDG_RUNTIME_DIR is unset.
func UserRuntimeDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "orgd")
	}
	return filepath.Join(os.TempDir(), "orgd-"+strconv.Itoa(os.Geteuid()))
}

// DefaultAddr is the address clients use without --addr or ORGD_ADDR: the
// user's own orgd if its socket exists, else the system orgd's socket if it
// exists, else DefaultSocket.
func DefaultAddr() string {
	return "unix://" + firstSocket(os.Stat, DefaultSocket(), SystemSocket)
}

// firstSocket returns the first of paths that exists, or the first path when
// none does. A path that cannot be looked at for want of permission counts
// as existing: the system socket's directory is open to group orgd only, and
// a person outside it should hear "permission denied" about that socket,
// not "no such file" about their own.
func firstSocket(stat func(string) (os.FileInfo, error), paths ...string) string {
	for _, p := range paths {
		if _, err := stat(p); err == nil || errors.Is(err, fs.ErrPermission) {
			return p
		}
	}
	return paths[0]
}

// ResolveAddr picks the daemon address: flag if set, else $ORGD_ADDR, else
// DefaultAddr.
func ResolveAddr(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("ORGD_ADDR"); env != "" {
		return env
	}
	return DefaultAddr()
}

// Addr is a parsed daemon address.
type Addr struct {
	// Network is "unix" or "tcp".
	Network string
	// Address is a socket path or host:port.
	Address string
	// TLS is set for tls:// addresses.
	TLS bool
}

func (a Addr) String() string {
	switch {
	case a.Network == "unix":
		return "unix://" + a.Address
	case a.TLS:
		return "tls://" + a.Address
	}
	return "tcp://" + a.Address
}

// ParseAddr parses unix:///path/to/orgd.sock (or a bare path),
// tcp://host:port (plain, for loopback) and tls://host:port.
func ParseAddr(s string) (Addr, error) {
	if s == "" {
		return Addr{}, errors.New("empty address")
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return Addr{Network: "unix", Address: s}, nil
	}
	// After unix:// comes the socket's path as it is: a path may hold "#",
	// "?" or "%", which a URL parser would take for something else.
	if len(s) >= len("unix://") && strings.EqualFold(s[:len("unix://")], "unix://") {
		if s[len("unix://"):] == "" {
			return Addr{}, fmt.Errorf("address %q: no socket path", s)
		}
		return Addr{Network: "unix", Address: s[len("unix://"):]}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Addr{}, fmt.Errorf("address %q: %w", s, err)
	}
	switch u.Scheme {
	case "unix": // unix:/path, without the slashes
		if u.Path == "" {
			return Addr{}, fmt.Errorf("address %q: no socket path", s)
		}
		return Addr{Network: "unix", Address: u.Path}, nil
	case "tcp", "tls":
		if u.Host == "" || u.Port() == "" {
			return Addr{}, fmt.Errorf("address %q: want %s://host:port", s, u.Scheme)
		}
		return Addr{Network: "tcp", Address: u.Host, TLS: u.Scheme == "tls"}, nil
	}
	return Addr{}, fmt.Errorf("address %q: scheme must be unix, tcp or tls", s)
}
