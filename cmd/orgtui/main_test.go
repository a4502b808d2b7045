package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui"
	"github.com/orgd/orgd/rpc"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      string
		code     int
		stdout   string
		wantAddr string
	}{
		{name: "version prints the version", args: []string{"version"}, stdout: "orgtui "},
		{name: "help shows an example", args: []string{"--help"}, stdout: "orgtui --addr unix:///run/orgd/orgd.sock"},
		{name: "--addr picks the daemon", args: []string{"--addr", "unix:///tmp/a.sock"}, env: "unix:///tmp/env.sock", wantAddr: "unix:///tmp/a.sock"},
		{name: "ORGD_ADDR is used without --addr", env: "unix:///tmp/env.sock", wantAddr: "unix:///tmp/env.sock"},
		{name: "an unknown flag is refused", args: []string{"--nope"}, code: 1},
		{name: "arguments are refused", args: []string{"extra"}, code: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ORGD_ADDR", tt.env)
			var stdout, stderr bytes.Buffer
			var got string
			start := func(_ context.Context, o tui.Options) error {
				got = o.Client.(*rpc.Client).Address()
				return nil
			}
			if code := run(context.Background(), tt.args, &stdout, &stderr, start); code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.stdout)
			}
			if got != tt.wantAddr {
				t.Errorf("orgtui would connect to %q, want %q", got, tt.wantAddr)
			}
		})
	}
}
