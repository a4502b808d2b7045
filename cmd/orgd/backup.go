package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/orgd/orgd/internal/backup"
	"github.com/orgd/orgd/internal/progress"
	"github.com/orgd/orgd/rpc"
)

// clientFlags are the flags of commands that talk to a running orgd.
type clientFlags struct {
	addr, token, org string
	quiet            bool
}

func (f *clientFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.org, "org", "", "the organization's name or slug (required)")
	fs.StringVar(&f.addr, "addr", "", "daemon address: unix:///path, tcp://host:port or tls://host:port (default $ORGD_ADDR, then the default socket)")
	fs.StringVar(&f.token, "token", "", "token of an operator or of the organization's admin (default $ORGD_TOKEN)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar and no summary on stderr")
}

// target checks the flags and returns the organization to work on.
func (f *clientFlags) target() (backup.Target, error) {
	if f.org == "" {
		return backup.Target{}, usage("--org is required")
	}
	if f.token == "" {
		f.token = os.Getenv("ORGD_TOKEN")
	}
	if f.token == "" {
		return backup.Target{}, usage("a token is required: --token, or ORGD_TOKEN (from auth.login)")
	}
	return backup.Target{Client: &rpc.Client{Addr: f.addr}, Token: f.token, Org: f.org}, nil
}

// bar returns a progress bar on stderr when it is a terminal.
func (f *clientFlags) bar(e *env, verb string) *progress.Bar {
	if out, ok := e.stderr.(*os.File); ok && !f.quiet && term.IsTerminal(int(out.Fd())) {
		return progress.New(out, verb)
	}
	return nil
}

// clientError gives a failure of a command that talks to orgd its exit
// code: 2 when orgd cannot be reached, 1 otherwise.
func clientError(err error) error {
	if errors.Is(err, rpc.ErrUnreachable) {
		return &exitError{code: exitConnect, err: err}
	}
	return &exitError{code: exitFailure, err: err}
}

func exportCommand(e *env) *cobra.Command {
	var f clientFlags
	var out string
	cmd := &cobra.Command{
		Use:   "export --org NAME [--out FILE]",
		Short: "Write an organization's documents as newline-delimited Extended JSON",
		Long: `Write every document of an organization's collection, one per line, in
canonical MongoDB Extended JSON v2: the format of
"mongoexport --jsonFormat=canonical", which mongoimport and "orgd import" read
back with every type (ObjectIds, dates, decimals, binary) and every _id kept.

It goes through orgd's API (data.find, a page at a time), so it works while orgd
runs on the embedded store, needs the token of an operator or of the
organization's admin, and keeps memory flat at any size. Documents are written
in _id order; those added or removed while it runs may or may not be in it.
With --out the file appears only when the export is whole (FILE.partial until
then); without it, documents go to stdout. On a terminal, a progress bar shows
on stderr.`,
		Example: `  export ORGD_TOKEN=$(orgd call auth.login '{"email":"ops@example.com","password":"…"}' | jq -r .token)
  orgd export --org "Acme Corp" --out acme.ndjson
  orgd export --org acme_corp | gzip > acme-$(date +%F).ndjson.gz
  mongoimport --uri mongodb://elsewhere/db --collection acme --file acme.ndjson   # MongoDB's own tools read it`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := f.target()
			if err != nil {
				return err
			}
			defer t.Client.Close()
			return runExport(cmd, e, &f, t, out)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default stdout)")
	return cmd
}

func runExport(cmd *cobra.Command, e *env, f *clientFlags, t backup.Target, out string) error {
	w, name := e.stdout, "stdout"
	var file *os.File
	partial := ""
	if out != "" && out != "-" {
		partial = out + ".partial"
		var err error
		if file, err = os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("export: %w", err)}
		}
		defer func() {
			if file != nil { // not renamed into place: a failed export leaves nothing
				file.Close()
				os.Remove(partial)
			}
		}()
		w, name = file, out
	}
	bar := f.bar(e, "exported")
	o := backup.ExportOptions{}
	if bar != nil {
		o.Progress = bar
	}
	start := time.Now()
	res, err := backup.Export(cmd.Context(), t, w, o)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return clientError(err)
	}
	if file != nil {
		if err := file.Sync(); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("export: %w", err)}
		}
		if err := file.Close(); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("export: %w", err)}
		}
		if err := os.Rename(partial, out); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("export: %w", err)}
		}
		file = nil
	}
	if !f.quiet {
		fmt.Fprintf(e.stderr, "exported %s documents (%s bytes) of %s to %s in %s\n",
			progress.Count(res.Documents), progress.Count(res.Bytes), t.Org, name, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func importCommand(e *env) *cobra.Command {
	var f clientFlags
	var in, mode string
	var skip int64
	cmd := &cobra.Command{
		Use:   "import --org NAME [--in FILE] [--mode insert|upsert] [--skip N]",
		Short: "Load newline-delimited Extended JSON documents into an organization",
		Long: `Read documents, one per line, in MongoDB Extended JSON v2 (canonical or
relaxed, as "orgd export" and mongoexport write them) and store them in an
organization's collection, _ids and types kept. Blank lines are skipped.

--mode insert (the default) sends batches of data.insert: a document whose _id
is taken stops the import. --mode upsert replaces each document by its _id,
inserting it where there is none, so running it again is safe (documents
without an _id are inserted, again each time).

It goes through orgd's API, so it works while orgd runs on the embedded store,
needs the token of an operator or of the organization's admin, and keeps memory
flat at any size. An import that fails says how many documents landed and where
to go on from: run it again with --mode upsert and the --skip it prints. On a
terminal, a progress bar shows on stderr.`,
		Example: `  orgd import --org "Acme Corp" --in acme.ndjson
  gunzip -c acme-2026-11-27.ndjson.gz | orgd import --org acme_corp --mode upsert
  orgd import --org acme_corp --in acme.ndjson --mode upsert --skip 42000   # go on after a failure
  mongoexport --uri mongodb://elsewhere/db --collection acme --jsonFormat=canonical | orgd import --org acme_corp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mode != backup.ModeInsert && mode != backup.ModeUpsert {
				return usage("--mode must be %s or %s", backup.ModeInsert, backup.ModeUpsert)
			}
			if skip < 0 {
				return usage("--skip must not be negative")
			}
			t, err := f.target()
			if err != nil {
				return err
			}
			defer t.Client.Close()
			return runImport(cmd, e, &f, t, in, backup.ImportOptions{Mode: mode, Skip: skip})
		},
	}
	f.register(cmd)
	fs := cmd.Flags()
	fs.StringVarP(&in, "in", "i", "", "file to read (default stdin)")
	fs.StringVar(&mode, "mode", backup.ModeInsert, "insert (a taken _id stops the import) or upsert (replace by _id; safe to run again)")
	fs.Int64Var(&skip, "skip", 0, "pass over this many documents first, to go on after a failed import")
	return cmd
}

func runImport(cmd *cobra.Command, e *env, f *clientFlags, t backup.Target, in string, o backup.ImportOptions) error {
	var r io.Reader = e.stdin
	name := "stdin"
	if in != "" && in != "-" {
		file, err := os.Open(in)
		if err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("import: %w", err)}
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
			o.Size = st.Size()
		}
		r, name = file, filepath.Base(in)
	}
	bar := f.bar(e, "imported")
	if bar != nil {
		o.Progress = bar
	}
	start := time.Now()
	res, err := backup.Import(cmd.Context(), t, r, o)
	if bar != nil {
		bar.Finish()
	}
	var ie *backup.ImportError
	if errors.As(err, &ie) {
		at := ""
		if ie.Line > 0 {
			at = fmt.Sprintf(" at line %d of %s", ie.Line, name)
		}
		fmt.Fprintf(e.stderr, "orgd: import into %s failed%s: %v\n", t.Org, at, ie.Err)
		fmt.Fprintf(e.stderr, "%s documents landed. To go on from the first that did not, run the same import with:\n  --mode upsert --skip %d\n",
			progress.Count(ie.Landed), ie.Resume)
		if errors.Is(ie.Err, rpc.ErrUnreachable) {
			return &exitError{code: exitConnect}
		}
		return &exitError{code: exitFailure}
	}
	if err != nil {
		return clientError(err)
	}
	if !f.quiet {
		skipped := ""
		if res.Skipped > 0 {
			skipped = fmt.Sprintf(" (%s skipped)", progress.Count(res.Skipped))
		}
		fmt.Fprintf(e.stderr, "imported %s documents%s from %s into %s in %s\n",
			progress.Count(res.Documents), skipped, name, t.Org, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
