package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/org"
)

func operatorCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Manage operator accounts",
	}
	cmd.AddCommand(operatorCreateCommand(e))
	return cmd
}

func operatorCreateCommand(e *env) *cobra.Command {
	cfg := daemon.DefaultConfig()
	var email string
	cmd := &cobra.Command{
		Use:   "create --email EMAIL",
		Short: "Create an operator account, directly in the store",
		Long: `Create an operator: a platform account that may manage every organization.
The password is asked for twice on the terminal, or read as one line from stdin.
This works on the store directly and takes serve's store flags. The embedded
store can be used by one process at a time: while orgd serves it, create the
first operator over the socket with auth.bootstrap instead.`,
		Example: `  orgd operator create --email ops@example.com
  printf '%s\n' "$PASSWORD" | orgd operator create --email ops@example.com --mongo-uri mongodb://db/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := fromEnv(cmd.Flags()); err != nil {
				return err
			}
			if email == "" {
				return usage("--email is required")
			}
			if err := cfg.Validate(); err != nil {
				return usage("%w", err)
			}
			password, err := readPassword(e)
			if err != nil {
				return err
			}
			return createOperator(cmd.Context(), e, cfg, email, password)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&email, "email", "", "the operator's email")
	storeFlags(fs, &cfg)
	fs.IntVar(&cfg.BcryptCost, "bcrypt-cost", cfg.BcryptCost, "bcrypt cost of the password hash (10–14)")
	return cmd
}

// readPassword asks twice on a terminal, or reads one line from stdin.
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(p1, p2) {
			return "", &exitError{code: exitFailure, err: errors.New("the passwords differ")}
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func createOperator(ctx context.Context, e *env, cfg daemon.Config, email, password string) error {
	log, err := daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return usage("%w", err)
	}
	// Check the input before starting a store for it.
	if _, err := org.NormalizeEmail("email", email); err != nil {
		return &exitError{code: exitFailure, err: errors.New(org.ErrorMessage(err))}
	}
	if err := org.ValidatePassword("password", password); err != nil {
		return &exitError{code: exitFailure, err: errors.New(org.ErrorMessage(err))}
	}
	st, err := daemon.OpenStore(ctx, cfg, log, daemon.Hooks{})
	if errors.Is(err, embedded.ErrLocked) {
		return &exitError{code: exitFailure, err: fmt.Errorf("%w\n(while orgd serves, create the first operator with: orgd call auth.bootstrap '{\"email\":\"…\",\"password\":\"…\"}')", err)}
	}
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	defer st.Close(context.WithoutCancel(ctx))
	if err := st.Reconcile(ctx); err != nil {
		log.Warn("reconcile failed", "error", err)
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost)
	if err != nil {
		return usage("%w", err)
	}
	svc := org.NewService(st, st.Directory, st.Events, hasher, nil, nil, org.Config{}, log)
	op, err := svc.CreateOperator(ctx, email, password, false)
	if err != nil {
		return &exitError{code: exitFailure, err: errors.New(org.ErrorMessage(err))}
	}
	fmt.Fprintf(e.stdout, "operator %s created (id %s)\n", op.Email, op.ID)
	return nil
}
