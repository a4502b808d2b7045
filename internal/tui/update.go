package tui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/statusbar"
	"github.com/orgd/orgd/internal/tui/pages"
	sshkeys "github.com/orgd/orgd/internal/tui/pages/keys"
	"github.com/orgd/orgd/internal/tui/pages/login"
	"github.com/orgd/orgd/internal/tui/pages/orgs"
	"github.com/orgd/orgd/internal/tui/pages/password"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/rpc"
)

// Update handles a message. It never waits on orgd: every call is a
// command, and its reply comes back as a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		next := m.resize()
		return m, next
	case clockMsg:
		return m.onClock(m.now())
	case tea.KeyPressMsg:
		keys := m.split(msg)
		if len(keys) > 1 {
			// Not which key: it may be typed into a password.
			m.log.Debug("escape and a key read together")
		}
		return m.onKeys(keys...)
	case tea.PasteMsg:
		if m.waiting {
			m.held = append(m.held, msg)
			return m, nil
		}
		return m.onPaste(msg)
	case escapeDone:
		return m.afterEscape(msg)
	case remote.Reply:
		return m.onReply(msg)
	case healthDue:
		if msg.seq != m.healthSeq {
			return m, nil
		}
		m.pending = false
		if m.conn == statusbar.Connected {
			return m, tea.Batch(m.checkHealth(), m.scheduleHealth(HealthInterval))
		}
		return m, m.checkHealth()
	case healthMsg:
		m.health = msg.health
		return m, nil
	case remote.Subscribed:
		return m.onSubscribed(msg)
	case remote.Event:
		if msg.Gen != m.subGen {
			return m, nil
		}
		if m.ownSuspended(msg.Event) {
			m.log.Info("organization suspended: session ended")
			if m.hosted {
				return m.end(login.SuspendedNotice, false)
			}
			return m.signOut(login.SuspendedNotice, m.session.email)
		}
		next, cmd := m.broadcast(pages.Changed{Event: msg.Event})
		return next, tea.Batch(cmd, remote.NextEvent(m.events, m.subGen))
	case resubscribe:
		if msg.gen != m.subGen || m.session == nil || m.subscribed {
			return m, nil
		}
		m.log.Debug("subscribing again")
		sub := m.subscribe()
		return m, tea.Batch(sub, pages.Send(pages.Reload{}))
	case remote.SubscriptionEnded:
		if msg.Gen != m.subGen {
			return m, nil
		}
		return m.onSubscriptionEnded()
	}
	return m.route(msg)
}

// route handles the messages of pages and of the login dialog.
func (m Model) route(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case login.Done:
		return m.loggedIn(msg)
	case pages.Open:
		m.log.Debug("open", "page", msg.Page.Title())
		return m.open(msg.Page)
	case pages.Back:
		m.log.Debug("back", "flash", msg.Flash, "pages", len(m.stack))
		if len(m.stack) > 1 {
			m.stack = m.stack[:len(m.stack)-1]
		}
		if msg.Flash != "" {
			m.setFlash(pages.Flash{Text: msg.Flash})
		}
		return m, nil
	case pages.Flash:
		m.setFlash(msg)
		return m, nil
	case pages.Renewed:
		if m.session == nil {
			return m, nil
		}
		m.log.Info("logged in again after a password change")
		return m.loggedIn(login.Done{Session: msg.Session, Email: m.session.email})
	case pages.EndSession:
		if m.session == nil || m.login != nil {
			return m, nil
		}
		if m.hosted {
			return m.end(msg.Notice, false)
		}
		m.sessionEnded(msg.Notice)
		return m, m.login.Init()
	}
	return m.broadcast(msg)
}

// broadcast hands msg to the login dialog and to every page; each ignores
// what is not its own.
func (m Model) broadcast(msg tea.Msg) (Model, tea.Cmd) {
	var cmds []tea.Cmd
	if m.login != nil {
		l, cmd := m.login.Update(msg)
		m.login = &l
		cmds = append(cmds, cmd)
	}
	stack := make([]pages.Page, len(m.stack))
	for i, p := range m.stack {
		var cmd tea.Cmd
		stack[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	m.stack = stack
	return m, tea.Batch(cmds...)
}

func (m Model) onKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	keys := m.keys
	if key.Matches(k, keys.ForceQuit) {
		return m, tea.Quit
	}
	if m.login != nil {
		l, cmd := m.login.Update(k)
		m.login = &l
		return m, cmd
	}
	if m.help {
		switch {
		case key.Matches(k, keys.Help), key.Matches(k, keys.Back):
			m.help = false
		case key.Matches(k, keys.Quit):
			return m, tea.Quit
		}
		return m, nil
	}
	top := m.top()
	if top == nil {
		return m, nil
	}
	if !top.Typing() {
		switch {
		case key.Matches(k, keys.Quit):
			return m, tea.Quit
		case key.Matches(k, keys.Help):
			m.help = true
			return m, nil
		case key.Matches(k, keys.Logout):
			return m.logout()
		case key.Matches(k, keys.Password):
			return m.open(password.New(m.common()))
		case key.Matches(k, keys.SSHKeys):
			return m.open(sshkeys.New(m.common(), ""))
		}
	}
	p, cmd := top.Update(k)
	m.stack[len(m.stack)-1] = p
	return m, cmd
}

// onPaste hands pasted text (bracketed paste: the terminal sends it as one
// message) to the text field that has the focus: the login dialog's, or
// the top page's while it is typing. Anywhere else it is dropped, as the
// keys it holds must not act.
func (m Model) onPaste(p tea.PasteMsg) (tea.Model, tea.Cmd) {
	if m.login != nil {
		l, cmd := m.login.Update(p)
		m.login = &l
		return m, cmd
	}
	top := m.top()
	if m.help || top == nil || !top.Typing() {
		return m, nil
	}
	next, cmd := top.Update(p)
	m.stack[len(m.stack)-1] = next
	return m, cmd
}

func (m Model) top() pages.Page {
	if len(m.stack) == 0 {
		return nil
	}
	return m.stack[len(m.stack)-1]
}

// onReply looks at a call's outcome before the screen that made the call
// gets it: an unreachable orgd starts reconnecting, a session that ended
// brings back the login dialog.
func (m Model) onReply(r remote.Reply) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch {
	case r.Err != nil && remote.IsUnreachable(r.Err):
		m.log.Debug("orgd unreachable", "err", r.Err)
		cmds = append(cmds, m.disconnected())
	default:
		cmds = append(cmds, m.connected())
	}
	mine := r.Err != nil && !r.Anonymous && m.session != nil && r.Gen == m.session.gen && m.login == nil
	switch {
	case mine && m.hosted && remote.IsUnauthenticated(r.Err):
		m.log.Info("session ended", "err", r.Err)
		next, cmd := m.end("Your session ended: "+remote.Describe(r.Err), false)
		return next, tea.Batch(append(cmds, cmd)...)
	case mine && m.hosted && remote.IsSuspended(r.Err) && m.session.role != rpc.RoleOperator:
		m.log.Info("organization suspended: session ended")
		next, cmd := m.end(login.SuspendedNotice, false)
		return next, tea.Batch(append(cmds, cmd)...)
	case mine && remote.IsUnauthenticated(r.Err):
		m.sessionEnded("Your session ended. Log in again to go on where you were.")
		cmds = append(cmds, m.login.Init())
	case mine && remote.IsSuspended(r.Err) && m.session.role != rpc.RoleOperator:
		// A member's organization was suspended: every call of theirs is
		// refused now. (An operator gets -32010 only for a change to a
		// suspended organization, which the screen that tried says.)
		m.log.Info("organization suspended: session ended")
		next, cmd := m.signOut(login.SuspendedNotice, m.session.email)
		return next, tea.Batch(append(cmds, cmd)...)
	}
	if r.Msg == nil {
		return m, tea.Batch(cmds...)
	}
	next, cmd := m.Update(r.Msg)
	return next, tea.Batch(append(cmds, cmd)...)
}

// checkHealth asks system.health. A success means orgd is reachable.
func (m Model) checkHealth() tea.Cmd {
	return m.orgd.Anonymous(func(ctx context.Context, c remote.Client, _ string) (tea.Msg, error) {
		h, err := c.Health(ctx)
		if err != nil {
			return nil, err
		}
		return healthMsg{health: h}, nil
	})
}

// connected notes that orgd answered. Coming back from a disconnection, it
// subscribes again and has every screen reload, since changes may have been
// missed.
func (m *Model) connected() tea.Cmd {
	was := m.conn
	m.conn = statusbar.Connected
	m.backoff = 0
	if was == statusbar.Connected {
		return nil
	}
	m.pending = false
	m.healthSeq++
	cmds := []tea.Cmd{m.scheduleHealth(HealthInterval)}
	if was == statusbar.Disconnected {
		m.log.Info("reconnected to orgd")
		cmds = append(cmds, m.resume())
	}
	return tea.Batch(cmds...)
}

// resume subscribes again and reloads every screen.
func (m *Model) resume() tea.Cmd {
	if m.session == nil {
		return func() tea.Msg { return login.Reload{} }
	}
	m.subscribed = false
	return tea.Batch(m.subscribe(), pages.Send(pages.Reload{}))
}

// disconnected notes that orgd could not be reached and schedules the next
// attempt, waiting twice as long as last time.
func (m *Model) disconnected() tea.Cmd {
	if m.conn == statusbar.Connected {
		m.log.Info("disconnected from orgd")
	}
	m.conn = statusbar.Disconnected
	m.subscribed = false
	if m.pending {
		return nil
	}
	m.backoff = min(MaxBackoff, max(MinBackoff, m.backoff*2))
	m.pending = true
	m.retryAt = m.clock.Add(m.backoff)
	m.healthSeq++
	return m.scheduleHealth(m.backoff)
}

func (m *Model) scheduleHealth(after time.Duration) tea.Cmd {
	seq := m.healthSeq
	return tea.Tick(after, func(time.Time) tea.Msg { return healthDue{seq: seq} })
}

func (m Model) onClock(t time.Time) (tea.Model, tea.Cmd) {
	m.clock = t
	cmds := []tea.Cmd{m.tick()}
	if !m.flashUntil.IsZero() && t.After(m.flashUntil) {
		m.flash = pages.Flash{}
		m.flashUntil = time.Time{}
	}
	if s := m.session; s != nil && m.login == nil && !s.expires.IsZero() && !t.Before(s.expires) {
		if m.hosted {
			next, cmd := m.end("Your session expired.", false)
			return next, tea.Batch(append(cmds, cmd)...)
		}
		m.sessionEnded("Your session expired. Log in again to go on where you were.")
		cmds = append(cmds, m.login.Init())
	}
	return m, tea.Batch(cmds...)
}

func (m *Model) setFlash(f pages.Flash) {
	m.flash = f
	m.flashUntil = m.clock.Add(FlashTime)
}

// subscribe subscribes to org.event with the session's token.
func (m *Model) subscribe() tea.Cmd {
	if m.subscribed || m.session == nil {
		return nil
	}
	m.subscribed = true
	return m.orgd.Subscribe()
}

func (m Model) onSubscribed(s remote.Subscribed) (tea.Model, tea.Cmd) {
	if s.Events == nil {
		m.subscribed = false
		return m, nil
	}
	m.subGen++
	m.events = s.Events
	return m, remote.NextEvent(s.Events, m.subGen)
}

// onSubscriptionEnded subscribes again, after a pause, and has the screens
// reload, since events may have been missed. If the connection is gone,
// the subscribe fails as unreachable and reconnecting takes over.
func (m Model) onSubscriptionEnded() (tea.Model, tea.Cmd) {
	m.subscribed = false
	m.events = nil
	if m.session == nil {
		return m, nil
	}
	gen := m.subGen
	return m, tea.Tick(time.Second, func(time.Time) tea.Msg { return resubscribe{gen: gen} })
}

// resubscribe asks for a new subscription after subscription gen ended.
type resubscribe struct{ gen int }

// loggedIn starts a session. The person is back where they were when the
// same account logs in again; another account starts on a fresh list.
func (m Model) loggedIn(d login.Done) (Model, tea.Cmd) {
	m, same := m.signIn(d)
	cmds := []tea.Cmd{m.subscribe()}
	if same {
		next, cmd := m.broadcast(pages.Reload{})
		return next, tea.Batch(append(cmds, cmd)...)
	}
	next, cmd := m.open(orgs.New(m.common()))
	return next, tea.Batch(append(cmds, cmd)...)
}

// signIn makes d the session, without calling orgd (loggedIn and Init
// do), and reports whether the same account was signed in with pages
// open, which then stay; otherwise the pages are closed.
func (m Model) signIn(d login.Done) (Model, bool) {
	same := m.session != nil && strings.EqualFold(m.session.email, d.Email) && m.session.role == d.Session.Role && len(m.stack) > 0
	gen := m.orgd.SetToken(d.Session.Token)
	m.session = &signedIn{email: d.Email, role: d.Session.Role, org: d.Session.Org, expires: d.Session.ExpiresAt, gen: gen}
	m.login = nil
	m.subscribed = false
	m.subGen++ // events of the old subscription are dropped
	m.events = nil
	m.log.Info("logged in", "email", d.Email, "role", d.Session.Role)
	if !same {
		m.stack = nil
	}
	return m, same
}

// sessionEnded brings back the login dialog over the current screen.
func (m *Model) sessionEnded(notice string) {
	email := ""
	if m.session != nil {
		email = m.session.email
	}
	l := login.New(m.orgd, m.keys, m.styles, notice, email)
	l, _ = l.Update(m.loginSize())
	m.login = &l
	m.help = false
}

// logout revokes the session's token (auth.logout, best effort), forgets
// the session and closes the connection, which ends the subscription; the
// next call opens a new one.
func (m Model) logout() (tea.Model, tea.Cmd) {
	m.log.Info("logged out")
	if m.hosted {
		return m.end(LoggedOut, true)
	}
	return m.signOut(LoggedOut, "")
}

// end ends the program with reason when hosted (Options.Hosted), where no
// login dialog could be answered: the session is forgotten, its token
// revoked first when revoke is set (best effort, as signOut does), and
// the program quits; Ended returns reason.
func (m Model) end(reason string, revoke bool) (Model, tea.Cmd) {
	token, _ := m.orgd.Session()
	m.orgd.SetToken("")
	m.ended = reason
	m.session = nil
	m.stack = nil
	m.help = false
	m.subscribed = false
	m.subGen++
	m.log.Info("program ends", "reason", reason)
	if revoke {
		return m, m.orgd.LogoutThen(token, tea.QuitMsg{})
	}
	return m, tea.Quit
}

// signOut ends the session: the token is revoked (best effort) and
// forgotten, the pages closed, and the login dialog shows notice with
// email filled in.
func (m Model) signOut(notice, email string) (Model, tea.Cmd) {
	token, _ := m.orgd.Session()
	m.orgd.SetToken("")
	m.session = nil
	m.stack = nil
	m.help = false
	m.subscribed = false
	m.subGen++
	l := login.New(m.orgd, m.keys, m.styles, notice, email)
	l, _ = l.Update(m.loginSize())
	m.login = &l
	return m, m.orgd.LogoutThen(token, login.Reload{})
}

// ownSuspended reports whether ev says that the signed-in member's own
// organization was suspended.
func (m Model) ownSuspended(ev rpc.OrgEvent) bool {
	s := m.session
	return s != nil && s.role != rpc.RoleOperator && s.org != nil && m.login == nil &&
		ev.Organization.ID == s.org.ID && ev.Organization.State == rpc.StateSuspended
}

// open pushes p, gives it its size and starts it.
func (m Model) open(p pages.Page) (Model, tea.Cmd) {
	p, cmd := p.Update(m.pageSize())
	m.stack = append(m.stack, p)
	m.help = false
	return m, tea.Batch(cmd, p.Init())
}

// resize gives the pages and the login dialog their sizes.
func (m *Model) resize() tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.stack {
		var cmd tea.Cmd
		m.stack[i], cmd = p.Update(m.pageSize())
		cmds = append(cmds, cmd)
	}
	if m.login != nil {
		l, cmd := m.login.Update(m.loginSize())
		m.login = &l
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}
