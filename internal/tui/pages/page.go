// Package pages holds what every screen of orgtui shares: the Page
// interface, the Common things each page gets, and the messages pages send
// to the application (open a page, go back, say something). Each screen is a
// package below this one.
package pages

import (
	"encoding/json"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/editor"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Common is what every page gets from the application.
type Common struct {
	// Orgd runs calls to orgd.
	Orgd *remote.Orgd
	// Keys is the keymap.
	Keys *keymap.KeyMap
	// Styles are the styles.
	Styles *styles.Styles
	// Role is the signed-in account's role: rpc.RoleOperator,
	// rpc.RoleAdmin or rpc.RoleViewer.
	Role string
	// Email is the signed-in account's email.
	Email string
	// Org is the signed-in member's organization; nil for an operator.
	Org *rpc.OrgRef
	// Now returns the current time.
	Now func() time.Time
	// Editor runs the person's text editor.
	Editor editor.Editor
}

// CanCreate reports whether the signed-in account may create
// organizations: operators may, members may not.
func (c Common) CanCreate() bool { return c.Role == rpc.RoleOperator }

// IsOperator reports whether the signed-in account is an operator: it may
// suspend and resume organizations and manage the operators.
func (c Common) IsOperator() bool { return c.Role == rpc.RoleOperator }

// CanChange reports whether the signed-in account may change what it
// sees: edit and delete organizations, manage their members, and insert,
// edit and delete documents. Operators and admins may; viewers only read.
func (c Common) CanChange() bool { return c.Role == rpc.RoleOperator || c.Role == rpc.RoleAdmin }

// CanChangeOrg reports whether the signed-in account may change o: it
// may change things (CanChange), and o is not suspended, which leaves it
// as it is until an operator resumes it (deleting it stays possible).
func (c Common) CanChangeOrg(o rpc.Organization) bool {
	return c.CanChange() && o.State != rpc.StateSuspended
}

// Page is one screen. The application keeps a stack of them: the
// organization list at the bottom, what was opened from it above. Keys go
// to the top page only; every other message goes to every page, which
// ignores what is not its own.
type Page interface {
	// Init returns the page's first command (usually a load).
	Init() tea.Cmd
	// Update handles a message. A tea.WindowSizeMsg gives the size of the
	// area the page draws in.
	Update(msg tea.Msg) (Page, tea.Cmd)
	// View draws the page in its area.
	View() string
	// Title names the page in the header.
	Title() string
	// Help returns the bindings the page offers now.
	Help() keymap.Help
	// Typing reports whether a text field has the focus, so that keys such
	// as q, r and ? are typed instead of acting.
	Typing() bool
	// Dialog reports whether the page is drawn as a dialog over the page
	// below it rather than in place of it.
	Dialog() bool
}

// Open asks the application to push Page on the stack.
type Open struct{ Page Page }

// Back asks the application to pop the top page, showing Flash, if any.
type Back struct{ Flash string }

// Flash asks the application to show a short message above the help line.
type Flash struct {
	Text string
	Err  bool
}

// Reload tells every page that its data may be stale (after a reconnect or
// a fresh login) and should be loaded again.
type Reload struct{}

// Changed tells every page that an organization changed, from an org.event
// or from a call of this application that succeeded. Focus asks the list to
// put its cursor on the organization.
type Changed struct {
	Event rpc.OrgEvent
	Focus bool
}

// DocumentChanged tells every page that this application changed a
// document in an organization's collection: saved it, or deleted it.
type DocumentChanged struct {
	// Org is the organization's ID.
	Org string
	// ID is the document's _id as compact canonical Extended JSON.
	ID string
	// Doc is the document as orgd now has it (canonical Extended JSON);
	// nil when it was deleted.
	Doc json.RawMessage
}

// AccountsChanged tells every page that this application added, changed
// or removed an account: an operator (Org empty) or a member of the
// organization whose ID is Org. Lists of those accounts load again,
// putting their cursor on Email.
type AccountsChanged struct {
	Org   string
	Email string
}

// Renewed asks the application to go on with a new session of the same
// account (after a password change revoked the old token).
type Renewed struct {
	Session rpc.Session
}

// EndSession asks the application to end the session and show the login
// dialog with Notice.
type EndSession struct {
	Notice string
}

// Send returns a command that delivers msg.
func Send(msg tea.Msg) tea.Cmd {
	return func() tea.Msg { return msg }
}

// BackWith returns a command that pops the top page and flashes text.
func BackWith(text string) tea.Cmd { return Send(Back{Flash: text}) }
