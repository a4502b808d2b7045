// Package suspension is the pair of dialogs an operator suspends and
// resumes an organization with (SPEC §8). Suspending asks for a reason and
// for the organization's name typed exactly (SPEC §6); resuming, which
// lets its members back in, asks for the name too. While suspended, the
// organization's members cannot log in and their sessions end; its data is
// kept.
package suspension

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/components/confirm"
	"github.com/orgd/orgd/internal/tui/components/dialog"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// MaxReason is the longest reason orgd takes, in characters.
const MaxReason = 256

// Model is the suspend or the resume dialog.
type Model struct {
	c             pages.Common
	width, height int
	org           rpc.Organization
	resume        bool
	typed         confirm.Typed
	busy          bool
	done          bool // the dialog is closing
	err           string
	spin          spin.Model
}

type doneMsg struct {
	id  string
	org *rpc.Organization
	err error
}

// NewSuspend returns the dialog that suspends o.
func NewSuspend(c pages.Common, o rpc.Organization) Model {
	t := confirm.NewTyped(c.Styles, c.Keys, "Suspend", o.Name, "Type the organization's name to suspend it:",
		confirm.Field{Label: "Reason (optional; shown with the organization):", Placeholder: "e.g. unpaid invoice", Limit: MaxReason})
	return Model{c: c, org: o, typed: t, spin: spin.New(c.Styles)}
}

// NewResume returns the dialog that resumes o.
func NewResume(c pages.Common, o rpc.Organization) Model {
	t := confirm.NewTyped(c.Styles, c.Keys, "Resume", o.Name, "Type the organization's name to resume it:")
	return Model{c: c, org: o, resume: true, typed: t, spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m Model) Init() tea.Cmd { return nil }

// Title names the dialog.
func (m Model) Title() string {
	if m.resume {
		return "Resume " + m.org.Name
	}
	return "Suspend " + m.org.Name
}

// Typing reports true: the name (and a suspension's reason) is typed.
func (m Model) Typing() bool { return true }

// Dialog reports true: the dialog is drawn over the page below.
func (m Model) Dialog() bool { return true }

// Help returns the dialog's bindings.
func (m Model) Help() keymap.Help {
	if m.resume {
		return m.c.Keys.ConfirmHelp("resume")
	}
	return m.c.Keys.ConfirmHelp("suspend")
}

// Confirm returns the typed confirmation of the suspend dialog, for tests.
func (m Model) Confirm() confirm.Typed { return m.typed }

// Err returns the error the dialog shows.
func (m Model) Err() string { return m.err }

// Update handles keys, the reply and changes to the organization.
func (m Model) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.typed.SetWidth(dialog.Inner(m.width))
		return m, nil
	case doneMsg:
		if msg.id != m.org.ID {
			return m, nil
		}
		return m.replied(msg)
	case pages.Changed:
		if msg.Event.Organization.ID != m.org.ID || m.done {
			return m, nil
		}
		if msg.Event.Type == rpc.EventDeleted && !m.busy {
			return m, pages.BackWith(m.org.Name + " was deleted")
		}
		if msg.Event.Type != rpc.EventDeleted {
			m.org = msg.Event.Organization
			m.typed.SetWant(m.org.Name)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.typed, cmd = m.typed.Paste(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

func (m Model) key(k tea.KeyPressMsg) (pages.Page, tea.Cmd) {
	var cmd tea.Cmd
	var out confirm.Outcome
	m.typed, cmd, out = m.typed.Update(k)
	switch {
	case out == confirm.Cancelled:
		return m, pages.Send(pages.Back{})
	case m.busy:
		return m, nil
	case out == confirm.Confirmed:
		return m, m.act()
	}
	return m, cmd
}

// act calls org.suspend or org.resume.
func (m *Model) act() tea.Cmd {
	m.busy = true
	m.err = ""
	id, name, resume, reason := m.org.ID, m.org.Name, m.resume, m.typed.Value(0)
	call := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		var o *rpc.Organization
		var err error
		if resume {
			o, err = c.ResumeOrg(ctx, token, name)
		} else {
			o, err = c.SuspendOrg(ctx, token, name, reason)
		}
		return doneMsg{id: id, org: o, err: err}, err
	})
	return tea.Batch(call, m.spin.Start())
}

func (m Model) replied(msg doneMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	switch {
	case rpc.ErrorCode(msg.err) == rpc.CodeNotFound:
		m.done = true
		return m, tea.Batch(
			pages.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventDeleted, Organization: m.org}}),
			pages.BackWith(m.org.Name+" no longer exists"))
	case msg.err != nil:
		m.err = remote.Describe(msg.err)
		return m, nil
	}
	m.done = true
	flash := fmt.Sprintf("suspended %s: its members cannot log in until it is resumed", msg.org.Name)
	if m.resume {
		flash = fmt.Sprintf("resumed %s: its members can log in again", msg.org.Name)
	}
	return m, tea.Batch(
		pages.Send(pages.Changed{Event: rpc.OrgEvent{Type: rpc.EventUpdated, Organization: *msg.org}, Focus: true}),
		pages.BackWith(flash))
}

// View draws the dialog box; the application centres it over the page
// below.
func (m Model) View() string {
	st := m.c.Styles
	inner := dialog.Inner(m.width)
	var lines []string
	if m.resume {
		since := "It is suspended"
		if m.org.SuspendedAt != nil {
			since += " since " + m.org.SuspendedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		if m.org.SuspendReason != "" {
			since += ": " + m.org.SuspendReason
		}
		lines = []string{
			dialog.Wrap(m.width, st.Title.Render("Resume "+m.org.Name+"?")),
			"",
			dialog.Wrap(m.width, since+"."),
			"",
			dialog.Wrap(m.width, "Its members can log in and use it again, with the passwords they had."),
			"",
			m.typed.View(inner),
		}
	} else {
		lines = []string{
			dialog.Wrap(m.width, st.Error.Render("Suspend "+m.org.Name+"?")),
			"",
			dialog.Wrap(m.width, "Its members cannot log in, and their sessions end at once. Its data is kept as it is until an operator resumes it."),
			"",
			m.typed.View(inner),
		}
	}
	switch {
	case m.busy && m.resume:
		lines = append(lines, "", m.spin.View()+" resuming…")
	case m.busy:
		lines = append(lines, "", m.spin.View()+" suspending…")
	case m.err != "":
		lines = append(lines, "", dialog.Wrap(m.width, st.Error.Render(styles.ErrorMark+m.err)))
	}
	return dialog.Box(st, m.width, !m.resume, lines...)
}
