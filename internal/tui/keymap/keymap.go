// Package keymap is orgtui's one keymap: every key binding of every screen,
// each with the help text that the help line and the full help (?) show.
// Screens pick the bindings that apply to them with the *Help methods, so
// what the help says is always what the keys do.
package keymap

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
)

// KeyMap is every binding orgtui has.
type KeyMap struct {
	// Moving in lists.
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding

	// Acting on the organization under the cursor, or on the list.
	Open, Create, Edit, Delete, Filter, Refresh key.Binding

	// Filtering: leave the filter line keeping or dropping the query.
	ApplyFilter, ClearFilter key.Binding

	// An organization's documents: open them from its detail, then view,
	// insert, edit (in $EDITOR) and delete one.
	Documents, ViewDocument, InsertDocument, EditDocument, DeleteDocument key.Binding
	// The JSON filter line of the documents: send the filter, or put the
	// line away keeping the filter in force.
	RunFilter, CancelFilter key.Binding

	// Forms and dialogs.
	NextField, PrevField, Submit, Cancel key.Binding
	// Choose moves between the choices of a form's choice field (a role).
	Choose key.Binding
	// Switch between the login form and the first-run form.
	FirstRun key.Binding

	// Suspend and Resume (both s) act on the organization under the cursor
	// or on the page; each screen offers the one that applies.
	Suspend, Resume key.Binding

	// Accounts opens the operators' page (from the organization list);
	// Members opens an organization's members (from its detail).
	Accounts, Members key.Binding
	// Acting on the account under the cursor, or on the list.
	AddAccount, ChangeRole, ResetPassword, RemoveAccount key.Binding
	// AccountKeys opens the SSH keys of the account under the cursor
	// (operators, on the operators' and members' pages).
	AccountKeys key.Binding

	// A page of SSH keys: add one (paste its line), remove the one under
	// the cursor.
	AddKey, RemoveKey key.Binding

	// Audit opens the audit log (from the organization list); on it,
	// ShowEntry shows the entry under the cursor in full.
	Audit, ShowEntry key.Binding

	// Everywhere: Password changes one's own password, SSHKeys opens one's
	// own SSH keys.
	Back, Help, Password, SSHKeys, Logout, Quit, ForceQuit key.Binding

	// TextAlt is the alt keys that text fields take: the word moves and
	// deletes of the text input. orgtui binds no alt key of its own, so
	// any other alt+key, which is what a terminal's Escape followed at
	// once by a key reads as, is taken as Escape then the key; these stay
	// what they are while a text field has the focus.
	TextAlt key.Binding
}

// Default returns the key bindings.
func Default() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "last")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),

		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Create:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new")),
		Edit:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Delete:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),

		ApplyFilter: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),

		Documents:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "documents")),
		ViewDocument:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "view")),
		InsertDocument: key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "insert")),
		EditDocument:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		DeleteDocument: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "delete")),
		RunFilter:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run filter")),
		CancelFilter:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),

		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next/submit")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Choose:    key.NewBinding(key.WithKeys("left", "right", "space"), key.WithHelp("←/→", "choose")),
		FirstRun:  key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "first operator")),

		Suspend: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "suspend")),
		Resume:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "resume")),

		Accounts:      key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "accounts")),
		Members:       key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "members")),
		AddAccount:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "add")),
		ChangeRole:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "role")),
		ResetPassword: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "password")),
		RemoveAccount: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove")),
		// Not k, which moves up in every list.
		AccountKeys: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "ssh keys")),

		AddKey:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "add key")),
		RemoveKey: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove")),

		Audit:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "audit log")),
		ShowEntry: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "entry")),

		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Password:  key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "my password")),
		SSHKeys:   key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "my ssh keys")),
		Logout:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "log out")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),

		TextAlt: key.NewBinding(key.WithKeys(textAlt()...)),
	}
}

// textAlt returns the alt keys of the text input's own keymap.
func textAlt() []string {
	km := textinput.DefaultKeyMap()
	var out []string
	for _, b := range []key.Binding{km.WordForward, km.WordBackward, km.DeleteWordBackward, km.DeleteWordForward} {
		for _, k := range b.Keys() {
			if strings.HasPrefix(k, "alt+") {
				out = append(out, k)
			}
		}
	}
	return out
}

// Help is the set of bindings a screen offers, in the shape the help view
// takes (it implements help.KeyMap): Short for the help line, Full for the
// full help, in columns.
type Help struct {
	Short []Binding
	Full  [][]Binding
}

// Binding is a key binding; the alias keeps callers to one import.
type Binding = key.Binding

// ShortHelp returns the bindings of the help line.
func (h Help) ShortHelp() []key.Binding { return h.Short }

// FullHelp returns the bindings of the full help, in columns.
func (h Help) FullHelp() [][]key.Binding { return h.Full }

// enabled returns b, enabled or not.
func enabled(b key.Binding, on bool) key.Binding {
	b.SetEnabled(on)
	return b
}

// global is the column of keys that work on every screen.
func (k KeyMap) global() []Binding {
	return []Binding{k.Help, k.Password, k.SSHKeys, k.Logout, k.Quit, k.ForceQuit}
}

// ListOffer says what the organization list offers the signed-in account.
type ListOffer struct {
	// Create: n (operators).
	Create bool
	// Edit and Delete: e and d on the selected organization (operators,
	// and admins of it; a suspended one can be deleted, not edited).
	Edit, Delete bool
	// Suspend or Resume: s on the selected organization, which is active
	// or suspended (operators).
	Suspend, Resume bool
	// Accounts: A (operators).
	Accounts bool
	// Audit: a (operators and admins).
	Audit bool
}

// ListHelp is the help of the organization list.
func (k KeyMap) ListHelp(o ListOffer) Help {
	create := enabled(k.Create, o.Create)
	edit, del := enabled(k.Edit, o.Edit), enabled(k.Delete, o.Delete)
	suspend, resume := enabled(k.Suspend, o.Suspend), enabled(k.Resume, o.Resume)
	accounts := enabled(k.Accounts, o.Accounts)
	audit := enabled(k.Audit, o.Audit)
	return Help{
		Short: []Binding{k.Open, create, edit, del, suspend, resume, k.Filter, k.Help, accounts, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{k.Open, create, edit, del, suspend, resume},
			{k.Filter, k.ClearFilter, k.Refresh, accounts, audit},
			k.global(),
		},
	}
}

// FilterHelp is the help while the filter line has focus.
func (k KeyMap) FilterHelp() Help {
	return Help{
		Short: []Binding{k.ApplyFilter, k.ClearFilter, k.ForceQuit},
		Full:  [][]Binding{{k.ApplyFilter, k.ClearFilter}, {k.ForceQuit}},
	}
}

// DetailOffer says what an organization's detail page offers.
type DetailOffer struct {
	// Edit and Delete: e and d (operators, and admins of it; a suspended
	// organization can be deleted, not edited).
	Edit, Delete bool
	// Suspend or Resume: s, as the organization is active or suspended
	// (operators).
	Suspend, Resume bool
}

// DetailHelp is the help of an organization's detail page.
func (k KeyMap) DetailHelp(o DetailOffer) Help {
	edit, del := enabled(k.Edit, o.Edit), enabled(k.Delete, o.Delete)
	suspend, resume := enabled(k.Suspend, o.Suspend), enabled(k.Resume, o.Resume)
	return Help{
		Short: []Binding{k.Documents, k.Members, edit, del, suspend, resume, k.Back, k.Help, k.Refresh},
		Full: [][]Binding{
			{k.Documents, k.Members, edit, del, suspend, resume, k.Refresh},
			append([]Binding{k.Back}, k.global()...),
		},
	}
}

// DocumentsHelp is the help of an organization's documents. filtered says
// whether a filter is in force, which esc then clears (instead of going
// back); change whether the account may insert, edit and delete; editor
// whether an editor may run here, which inserting and editing need.
func (k KeyMap) DocumentsHelp(filtered, change, editor bool) Help {
	esc := k.Back
	if filtered {
		esc = k.ClearFilter
	}
	insert, edit := enabled(k.InsertDocument, change && editor), enabled(k.EditDocument, change && editor)
	del := enabled(k.DeleteDocument, change)
	return Help{
		Short: []Binding{k.ViewDocument, insert, edit, del, k.Filter, esc, k.Help},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{k.ViewDocument, insert, edit, del},
			{k.Filter, esc, k.Refresh},
			k.global(),
		},
	}
}

// JSONFilterHelp is the help while the documents' filter line has focus.
func (k KeyMap) JSONFilterHelp() Help {
	return Help{
		Short: []Binding{k.RunFilter, k.CancelFilter, k.ForceQuit},
		Full:  [][]Binding{{k.RunFilter, k.CancelFilter}, {k.ForceQuit}},
	}
}

// DocumentHelp is the help of one document's page; change says whether
// the account may edit and delete it, editor whether an editor may run
// here, which editing needs.
func (k KeyMap) DocumentHelp(change, editor bool) Help {
	scroll := k.Down
	scroll.SetHelp("↑/↓", "scroll")
	edit, del := enabled(k.EditDocument, change && editor), enabled(k.DeleteDocument, change)
	return Help{
		Short: []Binding{scroll, edit, del, k.Refresh, k.Back, k.Help, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{edit, del, k.Refresh},
			append([]Binding{k.Back}, k.global()...),
		},
	}
}

// AccountsOffer says what a list of accounts (operators, or an
// organization's members) offers for the account under the cursor.
type AccountsOffer struct {
	// Add: n.
	Add bool
	// ChangeRole: e (members only).
	ChangeRole bool
	// ResetPassword: p.
	ResetPassword bool
	// Remove: d.
	Remove bool
	// Keys: s, the account's SSH keys (operators).
	Keys bool
}

// AccountsHelp is the help of the operators' page and of an
// organization's members.
func (k KeyMap) AccountsHelp(o AccountsOffer) Help {
	add, role := enabled(k.AddAccount, o.Add), enabled(k.ChangeRole, o.ChangeRole)
	reset, remove := enabled(k.ResetPassword, o.ResetPassword), enabled(k.RemoveAccount, o.Remove)
	keys := enabled(k.AccountKeys, o.Keys)
	return Help{
		Short: []Binding{add, role, reset, remove, keys, k.Back, k.Help, k.Refresh, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{add, role, reset, remove, keys, k.Refresh},
			append([]Binding{k.Back}, k.global()...),
		},
	}
}

// KeysOffer says what a page of SSH keys offers.
type KeysOffer struct {
	// Remove: d, on the key under the cursor.
	Remove bool
}

// KeysHelp is the help of a page of SSH keys: one's own, or (for
// operators) another account's.
func (k KeyMap) KeysHelp(o KeysOffer) Help {
	remove := enabled(k.RemoveKey, o.Remove)
	return Help{
		Short: []Binding{k.AddKey, remove, k.Back, k.Help, k.Refresh, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{k.AddKey, remove, k.Refresh},
			append([]Binding{k.Back}, k.global()...),
		},
	}
}

// AuditHelp is the help of the audit log. filtered says whether a filter
// is in force, which esc then clears (instead of going back).
func (k KeyMap) AuditHelp(filtered bool) Help {
	esc := k.Back
	if filtered {
		esc = k.ClearFilter
	}
	return Help{
		Short: []Binding{k.ShowEntry, k.Filter, esc, k.Refresh, k.Help, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{k.ShowEntry, k.Filter, esc, k.Refresh},
			k.global(),
		},
	}
}

// AuditEntryHelp is the help of one audit entry shown in full: the
// arrows move to the entry before or after it.
func (k KeyMap) AuditEntryHelp() Help {
	move := k.Down
	move.SetHelp("↑/↓", "other entries")
	return Help{
		Short: []Binding{move, k.Back, k.Help, k.Quit},
		Full:  [][]Binding{{k.Up, k.Down}, append([]Binding{k.Back}, k.global()...)},
	}
}

// FormHelp is the help of a form (create, edit, log in). choice says
// whether the focused field is a choice, which the arrows change.
func (k KeyMap) FormHelp(choice bool) Help {
	choose := enabled(k.Choose, choice)
	return Help{
		Short: []Binding{k.NextField, k.PrevField, choose, k.Submit, k.Cancel, k.ForceQuit},
		Full:  [][]Binding{{k.NextField, k.PrevField, choose}, {k.Submit, k.Cancel, k.ForceQuit}},
	}
}

// LoginHelp is the help of the login and first-run forms. canSwitch offers
// the switch to the other form; firstRun says which form shows.
func (k KeyMap) LoginHelp(canSwitch, firstRun bool) Help {
	sw := k.FirstRun
	sw.SetEnabled(canSwitch)
	if firstRun {
		sw.SetHelp("ctrl+n", "log in instead")
	}
	return Help{
		Short: []Binding{k.NextField, k.Submit, sw, k.ForceQuit},
		Full:  [][]Binding{{k.NextField, k.PrevField, k.Submit}, {sw, k.ForceQuit}},
	}
}

// ConfirmHelp is the help of a confirmation dialog whose primary action
// is action ("delete", "suspend", "resume"): enter does it (once what must
// be typed is typed), tab moves between the field and the buttons, esc
// cancels.
func (k KeyMap) ConfirmHelp(action string) Help {
	submit := k.Submit
	submit.SetHelp("enter", action)
	next := k.NextField
	next.SetHelp("tab", "move")
	return Help{
		Short: []Binding{submit, next, k.Cancel, k.ForceQuit},
		Full:  [][]Binding{{submit, next, k.PrevField}, {k.Cancel, k.ForceQuit}},
	}
}

// HelpHelp is the help while the full help is shown.
func (k KeyMap) HelpHelp() Help {
	closeHelp := k.Help
	closeHelp.SetHelp("?/esc", "close help")
	return Help{Short: []Binding{closeHelp, k.Quit}, Full: [][]Binding{{closeHelp, k.Quit}}}
}
