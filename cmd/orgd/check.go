package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orgd/orgd/internal/daemon"
)

func checkCommand(e *env) *cobra.Command {
	cfg := daemon.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Report broken invariants in the store; change nothing",
		Long: `Read the whole store and report what should never be: changes left half-done
(organizations provisioning, renaming, updating or deleting), organizations
without their collection, org_* collections without an organization, and claims
without an owner. Nothing is changed; a running orgd repairs half-done changes
itself within --refresh-interval. Exit 0 when clean, 1 otherwise.`,
		Example: `  orgd check --data-dir /var/lib/orgd     # embedded store (stop orgd first)
  orgd check --mongo-uri mongodb://db1/ --db orgd`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := fromEnv(cmd.Flags()); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return usage("%w", err)
			}
			return check(cmd.Context(), e, cfg)
		},
	}
	storeFlags(cmd.Flags(), &cfg)
	return cmd
}

func check(ctx context.Context, e *env, cfg daemon.Config) error {
	log, err := daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return usage("%w", err)
	}
	// Each tenant database is visited once: its engine need not outlive
	// the visit. Check writes nothing, so the directory snapshot of the
	// last clean stop stays for the next start.
	st, err := daemon.OpenStore(ctx, cfg, log, daemon.Hooks{TenantIdle: -1, ReadOnly: true})
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	defer st.Close(context.WithoutCancel(ctx))
	problems, err := st.Check(ctx)
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	if len(problems) == 0 {
		fmt.Fprintf(e.stdout, "ok: no broken invariants (%d organizations, %d operators)\n", st.Directory.Len(), st.Directory.OperatorCount())
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	return &exitError{code: exitFailure, err: fmt.Errorf("%d broken invariants", len(problems))}
}
