package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

func TestExportAndImportCommands(t *testing.T) {
	d := testenv.Start(t, testenv.Options{})
	t.Setenv("ORGD_ADDR", d.Addr)
	code, out, errOut := orgd(t, "", "call", "auth.bootstrap", `{"email":"ops@example.com","password":"operator-password"}`)
	if code != exitOK {
		t.Fatalf("bootstrap: exit %d: %s", code, errOut)
	}
	var s rpc.Session
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGD_TOKEN", s.Token)
	for _, name := range []string{"Acme", "Copy"} {
		if code, _, errOut := orgd(t, "", "call", "org.create", `{"name":"`+name+`","admin_email":"a@`+name+`.example","admin_password":"admin-password"}`); code != exitOK {
			t.Fatalf("create %s: %s", name, errOut)
		}
	}
	code, out, errOut = orgd(t, "", "call", "data.insert",
		`{"org":"Acme","documents":[{"_id":1,"name":"ada","tags":["<x>"]},{"_id":{"$oid":"5d505646cf6d4fe581014ab2"},"when":{"$date":"2020-01-01T00:00:00Z"}},{"_id":"z","n":{"$numberLong":"7"}}]}`)
	if code != exitOK || !strings.Contains(out, `"inserted_ids"`) {
		t.Fatalf("data.insert through orgd call: exit %d, %s %s", code, out, errOut)
	}
	want := `{"_id":{"$numberInt":"1"},"name":"ada","tags":["<x>"]}` + "\n" +
		`{"_id":"z","n":{"$numberLong":"7"}}` + "\n" +
		`{"_id":{"$oid":"5d505646cf6d4fe581014ab2"},"when":{"$date":{"$numberLong":"1577836800000"}}}` + "\n"

	dir := t.TempDir()
	file := filepath.Join(dir, "acme.ndjson")
	t.Run("export writes canonical Extended JSON to a file, whole or not at all", func(t *testing.T) {
		code, out, errOut := orgd(t, "", "export", "--org", "Acme", "--out", file)
		if code != exitOK || out != "" || !strings.Contains(errOut, "exported 3 documents") {
			t.Fatalf("export: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		got, err := os.ReadFile(file)
		if err != nil || string(got) != want {
			t.Fatalf("the file holds\n%s\nwant\n%s", got, want)
		}
		if _, err := os.Stat(file + ".partial"); !os.IsNotExist(err) {
			t.Errorf("a .partial file is left: %v", err)
		}
		code, _, _ = orgd(t, "", "export", "--org", "Nonexistent", "--out", filepath.Join(dir, "none.ndjson"))
		if _, err := os.Stat(filepath.Join(dir, "none.ndjson.partial")); code != exitFailure || !os.IsNotExist(err) {
			t.Errorf("a failed export: exit %d, and its partial file: %v", code, err)
		}
	})
	t.Run("export without a file writes to stdout", func(t *testing.T) {
		code, out, _ := orgd(t, "", "export", "--org", "acme", "--quiet")
		if code != exitOK || out != want {
			t.Fatalf("export to stdout: exit %d\n%s", code, out)
		}
	})
	t.Run("import reads the file into another organization", func(t *testing.T) {
		code, _, errOut := orgd(t, "", "import", "--org", "Copy", "--in", file)
		if code != exitOK || !strings.Contains(errOut, "imported 3 documents") {
			t.Fatalf("import: exit %d, %s", code, errOut)
		}
		if code, out, _ := orgd(t, "", "export", "--org", "Copy", "-q"); code != exitOK || out != want {
			t.Fatalf("the copy exports as\n%s", out)
		}
	})
	t.Run("importing again says where to go on, and upsert makes it safe", func(t *testing.T) {
		code, _, errOut := orgd(t, "", "import", "--org", "Copy", "--in", file)
		if code != exitFailure || !strings.Contains(errOut, "at line 1 of acme.ndjson") ||
			!strings.Contains(errOut, "0 documents landed") || !strings.Contains(errOut, "--mode upsert --skip 0") {
			t.Fatalf("import of taken _ids: exit %d, %s", code, errOut)
		}
		code, _, errOut = orgd(t, string(must(os.ReadFile(file))), "import", "--org", "Copy", "--mode", "upsert")
		if code != exitOK || !strings.Contains(errOut, "imported 3 documents from stdin") {
			t.Fatalf("upsert from stdin: exit %d, %s", code, errOut)
		}
		code, _, errOut = orgd(t, "", "import", "--org", "Copy", "--in", file, "--mode", "upsert", "--skip", "2")
		if code != exitOK || !strings.Contains(errOut, "imported 1 documents (2 skipped)") {
			t.Fatalf("upsert with --skip: exit %d, %s", code, errOut)
		}
	})
	t.Run("an admin cannot export or import another organization", func(t *testing.T) {
		code, out, errOut := orgd(t, "", "call", "auth.login", `{"email":"a@Acme.example","password":"admin-password"}`)
		if code != exitOK {
			t.Fatalf("admin login: %s", errOut)
		}
		var admin rpc.Session
		if err := json.Unmarshal([]byte(out), &admin); err != nil {
			t.Fatal(err)
		}
		code, out, errOut = orgd(t, "", "export", "--org", "Copy", "--token", admin.Token)
		if code != exitFailure || out != "" || !strings.Contains(errOut, "code -32004") {
			t.Fatalf("an admin exporting another organization: exit %d, %q %q", code, out, errOut)
		}
		code, _, errOut = orgd(t, "{}", "import", "--org", "Copy", "--token", admin.Token)
		if code != exitFailure || !strings.Contains(errOut, "code -32004") {
			t.Fatalf("an admin importing into another organization: exit %d, %q", code, errOut)
		}
		if code, out, _ := orgd(t, "", "export", "--org", "Acme", "--token", admin.Token, "-q"); code != exitOK || out != want {
			t.Fatalf("an admin exporting their own: exit %d, %q", code, out)
		}
	})
	t.Run("bad flags and an unreachable orgd have their exit codes", func(t *testing.T) {
		for _, args := range [][]string{
			{"export"},
			{"import", "--org", "Copy", "--mode", "merge"},
			{"import", "--org", "Copy", "--skip", "-1"},
			{"export", "--org", "Acme", "extra"},
		} {
			if code, _, _ := orgd(t, "", args...); code != exitUsage {
				t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
			}
		}
		t.Setenv("ORGD_TOKEN", "")
		if code, _, errOut := orgd(t, "", "export", "--org", "Acme"); code != exitUsage || !strings.Contains(errOut, "token") {
			t.Errorf("export without a token: exit %d, %s", code, errOut)
		}
		if code, _, _ := orgd(t, "", "export", "--org", "Acme", "--token", "x", "--addr", "unix:///nonexistent/orgd.sock"); code != exitConnect {
			t.Errorf("export from an unreachable orgd: exit %d, want %d", code, exitConnect)
		}
		if code, _, _ := orgd(t, "{}", "import", "--org", "Acme", "--token", "x", "--addr", "unix:///nonexistent/orgd.sock"); code != exitConnect {
			t.Errorf("import into an unreachable orgd: exit %d, want %d", code, exitConnect)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
