// Package editor runs the person's own text editor on a piece of text, the
// way git does: $VISUAL, then $EDITOR, then vi. The text goes into a
// temporary file that only its owner may read (documents may hold
// anything), the terminal is handed to the editor with tea.ExecProcess and
// taken back when it exits, and the file is removed afterwards, whatever
// happened.
package editor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// Fallback is the editor run when neither $VISUAL nor $EDITOR is set.
const Fallback = "vi"

// Editor runs editors. Its zero value reads the process's environment and
// hands the terminal over with tea.ExecProcess.
type Editor struct {
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// Exec runs the editor's command with the terminal handed over, and
	// delivers the callback's message when it exits; tea.ExecProcess when
	// nil.
	Exec func(c *exec.Cmd, done tea.ExecCallback) tea.Cmd
	// Dir is where the temporary file is made; the system's temporary
	// directory when empty.
	Dir string
	// Off, when set, says why no editor may run here (orgtui hosted in
	// orgd, over SSH: the editor would run on orgd's host, as orgd, and
	// most editors can start a shell). Edit then runs nothing and
	// delivers a Done with Off as its error.
	Off string
}

// Available reports whether an editor may run (Off is not set).
func (e Editor) Available() bool { return e.Off == "" }

// Done is delivered when the editor has exited.
type Done struct {
	// Tag is what was passed to Edit: it tells the screen whose edit
	// ended.
	Tag any
	// Text is the file as the editor left it, even when Err is set; empty
	// when it could not be read.
	Text string
	// Err is set when the editor could not be started or exited with a
	// failure, or the file could not be read back.
	Err error
}

// Command returns the editor's command line: $VISUAL, else $EDITOR, else
// vi, split at blanks so that "code --wait" works.
func (e Editor) Command() []string {
	getenv := e.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, name := range []string{"VISUAL", "EDITOR"} {
		if f := strings.Fields(getenv(name)); len(f) > 0 {
			return f
		}
	}
	return []string{Fallback}
}

// Edit returns a command that puts text in a new temporary file (named
// *.json so that the editor highlights it, mode 0600), runs the editor on
// it, reads it back, removes it and delivers a Done carrying tag.
func (e Editor) Edit(text string, tag any) tea.Cmd {
	if e.Off != "" {
		return func() tea.Msg { return Done{Tag: tag, Text: text, Err: errors.New(e.Off)} }
	}
	return func() tea.Msg {
		path, err := e.write(text)
		if err != nil {
			return Done{Tag: tag, Err: err}
		}
		argv := e.Command()
		c := exec.Command(argv[0], append(argv[1:], path)...)
		run := e.Exec
		if run == nil {
			run = tea.ExecProcess
		}
		return run(c, func(err error) tea.Msg {
			return finish(tag, argv[0], path, err)
		})()
	}
}

func (e Editor) write(text string) (string, error) {
	f, err := os.CreateTemp(e.Dir, "orgtui-*.json")
	if err != nil {
		return "", fmt.Errorf("make a file for the editor: %w", err)
	}
	path := f.Name()
	// CreateTemp makes the file 0600 already; say so, whatever it does.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(text)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("make a file for the editor: %w", err)
	}
	return path, nil
}

func finish(tag any, name, path string, runErr error) Done {
	data, readErr := os.ReadFile(path)
	os.Remove(path)
	d := Done{Tag: tag, Text: string(data)}
	var exit *exec.ExitError
	switch {
	case errors.As(runErr, &exit):
		d.Err = fmt.Errorf("the editor %s exited with status %d", name, exit.ExitCode())
	case runErr != nil:
		d.Err = fmt.Errorf("cannot run the editor %s (set $VISUAL or $EDITOR): %w", name, runErr)
	case readErr != nil:
		d.Err = fmt.Errorf("read the edited file back: %w", readErr)
	}
	return d
}

// Direct runs c without handing the terminal over, in the command's own
// goroutine: for tests, whose editors are scripts that need no terminal.
func Direct(c *exec.Cmd, done tea.ExecCallback) tea.Cmd {
	return func() tea.Msg { return done(c.Run()) }
}
