package remotetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/orgd/orgd/internal/tui/editor"
)

// FakeEditor is a scripted stand-in for the person's editor: a shell
// script named by $EDITOR that, each time it runs, copies the file it is
// given aside (Seen), then writes the text given to Write into it (or
// leaves it as it is), and exits with the status given to Exit.
type FakeEditor struct {
	t       testing.TB
	dir     string
	running atomic.Int64
	// Editor runs the script, without a terminal; put it in
	// pages.Common.Editor or tui.Options.Editor.
	Editor editor.Editor
}

// NewFakeEditor writes the script into a temporary directory of t.
func NewFakeEditor(t testing.TB) *FakeEditor {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "editor")
	body := fmt.Sprintf(`#!/bin/sh
d=%q
cp "$1" "$d/seen"
if [ -f "$d/next" ]; then cat "$d/next" > "$1"; fi
exit "$(cat "$d/status" 2>/dev/null || echo 0)"
`, dir)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"EDITOR": script}
	e := &FakeEditor{t: t, dir: dir}
	e.Editor = editor.Editor{
		Getenv: func(k string) string { return env[k] },
		Exec: func(c *exec.Cmd, done tea.ExecCallback) tea.Cmd {
			e.running.Add(1)
			return func() tea.Msg {
				defer e.running.Add(-1)
				return editor.Direct(c, done)()
			}
		},
		Dir: tmp,
	}
	return e
}

// Busy reports whether the editor runs; a Driver's Busy should include it,
// since a script may take longer to run than the driver waits for quiet.
func (e *FakeEditor) Busy() bool { return e.running.Load() > 0 }

// Write makes the next runs write text into the file.
func (e *FakeEditor) Write(text string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "next"), []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// Keep makes the next runs leave the file as it is.
func (e *FakeEditor) Keep() {
	e.t.Helper()
	if err := os.Remove(filepath.Join(e.dir, "next")); err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
}

// Exit makes the next runs exit with status.
func (e *FakeEditor) Exit(status int) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "status"), []byte(fmt.Sprint(status)), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// Seen returns the text the editor was last given, and "" when it never
// ran.
func (e *FakeEditor) Seen() string {
	data, _ := os.ReadFile(filepath.Join(e.dir, "seen"))
	return string(data)
}

// Ran reports whether the editor ran at all.
func (e *FakeEditor) Ran() bool {
	_, err := os.Stat(filepath.Join(e.dir, "seen"))
	return err == nil
}

// Leftovers returns the files left in the editor's temporary directory,
// which should be none.
func (e *FakeEditor) Leftovers() []string {
	entries, _ := os.ReadDir(e.Editor.Dir)
	var out []string
	for _, en := range entries {
		out = append(out, en.Name())
	}
	return out
}
