package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/pages/login"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/rpc"
)

// sessionOf is the session orgd's SSH server hands orgtui for opsEmail,
// who holds remotetest.Token in fake, as role of org (nil for an
// operator).
func sessionOf(role string, org *rpc.OrgRef) *Session {
	return &Session{Email: opsEmail, Session: rpc.Session{Token: remotetest.Token, TokenType: "Bearer",
		ExpiresAt: epoch.Add(time.Hour), Role: role, Org: org}}
}

// startHosted runs orgtui as orgd's SSH server does: on a session it
// authenticated, hosted.
func startHosted(t *testing.T, fake *remotetest.Fake, s *Session) *app {
	t.Helper()
	return startAppWith(t, fake, 80, 24, func(o *Options) {
		o.Session = s
		o.Hosted = true
	})
}

func TestAHostedSessionStartsOnTheListWithoutLoggingIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fake    *remotetest.Fake
		session *Session
		status  string
	}{
		{"an operator", operatorFake(remotetest.NewOrg("Acme", "admin@acme.example")), sessionOf(rpc.RoleOperator, nil), "ops@example.com (operator)"},
		{"an admin", memberFake(rpc.RoleAdmin), sessionOf(rpc.RoleAdmin, &rpc.OrgRef{ID: "id_acme", Name: "Acme"}), "ops@example.com (admin of Acme)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startHosted(t, tt.fake, tt.session)
			if a.model().login != nil {
				t.Fatalf("the login dialog shows:\n%s", a.screen())
			}
			a.wantScreen("orgtui › Organizations", "Acme", tt.status, "token 1h", "● connected")
			for _, m := range []string{rpc.MethodAuthLogin, rpc.MethodAuthBootstrap} {
				if n := len(a.fake.CallsOf(m)); n != 0 {
					t.Errorf("%s was called %d times", m, n)
				}
			}
			if n := len(a.fake.CallsOf(rpc.MethodOrgSubscribe)); n != 1 {
				t.Errorf("org.subscribe was called %d times, want once", n)
			}
			if a.d.Quit {
				t.Error("the program quit")
			}
		})
	}
}

func TestAHostedSessionEndsTheProgramWithAReason(t *testing.T) {
	t.Parallel()
	acme := &rpc.OrgRef{ID: "id_acme", Name: "Acme"}
	tests := []struct {
		name    string
		fake    func() *remotetest.Fake
		session *Session
		end     func(a *app)
		reason  string
		revoked bool // auth.logout revoked the token first
	}{
		{"L logs out and ends it", func() *remotetest.Fake { return operatorFake(remotetest.NewOrg("Acme", "a@acme.test")) },
			sessionOf(rpc.RoleOperator, nil), func(a *app) { a.d.Press("L") }, "Logged out.", true},
		{"a revoked token (-32001) ends it", func() *remotetest.Fake { return operatorFake(remotetest.NewOrg("Acme", "a@acme.test")) },
			sessionOf(rpc.RoleOperator, nil), func(a *app) {
				a.fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeUnauthenticated, Message: "the token was revoked"})
				a.d.Press("r")
			}, "Your session ended: the token was revoked", false},
		{"a suspended organization (-32010) ends a member's", func() *remotetest.Fake { return memberFake(rpc.RoleAdmin) },
			sessionOf(rpc.RoleAdmin, acme), func(a *app) {
				a.fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeSuspended, Message: `organization "Acme" is suspended`})
				a.d.Press("r")
			}, login.SuspendedNotice, false},
		{"an event that suspends the organization ends a member's", func() *remotetest.Fake { return memberFake(rpc.RoleViewer) },
			sessionOf(rpc.RoleViewer, acme), func(a *app) {
				o, _ := a.fake.Org("Acme")
				o.State = rpc.StateSuspended
				a.fake.Send(rpc.OrgEvent{Type: rpc.EventUpdated, Organization: o})
				a.d.Settle()
			}, login.SuspendedNotice, false},
		{"the token's expiry ends it", func() *remotetest.Fake { return operatorFake() },
			sessionOf(rpc.RoleOperator, nil), func(a *app) {
				a.clock.Add(time.Hour)
				a.d.Send(clockMsg{})
			}, "Your session expired.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startHosted(t, tt.fake(), tt.session)
			a.wantScreen("orgtui › Organizations")
			tt.end(a)
			if !a.d.Quit {
				t.Fatalf("the program goes on:\n%s", a.screen())
			}
			m := a.model()
			if m.Ended() != tt.reason {
				t.Errorf("Ended() = %q, want %q", m.Ended(), tt.reason)
			}
			if strings.Contains(m.Ended(), "\n") || strings.Contains(m.Ended(), remotetest.Token) {
				t.Errorf("the reason is not one line without the token: %q", m.Ended())
			}
			if m.login != nil || m.session != nil {
				t.Error("the login dialog or the session is left")
			}
			if tok, _ := m.orgd.Session(); tok != "" {
				t.Error("the token is kept")
			}
			a.wantScreen(tt.reason)
			if n := len(a.fake.CallsOf(rpc.MethodAuthLogout)); (n == 1) != tt.revoked {
				t.Errorf("auth.logout was called %d times, want revoked = %v", n, tt.revoked)
			}
		})
	}
}

func TestAnOperatorsSuspendedRefusalKeepsAHostedSession(t *testing.T) {
	t.Parallel()
	a := startHosted(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), sessionOf(rpc.RoleOperator, nil))
	a.fake.FailNext(rpc.MethodOrgList, &rpc.Error{Code: rpc.CodeSuspended, Message: `organization "Acme" is suspended`})
	a.d.Press("r")
	if a.d.Quit || a.model().Ended() != "" {
		t.Fatalf("an operator's -32010 ended the session (%q)", a.model().Ended())
	}
}

func TestAGivenSessionWithoutHostedLogsOutToTheDialog(t *testing.T) {
	t.Parallel()
	a := startAppWith(t, operatorFake(remotetest.NewOrg("Acme", "a@acme.test")), 80, 24, func(o *Options) {
		o.Session = sessionOf(rpc.RoleOperator, nil)
	})
	a.wantScreen("orgtui › Organizations", "Acme")
	a.d.Press("L")
	if a.d.Quit || a.model().Ended() != "" {
		t.Fatal("L ended the program without Hosted")
	}
	a.wantScreen("Logged out.", "Log in to orgd")
}

func TestAHostedSessionRunsNoEditor(t *testing.T) {
	t.Parallel()
	a := startHosted(t, acmeWithDocuments(), sessionOf(rpc.RoleOperator, nil))
	a.d.Press("enter") // Acme Corp's detail
	a.d.Press("enter") // its documents
	a.wantScreen("orgtui › Acme Corp › documents", "x delete")
	if screen := a.screen(); strings.Contains(screen, "i insert") || strings.Contains(screen, "e edit") {
		t.Errorf("the documents offer the editor:\n%s", screen)
	}
	a.d.Press("i", "e")
	a.d.Press("enter") // the first document
	a.wantScreen("orgtui › Acme Corp › 42")
	a.d.Press("e")
	if a.editor.Ran() {
		t.Error("an editor ran in a hosted session")
	}
}

func TestRunProgramTakesTheCallersTerminalAndSaysWhyItEnded(t *testing.T) {
	t.Parallel()
	fake := operatorFake(remotetest.NewOrg("Acme", "a@acme.test"))
	in, keys := io.Pipe()
	defer keys.Close()
	out := &lockedBuffer{}
	type result struct {
		ended string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		ended, err := RunProgram(context.Background(), Options{Client: fake, Session: sessionOf(rpc.RoleOperator, nil), Hosted: true},
			tea.WithInput(in), tea.WithOutput(out), tea.WithWindowSize(80, 24),
			tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithoutSignals())
		done <- result{ended, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Acme") {
		if time.Now().After(deadline) {
			t.Fatalf("the list never reached the caller's output:\n%q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := keys.Write([]byte("L")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.ended != "Logged out." {
			t.Errorf("RunProgram = %q, %v; want %q", r.ended, r.err, "Logged out.")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("L did not end the program")
	}
}

// lockedBuffer is a bytes.Buffer that a program writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestNewProgramTakesWindowChangesAndItsFinalModelSaysWhy(t *testing.T) {
	t.Parallel()
	fake := operatorFake(remotetest.NewOrg("Acme", "a@acme.test"))
	in, keys := io.Pipe()
	defer keys.Close()
	out := &lockedBuffer{}
	p := NewProgram(context.Background(), Options{Client: fake, Session: sessionOf(rpc.RoleOperator, nil), Hosted: true},
		tea.WithInput(in), tea.WithOutput(out), tea.WithWindowSize(80, 24),
		tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithoutSignals())
	type result struct {
		final tea.Model
		err   error
	}
	done := make(chan result, 1)
	go func() {
		final, err := p.Run()
		done <- result{final, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Acme") {
		if time.Now().After(deadline) {
			t.Fatalf("the list never reached the caller's output:\n%q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Send(tea.WindowSizeMsg{Width: 100, Height: 30})
	if _, err := keys.Write([]byte("L")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		m, ok := r.final.(Model)
		if r.err != nil || !ok {
			t.Fatalf("Run = %T, %v", r.final, r.err)
		}
		if m.Ended() != "Logged out." || m.width != 100 || m.height != 30 {
			t.Errorf("the final model ended %q at %dx%d, want \"Logged out.\" at 100x30", m.Ended(), m.width, m.height)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("L did not end the program")
	}
}
