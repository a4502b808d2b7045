// Command orgtui is the terminal UI of orgd: log in, then browse, create,
// edit, rename, label, suspend and delete organizations, manage their
// members, orgd's operators and SSH keys, and browse and edit their
// documents. It talks to orgd over its JSON-RPC socket, found by --addr,
// then $ORGD_ADDR, then the default socket.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/orgd/orgd/internal/tui"
	"github.com/orgd/orgd/rpc"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, tui.Run)
	stop()
	os.Exit(code)
}

// runTUI starts the terminal UI; tests put a stand-in in its place.
type startFunc = func(ctx context.Context, o tui.Options) error

// run parses args and runs orgtui (or prints its version); it returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, start startFunc) int {
	var addr, logFile string
	root := &cobra.Command{
		Use:   "orgtui",
		Short: "orgtui: the terminal UI of orgd",
		Long: `orgtui connects to orgd, logs you in and lets you browse, create, edit, rename,
label, suspend, resume and delete organizations, manage their members (m on an
organization) and orgd's operators (A), change your password (P), manage the SSH
keys that log you in to orgtui over SSH (K; operators see anyone's with s on an
account), and browse, filter, edit, insert and delete their documents (in
$VISUAL, else $EDITOR, else vi). What it offers follows your role: a viewer only
reads. When orgd has no operator yet, it offers to create the first one. Every
key it takes is shown at the bottom of the screen; ? shows all.

orgd is found by --addr, then $ORGD_ADDR, then the default socket
($XDG_RUNTIME_DIR/orgd/orgd.sock, or /run/orgd/orgd.sock).`,
		Example: `  orgtui
  orgtui --addr unix:///run/orgd/orgd.sock
  ORGD_ADDR=unix://$PWD/.orgd/orgd.sock orgtui --log /tmp/orgtui.log`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, closeLog, err := openLog(logFile)
			if err != nil {
				return err
			}
			defer closeLog()
			client := &rpc.Client{Addr: rpc.ResolveAddr(addr)}
			defer client.Close()
			log.Info("orgtui starting", "version", Version(), "addr", client.Address())
			return start(cmd.Context(), tui.Options{Client: client, Log: log})
		},
	}
	root.Flags().StringVar(&addr, "addr", "", "orgd's address: unix:///path, tcp://host:port or tls://host:port (default $ORGD_ADDR, then the default socket)")
	root.Flags().StringVar(&logFile, "log", "", "append a log to `FILE` (nothing is logged otherwise, and never to the screen)")
	root.AddCommand(&cobra.Command{
		Use:     "version",
		Short:   "Print orgtui's version",
		Example: "  orgtui version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "orgtui %s (%s %s/%s)\n", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	})
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "orgtui:", err)
		return 1
	}
	return 0
}

// openLog opens the log file, or returns a logger that discards.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}

// Version returns orgtui's version: the one set at build time, else the
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
