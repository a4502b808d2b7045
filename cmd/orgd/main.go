// Command orgd is the organization daemon and its command-line tools: it
// serves the JSON-RPC API (orgd serve), calls it (orgd call), creates
// operators, checks the store, and prints its version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1  // a JSON-RPC error, a broken invariant, a failed command
	exitConnect = 2  // orgd cannot be reached (orgd call)
	exitBusy    = 3  // orgd is busy (-32053): nothing was done, retry (orgd call)
	exitUsage   = 64 // bad flags or arguments (EX_USAGE)
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what commands read and write besides their flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run runs orgd with args and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "orgd",
		Short: "orgd: a multi-tenant organization service over JSON-RPC",
		Long: `orgd keeps organizations (tenants), each with its own MongoDB collection, and serves
a JSON-RPC 2.0 API on a Unix socket (and optionally TCP with TLS). orgtui is its
terminal UI; scripts use the socket directly or "orgd call".`,
		Example: `  orgd serve                                  # embedded store, default socket
  orgd call system.health
  orgd call auth.login '{"email":"ops@example.com","password":"…"}'
  orgd export --org Acme --out acme.ndjson    # one organization's documents`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(serveCommand(e), callCommand(e), exportCommand(e), importCommand(e), operatorCommand(e), checkCommand(e), sshHostKeyCommand(e), versionCommand(e))

	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "orgd:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "orgd:", err)
	if strings.HasPrefix(err.Error(), "unknown command") || strings.Contains(err.Error(), "accepts") || strings.Contains(err.Error(), "requires") {
		return exitUsage
	}
	return exitFailure
}

// usage reports a misuse of a command.
func usage(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// fromEnv gives every flag of fs that was not set on the command line the
// value of its ORGD_<FLAG> environment variable, if set.
func fromEnv(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		name := "ORGD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	return nil
}

// Version returns orgd's version: the one set at build time, else the
// module's, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func versionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print orgd's version",
		Example: "  orgd version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(e.stdout, "orgd %s (%s %s/%s)\n", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
