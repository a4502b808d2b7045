package rpc_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/orgd/orgd/rpc"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want rpc.Addr
	}{
		{"a unix URL with an absolute path", "unix:///run/orgd/orgd.sock", rpc.Addr{Network: "unix", Address: "/run/orgd/orgd.sock"}},
		{"a bare absolute path", "/run/orgd/orgd.sock", rpc.Addr{Network: "unix", Address: "/run/orgd/orgd.sock"}},
		{"a bare relative path", "./.orgd/orgd.sock", rpc.Addr{Network: "unix", Address: "./.orgd/orgd.sock"}},
		{"a bare path up a directory", "../orgd.sock", rpc.Addr{Network: "unix", Address: "../orgd.sock"}},
		{"a unix URL with a relative path", "unix://.orgd/orgd.sock", rpc.Addr{Network: "unix", Address: ".orgd/orgd.sock"}},
		{"a unix URL with a dotted relative path", "unix://./orgd.sock", rpc.Addr{Network: "unix", Address: "./orgd.sock"}},
		{"a path with a space", "unix:///tmp/my dir/orgd.sock", rpc.Addr{Network: "unix", Address: "/tmp/my dir/orgd.sock"}},
		{"a path with a hash", "unix:///tmp/a#b/orgd.sock", rpc.Addr{Network: "unix", Address: "/tmp/a#b/orgd.sock"}},
		{"a path with a question mark", "unix:///tmp/a?b/orgd.sock", rpc.Addr{Network: "unix", Address: "/tmp/a?b/orgd.sock"}},
		{"a path with a percent sign", "unix:///tmp/100%/orgd.sock", rpc.Addr{Network: "unix", Address: "/tmp/100%/orgd.sock"}},
		{"a scheme in capitals", "UNIX:///run/orgd.sock", rpc.Addr{Network: "unix", Address: "/run/orgd.sock"}},
		{"plain TCP", "tcp://127.0.0.1:7070", rpc.Addr{Network: "tcp", Address: "127.0.0.1:7070"}},
		{"TCP to a host name", "tcp://localhost:7070", rpc.Addr{Network: "tcp", Address: "localhost:7070"}},
		{"TCP to IPv6", "tcp://[::1]:7070", rpc.Addr{Network: "tcp", Address: "[::1]:7070"}},
		{"TLS", "tls://orgd.example.com:7443", rpc.Addr{Network: "tcp", Address: "orgd.example.com:7443", TLS: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rpc.ParseAddr(tt.in)
			if err != nil {
				t.Fatalf("ParseAddr(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseAddr(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseAddrRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		says string
	}{
		{"an empty address", "", "empty"},
		{"a unix URL without a path", "unix://", "no socket path"},
		{"http", "http://localhost:7070", "scheme must be unix, tcp or tls"},
		{"a host and port without a scheme", "localhost:7070", "scheme"},
		{"a bare file name", "orgd.sock", "scheme"},
		{"TCP without a port", "tcp://localhost", "want tcp://host:port"},
		{"TCP with an empty port", "tcp://localhost:", "want tcp://host:port"},
		{"TLS without a port", "tls://orgd.example.com", "want tls://host:port"},
		{"TCP without a host or port", "tcp://", "want tcp://host:port"},
		{"a port that is not a number", "tcp://localhost:http", "tcp://localhost:http"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			a, err := rpc.ParseAddr(tt.in)
			if err == nil {
				t.Fatalf("ParseAddr(%q) = %+v, want an error", tt.in, a)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("ParseAddr(%q): %q does not say %q", tt.in, err, tt.says)
			}
		})
	}
}

func TestAddrString(t *testing.T) {
	tests := []struct {
		name string
		addr rpc.Addr
		want string
	}{
		{"a socket is a unix URL", rpc.Addr{Network: "unix", Address: "/run/orgd.sock"}, "unix:///run/orgd.sock"},
		{"TCP is a tcp URL", rpc.Addr{Network: "tcp", Address: "127.0.0.1:7070"}, "tcp://127.0.0.1:7070"},
		{"TLS is a tls URL", rpc.Addr{Network: "tcp", Address: "h:1", TLS: true}, "tls://h:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.addr.String(); got != tt.want {
				t.Fatalf("String = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzParseAddr checks that ParseAddr never panics, and that what it
// accepts is a usable address that its String form names again: a socket
// announced as unix://PATH must be the one clients reach with that URL.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{
		"unix:///run/orgd/orgd.sock", "/run/orgd.sock", "./orgd.sock", "unix://rel/orgd.sock", "tcp://127.0.0.1:7070",
		"tls://[::1]:7443", "tcp://h", "unix://", "http://x:1", "/tmp/a#b", "/tmp/a?b", "/tmp/%zz", "unix:rel", "tcp://u@h:1/p?q#f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := rpc.ParseAddr(s)
		if err != nil {
			return
		}
		switch {
		case a.Network != "unix" && a.Network != "tcp":
			t.Fatalf("ParseAddr(%q): network %q", s, a.Network)
		case a.Address == "":
			t.Fatalf("ParseAddr(%q): no address", s)
		case a.TLS && a.Network != "tcp":
			t.Fatalf("ParseAddr(%q): TLS over %s", s, a.Network)
		}
		again, err := rpc.ParseAddr(a.String())
		if err != nil || again != a {
			t.Fatalf("ParseAddr(%q) = %+v, but ParseAddr(%q) = %+v, %v", s, a, a.String(), again, err)
		}
	})
}

func TestFirstSocketPrefersWhatExistsAndCountsDeniedAsThere(t *testing.T) {
	stat := func(found map[string]error) func(string) (os.FileInfo, error) {
		return func(p string) (os.FileInfo, error) {
			if err, ok := found[p]; ok {
				return nil, err
			}
			return nil, fs.ErrNotExist
		}
	}
	tests := []struct {
		name  string
		found map[string]error
		want  string
	}{
		{"the user's own socket first", map[string]error{"/own": nil, "/system": nil}, "/own"},
		{"else the system socket", map[string]error{"/system": nil}, "/system"},
		{"a system socket outside the user's groups", map[string]error{"/system": fs.ErrPermission}, "/system"},
		{"a denied system socket still comes after the user's own", map[string]error{"/own": nil, "/system": fs.ErrPermission}, "/own"},
		{"neither: the user's own, where their orgd would listen", nil, "/own"},
		{"another failure is not existence", map[string]error{"/system": errors.New("I/O error")}, "/own"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rpc.FirstSocket(stat(tt.found), "/own", "/system"); got != tt.want {
				t.Fatalf("firstSocket = %s, want %s", got, tt.want)
			}
		})
	}
}
