// Package remote turns calls to orgd into Bubble Tea commands. It is the
// only way orgtui reaches orgd: every call runs in a tea.Cmd, off the
// Update loop, with a deadline, through rpc.Client.
package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/rpc"
)

// Client is the part of rpc.Client that orgtui uses; *rpc.Client
// satisfies it, and tests put a fake in its place.
type Client interface {
	Address() string
	Close() error
	Login(ctx context.Context, email, password string) (*rpc.Session, error)
	Bootstrap(ctx context.Context, email, password string) (*rpc.Session, error)
	GetOrg(ctx context.Context, token, name string) (*rpc.Organization, error)
	ListOrgs(ctx context.Context, p rpc.OrgListParams) (*rpc.OrgList, error)
	CreateOrg(ctx context.Context, p rpc.OrgCreateParams) (*rpc.Organization, error)
	UpdateOrg(ctx context.Context, p rpc.OrgUpdateParams) (*rpc.Organization, error)
	DeleteOrg(ctx context.Context, token, name string) error
	OrgStats(ctx context.Context, token, name string) (*rpc.OrgStats, error)
	Health(ctx context.Context) (*rpc.Health, error)
	Subscribe(ctx context.Context, token string) (<-chan rpc.OrgEvent, error)
	FindDocuments(ctx context.Context, p rpc.DataFindParams) (*rpc.DataFound, error)
	InsertDocuments(ctx context.Context, p rpc.DataInsertParams) (*rpc.DataInserted, error)
	UpdateDocuments(ctx context.Context, p rpc.DataUpdateParams) (*rpc.DataUpdated, error)
	DeleteDocuments(ctx context.Context, p rpc.DataDeleteParams) (*rpc.DataDeleted, error)

	Whoami(ctx context.Context, token string) (*rpc.Whoami, error)
	ChangePassword(ctx context.Context, token, current, next string) error
	Logout(ctx context.Context, token string, all bool) error
	SuspendOrg(ctx context.Context, token, name, reason string) (*rpc.Organization, error)
	ResumeOrg(ctx context.Context, token, name string) (*rpc.Organization, error)
	ListOperators(ctx context.Context, p rpc.OperatorListParams) (*rpc.AccountList, error)
	CreateOperator(ctx context.Context, p rpc.OperatorCreateParams) (*rpc.Account, error)
	UpdateOperator(ctx context.Context, p rpc.OperatorUpdateParams) (*rpc.Account, error)
	DeleteOperator(ctx context.Context, token, email string) error
	ListMembers(ctx context.Context, p rpc.MemberListParams) (*rpc.AccountList, error)
	AddMember(ctx context.Context, p rpc.MemberAddParams) (*rpc.Account, error)
	UpdateMember(ctx context.Context, p rpc.MemberUpdateParams) (*rpc.Account, error)
	RemoveMember(ctx context.Context, p rpc.MemberRemoveParams) error

	AddKey(ctx context.Context, p rpc.KeyAddParams) (*rpc.Key, error)
	ListKeys(ctx context.Context, p rpc.KeyListParams) (*rpc.KeyList, error)
	RemoveKey(ctx context.Context, p rpc.KeyRemoveParams) error

	ListAudit(ctx context.Context, p rpc.AuditListParams) (*rpc.AuditList, error)
}

// DefaultTimeout bounds a call when Orgd.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Orgd runs calls to one orgd on behalf of the signed-in person. It holds
// the session's token, so that a command built before a fresh login still
// calls with the token current when it runs. It is safe for concurrent use.
type Orgd struct {
	client  Client
	timeout time.Duration

	mu    sync.Mutex
	token string
	gen   int

	running atomic.Int64 // calls under way
}

// New returns an Orgd calling through c; every call is bounded by timeout
// (DefaultTimeout when zero).
func New(c Client, timeout time.Duration) *Orgd {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Orgd{client: c, timeout: timeout}
}

// Address returns orgd's address as the client resolves it.
func (o *Orgd) Address() string { return o.client.Address() }

// SetToken starts a new session with token (empty: signed out) and returns
// the session's generation, which replies carry.
func (o *Orgd) SetToken(token string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.token = token
	o.gen++
	return o.gen
}

// Session returns the current token and its generation.
func (o *Orgd) Session() (token string, gen int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.token, o.gen
}

// Busy reports whether a call is under way or about to start (tests wait
// for it). Every command from Call and Anonymous must be run.
func (o *Orgd) Busy() bool { return o.running.Load() > 0 }

// Reply is the message every command of this package produces: the
// caller's own message, and the call's error, which the application looks
// at first (to notice an ended session or a lost connection) before it
// hands Msg to the screen that asked.
type Reply struct {
	// Msg is the message the caller built from the result.
	Msg tea.Msg
	// Err is the call's error, nil on success.
	Err error
	// Gen is the session generation the call ran with.
	Gen int
	// Anonymous is set for calls made without a token (login, bootstrap,
	// health), whose -32001 does not mean that a session ended.
	Anonymous bool
}

// Func is one call: it gets a context with the deadline, the client and
// the session's token, and returns the message for the screen along with
// the call's error.
type Func func(ctx context.Context, c Client, token string) (tea.Msg, error)

// Call returns a command that runs fn with the session's token.
func (o *Orgd) Call(fn Func) tea.Cmd {
	return o.cmd(fn, false)
}

// Anonymous returns a command that runs fn without a token.
func (o *Orgd) Anonymous(fn Func) tea.Cmd {
	return o.cmd(fn, true)
}

func (o *Orgd) cmd(fn Func, anonymous bool) tea.Cmd {
	// Counted from now, not from when Bubble Tea gets round to running it:
	// a loaded machine may start the goroutine late, and a test waiting
	// for orgd's answers must not take that gap for quiet.
	o.running.Add(1)
	return func() tea.Msg {
		defer o.running.Add(-1)
		token, gen := o.Session()
		if anonymous {
			token = ""
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		msg, err := fn(ctx, o.client, token)
		return Reply{Msg: msg, Err: err, Gen: gen, Anonymous: anonymous}
	}
}

// CloseThen returns a command that closes the connection, which also ends
// the subscription, and then delivers msg. The next call opens a new
// connection.
func (o *Orgd) CloseThen(msg tea.Msg) tea.Cmd {
	return func() tea.Msg {
		_ = o.client.Close()
		return msg
	}
}

// LogoutThen returns a command that revokes token with auth.logout, best
// effort (an error, an orgd too old to know the method, or one that cannot
// be reached changes nothing: the token is forgotten anyway), then closes
// the connection and delivers msg.
func (o *Orgd) LogoutThen(token string, msg tea.Msg) tea.Cmd {
	o.running.Add(1)
	return func() tea.Msg {
		defer o.running.Add(-1)
		if token != "" {
			ctx, cancel := context.WithTimeout(context.Background(), min(o.timeout, LogoutTimeout))
			_ = o.client.Logout(ctx, token, false)
			cancel()
		}
		_ = o.client.Close()
		return msg
	}
}

// LogoutTimeout bounds the wait for auth.logout when logging out: the
// person is not kept waiting for a best-effort revocation.
const LogoutTimeout = 2 * time.Second

// Subscribed reports the outcome of Subscribe.
type Subscribed struct {
	// Events delivers the events; nil when Err is set.
	Events <-chan rpc.OrgEvent
}

// Subscribe returns a command that subscribes to org.event notifications
// with the session's token. Its Reply carries a Subscribed.
func (o *Orgd) Subscribe() tea.Cmd {
	return o.Call(func(ctx context.Context, c Client, token string) (tea.Msg, error) {
		ch, err := c.Subscribe(ctx, token)
		return Subscribed{Events: ch}, err
	})
}

// Event is one org.event notification, for subscription gen.
type Event struct {
	Event rpc.OrgEvent
	Gen   int
}

// SubscriptionEnded says that the events of subscription gen stopped: the
// connection closed, or orgd dropped a subscriber that fell behind.
type SubscriptionEnded struct{ Gen int }

// NextEvent returns a command that waits for the next event on events.
func NextEvent(events <-chan rpc.OrgEvent, gen int) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return SubscriptionEnded{Gen: gen}
		}
		return Event{Event: ev, Gen: gen}
	}
}

// IsUnauthenticated reports whether err is orgd's -32001.
func IsUnauthenticated(err error) bool {
	return rpc.ErrorCode(err) == rpc.CodeUnauthenticated
}

// IsSuspended reports whether err is orgd's -32010: the caller's
// organization, or the one named, is suspended.
func IsSuspended(err error) bool {
	return rpc.ErrorCode(err) == rpc.CodeSuspended
}

// ReasonOf returns the short machine-readable reason that err gives
// (error.data.reason, such as rpc.ReasonLastAdmin), if any.
func ReasonOf(err error) string {
	var e *rpc.Error
	if errors.As(err, &e) && e.Data != nil {
		return e.Data.Reason
	}
	return ""
}

// IsUnreachable reports whether err means that orgd could not be reached or
// did not answer: the connection failed, broke, or the call timed out.
func IsUnreachable(err error) bool {
	return errors.Is(err, rpc.ErrUnreachable) || errors.Is(err, rpc.ErrDisconnected) ||
		errors.Is(err, context.DeadlineExceeded)
}

// FieldOf returns the param that err names (error.data.field), if any.
func FieldOf(err error) string {
	var e *rpc.Error
	if errors.As(err, &e) && e.Data != nil {
		return e.Data.Field
	}
	return ""
}

// OperatorOf returns the query or update operator that err says orgd
// refused (error.data.operator), if any.
func OperatorOf(err error) string {
	var e *rpc.Error
	if errors.As(err, &e) && e.Data != nil {
		return e.Data.Operator
	}
	return ""
}

// Describe turns err into a short sentence for the screen. It never holds
// a token or a password: orgd's messages never do, and transport errors
// are summarized.
func Describe(err error) string {
	var e *rpc.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		switch e.Code {
		case rpc.CodeTooManyAttempts:
			if e.Data != nil && e.Data.RetryAfterS > 0 {
				return fmt.Sprintf("too many attempts, retry in %d s", e.Data.RetryAfterS)
			}
			return "too many attempts, retry later"
		case rpc.CodeStoreUnavailable:
			return "the store cannot be reached; nothing was changed"
		case rpc.CodeBusy:
			wait := "a moment"
			if e.Data != nil && e.Data.RetryAfterMS > 0 {
				wait = fmt.Sprintf("%.1f s", float64(e.Data.RetryAfterMS)/1000)
			}
			return "orgd is busy; nothing was changed: try again in " + wait
		case rpc.CodeOutcomeUnknown:
			return "the store stopped answering: the change may have happened; refresh (r) to see"
		case rpc.CodeInternalError:
			return "orgd had an internal error"
		case rpc.CodeMethodNotFound:
			return "this orgd does not offer that yet (it may be older than orgtui)"
		}
		return e.Message
	case errors.Is(err, context.DeadlineExceeded):
		return "orgd did not answer in time"
	case IsUnreachable(err):
		return "disconnected from orgd"
	}
	return err.Error()
}
