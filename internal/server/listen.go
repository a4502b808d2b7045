package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"

	"github.com/orgd/orgd/rpc"
)

// Socket file and directory modes.
const (
	SocketMode    = 0o660
	SocketDirMode = 0o750
)

// ListenOptions configure Listen.
type ListenOptions struct {
	// TLS, when set, wraps TCP listeners.
	TLS *tls.Config
	// InsecureTCP allows plain TCP on an address that is not loopback.
	InsecureTCP bool
}

// Listen opens a listener for addr: unix:///path (or a bare path) or
// tcp://host:port. A Unix socket's directory is created with mode 0750 and
// the socket gets mode 0660. A stale socket file (nobody answers on it) is
// replaced; a live one means another orgd serves there, and Listen fails.
// Plain TCP is refused on addresses other than loopback unless
// InsecureTCP is set.
func Listen(ctx context.Context, addr string, o ListenOptions) (net.Listener, error) {
	a, err := rpc.ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	if a.Network == "unix" {
		return listenUnix(ctx, a.Address)
	}
	if a.TLS {
		return nil, fmt.Errorf("listen %s: use tcp:// with --tls-cert and --tls-key to serve TLS", addr)
	}
	host, _, err := net.SplitHostPort(a.Address)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if o.TLS == nil && !o.InsecureTCP && !isLoopback(host) {
		return nil, fmt.Errorf("listen %s: refusing plain TCP on a non-loopback address; give --tls-cert and --tls-key, or --insecure-tcp", addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.Address)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	return ln, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func listenUnix(ctx context.Context, path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, SocketDirMode); err != nil {
			return nil, fmt.Errorf("socket directory: %w", err)
		}
		// MkdirAll honours the umask; the mode is part of the contract.
		if err := os.Chmod(dir, SocketDirMode); err != nil {
			return nil, fmt.Errorf("socket directory: %w", err)
		}
	}
	if err := removeStaleSocket(ctx, path); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("socket mode: %w", err)
	}
	return ln, nil
}

// removeStaleSocket removes the socket file at path if nobody answers on
// it. It fails if someone does, or if the file is not a socket.
func removeStaleSocket(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; remove it or choose another --listen", path)
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("another orgd is already serving on %s", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("socket %s: cannot tell whether it is in use: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket %s: %w", path, err)
	}
	return nil
}

// Activated returns the listeners systemd passed in (socket activation),
// TCP ones wrapped in TLS when o.TLS is set. As with Listen, plain TCP on
// an address other than loopback is refused unless o.InsecureTCP is set.
// None when orgd was not socket-activated.
func Activated(o ListenOptions) ([]net.Listener, error) {
	lns, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("systemd socket activation: %w", err)
	}
	out := lns[:0]
	for _, ln := range lns {
		if ln == nil {
			continue // not a stream socket
		}
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
			switch {
			case o.TLS != nil:
				ln = tls.NewListener(ln, o.TLS)
			case !o.InsecureTCP && !tcp.IP.IsLoopback():
				for _, l := range lns {
					if l != nil {
						l.Close()
					}
				}
				return nil, fmt.Errorf("systemd passed a TCP socket on %s: refusing plain TCP on a non-loopback address; give --tls-cert and --tls-key, or --insecure-tcp", tcp)
			}
		}
		out = append(out, ln)
	}
	return out, nil
}
