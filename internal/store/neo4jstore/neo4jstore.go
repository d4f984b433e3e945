// Package neo4jstore owns the Neo4j 5.26 backend of store.Store: the schema (constraints and
// indexes, set up idempotently at Open), the encoding of the graph as labelled nodes and typed
// relationships, and every Cypher statement riskgraph runs. It is the only package that
// imports the Neo4j driver.
//
// Encoding:
//   - An entity is a node with two labels, :Entity and its kind (e.g. :Entity:Vendor), unique
//     on id under both. Aliases are a string list; attributes, obligations and sources are
//     JSON strings. nameKey (name and aliases, lower-cased, joined by U+001F) carries a TEXT
//     index for NameContains; the FULLTEXT index entity_text covers name, aliasesText and
//     description for Search.
//   - A relationship is a Neo4j relationship of its kg type, with its kg id in property id
//     (unique per type under a relationship uniqueness constraint). Properties at their
//     default are not stored: confidence 1, inferred false, open validity bounds, no note, no
//     sources. Reads fill the defaults back in.
//   - A risk signal is a :Signal node (unique on id) hung off its entity by HAS_SIGNAL.
//   - Validity is two integer properties in kg.Date form (YYYYMMDD): validFrom is 0 when the
//     start is open and validTo is openEnd (99999999) when the end is open, so a compact fact
//     (below) is visible at D when validFrom <= D AND validTo > D. On relationships an open
//     bound is absent and reads coalesce it to the same values.
//   - On entity and signal nodes, hash is a digest of the row's content (kg.Content: all but
//     validity and version); Apply compares it with the batch row's to know an unchanged row
//     without reading it. Apply reads relationships whole instead, which saves storing a hash
//     on every relationship; a relationship written before this format may still carry one,
//     which reads ignore and the next rewrite drops.
//
// Versions. Every fact keeps all its rows (kg.Version): nothing is overwritten.
//   - A fact with one row ever, current and not a correction (nearly all facts: everything a
//     bulk import writes), is stored as above (the compact encoding) plus txFrom, the row's
//     recorded time in microseconds, and txBy, its writer; both are left out when zero or
//     empty. The writer is a property rather than a (:Write {at, by}) node per write: a
//     bulk import runs as fast with it as without it (measured), and reads, which return
//     every fact's version, need no join to name the writer.
//   - A fact with any other history (changed, corrected, retracted, or restored so) keeps
//     its whole history beside top-level properties that describe its current row that
//     starts last: history, a JSON list of every row (kg JSON with Validity the row's
//     interval and Version as recorded, ordered by recorded time, then valid time), and per-row
//     lists for the Cypher visibility tests: hFrom and hTo (the row's validity, as above),
//     hRec and hSup (recorded and superseded time, kg.MaxStamp while current). Its top-level
//     validFrom/validTo hold an empty interval (openEnd, 0), so the test that serves compact
//     facts fails for it and its rows decide (see moment). An entity's nameKey and
//     aliasesText cover the names, aliases and descriptions of every row, so the indexes
//     find it by any of them, and hNames and hWords hold each row's own, which reads check
//     on the row of the moment. txFrom and txBy are those of the latest row.
//   - A signal whose rows name several entities hangs off each; reads keep it on the one its
//     row of the moment names.
//   - Facts written before versions were kept have no txFrom and no history: they read as
//     one row each, recorded at time 0 by nobody.
//
// Reads choose the visibility test in Go (see moment) and decode a history through kg.View,
// so every answer carries the content and version of the moment it asks for.
package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

var _ store.Store = (*Store)(nil)

// Config says where the Neo4j server is and how to log in.
type Config struct {
	URI      string // e.g. bolt://localhost:7687 or neo4j://host:7687
	User     string // "" means no authentication
	Password string
	Database string // "" means the server's default database
	// PingTimeout bounds Ping; 0 means 2 s.
	PingTimeout time.Duration
	// MaxRetryTime bounds the driver's retries of a transaction on retryable errors; 0 means 15 s.
	MaxRetryTime time.Duration
	// MaxWrites is how many write transactions this store runs at once; the others wait
	// their turn (until their deadline) in the process rather than in Neo4j's lock manager,
	// where writers that link to the same node queue on its lock and spin; 0 means 4.
	MaxWrites int
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.URI == "" {
		return errors.New("neo4j: URI is empty (e.g. bolt://localhost:7687)")
	}
	if c.User == "" && c.Password != "" {
		return errors.New("neo4j: a password was given without a user")
	}
	return nil
}

// Store is the Neo4j backend. It is safe for concurrent use.
type Store struct {
	driver neo4j.DriverWithContext
	cfg    Config
	// roundTrips counts statements sent to the server (one Run each), for tests.
	roundTrips atomic.Int64
	// trace, when set (by tests, before any use), sees every statement before it is sent.
	trace func(cypher string, params map[string]any)
	// beforeCommit, when set (by tests), runs once a write's statements have all run, just
	// before its commit is sent.
	beforeCommit func()
	// relsStored says, per relationship type, whether the last Apply that wrote the type
	// found some of its rows stored. While it is false Apply creates that type's rows
	// without reading them first and lets the uniqueness constraint catch a row that
	// existed after all (then it starts over, reading); see Apply.
	relsStored map[kg.RelType]*atomic.Bool
	// lastStamp is the latest recorded time this store handed out (see stamp).
	lastStamp atomic.Int64
	// writeSlots holds one token per write transaction running (see Config.MaxWrites).
	writeSlots chan struct{}
	breaker    breaker
	// ftWritten counts committed writes of entities; ftApplied is the count the fulltext
	// indexes are known to hold (see awaitFulltext), ftMu lets one wait run at a time.
	ftWritten, ftApplied atomic.Int64
	ftMu                 sync.Mutex
	// bounds are the signal bounds of exposure walks (see signalBound), made under bg,
	// which Close cancels; bgWork counts the goroutines making them, which Close waits for
	// so that none uses the driver after it is closed.
	bounds bounds
	bg     context.Context
	stopBg context.CancelFunc
	bgWork sync.WaitGroup
}

// Open connects to Neo4j, checks that it answers and sets up the schema.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = 2 * time.Second
	}
	if cfg.MaxRetryTime == 0 {
		cfg.MaxRetryTime = 15 * time.Second
	}
	if cfg.MaxWrites <= 0 {
		cfg.MaxWrites = 4
	}
	auth := neo4j.NoAuth()
	if cfg.User != "" {
		auth = neo4j.BasicAuth(cfg.User, cfg.Password, "")
	}
	drv, err := neo4j.NewDriverWithContext(cfg.URI, auth, func(c *config.Config) {
		c.SocketConnectTimeout = 2 * time.Second
		// A busy pool is waited on for as long as the request may wait (its context), not
		// failed as if the server were unreachable.
		c.ConnectionAcquisitionTimeout = 2 * time.Minute
		// A connection idle for this long is checked (one round trip) before it is used again,
		// so that one left over from a server that went away is replaced; one in steady use is
		// not (at 0, every read paid the check).
		c.ConnectionLivenessCheckTimeout = 5 * time.Second
		c.MaxTransactionRetryTime = cfg.MaxRetryTime
		c.MaxConnectionPoolSize = 50
	})
	if err != nil {
		return nil, fmt.Errorf("neo4j: create driver for %s: %w", cfg.URI, err)
	}
	s := &Store{driver: drv, cfg: cfg, relsStored: make(map[kg.RelType]*atomic.Bool, len(kg.RelTypes)),
		writeSlots: make(chan struct{}, cfg.MaxWrites)}
	for _, t := range kg.RelTypes {
		s.relsStored[t] = new(atomic.Bool)
	}
	if err := s.Ping(ctx); err != nil {
		drv.Close(context.Background())
		return nil, fmt.Errorf("neo4j: open %s: %w", cfg.URI, err)
	}
	if err := s.setupSchema(ctx); err != nil {
		drv.Close(context.Background())
		return nil, fmt.Errorf("neo4j: open %s: %w", cfg.URI, err)
	}
	if err := s.backfill(ctx); err != nil {
		drv.Close(context.Background())
		return nil, fmt.Errorf("neo4j: open %s: %w", cfg.URI, err)
	}
	s.bg, s.stopBg = context.WithCancel(context.Background())
	return s, nil
}

// Close stops the store's background reads, waits for them and releases the driver's
// connections.
func (s *Store) Close() error {
	s.bounds.mu.Lock() // signalBound starts work only under this lock, while bg is live
	s.stopBg()
	s.bounds.mu.Unlock()
	s.bgWork.Wait()
	if err := s.driver.Close(context.Background()); err != nil {
		return fmt.Errorf("neo4j: close: %w", err)
	}
	return nil
}

// Ping reports whether the server answers within the ping timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PingTimeout)
	defer cancel()
	if err := s.driver.VerifyConnectivity(ctx); err != nil {
		return fmt.Errorf("neo4j: ping: %w: %w", store.ErrUnavailable, err)
	}
	s.breaker.up()
	return nil
}

// fulltextIndex is one of the store's Lucene indexes over entities.
type fulltextIndex struct {
	name, fields, analyzer string
}

// fulltextIndexes are eventually consistent: a commit hands their updates to a background
// thread instead of refreshing Lucene's readers itself, which under concurrent writers was
// most of a write's cost and held its locks. Search and MatchTargets wait for the updates of
// this process's own writes first (see awaitFulltext), so a client reads its writes.
var fulltextIndexes = []fulltextIndex{
	{"entity_text", "n.name, n.aliasesText, n.description", "standard-no-stop-words"},
	// Search keys (match.Keys) are whole tokens: split on spaces only.
	{"entity_keys", "n.matchKeys", "whitespace"},
}

func (f fulltextIndex) create() string {
	return fmt.Sprintf("CREATE FULLTEXT INDEX %s IF NOT EXISTS FOR (n:Entity) ON EACH [%s] "+
		"OPTIONS {indexConfig: {`fulltext.analyzer`: '%s', `fulltext.eventually_consistent`: true}}", f.name, f.fields, f.analyzer)
}

// schemaStatements create every constraint and index the store relies on; each is idempotent.
func schemaStatements() []string {
	st := []string{
		"CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
		"CREATE CONSTRAINT signal_id IF NOT EXISTS FOR (n:Signal) REQUIRE n.id IS UNIQUE",
		"CREATE TEXT INDEX entity_name_key IF NOT EXISTS FOR (n:Entity) ON (n.nameKey)",
		"CREATE CONSTRAINT data_version_id IF NOT EXISTS FOR (n:DataVersion) REQUIRE n.id IS UNIQUE",
		"CREATE INDEX entity_renamed IF NOT EXISTS FOR (n:Entity) ON (n.renamed)",
	}
	st = append(st, snapshotSchema...)
	for _, f := range fulltextIndexes {
		st = append(st, f.create())
	}
	for _, k := range kg.Kinds {
		l := label(k)
		// Ids are unique by the entity_id constraint (every entity has the Entity label); a
		// kind's index on id serves seeks and id order within the kind. Stores made before had
		// a uniqueness constraint per kind as well, which checked every new node a second
		// time (a seventh of an entity write's CPU went to the two checks): it goes first.
		st = append(st, fmt.Sprintf("DROP CONSTRAINT %s_id IF EXISTS", strings.ToLower(l)),
			fmt.Sprintf("CREATE INDEX %s_id_key IF NOT EXISTS FOR (n:%s) ON (n.id)", strings.ToLower(l), l),
			// List by name walks this index in order (see List).
			fmt.Sprintf("CREATE INDEX %s_name_order IF NOT EXISTS FOR (n:%s) ON (n.nameOrder)", strings.ToLower(l), l))
	}
	for _, t := range kg.RelTypes {
		rt := relType(t)
		// Stores made before the constraint had a plain index on the same property, which
		// must go first: a constraint brings its own index.
		st = append(st, fmt.Sprintf("DROP INDEX rel_%s_id IF EXISTS", strings.ToLower(rt)),
			fmt.Sprintf("CREATE CONSTRAINT rel_%s_id_unique IF NOT EXISTS FOR ()-[r:%s]-() REQUIRE r.id IS UNIQUE", strings.ToLower(rt), rt))
	}
	return st
}

// setupSchema runs the schema statements, each in its own transaction (Neo4j does not mix
// schema and data changes), then waits for the indexes to come online.
func (s *Store) setupSchema(ctx context.Context) error {
	if err := s.dropStaleFulltext(ctx); err != nil {
		return err
	}
	for _, q := range schemaStatements() {
		err := s.write(ctx, func(tx *txn) error {
			_, err := tx.run(ctx, q, nil)
			return err
		})
		if err != nil && !equivalentSchema(err) {
			return fmt.Errorf("schema %q: %w", q, err)
		}
	}
	err := s.write(ctx, func(tx *txn) error {
		_, err := tx.run(ctx, "CALL db.awaitIndexes(300)", nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("wait for indexes: %w", err)
	}
	return nil
}

// dropStaleFulltext drops a fulltext index made by an earlier version with other options
// (before they were eventually consistent), so that setupSchema makes it again as it is now;
// Neo4j fills the new index from the stored nodes and setupSchema waits for that.
func (s *Store) dropStaleFulltext(ctx context.Context) error {
	names := make([]string, len(fulltextIndexes))
	for i, f := range fulltextIndexes {
		names[i] = f.name
	}
	stale := map[string]bool{}
	err := s.read(ctx, func(tx *txn) error {
		recs, err := tx.run(ctx, `SHOW FULLTEXT INDEXES YIELD name, options WHERE name IN $names
RETURN name, coalesce(options.indexConfig.`+"`fulltext.eventually_consistent`"+`, false) AS ec`, map[string]any{"names": names})
		if err != nil {
			return err
		}
		clear(stale)
		for _, r := range recs {
			if ec, _ := (rec{r}).get("ec").(bool); !ec {
				stale[str(rec{r}.get("name"))] = true
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read fulltext index options: %w", err)
	}
	for _, f := range fulltextIndexes {
		if !stale[f.name] {
			continue
		}
		stmt := "DROP INDEX " + f.name + " IF EXISTS" // a name from the closed list above
		if err := s.write(ctx, func(tx *txn) error { _, err := tx.run(ctx, stmt, nil); return err }); err != nil {
			return fmt.Errorf("drop fulltext index %s to make it again: %w", f.name, err)
		}
	}
	return nil
}

// noteFulltextWrite records that a committed write changed entities, whose fulltext updates
// may still be on their way into the indexes.
func (s *Store) noteFulltextWrite() { s.ftWritten.Add(1) }

// awaitFulltext waits, before a fulltext read, until the indexes hold every entity write
// this store committed before the read began. One wait at a time; a read that finds its
// writes covered by a wait that ended after it began does not wait again.
func (s *Store) awaitFulltext(ctx context.Context) error {
	want := s.ftWritten.Load()
	if s.ftApplied.Load() >= want {
		return nil
	}
	s.ftMu.Lock()
	defer s.ftMu.Unlock()
	if s.ftApplied.Load() >= want {
		return nil
	}
	upto := s.ftWritten.Load()
	err := s.read(ctx, func(tx *txn) error {
		_, err := tx.run(ctx, "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()", nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("wait for the fulltext indexes: %w", err)
	}
	s.ftApplied.Store(upto)
	return nil
}

// equivalentSchema reports the error a concurrent Open gets when another made the same rule first.
func equivalentSchema(err error) bool {
	var ne *neo4j.Neo4jError
	return errors.As(err, &ne) && (strings.Contains(ne.Code, "EquivalentSchemaRuleAlreadyExists") ||
		strings.Contains(ne.Code, "AlreadyExists"))
}

// label is the node label of a kind. Kinds come from the closed set in kg, never from input
// that was not validated; an unknown kind panics because it would be a programming error.
func label(k kg.Kind) string {
	if !k.Valid() {
		panic(fmt.Sprintf("neo4jstore: label for unknown kind %q", k))
	}
	return string(k)
}

// relType is the Neo4j relationship type of a kg type, from the closed set only.
func relType(t kg.RelType) string {
	if !t.Valid() {
		panic(fmt.Sprintf("neo4jstore: unknown relationship type %q", t))
	}
	return string(t)
}

// runner is what a statement needs of a transaction, managed (reads) or explicit (writes).
type runner interface {
	Run(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error)
}

// txn wraps a transaction so every statement is counted.
type txn struct {
	tx runner
	s  *Store
}

// run sends one statement and consumes all of its records inside the transaction.
func (t *txn) run(ctx context.Context, cypher string, params map[string]any) ([]*neo4j.Record, error) {
	t.s.roundTrips.Add(1)
	if t.s.trace != nil {
		t.s.trace(cypher, params)
	}
	res, err := t.tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	return res.Collect(ctx)
}

func (s *Store) session(ctx context.Context, mode neo4j.AccessMode) neo4j.SessionWithContext {
	return s.driver.NewSession(ctx, neo4j.SessionConfig{AccessMode: mode, DatabaseName: s.cfg.Database})
}

// read runs work in a managed read transaction; the driver retries it on retryable errors.
func (s *Store) read(ctx context.Context, work func(tx *txn) error) error {
	return s.guarded(ctx, func() error {
		sess := s.session(ctx, neo4j.AccessModeRead)
		defer sess.Close(context.Background())
		_, err := sess.ExecuteRead(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			return nil, work(&txn{tx: tx, s: s})
		})
		return mapErr(ctx, err)
	})
}

// readOne runs work, which sends one statement, as an auto-commit read: one round trip, where
// a managed transaction takes two (BEGIN and the statement, then COMMIT) and costs Neo4j a
// third more CPU (a point read by id, 3,000 in a row on the 100k graph: 647 against 957 µs of
// server CPU, 0.9 against 1.3 ms). One statement sees one snapshot either way; a second one
// is refused, since it would not see the first one's. Retryable failures (a dropped
// connection, a leader switch) are tried again, as the driver does for managed transactions.
func (s *Store) readOne(ctx context.Context, work func(tx *txn) error) error {
	return s.guarded(ctx, func() error {
		sess := s.session(ctx, neo4j.AccessModeRead)
		defer sess.Close(context.Background())
		return retried(ctx, readAttempts, func() error { return work(&txn{tx: &autoCommit{sess: sess}, s: s}) })
	})
}

// retried runs try until it succeeds, fails in a way that is not retryable, or has been
// tried attempts times, waiting a little longer before each new try, and maps its error.
func retried(ctx context.Context, attempts int, try func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = try(); err == nil || !neo4j.IsRetryable(err) || attempt == attempts {
			break
		}
		wait := time.NewTimer(time.Duration(attempt*attempt) * 20 * time.Millisecond)
		select {
		case <-ctx.Done():
			wait.Stop()
			return mapErr(ctx, err)
		case <-wait.C:
		}
	}
	return mapErr(ctx, err)
}

// readAttempts is how many times readOne tries a read that fails in a retryable way.
const readAttempts = 4

// autoCommit runs one statement as a transaction of its own.
type autoCommit struct {
	sess neo4j.SessionWithContext
	used bool
}

func (a *autoCommit) Run(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error) {
	if a.used {
		return nil, errors.New("neo4jstore: a second statement in a one-statement read")
	}
	a.used = true
	return a.sess.Run(ctx, cypher, params)
}

// write runs work in a write transaction, retrying transient failures: all of it commits, or
// none.
func (s *Store) write(ctx context.Context, work func(tx *txn) error) error {
	select {
	case s.writeSlots <- struct{}{}:
		defer func() { <-s.writeSlots }()
	case <-ctx.Done():
		return fmt.Errorf("wait for a write slot (%d in use): %w", cap(s.writeSlots), ctx.Err())
	}
	return s.guarded(ctx, func() error { return s.writeGuarded(ctx, work) })
}

func (s *Store) writeGuarded(ctx context.Context, work func(tx *txn) error) error {
	sess := s.session(ctx, neo4j.AccessModeWrite)
	defer sess.Close(context.Background())
	// A transient failure (a deadlock, a leader switch, a dropped connection): the
	// transaction did not commit, or committed a plan that finds nothing left to do.
	return retried(ctx, writeAttempts, func() error { return s.writeOnce(ctx, sess, work) })
}

// Bounds of a write transaction: how many times a transient failure is retried, and how long
// the commit of a transaction whose statements all ran may take past the request's deadline,
// or in all when the request has none.
const (
	writeAttempts = 5
	commitGrace   = 10 * time.Second
	commitBound   = 2 * time.Minute
)

// commitContext is the context a commit runs under: ctx's values without its cancellation,
// and a deadline commitGrace after ctx's (or after now, when that has passed), or
// commitBound when ctx has none.
func commitContext(ctx context.Context) (context.Context, context.CancelFunc) {
	end, ok := ctx.Deadline()
	if !ok {
		return context.WithTimeout(context.WithoutCancel(ctx), commitBound)
	}
	return context.WithDeadline(context.WithoutCancel(ctx), later(end, time.Now()).Add(commitGrace))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// writeOnce runs work in one explicit transaction. The statements run under ctx, so a request
// that ends stops them and nothing commits; once they have all run, the commit is no longer
// tied to ctx (only to commitGrace), so a write either does not commit or commits and its
// caller hears so, never "deadline exceeded" for a transaction that committed.
func (s *Store) writeOnce(ctx context.Context, sess neo4j.SessionWithContext, work func(tx *txn) error) error {
	tx, err := sess.BeginTransaction(ctx)
	if err != nil {
		return err
	}
	detached, cancel := commitContext(ctx)
	defer cancel()
	if err := work(&txn{tx: tx, s: s}); err != nil {
		_ = tx.Close(detached) // rolls back; a failure here leaves nothing committed either
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = tx.Close(detached)
		return err
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if err := tx.Commit(detached); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// mapErr turns driver failures that mean "the server cannot be reached" into
// store.ErrUnavailable; our own errors (validation, not found) pass through.
func mapErr(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrConflict) {
		return err
	}
	if unavailable(ctx, err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func unavailable(ctx context.Context, err error) bool {
	var lim *neo4j.TransactionExecutionLimit
	if errors.As(err, &lim) {
		for _, e := range lim.Errors {
			if unavailable(ctx, e) {
				return true
			}
		}
		return false
	}
	var ce *neo4j.ConnectivityError
	if errors.As(err, &ce) {
		return true
	}
	var ne *neo4j.Neo4jError
	if errors.As(err, &ne) {
		return ne.Code == "Neo.TransientError.General.DatabaseUnavailable" ||
			strings.HasPrefix(ne.Code, "Neo.ClientError.Cluster.")
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	// A deadline of the driver's own (acquisition, connect) rather than the caller's.
	return errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
}

// rec adapts a driver record to recordGetter.
type rec struct{ *neo4j.Record }

func (r rec) get(k string) any {
	v, _ := r.Get(k)
	return v
}

// row adapts one map of a collected list to recordGetter.
type row map[string]any

func (r row) get(k string) any { return r[k] }

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// DeleteAll removes every node and relationship of the database, in batches so a large graph
// does not need one huge transaction: relationships first (so deleting a hub node does not
// drag all its relationships into one batch), then nodes. It is for tests and deliberate
// resets: nothing in the service calls it.
func (s *Store) DeleteAll(ctx context.Context) error {
	defer s.noteFulltextWrite()
	for _, q := range []string{
		"MATCH ()-[r]->() WITH r LIMIT 20000 DELETE r RETURN count(*) AS n",
		"MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n",
	} {
		for {
			var n int64
			err := s.write(ctx, func(tx *txn) error {
				recs, err := tx.run(ctx, q, nil)
				if err != nil {
					return err
				}
				n, _ = rec{recs[0]}.get("n").(int64)
				return nil
			})
			if err != nil {
				return fmt.Errorf("delete all: %w", err)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}
