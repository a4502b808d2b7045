package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/orgd/orgd/internal/daemon"
)

// storeFlags defines the flags that say where the store is; serve, check
// and operator create share them.
func storeFlags(fs *pflag.FlagSet, c *daemon.Config) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the embedded store and the JWT key")
	fs.StringVar(&c.MongoURI, "mongo-uri", c.MongoURI, "MongoDB connection string; without it the embedded store in --data-dir is used")
	fs.StringVar(&c.DB, "db", c.DB, "database name")
	fs.DurationVar(&c.StoreTimeout, "store-timeout", c.StoreTimeout, "how long to wait for an unreachable store before failing (server selection)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
}

func serveCommand(e *env) *cobra.Command {
	cfg := daemon.DefaultConfig()
	cfg.Version = Version()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon",
		Long: `Run orgd in the foreground until SIGTERM or SIGINT, which drain in-flight requests
and exit 0. Without --mongo-uri, orgd runs the embedded store under --data-dir.
Every flag can also be set as an environment variable ORGD_<FLAG>, e.g.
ORGD_MONGO_URI or ORGD_MAX_CONNS. Under systemd, orgd takes sockets passed by
socket activation instead of --listen and reports READY/STOPPING.`,
		Example: `  orgd serve --data-dir ./.orgd --listen unix://./.orgd/orgd.sock
  orgd serve --mongo-uri mongodb://db1,db2,db3/?replicaSet=rs0
  orgd serve --listen tcp://0.0.0.0:7443 --tls-cert cert.pem --tls-key key.pem
  orgd serve --ssh-listen tcp://0.0.0.0:2222    # then: ssh -p 2222 you@example.com@host
  orgd serve --metrics-listen tcp://127.0.0.1:9464   # Prometheus scrapes /metrics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := fromEnv(cmd.Flags()); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return usage("%w", err)
			}
			return serve(cmd.Context(), e, cfg)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringSliceVar(&cfg.Listen, "listen", cfg.Listen, "address to serve on, repeatable: unix:///path or tcp://host:port")
	storeFlags(fs, &cfg)
	fs.BoolVar(&cfg.AllowSignup, "allow-signup", cfg.AllowSignup, "let anyone create an organization without a token")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", cfg.TokenTTL, "lifetime of login tokens")
	fs.IntVar(&cfg.BcryptCost, "bcrypt-cost", cfg.BcryptCost, "bcrypt cost of new password hashes (10–14)")
	fs.StringVar(&cfg.JWTKeyFile, "jwt-key-file", cfg.JWTKeyFile, "Ed25519 signing key (PEM); default: jwt.key in --data-dir, created on first start")
	fs.IntVar(&cfg.MaxTenants, "max-tenants", cfg.MaxTenants, "refuse to create more organizations than this (0: no limit)")
	fs.IntVar(&cfg.TenantsPerDB, "tenants-per-db", cfg.TenantsPerDB, fmt.Sprintf("put new organizations' collections into databases of this many, --db_t0001 and on (0: all into --db; below 0: %d on the embedded store, where it bounds the cost of a create, and 0 on MongoDB, which advises one database: there more only add to what backups list and users are granted)", daemon.EmbeddedTenantsPerDB))
	fs.DurationVar(&cfg.AuditRetention, "audit-retention", cfg.AuditRetention, "delete audit entries older than this (2160h is 90 days; 0 keeps them all)")
	fs.DurationVar(&cfg.RefreshInterval, "refresh-interval", cfg.RefreshInterval, "how often to pick up other daemons' changes and repair half-done ones")
	fs.IntVar(&cfg.MaxMessageBytes, "max-message-bytes", cfg.MaxMessageBytes, "longest request line accepted")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "most connections open at once")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "close connections silent for this long")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "deadline of every request")
	fs.IntVar(&cfg.MaxStoreInflight, "max-store-inflight", cfg.MaxStoreInflight, "most requests doing store work at once; more wait in a queue")
	fs.DurationVar(&cfg.StoreQueueTimeout, "store-queue-timeout", cfg.StoreQueueTimeout, "how long a request waits in the store queue (or for a core to check a password) before -32053 busy")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "TLS certificate (PEM) for tcp:// listeners")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "TLS private key (PEM) for tcp:// listeners")
	fs.BoolVar(&cfg.InsecureTCP, "insecure-tcp", cfg.InsecureTCP, "allow plain TCP on a non-loopback address")
	fs.StringSliceVar(&cfg.SSHListen, "ssh-listen", cfg.SSHListen, "serve orgtui over SSH on tcp://host:port, repeatable (off by default)")
	fs.StringVar(&cfg.SSHHostKeyFile, "ssh-host-key-file", cfg.SSHHostKeyFile, "SSH host key (OpenSSH private key); default: ssh_host_ed25519_key in --data-dir, created on first start")
	fs.IntVar(&cfg.SSHMaxSessions, "ssh-max-sessions", cfg.SSHMaxSessions, "most SSH sessions open at once")
	fs.DurationVar(&cfg.SSHIdleTimeout, "ssh-idle-timeout", cfg.SSHIdleTimeout, "end an SSH session after this long without a key pressed")
	fs.DurationVar(&cfg.SSHHandshakeTimeout, "ssh-handshake-timeout", cfg.SSHHandshakeTimeout, "drop an SSH connection that has not logged in this long after it opened")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", cfg.MetricsListen, "serve Prometheus metrics (GET /metrics) on tcp://host:port or unix:///path (off by default; plain TCP off loopback needs --insecure-tcp)")
	return cmd
}

func serve(ctx context.Context, e *env, cfg daemon.Config) error {
	log, err := daemon.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return usage("%w", err)
	}
	cores, restore := daemon.ReserveProcessors(cfg)
	defer restore()
	cfg.BcryptSlots = cores
	d, err := daemon.Start(ctx, cfg, log, daemon.Hooks{})
	if err != nil {
		log.Error("orgd could not start", "error", err)
		return &exitError{code: exitFailure}
	}
	// Once started: a start after a crash decodes every organization and
	// account, and collects less often at the runtime's default.
	_, restoreGC := daemon.TuneGC(cfg, os.Getenv)
	defer restoreGC()
	werr := d.Wait(ctx)
	if werr != nil {
		log.Error("listener failed; shutting down", "error", werr)
	} else {
		log.Info("shutting down: draining requests")
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.RequestTimeout+10*time.Second)
	defer cancel()
	if err := d.Close(cctx); err != nil {
		log.Warn("shutdown was not clean", "error", err)
	}
	if werr != nil {
		return &exitError{code: exitFailure}
	}
	return nil
}
