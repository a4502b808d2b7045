package login

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/remote/remotetest"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

type harness struct {
	m    Model
	d    *remotetest.Driver
	done []Done
}

func start(t *testing.T, fake *remotetest.Fake) *harness {
	t.Helper()
	keys := keymap.Default()
	o := remote.New(fake, 5*time.Second)
	h := &harness{m: New(o, &keys, styles.New(), "", "")}
	h.d = remotetest.NewDriver(func(msg tea.Msg) tea.Cmd {
		if r, ok := msg.(remote.Reply); ok {
			msg = r.Msg
		}
		if d, ok := msg.(Done); ok {
			h.done = append(h.done, d)
			return nil
		}
		var cmd tea.Cmd
		h.m, cmd = h.m.Update(msg)
		return cmd
	})
	h.d.Busy = o.Busy
	h.d.Send(tea.WindowSizeMsg{Width: 80, Height: 20})
	h.d.Run(h.m.Init())
	return h
}

func (h *harness) screen() string { return ansi.Strip(h.m.View()) }

func TestLoginShowsWhyItFailed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fail     error
		password string
		want     string
	}{
		{name: "a wrong password", password: "nope-nope", want: "wrong email or password"},
		{
			name:     "too many attempts",
			fail:     &rpc.Error{Code: rpc.CodeTooManyAttempts, Message: "too many attempts", Data: &rpc.ErrorData{RetryAfterS: 42}},
			password: "right-password",
			want:     "too many attempts, retry in 42 s",
		},
		{
			name:     "orgd down",
			fail:     rpc.ErrUnreachable,
			password: "right-password",
			want:     "cannot reach orgd",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &remotetest.Fake{HasOperator: true, Accounts: map[string]string{"ops@example.com": "right-password"}}
			if tt.fail != nil {
				fake.FailNext(rpc.MethodAuthLogin, tt.fail)
			}
			h := start(t, fake)
			h.d.Type("ops@example.com")
			h.d.Press("enter")
			h.d.Type(tt.password)
			h.d.Press("enter")
			if len(h.done) != 0 {
				t.Fatal("logged in")
			}
			if !strings.Contains(h.screen(), tt.want) {
				t.Errorf("the dialog shows:\n%s\nwant %q", h.screen(), tt.want)
			}
			if strings.Contains(h.screen(), tt.password) {
				t.Error("the password is shown in clear")
			}
		})
	}
}

func TestLoginSucceeds(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{HasOperator: true, Accounts: map[string]string{"ops@example.com": "right-password"}}
	h := start(t, fake)
	if h.m.Mode() != LogIn {
		t.Fatal("with an operator, the dialog starts on the first-run form")
	}
	h.d.Type("ops@example.com")
	h.d.Press("tab")
	h.d.Type("right-password")
	if !strings.Contains(h.screen(), strings.Repeat("•", len("right-password"))) {
		t.Errorf("the password is not masked:\n%s", h.screen())
	}
	h.d.Press("enter")
	if len(h.done) != 1 || h.done[0].Email != "ops@example.com" || h.done[0].Session.Token != remotetest.Token {
		t.Fatalf("logging in produced %+v", h.done)
	}
}

func TestFirstRunCreatesTheFirstOperator(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{}
	h := start(t, fake)
	if h.m.Mode() != FirstRun {
		t.Fatalf("without an operator the dialog shows mode %v, want the first-run form", h.m.Mode())
	}
	if !strings.Contains(h.screen(), "orgd has no operator yet") {
		t.Errorf("the first-run form does not say why it shows:\n%s", h.screen())
	}
	if fake.HasOperator {
		t.Fatal("asking whether an operator exists created one")
	}
	h.d.Type("ops@example.com")
	h.d.Press("enter")
	h.d.Type("first-password")
	h.d.Press("enter")
	h.d.Type("other-password")
	h.d.Press("enter")
	if got := h.m.Form().Error(FieldConfirm); got != "the passwords differ" {
		t.Errorf("differing passwords give %q on the repeat field", got)
	}
	if len(h.done) != 0 {
		t.Fatal("created an operator with differing passwords")
	}
	h.d.Press("ctrl+u")
	h.d.Type("first-password")
	h.d.Press("enter")
	if len(h.done) != 1 || !fake.HasOperator {
		t.Fatalf("the first run did not create the operator and log in: %+v", h.done)
	}
}

func TestFirstRunWhenAnOperatorAppearedMeanwhile(t *testing.T) {
	t.Parallel()
	fake := &remotetest.Fake{}
	h := start(t, fake)
	fake.HasOperator = true // someone else was quicker
	h.d.Type("ops@example.com")
	h.d.Press("enter")
	h.d.Type("first-password")
	h.d.Press("enter")
	h.d.Type("first-password")
	h.d.Press("enter")
	if h.m.Mode() != LogIn {
		t.Fatal("after -32003 from auth.bootstrap the first-run form stays")
	}
	if got := h.m.Form().Value(FieldEmail); got != "ops@example.com" {
		t.Errorf("the email typed is lost: %q", got)
	}
	if !strings.Contains(h.screen(), "An operator exists already: log in.") {
		t.Errorf("the dialog does not say why:\n%s", h.screen())
	}
}

func TestServerErrorsLandOnTheirField(t *testing.T) {
	t.Parallel()
	h := start(t, &remotetest.Fake{})
	h.d.Type("not-an-email")
	h.d.Press("enter")
	h.d.Type("first-password")
	h.d.Press("enter")
	h.d.Type("first-password")
	h.d.Press("enter")
	if got := h.m.Form().Error(FieldEmail); !strings.Contains(got, "is not an email address") {
		t.Errorf("the email field shows %q", got)
	}
	if h.m.Form().Focused() != FieldEmail {
		t.Errorf("the focus is on %s, want the email field", h.m.Form().Focused())
	}
}

func TestCtrlNSwitchesBetweenTheForms(t *testing.T) {
	t.Parallel()
	h := start(t, &remotetest.Fake{})
	h.d.Press("ctrl+n")
	if h.m.Mode() != LogIn {
		t.Fatal("ctrl+n does not leave the first-run form")
	}
	h.d.Press("ctrl+n")
	if h.m.Mode() != FirstRun {
		t.Fatal("ctrl+n does not return to the first-run form")
	}
}
