// Package keymap is orgtui's one keymap: every key binding of every screen,
// each with the help text that the help line and the full help (?) show.
// Screens pick the bindings that apply to them with the *Help methods, so
// what the help says is always what the keys do.
package keymap

import (
	"charm.land/bubbles/v2/key"
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
	// Switch between the login form and the first-run form.
	FirstRun key.Binding

	// Everywhere.
	Back, Help, Logout, Quit, ForceQuit key.Binding
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
		FirstRun:  key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "first operator")),

		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Logout:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "log out")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
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

// ListHelp is the help of the organization list. canCreate is false for an
// admin, who cannot create organizations.
func (k KeyMap) ListHelp(canCreate bool) Help {
	create := k.Create
	create.SetEnabled(canCreate)
	return Help{
		Short: []Binding{k.Open, create, k.Edit, k.Delete, k.Filter, k.Help, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{k.Open, create, k.Edit, k.Delete},
			{k.Filter, k.ClearFilter, k.Refresh},
			{k.Help, k.Logout, k.Quit, k.ForceQuit},
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

// DetailHelp is the help of an organization's detail page.
func (k KeyMap) DetailHelp() Help {
	return Help{
		Short: []Binding{k.Documents, k.Edit, k.Delete, k.Refresh, k.Back, k.Help, k.Quit},
		Full: [][]Binding{
			{k.Documents, k.Edit, k.Delete, k.Refresh},
			{k.Back, k.Help, k.Logout, k.Quit, k.ForceQuit},
		},
	}
}

// DocumentsHelp is the help of an organization's documents. filtered says
// whether a filter is in force, which esc then clears (instead of going
// back).
func (k KeyMap) DocumentsHelp(filtered bool) Help {
	esc := k.Back
	if filtered {
		esc = k.ClearFilter
	}
	return Help{
		Short: []Binding{k.ViewDocument, k.InsertDocument, k.EditDocument, k.DeleteDocument, k.Filter, esc, k.Help},
		Full: [][]Binding{
			{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
			{k.ViewDocument, k.InsertDocument, k.EditDocument, k.DeleteDocument},
			{k.Filter, esc, k.Refresh},
			{k.Help, k.Logout, k.Quit, k.ForceQuit},
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

// DocumentHelp is the help of one document's page.
func (k KeyMap) DocumentHelp() Help {
	scroll := k.Down
	scroll.SetHelp("↑/↓", "scroll")
	return Help{
		Short: []Binding{scroll, k.EditDocument, k.DeleteDocument, k.Refresh, k.Back, k.Help, k.Quit},
		Full: [][]Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.EditDocument, k.DeleteDocument, k.Refresh},
			{k.Back, k.Help, k.Logout, k.Quit, k.ForceQuit},
		},
	}
}

// FormHelp is the help of a form (create, edit, log in).
func (k KeyMap) FormHelp() Help {
	return Help{
		Short: []Binding{k.NextField, k.PrevField, k.Submit, k.Cancel, k.ForceQuit},
		Full:  [][]Binding{{k.NextField, k.PrevField}, {k.Submit, k.Cancel, k.ForceQuit}},
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

// DeleteHelp is the help of the delete dialog.
func (k KeyMap) DeleteHelp() Help {
	next := k.NextField
	next.SetHelp("tab", "choose button")
	press := k.Submit
	press.SetHelp("enter", "press button")
	return Help{
		Short: []Binding{next, press, k.Cancel, k.ForceQuit},
		Full:  [][]Binding{{next, press}, {k.Cancel, k.ForceQuit}},
	}
}

// HelpHelp is the help while the full help is shown.
func (k KeyMap) HelpHelp() Help {
	closeHelp := k.Help
	closeHelp.SetHelp("?/esc", "close help")
	return Help{Short: []Binding{closeHelp, k.Quit}, Full: [][]Binding{{closeHelp, k.Quit}}}
}
