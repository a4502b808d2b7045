package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweepRemovesOnlyWhatExitedProcessesLeft: the directories of a test
// process that is gone are removed; those of one still running, and files
// that only look alike, are kept.
func TestSweepRemovesOnlyWhatExitedProcessesLeft(t *testing.T) {
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	dead := strconv.Itoa(exited.Process.Pid)
	live := strconv.Itoa(os.Getppid())
	tmp := os.TempDir()
	paths := map[string]bool{ // path: whether sweep should remove it
		filepath.Join(tmp, binPrefix+dead):     true,
		filepath.Join(tmp, storePrefix+dead):   true,
		filepath.Join(tmp, binPrefix+live):     false,
		filepath.Join(tmp, binPrefix+"x"+dead): false,
	}
	for p := range paths {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("%s exists already; not touching it", p)
		}
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(p) })
	}
	sweep()
	for p, gone := range paths {
		_, err := os.Stat(p)
		if gone && err == nil {
			t.Errorf("%s was left behind by a process that exited", p)
		}
		if !gone && err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
