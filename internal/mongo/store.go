// Package mongo is orgd's store over the MongoDB Go driver (v2): the master
// collections, the claims that make slugs and emails unique, the tenant
// collections, and the intent/reconcile machinery that makes every
// multi-step change crash-safe without transactions. It works the same on
// MongoDB and on the embedded FerretDB engine.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/orgd/orgd/internal/org"
)

// Collection names of the master collections.
const (
	OrganizationsCollection = "organizations"
	OperatorsCollection     = "operators"
	MembersCollection       = "members"
	KeysCollection          = "keys"
	RevocationsCollection   = "revocations"
	LoginsCollection        = "logins"
	ClaimsCollection        = "claims"
	MetaCollection          = "meta"
	AuditCollection         = "audit"
)

// MasterCollections are orgd's own collections, every one but the
// tenants'.
var MasterCollections = []string{
	OrganizationsCollection, OperatorsCollection, MembersCollection, KeysCollection, RevocationsCollection,
	LoginsCollection, ClaimsCollection, MetaCollection, AuditCollection,
}

// Store kinds.
const (
	KindEmbedded = "embedded"
	KindMongoDB  = "mongodb"
)

// Options configure a Store.
type Options struct {
	// URI is the MongoDB connection string.
	URI string
	// Database holds every collection; "orgd" by default.
	Database string
	// Kind is KindEmbedded or KindMongoDB, as system.health reports it.
	Kind string
	// Exclusive says no other daemon writes to this database (the embedded
	// engine, which lives in one process): intents left by an earlier
	// process are then abandoned at once, and other writers are not
	// followed.
	Exclusive bool
	// ServerSelectionTimeout bounds how long an operation waits for an
	// unreachable store before failing; 2 s by default.
	ServerSelectionTimeout time.Duration
	// RefreshInterval is how often other daemons' writes are looked for and
	// abandoned intents reconciled; 2 s by default.
	RefreshInterval time.Duration
	// Directory is kept current with the store. Required.
	Directory *org.Directory
	// Logger receives state changes; slog.Default() when nil.
	Logger *slog.Logger
	// Failpoint, when set, is called after each step of a multi-step change
	// with the step's name ("create:inserted", ...). An error stops the
	// change right there, as a crash would: nothing is rolled back. Tests
	// use it to prove that reconcile repairs every such stop.
	Failpoint func(step string) error
	// Monitor, when set, receives the driver's command events. Tests use
	// it to see which filters reach the store.
	Monitor *event.CommandMonitor
	// MaxConns bounds the connections to the store, and so the operations
	// it runs at once; the driver's default (100) when zero.
	MaxConns int
	// TenantsPerDatabase, when set, puts the collections of new
	// organizations into tenant databases of at most this many (see
	// databases.go); otherwise they go into Database with the rest.
	TenantsPerDatabase int
	// SnapshotFile, on an exclusive store, is where the directory is kept
	// between a clean stop and the next start (see snapshot.go); none
	// when empty.
	SnapshotFile string
	// KeepSnapshot is for a process that writes nothing to the store (orgd
	// check): it reads the directory snapshot when the seal names it, but
	// leaves the seal and the file for the next start, and writes none at
	// Close.
	KeepSnapshot bool
	// DataConns, when set, gives the tenants' data (the data methods and
	// collStats) connections of their own, at most DataConns; MaxConns then
	// bounds those of orgd's own collections and of creating, renaming and
	// dropping tenant collections. When zero, both share one pool.
	DataConns int
}

// Store implements org.Store over MongoDB.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	// dataClient holds the connections of Options.DataConns, if any; data
	// is the database through it, or db.
	dataClient *mongo.Client
	data       *mongo.Database
	orgs       *mongo.Collection
	ops        *mongo.Collection
	members    *mongo.Collection
	keys       *mongo.Collection
	revoked    *mongo.Collection
	lastLogins *mongo.Collection
	claims     *mongo.Collection
	meta       *mongo.Collection
	audit      *mongo.Collection

	// perDatabase is Options.TenantsPerDatabase.
	perDatabase int
	// snapshotFile is Options.SnapshotFile, on an exclusive store.
	snapshotFile string
	keepSnapshot bool

	dir       *org.Directory
	kind      string
	exclusive bool
	refresh   time.Duration
	instance  string
	log       *slog.Logger
	failpoint func(string) error

	// ferret is set when the store is FerretDB (the embedded engine, or
	// one given by URI), whose limits engineCheck knows.
	ferret  bool
	cursors *cursors

	// keyLocks serialize conditional writes on an exclusive store; see
	// updateIf.
	keyLocks [keyLockStripes]sync.Mutex
	// guardLocks serialize, on an exclusive store, the changes that could
	// leave no operator or no admin of an organization; see guard.go.
	guardLocks [guardStripes]sync.Mutex

	// schemaChanges lets one create or delete at a time run on an
	// exclusive store (see CreateOrganization).
	schemaChanges chan struct{}

	mu       sync.Mutex
	tenants  map[string]*sync.RWMutex // by organization id; see tenant.go
	stats    statsCache               // recent collStats figures; see stats.go
	inflight map[string]int           // ids with a change under way in this process
	suspects map[string]bool
	// strayLogins are the logins documents that may have outlived their
	// account (markStrayLogin); Reconcile removes those whose account is
	// gone (removeStrayLogins).
	strayLogins map[string]bool
	// recordsRead is set once Reconcile has read the commit records.
	recordsRead bool
	// loaded is set once the directory holds what the store does, and
	// fromSnapshot when Open read it from the directory snapshot.
	loaded, fromSnapshot bool
	seen                 int64 // directory version this process has caught up with
	own                  map[int64]bool
	// streaming is set while a change stream reports other daemons'
	// changes; polling then only does its periodic full reload.
	streaming bool
	// filling is the tenant database new organizations go into, and
	// fillCount how many it holds as far as this process knows (see
	// placeTenant).
	filling   string
	fillCount int
	// logins are the last logins not yet written, by account id, and
	// keyUses the last uses of SSH keys, by fingerprint.
	logins  map[string]time.Time
	keyUses map[string]time.Time

	// auditLog is what the store knows of the audit trail (audit.go).
	auditLog auditTrail
}

var _ org.Store = (*Store)(nil)

// Open connects to the store and loads the directory from it. It does not
// reconcile; call Reconcile (or Run) for that.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Directory == nil {
		return nil, errors.New("mongo: Options.Directory is required")
	}
	if o.Database == "" {
		o.Database = "orgd"
	}
	if o.Kind == "" {
		o.Kind = KindMongoDB
	}
	if o.ServerSelectionTimeout == 0 {
		o.ServerSelectionTimeout = 2 * time.Second
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	snapshotFile := ""
	if o.Exclusive {
		snapshotFile = o.SnapshotFile
	}
	client, err := mongo.Connect(clientOptions(o.URI, o.ServerSelectionTimeout, noteWrites(o.Monitor), o.MaxConns))
	if err != nil {
		return nil, fmt.Errorf("connect to store: %w", err)
	}
	db := client.Database(o.Database)
	var dataClient *mongo.Client
	data := db
	if o.DataConns > 0 {
		if dataClient, err = mongo.Connect(clientOptions(o.URI, o.ServerSelectionTimeout, noteWrites(o.Monitor), o.DataConns)); err != nil {
			_ = client.Disconnect(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("connect to store: %w", err)
		}
		data = dataClient.Database(o.Database)
	}
	s := &Store{
		client:        client,
		db:            db,
		dataClient:    dataClient,
		data:          data,
		orgs:          db.Collection(OrganizationsCollection),
		ops:           db.Collection(OperatorsCollection),
		members:       db.Collection(MembersCollection),
		keys:          db.Collection(KeysCollection),
		revoked:       db.Collection(RevocationsCollection),
		lastLogins:    db.Collection(LoginsCollection),
		claims:        db.Collection(ClaimsCollection),
		meta:          db.Collection(MetaCollection),
		audit:         db.Collection(AuditCollection),
		perDatabase:   o.TenantsPerDatabase,
		snapshotFile:  snapshotFile,
		keepSnapshot:  o.KeepSnapshot,
		dir:           o.Directory,
		kind:          o.Kind,
		exclusive:     o.Exclusive,
		refresh:       o.RefreshInterval,
		instance:      org.NewID(),
		log:           o.Logger,
		failpoint:     o.Failpoint,
		cursors:       newCursors(maxLiveCursors, liveCursorTTL),
		tenants:       make(map[string]*sync.RWMutex),
		inflight:      make(map[string]int),
		schemaChanges: make(chan struct{}, 1),
		suspects:      make(map[string]bool),
		own:           make(map[int64]bool),
		logins:        make(map[string]time.Time),
		keyUses:       make(map[string]time.Time),
	}
	loaded := false
	if s.snapshotFile != "" {
		if loaded, err = s.loadSnapshot(ctx); err != nil {
			_ = s.disconnect(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	if !loaded {
		began := time.Now()
		if err := s.Load(ctx); err != nil {
			_ = s.disconnect(context.WithoutCancel(ctx))
			return nil, err
		}
		s.log.Debug("directory loaded from the store", "organizations", s.dir.Len(), "took", time.Since(began))
	}
	s.mu.Lock()
	s.loaded, s.fromSnapshot = true, loaded
	s.mu.Unlock()
	if err := s.detectEngine(ctx); err != nil {
		_ = s.disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// clientOptions are the driver's options for the store at uri: operations
// wait at most timeout for it, and hold at most maxConns connections (the
// driver's default when zero).
func clientOptions(uri string, timeout time.Duration, monitor *event.CommandMonitor, maxConns int) *options.ClientOptions {
	c := options.Client().
		ApplyURI(uri).
		SetAppName("orgd").
		SetServerSelectionTimeout(timeout).
		SetConnectTimeout(timeout).
		SetMonitor(monitor)
	if maxConns > 0 {
		c.SetMaxPoolSize(uint64(maxConns))
	}
	return c
}

// Close closes the live cursors, writes how far the audit trail's numbers
// went, writes the directory snapshot when the store has one, stops
// following and disconnects from the store. Call it once nothing else
// uses the store.
func (s *Store) Close(ctx context.Context) error {
	s.cursors.closeAll(ctx)
	hctx, cancel := context.WithTimeout(ctx, time.Second)
	s.writeAuditHint(hctx)
	cancel()
	// The snapshot's seal is the last thing written.
	if s.snapshotFile != "" && !s.keepSnapshot {
		if err := s.writeSnapshot(ctx); err != nil {
			s.log.Warn("no directory snapshot; the next start loads the directory from the store", "error", err)
		}
	}
	if !s.exclusive {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		_, _ = s.meta.DeleteOne(dctx, bson.D{{Key: "_id", Value: heartbeatID(s.instance)}})
		cancel()
	}
	return s.disconnect(ctx)
}

func (s *Store) disconnect(ctx context.Context) error {
	err := s.client.Disconnect(ctx)
	if s.dataClient != nil {
		err = errors.Join(err, s.dataClient.Disconnect(ctx))
	}
	return err
}

// Kind reports "embedded" or "mongodb".
func (s *Store) Kind() string { return s.kind }

// Instance is this process's id in intents and heartbeats.
func (s *Store) Instance() string { return s.instance }

// Database returns the database the store works in.
func (s *Store) Database() *mongo.Database { return s.db }

// Ping checks that the store answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, nil); err != nil {
		return storeErr("ping", err)
	}
	return nil
}

// storeErr wraps a driver error with what was being done, marking the ones
// that mean the store cannot be reached with org.ErrUnavailable, and those
// that mean it did not answer in time with org.ErrStoreTimeout.
func storeErr(doing string, err error) error {
	switch {
	case err == nil:
		return nil
	case unreachable(err):
		return fmt.Errorf("%s: %w: %w", doing, org.ErrUnavailable, err)
	case timedOut(err):
		return fmt.Errorf("%s: %w: %w", doing, org.ErrStoreTimeout, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// unreachable reports whether err means that no server could be reached:
// none could be selected, or the connection failed, other than by a
// timeout.
func unreachable(err error) bool {
	var sse topology.ServerSelectionError
	return errors.As(err, &sse) || (mongo.IsNetworkError(err) && !mongo.IsTimeout(err))
}

// timedOut reports whether err means that the store did not answer in
// time (the request's deadline, or a network timeout).
func timedOut(err error) bool {
	return mongo.IsTimeout(err) && !errors.Is(err, context.Canceled)
}

// errFailpoint wraps what the failpoint returns: a change stopped as by a
// crash.
var errFailpoint = errors.New("failpoint")

// step calls the failpoint after a step of a change.
func (s *Store) step(name string) error {
	if s.failpoint == nil {
		return nil
	}
	if err := s.failpoint(name); err != nil {
		return fmt.Errorf("%w %s: %w", errFailpoint, name, err)
	}
	return nil
}

// begin marks a change to id as under way here, so that reconcile leaves
// its intent alone; end undoes it. A change that fails is remembered as a
// suspect: reconcile rereads it from the store.
func (s *Store) begin(id string) {
	s.mu.Lock()
	s.inflight[id]++
	s.mu.Unlock()
}

func (s *Store) end(id string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[id]--; s.inflight[id] <= 0 {
		delete(s.inflight, id)
	}
	if err != nil {
		s.suspects[id] = true
	}
}

// suspect has reconcile reread organization id from the store.
func (s *Store) suspect(id string) {
	s.mu.Lock()
	s.suspects[id] = true
	s.mu.Unlock()
}

// tryBegin is begin, unless a change to id is already under way here.
func (s *Store) tryBegin(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[id] > 0 {
		return false
	}
	s.inflight[id]++
	return true
}

func now() time.Time {
	// BSON dates hold milliseconds: keep no more, so that what a create
	// returns equals what a later read returns.
	return time.Now().UTC().Truncate(time.Millisecond)
}

func isCode(err error, codes ...int) bool {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		for _, c := range codes {
			if int(ce.Code) == c {
				return true
			}
		}
	}
	var we mongo.WriteException
	if errors.As(err, &we) {
		for _, e := range we.WriteErrors {
			for _, c := range codes {
				if e.Code == c {
					return true
				}
			}
		}
	}
	return false
}

// MongoDB error codes this package looks for.
const (
	codeNamespaceNotFound = 26
	codeNamespaceExists   = 48
)
