package packaging_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "orgd test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(parsed)
	return cert, key, pool
}

// freePort returns a TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestActivatedTCP hands orgd a TCP socket on every interface, as a
// ListenStream=7443 drop-in for orgd.socket does. Only loopback is ever
// dialled.
func TestActivatedTCP(t *testing.T) {
	need(t, "systemd-socket-activate")
	bin := orgdBinary(t)

	t.Run("plain TCP on every interface is refused", func(t *testing.T) {
		dir := shortDir(t)
		port := strconv.Itoa(freePort(t))
		p := start(t, baseEnv(), "systemd-socket-activate", "--listen=0.0.0.0:"+port,
			bin, "serve", "--data-dir", filepath.Join(dir, "data"))
		var c net.Conn
		var err error
		for i := 0; i < 100; i++ {
			if c, err = net.Dial("tcp", "127.0.0.1:"+port); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer c.Close()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Fatal("orgd still runs on a plain TCP socket bound to every interface")
		}
		if code := p.cmd.ProcessState.ExitCode(); code == 0 {
			t.Errorf("exit code 0, want a failure")
		}
		if !strings.Contains(p.stderr.String(), "refusing plain TCP") {
			t.Errorf("the log does not say why orgd stopped:\n%s", p.stderr.String())
		}
	})

	t.Run("with a certificate orgd serves TLS on it", func(t *testing.T) {
		dir := shortDir(t)
		cert, key, pool := selfSigned(t, dir)
		port := strconv.Itoa(freePort(t))
		p := start(t, baseEnv(), "systemd-socket-activate", "--listen=0.0.0.0:"+port,
			"-E", "ORGD_TLS_CERT="+cert, "-E", "ORGD_TLS_KEY="+key,
			bin, "serve", "--data-dir", filepath.Join(dir, "data"))
		var c net.Conn
		var err error
		for i := 0; i < 100; i++ {
			d := &net.Dialer{Timeout: 30 * time.Second}
			if c, err = tls.DialWithDialer(d, "tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		var h health
		if err := newRPC(t, c).call(t, "system.health", nil, &h); err != nil || h.Status != "ok" {
			t.Errorf("system.health over TLS: %+v, %v", h, err)
		}
		if code := p.stop(t); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
	})
}
