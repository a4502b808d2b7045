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
	_, err := RunProgram(ctx, o)
	return err
}

// NewProgram returns orgtui's Bubble Tea program for o, which ends with
// ctx. opts are applied after orgtui's own, so a caller that is not a
// terminal's own process gives the program its terminal with them: orgd's
// SSH server passes the SSH session's input and output, environment,
// window size and colour profile (tea.WithInput, tea.WithOutput,
// tea.WithEnvironment, tea.WithWindowSize, tea.WithColorProfile). Window
// changes that do not come through the input (an SSH session's
// window-change requests) are given with p.Send(tea.WindowSizeMsg{…}).
//
// The model p.Run returns is a Model; its Ended method says why a hosted
// session ended (Options.Hosted).
func NewProgram(ctx context.Context, o Options, opts ...tea.ProgramOption) *tea.Program {
	return tea.NewProgram(New(o), append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)...)
}

// RunProgram runs NewProgram(ctx, o, opts...) until the person quits, the
// session ends (Options.Hosted) or ctx ends; a caller that must send the
// program window changes uses NewProgram instead. It returns why a hosted
// session ended, one line to print to the person once the terminal is
// theirs again (Model.Ended: "Logged out.", "Your session expired.", …);
// it is empty when the person quit or ctx ended. The terminal is restored
// on exit and on a panic, which comes back as an error.
func RunProgram(ctx context.Context, o Options, opts ...tea.ProgramOption) (ended string, err error) {
	final, err := NewProgram(ctx, o, opts...).Run()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return "", fmt.Errorf("orgtui: %w", err)
	}
	if errors.Is(err, tea.ErrProgramPanic) {
		return "", fmt.Errorf("orgtui: %w", err)
	}
	if m, ok := final.(Model); ok {
		ended = m.Ended()
	}
	return ended, nil
}
