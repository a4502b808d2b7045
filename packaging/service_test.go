package packaging_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// health is the part of system.health's result the tests look at.
type health struct {
	Status string `json:"status"`
	Store  struct {
		Kind string `json:"kind"`
		OK   bool   `json:"ok"`
	} `json:"store"`
}

// TestSocketActivation runs orgd the way orgd.socket does: another process
// (systemd-socket-activate) owns the listening socket and starts orgd on
// the first connection, handing the socket in.
func TestSocketActivation(t *testing.T) {
	need(t, "systemd-socket-activate")
	bin := orgdBinary(t)
	dir := shortDir(t)
	sock := filepath.Join(dir, "orgd.sock")
	unused := filepath.Join(dir, "unused.sock")
	notify := listenNotify(t, dir)

	// systemd-socket-activate gives the command only the variables named
	// with -E. --listen names another socket, which orgd must not open.
	p := start(t, baseEnv(), "systemd-socket-activate", "--listen="+sock,
		"-E", "NOTIFY_SOCKET="+notify.path,
		bin, "serve", "--data-dir", filepath.Join(dir, "data"), "--listen", "unix://"+unused,
		"--log-format", "json")
	waitForSocket(t, sock, p)

	c := dialRPC(t, sock)
	var h health
	if err := c.call(t, "system.health", nil, &h); err != nil {
		t.Fatalf("system.health over the handed-in socket: %v", err)
	}
	notify.wait(t, "READY=1", 30*time.Second)

	t.Run("orgd answers on the socket it was handed", func(t *testing.T) {
		if h.Status != "ok" || !h.Store.OK || h.Store.Kind != "embedded" {
			t.Errorf("system.health = %+v, want status ok on a working embedded store", h)
		}
	})
	t.Run("orgd opens no socket of its own", func(t *testing.T) {
		if _, err := os.Stat(unused); err == nil {
			t.Errorf("orgd created %s (its --listen) although a socket was handed in", unused)
		}
	})
	t.Run("orgd logs that it was activated", func(t *testing.T) {
		// systemd-socket-activate writes a few plain lines of its own first.
		var orgdLog []string
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			if strings.HasPrefix(line, "{") {
				orgdLog = append(orgdLog, line)
			}
		}
		ready := findLog(logLines(t, strings.Join(orgdLog, "\n")), "orgd ready")
		if ready == nil || ready["activated"] != true {
			t.Errorf(`"orgd ready" log record = %v, want activated=true`, ready)
		}
	})
	t.Run("SIGTERM stops orgd with exit code 0", func(t *testing.T) {
		if code := p.stop(t); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
		notify.wait(t, "STOPPING=1", 5*time.Second)
	})
}

// TestNotify checks orgd's part of Type=notify: READY=1 once it serves,
// STOPPING=1 on SIGTERM, and exit code 0.
func TestNotify(t *testing.T) {
	bin := orgdBinary(t)
	dir := shortDir(t)
	sock := filepath.Join(dir, "orgd.sock")
	notify := listenNotify(t, dir)
	env := append(baseEnv(), "NOTIFY_SOCKET="+notify.path)
	p := start(t, env, bin, "serve", "--data-dir", filepath.Join(dir, "data"), "--listen", "unix://"+sock)

	notify.wait(t, "READY=1", 60*time.Second)
	t.Run("READY=1 comes once orgd serves", func(t *testing.T) {
		var h health
		if err := dialRPC(t, sock).call(t, "system.health", nil, &h); err != nil || h.Status != "ok" {
			t.Errorf("system.health right after READY=1: %+v, %v", h, err)
		}
	})
	t.Run("SIGTERM sends STOPPING=1 and exits 0", func(t *testing.T) {
		if code := p.stop(t); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
		notify.wait(t, "STOPPING=1", 5*time.Second)
	})
}

// TestLogs checks the log lines: JSON that parses, one debug line per
// request, one info line per state change, no time stamp under journald,
// and no password or token anywhere.
func TestLogs(t *testing.T) {
	bin := orgdBinary(t)
	const (
		operatorPassword = "operator-secret-1"
		adminPassword    = "admin-secret-2"
	)

	// runOrgd serves on a fresh store, bootstraps an operator, creates an
	// organization, stops, and returns the log and the token it saw.
	runOrgd := func(t *testing.T, format string, journal bool) (log, token string) {
		t.Helper()
		dir := shortDir(t)
		sock := filepath.Join(dir, "orgd.sock")
		env := baseEnv()
		if journal {
			env = append(env, "JOURNAL_STREAM=8:12345")
		}
		p := start(t, env, bin, "serve", "--data-dir", filepath.Join(dir, "data"), "--listen", "unix://"+sock,
			"--log-format", format, "--log-level", "debug", "--bcrypt-cost", "10")
		waitForSocket(t, sock, p)
		c := dialRPC(t, sock)
		var sess struct {
			Token string `json:"token"`
		}
		if err := c.call(t, "auth.bootstrap", map[string]any{"email": "ops@example.com", "password": operatorPassword}, &sess); err != nil {
			t.Fatalf("auth.bootstrap: %v", err)
		}
		if err := c.call(t, "org.create", map[string]any{"token": sess.Token, "name": "Müller GmbH",
			"admin_email": "it@mueller.example", "admin_password": adminPassword}, nil); err != nil {
			t.Fatalf("org.create: %v", err)
		}
		if code := p.stop(t); code != 0 {
			t.Fatalf("exit code %d after SIGTERM", code)
		}
		return p.stderr.String(), sess.Token
	}

	t.Run("JSON logs", func(t *testing.T) {
		log, token := runOrgd(t, "json", false)
		lines := logLines(t, log)
		t.Run("every line parses and has a time, a level and a message", func(t *testing.T) {
			if len(lines) == 0 {
				t.Fatal("no log lines")
			}
			for _, l := range lines {
				if l["time"] == nil || l["level"] == nil || l["msg"] == nil {
					t.Errorf("log record %v lacks time, level or msg", l)
				}
			}
		})
		t.Run("each request gets one debug line", func(t *testing.T) {
			for _, method := range []string{"auth.bootstrap", "org.create"} {
				n := 0
				for _, l := range lines {
					if l["msg"] == "request" && l["method"] == method {
						n++
						if l["level"] != "DEBUG" {
							t.Errorf("request line %v is not at debug level", l)
						}
					}
				}
				if n != 1 {
					t.Errorf("%d request lines for %s, want 1", n, method)
				}
			}
		})
		t.Run("state changes are logged at info", func(t *testing.T) {
			for _, msg := range []string{"orgd ready", "first operator created", "organization created", "orgd stopped"} {
				l := findLog(lines, msg)
				if l == nil || l["level"] != "INFO" {
					t.Errorf("log record %q = %v, want one at INFO", msg, l)
				}
			}
		})
		t.Run("no password or token is logged", func(t *testing.T) {
			for _, secret := range []string{operatorPassword, adminPassword, token, "$2a$", "$2b$"} {
				if secret != "" && strings.Contains(log, secret) {
					t.Errorf("the log contains a secret (%.12s…)", secret)
				}
			}
		})
	})

	t.Run("under journald the journal's time stamp is the only one", func(t *testing.T) {
		t.Run("in JSON", func(t *testing.T) {
			log, _ := runOrgd(t, "json", true)
			for _, l := range logLines(t, log) {
				if _, has := l["time"]; has {
					t.Errorf("log record %v has a time although JOURNAL_STREAM is set", l)
				}
			}
		})
		t.Run("in text", func(t *testing.T) {
			log, _ := runOrgd(t, "text", true)
			for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
				if strings.Contains(line, "time=") || !strings.HasPrefix(line, "level=") {
					t.Errorf("log line %q: want it to start with level= and carry no time=", line)
				}
			}
		})
	})
}
