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
	// reads $VISUAL and $EDITOR and hands the terminal over.
	Editor editor.Editor
}

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

// session is who is signed in.
type session struct {
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

	session *session
	login   *login.Model // the login dialog, while it shows
	stack   []pages.Page
	help    bool

	flash      pages.Flash
	flashUntil time.Time

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

// New returns the application, showing the login dialog.
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
		width:  80,
		height: 24,
		clock:  now(),
		conn:   statusbar.Connecting,
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
// question to orgd.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.tick(), m.checkHealth(), m.login.Init())
}

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
