// Package embedded is riskgraph's default store: the whole graph in memory, indexed for every
// read the Store interface offers, and made durable in one bbolt file. Every fact keeps all
// its recorded rows (kg.Version), so it can answer for any date as known at any time. An
// acknowledged write has been committed (and fsynced) to the file before Apply returns;
// opening the file rebuilds the indexes.
//
// File format: one bucket per kind of fact, keyed by id, and one of writer names. A value
// holds every row of the fact (see markRows in codec.go). A value that is a JSON object is a
// fact written before versions were kept: it reads as one row, recorded at time 0, and is
// rewritten in the new form the first time the fact changes.
package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

var (
	bucketEntities = []byte("entities")
	bucketRels     = []byte("relationships")
	bucketSignals  = []byte("signals")
	bucketWriters  = []byte("writers") // writer index (uvarint) → name
	// bucketSnapshots holds a bucket per risk snapshot: "meta" → JSON description, and
	// chunk number (4 bytes, big-endian) → chunk.
	bucketSnapshots = []byte("snapshots")
)

// Store is the embedded backend. Safe for concurrent use: reads share a lock, writes are
// serialised.
type Store struct {
	db *bolt.DB

	mu     sync.RWMutex
	closed bool
	lastAt kg.Stamp // the latest recorded time of any write: the next one comes after it
	ents   map[string]*entityRec
	ids    []string             // every entity id, sorted
	byKind map[kg.Kind][]string // entity ids per kind, sorted
	names  *nameIndex           // entities by name, for List by name
	nrels  int                  // relationships stored, each found through its From entity (see rel)
	tab    tables               // records and what relationship records refer to, by number
	sigs   map[string]*signalRec
	sigsOf map[string][]string // entity id → ids of signals any row of which is on it, sorted
	// The text search and match key indexes are built by the first read that needs them
	// (see textIndex and keyIndex), then kept current by writes: a job that never searches,
	// as the nightly report, does not hold them (at 1M entities, about 450 MB).
	search   atomic.Pointer[textIndex]
	keys     atomic.Pointer[keyIndex]
	lazyMu   sync.Mutex                 // serialises building them
	versions map[kg.Version]*kg.Version // one shared value per distinct version, to save memory
	writers  writers
	facts    uint64 // counts the writes that changed facts (index calls): what a signal bound was made at
	bounds   bounds
}

// rows is the recorded history of one fact, with a fast path for the common fact that has
// exactly one row (never changed).
type rows[T kg.Fact] []T

// at is the fact as known at k on day d.
func (r rows[T]) at(d kg.Date, k kg.Stamp) (T, bool) {
	if len(r) == 1 {
		v := kg.VersionOf(r[0])
		if v.KnownAt(k) && kg.ValidityOf(r[0]).ValidAt(d) {
			return r[0], true
		}
		var zero T
		return zero, false
	}
	return kg.View(r, d, k)
}

// visible reports whether the fact holds on day d as known at k.
func (r rows[T]) visible(d kg.Date, k kg.Stamp) bool {
	if len(r) == 1 {
		return kg.VersionOf(r[0]).KnownAt(k) && kg.ValidityOf(r[0]).ValidAt(d)
	}
	_, ok := kg.View(r, d, k)
	return ok
}

// fast caches what visibility needs of a fact with one row, so walks over many records
// read two plain fields instead of the history.
type fast struct {
	multi bool        // more than one row: ask the history
	valid kg.Validity // the one row's validity
	recAt kg.Stamp    // and its recorded time
}

func fastOf[T kg.Fact](rs []T) fast {
	if len(rs) != 1 {
		return fast{multi: true}
	}
	return fast{valid: kg.ValidityOf(rs[0]), recAt: kg.VersionOf(rs[0]).RecordedAt}
}

// An entityRec is a stored entity. Most entities have one row, which the record holds in
// parts rather than as a kg.Entity, as relRec does: its id is ident, its kind follows from
// the id, its validity is in fast, and the fields few rows set (aliases, a description,
// attributes, obligations, reach, sources) wait in rare. A kg.Entity is 184 bytes and its
// own object: at a million entities the parts are 180 MB smaller.
type entityRec struct {
	fast
	// seq numbers the record in creation order: dense and never reused, as no entity is ever
	// deleted, so a walk can keep a table by it instead of a map.
	seq   int32
	ident string // the id, which every row has: kept here, as walks read it for each relationship's far end
	// The one row's parts, when not multi.
	name string
	ver  *kg.Version
	rare *entityRare // nil when the one row sets none of its rare fields and there is one row
	// The relationships starting (out) and ending (in) here, by type and id: kept on the
	// record rather than in maps by id, which saves a lookup per step of a walk and, at a
	// million entities, two maps of a million keys.
	out, in []adj
}

// entityRare holds what few entities have.
type entityRare struct {
	kind        kg.Kind // the row's kind, when ownKind: one its id does not name
	ownKind     bool
	aliases     []string
	description string
	attributes  []kg.Attribute
	obligations []kg.Obligation
	reach       *kg.Reach
	sources     []kg.Citation
	rows        []kg.Entity // every row, when there are several
}

// set makes rs, the rows of the entity checked and shared by sharer.entity, the record's rows.
func (e *entityRec) set(rs []kg.Entity) {
	e.fast = fastOf(rs)
	if len(rs) != 1 {
		e.name, e.ver, e.rare = "", nil, &entityRare{rows: rs}
		return
	}
	x := &rs[0]
	e.name, e.ver, e.rare = x.Name, x.Version, nil
	k, _ := kg.KindOfID(e.ident)
	if x.Kind != k || len(x.Aliases) > 0 || x.Description != "" || len(x.Attributes) > 0 || len(x.Obligations) > 0 ||
		x.Reach != nil || len(x.Sources) > 0 {
		e.rare = &entityRare{kind: x.Kind, ownKind: x.Kind != k, aliases: x.Aliases, description: x.Description,
			attributes: x.Attributes, obligations: x.Obligations, reach: x.Reach, sources: x.Sources}
	}
}

// row is the one row of a record that has one.
func (e *entityRec) row() kg.Entity {
	k, _ := kg.KindOfID(e.ident)
	x := kg.Entity{ID: e.ident, Kind: k, Name: e.name, Validity: e.valid, Version: e.ver}
	if r := e.rare; r != nil {
		if r.ownKind {
			x.Kind = r.kind
		}
		x.Aliases, x.Description, x.Attributes, x.Obligations, x.Reach, x.Sources = r.aliases, r.description,
			r.attributes, r.obligations, r.reach, r.sources
	}
	return x
}

// history is every row of the entity, in a slice of the caller's.
func (e *entityRec) history() []kg.Entity {
	if e.multi {
		return slices.Clone(e.rare.rows)
	}
	return []kg.Entity{e.row()}
}

// at is the entity as known at k on day d.
func (e *entityRec) at(d kg.Date, k kg.Stamp) (kg.Entity, bool) {
	if e.multi {
		return kg.View(e.rare.rows, d, k)
	}
	if e.visible(d, k) {
		return e.row(), true
	}
	return kg.Entity{}, false
}

// adjacent is the entity's adjacency list in direction dir (Out or In).
func (e *entityRec) adjacent(dir kg.Direction) []adj {
	if dir == kg.In {
		return e.in
	}
	return e.out
}

// id is the entity's id.
func (e *entityRec) id() string { return e.ident }

// visible reports whether the entity holds on day d as known at k.
func (e *entityRec) visible(d kg.Date, k kg.Stamp) bool {
	if !e.multi {
		return (k == 0 || e.recAt <= k) && e.valid.ValidAt(d)
	}
	_, ok := kg.View(e.rare.rows, d, k)
	return ok
}

// A relRec is a stored relationship. Most relationships have one row, which the record
// holds in parts rather than as a kg.Relationship: its type and ends follow from rank, from
// and to, its id from those (see relid.go), its version, citations and confidence are
// numbers in the store's tables, and the fields few rows set (an obligation, a note, a
// share) wait in rare. A record is 40 bytes instead of 224, with one pointer, nil in most:
// at 5M relationships the store is 920 MB smaller than with rows.
// A relationship with several rows keeps them all in rare. Records live in the tables'
// slabs (see tables.newRel), as relationships are never deleted.
type relRec struct {
	rare     *relRare // nil when the one row has none of its fields and there is one row
	from, to int32    // the endpoints' entityRec.seq; records are updated in place, so these stay current
	// The one row's parts, when not multi, as numbers in the tables.
	ver, src, conf uint32
	valid          kg.Validity // the one row's validity
	rank           uint8       // of the type, in typeOrder
	inferred       bool
	multi          bool // more than one row: they are in rare.rows
}

// relRare holds what few relationships have.
type relRare struct {
	obligation, note string
	share            float64
	rows             []kg.Relationship // every row, when there are several
}

// set makes rs, rows of one relationship checked by sharer.rels, the record's rows.
func (r *relRec) set(sh *sharer, rs []kg.Relationship, rank uint8) {
	if len(rs) != 1 {
		*r = relRec{from: r.from, to: r.to, rank: rank, multi: true, rare: &relRare{rows: rs}}
		return
	}
	x, t := rs[0], &sh.s.tab
	*r = relRec{from: r.from, to: r.to, rank: rank, ver: t.verNum(x.Version), src: sh.citeNum(x.Sources),
		conf: t.confNum(x.Confidence), valid: x.Validity, inferred: x.Inferred}
	if x.Obligation != "" || x.Note != "" || x.Share != 0 {
		r.rare = &relRare{obligation: x.Obligation, note: x.Note, share: x.Share}
	}
}

// row is the one row of a record that has one.
func (r *relRec) row(t *tables) kg.Relationship {
	x := kg.Relationship{Type: typeOrder[r.rank], From: t.ent(r.from).ident, To: t.ent(r.to).ident,
		Confidence: t.confs[r.conf], Inferred: r.inferred, Sources: t.cites[r.src], Validity: r.valid,
		Version: t.vers[r.ver]}
	if r.rare != nil {
		x.Obligation, x.Note, x.Share = r.rare.obligation, r.rare.note, r.rare.share
	}
	return x
}

// history is every row of the relationship, in a slice of the caller's.
func (r *relRec) history(t *tables) []kg.Relationship {
	if r.multi {
		return slices.Clone(r.rare.rows)
	}
	return []kg.Relationship{r.row(t)}
}

// at is the relationship as known at k on day d.
func (r *relRec) at(t *tables, d kg.Date, k kg.Stamp) (kg.Relationship, bool) {
	if r.multi {
		return kg.View(r.rare.rows, d, k)
	}
	if r.oneAt(t, d, k) {
		return r.row(t), true
	}
	return kg.Relationship{}, false
}

// oneAt reports whether the one row of a record that has one holds on day d as known at k.
func (r *relRec) oneAt(t *tables, d kg.Date, k kg.Stamp) bool {
	// The version is read through the table: versions are shared by the rows of a write, so
	// few are read however many records are walked, and a copy of its time in each record
	// was 40 MB at 5M relationships.
	if r.ver != 0 && !t.vers[r.ver].KnownAt(k) {
		return false
	}
	return r.valid.ValidAt(d)
}

// visibleAt reports whether the relationship and both its entities hold on day d as known at k.
func (r *relRec) visibleAt(t *tables, d kg.Date, k kg.Stamp) bool {
	return t.ent(r.from).visible(d, k) && r.reaches(t, t.ent(r.to), d, k)
}

// reaches reports whether a walk standing at one end of the relationship, an entity visible
// on day d as known at k, may take it to far, the other end.
func (r *relRec) reaches(t *tables, far *entityRec, d kg.Date, k kg.Stamp) bool {
	if !r.multi {
		if !r.oneAt(t, d, k) {
			return false
		}
	} else if _, ok := kg.View(r.rare.rows, d, k); !ok {
		return false
	}
	return far.visible(d, k)
}

type signalRec struct {
	rows rows[kg.RiskSignal]
}

var _ store.Store = (*Store)(nil)

// ErrLocked means another process has the store's file open: an embedded store serves one
// process at a time.
var ErrLocked = errors.New("the file is open in another process (a running riskgraph serve?); " +
	"an embedded store admits one process at a time")

// Open opens (creating if needed) the store file at path and loads it into memory.
func Open(path string) (*Store, error) {
	// A second process opening the same file waits for its lock this long, then fails (the
	// lock goes with the process that held it, so a crashed server leaves none behind).
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 500 * time.Millisecond})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, ents: map[string]*entityRec{}, byKind: map[kg.Kind][]string{}, names: newNameIndex(),
		sigs: map[string]*signalRec{}, sigsOf: map[string][]string{},
		versions: map[kg.Version]*kg.Version{}, writers: writers{index: map[string]uint64{}}, tab: newTables()}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntities, bucketRels, bucketSignals, bucketWriters, bucketSnapshots} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = s.load()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return s, nil
}

// withVersion returns f with version v (a fact of the old format has none).
func withVersion[T kg.Fact](f T, v *kg.Version) T {
	switch x := any(&f).(type) {
	case *kg.Entity:
		x.Version = v
	case *kg.Relationship:
		x.Version = v
	case *kg.RiskSignal:
		x.Version = v
	}
	return f
}

// load reads every record from the file into the indexes.
func (s *Store) load() error {
	return s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketWriters).ForEach(func(k, v []byte) error {
			i, n := binary.Uvarint(k)
			if n <= 0 || i != uint64(len(s.writers.names)) {
				return fmt.Errorf("writer %x: %w", k, errBadValue)
			}
			s.writers.index[string(v)] = i
			s.writers.names = append(s.writers.names, string(v))
			return nil
		})
		if err != nil {
			return fmt.Errorf("decode writers: %w", err)
		}
		// Maps sized for what the file holds: growing maps of millions of keys rehashed them
		// over and over, a tenth of opening a store of 1M entities and 5M relationships.
		// Counting reads every page of a bucket, so the relationships (most of the file,
		// 2.4 GB at 5M) are only counted as far as the choice of indexing needs: counted
		// whole, their pages were resident at once, 2 GB of the peak of opening.
		nEnt, nSig := tx.Bucket(bucketEntities).Stats().KeyN, tx.Bucket(bucketSignals).Stats().KeyN
		nRel := countUpTo(tx.Bucket(bucketRels), bulkIndex+1)
		s.ents, s.sigs = make(map[string]*entityRec, nEnt), make(map[string]*signalRec, nSig)
		s.facts++
		sh := newSharer(s, true)
		ents := make(map[string][]kg.Entity, nEnt)
		var ids idArena
		if err := loadBucket(tx.Bucket(bucketEntities), ents, &s.writers, &ids); err != nil {
			return fmt.Errorf("decode entity: %w", err)
		}
		s.indexEntities(sh, ents)
		clear(ents)
		releaseRead(s.db, tx.Size())
		// Relationships, most of a large store, go into the indexes as they are decoded:
		// held in a map until all were read, they and the map were gigabytes more at the
		// peak of opening 5M.
		ri := s.relIndexer(sh, nRel > bulkIndex)
		n := 0
		var indexErr error
		err = tx.Bucket(bucketRels).ForEach(func(k, v []byte) error {
			rs, err := decodeRows[kg.Relationship](v, &s.writers)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			// The key is read in place: add keeps no id (records make theirs), and an error
			// that names it copies it.
			if indexErr = ri.add(unsafe.String(unsafe.SliceData(k), len(k)), rs); indexErr != nil {
				return indexErr
			}
			if n++; n%releaseEvery == 0 {
				releaseRead(s.db, tx.Size())
			}
			return nil
		})
		if indexErr != nil {
			return indexErr
		}
		if err != nil {
			return fmt.Errorf("decode relationship: %w", err)
		}
		ri.done()
		sigs := make(map[string][]kg.RiskSignal, nSig)
		if err := loadBucket(tx.Bucket(bucketSignals), sigs, &s.writers, &ids); err != nil {
			return fmt.Errorf("decode signal: %w", err)
		}
		s.indexSignals(sh, sigs)
		releaseRead(s.db, tx.Size())
		return nil
	})
}

// countUpTo counts b's keys, stopping at n.
func countUpTo(b *bolt.Bucket, n int) int {
	i := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil && i < n; k, _ = c.Next() {
		i++
	}
	return i
}

// releaseEvery is how many relationships load decodes between releasing the file's pages.
const releaseEvery = 1 << 18

func loadBucket[T kg.Fact](b *bolt.Bucket, into map[string][]T, w *writers, ids *idArena) error {
	return b.ForEach(func(k, v []byte) error {
		rs, err := decodeRows[T](v, w)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		into[ids.string(k)] = rs
		return nil
	})
}

// Close releases the file. Later calls fail with ErrUnavailable.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	// Every read checks closed under s.mu first, so the indexes can go now: a process that
	// closes a large store and carries on (a job opening it again, a test) does not keep
	// gigabytes of them live for the collector to mark on every cycle.
	s.ents, s.ids, s.byKind, s.tab, s.sigs, s.sigsOf = nil, nil, nil, tables{}, nil, nil
	s.versions, s.names = nil, nil
	s.search.Store(nil)
	s.keys.Store(nil)
	s.bounds.mu.Lock()
	s.bounds.made, s.bounds.order = nil, nil
	s.bounds.mu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store file: %w", err)
	}
	return nil
}

// SoleWriter is true: the store's file is locked to this process, which makes every write.
func (s *Store) SoleWriter() bool { return true }

var _ store.SoleWriter = (*Store)(nil)

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usable(ctx)
}

// stopped reports ctx's error every 4096th step of a long read, so that the read ends soon
// after its request does.
func stopped(ctx context.Context, step int) error {
	if step&4095 == 0 {
		return ctx.Err()
	}
	return nil
}

func (s *Store) usable(ctx context.Context) error {
	if s.closed {
		return fmt.Errorf("embedded store is closed: %w", store.ErrUnavailable)
	}
	return ctx.Err()
}

// errNoEndpoint reports a relationship or signal whose entity is missing, which
// store.Checked rules out: it means the store was written around the check.
var errNoEndpoint = errors.New("a relationship or signal names an entity the store does not hold")

// Apply plans the batch against the stored histories (store.Plan), commits the changed
// histories to the file in one transaction, then updates the indexes. On any error nothing
// has changed.
func (s *Store) Apply(ctx context.Context, b kg.Batch, by string) (store.WriteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return store.WriteResult{}, err
	}
	stored := store.NewHistories(len(b.Entities) + len(b.Relationships) + len(b.Signals))
	for _, e := range b.Entities {
		if r := s.ents[e.ID]; r != nil {
			stored.Entities[e.ID] = r.history()
		}
	}
	for _, r := range b.Relationships {
		if rec := s.rel(r.ID()); rec != nil {
			stored.Relationships[r.ID()] = rec.history(&s.tab)
		}
	}
	for _, g := range b.Signals {
		if r := s.sigs[g.ID]; r != nil {
			stored.Signals[g.ID] = r.rows
		}
	}
	for _, r := range b.Retractions {
		switch {
		case s.ents[r.ID] != nil:
			stored.Entities[r.ID] = s.ents[r.ID].history()
		case s.rel(r.ID) != nil:
			stored.Relationships[r.ID] = s.rel(r.ID).history(&s.tab)
		case s.sigs[r.ID] != nil:
			stored.Signals[r.ID] = s.sigs[r.ID].rows
		}
	}
	at := max(kg.StampOf(time.Now()), s.lastAt+1)
	changed, res, err := store.Plan(b, stored, kg.Stamped{At: at, By: by, Today: kg.DateOf(at.Time())})
	if err != nil {
		return store.WriteResult{}, err
	}
	for _, r := range changed.Relationships {
		from, to := r[0].From, r[0].To
		if s.ents[from] == nil && changed.Entities[from] == nil || s.ents[to] == nil && changed.Entities[to] == nil {
			return store.WriteResult{}, fmt.Errorf("relationship %s: %w", r[0].ID(), errNoEndpoint)
		}
	}
	if changed.Len() == 0 {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return store.WriteResult{}, err // past the deadline before anything was written
	}
	if err := s.persist(changed); err != nil {
		return store.WriteResult{}, err
	}
	s.lastAt = at
	if err := s.index(changed, false); err != nil {
		return store.WriteResult{}, err // cannot happen: the endpoints were checked above
	}
	return res, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("embedded: encode %T: %v", v, err)) // kg types always encode
	}
	return b
}

// persist commits histories, and any writer name they are the first rows of, to the file
// in one fsynced transaction.
func (s *Store) persist(h store.Histories) error {
	known := len(s.writers.names)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := putAll(tx.Bucket(bucketEntities), h.Entities, &s.writers); err != nil {
			return err
		}
		if err := putAll(tx.Bucket(bucketRels), h.Relationships, &s.writers); err != nil {
			return err
		}
		if err := putAll(tx.Bucket(bucketSignals), h.Signals, &s.writers); err != nil {
			return err
		}
		wb := tx.Bucket(bucketWriters)
		for i, name := range s.writers.added {
			if err := wb.Put(binary.AppendUvarint(nil, uint64(known+i)), []byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, name := range s.writers.added { // not stored: forget them
			delete(s.writers.index, name)
		}
		s.writers.names = s.writers.names[:known]
		s.writers.added = nil
		return fmt.Errorf("commit to store file: %w", err)
	}
	s.writers.added = nil
	return nil
}

// putAll stores the histories in key order: bbolt inserts sorted keys without shifting its
// nodes, and random order costs a shift per key.
func putAll[T kg.Fact](b *bolt.Bucket, h map[string][]T, w *writers) error {
	for _, id := range slices.Sorted(maps.Keys(h)) {
		if err := b.Put([]byte(id), encodeRows(h[id], w)); err != nil {
			return err
		}
	}
	return nil
}

// intern replaces each row's Version by the one shared value equal to it, so that the many
// rows one write makes cost one Version between them.
func intern[T kg.Fact](s *Store, rs []T) []T {
	for i, r := range rs {
		v := kg.VersionOf(r)
		p := s.versions[v]
		if p == nil {
			p = &v
			s.versions[v] = p
		}
		rs[i] = withVersion(r, p)
	}
	return rs
}

// bulkIndex is the number of relationships (or entities) above which index sorts adjacency
// lists (or the search index's words) once instead of inserting into them.
const bulkIndex = 256

// index puts histories into the in-memory indexes (callers hold the write lock or own s),
// entities first so that relationships find their endpoints. Existing records are updated in
// place, so pointers held by the adjacency stay valid. decoded says the rows were just read
// from the file and are the store's alone (see sharer).
func (s *Store) index(h store.Histories, decoded bool) error {
	s.facts++
	sh := newSharer(s, decoded)
	s.indexEntities(sh, h.Entities)
	// Relationships stored before are updated first: they are found by binary search in
	// adjacency lists that a bulk add leaves out of order until done.
	ri := s.relIndexer(sh, len(h.Relationships) > bulkIndex)
	var fresh []string
	for id, rs := range h.Relationships {
		old := s.rel(id)
		if old == nil {
			fresh = append(fresh, id)
			continue
		}
		if err := ri.update(old, id, rs); err != nil {
			return err
		}
	}
	for _, id := range fresh {
		if err := ri.add(id, h.Relationships[id]); err != nil {
			return err
		}
	}
	ri.done()
	s.indexSignals(sh, h.Signals)
	return nil
}

// indexEntities puts entities' histories into the indexes.
func (s *Store) indexEntities(sh *sharer, ents map[string][]kg.Entity) {
	// Under the write lock no read is building the lazy indexes: the ones built are current.
	search, keys := s.search.Load(), s.keys.Load()
	if search != nil && len(ents) > bulkIndex {
		search.beginBulk()
		defer search.endBulk()
	}
	order := slices.Sorted(maps.Keys(ents))
	// New records first, with their ids, so that citations find their sources' ids
	// (sharer.cites) before the records take their rows' parts.
	fresh := make([]bool, len(order))
	for i, id := range order {
		if s.ents[id] == nil {
			fresh[i] = true
			s.ids = insertSorted(s.ids, id)
			k, _ := kg.KindOfID(id)
			s.byKind[k] = insertSorted(s.byKind[k], id)
			rec := &entityRec{ident: id, seq: int32(len(s.tab.ents))}
			s.ents[id] = rec
			s.tab.ents = append(s.tab.ents, rec)
		}
	}
	for _, id := range order {
		rs := intern(s, ents[id])
		ents[id] = rs
		noteStamps(s, rs)
		sh.entity(id, rs)
	}
	sh.entityCites(ents)
	for i, id := range order {
		rs, rec := ents[id], s.ents[id]
		var old []kg.Entity
		if !fresh[i] {
			old = rec.history()
			search.remove(id, old)
			keys.remove(id, old)
		}
		s.names.change(id, old, rs)
		rec.set(rs)
		search.add(id, rs)
		keys.add(id, rs)
	}
	s.names.flush()
}

// A relIndexer puts relationships' histories into the indexes, their endpoints indexed
// before. A few relationships go into their adjacency lists one by one. Many (a load, a bulk
// write) are appended, and done sorts each list they touched once: inserting one at a time
// costs a hub's whole list per insert, which made opening a store of 5M relationships take
// minutes.
type relIndexer struct {
	s       *Store
	sh      *sharer
	bulk    bool
	touched map[*entityRec]bool
}

func (s *Store) relIndexer(sh *sharer, bulk bool) *relIndexer {
	return &relIndexer{s: s, sh: sh, bulk: bulk, touched: map[*entityRec]bool{}}
}

// update makes rs the rows of old, the record of relationship id.
func (x *relIndexer) update(old *relRec, id string, rs []kg.Relationship) error {
	rs = intern(x.s, rs)
	noteStamps(x.s, rs)
	_, _, rank, err := x.sh.rels(id, rs)
	if err != nil {
		return err
	}
	old.set(x.sh, rs, rank)
	return nil
}

// add indexes relationship id's rows, the id of none stored.
func (x *relIndexer) add(id string, rs []kg.Relationship) error {
	s := x.s
	rs = intern(s, rs)
	noteStamps(s, rs)
	from, to, rank, err := x.sh.rels(id, rs)
	if err != nil {
		return err
	}
	rec, n := s.tab.newRel()
	rec.from, rec.to = from.seq, to.seq
	rec.set(x.sh, rs, rank)
	s.nrels++
	x.link(&from.out, from, adj{rel: n, far: to.seq, rank: rank})
	x.link(&to.in, to, adj{rel: n, far: from.seq, rank: rank, in: true})
	return nil
}

func (x *relIndexer) link(list *[]adj, at *entityRec, a adj) {
	if !x.bulk {
		*list = x.s.tab.insertAdj(*list, a)
		return
	}
	*list = append(*list, a)
	x.touched[at] = true
}

// done puts the adjacency lists that bulk adds appended to in order.
func (x *relIndexer) done() {
	for e := range x.touched {
		e.out, e.in = tight(e.out), tight(e.in)
		slices.SortFunc(e.out, x.s.tab.adjOrder)
		slices.SortFunc(e.in, x.s.tab.adjOrder)
	}
	clear(x.touched)
}

// tight is list in an array about its length when appending left the array much larger:
// growth by appends left a quarter of the lists of a loaded store unused, 50 MB at 5M
// relationships.
func tight(list []adj) []adj {
	if cap(list)-len(list) <= len(list)/8 {
		return list
	}
	return slices.Clone(list)
}

// indexSignals puts signals' histories into the indexes.
func (s *Store) indexSignals(sh *sharer, sigs map[string][]kg.RiskSignal) {
	for id, rs := range sigs {
		rs = intern(s, rs)
		noteStamps(s, rs)
		sh.signals(rs)
		if s.sigs[id] == nil {
			s.sigs[id] = &signalRec{}
		}
		s.sigs[id].rows = rs
		for _, g := range rs {
			s.sigsOf[g.EntityID] = insertSorted(s.sigsOf[g.EntityID], id)
		}
	}
}

// noteStamps keeps lastAt at the latest recorded time of any stored row.
func noteStamps[T kg.Fact](s *Store, rs []T) {
	for _, r := range rs {
		v := kg.VersionOf(r)
		s.lastAt = max(s.lastAt, v.RecordedAt, v.SupersededAt)
	}
}

func insertSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// visibility checks, under the read lock.

func (s *Store) entityAt(id string, at store.At) (kg.Entity, bool) {
	r := s.ents[id]
	if r == nil {
		return kg.Entity{}, false
	}
	return r.at(at.AsOf, at.KnownAt)
}

func (s *Store) relAt(rec *relRec, at store.At) (kg.Relationship, bool) {
	if rec == nil || !rec.visibleAt(&s.tab, at.AsOf, at.KnownAt) {
		return kg.Relationship{}, false
	}
	return rec.at(&s.tab, at.AsOf, at.KnownAt)
}

func (s *Store) signalsAt(entityID string, at store.At) []kg.RiskSignal {
	var out []kg.RiskSignal
	for _, id := range s.sigsOf[entityID] {
		if g, ok := s.sigs[id].rows.at(at.AsOf, at.KnownAt); ok && g.EntityID == entityID {
			out = append(out, g)
		}
	}
	return out
}

// Entities returns the entities with these ids visible at at.
func (s *Store) Entities(ctx context.Context, ids []string, at store.At) (map[string]kg.Entity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	return s.entities(ids, at), nil
}

// entities is Entities for a caller holding s.mu.
func (s *Store) entities(ids []string, at store.At) map[string]kg.Entity {
	out := make(map[string]kg.Entity, len(ids))
	for _, id := range ids {
		if e, ok := s.entityAt(id, at); ok {
			out[id] = e
		}
	}
	return out
}

// Tree reads a tree level by level, under one read lock: one consistent view.
func (s *Store) Tree(ctx context.Context, q store.TreeQuery) (map[string]store.TreeNode, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	at := store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	return store.ReadTreeByLevels(store.TreeLevels{
		Entities: func(ids []string) (map[string]kg.Entity, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return s.entities(ids, at), nil
		},
		Relationships: func(q store.RelQuery) (map[string]store.RelPage, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return s.relationships(q), nil
		},
	}, q)
}

// RelationshipsByID returns the relationships with these ids visible at at.
func (s *Store) RelationshipsByID(ctx context.Context, ids []string, at store.At) (map[string]kg.Relationship, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]kg.Relationship, len(ids))
	for _, id := range ids {
		if r, ok := s.relAt(s.rel(id), at); ok {
			out[id] = r
		}
	}
	return out, nil
}

// SignalsByID returns the signals with these ids visible at at.
func (s *Store) SignalsByID(ctx context.Context, ids []string, at store.At) (map[string]kg.RiskSignal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]kg.RiskSignal, len(ids))
	for _, id := range ids {
		rec := s.sigs[id]
		if rec == nil {
			continue
		}
		if g, ok := rec.rows.at(at.AsOf, at.KnownAt); ok {
			if _, live := s.entityAt(g.EntityID, at); live {
				out[id] = g
			}
		}
	}
	return out, nil
}

// Exists returns which of these ids name a stored fact.
func (s *Store) Exists(ctx context.Context, ids []string) (map[string]bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		if s.ents[id] != nil || s.rel(id) != nil || s.sigs[id] != nil {
			out[id] = true
		}
	}
	return out, nil
}

// afterKey returns the position in a list sorted by id just past the page's cursor.
func afterKey[T any](list []T, id func(T) string, p store.Page) int {
	if p.Key == nil {
		return 0
	}
	return sort.Search(len(list), func(i int) bool { return id(list[i]) > p.Key[0] })
}

func self(id string) string { return id }

// List pages through entities in q.Order: by id, the sorted ids from the cursor on; by
// name, the name index's entries from the cursor on, each entity at the entry of its name at
// the moment read.
func (s *Store) List(ctx context.Context, q store.ListQuery) (store.EntityPage, error) {
	page, at := q.Page, store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return store.EntityPage{}, err
	}
	candidates := s.ids
	if q.Kind != "" {
		candidates = s.byKind[q.Kind]
	}
	if rf := q.Filter.Related; rf != nil {
		candidates = s.related(*rf, at, candidates)
	}
	needle := strings.ToLower(q.Filter.NameContains)
	var out store.EntityPage
	// take adds the entity id when it is visible and passes the name filter, and reports
	// whether the page is full; key, when not empty, must be the entity's name key then.
	take := func(id, key string) bool {
		e, ok := s.entityAt(id, at)
		if !ok || (needle != "" && !nameContains(e, needle)) {
			return false
		}
		if key != "" && s.ents[id].multi && store.NameOrderKey(e.Name) != key {
			return false
		}
		if len(out.Items) == page.First {
			out.HasNext = true
			return true
		}
		out.Items = append(out.Items, e)
		return false
	}
	if q.Order == store.ByName {
		filtered, i := q.Filter.Related != nil, 0
		var err error
		s.names.walk(q.Kind, page, func(en nameEntry) bool {
			if err = stopped(ctx, i); err != nil {
				return false
			}
			i++
			if filtered {
				if _, ok := slices.BinarySearch(candidates, en.id); !ok {
					return true
				}
			}
			return !take(en.id, en.key)
		})
		if err != nil {
			return store.EntityPage{}, err
		}
	} else {
		for i, id := range candidates[afterKey(candidates, self, page):] {
			if err := stopped(ctx, i); err != nil {
				return store.EntityPage{}, err
			}
			if take(id, "") {
				break
			}
		}
	}
	if n := len(out.Items); n > 0 {
		out.EndCursor = store.ListCursor(q.Order, out.Items[n-1])
	}
	return out, nil
}

func nameContains(e kg.Entity, lower string) bool {
	if strings.Contains(strings.ToLower(e.Name), lower) {
		return true
	}
	for _, a := range e.Aliases {
		if strings.Contains(strings.ToLower(a), lower) {
			return true
		}
	}
	return false
}

// related narrows sorted candidate ids to those with the relationship the filter names.
func (s *Store) related(rf store.RelatedFilter, at store.At, candidates []string) []string {
	e := s.ents[rf.EntityID]
	if e == nil {
		return nil
	}
	list := e.out
	if rf.Direction == kg.Out { // the listed entity is the From; the named entity is the To
		list = e.in
	}
	var ids []string
	for _, a := range ofType(list, rf.Type) {
		if !s.tab.rec(a.rel).visibleAt(&s.tab, at.AsOf, at.KnownAt) {
			continue
		}
		other := s.tab.other(a)
		if _, ok := slices.BinarySearch(candidates, other); ok {
			ids = append(ids, other)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Relationships returns a page of relationships, ordered by id, for each entity.
func (s *Store) Relationships(ctx context.Context, q store.RelQuery) (map[string]store.RelPage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	return s.relationships(q), nil
}

// relationships is Relationships for a caller holding s.mu.
func (s *Store) relationships(q store.RelQuery) map[string]store.RelPage {
	page, at := q.Page, store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	out := make(map[string]store.RelPage, len(q.EntityIDs))
	for _, id := range q.EntityIDs {
		after := ""
		if page.Key != nil {
			after = page.Key[0]
		}
		var p store.RelPage
		for a := range s.tab.byID(s.adjacentRuns(id, q.Direction, q.Types), after) {
			r, ok := s.relAt(s.tab.rec(a.rel), at)
			if !ok {
				continue
			}
			if len(p.Items) == page.First {
				p.HasNext = true
				break
			}
			p.Items = append(p.Items, r)
		}
		if n := len(p.Items); n > 0 {
			p.EndCursor = store.EncodeCursor(p.Items[n-1].ID())
		}
		out[id] = p
	}
	return out
}

// Signals returns the signals visible at at on each entity, ordered by id.
func (s *Store) Signals(ctx context.Context, entityIDs []string, at store.At) (map[string][]kg.RiskSignal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]kg.RiskSignal, len(entityIDs))
	for _, id := range entityIDs {
		if _, ok := s.entityAt(id, at); ok {
			if sigs := s.signalsAt(id, at); len(sigs) > 0 {
				out[id] = sigs
			}
		}
	}
	return out, nil
}

// History returns every row of the facts with these ids, as an archive batch.
func (s *Store) History(ctx context.Context, ids []string) (kg.Batch, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Batch{}, err
	}
	var b kg.Batch
	for _, id := range slices.Sorted(slices.Values(ids)) {
		switch {
		case s.ents[id] != nil:
			b.Entities = append(b.Entities, archived(s.ents[id].history())...)
		case s.rel(id) != nil:
			b.Relationships = append(b.Relationships, archived(s.rel(id).history(&s.tab))...)
		case s.sigs[id] != nil:
			b.Signals = append(b.Signals, archived(s.sigs[id].rows)...)
		}
	}
	return b, nil
}

// archived returns a fact's rows in recorded order (then by start), as Export writes them.
func archived[T kg.Fact](rs []T) []T {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b T) int {
		va, vb := kg.VersionOf(a), kg.VersionOf(b)
		if va.RecordedAt != vb.RecordedAt {
			return int(va.RecordedAt - vb.RecordedAt)
		}
		fa, fb := kg.ValidityOf(a).From, kg.ValidityOf(b).From
		return int(fa - fb)
	})
	return out
}

// Export returns every row of every stored fact, as an archive ordered by id.
func (s *Store) Export(ctx context.Context) (kg.Batch, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Batch{}, err
	}
	var b kg.Batch
	for i, id := range s.ids {
		if err := stopped(ctx, i); err != nil {
			return kg.Batch{}, err
		}
		b.Entities = append(b.Entities, archived(s.ents[id].history())...)
	}
	recs := make([]*relRec, 0, s.nrels)
	for _, id := range s.ids {
		for _, a := range s.ents[id].out {
			recs = append(recs, s.tab.rec(a.rel))
		}
	}
	slices.SortFunc(recs, s.tab.compareIDs)
	for _, r := range recs {
		b.Relationships = append(b.Relationships, archived(r.history(&s.tab))...)
	}
	for _, id := range slices.Sorted(maps.Keys(s.sigs)) {
		b.Signals = append(b.Signals, archived(s.sigs[id].rows)...)
	}
	return b, nil
}

// Snapshot returns every fact visible at at, entities, relationships and signals each in id order.
func (s *Store) Snapshot(ctx context.Context, at store.At) (kg.Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Snapshot{}, err
	}
	// Sized for everything, so that millions of rows are not copied again and again as the
	// slices grow; the ids of the relationships come along, for the order.
	snap := kg.Snapshot{AsOf: at.AsOf, KnownAt: at.KnownAt, Entities: make([]kg.Entity, 0, len(s.ids)),
		Relationships: make([]kg.Relationship, 0, s.nrels), Signals: make([]kg.RiskSignal, 0, len(s.sigs))}
	relIDs := make([]string, 0, s.nrels)
	err := s.walk(ctx, at, store.FactVisitor{
		Entity: func(e kg.Entity) error { snap.Entities = append(snap.Entities, e); return nil },
		Relationship: func(id string, r kg.Relationship) error {
			snap.Relationships, relIDs = append(snap.Relationships, r), append(relIDs, id)
			return nil
		},
		Signal: func(g kg.RiskSignal) error { snap.Signals = append(snap.Signals, g); return nil },
	})
	if err != nil {
		return kg.Snapshot{}, err
	}
	slices.SortFunc(snap.Signals, func(a, b kg.RiskSignal) int { return strings.Compare(a.ID, b.ID) })
	// Walking the entities in id order and each one's relationships by type and id gives id
	// order but where one entity's id continues another's (vendor:a, vendor:a-b): sort then.
	if !slices.IsSorted(relIDs) {
		order := make([]int32, len(relIDs))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(x, y int32) int { return strings.Compare(relIDs[x], relIDs[y]) })
		sorted := make([]kg.Relationship, len(order))
		for i, j := range order {
			sorted[i] = snap.Relationships[j]
		}
		snap.Relationships = sorted
	}
	return snap, nil
}

// Walk hands v every fact visible at at, read in place under the read lock: entities in id
// order, then each entity's relationships, then each entity's signals.
func (s *Store) Walk(ctx context.Context, at store.At, v store.FactVisitor) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	return s.walk(ctx, at, v)
}

// walk is Walk for a caller holding s.mu; Snapshot collects what it hands over.
func (s *Store) walk(ctx context.Context, at store.At, v store.FactVisitor) error {
	step := 0
	each := func(fn func(id string) error) error {
		for _, id := range s.ids {
			if err := stopped(ctx, step); err != nil {
				return err
			}
			step++
			if err := fn(id); err != nil {
				return err
			}
		}
		return nil
	}
	if v.Sizes != nil {
		v.Sizes(len(s.ids), s.nrels)
	}
	// When entities are handed over first, they are numbered by record (entityRec.seq; -1
	// for those not handed over, as not visible): the relationships' and signals' phases
	// then tell an entity's visibility by a table read, not a read of its record, and
	// RelationshipBetween gets the numbers.
	var num []int32
	numbered := v.Entity != nil && (v.Relationship != nil || v.RelationshipBetween != nil || v.Signal != nil)
	if numbered {
		num = make([]int32, len(s.ents))
		for i := range num {
			num[i] = -1
		}
	}
	if v.Entity != nil {
		n := int32(0)
		err := each(func(id string) error {
			rec := s.ents[id]
			if rec == nil {
				return nil
			}
			if e, ok := rec.at(at.AsOf, at.KnownAt); ok {
				if numbered {
					num[rec.seq] = n
					n++
				}
				return v.Entity(e)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	between := v.RelationshipBetween != nil && numbered
	// farEnd is a relationship leaving an entity, with the number of its far end.
	type farEnd struct {
		a  adj
		to int32
	}
	var ends []farEnd
	if v.Relationship != nil || between {
		err := each(func(id string) error {
			e := s.ents[id]
			if e == nil {
				return nil
			}
			if !numbered {
				for _, a := range e.out {
					if r, ok := s.relAt(s.tab.rec(a.rel), at); ok {
						if err := v.Relationship(walkID(&s.tab, v, s.tab.rec(a.rel)), r); err != nil {
							return err
						}
					}
				}
				return nil
			}
			from := num[e.seq]
			if from < 0 {
				return nil
			}
			ends = ends[:0]
			for _, a := range e.out {
				if to := num[a.far]; to >= 0 {
					ends = append(ends, farEnd{a, to})
				}
			}
			if between && len(ends) > 1 && ends[0].a.rank != ends[len(ends)-1].a.rank {
				// By far end, then type, as a graph orders its edges: within one type the list
				// is in far end order already, and a compiler handed edges in order need not
				// sort them all.
				slices.SortFunc(ends, func(x, y farEnd) int {
					return cmp.Or(cmp.Compare(x.to, y.to), cmp.Compare(typeIndex[x.a.rank], typeIndex[y.a.rank]))
				})
			}
			for _, x := range ends {
				r, ok := s.tab.rec(x.a.rel).at(&s.tab, at.AsOf, at.KnownAt)
				if !ok {
					continue
				}
				var err error
				if between {
					err = v.RelationshipBetween(int(from), int(x.to), r)
				} else {
					err = v.Relationship(walkID(&s.tab, v, s.tab.rec(x.a.rel)), r)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if v.Signal != nil {
		return each(func(id string) error {
			if numbered {
				if rec := s.ents[id]; rec == nil || num[rec.seq] < 0 {
					return nil
				}
			} else if _, ok := s.entityAt(id, at); !ok {
				return nil
			}
			for _, g := range s.signalsAt(id, at) {
				if err := v.Signal(g); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return nil
}

var _ store.Walker = (*Store)(nil)

func removeSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if !found {
		return ids
	}
	return slices.Delete(ids, i, i+1)
}
