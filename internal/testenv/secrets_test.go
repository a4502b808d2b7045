package testenv

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/orgd/orgd/internal/auth"
)

func TestLogScannerFindsPlantedSecrets(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("planted-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	token, _, err := auth.NewSigner(key, time.Hour).Issue(auth.NewClaims("id-1", "ops@example.com", "operator", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		line string
		kind string // "" when the line is clean
	}{
		{"a bcrypt hash", fmt.Sprintf("level=DEBUG msg=x hash=%s\n", hash), "a bcrypt hash"},
		{"a $2b$ hash", "level=INFO msg=x h=$2b$12$abcdefghijklmnopqrstuv\n", "a bcrypt hash"},
		{"a $2y$ hash", "level=INFO msg=x h=$2y$10$abcdefghijklmnopqrstuv\n", "a bcrypt hash"},
		{"a JWT", "level=DEBUG msg=request params=\"{\\\"token\\\":\\\"" + token + "\\\"}\"\n", "a JWT"},
		{"a JWT in JSON", `{"level":"DEBUG","token":"` + token + `"}` + "\n", "a JWT"},
		{"a password the test registered", "level=WARN msg=x value=\"planted-password\"\n", "a password"},
		{"a password of the suite", "level=ERROR msg=x err=\"operator-password\"\n", "a password"},
		{"a private key", "-----BEGIN PRIVATE KEY-----\n", "a private key"},
		{"a last line without its newline", "level=INFO h=" + string(hash), "a bcrypt hash"},
		{"a clean request line", "level=DEBUG msg=request method=auth.login id=1 code=-32001 took=2ms\n", ""},
		{"a dollar amount and a field name", "level=INFO msg=x price=$2 field=admin_password reason=too_short\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewLogScanner("planted-password")
			// In pieces, as a logger's writes may cut a line.
			for i := 0; i < len(tt.line); i += 7 {
				if _, err := s.Write([]byte(tt.line[i:min(i+7, len(tt.line))])); err != nil {
					t.Fatal(err)
				}
			}
			leaks := s.Leaks()
			switch {
			case tt.kind == "" && len(leaks) != 0:
				t.Fatalf("a clean line was taken for a leak: %v", leaks)
			case tt.kind != "" && (len(leaks) != 1 || !strings.HasPrefix(leaks[0], tt.kind)):
				t.Fatalf("leaks %v, want one of %s", leaks, tt.kind)
			}
			for _, leak := range leaks {
				for _, secret := range []string{string(hash), token, "planted-password", "operator-password"} {
					if strings.Contains(leak, secret) {
						t.Fatalf("the report %q repeats the secret", leak)
					}
				}
			}
		})
	}
}

// recorder is a testing.TB that keeps what it is told to report.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestALeakFailsTheTest(t *testing.T) {
	s := NewLogScanner("planted-password")
	log := slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log.Debug("login", "password", "planted-password")
	log.Info("fine")
	r := &recorder{TB: t}
	reportLeaks(r, s)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "orgd logged a secret: a password") {
		t.Fatalf("reported %q, want one leaked password", r.errors)
	}

	clean := NewLogScanner()
	slog.New(slog.NewTextHandler(clean, nil)).Info("fine")
	r = &recorder{TB: t}
	reportLeaks(r, clean)
	if len(r.errors) != 0 {
		t.Fatalf("a clean log was reported: %q", r.errors)
	}
}

func TestDaemonsLogAtDebugIntoTheScan(t *testing.T) {
	d := Start(t, Options{Secrets: []string{"scan-test-password"}})
	c := d.Client(t)
	ctx := t.Context()
	d.Operator(t)
	if _, err := c.Login(ctx, "ops@example.com", "scan-test-password"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	before := d.LogScan.Lines()
	if _, err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	// Debug logs one line per request.
	deadline := time.Now().Add(5 * time.Second)
	for d.LogScan.Lines() == before {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for a request: the log is not scanned at debug level (%d lines)", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if leaks := d.LogScan.Leaks(); len(leaks) != 0 {
		t.Fatalf("leaks: %v", leaks)
	}
}
