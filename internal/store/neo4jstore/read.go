package neo4jstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// relTypes is the alternation of the given relationship types, or of the whole closed set
// when none are given (never HAS_SIGNAL).
func relTypes(ts []kg.RelType) string {
	if len(ts) == 0 {
		ts = kg.RelTypes
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = relType(t)
	}
	return strings.Join(names, "|")
}

// visibleEntitiesByID is the statement that returns the entities with the ids in $ids that
// are visible at mo.
func visibleEntitiesByID(mo moment) string {
	return entitiesByID + " AND " + mo.node("n") + " RETURN n {.*} AS n"
}

// Entities returns the entities with these ids that are visible at at.
func (s *Store) Entities(ctx context.Context, ids []string, at store.At) (map[string]kg.Entity, error) {
	out := make(map[string]kg.Entity, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	mo := moment(at)
	q := visibleEntitiesByID(mo)
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, q, mo.params(map[string]any{"ids": ids}))
		if err != nil {
			return err
		}
		for _, r := range recs {
			e, ok, err := entityAt(rec{r}.get("n"), at)
			if err != nil {
				return err
			}
			if ok {
				out[e.ID] = e
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %d entities: %w", len(ids), err)
	}
	return out, nil
}

// List pages through entities in q.Order. A NameContains filter is checked twice: on
// nameKey, which holds every name an entity ever had (so the TEXT index can serve it), and,
// for an entity with a history, on the names of the row of the moment.
func (s *Store) List(ctx context.Context, q store.ListQuery) (store.EntityPage, error) {
	page, mo := q.Page, moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	params := mo.params(map[string]any{"limit": int64(page.First + 1)})
	var where []string
	if f := q.Filter.NameContains; f != "" {
		params["name"] = strings.ToLower(f)
		where = append(where, "n.nameKey CONTAINS $name", mo.nodeMatching("n", "n.hNames[vi] CONTAINS $name"))
	} else {
		where = append(where, mo.node("n"))
	}
	if rf := q.Filter.Related; rf != nil {
		pat := "(n)<-[r:%s]-(m:Entity {id: $relID})"
		if rf.Direction == kg.Out {
			pat = "(n)-[r:%s]->(m:Entity {id: $relID})"
		}
		params["relID"] = rf.EntityID
		where = append(where, "EXISTS { MATCH "+fmt.Sprintf(pat, relType(rf.Type))+" WHERE "+mo.rel("r")+" AND "+mo.node("m")+" }")
	}
	var cypher string
	if q.Order == store.ByName {
		cypher = listByName(q.Kind, mo, where)
		params["afterKey"], params["afterID"], params["sep"] = "", "", nameSep
		if k := page.Key; k != nil {
			params["afterKey"], params["afterID"] = k[0], k[1]
		}
	} else {
		lbl := "Entity"
		if q.Kind != "" {
			lbl = label(q.Kind)
		}
		params["after"] = afterID(page)
		// Order and cut the page on the node's indexed id before projecting it: the planner
		// then walks the id index in order and stops at the page, instead of projecting every
		// node.
		cypher = fmt.Sprintf("MATCH (n:%s) WHERE n.id > $after AND %s WITH n ORDER BY n.id LIMIT $limit RETURN n {.*} AS n",
			lbl, strings.Join(where, " AND "))
	}
	items, err := s.readEntities(ctx, cypher, params, mo.at())
	if err != nil {
		return store.EntityPage{}, fmt.Errorf("list entities: %w", err)
	}
	out := store.EntityPage{Items: items}
	if len(out.Items) > page.First {
		out.Items, out.HasNext = out.Items[:page.First], true
	}
	if n := len(out.Items); n > 0 {
		out.EndCursor = store.ListCursor(q.Order, out.Items[n-1])
	}
	return out, nil
}

// listByName is the statement of a List by name of entities of kind ("" for every kind)
// that meet the conditions where, after ($afterKey, $afterID). For each kind it walks the
// kind's nameOrder index in order from $afterKey and cuts the page there, before projecting;
// entities whose rows differ in name (renamed, few) are found by the renamed index instead
// and placed by the name of the row of the moment. The branches are merged and cut again.
// Past the cursor is a CASE rather than an OR, so that the planner keeps one ordered seek.
func listByName(kind kg.Kind, mo moment, where []string) string {
	kinds := kg.Kinds
	if kind != "" {
		kinds = []kg.Kind{kind}
	}
	cond := strings.Join(where, " AND ")
	var branches []string
	for _, k := range kinds {
		branches = append(branches, fmt.Sprintf(`MATCH (n:%s) WHERE n.nameOrder >= $afterKey AND n.renamed IS NULL
  AND (CASE WHEN n.nameOrder > $afterKey THEN true ELSE n.id > $afterID END) AND %s
  WITH n ORDER BY n.nameOrder, n.id LIMIT $limit
  RETURN n, n.nameOrder AS k`, label(k), cond))
	}
	lbl := ""
	if kind != "" {
		lbl = " AND n:" + label(kind)
	}
	branches = append(branches, fmt.Sprintf(`MATCH (n:Entity) WHERE n.renamed = true%s AND %s
  WITH n, split(n.hNames[head([vi IN range(0, size(n.hSup) - 1) WHERE %s])], $sep)[0] AS k
  WHERE (CASE WHEN k > $afterKey THEN true WHEN k = $afterKey THEN n.id > $afterID ELSE false END)
  WITH n, k ORDER BY k, n.id LIMIT $limit
  RETURN n, k`, lbl, cond, mo.row("n", "vi")))
	return "CALL () {\n  " + strings.Join(branches, "\n  UNION ALL\n  ") + "\n}\nWITH n, k ORDER BY k, n.id LIMIT $limit RETURN n {.*} AS n"
}

// readEntities runs a read returning nodes as "n" and keeps those that have a version at at,
// in the query's order.
func (s *Store) readEntities(ctx context.Context, cypher string, params map[string]any, at store.At) ([]kg.Entity, error) {
	var out []kg.Entity
	err := s.readOne(ctx, func(tx *txn) error {
		out = out[:0]
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			e, ok, err := entityAt(rec{r}.get("n"), at)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// afterID is the id a page of items ordered by id starts after ("" on the first page).
func afterID(p store.Page) string {
	if p.Key == nil {
		return ""
	}
	return p.Key[0]
}

// luceneQuery turns a search's words into a fulltext query: every word must match, as a
// whole word (weighted up) or as a prefix. Words hold only letters and digits (store.Words),
// so nothing needs escaping.
func luceneQuery(words []string) string {
	parts := make([]string, 0, len(words))
	for _, w := range words {
		parts = append(parts, fmt.Sprintf("(%s^2 OR %s*)", w, w))
	}
	return strings.Join(parts, " AND ")
}

// Search finds entities through the fulltext index, best score first, ties by id. The index
// holds every name and description an entity ever had; for an entity with a history, the
// row of the moment must itself hold every word (whole or as a prefix of one of its words).
func (s *Store) Search(ctx context.Context, q store.SearchQuery) (store.SearchPage, error) {
	page, mo := q.Page, moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	params := mo.params(map[string]any{"limit": int64(page.First + 1), "q": luceneQuery(q.Words), "words": q.Words})
	var where []string
	if c := q.After(); c != nil {
		params["afterScore"], params["afterID"] = c.Score, c.ID
		where = append(where, "(score < $afterScore OR (score = $afterScore AND n.id > $afterID))")
	}
	if len(q.Kinds) > 0 {
		// By label, first: a hit of another kind is dropped without reading its properties.
		// A short prefix ("Vendor 1") brings thousands of hits, and reading each one's kind
		// cost a tenth of such a search's time.
		labels := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			labels[i] = "n:" + label(k)
		}
		where = append([]string{"(" + strings.Join(labels, " OR ") + ")"}, where...)
	}
	hits := "CALL db.index.fulltext.queryNodes('entity_text', $q) YIELD node AS n, score"
	if len(where) > 0 {
		hits += "\nWHERE " + strings.Join(where, " AND ")
	}
	// Ordered first, tested for visibility after: the test then runs only down the ordered
	// hits until the page is full, not on every hit. Every hit past an exact match scores the
	// same (a prefix matches at a constant score), so a short prefix brings thousands of ties,
	// and testing each one's history first took half of such a search's time.
	cypher := hits + `
WITH n, score ORDER BY score DESC, n.id
WITH n, score WHERE ` + mo.nodeMatching("n", "all(w IN $words WHERE any(x IN split(n.hWords[vi], ' ') WHERE x STARTS WITH w))") + `
WITH n, score LIMIT $limit
RETURN n {.*} AS n, score`
	if err := s.awaitFulltext(ctx); err != nil {
		return store.SearchPage{}, mapErr(ctx, err)
	}
	var out store.SearchPage
	err := s.readOne(ctx, func(tx *txn) error {
		out = store.SearchPage{}
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			e, ok, err := entityAt(rec{r}.get("n"), mo.at())
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			score, _ := rec{r}.get("score").(float64)
			out.Items = append(out.Items, store.SearchHit{Entity: e, Score: score})
		}
		return nil
	})
	if err != nil {
		return store.SearchPage{}, fmt.Errorf("search %q: %w", q.Text, err)
	}
	if len(out.Items) > page.First {
		out.Items, out.HasNext = out.Items[:page.First], true
	}
	if n := len(out.Items); n > 0 {
		out.EndCursor = store.SearchCursorOf(out.Items[n-1])
	}
	return out, nil
}

// relPattern is the pattern from n to a neighbour m over relationship r in direction d.
func relPattern(d kg.Direction, types string) string {
	switch d {
	case kg.Out:
		return "(n)-[r:" + types + "]->(m:Entity)"
	case kg.In:
		return "(n)<-[r:" + types + "]-(m:Entity)"
	}
	return "(n)-[r:" + types + "]-(m:Entity)"
}

// Relationships reads a page of relationships for every entity in one statement: a CALL
// subquery per entity orders and limits its own page inside the server. The keyset condition
// reads r.id through coalesce on purpose: a bare r.id > $after lets the planner walk the
// relationship id index in order (it supplies ORDER BY r.id) and filter by endpoint, which
// touches every relationship of the type for each entity instead of expanding from it.
func (s *Store) Relationships(ctx context.Context, q store.RelQuery) (map[string]store.RelPage, error) {
	page, ids, mo := q.Page, q.EntityIDs, moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	pat := relPattern(q.Direction, relTypes(q.Types))
	out := make(map[string]store.RelPage, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cypher := entitiesByID + ` AND ` + mo.node("n") + `
CALL (n) {
  MATCH ` + pat + `
  WHERE coalesce(r.id, '') > $after AND ` + mo.rel("r") + ` AND ` + mo.node("m") + `
  RETURN r ORDER BY r.id LIMIT $limit
}
RETURN n.id AS id, ` + relReturn
	params := mo.params(map[string]any{"ids": ids, "after": afterID(page), "limit": int64(page.First + 1)})
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			g := rec{r}
			id := str(g.get("id"))
			rl, ok, err := relAt(g, mo.at())
			if err != nil {
				return err
			}
			if ok {
				p := out[id]
				p.Items = append(p.Items, rl)
				out[id] = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read relationships of %d entities: %w", len(ids), err)
	}
	for _, id := range ids {
		p := out[id]
		if len(p.Items) > page.First {
			p.Items, p.HasNext = p.Items[:page.First], true
		}
		if n := len(p.Items); n > 0 {
			p.EndCursor = store.EncodeCursor(p.Items[n-1].ID())
		}
		out[id] = p
	}
	return out, nil
}

// RelationshipsByID returns the relationships with these ids visible at at (with both of
// their entities), in one statement: a branch per relationship type, each one index seek.
func (s *Store) RelationshipsByID(ctx context.Context, ids []string, at store.At) (map[string]kg.Relationship, error) {
	out := make(map[string]kg.Relationship, len(ids))
	f := splitIDs(ids)
	if len(f.rels) == 0 {
		return out, nil
	}
	mo := moment(at)
	cypher, params := f.lookupRels(func(rt, seek string) string {
		return fmt.Sprintf("MATCH (a:Entity)-[r:%s]->(b:Entity) %s AND %s AND %s AND %s RETURN r",
			rt, seek, mo.rel("r"), mo.node("a"), mo.node("b"))
	})
	cypher += "\nRETURN " + relReturn
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, mo.params(params))
		if err != nil {
			return err
		}
		for _, r := range recs {
			rl, ok, err := relAt(rec{r}, at)
			if err != nil {
				return err
			}
			if ok {
				out[rl.ID()] = rl
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %d relationships by id: %w", len(ids), err)
	}
	return out, nil
}

// signalsOf decodes (owner, g) records into the signals visible at at, keeping a signal only
// on the entity its row of the moment names: a signal whose rows name several entities hangs
// off each of them.
func signalsOf(recs []recordGetter, at store.At, add func(owner string, g kg.RiskSignal)) error {
	for _, r := range recs {
		g, ok, err := signalAt(r.get("g"), at)
		if err != nil {
			return err
		}
		if owner := str(r.get("owner")); ok && g.EntityID == owner {
			add(owner, g)
		}
	}
	return nil
}

// getters adapts driver records to recordGetter.
func getters(recs []*neo4j.Record) []recordGetter {
	out := make([]recordGetter, len(recs))
	for i, r := range recs {
		out[i] = rec{r}
	}
	return out
}

// Signals returns the visible signals of each entity, ordered by id, in one statement.
func (s *Store) Signals(ctx context.Context, ids []string, at store.At) (map[string][]kg.RiskSignal, error) {
	out := make(map[string][]kg.RiskSignal, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	mo := moment(at)
	cypher := `MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal) USING INDEX SEEK n:Entity(id)
WHERE n.id IN $ids AND ` + mo.node("n") + ` AND ` + mo.node("g") + `
RETURN n.id AS owner, g {.*} AS g ORDER BY g.id`
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, mo.params(map[string]any{"ids": ids}))
		if err != nil {
			return err
		}
		return signalsOf(getters(recs), at, func(owner string, g kg.RiskSignal) { out[owner] = append(out[owner], g) })
	})
	if err != nil {
		return nil, fmt.Errorf("read signals of %d entities: %w", len(ids), err)
	}
	return out, nil
}

// SignalsByID returns the signals with these ids visible at at (with their entity).
func (s *Store) SignalsByID(ctx context.Context, ids []string, at store.At) (map[string]kg.RiskSignal, error) {
	out := make(map[string]kg.RiskSignal, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	mo := moment(at)
	cypher := `MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal) USING INDEX SEEK g:Signal(id)
WHERE g.id IN $ids AND ` + mo.node("g") + ` AND ` + mo.node("n") + `
RETURN n.id AS owner, g {.*} AS g`
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, mo.params(map[string]any{"ids": ids}))
		if err != nil {
			return err
		}
		return signalsOf(getters(recs), at, func(_ string, g kg.RiskSignal) { out[g.ID] = g })
	})
	if err != nil {
		return nil, fmt.Errorf("read %d signals by id: %w", len(ids), err)
	}
	return out, nil
}

// Snapshot returns every fact visible at at, each list ordered by id.
func (s *Store) Snapshot(ctx context.Context, at store.At) (kg.Snapshot, error) {
	mo := moment(at)
	snap := kg.Snapshot{AsOf: at.AsOf, KnownAt: at.KnownAt}
	err := s.read(ctx, func(tx *txn) error {
		snap.Entities, snap.Relationships, snap.Signals = nil, nil, nil
		params := mo.params(map[string]any{})
		recs, err := tx.run(ctx, `MATCH (n:Entity) WHERE `+mo.node("n")+` RETURN n {.*} AS n`, params)
		if err != nil {
			return fmt.Errorf("entities: %w", err)
		}
		for _, r := range recs {
			e, ok, err := entityAt(rec{r}.get("n"), at)
			if err != nil {
				return err
			}
			if ok {
				snap.Entities = append(snap.Entities, e)
			}
		}
		recs, err = tx.run(ctx, `MATCH (n:Entity)-[r:`+relTypes(nil)+`]->(m:Entity)
WHERE `+mo.rel("r")+` AND `+mo.node("n")+` AND `+mo.node("m")+`
RETURN `+relReturn, params)
		if err != nil {
			return fmt.Errorf("relationships: %w", err)
		}
		for _, r := range recs {
			rl, ok, err := relAt(rec{r}, at)
			if err != nil {
				return err
			}
			if ok {
				snap.Relationships = append(snap.Relationships, rl)
			}
		}
		recs, err = tx.run(ctx, `MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal)
WHERE `+mo.node("g")+` AND `+mo.node("n")+`
RETURN n.id AS owner, g {.*} AS g`, params)
		if err != nil {
			return fmt.Errorf("signals: %w", err)
		}
		return signalsOf(getters(recs), at, func(_ string, g kg.RiskSignal) { snap.Signals = append(snap.Signals, g) })
	})
	if err != nil {
		return kg.Snapshot{}, fmt.Errorf("snapshot at %s: %w", at.AsOf, err)
	}
	sortSnapshot(&snap)
	return snap, nil
}

// sortSnapshot orders each list of snap by id.
func sortSnapshot(snap *kg.Snapshot) {
	slices.SortFunc(snap.Entities, func(x, y kg.Entity) int { return strings.Compare(x.ID, y.ID) })
	kg.SortRelationships(snap.Relationships)
	slices.SortFunc(snap.Signals, func(x, y kg.RiskSignal) int { return strings.Compare(x.ID, y.ID) })
}

// factIDs are fact ids sorted by what they name: entities, signals, and relationships by
// type (ids that name nothing are dropped).
type factIDs struct {
	entities, signals []string
	rels              map[kg.RelType][]string
}

func splitIDs(ids []string) factIDs {
	f := factIDs{rels: map[kg.RelType][]string{}}
	for _, id := range ids {
		switch _, t, _, isRel := kg.ParseRelationshipID(id); {
		case strings.HasPrefix(id, kg.SignalIDPrefix):
			f.signals = append(f.signals, id)
		case isRel:
			f.rels[t] = append(f.rels[t], id)
		case kg.CheckEntityID("", id) == nil:
			f.entities = append(f.entities, id)
		}
	}
	return f
}

// relParam is the name of the parameter that holds the ids of relationships of type t.
func relParam(t kg.RelType) string { return "rel_" + relType(t) }

// lookupRels returns a statement that finds, in one round trip, the relationships whose ids
// f holds, and its parameters: a branch per type, branch(type, seek), where seek is the
// index hint and id condition the branch's relationship variable r needs (it goes where the
// branch's WHERE would, and ends ready for AND).
func (f factIDs) lookupRels(branch func(rt, seek string) string) (string, map[string]any) {
	types := sortedKeys(f.rels)
	parts := make([]string, len(types))
	params := make(map[string]any, len(types))
	for i, t := range types {
		rt := relType(t)
		parts[i] = branch(rt, fmt.Sprintf("USING INDEX SEEK r:%s(id) WHERE r.id IN $%s", rt, relParam(t)))
		params[relParam(t)] = f.rels[t]
	}
	return "CALL () {\n  " + strings.Join(parts, "\n  UNION ALL\n  ") + "\n}", params
}

// lookup returns a statement that finds, in one round trip, every fact whose id f holds; each
// branch returns ret(variable, kind) with kind "entity", "signal" or "rel".
func (f factIDs) lookup(ret func(v, kind string) string) (string, map[string]any) {
	var parts []string
	params := map[string]any{}
	if len(f.entities) > 0 {
		parts = append(parts, "MATCH (x:Entity) USING INDEX SEEK x:Entity(id) WHERE x.id IN $entities RETURN "+ret("x", "entity"))
		params["entities"] = f.entities
	}
	if len(f.signals) > 0 {
		parts = append(parts, "MATCH (x:Signal) USING INDEX SEEK x:Signal(id) WHERE x.id IN $signals RETURN "+ret("x", "signal"))
		params["signals"] = f.signals
	}
	for _, t := range sortedKeys(f.rels) {
		rt := relType(t)
		parts = append(parts, fmt.Sprintf("MATCH ()-[x:%[1]s]->() USING INDEX SEEK x:%[1]s(id) WHERE x.id IN $%[2]s RETURN %[3]s",
			rt, relParam(t), ret("x", "rel")))
		params[relParam(t)] = f.rels[t]
	}
	return "CALL () {\n  " + strings.Join(parts, "\n  UNION ALL\n  ") + "\n}", params
}

func (f factIDs) empty() bool { return len(f.entities)+len(f.signals)+len(f.rels) == 0 }

// Exists returns which of these ids name a stored fact, in one statement.
func (s *Store) Exists(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	f := splitIDs(ids)
	if f.empty() {
		return out, nil
	}
	cypher, params := f.lookup(func(v, _ string) string { return v + ".id AS id" })
	cypher += "\nRETURN collect(id) AS ids"
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, id := range columns(recs, "ids") {
			out[str(id)] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check %d ids: %w", len(ids), err)
	}
	return out, nil
}

// historyReturn is what History reads of each fact: its properties and, for a relationship,
// what relReturn adds.
func historyReturn(v, kind string) string {
	if kind == "rel" {
		return fmt.Sprintf("'rel' AS kind, %[1]s {.*} AS r, type(%[1]s) AS type, startNode(%[1]s).id AS from, endNode(%[1]s).id AS to", v)
	}
	return fmt.Sprintf("'%[2]s' AS kind, %[1]s {.*} AS r, null AS type, null AS from, null AS to", v, kind)
}

// History returns every row of the facts with these ids, in one statement.
func (s *Store) History(ctx context.Context, ids []string) (kg.Batch, error) {
	var b kg.Batch
	f := splitIDs(ids)
	if f.empty() {
		return b, nil
	}
	cypher, params := f.lookup(historyReturn)
	cypher += "\nRETURN kind, r, type, from, to"
	err := s.readOne(ctx, func(tx *txn) error {
		b = kg.Batch{}
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		return addRows(&b, getters(recs))
	})
	if err != nil {
		return kg.Batch{}, fmt.Errorf("history of %d ids: %w", len(ids), err)
	}
	sortArchive(&b)
	return b, nil
}

// addRows appends the rows of every fact in recs (as historyReturn gives them) to b.
func addRows(b *kg.Batch, recs []recordGetter) error {
	for _, r := range recs {
		switch str(r.get("kind")) {
		case "entity":
			rows, err := entityRows(r.get("r"))
			if err != nil {
				return err
			}
			b.Entities = append(b.Entities, rows...)
		case "signal":
			rows, err := signalRows(r.get("r"))
			if err != nil {
				return err
			}
			b.Signals = append(b.Signals, rows...)
		default:
			rows, err := relRows(r)
			if err != nil {
				return err
			}
			b.Relationships = append(b.Relationships, rows...)
		}
	}
	return nil
}

// sortArchive orders the rows of b by id, then recorded time, then valid time.
func sortArchive(b *kg.Batch) {
	slices.SortFunc(b.Entities, func(x, y kg.Entity) int { return cmp.Or(strings.Compare(x.ID, y.ID), rowOrder(x, y)) })
	slices.SortFunc(b.Signals, func(x, y kg.RiskSignal) int { return cmp.Or(strings.Compare(x.ID, y.ID), rowOrder(x, y)) })
	type keyed struct {
		id string
		r  kg.Relationship
	}
	ks := make([]keyed, len(b.Relationships))
	for i, r := range b.Relationships {
		ks[i] = keyed{r.ID(), r}
	}
	slices.SortFunc(ks, func(x, y keyed) int { return cmp.Or(strings.Compare(x.id, y.id), rowOrder(x.r, y.r)) })
	for i, k := range ks {
		b.Relationships[i] = k.r
	}
}

// Export returns every row of every stored fact, as History orders them.
func (s *Store) Export(ctx context.Context) (kg.Batch, error) {
	var b kg.Batch
	err := s.read(ctx, func(tx *txn) error {
		b = kg.Batch{}
		for _, q := range []string{
			"MATCH (x:Entity) RETURN " + historyReturn("x", "entity"),
			"MATCH (:Entity)-[x:" + relTypes(nil) + "]->(:Entity) RETURN " + historyReturn("x", "rel"),
			"MATCH (x:Signal) RETURN " + historyReturn("x", "signal"),
		} {
			recs, err := tx.run(ctx, q, nil)
			if err != nil {
				return err
			}
			if err := addRows(&b, getters(recs)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return kg.Batch{}, fmt.Errorf("export: %w", err)
	}
	sortArchive(&b)
	return b, nil
}
