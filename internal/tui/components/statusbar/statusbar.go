// Package statusbar draws the bottom line: orgd's address, the store's kind
// and health, who is signed in with which role, how long the token has
// left, and the state of the connection.
package statusbar

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/orgd/orgd/internal/tui/styles"
	"github.com/orgd/orgd/rpc"
)

// Conn is the state of the connection to orgd.
type Conn int

// Connection states.
const (
	Connecting Conn = iota
	Connected
	Disconnected
)

// Status is what the bar shows.
type Status struct {
	// Addr is orgd's address.
	Addr string
	// Conn is the connection's state; RetryIn, when disconnected, is how
	// long until the next attempt.
	Conn    Conn
	RetryIn time.Duration
	// Store is the store's health from system.health; nil until known.
	Store *rpc.StoreHealth
	// Email and Role of the signed-in account; empty when signed out.
	Email, Role string
	// Expires is when the token expires.
	Expires time.Time
	// Now is the current time, for the token's remaining life.
	Now time.Time
}

const sep = " │ "

// View draws the bar width cells wide. When it does not fit, the address
// is shortened first (from the left, keeping the socket's name), then the
// other parts are dropped from the left; the connection state always shows.
func View(st *styles.Styles, s Status, width int) string {
	bar := st.StatusBar
	conn := connection(st, s)
	var parts []string
	if s.Store != nil {
		if s.Store.OK {
			parts = append(parts, st.StatusOK.Render(s.Store.Kind+" ok"))
		} else {
			parts = append(parts, st.StatusBad.Render(s.Store.Kind+" down"))
		}
	}
	if s.Email != "" {
		parts = append(parts, bar.Render(s.Email+" ("+s.Role+")"))
		if life := tokenLife(st, s.Expires, s.Now); life != "" {
			parts = append(parts, life)
		}
	}
	parts = append(parts, conn)
	rest := strings.Join(parts, bar.Render(sep))

	addr := s.Addr
	avail := width - 2 - lipgloss.Width(rest) - lipgloss.Width(sep)
	switch {
	case avail >= lipgloss.Width(addr):
	case avail >= 8:
		addr = ansi.TruncateLeft(addr, lipgloss.Width(addr)-avail+1, "…")
	default:
		addr = ""
	}
	line := rest
	if addr != "" {
		line = bar.Render(addr) + bar.Render(sep) + rest
	}
	for lipgloss.Width(line) > width-2 && len(parts) > 1 {
		parts = parts[1:]
		line = strings.Join(parts, bar.Render(sep))
	}
	line = ansi.Truncate(line, max(0, width-2), "…")
	pad := max(0, width-2-lipgloss.Width(line))
	return bar.Render(" ") + line + bar.Render(strings.Repeat(" ", pad)+" ")
}

func connection(st *styles.Styles, s Status) string {
	switch s.Conn {
	case Connected:
		return st.StatusOK.Render("● connected")
	case Disconnected:
		msg := "○ disconnected, retrying"
		if s.RetryIn > 0 {
			msg += fmt.Sprintf(" in %d s", int((s.RetryIn+time.Second-1)/time.Second))
		}
		return st.StatusBad.Render(msg)
	}
	return st.StatusWarn.Render("◌ connecting")
}

func tokenLife(st *styles.Styles, expires, now time.Time) string {
	if expires.IsZero() {
		return ""
	}
	left := expires.Sub(now)
	switch {
	case left <= 0:
		return st.StatusBad.Render("token expired")
	case left < 5*time.Minute:
		return st.StatusWarn.Render("token " + Duration(left))
	}
	return st.StatusBar.Render("token " + Duration(left))
}

// Duration says d in the largest whole unit that fits: "59m", "2h 5m",
// "40s".
func Duration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		h := int(d / time.Hour)
		m := int((d % time.Hour) / time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}
