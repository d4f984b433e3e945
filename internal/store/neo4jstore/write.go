package neo4jstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// chunkSize is the number of rows one UNWIND statement writes.
const chunkSize = 10000

// Apply reads everything it needs before it writes anything: an index seek in a transaction
// that already holds thousands of writes has to merge them in and gets about 15 times slower.
// The reads resolve every node and relationship the batch touches to its element id, so the
// writes find them by element id instead of seeking an index again.
//
// Lookups by a list of ids are written `WHERE x.id IN $ids`, never `UNWIND $ids AS id MATCH
// (x {id: id})`: a plan for the UNWIND form made while the graph was small may scan the whole
// index once per row (seen: 232M db hits, a minute, for 10k relationship ids), and Neo4j
// reuses that plan after the graph has grown. An IN list with USING INDEX SEEK is one seek
// whatever the statistics were when the plan was made.
//
// Relationships of a type are created without reading them first while the last Apply that
// wrote the type found none of its rows stored, which is the case all through a bulk import
// (without the read, a bulk import runs about a fifth faster). The uniqueness constraint on id still
// guards every row: if one existed after all, the constraint fails the transaction, and
// Apply starts over reading first, so the result is the same either way.
//
// What a batch does to each fact is worked out by store.Plan from the histories read here.
// Neo4j reads committed data, so two writers could both read a fact, both plan a new version
// and the later commit would drop the other's: before Apply writes a stored fact it takes the
// fact's write lock, reads it again under the lock and plans again, until every fact it is
// about to change was read under its lock. Only facts that change are locked, so a bulk import
// of new rows, or of rows already stored, takes no locks beyond those its creations take.

// entitiesByID starts every statement that looks entities up by the list of ids in $ids.
const entitiesByID = "MATCH (n:Entity) USING INDEX SEEK n:Entity(id) WHERE n.id IN $ids"

// nodeState reads, for each node of $ids (the statement starts with a lookup binding n), its
// id, element id and either its validity and recorded time alone, when its stored content
// hash is the one $hash gives for its id and it has no history (the batch row then says what
// its content is), or all its properties. One record of lists: the driver spends far more
// per record received than per list element.
const nodeState = `
WITH n, n.history IS NULL AND n.hash = $hash[n.id] AS same
RETURN collect([n.id, elementId(n), same, n.validFrom, n.validTo, n.txFrom, n.txBy,
  CASE WHEN same THEN null ELSE n {.*} END]) AS rows`

// Statements that read the state of the batch's entities and signals (nodeState), and the
// element ids of the entities the batch refers to (no property read: the id comes from the
// index).
const (
	entityState   = entitiesByID + nodeState
	signalState   = "MATCH (n:Signal) USING INDEX SEEK n:Signal(id) WHERE n.id IN $ids" + nodeState
	endpointState = entitiesByID + `
RETURN collect(n.id) AS id, collect(elementId(n)) AS eid`
)

// relState returns the stored relationships of one type whose ids are in $id, as maps that
// decodeRel reads, with their element ids.
const relState = `
MATCH ()-[r:%[1]s]->() USING INDEX SEEK r:%[1]s(id)
WHERE r.id IN $id
RETURN collect({r: r {.*}, type: type(r), from: startNode(r).id, to: endNode(r).id, eid: elementId(r)}) AS rels`

// Lock statements take the write lock of each node or relationship in $eids (the no-op SET)
// and then read it: what they return cannot change until the transaction ends.
const (
	lockNodes = `
UNWIND $eids AS eid
MATCH (n) WHERE elementId(n) = eid
SET n.id = n.id
RETURN collect(n {.*}) AS rows`
	lockRels = `
UNWIND $eids AS eid
MATCH ()-[r]->() WHERE elementId(r) = eid
SET r.id = r.id
RETURN collect({r: r {.*}, type: type(r), from: startNode(r).id, to: endNode(r).id}) AS rels`
)

// Entity writes: createEntities creates nodes of one kind and returns their element ids;
// updateEntities replaces the properties of existing nodes.
const (
	createEntities = `
UNWIND $rows AS row
CREATE (n:Entity:%s)
SET n = row
RETURN collect(row.id) AS id, collect(elementId(n)) AS eid`
	updateEntities = `
UNWIND range(0, size($eid) - 1) AS i
MATCH (n) WHERE elementId(n) = $eid[i]
SET n = $rows[i]
RETURN count(n) AS n`
)

// Relationship writes. A relationship's kg id (from-TYPE->to) is unique per type under a
// relationship uniqueness constraint, so Apply finds the stored ones by index seek on id
// instead of a MERGE that walks the relationship chains of both endpoints (costly around hubs).
// New relationships in the compact encoding, the bulk of any import, are created by
// relCols.createRels, column by column; histories and rewrites, which are rare, send a
// property map per row.
const (
	createRelMaps = `
UNWIND range(0, size($a) - 1) AS i
MATCH (a) WHERE elementId(a) = $a[i]
MATCH (b) WHERE elementId(b) = $b[i]
CREATE (a)-[r:%s]->(b)
SET r = $props[i]
RETURN count(r) AS n`
	updateRels = `
UNWIND range(0, size($r) - 1) AS i
MATCH ()-[r:%s]->() WHERE elementId(r) = $r[i]
SET r = $props[i]
RETURN count(r) AS n`
)

// Signal writes: a signal node hangs off, by HAS_SIGNAL, every entity any of its rows names.
const (
	createSignals = `
UNWIND $rows AS row
CREATE (g:Signal)
SET g = row.p
WITH g, row
CALL (g, row) {
  UNWIND row.e AS eid
  MATCH (e) WHERE elementId(e) = eid
  CREATE (e)-[:HAS_SIGNAL]->(g)
}
RETURN count(g) AS n`
	updateSignals = `
UNWIND $rows AS row
MATCH (g) WHERE elementId(g) = row.eid
SET g = row.p
WITH g, row
CALL (g, row) {
  UNWIND row.e AS eid
  MATCH (e) WHERE elementId(e) = eid
  MERGE (e)-[:HAS_SIGNAL]->(g)
}
RETURN count(g) AS n`
)

// relCols holds relationship rows column by column, the shape createRels takes. A property
// at its default is sent as nil, so it is not stored: confidence 1, inferred false, an open
// validity bound, no note, no sources, no writer. Most relationships carry only their id and
// recorded time, and each stored property costs the import time (see decodeRel and
// moment.rel for the defaults on the way back).
type relCols struct {
	id, from, to                                         []string
	confidence, inferred, validFrom, validTo, note, srcs []any
	share, obligation                                    []any
	txFrom, txBy                                         []any
}

// add appends r, the one row of a relationship with id id.
func (c *relCols) add(r kg.Relationship, id string) {
	v := kg.VersionOf(r)
	c.id = append(c.id, id)
	c.from = append(c.from, r.From)
	c.to = append(c.to, r.To)
	c.confidence = append(c.confidence, unlessDefault(r.EffectiveConfidence(), 1))
	c.inferred = append(c.inferred, unlessDefault(r.Inferred, false))
	c.validFrom = append(c.validFrom, unlessDefault(int64(r.Validity.From), 0))
	c.validTo = append(c.validTo, unlessDefault(int64(r.Validity.To), 0))
	c.note = append(c.note, unlessDefault(r.Note, ""))
	c.srcs = append(c.srcs, jsonProp(r.Sources))
	c.share = append(c.share, unlessDefault(r.Share, 0))
	c.obligation = append(c.obligation, unlessDefault(r.Obligation, ""))
	c.txFrom = append(c.txFrom, unlessDefault(int64(v.RecordedAt), 0))
	c.txBy = append(c.txBy, unlessDefault(v.RecordedBy, ""))
}

// relColumns are rows i to j of relCols's property columns but id, in the order createRels
// writes them.
func (c *relCols) relColumns(i, j int) []relColumn {
	return []relColumn{{"confidence", c.confidence[i:j]}, {"inferred", c.inferred[i:j]}, {"validFrom", c.validFrom[i:j]},
		{"validTo", c.validTo[i:j]}, {"note", c.note[i:j]}, {"sources", c.srcs[i:j]}, {"share", c.share[i:j]},
		{"obligation", c.obligation[i:j]}, {"txFrom", c.txFrom[i:j]}, {"txBy", c.txBy[i:j]}}
}

// relColumn is one property of the rows of a relCols, one value per row.
type relColumn struct {
	name string // a property name from relColumns, never from input
	vals []any
}

// createRels returns the statement that creates rows i to j of c, relationships of type rt,
// and its parameters; a and b are the element ids of those rows' endpoints, by which the
// statement finds them. Every row gets its id. A
// property column follows in the statement only if some row holds it: a column all null
// (most of them in a typical import) would store nothing. A column that holds one value for
// every row, as the recorded time and writer of one write do, is sent once instead of once
// per row (in alternated warm 100k/500k imports: 27.8 and 28.9 µs of Neo4j CPU a
// relationship, 54–57k relationships/s, against 30.0 and 30.5 µs, 52–53k/s, with every
// column sent as a list). The statement takes a few shapes per type, each planned once.
func (c *relCols) createRels(rt string, i, j int, a, b []string) (string, map[string]any) {
	params := map[string]any{"id": c.id[i:j], "a": a, "b": b}
	var props strings.Builder
	props.WriteString("id: $id[i]")
	for _, col := range c.relColumns(i, j) {
		switch one, same := sameValue(col.vals); {
		case same && one == nil:
			continue
		case same:
			params[col.name] = one
			fmt.Fprintf(&props, ", %[1]s: $%[1]s", col.name)
		default:
			params[col.name] = col.vals
			fmt.Fprintf(&props, ", %[1]s: $%[1]s[i]", col.name)
		}
	}
	return fmt.Sprintf(`
UNWIND range(0, size($id) - 1) AS i
MATCH (a) WHERE elementId(a) = $a[i]
MATCH (b) WHERE elementId(b) = $b[i]
CREATE (a)-[r:%s {%s}]->(b)
RETURN count(r) AS n`, rt, props.String()), params
}

// sameValue returns the value every element of vals holds and true, or false if they differ.
// The values are nil or of comparable types (strings, numbers, booleans).
func sameValue(vals []any) (any, bool) {
	if len(vals) == 0 {
		return nil, true
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			return nil, false
		}
	}
	return vals[0], true
}

// maxAttempts bounds how often Apply starts over after losing a race to create the same
// fact as a concurrent writer (the uniqueness constraint rejects the second one).
const maxAttempts = 5

// batchIndex is what Apply works out of a batch once, before its transaction (which the
// driver may run more than once).
type batchIndex struct {
	entIDs    []string                // the batch's entities, then retracted entities
	entHash   map[string]string       // content hash of each batch entity
	entRow    map[string]kg.Entity    // each batch entity's row (the last, in an archive)
	endpoints []string                // entities the batch's relationships and signals refer to, sorted
	relIDs    map[kg.RelType][]string // the batch's relationship ids by type, each once
	relRow    map[string]bool         // the batch's relationship ids
	retRels   map[kg.RelType][]string // retracted relationship ids by type
	sigIDs    []string                // the batch's signals, then retracted signals
	sigHash   map[string]string
	sigRow    map[string]kg.RiskSignal
	sigEnts   map[string][]string // per signal id, the entities its batch rows name
}

func indexBatch(b kg.Batch) *batchIndex {
	x := &batchIndex{entHash: map[string]string{}, entRow: map[string]kg.Entity{}, relIDs: map[kg.RelType][]string{},
		relRow: map[string]bool{}, retRels: map[kg.RelType][]string{}, sigHash: map[string]string{}, sigRow: map[string]kg.RiskSignal{}, sigEnts: map[string][]string{}}
	for _, e := range b.Entities {
		if _, ok := x.entRow[e.ID]; !ok {
			x.entIDs = append(x.entIDs, e.ID)
		}
		x.entRow[e.ID] = e
	}
	archive := b.IsArchive()
	if !archive { // an archive row's content says nothing about the stored rows: read them all
		for id, e := range x.entRow {
			x.entHash[id] = contentHash(e)
		}
	}
	need := map[string]bool{}
	refer := func(id string) {
		if _, ok := x.entRow[id]; !ok {
			need[id] = true
		}
	}
	for _, r := range b.Relationships {
		refer(r.From)
		refer(r.To)
		if id := r.ID(); !x.relRow[id] {
			x.relRow[id] = true
			x.relIDs[r.Type] = append(x.relIDs[r.Type], id)
		}
	}
	for _, g := range b.Signals {
		refer(g.EntityID)
		if _, ok := x.sigRow[g.ID]; !ok {
			x.sigIDs = append(x.sigIDs, g.ID)
		}
		x.sigRow[g.ID] = g
		if !slices.Contains(x.sigEnts[g.ID], g.EntityID) {
			x.sigEnts[g.ID] = append(x.sigEnts[g.ID], g.EntityID)
		}
	}
	if !archive {
		for id, g := range x.sigRow {
			x.sigHash[id] = contentHash(g)
		}
	}
	ret := splitIDs(retractedIDs(b))
	x.entIDs = append(x.entIDs, ret.entities...)
	x.sigIDs = append(x.sigIDs, ret.signals...)
	x.retRels = ret.rels
	x.endpoints = sortedKeys(need)
	return x
}

func retractedIDs(b kg.Batch) []string {
	ids := make([]string, len(b.Retractions))
	for i, r := range b.Retractions {
		ids[i] = r.ID
	}
	return ids
}

// Apply writes a checked batch in one transaction, as one write recorded by by: all of it,
// or none.
func (s *Store) Apply(ctx context.Context, b kg.Batch, by string) (store.WriteResult, error) {
	return s.apply(ctx, b, by, nil)
}

// apply is Apply, looking up in known (when not nil) the element ids of the entities the
// batch refers to before it seeks them, and adding to it those of every entity the write
// read or created, once the write has committed.
func (s *Store) apply(ctx context.Context, b kg.Batch, by string, known *elementIDs) (store.WriteResult, error) {
	x := indexBatch(b)
	var res store.WriteResult
	var err error
	var found []typeCount // stored rows found per type, on the types read before writing
	var last *applier
	for attempt := 1; ; attempt++ {
		err = s.write(ctx, func(tx *txn) error {
			a := &applier{s: s, tx: tx, b: b, x: x, by: by, attempt: attempt, known: known}
			last = a
			var err error
			res, found, err = a.run(ctx)
			return err
		})
		if attempt >= maxAttempts || !constraintRace(err) {
			break
		}
		// A relationship created without looking may have existed: look from now on.
		for t := range x.relIDs {
			s.relsStored[t].Store(true)
		}
	}
	if len(b.Entities) > 0 || len(b.Corrections) > 0 {
		// Even a failed write may have committed (a lost commit answer): count it too.
		s.noteFulltextWrite()
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("apply batch: %w", err)
	}
	for _, f := range found {
		s.relsStored[f.t].Store(f.n > 0)
	}
	if known != nil {
		known.add(last.nodes) // the last attempt's, the one that committed
	}
	return res, nil
}

// stamp returns a recorded time for a write: now, but later than floor and than every time
// this store handed out before, so that writes through one store are in order and a fact's
// new rows come after the ones they supersede, whatever the clocks of other processes said.
func (s *Store) stamp(floor kg.Stamp) kg.Stamp {
	for {
		last := s.lastStamp.Load()
		next := max(kg.StampOf(time.Now()), kg.Stamp(last)+1, floor)
		if s.lastStamp.CompareAndSwap(last, int64(next)) {
			return next
		}
	}
}

// applier is one attempt of one Apply inside its transaction.
type applier struct {
	s       *Store
	tx      *txn
	b       kg.Batch
	x       *batchIndex
	by      string
	attempt int
	known   *elementIDs // of entities earlier writes of a bulk load met, or nil

	stored store.Histories
	nodes  map[string]string // entity id -> element id, for every entity read or created
	sigEID map[string]string // signal id -> element id, for the stored signals
	relEID map[string]string // relationship id -> element id, for the stored relationships
	found  []typeCount
}

// run reads, plans and writes the batch and returns what it did.
func (a *applier) run(ctx context.Context) (store.WriteResult, []typeCount, error) {
	a.stored = store.NewHistories(0)
	a.nodes, a.sigEID, a.relEID = map[string]string{}, map[string]string{}, map[string]string{}
	if err := a.readNodes(ctx, entityState, a.x.entIDs, a.x.entHash, a.nodes, func(id string, light lightRow, m any) error {
		if m == nil {
			a.stored.Entities[id] = []kg.Entity{withRow(a.x.entRow[id], light)}
			return nil
		}
		rows, err := entityRows(m)
		a.stored.Entities[id] = rows
		return err
	}); err != nil {
		return store.WriteResult{}, nil, fmt.Errorf("read entities: %w", err)
	}
	if err := a.readEndpoints(ctx); err != nil {
		return store.WriteResult{}, nil, fmt.Errorf("read endpoints: %w", err)
	}
	if err := a.readRels(ctx); err != nil {
		return store.WriteResult{}, nil, err
	}
	if err := a.readNodes(ctx, signalState, a.x.sigIDs, a.x.sigHash, a.sigEID, func(id string, light lightRow, m any) error {
		if m == nil {
			a.stored.Signals[id] = []kg.RiskSignal{withRow(a.x.sigRow[id], light)}
			return nil
		}
		rows, err := signalRows(m)
		a.stored.Signals[id] = rows
		return err
	}); err != nil {
		return store.WriteResult{}, nil, fmt.Errorf("read signals: %w", err)
	}
	out, res, err := a.plan(ctx)
	if err != nil {
		return store.WriteResult{}, nil, err
	}
	if err := a.writeEntities(ctx, out.Entities); err != nil {
		return store.WriteResult{}, nil, err
	}
	if err := a.writeRels(ctx, out.Relationships); err != nil {
		return store.WriteResult{}, nil, err
	}
	if err := a.writeSignals(ctx, out.Signals); err != nil {
		return store.WriteResult{}, nil, err
	}
	if res.Changed() {
		if _, err := a.tx.run(ctx, noteWrite, map[string]any{"at": int64(res.RecordedAt)}); err != nil {
			return store.WriteResult{}, nil, fmt.Errorf("note the write in the data version: %w", err)
		}
	}
	return res, a.found, nil
}

// noteWrite changes the data version (see DataVersion) in the write's own transaction, last,
// so that its lock is held only while the write commits.
const noteWrite = "MERGE (v:DataVersion {id: 'facts'}) SET v.at = $at, v.writes = coalesce(v.writes, 0) + 1"

// DataVersion names the state of the facts: it changes with every write, from any process,
// that changes a fact (Apply notes it in the same transaction), so results derived from the
// facts, such as a whole-graph risk pass, can be kept until it changes. It is the last write's
// recorded time and the count of writes.
func (s *Store) DataVersion(ctx context.Context) (string, error) {
	var v string
	err := s.read(ctx, func(tx *txn) error {
		var err error
		v, err = dataVersion(ctx, tx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read the data version: %w", err)
	}
	return v, nil
}

// dataVersion reads the data version (see DataVersion) in tx.
func dataVersion(ctx context.Context, tx *txn) (string, error) {
	recs, err := tx.run(ctx, "OPTIONAL MATCH (v:DataVersion {id: 'facts'}) RETURN coalesce(v.at, 0) AS at, coalesce(v.writes, 0) AS n", nil)
	if err != nil || len(recs) != 1 {
		return "", err
	}
	g := rec{recs[0]}
	return fmt.Sprintf("%v/%v", g.get("at"), g.get("n")), nil
}

var _ store.Versioned = (*Store)(nil)

// lightRow is what nodeState returns of a node whose content the batch row already gives.
type lightRow struct {
	valid kg.Validity
	ver   kg.Version
}

// withRow is the stored row of a compact fact whose content is f's: f with the stored
// validity and version.
func withRow[T kg.Fact](f T, l lightRow) T {
	v := l.ver
	switch x := any(&f).(type) {
	case *kg.Entity:
		x.Validity, x.Version = l.valid, &v
	case *kg.RiskSignal:
		x.Validity, x.Version = l.valid, &v
	case *kg.Relationship:
		x.Validity, x.Version = l.valid, &v
	}
	return f
}

// readNodes runs cypher (entityState or signalState) over ids, records each stored node's
// element id in eids and hands its state to add: the light columns with m nil, or all its
// properties as m.
func (a *applier) readNodes(ctx context.Context, cypher string, ids []string, hash map[string]string, eids map[string]string,
	add func(id string, light lightRow, m any) error) error {
	for chunk := range slices.Chunk(ids, chunkSize) {
		h := make(map[string]any, len(chunk))
		for _, id := range chunk {
			if v, ok := hash[id]; ok {
				h[id] = v
			}
		}
		recs, err := a.tx.run(ctx, cypher, map[string]any{"ids": chunk, "hash": h})
		if err != nil {
			return err
		}
		for _, row := range columns(recs, "rows") {
			c, _ := row.([]any)
			if len(c) != 8 {
				return fmt.Errorf("state of a node: got %v", row)
			}
			id := str(c[0])
			eids[id] = str(c[1])
			var light lightRow
			if same, _ := c[2].(bool); same {
				from, _ := c[3].(int64)
				to, _ := c[4].(int64)
				at, _ := c[5].(int64)
				light.valid = kg.Validity{From: kg.Date(from), To: fromTo(to)}
				light.ver = kg.Version{RecordedAt: kg.Stamp(at), RecordedBy: str(c[6])}
				c[7] = nil
			} else if c[7] == nil {
				return fmt.Errorf("state of %s: no properties", id)
			}
			if err := add(id, light, c[7]); err != nil {
				return err
			}
		}
	}
	return nil
}

// readEndpoints records the element ids of the entities the batch refers to but does not
// hold (Checked made sure they exist), from a.known or else from the index.
func (a *applier) readEndpoints(ctx context.Context) error {
	var ids []string
	for _, id := range a.x.endpoints {
		if _, ok := a.nodes[id]; ok {
			continue
		}
		if eid, ok := a.known.get(id); ok {
			a.nodes[id] = eid
			continue
		}
		ids = append(ids, id)
	}
	for chunk := range slices.Chunk(ids, chunkSize) {
		recs, err := a.tx.run(ctx, endpointState, map[string]any{"ids": chunk})
		if err != nil {
			return err
		}
		ids, eids := columns(recs, "id"), columns(recs, "eid")
		for i, id := range ids {
			a.nodes[str(id)] = str(eids[i])
		}
	}
	for _, id := range ids {
		if _, ok := a.nodes[id]; !ok {
			return fmt.Errorf("entity %q is gone: %w", id, errShort)
		}
	}
	return nil
}

// readRels reads the stored relationships the batch touches: its rows, for the types it
// does not create blind (see Apply), and the relationships it retracts.
func (a *applier) readRels(ctx context.Context) error {
	types := slices.Sorted(maps.Keys(a.x.relIDs))
	for _, t := range sortedKeys(a.x.retRels) {
		if _, ok := a.x.relIDs[t]; !ok {
			types = append(types, t)
		}
	}
	slices.Sort(types)
	for _, t := range types {
		check := a.attempt > 1 || a.s.relsStored[t].Load()
		var ids []string
		if check {
			ids = a.x.relIDs[t]
		}
		n := 0 // of the batch's rows
		for chunk := range slices.Chunk(append(slices.Clone(ids), a.x.retRels[t]...), chunkSize) {
			recs, err := a.tx.run(ctx, fmt.Sprintf(relState, relType(t)), map[string]any{"id": chunk})
			if err != nil {
				return fmt.Errorf("read %s relationships: %w", t, err)
			}
			for _, row := range columns(recs, "rels") {
				m, _ := row.(map[string]any)
				rows, err := relRows(mapGetter(m))
				if err != nil {
					return err
				}
				id := rows[0].ID()
				a.stored.Relationships[id], a.relEID[id] = rows, str(m["eid"])
				if a.x.relRow[id] {
					n++
				}
			}
		}
		if check && len(ids) > 0 {
			a.found = append(a.found, typeCount{t, n})
		}
	}
	return nil
}

// plan runs store.Plan on the histories read, then locks every stored fact the plan changes,
// reads it again and plans again, until the plan changes only facts read under their lock.
func (a *applier) plan(ctx context.Context) (store.Histories, store.WriteResult, error) {
	locked := map[string]bool{}
	for {
		at := a.s.stamp(a.floor())
		w := kg.Stamped{At: at, By: a.by, Today: kg.DateOf(at.Time())}
		out, res, err := store.Plan(a.b, a.stored, w)
		if err != nil {
			return out, res, err
		}
		var ents, rels, sigs []string
		for _, id := range sortedKeys(out.Entities) {
			if _, stored := a.stored.Entities[id]; stored && !locked[id] {
				ents = append(ents, id)
			}
		}
		for _, id := range sortedKeys(out.Relationships) {
			if _, stored := a.stored.Relationships[id]; stored && !locked[id] {
				rels = append(rels, id)
			}
		}
		for _, id := range sortedKeys(out.Signals) {
			if _, stored := a.stored.Signals[id]; stored && !locked[id] {
				sigs = append(sigs, id)
			}
		}
		if len(ents)+len(rels)+len(sigs) == 0 {
			return out, res, nil
		}
		if err := a.lock(ctx, ents, rels, sigs); err != nil {
			return out, res, fmt.Errorf("lock the facts the batch changes: %w", err)
		}
		for _, id := range slices.Concat(ents, rels, sigs) {
			locked[id] = true
		}
	}
}

// floor is the earliest recorded time this write may have: after every recorded and
// superseded time of every row read.
func (a *applier) floor() kg.Stamp {
	var latest kg.Stamp
	see := func(v kg.Version) { latest = max(latest, v.RecordedAt, v.SupersededAt) }
	for _, rows := range a.stored.Entities {
		for _, r := range rows {
			see(kg.VersionOf(r))
		}
	}
	for _, rows := range a.stored.Relationships {
		for _, r := range rows {
			see(kg.VersionOf(r))
		}
	}
	for _, rows := range a.stored.Signals {
		for _, r := range rows {
			see(kg.VersionOf(r))
		}
	}
	return latest + 1
}

// lock takes the write locks of these stored facts (in id order, so writers that lock the
// same facts take them in the same order) and reads them again under the locks.
func (a *applier) lock(ctx context.Context, ents, rels, sigs []string) error {
	eids := func(ids []string, of map[string]string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = of[id]
		}
		return out
	}
	for chunk := range slices.Chunk(ents, chunkSize) {
		recs, err := a.tx.run(ctx, lockNodes, map[string]any{"eids": eids(chunk, a.nodes)})
		if err != nil {
			return err
		}
		for _, m := range columns(recs, "rows") {
			rows, err := entityRows(m)
			if err != nil {
				return err
			}
			a.stored.Entities[rows[0].ID] = rows
		}
	}
	for chunk := range slices.Chunk(rels, chunkSize) {
		recs, err := a.tx.run(ctx, lockRels, map[string]any{"eids": eids(chunk, a.relEID)})
		if err != nil {
			return err
		}
		for _, m := range columns(recs, "rels") {
			mm, _ := m.(map[string]any)
			rows, err := relRows(mapGetter(mm))
			if err != nil {
				return err
			}
			a.stored.Relationships[rows[0].ID()] = rows
		}
	}
	for chunk := range slices.Chunk(sigs, chunkSize) {
		recs, err := a.tx.run(ctx, lockNodes, map[string]any{"eids": eids(chunk, a.sigEID)})
		if err != nil {
			return err
		}
		for _, m := range columns(recs, "rows") {
			rows, err := signalRows(m)
			if err != nil {
				return err
			}
			a.stored.Signals[rows[0].ID] = rows
		}
	}
	return nil
}

// typeCount is the number of stored relationships of one type that Apply found among the
// rows of its batch.
type typeCount struct {
	t kg.RelType
	n int
}

// columns returns the list in column k of a statement's single record, or nil.
func columns(recs []*neo4j.Record, k string) []any {
	if len(recs) == 0 {
		return nil
	}
	l, _ := rec{recs[0]}.get(k).([]any)
	return l
}

// writeEntities creates the new entities and rewrites the changed ones, kind by kind, and
// records each new node's element id, so relationships and signals can find it.
func (a *applier) writeEntities(ctx context.Context, out map[string][]kg.Entity) error {
	type rows struct {
		create, update []map[string]any
		updateEID      []string
	}
	byKind := map[kg.Kind]*rows{}
	for _, id := range sortedKeys(out) {
		h := out[id]
		k := h[0].Kind
		rs := byKind[k]
		if rs == nil {
			rs = &rows{}
			byKind[k] = rs
		}
		if _, stored := a.stored.Entities[id]; stored {
			rs.update = append(rs.update, entityProps(h))
			rs.updateEID = append(rs.updateEID, a.nodes[id])
		} else {
			rs.create = append(rs.create, entityProps(h))
		}
	}
	for _, k := range kg.Kinds {
		rs := byKind[k]
		if rs == nil {
			continue
		}
		for chunk := range slices.Chunk(rs.create, chunkSize) {
			recs, err := a.tx.run(ctx, fmt.Sprintf(createEntities, label(k)), map[string]any{"rows": chunk})
			if err != nil {
				return fmt.Errorf("create %s entities: %w", k, err)
			}
			ids, eids := columns(recs, "id"), columns(recs, "eid")
			if len(ids) != len(chunk) || len(eids) != len(chunk) {
				return fmt.Errorf("create %s entities: %d of %d rows written: %w", k, len(ids), len(chunk), errShort)
			}
			for i, id := range ids {
				a.nodes[str(id)] = str(eids[i])
			}
		}
		for i := 0; i < len(rs.update); i += chunkSize {
			j := min(i+chunkSize, len(rs.update))
			if err := a.runCount(ctx, updateEntities, map[string]any{"rows": rs.update[i:j], "eid": rs.updateEID[i:j]}, j-i); err != nil {
				return fmt.Errorf("update %s entities: %w", k, err)
			}
		}
	}
	return nil
}

// runCount runs a write statement that returns the count n of what it wrote and checks it.
func (a *applier) runCount(ctx context.Context, cypher string, params map[string]any, want int) error {
	recs, err := a.tx.run(ctx, cypher, params)
	if err != nil {
		return err
	}
	if n, _ := (rec{recs[0]}).get("n").(int64); int(n) != want {
		return fmt.Errorf("%d of %d rows written: %w", n, want, errShort)
	}
	return nil
}

// writeRels creates the new relationships and rewrites the changed ones, type by type.
func (a *applier) writeRels(ctx context.Context, out map[string][]kg.Relationship) error {
	type plan struct {
		create       relCols
		full         []map[string]any // new relationships with a history
		fullA, fullB []string
		update       []map[string]any
		updateEID    []string
	}
	byType := map[kg.RelType]*plan{}
	for _, id := range sortedKeys(out) {
		h := out[id]
		r := h[0]
		p := byType[r.Type]
		if p == nil {
			p = &plan{}
			byType[r.Type] = p
		}
		switch _, stored := a.stored.Relationships[id]; {
		case stored:
			p.update = append(p.update, relProps(h))
			p.updateEID = append(p.updateEID, a.relEID[id])
		case isCompact(h):
			p.create.add(r, id)
		default:
			p.full = append(p.full, relProps(h))
			p.fullA, p.fullB = append(p.fullA, a.nodes[r.From]), append(p.fullB, a.nodes[r.To])
		}
	}
	for _, t := range kg.RelTypes {
		p := byType[t]
		if p == nil {
			continue
		}
		rt := relType(t)
		c := &p.create
		for i := 0; i < len(c.id); i += chunkSize {
			j := min(i+chunkSize, len(c.id))
			from, to := make([]string, j-i), make([]string, j-i)
			for k := i; k < j; k++ {
				from[k-i], to[k-i] = a.nodes[c.from[k]], a.nodes[c.to[k]]
			}
			stmt, params := c.createRels(rt, i, j, from, to)
			if err := a.runCount(ctx, stmt, params, j-i); err != nil {
				return fmt.Errorf("create %s relationships: %w", t, err)
			}
		}
		for i := 0; i < len(p.full); i += chunkSize {
			j := min(i+chunkSize, len(p.full))
			if err := a.runCount(ctx, fmt.Sprintf(createRelMaps, rt),
				map[string]any{"props": p.full[i:j], "a": p.fullA[i:j], "b": p.fullB[i:j]}, j-i); err != nil {
				return fmt.Errorf("create %s relationships: %w", t, err)
			}
		}
		for i := 0; i < len(p.update); i += chunkSize {
			j := min(i+chunkSize, len(p.update))
			if err := a.runCount(ctx, fmt.Sprintf(updateRels, rt), map[string]any{"props": p.update[i:j], "r": p.updateEID[i:j]}, j-i); err != nil {
				return fmt.Errorf("update %s relationships: %w", t, err)
			}
		}
	}
	return nil
}

// writeSignals creates the new signals and rewrites the changed ones, hanging each off the
// entities its rows name (those of the batch's rows; the stored rows' entities hold theirs).
func (a *applier) writeSignals(ctx context.Context, out map[string][]kg.RiskSignal) error {
	var create, update []map[string]any
	for _, id := range sortedKeys(out) {
		h := out[id]
		var ents []string
		for _, e := range a.x.sigEnts[id] {
			ents = append(ents, a.nodes[e])
		}
		row := map[string]any{"p": signalProps(h), "e": ents}
		if _, stored := a.stored.Signals[id]; stored {
			row["eid"] = a.sigEID[id]
			update = append(update, row)
		} else {
			create = append(create, row)
		}
	}
	for _, w := range []struct {
		cypher string
		rows   []map[string]any
	}{{createSignals, create}, {updateSignals, update}} {
		for chunk := range slices.Chunk(w.rows, chunkSize) {
			if err := a.runCount(ctx, w.cypher, map[string]any{"rows": chunk}, len(chunk)); err != nil {
				return fmt.Errorf("write signals: %w", err)
			}
		}
	}
	return nil
}

// constraintRace reports a write rejected by a uniqueness constraint: a concurrent
// transaction created the same relationship (or entity) first. Starting over sees it.
func constraintRace(err error) bool {
	var ne *neo4j.Neo4jError
	return errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.ConstraintValidationFailed"
}

// errShort is returned when a statement wrote fewer rows than it was given, which the reads
// before it rule out unless the graph changed under the transaction.
var errShort = errors.New("some rows were not written")

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }
