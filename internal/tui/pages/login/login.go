// Package login is the login dialog, and the first-run form that creates
// orgd's first operator (auth.bootstrap) when there is none yet. The
// application shows it at start, after logging out, and over the current
// screen when a session ends.
package login

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/form"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Mode says which form the dialog shows.
type Mode int

// Modes.
const (
	// LogIn asks for email and password (auth.login).
	LogIn Mode = iota
	// FirstRun creates the first operator (auth.bootstrap).
	FirstRun
)

// Field keys.
const (
	FieldEmail    = "email"
	FieldPassword = "password"
	FieldConfirm  = "confirm"
)

// SuspendedNotice is what a member of a suspended organization is told,
// at login and when their session ends because of it.
const SuspendedNotice = "Your organization is suspended; ask an operator."

// Done is sent when someone has logged in (or created the first operator
// and so logged in).
type Done struct {
	Session rpc.Session
	Email   string
}

// Model is the login dialog.
type Model struct {
	orgd   *remote.Orgd
	keys   *keymap.KeyMap
	styles *styles.Styles

	width, height int
	mode          Mode
	form          form.Model
	// canFirstRun is set once orgd has said that it has no operator and
	// that this user may create the first one.
	canFirstRun bool
	notice      string
	err         string
	busy        bool
	unreachable bool // err says that orgd could not be reached
	spin        spin.Model
	seq         int
}

type loginMsg struct {
	seq     int
	email   string
	session *rpc.Session
	err     error
}

// probeMsg says whether auth.bootstrap would create the first operator.
type probeMsg struct {
	possible bool
	known    bool
}

// New returns the dialog in login mode, with notice (may be empty) above
// the form and email filled in.
func New(o *remote.Orgd, keys *keymap.KeyMap, st *styles.Styles, notice, email string) Model {
	m := Model{orgd: o, keys: keys, styles: st, notice: notice, spin: spin.New(st), width: 80, height: 20}
	m.setMode(LogIn)
	if email != "" {
		m.form.SetValue(FieldEmail, email)
		m.form.Focus(FieldPassword)
	}
	return m
}

func (m *Model) setMode(mode Mode) {
	m.mode = mode
	email := m.form.Value(FieldEmail)
	specs := []form.Spec{
		{Key: FieldEmail, Label: "Email", Placeholder: "you@example.com", Value: email},
		{Key: FieldPassword, Label: "Password", Secret: true},
	}
	if mode == FirstRun {
		specs[1].Placeholder = "8–72 bytes"
		specs = append(specs, form.Spec{Key: FieldConfirm, Label: "Repeat", Secret: true})
	}
	m.form = form.New(m.styles, m.keys, specs...)
	m.form.SetWidth(m.innerWidth())
	m.err = ""
}

// Init asks orgd whether it has an operator yet.
func (m Model) Init() tea.Cmd { return m.probe() }

// Mode returns the form shown.
func (m Model) Mode() Mode { return m.mode }

// Form returns the form, for tests.
func (m Model) Form() form.Model { return m.form }

// Err returns the error shown under the form.
func (m Model) Err() string { return m.err }

// Busy reports whether a login is under way.
func (m Model) Busy() bool { return m.busy }

// Title names the dialog for the title bar.
func (m Model) Title() string {
	if m.mode == FirstRun {
		return "First run"
	}
	return "Log in"
}

// Help returns the dialog's bindings.
func (m Model) Help() keymap.Help {
	return m.keys.LoginHelp(m.canFirstRun || m.mode == FirstRun, m.mode == FirstRun)
}

// probe finds out whether orgd has no operator yet, without creating one:
// auth.bootstrap checks who may call it and whether an operator exists
// before it looks at the email, so an invalid email gets -32602 ("invalid
// params") only when the first operator could be created, and -32003
// otherwise.
func (m Model) probe() tea.Cmd {
	return m.orgd.Anonymous(func(ctx context.Context, c remote.Client, _ string) (tea.Msg, error) {
		_, err := c.Bootstrap(ctx, "-", "-")
		switch rpc.ErrorCode(err) {
		case rpc.CodeInvalidParams:
			return probeMsg{possible: true, known: true}, nil
		case rpc.CodeForbidden:
			return probeMsg{possible: false, known: true}, nil
		}
		return probeMsg{}, err
	})
}

// Reload asks orgd again whether it has an operator (after a reconnect).
type Reload struct{}

// Update handles keys and replies.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.form.SetWidth(m.innerWidth())
		return m, nil
	case Reload:
		if m.unreachable {
			m.err, m.unreachable = "", false
		}
		next := m.probe()
		return m, next
	case probeMsg:
		if !msg.known {
			return m, nil
		}
		m.canFirstRun = msg.possible
		if msg.possible && m.mode == LogIn && !m.busy {
			m.setMode(FirstRun)
		}
		return m, nil
	case loginMsg:
		return m.replied(msg)
	case tea.KeyPressMsg:
		if m.busy {
			return m, nil
		}
		if key.Matches(msg, m.keys.FirstRun) && (m.canFirstRun || m.mode == FirstRun) {
			if m.mode == FirstRun {
				m.setMode(LogIn)
			} else {
				m.setMode(FirstRun)
			}
			return m, nil
		}
		var cmd tea.Cmd
		var submit bool
		m.form, cmd, submit = m.form.Update(msg)
		if submit {
			next := m.submit()
			return m, next
		}
		if m.err != "" && msg.Text != "" {
			m.err = ""
		}
		return m, cmd
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.form, cmd, _ = m.form.Update(msg)
		m.err = ""
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m *Model) submit() tea.Cmd {
	m.form.ClearErrors()
	m.err = ""
	email, password := strings.TrimSpace(m.form.Value(FieldEmail)), m.form.Value(FieldPassword)
	switch {
	case email == "":
		m.form.SetError(FieldEmail, "email is required")
		return nil
	case password == "":
		m.form.SetError(FieldPassword, "password is required")
		return nil
	case m.mode == FirstRun && password != m.form.Value(FieldConfirm):
		m.form.SetError(FieldConfirm, "the passwords differ")
		return nil
	}
	m.busy = true
	m.seq++
	seq, first := m.seq, m.mode == FirstRun
	call := m.orgd.Anonymous(func(ctx context.Context, c remote.Client, _ string) (tea.Msg, error) {
		var s *rpc.Session
		var err error
		if first {
			s, err = c.Bootstrap(ctx, email, password)
		} else {
			s, err = c.Login(ctx, email, password)
		}
		return loginMsg{seq: seq, email: email, session: s, err: err}, err
	})
	return tea.Batch(call, m.spin.Start())
}

func (m Model) replied(msg loginMsg) (Model, tea.Cmd) {
	if msg.seq != m.seq {
		return m, nil
	}
	m.busy = false
	m.spin.Stop()
	err := msg.err
	if err == nil {
		m.form.SetValue(FieldPassword, "")
		m.form.SetValue(FieldConfirm, "")
		done := Done{Session: *msg.session, Email: msg.email}
		return m, func() tea.Msg { return done }
	}
	switch code := rpc.ErrorCode(err); {
	case code == rpc.CodeUnauthenticated:
		m.err = "wrong email or password"
		m.form.SetValue(FieldPassword, "")
		m.form.Focus(FieldPassword)
		// Perhaps there is no operator yet: ask, and offer the first-run
		// form if so.
		next := m.probe()
		return m, next
	case code == rpc.CodeSuspended:
		m.err = SuspendedNotice
		m.form.SetValue(FieldPassword, "")
		return m, nil
	case code == rpc.CodeForbidden && m.mode == FirstRun:
		m.canFirstRun = false
		m.setMode(LogIn)
		m.form.SetValue(FieldEmail, msg.email)
		m.form.Focus(FieldPassword)
		m.notice = "An operator exists already: log in."
		return m, nil
	case remote.IsUnreachable(err):
		m.err = "cannot reach orgd at " + m.orgd.Address() + "; retrying"
		m.unreachable = true
		return m, nil
	}
	if !m.form.SetError(remote.FieldOf(err), remote.Describe(err)) {
		m.err = remote.Describe(err)
	}
	return m, nil
}

func (m Model) boxWidth() int { return max(30, min(m.width-2, 64)) }

func (m Model) innerWidth() int { return m.boxWidth() - 6 }

// View draws the dialog box; the application centres it on the screen.
func (m Model) View() string {
	st := m.styles
	inner := m.innerWidth()
	var lines []string
	if m.mode == FirstRun {
		lines = append(lines,
			st.Title.Render("Welcome to orgd: first run"),
			"",
			"orgd has no operator yet. Create the first operator",
			"account; it can create and manage every organization.",
		)
	} else {
		lines = append(lines, st.Title.Render("Log in to orgd"), st.Subtle.Render(m.orgd.Address()))
	}
	if m.notice != "" {
		lines = append(lines, "", st.Warning.Render(m.notice))
	}
	lines = append(lines, "", m.form.View(), "")
	switch {
	case m.busy && m.mode == FirstRun:
		lines = append(lines, m.spin.View()+" creating the operator…")
	case m.busy:
		lines = append(lines, m.spin.View()+" logging in…")
	case m.err != "":
		lines = append(lines, st.Error.Render(styles.ErrorMark+m.err))
	case m.mode == FirstRun:
		lines = append(lines, st.Subtle.Render("enter on the last field creates the operator"))
	case m.canFirstRun:
		lines = append(lines, st.Subtle.Render("first run? ctrl+n creates the first operator"))
	default:
		lines = append(lines, st.Subtle.Render("tab moves between fields; enter logs in"))
	}
	body := layout.Width(strings.Join(lines, "\n"), inner)
	return layout.Width(st.Dialog.Width(inner+6).Render(body), m.width)
}
