// Package embedded is riskgraph's default store: the whole graph in memory, indexed for every
// read the Store interface offers, and made durable in one bbolt file. An acknowledged write
// has been committed (and fsynced) to the file before Apply returns; opening the file rebuilds
// the indexes.
package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

var (
	bucketEntities = []byte("entities")
	bucketRels     = []byte("relationships")
	bucketSignals  = []byte("signals")
)

// Store is the embedded backend. Safe for concurrent use: reads share a lock, writes are
// serialised.
type Store struct {
	db *bolt.DB

	mu     sync.RWMutex
	closed bool
	ents   map[string]*entityRec
	ids    []string             // every entity id, sorted
	byKind map[kg.Kind][]string // entity ids per kind, sorted
	rels   map[string]*relRec
	out    map[string][]adj // entity id → relationships starting there, sorted by id
	in     map[string][]adj // entity id → relationships ending there, sorted by id
	sigs   map[string]*signalRec
	sigsOf map[string][]string // entity id → signal ids, sorted
	search *textIndex
}

type entityRec struct {
	e   kg.Entity
	raw []byte // canonical JSON, also what is on disk
}

// adj is one relationship seen from one of its entities: enough to filter a walk by type
// and find the far end without a map lookup. All three fields follow from the id, so an
// entry never goes stale.
type adj struct {
	id    string
	typ   kg.RelType
	other string  // the entity at the far end
	rel   *relRec // the record itself, so walks need no map lookups
}

func adjCmp(a adj, id string) int { return strings.Compare(a.id, id) }

func insertAdj(list []adj, a adj) []adj {
	i, found := slices.BinarySearchFunc(list, a.id, adjCmp)
	if found {
		return list
	}
	return slices.Insert(list, i, a)
}

type relRec struct {
	r        kg.Relationship
	raw      []byte
	from, to *entityRec // the endpoints' records; records are updated in place, so these stay current
}

// visibleAt reports whether the relationship and both its entities hold on day d.
func (r *relRec) visibleAt(d kg.Date) bool {
	return r.r.Validity.ValidAt(d) && r.from.e.Validity.ValidAt(d) && r.to.e.Validity.ValidAt(d)
}

type signalRec struct {
	g   kg.RiskSignal
	raw []byte
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store file at path and loads it into memory.
func Open(path string) (*Store, error) {
	// A second process opening the same file waits for its lock this long, then fails.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, ents: map[string]*entityRec{}, byKind: map[kg.Kind][]string{},
		rels: map[string]*relRec{}, out: map[string][]adj{}, in: map[string][]adj{},
		sigs: map[string]*signalRec{}, sigsOf: map[string][]string{}, search: newTextIndex()}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntities, bucketRels, bucketSignals} {
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

// load reads every record from the file into the indexes.
func (s *Store) load() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var b kg.Batch
		err := tx.Bucket(bucketEntities).ForEach(func(_, v []byte) error {
			var e kg.Entity
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode entity: %w", err)
			}
			b.Entities = append(b.Entities, e)
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketRels).ForEach(func(_, v []byte) error {
			var r kg.Relationship
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode relationship: %w", err)
			}
			b.Relationships = append(b.Relationships, r)
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketSignals).ForEach(func(_, v []byte) error {
			var g kg.RiskSignal
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("decode signal: %w", err)
			}
			b.Signals = append(b.Signals, g)
			return nil
		})
		if err != nil {
			return err
		}
		s.index(encodeBatch(b))
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
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store file: %w", err)
	}
	return nil
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usable(ctx)
}

func (s *Store) usable(ctx context.Context) error {
	if s.closed {
		return fmt.Errorf("embedded store is closed: %w", store.ErrUnavailable)
	}
	return ctx.Err()
}

// encoded is a batch with each row's canonical JSON.
type encoded struct {
	ents []*entityRec
	rels []*relRec
	sigs []*signalRec
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("embedded: encode %T: %v", v, err)) // kg types always encode
	}
	return b
}

func encodeBatch(b kg.Batch) encoded {
	var enc encoded
	for _, e := range b.Entities {
		enc.ents = append(enc.ents, &entityRec{e: e, raw: mustJSON(e)})
	}
	for _, r := range b.Relationships {
		enc.rels = append(enc.rels, &relRec{r: r, raw: mustJSON(r)})
	}
	for _, g := range b.Signals {
		enc.sigs = append(enc.sigs, &signalRec{g: g, raw: mustJSON(g)})
	}
	return enc
}

// Apply checks that every endpoint exists, commits the batch to the file in one
// transaction, then updates the indexes. On any error nothing has changed.
func (s *Store) Apply(ctx context.Context, b kg.Batch) (store.WriteResult, error) {
	enc := encodeBatch(b)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return store.WriteResult{}, err
	}
	inBatch := make(map[string]bool, len(b.Entities))
	for _, e := range b.Entities {
		inBatch[e.ID] = true
	}
	exists := func(id string) bool { return inBatch[id] || s.ents[id] != nil }
	for i, r := range b.Relationships {
		for _, end := range []struct{ id, f string }{{r.From, "from"}, {r.To, "to"}} {
			if !exists(end.id) {
				return store.WriteResult{}, kg.Invalid(fmt.Sprintf("relationships[%d].%s", i, end.f),
					"entity %q does not exist: write it first or in the same batch", end.id)
			}
		}
	}
	for i, g := range b.Signals {
		if !exists(g.EntityID) {
			return store.WriteResult{}, kg.Invalid(fmt.Sprintf("signals[%d].entity", i),
				"entity %q does not exist: write it first or in the same batch", g.EntityID)
		}
	}

	var res store.WriteResult
	classify := func(id string, old, raw []byte, had bool) bool {
		switch {
		case !had:
			res.Created = append(res.Created, id)
		case bytes.Equal(old, raw):
			res.Unchanged = append(res.Unchanged, id)
			return false
		default:
			res.Updated = append(res.Updated, id)
		}
		return true
	}
	var changed encoded
	for _, r := range enc.ents {
		old := s.ents[r.e.ID]
		if classify(r.e.ID, rawOf(old), r.raw, old != nil) {
			changed.ents = append(changed.ents, r)
		}
	}
	for _, r := range enc.rels {
		old := s.rels[r.r.ID()]
		if classify(r.r.ID(), rawOfRel(old), r.raw, old != nil) {
			changed.rels = append(changed.rels, r)
		}
	}
	for _, r := range enc.sigs {
		old := s.sigs[r.g.ID]
		if classify(r.g.ID, rawOfSig(old), r.raw, old != nil) {
			changed.sigs = append(changed.sigs, r)
		}
	}
	if err := s.persist(changed); err != nil {
		return store.WriteResult{}, err
	}
	s.index(changed)
	return res, nil
}

func rawOf(r *entityRec) []byte {
	if r == nil {
		return nil
	}
	return r.raw
}

func rawOfRel(r *relRec) []byte {
	if r == nil {
		return nil
	}
	return r.raw
}

func rawOfSig(r *signalRec) []byte {
	if r == nil {
		return nil
	}
	return r.raw
}

// persist commits rows to the file in one fsynced transaction.
func (s *Store) persist(enc encoded) error {
	if len(enc.ents)+len(enc.rels)+len(enc.sigs) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		eb, rb, sb := tx.Bucket(bucketEntities), tx.Bucket(bucketRels), tx.Bucket(bucketSignals)
		for _, r := range enc.ents {
			if err := eb.Put([]byte(r.e.ID), r.raw); err != nil {
				return err
			}
		}
		for _, r := range enc.rels {
			if err := rb.Put([]byte(r.r.ID()), r.raw); err != nil {
				return err
			}
		}
		for _, r := range enc.sigs {
			if err := sb.Put([]byte(r.g.ID), r.raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit to store file: %w", err)
	}
	return nil
}

// index puts rows into the in-memory indexes (callers hold the write lock or own s). Existing
// records are updated in place, so pointers held by the adjacency stay valid.
func (s *Store) index(enc encoded) {
	for _, r := range enc.ents {
		old := s.ents[r.e.ID]
		if old == nil {
			s.ids = insertSorted(s.ids, r.e.ID)
			s.byKind[r.e.Kind] = insertSorted(s.byKind[r.e.Kind], r.e.ID)
			s.ents[r.e.ID] = r
			s.search.add(r.e)
			continue
		}
		s.search.remove(old.e)
		if old.e.Kind != r.e.Kind {
			s.byKind[old.e.Kind] = removeSorted(s.byKind[old.e.Kind], old.e.ID)
			s.byKind[r.e.Kind] = insertSorted(s.byKind[r.e.Kind], r.e.ID)
		}
		*old = *r
		s.search.add(old.e)
	}
	for _, r := range enc.rels {
		id := r.r.ID()
		if old := s.rels[id]; old != nil {
			old.r, old.raw = r.r, r.raw
			continue
		}
		r.from, r.to = s.ents[r.r.From], s.ents[r.r.To] // both exist: Apply and load check or order it
		s.rels[id] = r
		s.out[r.r.From] = insertAdj(s.out[r.r.From], adj{id: id, typ: r.r.Type, other: r.r.To, rel: r})
		s.in[r.r.To] = insertAdj(s.in[r.r.To], adj{id: id, typ: r.r.Type, other: r.r.From, rel: r})
	}
	for _, r := range enc.sigs {
		if old := s.sigs[r.g.ID]; old == nil {
			s.sigsOf[r.g.EntityID] = insertSorted(s.sigsOf[r.g.EntityID], r.g.ID)
		} else if old.g.EntityID != r.g.EntityID {
			s.sigsOf[old.g.EntityID] = removeSorted(s.sigsOf[old.g.EntityID], r.g.ID)
			s.sigsOf[r.g.EntityID] = insertSorted(s.sigsOf[r.g.EntityID], r.g.ID)
		}
		s.sigs[r.g.ID] = r
	}
}

func insertSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

func removeSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if !found {
		return ids
	}
	return slices.Delete(ids, i, i+1)
}

// Retract ends the validity of the given facts on date on. All ids must exist; a fact whose
// validity already ends on or before on is left unchanged.
func (s *Store) Retract(ctx context.Context, ids []string, on kg.Date) (store.WriteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return store.WriteResult{}, err
	}
	var b kg.Batch
	var res store.WriteResult
	end := func(id string, v *kg.Validity) (bool, error) {
		if v.From != 0 && on < v.From {
			return false, kg.Invalid("on", "%s holds from %s; it cannot end on %s, before it starts", id, v.From, on)
		}
		if v.To != 0 && v.To <= on {
			res.Unchanged = append(res.Unchanged, id)
			return false, nil
		}
		v.To = on
		res.Updated = append(res.Updated, id)
		return true, nil
	}
	for i, id := range ids {
		var err error
		var changed bool
		switch {
		case s.ents[id] != nil:
			e := s.ents[id].e
			if changed, err = end(id, &e.Validity); changed {
				b.Entities = append(b.Entities, e)
			}
		case s.rels[id] != nil:
			r := s.rels[id].r
			if changed, err = end(id, &r.Validity); changed {
				b.Relationships = append(b.Relationships, r)
			}
		case s.sigs[id] != nil:
			g := s.sigs[id].g
			if changed, err = end(id, &g.Validity); changed {
				b.Signals = append(b.Signals, g)
			}
		default:
			return store.WriteResult{}, fmt.Errorf("ids[%d]: no entity, relationship or signal %q: %w", i, id, store.ErrNotFound)
		}
		if err != nil {
			return store.WriteResult{}, err
		}
	}
	enc := encodeBatch(b)
	if err := s.persist(enc); err != nil {
		return store.WriteResult{}, err
	}
	s.index(enc)
	return res, nil
}

// visibility checks, under the read lock.

func (s *Store) entityAt(id string, d kg.Date) (kg.Entity, bool) {
	r := s.ents[id]
	if r == nil || !r.e.Validity.ValidAt(d) {
		return kg.Entity{}, false
	}
	return r.e, true
}

func (s *Store) relAt(id string, d kg.Date) (kg.Relationship, bool) {
	r := s.rels[id]
	if r == nil || !r.r.Validity.ValidAt(d) {
		return kg.Relationship{}, false
	}
	if _, ok := s.entityAt(r.r.From, d); !ok {
		return kg.Relationship{}, false
	}
	if _, ok := s.entityAt(r.r.To, d); !ok {
		return kg.Relationship{}, false
	}
	return r.r, true
}

func (s *Store) signalsAt(entityID string, d kg.Date) []kg.RiskSignal {
	var out []kg.RiskSignal
	for _, id := range s.sigsOf[entityID] {
		if g := s.sigs[id].g; g.Validity.ValidAt(d) {
			out = append(out, g)
		}
	}
	return out
}

// Entities returns the entities with these ids visible at asOf.
func (s *Store) Entities(ctx context.Context, ids []string, asOf kg.Date) (map[string]kg.Entity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]kg.Entity, len(ids))
	for _, id := range ids {
		if e, ok := s.entityAt(id, asOf); ok {
			out[id] = e
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

// List pages through entities ordered by id.
func (s *Store) List(ctx context.Context, q store.ListQuery) (store.EntityPage, error) {
	page, asOf := q.Page, q.AsOf
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
		candidates = s.related(*rf, asOf, candidates)
	}
	start := afterKey(candidates, self, page)
	needle := strings.ToLower(q.Filter.NameContains)
	var out store.EntityPage
	for _, id := range candidates[start:] {
		e, ok := s.entityAt(id, asOf)
		if !ok || (needle != "" && !nameContains(e, needle)) {
			continue
		}
		if len(out.Items) == page.First {
			out.HasNext = true
			break
		}
		out.Items = append(out.Items, e)
	}
	if n := len(out.Items); n > 0 {
		out.EndCursor = store.EncodeCursor(out.Items[n-1].ID)
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
func (s *Store) related(rf store.RelatedFilter, asOf kg.Date, candidates []string) []string {
	list := s.out[rf.EntityID]
	if rf.Direction == kg.Out { // the listed entity is the From; the named entity is the To
		list = s.in[rf.EntityID]
	}
	var ids []string
	for _, a := range list {
		if a.typ != rf.Type {
			continue
		}
		if _, ok := s.relAt(a.id, asOf); !ok {
			continue
		}
		if _, ok := slices.BinarySearch(candidates, a.other); ok {
			ids = append(ids, a.other)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Relationships returns a page of relationships, ordered by id, for each entity.
func (s *Store) Relationships(ctx context.Context, q store.RelQuery) (map[string]store.RelPage, error) {
	page, asOf := q.Page, q.AsOf
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]store.RelPage, len(q.EntityIDs))
	for _, id := range q.EntityIDs {
		list := s.adjacent(id, q.Direction)
		start := afterKey(list, func(a adj) string { return a.id }, page)
		var p store.RelPage
		for _, a := range list[start:] {
			if len(q.Types) > 0 && !slices.Contains(q.Types, a.typ) {
				continue
			}
			r, ok := s.relAt(a.id, asOf)
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
	return out, nil
}

// adjacent lists the relationships at an entity in a direction, sorted by id. The lists of
// Out and In are shared with the index: callers must not change them.
func (s *Store) adjacent(id string, dir kg.Direction) []adj {
	switch dir {
	case kg.Out:
		return s.out[id]
	case kg.In:
		return s.in[id]
	}
	out, in := s.out[id], s.in[id]
	both := make([]adj, 0, len(out)+len(in))
	for len(out) > 0 && len(in) > 0 { // merge; no id is in both (self loops are invalid)
		if out[0].id < in[0].id {
			both, out = append(both, out[0]), out[1:]
		} else {
			both, in = append(both, in[0]), in[1:]
		}
	}
	return append(append(both, out...), in...)
}

// Signals returns the signals visible at asOf on each entity, ordered by id.
func (s *Store) Signals(ctx context.Context, entityIDs []string, asOf kg.Date) (map[string][]kg.RiskSignal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]kg.RiskSignal, len(entityIDs))
	for _, id := range entityIDs {
		if _, ok := s.entityAt(id, asOf); ok {
			if sigs := s.signalsAt(id, asOf); len(sigs) > 0 {
				out[id] = sigs
			}
		}
	}
	return out, nil
}

// Export returns every stored fact, whatever its validity, each list ordered by id.
func (s *Store) Export(ctx context.Context) (kg.Batch, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Batch{}, err
	}
	b := kg.Batch{
		Entities:      make([]kg.Entity, 0, len(s.ents)),
		Relationships: make([]kg.Relationship, 0, len(s.rels)),
		Signals:       make([]kg.RiskSignal, 0, len(s.sigs)),
	}
	for _, id := range s.ids {
		b.Entities = append(b.Entities, s.ents[id].e)
	}
	for _, id := range slices.Sorted(maps.Keys(s.rels)) {
		b.Relationships = append(b.Relationships, s.rels[id].r)
	}
	for _, id := range slices.Sorted(maps.Keys(s.sigs)) {
		b.Signals = append(b.Signals, s.sigs[id].g)
	}
	return b, nil
}

// Snapshot returns every fact visible at asOf, entities, relationships and signals each in id order.
func (s *Store) Snapshot(ctx context.Context, asOf kg.Date) (kg.Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Snapshot{}, err
	}
	snap := kg.Snapshot{AsOf: asOf}
	for _, id := range s.ids {
		e, ok := s.entityAt(id, asOf)
		if !ok {
			continue
		}
		snap.Entities = append(snap.Entities, e)
		snap.Signals = append(snap.Signals, s.signalsAt(id, asOf)...)
		for _, a := range s.out[id] {
			if r, ok := s.relAt(a.id, asOf); ok {
				snap.Relationships = append(snap.Relationships, r)
			}
		}
	}
	slices.SortFunc(snap.Signals, func(a, b kg.RiskSignal) int { return strings.Compare(a.ID, b.ID) })
	kg.SortRelationships(snap.Relationships)
	return snap, nil
}
