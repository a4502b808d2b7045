package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// systemUnitDir is where the host keeps its own units; systemd-analyze
// verify needs them (sysinit.target and the like) inside --root.
const systemUnitDir = "/usr/lib/systemd/system"

// unitRoot builds a file system root for systemd-analyze: the host's units,
// ours, and orgd at /usr/bin/orgd (verify checks that ExecStart exists).
func unitRoot(t *testing.T, orgd string) string {
	t.Helper()
	root := t.TempDir()
	units := filepath.Join(root, systemUnitDir)
	for _, d := range []string{"usr/bin", filepath.Dir(systemUnitDir)} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(systemUnitDir); err != nil {
		t.Skipf("SKIP: no %s on this machine to verify units against", systemUnitDir)
	}
	if out, err := exec.Command("cp", "-a", systemUnitDir, filepath.Dir(units)).CombinedOutput(); err != nil {
		t.Fatalf("copy the host's units: %v\n%s", err, out)
	}
	for _, u := range []string{"orgd.service", "orgd.socket"} {
		copyFile(t, filepath.Join(repoRoot(t), "packaging/systemd", u), filepath.Join(units, u), 0o644)
	}
	copyFile(t, orgd, filepath.Join(root, "usr/bin/orgd"), 0o755)
	return root
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func TestUnitsVerify(t *testing.T) {
	need(t, "systemd-analyze")
	root := unitRoot(t, orgdBinary(t))
	units := filepath.Join(root, systemUnitDir)

	for _, unit := range []string{"orgd.service", "orgd.socket"} {
		t.Run("systemd-analyze verify passes on "+unit, func(t *testing.T) {
			cmd := exec.Command("systemd-analyze", "verify", "--root="+root, filepath.Join(units, unit))
			out, err := cmd.CombinedOutput()
			// verify exits 0 on unknown keys and other warnings: any
			// output at all is a finding.
			if err != nil || len(strings.TrimSpace(string(out))) > 0 {
				t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
			}
		})
	}

	t.Run("the service's exposure level is at most 2.0 (OK)", func(t *testing.T) {
		cmd := exec.Command("systemd-analyze", "security", "--offline=true", "--root="+root, "--no-pager",
			filepath.Join(units, "orgd.service"))
		out, err := cmd.CombinedOutput()
		m := regexp.MustCompile(`Overall exposure level for orgd\.service: ([0-9.]+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("systemd-analyze security gave no exposure level (%v):\n%s", err, out)
		}
		level, _ := strconv.ParseFloat(string(m[1]), 64)
		if level > 2.0 {
			t.Errorf("exposure level %.1f, want at most 2.0:\n%s", level, out)
		}
	})
}

// unitSettings returns the values of key in a unit file, in order.
func unitSettings(unit, key string) []string {
	var vals []string
	for _, line := range strings.Split(unit, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k == key {
			vals = append(vals, v)
		}
	}
	return vals
}

// TestUnitsAgree checks that the units, the sysusers.d and tmpfiles.d
// entries and the maintainer scripts name the same user, socket and
// directories.
func TestUnitsAgree(t *testing.T) {
	service := readRepoFile(t, "packaging/systemd/orgd.service")
	socket := readRepoFile(t, "packaging/systemd/orgd.socket")
	sysusers := readRepoFile(t, "packaging/sysusers.d/orgd.conf")
	tmpfiles := readRepoFile(t, "packaging/tmpfiles.d/orgd.conf")
	preinstall := readRepoFile(t, "packaging/scripts/preinstall.sh")

	tests := []struct {
		name      string
		got, want []string
	}{
		{"the service is of Type=notify", unitSettings(service, "Type"), []string{"notify"}},
		{"the service runs as user orgd", unitSettings(service, "User"), []string{"orgd"}},
		{"the service runs as group orgd", unitSettings(service, "Group"), []string{"orgd"}},
		{"the runtime directory is /run/orgd", unitSettings(service, "RuntimeDirectory"), []string{"orgd"}},
		{"the runtime directory has mode 0750", unitSettings(service, "RuntimeDirectoryMode"), []string{"0750"}},
		{"the state directory is /var/lib/orgd", unitSettings(service, "StateDirectory"), []string{"orgd"}},
		{"the service reads /etc/orgd/orgd.env if it exists", unitSettings(service, "EnvironmentFile"), []string{"-/etc/orgd/orgd.env"}},
		{"the data directory is the state directory, and orgd listens where the socket is",
			unitSettings(service, "Environment"),
			[]string{"ORGD_DATA_DIR=/var/lib/orgd", "ORGD_LISTEN=unix://" + strings.Join(unitSettings(socket, "ListenStream"), "")}},
		{"the service restarts on failure", unitSettings(service, "Restart"), []string{"on-failure"}},
		{"the service has no capabilities", unitSettings(service, "CapabilityBoundingSet"), []string{""}},
		{"the service's files are not world-readable", unitSettings(service, "UMask"), []string{"0007"}},
		{"the socket is /run/orgd/orgd.sock", unitSettings(socket, "ListenStream"), []string{"/run/orgd/orgd.sock"}},
		{"the socket is owned by orgd", unitSettings(socket, "SocketUser"), []string{"orgd"}},
		{"group orgd may connect", unitSettings(socket, "SocketGroup"), []string{"orgd"}},
		{"the socket has mode 0660", unitSettings(socket, "SocketMode"), []string{"0660"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Join(tt.got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}

	t.Run("the service says how to serve orgtui over SSH", func(t *testing.T) {
		for _, want := range []string{"ORGD_SSH_LISTEN=tcp://", "systemctl enable --now orgd.service", "orgd ssh-host-key"} {
			if !strings.Contains(service, want) {
				t.Errorf("orgd.service does not mention %q", want)
			}
		}
		if !slices.Contains(strings.Fields(strings.Join(unitSettings(service, "RestrictAddressFamilies"), " ")), "AF_INET6") {
			t.Error("the service may not open TCP ports for SSH")
		}
	})
	t.Run("tmpfiles.d makes /run/orgd and /var/lib/orgd for orgd with mode 0750", func(t *testing.T) {
		for _, want := range []string{`d /run/orgd +0750 orgd orgd -`, `d /var/lib/orgd +0750 orgd orgd -`} {
			if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(tmpfiles) {
				t.Errorf("tmpfiles.d/orgd.conf has no line matching %q", want)
			}
		}
	})
	t.Run("the preinstall script creates the user sysusers.d names", func(t *testing.T) {
		var entry string
		for _, line := range strings.Split(sysusers, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				entry = line
			}
		}
		if entry == "" || !strings.Contains(preinstall, "sysusers='"+entry+"'") {
			t.Errorf("preinstall.sh does not carry the sysusers.d entry %q", entry)
		}
	})
}
