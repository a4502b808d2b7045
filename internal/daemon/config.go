// Package daemon wires orgd together: configuration and its defaults, the
// logger, the store (embedded or MongoDB), the service, the listeners and
// the server, and the order in which they start and stop. cmd/orgd parses
// flags into a Config; tests and benchmarks start a Daemon directly.
package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sshd"
	"github.com/orgd/orgd/rpc"
)

// Config is everything orgd serve can be told. Each field is a flag of
// orgd serve and an ORGD_<FLAG> environment variable.
type Config struct {
	Listen      []string
	DataDir     string
	MongoURI    string
	DB          string
	AllowSignup bool
	TokenTTL    time.Duration
	BcryptCost  int
	// BcryptSlots is how many passwords are hashed or checked at once:
	// the cores ReserveProcessors reports; 0 for every P but one.
	BcryptSlots int
	JWTKeyFile  string
	MaxTenants  int
	// TenantsPerDB is how many organizations' collections go into one
	// database before new ones go into the next (0: all into DB); below
	// zero, the default of the store: EmbeddedTenantsPerDB on the
	// embedded one, 0 on MongoDB. See TenantsPerDatabase.
	TenantsPerDB    int
	RefreshInterval time.Duration
	LogFormat       string
	LogLevel        string
	MaxMessageBytes int
	MaxConns        int
	IdleTimeout     time.Duration
	RequestTimeout  time.Duration
	TLSCert         string
	TLSKey          string
	InsecureTCP     bool
	// SSHListen are the tcp:// addresses orgtui is served on over SSH
	// (SPEC §9); none by default.
	SSHListen []string
	// SSHHostKeyFile is the SSH host key; default ssh_host_ed25519_key in
	// the data directory, created on first start.
	SSHHostKeyFile string
	SSHMaxSessions int
	SSHIdleTimeout time.Duration
	// SSHHandshakeTimeout drops an SSH connection that has not logged in
	// this long after it opened.
	SSHHandshakeTimeout time.Duration
	// MetricsListen is where GET /metrics is served (SPEC §10):
	// tcp://127.0.0.1:9464 or unix:///path; off when empty. Plain TCP on
	// an address that is not loopback needs InsecureTCP.
	MetricsListen string
	// StoreTimeout bounds how long a request waits for an unreachable
	// store (server selection) before failing with -32050.
	StoreTimeout time.Duration
	// MaxStoreInflight bounds the requests doing store work at once, and
	// StoreQueueTimeout how long one more waits for its turn before -32053
	// (SPEC §10); the same wait bounds a password's wait for a core.
	MaxStoreInflight  int
	StoreQueueTimeout time.Duration
	// AuditRetention is how long audit entries are kept; zero keeps them
	// all. orgd deletes older ones itself (SPEC §10).
	AuditRetention time.Duration
	// Version is reported by system.health.
	Version string
}

// DefaultConfig returns the defaults of every setting, in one place.
func DefaultConfig() Config {
	srv := server.DefaultConfig()
	ssh := sshd.DefaultConfig()
	return Config{
		Listen:              []string{"unix://" + rpc.DefaultSocket()},
		DataDir:             DefaultDataDir(),
		DB:                  "orgd",
		TokenTTL:            time.Hour,
		BcryptCost:          auth.DefaultCost,
		TenantsPerDB:        -1,
		RefreshInterval:     2 * time.Second,
		LogFormat:           "text",
		LogLevel:            "info",
		MaxMessageBytes:     srv.MaxMessageBytes,
		MaxConns:            srv.MaxConns,
		IdleTimeout:         srv.IdleTimeout,
		RequestTimeout:      srv.RequestTimeout,
		StoreTimeout:        2 * time.Second,
		MaxStoreInflight:    srv.MaxStoreInflight,
		StoreQueueTimeout:   srv.StoreQueueTimeout,
		AuditRetention:      DefaultAuditRetention,
		SSHMaxSessions:      ssh.MaxSessions,
		SSHIdleTimeout:      ssh.IdleTimeout,
		SSHHandshakeTimeout: ssh.HandshakeTimeout,
		Version:             "dev",
	}
}

// DefaultAuditRetention is how long audit entries are kept unless
// --audit-retention says otherwise: 90 days.
const DefaultAuditRetention = 90 * 24 * time.Hour

// MinAuditRetention is the shortest retention but zero (keep all).
const MinAuditRetention = time.Hour

// DefaultDataDir is /var/lib/orgd for root, $XDG_DATA_HOME/orgd (or
// ~/.local/share/orgd) for anyone else.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/orgd"
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "orgd")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "orgd")
	}
	return filepath.Join(os.TempDir(), "orgd-data")
}

// EmbeddedTenantsPerDB is how many organizations' collections go into one
// database of the embedded store. Making a collection there costs time in
// proportion to the collections of its database (see internal/embedded):
// at 1,000 the 1,000th costs about 1.3 times the 1st, at 8,000 in one
// database it was 3.8 times.
const EmbeddedTenantsPerDB = 1000

// TenantsPerDatabase is TenantsPerDB with its default applied: how many
// organizations' collections go into one database, 0 for all into DB.
func (c Config) TenantsPerDatabase() int {
	switch {
	case c.TenantsPerDB >= 0:
		return c.TenantsPerDB
	case c.MongoURI == "":
		return EmbeddedTenantsPerDB
	}
	return 0
}

// KeyFile is the JWT signing key's path: JWTKeyFile, or jwt.key in the data
// directory.
func (c Config) KeyFile() string {
	if c.JWTKeyFile != "" {
		return c.JWTKeyFile
	}
	return filepath.Join(c.DataDir, "jwt.key")
}

// QueueTimeout is how long a request may wait for its turn at the store:
// StoreQueueTimeout, but at most half of RequestTimeout, so that a request
// admitted at the last moment still has time for its work.
func (c Config) QueueTimeout() time.Duration {
	return min(c.StoreQueueTimeout, c.RequestTimeout/2)
}

// SSHHostKey is the SSH host key's path: SSHHostKeyFile, or
// ssh_host_ed25519_key in the data directory.
func (c Config) SSHHostKey() string {
	if c.SSHHostKeyFile != "" {
		return c.SSHHostKeyFile
	}
	return filepath.Join(c.DataDir, sshd.HostKeyName)
}

// Validate checks the settings that can be checked without I/O.
func (c Config) Validate() error {
	var errs []error
	if len(c.Listen) == 0 {
		errs = append(errs, errors.New("--listen: at least one address is needed"))
	}
	for _, l := range c.Listen {
		if _, err := rpc.ParseAddr(l); err != nil {
			errs = append(errs, fmt.Errorf("--listen: %w", err))
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is empty"))
	}
	if c.DB == "" || strings.ContainsAny(c.DB, "/\\. \"$\x00") || len(c.DB) > 63 {
		errs = append(errs, fmt.Errorf("--db %q: a database name has 1–63 characters and none of / \\ . space \" $", c.DB))
	}
	if c.TenantsPerDatabase() > 0 && len(c.DB) > mongo.MaxMainDatabaseName {
		errs = append(errs, fmt.Errorf("--db %q: with tenants spread over databases (--tenants-per-db) a database name has at most %d characters, to leave room for those of the tenant databases", c.DB, mongo.MaxMainDatabaseName))
	}
	if c.BcryptCost < auth.MinCost || c.BcryptCost > auth.MaxCost {
		errs = append(errs, fmt.Errorf("--bcrypt-cost %d: must be %d–%d", c.BcryptCost, auth.MinCost, auth.MaxCost))
	}
	if c.TokenTTL < time.Minute {
		errs = append(errs, fmt.Errorf("--token-ttl %s: must be at least 1m", c.TokenTTL))
	}
	if c.AuditRetention != 0 && c.AuditRetention < MinAuditRetention {
		errs = append(errs, fmt.Errorf("--audit-retention %s: must be 0 (keep all) or at least %s", c.AuditRetention, MinAuditRetention))
	}
	if c.MaxTenants < 0 {
		errs = append(errs, errors.New("--max-tenants must not be negative"))
	}
	if c.RefreshInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--refresh-interval %s: must be at least 100ms", c.RefreshInterval))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, errors.New("--max-message-bytes must be at least 1024"))
	}
	if c.MaxConns < 1 {
		errs = append(errs, errors.New("--max-conns must be at least 1"))
	}
	if c.MaxStoreInflight < 1 {
		errs = append(errs, errors.New("--max-store-inflight must be at least 1"))
	}
	if c.StoreQueueTimeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("--store-queue-timeout %s: must be at least 1ms", c.StoreQueueTimeout))
	}
	if c.IdleTimeout <= 0 || c.RequestTimeout <= 0 || c.StoreTimeout <= 0 {
		errs = append(errs, errors.New("--idle-timeout, --request-timeout and --store-timeout must be positive"))
	}
	for _, l := range c.SSHListen {
		if a, err := rpc.ParseAddr(l); err != nil || a.Network != "tcp" || a.TLS {
			errs = append(errs, fmt.Errorf("--ssh-listen %q: want tcp://host:port", l))
		}
	}
	if c.MetricsListen != "" {
		if a, err := rpc.ParseAddr(c.MetricsListen); err != nil || a.TLS {
			errs = append(errs, fmt.Errorf("--metrics-listen %q: want tcp://host:port or unix:///path", c.MetricsListen))
		}
	}
	if c.SSHMaxSessions < 1 {
		errs = append(errs, errors.New("--ssh-max-sessions must be at least 1"))
	}
	if c.SSHIdleTimeout < time.Second {
		errs = append(errs, fmt.Errorf("--ssh-idle-timeout %s: must be at least 1s", c.SSHIdleTimeout))
	}
	if c.SSHHandshakeTimeout < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--ssh-handshake-timeout %s: must be at least 100ms", c.SSHHandshakeTimeout))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
