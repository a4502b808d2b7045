package testenv

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// SuitePasswords returns the passwords the tests send to the daemons they
// start: a log line holding one of them is a leak. A test that sends
// another names it in Options.Secrets, or adds it to the daemon's LogScan.
func SuitePasswords() []string {
	return []string{
		"operator-password", "admin-password", "wrong-password", "whatever-password",
		"a-new-password", "acme-password", "beta-password", "second-password",
	}
}

// secretPatterns are secrets whatever their value: a bcrypt hash, a JWT
// (its header and payload both start as base64 of '{"'), a PEM private key.
var secretPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"a bcrypt hash", regexp.MustCompile(`\$2[abxy]\$\d\d\$`)},
	{"a JWT", regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.`)},
	{"a private key", regexp.MustCompile(`PRIVATE KEY`)},
}

// LogScanner is an io.Writer for a daemon's log that looks at every line
// for a password, hash or token: bcrypt hashes, JWTs and private keys by
// their shape, passwords by the values it was told. It is safe for
// concurrent use.
type LogScanner struct {
	mu      sync.Mutex
	partial []byte
	secrets []string
	lines   int
	leaks   []string
}

// NewLogScanner returns a scanner that knows the passwords secrets, and
// those of SuitePasswords.
func NewLogScanner(secrets ...string) *LogScanner {
	s := &LogScanner{}
	for _, p := range append(SuitePasswords(), secrets...) {
		s.AddSecret(p)
	}
	return s
}

// AddSecret makes s look for secret too. Empty secrets are ignored.
func (s *LogScanner) AddSecret(secret string) {
	if secret == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, secret)
}

// Write scans the complete lines in p, keeping a last incomplete one for
// the next write.
func (s *LogScanner) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.scanLocked(string(s.partial[:i]))
		s.partial = s.partial[i+1:]
	}
	return len(p), nil
}

func (s *LogScanner) scanLocked(line string) {
	s.lines++
	redacted, kinds := line, []string(nil)
	for _, p := range secretPatterns {
		if p.re.MatchString(redacted) {
			kinds = append(kinds, p.kind)
			redacted = p.re.ReplaceAllLiteralString(redacted, "[REDACTED]")
		}
	}
	for _, secret := range s.secrets {
		if strings.Contains(redacted, secret) {
			kinds = append(kinds, "a password")
			redacted = strings.ReplaceAll(redacted, secret, "[REDACTED]")
		}
	}
	if kinds != nil {
		s.leaks = append(s.leaks, fmt.Sprintf("%s in: %s", strings.Join(kinds, " and "), redacted))
	}
}

// Lines returns how many complete lines s has scanned.
func (s *LogScanner) Lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// Leaks returns a description of every line that held a secret, the
// secret itself redacted. A last line without its newline is scanned too.
func (s *LogScanner) Leaks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.partial) > 0 {
		s.scanLocked(string(s.partial))
		s.partial = nil
	}
	return append([]string(nil), s.leaks...)
}

// WatchLog returns a scanner for a daemon's log that fails t, when the
// test ends, if a line held a secret. Create it before the daemon, so that
// its check runs after the daemon has stopped and written its last line.
func WatchLog(t testing.TB, secrets ...string) *LogScanner {
	t.Helper()
	s := NewLogScanner(secrets...)
	t.Cleanup(func() { reportLeaks(t, s) })
	return s
}

func reportLeaks(t testing.TB, s *LogScanner) {
	t.Helper()
	for _, leak := range s.Leaks() {
		t.Errorf("orgd logged a secret: %s", leak)
	}
}
