package editor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestCommandPrefersVisualThenEditorThenVi(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"VISUAL wins over EDITOR", map[string]string{"VISUAL": "nano", "EDITOR": "ed"}, []string{"nano"}},
		{"EDITOR when VISUAL is unset", map[string]string{"EDITOR": "ed"}, []string{"ed"}},
		{"a blank VISUAL counts as unset", map[string]string{"VISUAL": "  ", "EDITOR": "ed"}, []string{"ed"}},
		{"vi when neither is set", nil, []string{"vi"}},
		{"arguments are kept", map[string]string{"EDITOR": "code --wait -n"}, []string{"code", "--wait", "-n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (Editor{Getenv: env(tt.vars)}).Command(); !slices.Equal(got, tt.want) {
				t.Errorf("Command() = %q, want %q", got, tt.want)
			}
		})
	}
}

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "fake-editor")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs e.Edit(text) to the end and returns the Done, and the command
// that was run with the mode its file had.
func run(t *testing.T, e Editor, text string) (Done, *exec.Cmd, os.FileMode) {
	t.Helper()
	var ran *exec.Cmd
	var mode os.FileMode
	e.Exec = func(c *exec.Cmd, done tea.ExecCallback) tea.Cmd {
		ran = c
		if fi, err := os.Stat(c.Args[len(c.Args)-1]); err == nil {
			mode = fi.Mode().Perm()
		}
		return Direct(c, done)
	}
	msg := e.Edit(text, "tag")()
	d, ok := msg.(Done)
	if !ok {
		t.Fatalf("Edit delivered %T, want Done", msg)
	}
	if d.Tag != "tag" {
		t.Errorf("Done carries the tag %v", d.Tag)
	}
	return d, ran, mode
}

func TestEditRunsTheEditorOnAPrivateFileAndRemovesIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	editor := script(t, dir, `test "$1" = --flag || exit 9; cat "$2" > "$2.seen"; printf '{"a": 2}\n' > "$2"`)
	tmp := t.TempDir()
	d, c, mode := run(t, Editor{Getenv: env(map[string]string{"EDITOR": editor + " --flag"}), Dir: tmp}, "{\"a\": 1}\n")
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	if d.Text != "{\"a\": 2}\n" {
		t.Errorf("the edited text is %q", d.Text)
	}
	file := c.Args[len(c.Args)-1]
	if c.Path != editor || len(c.Args) != 3 || c.Args[1] != "--flag" || filepath.Dir(file) != tmp || !strings.HasSuffix(file, ".json") {
		t.Errorf("the command is %q %q", c.Path, c.Args)
	}
	if mode != 0o600 {
		t.Errorf("the file had mode %v while the editor ran, want 0600", mode)
	}
	if seen, err := os.ReadFile(file + ".seen"); err != nil || string(seen) != "{\"a\": 1}\n" {
		t.Errorf("the editor was handed %q (%v)", seen, err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the file is still there after the edit: %v", err)
	}
}

func TestEditReportsAnEditorThatFailsAndKeepsItsText(t *testing.T) {
	t.Parallel()
	editor := script(t, t.TempDir(), `printf 'half done' > "$1"; exit 3`)
	d, c, _ := run(t, Editor{Getenv: env(map[string]string{"VISUAL": editor}), Dir: t.TempDir()}, "{}")
	if d.Err == nil || !strings.Contains(d.Err.Error(), "exited with status 3") {
		t.Errorf("the error is %v, want the exit status", d.Err)
	}
	if d.Text != "half done" {
		t.Errorf("the text is %q, want what the editor wrote", d.Text)
	}
	if _, err := os.Stat(c.Args[len(c.Args)-1]); !os.IsNotExist(err) {
		t.Errorf("the file is still there after a failed edit: %v", err)
	}
}

func TestEditReportsAMissingEditor(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	d, _, _ := run(t, Editor{Getenv: env(map[string]string{"EDITOR": "/nonexistent/editor"}), Dir: tmp}, "{}")
	if d.Err == nil || !strings.Contains(d.Err.Error(), "cannot run the editor /nonexistent/editor") ||
		!strings.Contains(d.Err.Error(), "$EDITOR") {
		t.Errorf("the error is %v, want one that names the editor and the variables", d.Err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("files are left behind: %v", left)
	}
}

func TestWithoutExecTheTerminalIsHandedToBubbleTea(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	msg := (Editor{Getenv: env(map[string]string{"EDITOR": "/bin/true"}), Dir: tmp}).Edit("{}", "tag")()
	if _, done := msg.(Done); done {
		t.Fatalf("Edit ran the editor itself (%+v); it must hand it to tea.ExecProcess", msg)
	}
	if !strings.HasPrefix(fmt.Sprintf("%T", msg), "tea.") {
		t.Errorf("Edit delivered %T, want Bubble Tea's exec message", msg)
	}
	files, _ := os.ReadDir(tmp)
	if len(files) != 1 {
		t.Fatalf("the file for the editor is not ready: %v", files)
	}
	if fi, _ := files[0].Info(); fi.Mode().Perm() != 0o600 {
		t.Errorf("the file has mode %v, want 0600", fi.Mode().Perm())
	}
}
