package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/orgd/orgd/internal/auth"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sshd"
	"github.com/orgd/orgd/rpc"
)

// Store is an open store, with the embedded engine under it if any.
type Store struct {
	*mongo.Store
	Directory *org.Directory
	Events    *org.Events
	engine    *embedded.Engine
}

// Hooks let tests reach inside a daemon. The zero value is what orgd runs
// with.
type Hooks struct {
	// Failpoint is passed to the store (see mongo.Options.Failpoint).
	Failpoint func(step string) error
	// BcryptCost, when set, replaces Config.BcryptCost without its 10–14
	// bounds: under the race detector bcrypt at cost 10 takes a second.
	BcryptCost int
	// TenantIdle is how long the engine of an embedded tenant database
	// runs after its last use: embedded.DefaultTenantIdle when zero, and
	// below zero not at all (orgd check, which visits each once). See
	// embedded.Options.TenantIdle.
	TenantIdle time.Duration
	// ReadOnly says that the caller writes nothing to the store (orgd
	// check): the embedded store's directory snapshot is read but kept for
	// the next start (see mongo.Options.KeepSnapshot).
	ReadOnly bool
	// LongStart is how long a start may take before orgd asks systemd for
	// more time: DefaultLongStart when zero.
	LongStart time.Duration
}

// OpenStore opens the store cfg names: MongoDB at --mongo-uri, or else the
// embedded engine in the data directory. The directory is loaded, not yet
// reconciled.
func OpenStore(ctx context.Context, cfg Config, log *slog.Logger, o Hooks) (*Store, error) {
	st := &Store{Events: org.NewEvents()}
	st.Directory = org.NewDirectory(st.Events)
	uri, kind := cfg.MongoURI, mongo.KindMongoDB
	if uri == "" {
		if err := checkDataDirOwner(cfg.DataDir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		eng, err := embedded.Start(ctx, cfg.DataDir, embedded.Options{
			Log:            log.With("component", "embedded"),
			TenantDatabase: func(name string) bool { return mongo.IsTenantDatabase(cfg.DB, name) },
			TenantIdle:     o.TenantIdle,
		})
		if err != nil {
			return nil, err
		}
		st.engine, uri, kind = eng, eng.URI(), mongo.KindEmbedded
	}
	own, data := maxConns(kind)
	opts := mongo.Options{
		URI:                    uri,
		Database:               cfg.DB,
		Kind:                   kind,
		Exclusive:              kind == mongo.KindEmbedded,
		ServerSelectionTimeout: cfg.StoreTimeout,
		RefreshInterval:        cfg.RefreshInterval,
		Directory:              st.Directory,
		Logger:                 log.With("component", "store"),
		Failpoint:              o.Failpoint,
		MaxConns:               own,
		DataConns:              data,
		TenantsPerDatabase:     cfg.TenantsPerDatabase(),
	}
	if kind == mongo.KindEmbedded {
		opts.SnapshotFile = filepath.Join(cfg.DataDir, embedded.Dir, SnapshotFile)
		opts.KeepSnapshot = o.ReadOnly
	}
	s, err := mongo.Open(ctx, opts)
	if err == nil && st.engine != nil {
		err = st.engine.IndexIDs(ctx, s.Database(), mongo.OrganizationsCollection, mongo.ClaimsCollection, mongo.OperatorsCollection,
			mongo.MembersCollection, mongo.KeysCollection, mongo.RevocationsCollection, mongo.LoginsCollection, mongo.MetaCollection, mongo.AuditCollection)
		if err != nil {
			_ = s.Close(context.WithoutCancel(ctx))
		}
	}
	if err != nil {
		if st.engine != nil {
			_ = st.engine.Close(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	st.Store = s
	return st, nil
}

// capacity is the store's tested capacity, which system.health reports:
// the embedded store's, and none for a MongoDB, which is sized by whoever
// runs it.
func (s *Store) capacity() *rpc.StoreCapacity {
	if s.engine == nil {
		return nil
	}
	return &rpc.StoreCapacity{
		TestedTenants:   embedded.TestedOrganizations,
		TestedDocuments: embedded.TestedDocuments,
		TestedSizeBytes: embedded.TestedSizeBytes,
	}
}

// SnapshotFile is where, in the embedded store's directory, a cleanly
// stopped orgd leaves its directory for the next start to read instead of
// every organization and account (see mongo.Options.SnapshotFile).
const SnapshotFile = "directory.snapshot"

// On the embedded engine orgd bounds the operations it runs at once. Each
// of the engine's SQLite connections holds its own copy of the schema of
// every collection (24 MB, and a second to read, at 10,000 organizations),
// and the engine keeps every connection it ever opened; after a collection
// is made or dropped, every connection but the one that did it rereads the
// schema before its next statement. orgd's own writes (the directory,
// claims, commit records, audit, and creating and dropping collections) go
// through one connection, so that they never run side by side and the
// statements that follow a new collection run on the connection that made
// it; the tenants' data has three of its own, so that a slow query does
// not hold them up.
const (
	embeddedConns     = 1
	embeddedDataConns = 3
)

// maxConns is the bound on store connections for a store kind, and on
// those of the tenants' data: none of orgd's own for MongoDB.
func maxConns(kind string) (own, data int) {
	if kind == mongo.KindEmbedded {
		return embeddedConns, embeddedDataConns
	}
	return 0, 0
}

// Close disconnects the driver first and then stops the embedded engine,
// which would otherwise wait seconds for the driver's connections to drain.
func (s *Store) Close(ctx context.Context) error {
	err := s.Store.Close(ctx)
	if s.engine != nil {
		err = errors.Join(err, s.engine.Close(ctx))
	}
	return err
}

// Daemon is a running orgd.
type Daemon struct {
	cfg       Config
	log       *slog.Logger
	store     *Store
	svc       *org.Service
	hasher    *auth.Hasher
	srv       *server.Server
	listeners []net.Listener
	addrs     []string

	ssh          *sshd.Server // nil unless --ssh-listen
	sshListeners []net.Listener
	sshAddrs     []string

	metrics         *metrics.Metrics // nil unless --metrics-listen
	metricsServer   *metrics.Server
	metricsListener net.Listener
	metricsAddr     string

	stopBackground context.CancelFunc
	background     sync.WaitGroup
	serveErr       chan error
}

// Start opens the store, finishes or rolls back what an earlier run left
// half-done, opens the listeners and starts serving. Stop it with Close.
func Start(ctx context.Context, cfg Config, log *slog.Logger, o Hooks) (_ *Daemon, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	d := &Daemon{cfg: cfg, log: log, serveErr: make(chan error, 8)}
	longStart := o.LongStart
	if longStart <= 0 {
		longStart = DefaultLongStart
	}
	stopExtending := extendStart(log, longStart)
	defer stopExtending()
	defer func() {
		if err != nil {
			d.Close(context.WithoutCancel(ctx))
		}
	}()

	if err := checkDataDirOwner(cfg.DataDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	key, err := auth.LoadOrCreateKey(cfg.KeyFile(), cfg.JWTKeyFile == "")
	if err != nil {
		return nil, err
	}
	cost := cfg.BcryptCost
	if o.BcryptCost != 0 {
		cost = o.BcryptCost
	}
	hasher, err := auth.NewHasherUnchecked(cost)
	if err != nil {
		return nil, err
	}
	d.hasher = hasher
	if cfg.QueueTimeout() < cfg.StoreQueueTimeout {
		log.Warn("--store-queue-timeout is cut to half of --request-timeout", "store_queue_timeout", cfg.QueueTimeout(), "request_timeout", cfg.RequestTimeout)
	}
	hasher.SetMaxWait(cfg.QueueTimeout())
	if cfg.BcryptSlots > 0 {
		hasher.SetSlots(cfg.BcryptSlots)
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	if d.store, err = OpenStore(ctx, cfg, log, o); err != nil {
		return nil, err
	}
	// A store an earlier orgd wrote is upgraded before anything else
	// touches it; a failure stops the start, and the next start carries on.
	if err := d.store.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("upgrade the store: %w", err)
	}
	if err := d.store.Reconcile(ctx); err != nil {
		log.Warn("reconcile at start failed; will retry", "error", err)
	}
	// Loading the directory decoded every organization and account the
	// store holds, after the embedded engine read them in full: garbage
	// several times the directory's size. It goes back to the system now
	// rather than stay resident while orgd idles.
	debug.FreeOSMemory()
	var store org.Store = d.store
	if cfg.MetricsListen != "" {
		d.metrics = metrics.New(metrics.Options{Version: cfg.Version, Started: started})
		store = meteredStore{Store: d.store, m: d.metrics}
	}
	d.svc = org.NewService(store, d.store.Directory, d.store.Events, hasher, auth.NewSigner(key, cfg.TokenTTL), auth.NewThrottle(),
		org.Config{AllowSignup: cfg.AllowSignup, MaxTenants: cfg.MaxTenants}, log)
	d.svc.ProbeStore(ctx, cfg.StoreTimeout)

	d.srv, err = server.New(d.svc, server.Config{
		MaxConns:          cfg.MaxConns,
		MaxMessageBytes:   cfg.MaxMessageBytes,
		IdleTimeout:       cfg.IdleTimeout,
		RequestTimeout:    cfg.RequestTimeout,
		MaxStoreInflight:  cfg.MaxStoreInflight,
		StoreQueueTimeout: cfg.QueueTimeout(),
		Version:           cfg.Version,
		StoreCapacity:     d.store.capacity(),
		Logger:            log.With("component", "server"),
		Metrics:           d.metrics,
	})
	if err != nil {
		return nil, err
	}

	activated, err := server.Activated(server.ListenOptions{TLS: tlsConfig, InsecureTCP: cfg.InsecureTCP})
	if err != nil {
		return nil, err
	}
	d.listeners = activated
	if len(activated) == 0 {
		for _, addr := range cfg.Listen {
			ln, err := server.Listen(ctx, addr, server.ListenOptions{TLS: tlsConfig, InsecureTCP: cfg.InsecureTCP})
			if err != nil {
				return nil, err
			}
			d.listeners = append(d.listeners, ln)
		}
	}
	for _, ln := range d.listeners {
		d.addrs = append(d.addrs, listenerAddr(ln))
	}

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.stopBackground = cancel
	d.background.Add(3)
	go func() { defer d.background.Done(); d.store.Run(bg) }()
	go func() { defer d.background.Done(); d.svc.WatchStore(bg, time.Second, cfg.StoreTimeout) }()
	go func() { defer d.background.Done(); d.store.RunAuditRetention(bg, cfg.AuditRetention) }()
	for _, ln := range d.listeners {
		go func() {
			if err := d.srv.Serve(ln); !errors.Is(err, server.ErrServerClosed) {
				d.serveErr <- err
			}
		}()
	}
	if len(cfg.SSHListen) > 0 {
		if err := d.startSSH(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.MetricsListen != "" {
		if err := d.startMetrics(ctx); err != nil {
			return nil, err
		}
	}
	n, _ := d.svc.Tenants()
	stopExtending()
	log.Info("orgd ready", "version", cfg.Version, "listen", d.addrs, "store", d.store.Kind(),
		"organizations", n, "activated", len(activated) > 0, "directory_from_snapshot", d.store.StartedFromSnapshot())
	if _, err := sd.SdNotify(false, sd.SdNotifyReady); err != nil {
		log.Warn("sd_notify READY failed", "error", err)
	}
	return d, nil
}

func listenerAddr(ln net.Listener) string {
	a := ln.Addr()
	if a.Network() == "unix" {
		return "unix://" + a.String()
	}
	return "tcp://" + a.String()
}

// Addrs returns the addresses the daemon serves on.
func (d *Daemon) Addrs() []string { return d.addrs }

// Service returns the daemon's service.
func (d *Daemon) Service() *org.Service { return d.svc }

// Store returns the daemon's store.
func (d *Daemon) Store() *Store { return d.store }

// Server returns the daemon's JSON-RPC server.
func (d *Daemon) Server() *server.Server { return d.srv }

// Wait blocks until ctx ends or a listener fails.
func (d *Daemon) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-d.serveErr:
		return err
	}
}

// Close drains in-flight requests (for at most the request timeout), stops
// the background work, and closes the store.
func (d *Daemon) Close(ctx context.Context) error {
	if _, err := sd.SdNotify(false, sd.SdNotifyStopping); err != nil {
		d.log.Warn("sd_notify STOPPING failed", "error", err)
	}
	var errs []error
	// SSH sessions end first, each with a message, while the JSON-RPC
	// server still answers their last requests.
	if d.ssh != nil {
		sctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
		errs = append(errs, d.ssh.Shutdown(sctx))
		cancel()
	}
	for _, ln := range d.sshListeners {
		ln.Close() // closed already, unless the start failed before serving
	}
	if d.srv != nil {
		dctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
		errs = append(errs, d.srv.Shutdown(dctx))
		cancel()
	} else {
		for _, ln := range d.listeners {
			ln.Close()
		}
	}
	// Metrics go last, so that a scrape still sees the requests drain.
	errs = append(errs, d.stopMetrics(ctx))
	if d.stopBackground != nil {
		d.stopBackground()
		d.background.Wait()
	}
	if d.store != nil {
		errs = append(errs, d.store.Close(ctx))
	}
	if d.hasher != nil {
		d.hasher.Close()
	}
	d.log.Info("orgd stopped")
	return errors.Join(errs...)
}
