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
		Short: "Manage operator accounts directly in the store",
		Long: `Create an operator, or reset an operator's password, directly in the store: for
the first operator, and for the way back in when every operator's password is
lost. They take serve's store flags. The embedded store can be used by one
process at a time: while orgd serves it, manage operators over the socket with
orgd call operator.create, operator.update and operator.delete instead.`,
	}
	cmd.AddCommand(operatorCreateCommand(e), operatorResetPasswordCommand(e))
	return cmd
}

func operatorCreateCommand(e *env) *cobra.Command {
	cfg := daemon.DefaultConfig()
	var email string
	cmd := &cobra.Command{
		Use:   "create --email EMAIL",
		Short: "Create an operator account, directly in the store",
		Long: `Create an operator: a platform account that may manage every organization and
account. The password is asked for twice on the terminal, or read as one line
from stdin. This works on the store directly and takes serve's store flags. The
embedded store can be used by one process at a time: while orgd serves it, an
operator adds another with orgd call operator.create, and the first one is made
with orgd call auth.bootstrap.`,
		Example: `  orgd operator create --email ops@example.com
  printf '%s\n' "$PASSWORD" | orgd operator create --email ops@example.com --mongo-uri mongodb://db/
  orgd call operator.create '{"email":"second@example.com","password":"…"}'   # while orgd runs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withOperator(cmd, e, &cfg, email, "operator.create", func(ctx context.Context, svc *org.Service, password string) (string, error) {
				op, err := svc.CreateOperatorLocally(ctx, email, password)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("operator %s created (id %s)", op.Email, op.ID), nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&email, "email", "", "the operator's email")
	storeFlags(fs, &cfg)
	fs.IntVar(&cfg.BcryptCost, "bcrypt-cost", cfg.BcryptCost, "bcrypt cost of the password hash (10–14)")
	return cmd
}

func operatorResetPasswordCommand(e *env) *cobra.Command {
	cfg := daemon.DefaultConfig()
	var email string
	cmd := &cobra.Command{
		Use:   "reset-password --email EMAIL",
		Short: "Give an operator a new password, directly in the store",
		Long: `Give an operator a new password and revoke every token they hold: the way back
in for a team that lost every operator's password. The password is asked for
twice on the terminal, or read as one line from stdin. It works on a stopped
store (stop orgd first for the embedded one), and takes serve's store flags.
While orgd runs, another operator does the same with orgd call operator.update.`,
		Example: `  systemctl stop orgd && orgd operator reset-password --email ops@example.com && systemctl start orgd
  orgd call operator.update '{"email":"ops@example.com","password":"…"}'   # while orgd runs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withOperator(cmd, e, &cfg, email, "operator.update", func(ctx context.Context, svc *org.Service, password string) (string, error) {
				op, err := svc.ResetOperatorPasswordLocally(ctx, email, password)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("operator %s has a new password; their tokens are revoked", op.Email), nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&email, "email", "", "the operator's email")
	storeFlags(fs, &cfg)
	fs.IntVar(&cfg.BcryptCost, "bcrypt-cost", cfg.BcryptCost, "bcrypt cost of the password hash (10–14)")
	return cmd
}

// withOperator runs change, an operator command, on the store cfg names:
// it checks the flags, reads the password, opens and upgrades the store,
// and prints what change says. A store that a running orgd holds is
// refused at once, naming method, the RPC to use instead.
func withOperator(cmd *cobra.Command, e *env, cfg *daemon.Config, email, method string, change func(context.Context, *org.Service, string) (string, error)) error {
	if err := fromEnv(cmd.Flags()); err != nil {
		return err
	}
	if email == "" {
		return usage("--email is required")
	}
	if err := cfg.Validate(); err != nil {
		return usage("%w", err)
	}
	ctx := cmd.Context()
	log, err := daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return usage("%w", err)
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost)
	if err != nil {
		return usage("%w", err)
	}
	defer hasher.Close()
	// The store is tried before the password is asked for: one that orgd
	// holds is refused at once.
	st, err := daemon.OpenStore(ctx, *cfg, log, daemon.Hooks{})
	if errors.Is(err, embedded.ErrLocked) {
		return &exitError{code: exitFailure, err: fmt.Errorf("%w: a running orgd holds it\n(while orgd serves, use: orgd call %s '{\"email\":\"%s\",\"password\":\"…\"}')", err, method, email)}
	}
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	defer st.Close(context.WithoutCancel(ctx))
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	// Check the input before the slow part.
	if _, err := org.NormalizeEmail("email", email); err != nil {
		return &exitError{code: exitFailure, err: errors.New(org.ErrorMessage(err))}
	}
	if err := org.ValidatePassword("password", password); err != nil {
		return &exitError{code: exitFailure, err: errors.New(org.ErrorMessage(err))}
	}
	if err := st.Upgrade(ctx); err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("upgrade the store: %w", err)}
	}
	if err := st.Reconcile(ctx); err != nil {
		log.Warn("reconcile failed", "error", err)
	}
	svc := org.NewService(st, st.Directory, st.Events, hasher, nil, auth.NewThrottle(), org.Config{}, log)
	msg, err := change(ctx, svc, password)
	if err != nil {
		return &exitError{code: exitFailure, err: errors.New(org.ErrorMessage(err))}
	}
	fmt.Fprintln(e.stdout, msg)
	return nil
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
