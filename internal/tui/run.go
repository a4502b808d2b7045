package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Run runs orgtui on the terminal until the person quits or ctx ends. The
// terminal is restored on exit, and on a panic (Bubble Tea catches it,
// restores the terminal, and Run returns an error).
func Run(ctx context.Context, o Options) error {
	p := tea.NewProgram(New(o), tea.WithContext(ctx))
	_, err := p.Run()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("orgtui: %w", err)
	}
	if errors.Is(err, tea.ErrProgramPanic) {
		return fmt.Errorf("orgtui: %w", err)
	}
	return nil
}
