package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeCommands writes, into a new directory, one shell script per command
// that records its arguments (and for systemd-sysusers its standard input)
// in a log and exits with the given code. It returns the directory and the
// log's path.
func fakeCommands(t *testing.T, commands map[string]int) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	log = filepath.Join(dir, "calls.log")
	for name, code := range commands {
		script := "#!/bin/sh\necho \"" + name + " $*\" >>'" + log + "'\n"
		if name == "systemd-sysusers" {
			script += "while IFS= read -r line; do echo \"  stdin: $line\"; done >>'" + log + "'\n"
		}
		script += "exit " + strconv.Itoa(code) + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log
}

// runScript runs a maintainer script with /bin/sh (dash on Debian, as
// dpkg does) with only the fake commands on PATH, and returns the calls
// they recorded.
func runScript(t *testing.T, script string, fakes map[string]int, args ...string) []string {
	t.Helper()
	dir, log := fakeCommands(t, fakes)
	cmd := exec.Command("/bin/sh", append([]string{filepath.Join(repoRoot(t), "packaging/scripts", script)}, args...)...)
	cmd.Env = []string{"PATH=" + dir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// systemdHost has the commands of a machine with systemd.
var systemdHost = map[string]int{"systemd-sysusers": 0, "systemd-tmpfiles": 0, "systemctl": 0, "getent": 0, "groupadd": 0, "useradd": 0}

// TestMaintainerScripts runs the package's scripts with the arguments dpkg
// and rpm give them, against stand-ins that record what is called.
func TestMaintainerScripts(t *testing.T) {
	sysusersEntry := `  stdin: u orgd - "orgd organization daemon" /var/lib/orgd`
	tests := []struct {
		name   string
		script string
		args   []string
		fakes  map[string]int
		want   []string
	}{
		{"preinstall creates the user with systemd-sysusers where it exists", "preinstall.sh", []string{"install"}, systemdHost,
			[]string{"systemd-sysusers --replace=/usr/lib/sysusers.d/orgd.conf -", sysusersEntry}},
		{"preinstall falls back to groupadd and useradd", "preinstall.sh", []string{"1"},
			map[string]int{"getent": 2, "groupadd": 0, "useradd": 0},
			[]string{"getent group orgd", "groupadd --system orgd", "getent passwd orgd",
				"useradd --system --gid orgd --home-dir /var/lib/orgd --no-create-home --shell /usr/sbin/nologin --comment orgd organization daemon orgd"}},
		{"preinstall leaves an existing user alone", "preinstall.sh", []string{"upgrade", "1.0.0-1"},
			map[string]int{"getent": 0, "groupadd": 0, "useradd": 0},
			[]string{"getent group orgd", "getent passwd orgd"}},
		{"postinstall of a new deb makes the directories and reloads systemd, starting nothing", "postinstall.sh", []string{"configure", ""}, systemdHost,
			[]string{"systemd-tmpfiles --create /usr/lib/tmpfiles.d/orgd.conf", "systemctl daemon-reload"}},
		{"postinstall of a new rpm does the same", "postinstall.sh", []string{"1"}, systemdHost,
			[]string{"systemd-tmpfiles --create /usr/lib/tmpfiles.d/orgd.conf", "systemctl daemon-reload"}},
		{"postinstall of a deb upgrade restarts orgd only if it runs", "postinstall.sh", []string{"configure", "1.0.0-1"}, systemdHost,
			[]string{"systemd-tmpfiles --create /usr/lib/tmpfiles.d/orgd.conf", "systemctl daemon-reload", "systemctl try-restart orgd.service"}},
		{"postinstall of an rpm upgrade restarts orgd only if it runs", "postinstall.sh", []string{"2"}, systemdHost,
			[]string{"systemd-tmpfiles --create /usr/lib/tmpfiles.d/orgd.conf", "systemctl daemon-reload", "systemctl try-restart orgd.service"}},
		{"postinstall without systemd does nothing and succeeds", "postinstall.sh", []string{"configure", ""}, map[string]int{}, []string{""}},
		{"postinstall succeeds where systemctl fails (no systemd running)", "postinstall.sh", []string{"configure", ""},
			map[string]int{"systemd-tmpfiles": 1, "systemctl": 1},
			[]string{"systemd-tmpfiles --create /usr/lib/tmpfiles.d/orgd.conf", "systemctl daemon-reload"}},
		{"preremove on removal of the deb stops and disables orgd", "preremove.sh", []string{"remove"}, systemdHost,
			[]string{"systemctl --no-reload disable --now orgd.socket orgd.service"}},
		{"preremove on erasure of the rpm stops and disables orgd", "preremove.sh", []string{"0"}, systemdHost,
			[]string{"systemctl --no-reload disable --now orgd.socket orgd.service"}},
		{"preremove on a deb upgrade leaves orgd running", "preremove.sh", []string{"upgrade", "9.9.9-1"}, systemdHost, []string{""}},
		{"preremove on an rpm upgrade leaves orgd running", "preremove.sh", []string{"1"}, systemdHost, []string{""}},
		{"postremove reloads systemd and keeps the data and the user", "postremove.sh", []string{"purge"}, systemdHost,
			[]string{"systemctl daemon-reload"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runScript(t, tt.script, tt.fakes, tt.args...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
