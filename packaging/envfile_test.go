package packaging_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveFlag is a flag as orgd serve --help shows it.
type serveFlag struct {
	name, kind, def string
}

// serveFlags parses the flags out of orgd serve --help.
func serveFlags(t *testing.T) []serveFlag {
	t.Helper()
	out, err := exec.Command(orgdBinary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("orgd serve --help: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`^\s+(?:-\w, )?--([a-z0-9-]+)(?: (\w+))?\s+.*?(?:\(default (.*)\))?$`)
	var flags []serveFlag
	for _, line := range strings.Split(string(out), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil || m[1] == "help" {
			continue
		}
		flags = append(flags, serveFlag{name: m[1], kind: m[2], def: m[3]})
	}
	if len(flags) < 10 {
		t.Fatalf("found only %d flags in orgd serve --help:\n%s", len(flags), out)
	}
	return flags
}

// envVar is a flag's environment variable: --mongo-uri is ORGD_MONGO_URI.
func envVar(flag string) string {
	return "ORGD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// envFileValues returns the first value the example environment file shows
// for each variable, commented out or not.
func envFileValues(t *testing.T) map[string]string {
	t.Helper()
	vals := map[string]string{}
	re := regexp.MustCompile(`^#?(ORGD_[A-Z0-9_]+)=(.*)$`)
	for _, line := range strings.Split(readRepoFile(t, "packaging/orgd.env"), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			if _, seen := vals[m[1]]; !seen {
				vals[m[1]] = m[2]
			}
		}
	}
	return vals
}

// TestEnvFileDocumentsEveryFlag keeps packaging/orgd.env (installed as
// /etc/orgd/orgd.env) in step with orgd serve: every flag is there, with
// its default, and nothing else is.
func TestEnvFileDocumentsEveryFlag(t *testing.T) {
	flags := serveFlags(t)
	vals := envFileValues(t)

	known := map[string]bool{}
	for _, f := range flags {
		known[envVar(f.name)] = true
		t.Run("the env file shows "+envVar(f.name)+" with its default", func(t *testing.T) {
			val, ok := vals[envVar(f.name)]
			if !ok {
				t.Fatalf("packaging/orgd.env has no %s= line for --%s", envVar(f.name), f.name)
			}
			switch {
			case f.name == "listen" || f.name == "data-dir":
				// orgd.service sets these; TestUnitsAgree checks them.
			case f.def == "":
				// No default: the file shows an example, or the zero value.
				if (f.kind == "" && val != "false") || (f.kind == "int" && val != "0") {
					t.Errorf("%s=%s, want the default %s", envVar(f.name), val, map[string]string{"": "false", "int": "0"}[f.kind])
				}
			case f.kind == "duration":
				want, err1 := time.ParseDuration(f.def)
				got, err2 := time.ParseDuration(val)
				if err1 != nil || err2 != nil || got != want {
					t.Errorf("%s=%s, want the default %s", envVar(f.name), val, f.def)
				}
			default:
				if want := strings.Trim(f.def, `"`); val != want {
					t.Errorf("%s=%s, want the default %s", envVar(f.name), val, want)
				}
			}
		})
	}
	t.Run("every variable in the env file is a flag of orgd serve", func(t *testing.T) {
		for v := range vals {
			if !known[v] {
				t.Errorf("packaging/orgd.env sets %s, which no flag of orgd serve reads", v)
			}
		}
	})
}
