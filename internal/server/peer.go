package server

import (
	"crypto/tls"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/orgd/orgd/internal/org"
)

// peerOf tells who is at the other end of nc: on a Unix socket, the uid the
// kernel reports (SO_PEERCRED), trusted when it is root or orgd's own; on
// TCP, the IP address, never trusted.
func peerOf(nc net.Conn) org.Peer {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	switch c := nc.(type) {
	case *net.UnixConn:
		uid, ok := peerUID(c)
		if !ok {
			return org.Peer{Key: "uid:unknown"}
		}
		return org.Peer{Key: "uid:" + strconv.Itoa(uid), Trusted: uid == 0 || uid == os.Geteuid()}
	case *net.TCPConn:
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			return org.Peer{Key: "ip:" + a.IP.String()}
		}
	}
	return org.Peer{Key: "unknown"}
}

func peerUID(c *net.UnixConn) (int, bool) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *unix.Ucred
	var cerr error
	err = raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cerr != nil {
		return 0, false
	}
	return int(cred.Uid), true
}

// hangupProbe returns a function that reports whether the client at the
// other end of a Unix socket has closed it both ways. Over TCP a hang-up
// looks like a half-close until orgd writes, so the probe says no.
func hangupProbe(nc net.Conn) func() bool {
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		return func() bool { return false }
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return func() bool { return false }
	}
	return func() bool {
		gone := false
		_ = raw.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLRDHUP}}
			n, err := unix.Poll(fds, 0)
			gone = err == nil && n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
		})
		return gone
	}
}
