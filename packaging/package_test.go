package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// packageVersion is the version the package test builds.
const packageVersion = "9.8.7"

// makePackage runs make package into a temporary directory and returns its
// dist directory.
func makePackage(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "-C", repoRoot(t), "package",
		"BIN="+filepath.Join(out, "bin"), "DIST="+filepath.Join(out, "dist"), "VERSION=v"+packageVersion)
	cmd.Env = baseEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, b)
	}
	return filepath.Join(out, "dist")
}

// only returns the one file in dir matching pattern.
func only(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) != 1 {
		t.Fatalf("want one %s in %s, found %q", pattern, dir, m)
	}
	return m[0]
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

// TestPackage builds the .deb and the .rpm with make package and looks
// inside the .deb with dpkg.
func TestPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: make package builds orgd and both packages; not in -short")
	}
	need(t, "make", "dpkg-deb", "dpkg")
	dist := makePackage(t)
	deb := only(t, dist, "orgd_*.deb")
	rpm := only(t, dist, "orgd-*.rpm")

	t.Run("the .deb's control fields name orgd, its version and this architecture", func(t *testing.T) {
		arch := strings.TrimSpace(output(t, "dpkg", "--print-architecture"))
		for field, want := range map[string]string{
			"Package":      "orgd",
			"Version":      packageVersion + "-1",
			"Architecture": arch,
			"Section":      "admin",
		} {
			if got := strings.TrimSpace(output(t, "dpkg-deb", "--field", deb, field)); got != want {
				t.Errorf("%s: %q, want %q", field, got, want)
			}
		}
		for _, field := range []string{"Maintainer", "Description"} {
			if strings.TrimSpace(output(t, "dpkg-deb", "--field", deb, field)) == "" {
				t.Errorf("%s is empty", field)
			}
		}
	})

	t.Run("the .deb holds the binary, units, entries, env file, completions, guide and dashboard", func(t *testing.T) {
		listing := output(t, "dpkg-deb", "--contents", deb)
		want := []struct{ mode, owner, path string }{
			{"-rwxr-xr-x", "root/root", "./usr/bin/orgd"},
			{"-rw-r--r--", "root/root", "./usr/lib/systemd/system/orgd.service"},
			{"-rw-r--r--", "root/root", "./usr/lib/systemd/system/orgd.socket"},
			{"-rw-r--r--", "root/root", "./usr/lib/sysusers.d/orgd.conf"},
			{"-rw-r--r--", "root/root", "./usr/lib/tmpfiles.d/orgd.conf"},
			{"drwxr-x---", "root/orgd", "./etc/orgd/"},
			{"-rw-r-----", "root/orgd", "./etc/orgd/orgd.env"},
			{"-rw-r--r--", "root/root", "./usr/share/bash-completion/completions/orgd"},
			{"-rw-r--r--", "root/root", "./usr/share/zsh/vendor-completions/_orgd"},
			{"-rw-r--r--", "root/root", "./usr/share/fish/vendor_completions.d/orgd.fish"},
			{"-rw-r--r--", "root/root", "./usr/share/doc/orgd/operations.md"},
			{"-rw-r--r--", "root/root", "./usr/share/orgd/grafana/orgd.json"},
		}
		for _, w := range want {
			re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(w.mode) + `\s+` + regexp.QuoteMeta(w.owner) + `\s.*\s` + regexp.QuoteMeta(w.path) + `$`)
			if !re.MatchString(listing) {
				t.Errorf("no %s %s %s in:\n%s", w.mode, w.owner, w.path, listing)
			}
		}
	})

	t.Run("the env file is a conffile, kept when edited", func(t *testing.T) {
		if got := strings.TrimSpace(output(t, "dpkg-deb", "--info", deb, "conffiles")); got != "/etc/orgd/orgd.env" {
			t.Errorf("conffiles: %q, want /etc/orgd/orgd.env", got)
		}
	})

	t.Run("the maintainer scripts are ours and start nothing", func(t *testing.T) {
		ctrl := t.TempDir()
		output(t, "dpkg-deb", "--control", deb, ctrl)
		for script, src := range map[string]string{
			"preinst": "preinstall.sh", "postinst": "postinstall.sh",
			"prerm": "preremove.sh", "postrm": "postremove.sh",
		} {
			got, err := os.ReadFile(filepath.Join(ctrl, script))
			if err != nil {
				t.Errorf("no %s: %v", script, err)
				continue
			}
			if string(got) != readRepoFile(t, "packaging/scripts/"+src) {
				t.Errorf("%s differs from packaging/scripts/%s", script, src)
			}
			if regexp.MustCompile(`(?m)^[^#\n]*systemctl\s+(\S+\s+)*(start|enable|restart|reload-or-restart)\b`).Match(got) {
				t.Errorf("%s starts or enables a unit", script)
			}
		}
	})

	root := t.TempDir()
	output(t, "dpkg", "-x", deb, root)

	t.Run("the unpacked orgd answers version", func(t *testing.T) {
		got := output(t, filepath.Join(root, "usr/bin/orgd"), "version")
		if !strings.HasPrefix(got, "orgd v"+packageVersion+" (") {
			t.Errorf("orgd version: %q, want orgd v%s (…)", got, packageVersion)
		}
	})

	t.Run("the unpacked orgtui answers version, when cmd/orgtui is in the tree", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(repoRoot(t), "cmd/orgtui")); err != nil {
			t.Skip("SKIP: no cmd/orgtui in this tree, so no orgtui in the package")
		}
		got := output(t, filepath.Join(root, "usr/bin/orgtui"), "version")
		if !strings.HasPrefix(got, "orgtui v"+packageVersion+" (") {
			t.Errorf("orgtui version: %q, want orgtui v%s (…)", got, packageVersion)
		}
	})

	t.Run("the unpacked units, env file and dashboard are the repository's", func(t *testing.T) {
		for _, f := range []struct{ installed, source string }{
			{"usr/lib/systemd/system/orgd.service", "packaging/systemd/orgd.service"},
			{"usr/lib/systemd/system/orgd.socket", "packaging/systemd/orgd.socket"},
			{"usr/lib/sysusers.d/orgd.conf", "packaging/sysusers.d/orgd.conf"},
			{"usr/lib/tmpfiles.d/orgd.conf", "packaging/tmpfiles.d/orgd.conf"},
			{"etc/orgd/orgd.env", "packaging/orgd.env"},
			{"usr/share/orgd/grafana/orgd.json", "packaging/grafana/orgd.json"},
		} {
			got, err := os.ReadFile(filepath.Join(root, f.installed))
			if err != nil || string(got) != readRepoFile(t, f.source) {
				t.Errorf("/%s is not %s (%v)", f.installed, f.source, err)
			}
		}
	})

	t.Run("the packaged bash completion is valid bash", func(t *testing.T) {
		need(t, "bash")
		output(t, "bash", "-n", filepath.Join(root, "usr/share/bash-completion/completions/orgd"))
	})

	t.Run("the .rpm holds the same files", func(t *testing.T) {
		if fi, err := os.Stat(rpm); err != nil || fi.Size() < 1<<20 {
			t.Fatalf("%s: %v, size too small to hold orgd", rpm, err)
		}
		need(t, "rpm")
		info := output(t, "rpm", "-qp", "--queryformat", "%{NAME} %{VERSION}-%{RELEASE}\n", rpm)
		if got, want := strings.TrimSpace(info), "orgd "+packageVersion+"-1"; got != want {
			t.Errorf("rpm name and version: %q, want %q", got, want)
		}
		files := output(t, "rpm", "-qlp", rpm)
		for _, p := range []string{"/usr/bin/orgd", "/usr/lib/systemd/system/orgd.service", "/usr/lib/systemd/system/orgd.socket",
			"/usr/lib/sysusers.d/orgd.conf", "/usr/lib/tmpfiles.d/orgd.conf", "/etc/orgd/orgd.env",
			"/usr/share/zsh/site-functions/_orgd", "/usr/share/fish/vendor_completions.d/orgd.fish", "/usr/share/orgd/grafana/orgd.json"} {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + `$`).MatchString(files) {
				t.Errorf("the rpm has no %s:\n%s", p, files)
			}
		}
		if cfg := output(t, "rpm", "-qcp", rpm); strings.TrimSpace(cfg) != "/etc/orgd/orgd.env" {
			t.Errorf("rpm config files: %q, want /etc/orgd/orgd.env", cfg)
		}
	})
}
