// Package tui is orgtui, the terminal UI of orgd, on Bubble Tea. This
// package is the application: it holds the session, the stack of pages,
// the login dialog, the connection to orgd (health, reconnection with
// backoff, the org.event subscription) and lays out the screen: header,
// page, message line, help line and status bar. The screens are in pages/,
// the pieces they are drawn with in components/, the keys in keymap/ and
// the styles in styles/. orgd is reached only through remote, over
// rpc.Client.
package tui

import (
	"io"
	"log/slog"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/statusbar"
	"github.com/orgd/orgd/internal/tui/editor"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/pages/login"
	"github.com/orgd/orgd/internal/tui/pages/orgs"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Options configure the application.
type Options struct {
	// Client reaches orgd; usually an *rpc.Client.
	Client remote.Client
	// Timeout bounds each call (remote.DefaultTimeout when zero).
	Timeout time.Duration
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Log receives what orgtui logs (never to the screen); discarded when
	// nil.
	Log *slog.Logger
	// Editor runs the person's text editor on documents; its zero value
	// reads $VISUAL and $EDITOR and hands the terminal over. It is not
	// used when Hosted is set.
	Editor editor.Editor

	// Session, when set, is a session that the caller has authenticated
	// already (orgd's SSH server, for the account whose key or password
	// opened the SSH session): orgtui starts on it, on the organization
	// list, without showing the login dialog.
	Session *Session
	// Hosted is set by a caller that runs orgtui for someone it
	// authenticated itself, where nobody could answer a login dialog:
	// orgd's SSH server. Logging out (L) then ends the program, and so
	// does a session that ends (its token revoked or expired, -32001, or
	// the member's organization suspended, -32010), each with a one-line
	// reason for the caller to print (Model.Ended, RunProgram). No program
	// runs on the host either: documents cannot be inserted or edited in
	// an editor, which would run on orgd's host, as orgd.
	Hosted bool
}

// Session is a session that orgd has authenticated already: the account's
// email, and what auth.login would have answered for it (token, expiry,
// role, organization). orgtui uses the token as it is, and never shows or
// logs it.
type Session struct {
	// Email is the account's email.
	Email string
	rpc.Session
}

// LoggedOut is what Model.Ended says after the person logged out (L),
// the one way a hosted session ends that is not a failure.
const LoggedOut = "Logged out."

// NoEditor is why documents are not edited in an editor when orgtui is
// hosted (Options.Hosted).
const NoEditor = "documents are not edited in an editor over SSH: the editor would run on orgd's host"

// Timing of the connection's upkeep.
const (
	// HealthInterval is how often system.health is asked while connected.
	HealthInterval = 5 * time.Second
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts, which doubles after each failure.
	MinBackoff = 500 * time.Millisecond
	MaxBackoff = 8 * time.Second
	// FlashTime is how long a message stays above the help line.
	FlashTime = 6 * time.Second
)

// signedIn is who is signed in.
type signedIn struct {
	email   string
	role    string
	org     *rpc.OrgRef
	expires time.Time
	gen     int
}

// Model is the application.
type Model struct {
	orgd   *remote.Orgd
	keys   *keymap.KeyMap
	styles *styles.Styles
	now    func() time.Time
	log    *slog.Logger
	editor editor.Editor

	width, height int
	clock         time.Time

	session *signedIn
	login   *login.Model // the login dialog, while it shows
	hosted  bool         // Options.Hosted
	ended   string       // why the program ended (hosted), once it did
	stack   []pages.Page
	help    bool

	flash      pages.Flash
	flashUntil time.Time

	// The keys after an Escape (escape.go).
	escapes int       // numbers the Escapes that started a command
	waiting bool      // the last one's first message is awaited
	held    []tea.Msg // keys and pastes that came meanwhile

	conn      statusbar.Conn
	health    *rpc.Health
	backoff   time.Duration
	retryAt   time.Time
	pending   bool // a reconnection attempt is scheduled
	healthSeq int  // numbers scheduled health checks, so only one chain runs

	subGen     int  // numbers subscriptions; events of older ones are dropped
	subscribed bool // a subscription is up or being set up
	events     <-chan rpc.OrgEvent
}

// New returns the application, showing the login dialog, or on the
// organization list of o.Session when that is set.
func New(o Options) Model {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	keys := keymap.Default()
	m := Model{
		orgd:   remote.New(o.Client, o.Timeout),
		keys:   &keys,
		styles: styles.New(),
		now:    now,
		log:    log,
		editor: o.Editor,
		hosted: o.Hosted,
		width:  80,
		height: 24,
		clock:  now(),
		conn:   statusbar.Connecting,
	}
	if o.Hosted {
		m.editor = editor.Editor{Off: NoEditor}
	}
	if s := o.Session; s != nil {
		// As a login in the dialog would, but the calls wait for Init: a
		// command made here would count as a call under way (remote.Orgd)
		// until it runs.
		m, _ = m.signIn(login.Done{Session: s.Session, Email: s.Email})
		// An empty list makes no call when it gets its size.
		list, _ := orgs.New(m.common()).Update(m.pageSize())
		m.stack = []pages.Page{list}
		m.subscribed = true // Init subscribes
		return m
	}
	l := login.New(m.orgd, m.keys, m.styles, "", "")
	m.login = &l
	return m
}

// clockMsg ticks once a second: the token's countdown, the retry
// countdown and the message line's expiry follow it (reading Options.Now).
type clockMsg struct{}

// healthMsg carries system.health's answer.
type healthMsg struct{ health *rpc.Health }

// healthDue asks for the next health check of chain seq.
type healthDue struct{ seq int }

// Init starts the clock, the first health check and the login dialog's
// question to orgd, or with Options.Session the session's subscription
// and its first page.
func (m Model) Init() tea.Cmd {
	if top := m.top(); m.login == nil && top != nil {
		return tea.Batch(m.tick(), m.checkHealth(), m.orgd.Subscribe(), top.Init())
	}
	return tea.Batch(m.tick(), m.checkHealth(), m.login.Init())
}

// Ended returns why the program ended by itself when hosted
// (Options.Hosted): the person logged out, or the session ended (revoked,
// expired, the organization suspended). It is one line, for the caller to
// print once the program has given the terminal back, and never holds a
// token. It is empty while the program runs and when the person quit.
func (m Model) Ended() string { return m.ended }

func (m Model) tick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// common is what the pages of the current session get.
func (m Model) common() pages.Common {
	c := pages.Common{Orgd: m.orgd, Keys: m.keys, Styles: m.styles, Now: m.now, Editor: m.editor}
	if m.session != nil {
		c.Role, c.Email, c.Org = m.session.role, m.session.email, m.session.org
	}
	return c
}
