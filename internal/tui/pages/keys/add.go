package keys

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/orgd/orgd/internal/tui/authkey"
	"github.com/orgd/orgd/internal/tui/components/form"
	"github.com/orgd/orgd/internal/tui/components/layout"
	"github.com/orgd/orgd/internal/tui/components/spin"
	"github.com/orgd/orgd/internal/tui/keymap"
	"github.com/orgd/orgd/internal/tui/pages"
	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Field keys of the add form: the params of auth.keys.add.
const (
	FieldPublicKey = "public_key"
	FieldName      = "name"
)

// Limits of the add form's fields, in characters: an authorized_keys line
// of the largest RSA key is some 3,000; a key's name is at most 64.
const (
	MaxLine = 8192
	MaxName = 64
)

// AddModel is the form that adds an SSH key: its authorized_keys line,
// pasted or typed, and an optional name. The line is read here first
// (authkey), so that what orgd would refuse is said before anything is
// sent; what orgd refuses all the same shows on the field it names. A
// private key pasted by mistake is dropped at once.
type AddModel struct {
	c             pages.Common
	width, height int
	email         string // whose key; empty for the signed-in account's own
	form          form.Model
	reads         string // what the line reads as, once it parses
	// private is set once a private key was seen: what follows it (its
	// lines, typed one by one without bracketed paste) is dropped too,
	// until a public key is given.
	private bool
	err     string
	busy    bool
	spin    spin.Model
}

type addedMsg struct {
	key *rpc.Key
	err error
}

// NewAdd returns the form that adds a key to the account email, or to the
// signed-in account when email is empty.
func NewAdd(c pages.Common, email string) AddModel {
	if strings.EqualFold(email, c.Email) {
		email = ""
	}
	f := form.New(c.Styles, c.Keys,
		form.Spec{Key: FieldPublicKey, Label: "Public key", Placeholder: authkey.Example, Limit: MaxLine},
		form.Spec{Key: FieldName, Label: "Name", Placeholder: "optional: the line's comment when empty", Optional: true, Limit: MaxName},
	)
	return AddModel{c: c, email: email, form: f, spin: spin.New(c.Styles)}
}

// Init starts nothing.
func (m AddModel) Init() tea.Cmd { return nil }

// Title names the page.
func (m AddModel) Title() string {
	if m.email == "" {
		return "Add an SSH key"
	}
	return "Add an SSH key for " + m.email
}

// Typing reports true: a field always has the focus.
func (m AddModel) Typing() bool { return true }

// Dialog reports false: the form fills the screen.
func (m AddModel) Dialog() bool { return false }

// Help returns the form's bindings.
func (m AddModel) Help() keymap.Help { return m.c.Keys.FormHelp(false) }

// Form returns the form, for tests.
func (m AddModel) Form() form.Model { return m.form }

// Err returns the error shown under the form.
func (m AddModel) Err() string { return m.err }

// Update handles keys, pastes and the reply.
func (m AddModel) Update(msg tea.Msg) (pages.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.form.SetWidth(min(m.width, 76))
		return m, nil
	case addedMsg:
		return m.added(msg)
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.Cancel) {
			return m, pages.Send(pages.Back{})
		}
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		var submit bool
		m.form, cmd, submit = m.form.Update(msg)
		m.edited()
		if submit {
			next := m.submit()
			return m, next
		}
		return m, cmd
	case tea.PasteMsg:
		if m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.form, cmd, _ = m.form.Update(msg)
		m.edited()
		return m, cmd
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

// edited looks at the line after a change: a private key is dropped at
// once, a line that parses is shown as what it reads as.
func (m *AddModel) edited() {
	line := m.form.Value(FieldPublicKey)
	m.reads = ""
	if authkey.IsPrivate(line) {
		m.dropPrivate()
		return
	}
	if k, err := authkey.Parse(line); err == nil {
		m.reads = k.Type + "  " + k.Fingerprint
		m.private = false
	}
}

// dropPrivate empties the key's field, which holds (part of) a private
// key, and says why.
func (m *AddModel) dropPrivate() {
	m.private = true
	m.form.SetValue(FieldPublicKey, "")
	m.form.SetError(FieldPublicKey, authkey.ErrPrivateKey.Error())
}

func (m *AddModel) submit() tea.Cmd {
	m.form.ClearErrors()
	m.err = ""
	line := strings.TrimSpace(m.form.Value(FieldPublicKey))
	if _, err := authkey.Parse(line); err != nil {
		if m.private || errors.Is(err, authkey.ErrPrivateKey) {
			m.dropPrivate()
			return nil
		}
		m.form.SetError(FieldPublicKey, err.Error())
		return nil
	}
	p := rpc.KeyAddParams{PublicKey: line, Name: strings.TrimSpace(m.form.Value(FieldName)), Email: m.email}
	m.busy = true
	call := m.c.Orgd.Call(func(ctx context.Context, c remote.Client, token string) (tea.Msg, error) {
		p.Token = token
		k, err := c.AddKey(ctx, p)
		return addedMsg{key: k, err: err}, err
	})
	return tea.Batch(call, m.spin.Start())
}

func (m AddModel) added(msg addedMsg) (pages.Page, tea.Cmd) {
	m.busy = false
	m.spin.Stop()
	if msg.err != nil {
		text := remote.Describe(msg.err)
		switch {
		case remote.IsUnauthenticated(msg.err):
			m.err = "your session ended: log in, then submit again"
		case m.form.SetError(remote.FieldOf(msg.err), text):
		default:
			m.err = text
		}
		return m, nil
	}
	k := *msg.key
	flash := "added the SSH key " + Name(k) + " (" + k.Fingerprint + ")"
	if m.email != "" {
		flash = "added the SSH key " + Name(k) + " for " + m.email
	}
	return m, tea.Batch(pages.Send(changedMsg{whose: m.email, focus: k.Fingerprint}), pages.BackWith(flash))
}

// View draws the form.
func (m AddModel) View() string {
	st := m.c.Styles
	width := min(m.width, 76)
	wrap := lipgloss.NewStyle().Width(width)
	who := "you log in as " + m.c.Email
	if m.email != "" {
		who = m.email + " logs in"
	}
	var b strings.Builder
	b.WriteString(st.Title.Render(m.Title()) + "\n\n")
	b.WriteString(wrap.Render(st.Subtle.Render("Paste the one line of a public key file, such as ~/.ssh/id_ed25519.pub; never the private key. With it "+
		who+" over SSH.")) + "\n\n")
	b.WriteString(m.form.View() + "\n\n")
	switch {
	case m.busy:
		b.WriteString(m.spin.View() + " adding…")
	case m.err != "":
		b.WriteString(wrap.Render(st.Error.Render(styles.ErrorMark + m.err)))
	case m.reads != "":
		b.WriteString(layout.Line(st.Success.Render(styles.SuccessMark+m.reads), width) + "\n")
		b.WriteString(st.Subtle.Render("enter adds the key; esc cancels"))
	default:
		b.WriteString(st.Subtle.Render("enter adds the key once it is pasted; esc cancels"))
	}
	return layout.Fit(b.String(), m.width, m.height)
}
