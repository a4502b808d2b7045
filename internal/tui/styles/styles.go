// Package styles is the one place where orgtui's Lip Gloss styles are
// defined. Every screen and component takes its styles from a *Styles.
//
// Meaning never rests on colour alone: the selected row is reversed, errors
// start with a mark, the focused field has a pointer. So the screens read the
// same on a 16-colour terminal and with NO_COLOR, where the renderer drops
// colours and keeps bold, faint and reverse.
//
// The colours are chosen to read on dark and light backgrounds alike, so
// orgtui never has to ask the terminal for its background colour (a query
// that can stall over a slow SSH link).
package styles

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Styles holds every style orgtui draws with.
type Styles struct {
	// Header is the top line: the product and the page's title.
	Header lipgloss.Style
	// Brand is the product name in the header.
	Brand lipgloss.Style
	// Title is a page's or dialog's title.
	Title lipgloss.Style
	// Subtle is for secondary text: hints, counts, placeholders.
	Subtle lipgloss.Style
	// Text is plain body text.
	Text lipgloss.Style
	// Error is for an error message; Mark precedes it.
	Error lipgloss.Style
	// Success is for a confirmation ("created Acme").
	Success lipgloss.Style
	// Warning is for a state that needs attention but is not an error.
	Warning lipgloss.Style
	// Key renders a key name inside prose ("press n").
	Key lipgloss.Style

	// TableHeader is the table's column header line.
	TableHeader lipgloss.Style
	// Row is an unselected table row; SelectedRow the row under the cursor.
	Row, SelectedRow lipgloss.Style
	// StateActive and StateBusy colour the state column; StateSuspended
	// marks a suspended organization (bold as well, so it stands out
	// without colour too).
	StateActive, StateBusy, StateSuspended lipgloss.Style

	// Label is a form field's label; FocusedLabel the focused field's.
	Label, FocusedLabel lipgloss.Style
	// FieldError is the message under a field the server refused.
	FieldError lipgloss.Style
	// Input styles the text inputs.
	Input textinput.Styles

	// Dialog is the box drawn around dialogs (login, delete).
	Dialog lipgloss.Style
	// DangerDialog is the box of a dialog that destroys data.
	DangerDialog lipgloss.Style
	// Button and ActiveButton are a dialog's buttons; DisabledButton one
	// that cannot be pressed yet.
	Button, ActiveButton, DisabledButton lipgloss.Style
	// DangerButton is the active button of a destructive action.
	DangerButton lipgloss.Style

	// JSONKey, JSONString, JSONNumber and JSONLiteral colour a document's
	// keys, strings, numbers and true/false/null; JSONWrapper its Extended
	// JSON type wrappers ({"$oid": …}, {"$date": …}) with what they hold;
	// JSONPunct braces, brackets, commas and colons; JSONInvalid text that
	// is not JSON. Wrappers are bold and broken text underlined, so both
	// stand out without colour too.
	JSONKey, JSONString, JSONNumber, JSONLiteral, JSONWrapper, JSONPunct, JSONInvalid lipgloss.Style

	// AuditAction is the action column of the audit log.
	AuditAction lipgloss.Style

	// StatusBar is the bottom line; StatusOK, StatusBad and StatusWarn
	// colour its segments.
	StatusBar, StatusOK, StatusBad, StatusWarn lipgloss.Style
	// Help styles the help line and the full help.
	Help help.Styles
	// Spinner styles the spinner shown while waiting for orgd.
	Spinner lipgloss.Style
}

// Marks that carry meaning without colour.
const (
	ErrorMark   = "✗ "
	SuccessMark = "✓ "
	Pointer     = "› "
)

// New returns orgtui's styles.
func New() *Styles {
	var (
		accent  = lipgloss.Color("#7D56F4")
		red     = lipgloss.Color("#D7263D")
		green   = lipgloss.Color("#2E9E5B")
		amber   = lipgloss.Color("#C98A12")
		gray    = lipgloss.Color("#8A8A8A")
		cyan    = lipgloss.Color("#2A9DB5")
		yellow  = lipgloss.Color("#C0A000")
		magenta = lipgloss.Color("#B8479B")
		barBg   = lipgloss.Color("#3A3A4A")
		barFg   = lipgloss.Color("#E8E8E8")
	)
	s := &Styles{}
	s.Header = lipgloss.NewStyle().Bold(true)
	s.Brand = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Title = lipgloss.NewStyle().Bold(true)
	s.Subtle = lipgloss.NewStyle().Foreground(gray)
	s.Text = lipgloss.NewStyle()
	s.Error = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Success = lipgloss.NewStyle().Foreground(green)
	s.Warning = lipgloss.NewStyle().Foreground(amber)
	s.Key = lipgloss.NewStyle().Bold(true)

	s.TableHeader = lipgloss.NewStyle().Bold(true)
	s.Row = lipgloss.NewStyle()
	s.SelectedRow = lipgloss.NewStyle().Reverse(true).Bold(true)
	s.StateActive = lipgloss.NewStyle().Foreground(green)
	s.StateBusy = lipgloss.NewStyle().Foreground(amber)
	s.StateSuspended = lipgloss.NewStyle().Foreground(red).Bold(true)

	s.Label = lipgloss.NewStyle()
	s.FocusedLabel = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.FieldError = lipgloss.NewStyle().Foreground(red)
	s.Input = textinput.Styles{
		Focused: textinput.StyleState{
			Text:        lipgloss.NewStyle(),
			Placeholder: lipgloss.NewStyle().Foreground(gray).Faint(true),
			Suggestion:  lipgloss.NewStyle().Foreground(gray),
			Prompt:      lipgloss.NewStyle().Foreground(accent),
		},
		Blurred: textinput.StyleState{
			Text:        lipgloss.NewStyle(),
			Placeholder: lipgloss.NewStyle().Foreground(gray).Faint(true),
			Suggestion:  lipgloss.NewStyle().Foreground(gray),
			Prompt:      lipgloss.NewStyle().Foreground(gray),
		},
		// A steady cursor: blinking would redraw the screen twice a second,
		// which costs bandwidth over SSH.
		Cursor: textinput.CursorStyle{Shape: tea.CursorBlock, Blink: false},
	}

	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 2)
	s.DangerDialog = s.Dialog.BorderForeground(red)
	s.Button = lipgloss.NewStyle().Padding(0, 1)
	s.ActiveButton = lipgloss.NewStyle().Padding(0, 1).Reverse(true).Bold(true)
	s.DisabledButton = lipgloss.NewStyle().Padding(0, 1).Faint(true).Strikethrough(true)
	s.DangerButton = lipgloss.NewStyle().Padding(0, 1).Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(red)

	// Each kind keeps a colour of its own when a 16-colour terminal rounds
	// them: cyan, green, yellow, magenta, and bright blue for wrappers.
	s.JSONKey = lipgloss.NewStyle().Foreground(cyan)
	s.JSONString = lipgloss.NewStyle().Foreground(green)
	s.JSONNumber = lipgloss.NewStyle().Foreground(yellow)
	s.JSONLiteral = lipgloss.NewStyle().Foreground(magenta)
	s.JSONWrapper = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.JSONPunct = lipgloss.NewStyle().Foreground(gray)
	s.JSONInvalid = lipgloss.NewStyle().Foreground(red).Underline(true)

	s.AuditAction = lipgloss.NewStyle().Foreground(cyan)

	s.StatusBar = lipgloss.NewStyle().Foreground(barFg).Background(barBg)
	s.StatusOK = lipgloss.NewStyle().Foreground(lipgloss.Color("#7EE2A8")).Background(barBg)
	s.StatusBad = lipgloss.NewStyle().Foreground(lipgloss.Color("#FF8A8A")).Background(barBg).Bold(true)
	s.StatusWarn = lipgloss.NewStyle().Foreground(lipgloss.Color("#F5C26B")).Background(barBg)

	s.Help = help.Styles{
		ShortKey:       lipgloss.NewStyle().Bold(true),
		ShortDesc:      lipgloss.NewStyle().Foreground(gray),
		ShortSeparator: lipgloss.NewStyle().Foreground(gray),
		Ellipsis:       lipgloss.NewStyle().Foreground(gray),
		FullKey:        lipgloss.NewStyle().Bold(true),
		FullDesc:       lipgloss.NewStyle().Foreground(gray),
		FullSeparator:  lipgloss.NewStyle().Foreground(gray),
	}
	s.Spinner = lipgloss.NewStyle().Foreground(accent)
	return s
}
