package packaging_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion checks orgd completion, which make package runs to put
// completions into the packages.
func TestCompletion(t *testing.T) {
	bin := orgdBinary(t)

	t.Run("orgd completion --help names bash, zsh and fish", func(t *testing.T) {
		out := output(t, bin, "completion", "--help")
		for _, shell := range []string{"bash", "zsh", "fish"} {
			if !strings.Contains(out, "\n  "+shell+" ") {
				t.Errorf("orgd completion --help does not list %s:\n%s", shell, out)
			}
		}
	})

	tests := []struct {
		shell, marker string
	}{
		{"bash", "# bash completion V2 for orgd"},
		{"zsh", "#compdef orgd"},
		{"fish", "complete -c orgd "},
	}
	for _, tt := range tests {
		t.Run("orgd completion "+tt.shell+" writes a script "+tt.shell+" accepts", func(t *testing.T) {
			script := output(t, bin, "completion", tt.shell)
			if !strings.Contains(script, tt.marker) {
				t.Fatalf("orgd completion %s lacks %q", tt.shell, tt.marker)
			}
			if _, err := exec.LookPath(tt.shell); err != nil {
				t.Skipf("SKIP: %s is not installed to check the script's syntax", tt.shell)
			}
			path := filepath.Join(t.TempDir(), "orgd."+tt.shell)
			if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			output(t, tt.shell, "-n", path)
		})
	}

	t.Run("bash completes orgd se to serve", func(t *testing.T) {
		if got := bashCompletes(t, bin, "orgd", "se"); got != "serve" {
			t.Errorf("completions of \"orgd se\": %q, want serve", got)
		}
	})
	t.Run("bash completes orgd call member.re to member.remove", func(t *testing.T) {
		if got := bashCompletes(t, bin, "orgd", "call", "member.re"); got != "member.remove" {
			t.Errorf("completions of \"orgd call member.re\": %q, want member.remove", got)
		}
	})
}

// bashCompletes returns what bash, with bin's completion script, offers
// for the last of words.
func bashCompletes(t *testing.T, bin string, words ...string) string {
	t.Helper()
	need(t, "bash")
	const library = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(library); err != nil {
		t.Skipf("SKIP: %s is missing (Debian package bash-completion; make test-deps installs it)", library)
	}
	path := filepath.Join(t.TempDir(), "orgd.bash")
	if err := os.WriteFile(path, []byte(output(t, bin, "completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Join(words, " ")
	script := fmt.Sprintf(`source "$2"; source "$1"; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%q; COMP_POINT=%d; __start_orgd; echo "${COMPREPLY[*]}"`,
		line, len(words)-1, line, len(line))
	cmd := exec.Command("bash", "-c", script, "bash", path, library)
	cmd.Env = append(baseEnv(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	// stdout only: outside a real completion, compopt complains on stderr.
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash completion of %q: %v", line, err)
	}
	return strings.TrimSpace(string(out))
}
