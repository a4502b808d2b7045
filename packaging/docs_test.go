package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientVars are the ORGD_ variables that clients read, not orgd serve.
var clientVars = map[string]bool{"ORGD_ADDR": true, "ORGD_TOKEN": true}

// TestOperationsGuide keeps docs/operations.md in step with orgd: the
// settings and commands it names exist, and the steps that this machine
// can carry out work as written.
func TestOperationsGuide(t *testing.T) {
	guide := readRepoFile(t, "docs/operations.md")
	bin := orgdBinary(t)

	t.Run("every ORGD_ variable in the guide is a setting", func(t *testing.T) {
		flags := map[string]bool{}
		for _, f := range serveFlags(t) {
			flags[envVar(f.name)] = true
		}
		for _, v := range regexp.MustCompile(`ORGD_[A-Z_]+[A-Z]`).FindAllString(guide, -1) {
			if !flags[v] && !clientVars[v] {
				t.Errorf("the guide names %s, which orgd does not read", v)
			}
		}
	})

	t.Run("every orgd command in the guide exists", func(t *testing.T) {
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`\borgd ([a-z][a-z-]*[a-z])( [a-z][a-z-]*)?`).FindAllStringSubmatch(guide, -1) {
			cmd := m[1]
			if cmd == "operator" {
				cmd += m[2]
			}
			switch m[1] {
			case "serve", "call", "export", "import", "operator", "check", "ssh-host-key", "version", "completion":
			default:
				continue // prose: "orgd keeps", "orgd needs"
			}
			if seen[cmd] {
				continue
			}
			seen[cmd] = true
			if out, err := exec.Command(bin, append(strings.Fields(cmd), "--help")...).CombinedOutput(); err != nil {
				t.Errorf("orgd %s --help: %v\n%s", cmd, err, out)
			}
		}
		for _, want := range []string{"call", "check", "operator create", "operator reset-password", "ssh-host-key"} {
			if !seen[want] {
				t.Errorf("the guide never shows orgd %s", want)
			}
		}
	})

	t.Run("a signing key made with openssl genpkey is one orgd takes", func(t *testing.T) {
		need(t, "openssl")
		dir := shortDir(t)
		key := filepath.Join(dir, "jwt.key")
		output(t, "openssl", "genpkey", "-algorithm", "ed25519", "-out", key)
		if err := os.Chmod(key, 0o640); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(dir, "orgd.sock")
		p := start(t, baseEnv(), bin, "serve", "--data-dir", filepath.Join(dir, "data"), "--listen", "unix://"+sock,
			"--jwt-key-file", key, "--bcrypt-cost", "10")
		waitForSocket(t, sock, p)
		c := dialRPC(t, sock)
		var sess struct {
			Token string `json:"token"`
		}
		if err := c.call(t, "auth.bootstrap", map[string]any{"email": "ops@example.com", "password": "a long passphrase"}, &sess); err != nil {
			t.Fatalf("auth.bootstrap: %v", err)
		}
		var who struct {
			Role string `json:"role"`
		}
		if err := c.call(t, "auth.whoami", map[string]any{"token": sess.Token}, &who); err != nil || who.Role != "operator" {
			t.Errorf("auth.whoami with a token signed by the openssl key: %+v, %v", who, err)
		}
	})

	t.Run("a certificate made with the guide's openssl command serves TLS that orgd call trusts through SSL_CERT_FILE", func(t *testing.T) {
		need(t, "openssl")
		dir := shortDir(t)
		cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		output(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "825",
			"-subj", "/CN=orgd", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert)
		port := strconv.Itoa(freePort(t))
		sock := filepath.Join(dir, "orgd.sock")
		p := start(t, baseEnv(), bin, "serve", "--data-dir", filepath.Join(dir, "data"),
			"--listen", "unix://"+sock+",tcp://127.0.0.1:"+port, "--tls-cert", cert, "--tls-key", key)
		waitForSocket(t, sock, p)

		call := func(extraEnv ...string) (string, error) {
			cmd := exec.Command(bin, "call", "--addr", "tls://localhost:"+port, "system.health")
			cmd.Env = append(baseEnv(), extraEnv...)
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		var out string
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if out, err = call("SSL_CERT_FILE=" + cert); err == nil {
				break
			}
		}
		if err != nil || !strings.Contains(out, `"status": "ok"`) {
			t.Errorf("orgd call --addr tls://localhost:%s with SSL_CERT_FILE: %v\n%s", port, err, out)
		}
		if out, err := call("SSL_CERT_FILE=/dev/null", "SSL_CERT_DIR=/nonexistent"); err == nil {
			t.Errorf("orgd call trusted a self-signed certificate it was not given:\n%s", out)
		}
	})
}
