package neo4jstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

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

// entitiesByID starts every statement that looks entities up by the list of ids in $ids.
const entitiesByID = "MATCH (n:Entity) USING INDEX SEEK n:Entity(id) WHERE n.id IN $ids"

// Entity reads: entityState returns the stored hash and element id of each of $ids that
// exists, endpointState only the element id, which needs no property read (the id comes
// from the index).
//
// Statements that return a row per input row return them as one record of parallel lists
// (see columns): the driver spends far more per record received than per list element.
const (
	entityState = entitiesByID + `
RETURN collect(n.id) AS id, collect(coalesce(n.hash, '')) AS hash, collect(elementId(n)) AS eid`
	endpointState = entitiesByID + `
RETURN collect(n.id) AS id, collect(elementId(n)) AS eid`
)

// createEntities creates nodes of one kind and returns their element ids.
const createEntities = `
UNWIND $rows AS row
CREATE (n:Entity:%s)
SET n = row
RETURN collect(row.id) AS id, collect(elementId(n)) AS eid`

// updateEntities replaces the properties of existing nodes.
const updateEntities = `
UNWIND range(0, size($eid) - 1) AS i
MATCH (n) WHERE elementId(n) = $eid[i]
SET n = $rows[i]
RETURN count(n) AS n`

// Relationship statements. A relationship's kg id (from-TYPE->to) is unique per type under a
// relationship uniqueness constraint, so Apply finds the stored ones by index seek on id
// instead of a MERGE that walks the relationship chains of both endpoints (costly around hubs),
// then creates the new ones and rewrites the changed ones. Rows are sent column by column
// (one list per property) so neither side builds a map per row; a null in a column leaves
// that property out (see relCols).
const (
	// relState returns the stored relationships of one type whose ids are in $id, as maps
	// that decodeRel reads, with their element ids.
	relState = `
MATCH ()-[r:%[1]s]->() USING INDEX SEEK r:%[1]s(id)
WHERE r.id IN $id
RETURN collect({r: r {.*}, type: type(r), from: startNode(r).id, to: endNode(r).id, eid: elementId(r)}) AS rels`
	// createRels creates relationships of one type between nodes given by element id.
	createRels = `
UNWIND range(0, size($id) - 1) AS i
MATCH (a) WHERE elementId(a) = $a[i]
MATCH (b) WHERE elementId(b) = $b[i]
CREATE (a)-[r:%s {id: $id[i], confidence: $confidence[i], inferred: $inferred[i],
  validFrom: $validFrom[i], validTo: $validTo[i], note: $note[i], sources: $sources[i]}]->(b)
RETURN count(r) AS n`
	// updateRels replaces the properties of existing relationships given by element id.
	updateRels = `
UNWIND range(0, size($id) - 1) AS i
MATCH ()-[r:%s]->() WHERE elementId(r) = $r[i]
SET r = {id: $id[i], confidence: $confidence[i], inferred: $inferred[i],
  validFrom: $validFrom[i], validTo: $validTo[i], note: $note[i], sources: $sources[i]}
RETURN count(r) AS n`
)

// upsertSignals merges signal nodes and (re)attaches each to its entity.
const upsertSignals = `
UNWIND $rows AS row
MATCH (e:Entity {id: row.entity})
MERGE (g:Signal {id: row.id})
WITH e, g, row, g.hash AS old
FOREACH (_ IN CASE WHEN old = row.hash THEN [] ELSE [1] END | SET g = row)
WITH e, g, row, old
OPTIONAL MATCH (x:Entity)-[h:HAS_SIGNAL]->(g) WHERE x.id <> row.entity
DELETE h
MERGE (e)-[:HAS_SIGNAL]->(g)
RETURN row.id AS id, old IS NULL AS created, coalesce(old = row.hash, false) AS same`

// relCols holds relationship rows column by column, the shape createRels and updateRels take.
// A property at its default is sent as nil, so it is not stored: confidence 1, inferred
// false, an open validity bound, no note, no sources. Most relationships carry only their id,
// and each stored property costs the import time (see decodeRel and visibleRel for the
// defaults on the way back).
type relCols struct {
	id, from, to                                         []string
	a, b                                                 []string // element ids of from and to, filled in just before writing
	r                                                    []string // element ids of the stored relationships, for updates
	confidence, inferred, validFrom, validTo, note, srcs []any
}

// add appends r.
func (c *relCols) add(r kg.Relationship, id string) {
	c.id = append(c.id, id)
	c.from = append(c.from, r.From)
	c.to = append(c.to, r.To)
	c.confidence = append(c.confidence, unlessDefault(r.EffectiveConfidence(), 1))
	c.inferred = append(c.inferred, unlessDefault(r.Inferred, false))
	c.validFrom = append(c.validFrom, unlessDefault(int64(r.Validity.From), 0))
	c.validTo = append(c.validTo, unlessDefault(int64(r.Validity.To), 0))
	c.note = append(c.note, unlessDefault(r.Note, ""))
	c.srcs = append(c.srcs, jsonProp(r.Sources))
}

// unlessDefault returns v, or nil when v is the default def.
func unlessDefault[T comparable](v, def T) any {
	if v == def {
		return nil
	}
	return v
}

func (c *relCols) params() map[string]any {
	return map[string]any{"id": c.id, "a": c.a, "b": c.b, "r": c.r, "confidence": c.confidence,
		"validFrom": c.validFrom, "validTo": c.validTo, "inferred": c.inferred, "note": c.note, "sources": c.srcs}
}

// maxAttempts bounds how often Apply starts over after losing a race to create the same
// relationship as a concurrent writer (the uniqueness constraint rejects the second one).
const maxAttempts = 5

// Apply writes a checked batch in one transaction: all rows, or none.
func (s *Store) Apply(ctx context.Context, b kg.Batch) (store.WriteResult, error) {
	// Endpoints that the batch does not bring itself must already exist.
	inBatch := make(map[string]bool, len(b.Entities))
	for _, e := range b.Entities {
		inBatch[e.ID] = true
	}
	need := map[string]fieldRef{} // id -> first field that refers to it, for the error message
	refer := func(id string, ref fieldRef) {
		if _, ok := need[id]; !ok && !inBatch[id] {
			need[id] = ref
		}
	}
	for i, r := range b.Relationships {
		refer(r.From, fieldRef{"relationships", i, "from"})
		refer(r.To, fieldRef{"relationships", i, "to"})
	}
	for i, g := range b.Signals {
		refer(g.EntityID, fieldRef{"signals", i, "entity"})
	}

	ids := make([]string, 0, len(b.Entities)+len(need))
	for _, e := range b.Entities {
		ids = append(ids, e.ID)
	}
	ids = append(ids, sortedKeys(need)...) // sorted, so the first missing one is reported
	byType := map[kg.RelType][]kg.Relationship{}
	for _, r := range b.Relationships {
		byType[r.Type] = append(byType[r.Type], r)
	}
	sigs := make([]map[string]any, len(b.Signals))
	for i, g := range b.Signals {
		sigs[i] = signalProps(g)
	}

	var res store.WriteResult
	var err error
	var found []typeCount // stored rows found per type, on the types read before writing
	for attempt := 1; ; attempt++ {
		err = s.write(ctx, func(tx *txn) error {
			res = store.WriteResult{} // the driver may run this function again
			// Reads.
			stored := make(map[string]storedRow, len(ids))
			if err := readNodes(ctx, tx, entityState, ids[:len(b.Entities)], stored); err != nil {
				return fmt.Errorf("read entities: %w", err)
			}
			if err := readNodes(ctx, tx, endpointState, ids[len(b.Entities):], stored); err != nil {
				return fmt.Errorf("read endpoints: %w", err)
			}
			for _, id := range ids[len(b.Entities):] {
				if _, ok := stored[id]; !ok {
					return kg.Invalid(need[id].String(), "entity %q does not exist: write it first or in the same batch", id)
				}
			}
			var rels store.WriteResult
			plans := make([]relPlan, 0, len(byType))
			found = found[:0]
			for _, t := range kg.RelTypes {
				if len(byType[t]) == 0 {
					continue
				}
				check := attempt > 1 || s.relsStored[t].Load()
				ps, n, err := planRelationships(ctx, tx, t, byType[t], check, &rels)
				if err != nil {
					return fmt.Errorf("read %s relationships: %w", t, err)
				}
				if check {
					found = append(found, typeCount{t, n})
				}
				plans = append(plans, ps...)
			}
			// Writes.
			if err := writeEntities(ctx, tx, b.Entities, stored, &res); err != nil {
				return err
			}
			for _, p := range plans {
				if err := p.write(ctx, tx, stored); err != nil {
					return fmt.Errorf("upsert %s relationships: %w", p.t, err)
				}
			}
			res.Created = append(res.Created, rels.Created...)
			res.Updated = append(res.Updated, rels.Updated...)
			res.Unchanged = append(res.Unchanged, rels.Unchanged...)
			if err := upsert(ctx, tx, upsertSignals, sigs, &res); err != nil {
				return fmt.Errorf("upsert signals: %w", err)
			}
			return nil
		})
		if attempt >= maxAttempts || !constraintRace(err) {
			break
		}
		// A relationship created without looking may have existed: look from now on.
		for t := range byType {
			s.relsStored[t].Store(true)
		}
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("apply batch: %w", err)
	}
	for _, f := range found {
		s.relsStored[f.t].Store(f.n > 0)
	}
	return res, nil
}

// fieldRef names a field of a batch row, such as relationships[3].to, without formatting it
// until an error needs it.
type fieldRef struct {
	list  string
	i     int
	field string
}

func (f fieldRef) String() string { return fmt.Sprintf("%s[%d].%s", f.list, f.i, f.field) }

// typeCount is the number of stored relationships of one type that Apply found among the
// rows of its batch.
type typeCount struct {
	t kg.RelType
	n int
}

// storedRow is what Apply reads of a stored entity node: its content hash (empty for an
// endpoint, whose content Apply does not need) and its element id.
type storedRow struct{ hash, eid string }

// readNodes runs cypher (entityState or endpointState) over ids and adds the stored state of
// those that exist to out.
func readNodes(ctx context.Context, tx *txn, cypher string, ids []string, out map[string]storedRow) error {
	for chunk := range slices.Chunk(ids, chunkSize) {
		recs, err := tx.run(ctx, cypher, map[string]any{"ids": chunk})
		if err != nil {
			return err
		}
		ids, hashes, eids := columns(recs, "id"), columns(recs, "hash"), columns(recs, "eid")
		for i, id := range ids {
			row := storedRow{eid: str(eids[i])}
			if hashes != nil { // endpointState reads no hashes
				row.hash = str(hashes[i])
			}
			out[str(id)] = row
		}
	}
	return nil
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
// adds each new node to stored, so relationships can find it by element id.
func writeEntities(ctx context.Context, tx *txn, ents []kg.Entity, stored map[string]storedRow, res *store.WriteResult) error {
	type rows struct {
		create, update []map[string]any
		updateEID      []string
	}
	byKind := map[kg.Kind]*rows{}
	for _, e := range ents {
		rs := byKind[e.Kind]
		if rs == nil {
			rs = &rows{}
			byKind[e.Kind] = rs
		}
		p := entityProps(e)
		switch old, ok := stored[e.ID]; {
		case !ok:
			rs.create = append(rs.create, p)
			res.Created = append(res.Created, e.ID)
		case old.hash == p["hash"]:
			res.Unchanged = append(res.Unchanged, e.ID)
		default:
			rs.update = append(rs.update, p)
			rs.updateEID = append(rs.updateEID, old.eid)
			res.Updated = append(res.Updated, e.ID)
		}
	}
	for _, k := range kg.Kinds {
		rs := byKind[k]
		if rs == nil {
			continue
		}
		for chunk := range slices.Chunk(rs.create, chunkSize) {
			recs, err := tx.run(ctx, fmt.Sprintf(createEntities, label(k)), map[string]any{"rows": chunk})
			if err != nil {
				return fmt.Errorf("create %s entities: %w", k, err)
			}
			ids, eids := columns(recs, "id"), columns(recs, "eid")
			if len(ids) != len(chunk) || len(eids) != len(chunk) {
				return fmt.Errorf("create %s entities: %d of %d rows written: %w", k, len(ids), len(chunk), errShort)
			}
			for i, id := range ids {
				stored[str(id)] = storedRow{eid: str(eids[i])}
			}
		}
		for i := 0; i < len(rs.update); i += chunkSize {
			j := min(i+chunkSize, len(rs.update))
			recs, err := tx.run(ctx, updateEntities, map[string]any{"rows": rs.update[i:j], "eid": rs.updateEID[i:j]})
			if err != nil {
				return fmt.Errorf("update %s entities: %w", k, err)
			}
			if n, _ := (rec{recs[0]}).get("n").(int64); int(n) != j-i {
				return fmt.Errorf("update %s entities: %d of %d rows found: %w", k, n, j-i, errShort)
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

// relPlan is one chunk of relationships of one type, sorted into the rows to create and
// the rows to rewrite.
type relPlan struct {
	t              kg.RelType
	create, update relCols
}

// planRelationships sorts rels (all of type t) into plans, chunk by chunk, and returns how
// many of them are stored. With check set it reads the stored hashes by id first and
// rewrites only changed rows; unchanged rows only go into res. Without it every row is
// created: the uniqueness constraint on id then rejects the transaction if one existed.
func planRelationships(ctx context.Context, tx *txn, t kg.RelType, rels []kg.Relationship, check bool, res *store.WriteResult) ([]relPlan, int, error) {
	var plans []relPlan
	found := 0
	for chunk := range slices.Chunk(rels, chunkSize) {
		ids := make([]string, len(chunk))
		for i, r := range chunk {
			ids[i] = r.ID()
		}
		var rows []any
		if check {
			recs, err := tx.run(ctx, fmt.Sprintf(relState, relType(t)), map[string]any{"id": ids})
			if err != nil {
				return nil, 0, err
			}
			rows = columns(recs, "rels")
			found += len(rows)
		}
		type storedRel struct {
			r   kg.Relationship
			eid string
		}
		stored := make(map[string]storedRel, len(rows))
		for _, row := range rows {
			m, _ := row.(map[string]any)
			rl, err := decodeRel(mapGetter(m))
			if err != nil {
				return nil, 0, err
			}
			stored[rl.ID()] = storedRel{rl, str(m["eid"])}
		}
		p := relPlan{t: t}
		for i, r := range chunk {
			id := ids[i]
			old, ok := stored[id]
			switch {
			case !ok:
				p.create.add(r, id)
				res.Created = append(res.Created, id)
			case sameRel(old.r, r):
				res.Unchanged = append(res.Unchanged, id)
			default:
				p.update.add(r, id)
				p.update.r = append(p.update.r, old.eid)
				res.Updated = append(res.Updated, id)
			}
		}
		plans = append(plans, p)
	}
	return plans, found, nil
}

// write creates and rewrites the plan's rows; nodes holds every endpoint's element id.
func (p *relPlan) write(ctx context.Context, tx *txn, nodes map[string]storedRow) error {
	for _, w := range []struct {
		cypher string
		cols   *relCols
	}{{createRels, &p.create}, {updateRels, &p.update}} {
		if len(w.cols.id) == 0 {
			continue
		}
		w.cols.a, w.cols.b = make([]string, len(w.cols.id)), make([]string, len(w.cols.id))
		for i := range w.cols.id {
			w.cols.a[i], w.cols.b[i] = nodes[w.cols.from[i]].eid, nodes[w.cols.to[i]].eid
		}
		recs, err := tx.run(ctx, fmt.Sprintf(w.cypher, relType(p.t)), w.cols.params())
		if err != nil {
			return err
		}
		if n, _ := (rec{recs[0]}).get("n").(int64); int(n) != len(w.cols.id) {
			return fmt.Errorf("%d of %d rows written: %w", n, len(w.cols.id), errShort)
		}
	}
	return nil
}

// sameRel reports whether two relationships say the same, as stored: confidence 0 reads as 1
// and no sources as none.
func sameRel(a, b kg.Relationship) bool {
	return a.Type == b.Type && a.From == b.From && a.To == b.To &&
		a.EffectiveConfidence() == b.EffectiveConfidence() && a.Inferred == b.Inferred &&
		a.Note == b.Note && a.Validity == b.Validity && slices.Equal(a.Sources, b.Sources)
}

// errShort is returned when a statement wrote fewer rows than it was given, which the reads
// before it rule out unless the graph changed under the transaction.
var errShort = errors.New("some rows were not written")

// upsert runs an upsert statement over rows in chunks and sorts its ids into res.
func upsert(ctx context.Context, tx *txn, cypher string, rows []map[string]any, res *store.WriteResult) error {
	for chunk := range slices.Chunk(rows, chunkSize) {
		recs, err := tx.run(ctx, cypher, map[string]any{"rows": chunk})
		if err != nil {
			return err
		}
		if len(recs) != len(chunk) {
			return fmt.Errorf("wrote %d of %d rows: %w", len(recs), len(chunk), errShort)
		}
		for _, r := range recs {
			g := rec{r}
			id := str(g.get("id"))
			switch created, _ := g.get("created").(bool); {
			case created:
				res.Created = append(res.Created, id)
			case g.get("same") == true:
				res.Unchanged = append(res.Unchanged, id)
			default:
				res.Updated = append(res.Updated, id)
			}
		}
	}
	return nil
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }

// parseRelID splits a relationship id made by kg.RelationshipID.
func parseRelID(id string) (from string, t kg.RelType, to string, ok bool) {
	head, to, found := strings.Cut(id, "->")
	if !found {
		return "", "", "", false
	}
	i := strings.LastIndex(head, "-")
	if i < 0 {
		return "", "", "", false
	}
	from, t = head[:i], kg.RelType(head[i+1:])
	if !t.Valid() || kg.CheckEntityID("", from) != nil || kg.CheckEntityID("", to) != nil {
		return "", "", "", false
	}
	return from, t, to, true
}

// Statements of Retract: the reads find facts by id and take a write lock (the no-op SET) so
// nothing changes between the read and the write; the writes end validity by element id.
const (
	retractReadEntities = entitiesByID + `
SET n.hash = n.hash
RETURN n {.*} AS n, elementId(n) AS eid`
	retractReadSignals = `
MATCH (g:Signal) USING INDEX SEEK g:Signal(id) WHERE g.id IN $ids
SET g.hash = g.hash
RETURN g {.*} AS g, elementId(g) AS eid`
	// retractReadRelsOfType is one branch of the relationship read: the relationships of
	// one type whose ids are in the list parameter named like the type.
	retractReadRelsOfType = `
  MATCH ()-[r:%[1]s]->() USING INDEX SEEK r:%[1]s(id) WHERE r.id IN $%[1]s
  SET r.id = r.id
  RETURN r`
	retractNodes = `
UNWIND $rows AS row
MATCH (n) WHERE elementId(n) = row.eid
SET n.validTo = row.validTo, n.hash = row.hash`
	retractRels = `
UNWIND $rows AS row
MATCH ()-[r]->() WHERE elementId(r) = row.eid
SET r.validTo = row.validTo
REMOVE r.hash`
)

// retractReadRels is the statement that reads, in one round trip, the relationships of the
// given types whose ids are in the parameters named like each type.
func retractReadRels(types []kg.RelType) string {
	branches := make([]string, len(types))
	for i, t := range types {
		branches[i] = fmt.Sprintf(retractReadRelsOfType, relType(t))
	}
	return "CALL () {" + strings.Join(branches, "\n  UNION ALL") + "\n}\nRETURN " + relReturn + ", elementId(r) AS eid"
}

// Retract ends the validity of the facts with these ids on date on, in one transaction.
func (s *Store) Retract(ctx context.Context, ids []string, on kg.Date) (store.WriteResult, error) {
	var entIDs, sigIDs []string
	relIDs := map[kg.RelType][]string{}
	for _, id := range ids {
		switch from, t, to, isRel := parseRelID(id); {
		case strings.HasPrefix(id, kg.SignalIDPrefix):
			sigIDs = append(sigIDs, id)
		case isRel:
			relIDs[t] = append(relIDs[t], kg.RelationshipID(from, t, to))
		case kg.CheckEntityID("", id) == nil:
			entIDs = append(entIDs, id)
		default:
			return store.WriteResult{}, fmt.Errorf("retract %q: %w", id, store.ErrNotFound)
		}
	}

	var res store.WriteResult
	err := s.write(ctx, func(tx *txn) error {
		res = store.WriteResult{}
		found := map[string]bool{}
		var entRows, relWrites, sigRows []map[string]any
		// mark decides whether a fact changes and records the new validity and hash.
		mark := func(id string, v kg.Validity) (kg.Validity, bool, error) {
			found[id] = true
			if v.From != 0 && on < v.From {
				return v, false, kg.Invalid("on", "%s holds from %s; it cannot end on %s, before it starts", id, v.From, on)
			}
			if v.To != 0 && v.To <= on { // already ended by then
				res.Unchanged = append(res.Unchanged, id)
				return v, false, nil
			}
			v.To = on
			res.Updated = append(res.Updated, id)
			return v, true, nil
		}
		if len(entIDs) > 0 {
			recs, err := tx.run(ctx, retractReadEntities, map[string]any{"ids": entIDs})
			if err != nil {
				return fmt.Errorf("read entities: %w", err)
			}
			for _, r := range recs {
				e, err := decodeEntity(rec{r}.get("n"))
				if err != nil {
					return err
				}
				v, changed, err := mark(e.ID, e.Validity)
				if err != nil {
					return err
				}
				if changed {
					e.Validity = v
					entRows = append(entRows, map[string]any{"eid": rec{r}.get("eid"), "validTo": toTo(v.To), "hash": digest(e)})
				}
			}
		}
		if len(relIDs) > 0 {
			types := sortedKeys(relIDs)
			params := make(map[string]any, len(types))
			for _, t := range types {
				params[string(t)] = relIDs[t]
			}
			recs, err := tx.run(ctx, retractReadRels(types), params)
			if err != nil {
				return fmt.Errorf("read relationships: %w", err)
			}
			for _, r := range recs {
				rl, err := decodeRel(rec{r})
				if err != nil {
					return err
				}
				v, changed, err := mark(rl.ID(), rl.Validity)
				if err != nil {
					return err
				}
				if changed {
					rl.Validity = v
					relWrites = append(relWrites, map[string]any{"eid": rec{r}.get("eid"), "validTo": int64(v.To)})
				}
			}
		}
		if len(sigIDs) > 0 {
			recs, err := tx.run(ctx, retractReadSignals, map[string]any{"ids": sigIDs})
			if err != nil {
				return fmt.Errorf("read signals: %w", err)
			}
			for _, r := range recs {
				g, err := decodeSignal(rec{r}.get("g"))
				if err != nil {
					return err
				}
				v, changed, err := mark(g.ID, g.Validity)
				if err != nil {
					return err
				}
				if changed {
					g.Validity = v
					sigRows = append(sigRows, map[string]any{"eid": rec{r}.get("eid"), "validTo": toTo(v.To), "hash": digest(g)})
				}
			}
		}
		for _, id := range ids {
			if !found[id] {
				return fmt.Errorf("retract %q: %w", id, store.ErrNotFound)
			}
		}
		for _, w := range []struct {
			cypher string
			rows   []map[string]any
		}{{retractNodes, entRows}, {retractRels, relWrites}, {retractNodes, sigRows}} {
			if len(w.rows) == 0 {
				continue
			}
			if _, err := tx.run(ctx, w.cypher, map[string]any{"rows": w.rows}); err != nil {
				return fmt.Errorf("end validity: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("retract: %w", err)
	}
	return res, nil
}
