package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckDataDirOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: the check applies to root only, and the test must chown")
	}
	const nobody = 65534
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		refused bool
	}{
		{"root may use its own data directory", func(t *testing.T) string { return t.TempDir() }, false},
		{"root may create a missing data directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "new") }, false},
		{"root may not use another user's data directory", func(t *testing.T) string {
			dir := t.TempDir()
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return dir
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			err := checkDataDirOwner(dir)
			if (err != nil) != tt.refused {
				t.Fatalf("checkDataDirOwner(%s) = %v, want refused=%v", dir, err, tt.refused)
			}
			if err != nil && !strings.Contains(err.Error(), "runuser -u") {
				t.Errorf("the error %q does not say how to run as the owner", err)
			}
		})
	}
}
