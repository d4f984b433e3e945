package neo4jstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// visible is the Cypher condition that variable v holds at $asOf.
func visible(v string) string {
	return fmt.Sprintf("(%s.validFrom <= $asOf AND %s.validTo > $asOf)", v, v)
}

// visibleRel is visible for relationship variable v, whose open validity bounds are not
// stored (see relCols).
func visibleRel(v string) string {
	return fmt.Sprintf("(coalesce(%s.validFrom, 0) <= $asOf AND coalesce(%s.validTo, %d) > $asOf)", v, v, openEnd)
}

// visibleEntitiesByID returns the entities with the ids in $ids that are visible at $asOf.
var visibleEntitiesByID = entitiesByID + " AND " + visible("n") + " RETURN n {.*} AS n"

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

// Entities returns the entities with these ids that are visible at asOf.
func (s *Store) Entities(ctx context.Context, ids []string, asOf kg.Date) (map[string]kg.Entity, error) {
	out := make(map[string]kg.Entity, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q := visibleEntitiesByID
	err := s.read(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, q, map[string]any{"ids": ids, "asOf": int64(asOf)})
		if err != nil {
			return err
		}
		for _, r := range recs {
			e, err := decodeEntity(rec{r}.get("n"))
			if err != nil {
				return err
			}
			out[e.ID] = e
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %d entities: %w", len(ids), err)
	}
	return out, nil
}

// List pages through entities ordered by id.
func (s *Store) List(ctx context.Context, q store.ListQuery) (store.EntityPage, error) {
	page := q.Page
	lbl := "Entity"
	if q.Kind != "" {
		lbl = label(q.Kind)
	}
	params := map[string]any{"after": afterID(page), "limit": int64(page.First + 1), "asOf": int64(q.AsOf)}
	where := []string{"n.id > $after", visible("n")}
	if f := q.Filter.NameContains; f != "" {
		params["name"] = strings.ToLower(f)
		where = append(where, "n.nameKey CONTAINS $name")
	}
	if rf := q.Filter.Related; rf != nil {
		pat := "(n)<-[r:%s]-(m:Entity {id: $relID})"
		if rf.Direction == kg.Out {
			pat = "(n)-[r:%s]->(m:Entity {id: $relID})"
		}
		params["relID"] = rf.EntityID
		where = append(where, "EXISTS { MATCH "+fmt.Sprintf(pat, relType(rf.Type))+" WHERE "+visibleRel("r")+" AND "+visible("m")+" }")
	}
	cypher := fmt.Sprintf("MATCH (n:%s) WHERE %s RETURN n {.*} AS n ORDER BY n.id LIMIT $limit", lbl, strings.Join(where, " AND "))
	var out store.EntityPage
	err := s.read(ctx, func(tx *txn) error {
		out = store.EntityPage{}
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			e, err := decodeEntity(rec{r}.get("n"))
			if err != nil {
				return err
			}
			out.Items = append(out.Items, e)
		}
		return nil
	})
	if err != nil {
		return store.EntityPage{}, fmt.Errorf("list entities: %w", err)
	}
	if len(out.Items) > page.First {
		out.Items, out.HasNext = out.Items[:page.First], true
	}
	if n := len(out.Items); n > 0 {
		out.EndCursor = store.EncodeCursor(out.Items[n-1].ID)
	}
	return out, nil
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

// Search finds entities through the fulltext index, best score first, ties by id.
func (s *Store) Search(ctx context.Context, q store.SearchQuery) (store.SearchPage, error) {
	page := q.Page
	params := map[string]any{"limit": int64(page.First + 1), "asOf": int64(q.AsOf), "q": luceneQuery(q.Words)}
	where := []string{visible("n")}
	if c := q.After(); c != nil {
		params["afterScore"], params["afterID"] = c.Score, c.ID
		where = append(where, "(score < $afterScore OR (score = $afterScore AND n.id > $afterID))")
	}
	if len(q.Kinds) > 0 {
		kinds := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = string(k)
		}
		params["kinds"] = kinds
		where = append(where, "n.kind IN $kinds")
	}
	cypher := `CALL db.index.fulltext.queryNodes('entity_text', $q) YIELD node AS n, score
WHERE ` + strings.Join(where, " AND ") + `
RETURN n {.*} AS n, score ORDER BY score DESC, n.id LIMIT $limit`
	var out store.SearchPage
	err := s.read(ctx, func(tx *txn) error {
		out = store.SearchPage{}
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			e, err := decodeEntity(rec{r}.get("n"))
			if err != nil {
				return err
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
	page, ids := q.Page, q.EntityIDs
	pat := relPattern(q.Direction, relTypes(q.Types))
	out := make(map[string]store.RelPage, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cypher := entitiesByID + ` AND ` + visible("n") + `
CALL (n) {
  MATCH ` + pat + `
  WHERE coalesce(r.id, '') > $after AND ` + visibleRel("r") + ` AND ` + visible("m") + `
  RETURN r ORDER BY r.id LIMIT $limit
}
RETURN n.id AS id, ` + relReturn
	params := map[string]any{"ids": ids, "after": afterID(page), "limit": int64(page.First + 1), "asOf": int64(q.AsOf)}
	err := s.read(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			g := rec{r}
			id := str(g.get("id"))
			rl, err := decodeRel(g)
			if err != nil {
				return err
			}
			p := out[id]
			p.Items = append(p.Items, rl)
			out[id] = p
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

// Signals returns the visible signals of each entity, ordered by id, in one statement.
func (s *Store) Signals(ctx context.Context, ids []string, asOf kg.Date) (map[string][]kg.RiskSignal, error) {
	out := make(map[string][]kg.RiskSignal, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cypher := `MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal) USING INDEX SEEK n:Entity(id)
WHERE n.id IN $ids AND ` + visible("n") + ` AND ` + visible("g") + `
RETURN g {.*} AS g ORDER BY g.id`
	err := s.read(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, map[string]any{"ids": ids, "asOf": int64(asOf)})
		if err != nil {
			return err
		}
		for _, r := range recs {
			g, err := decodeSignal(rec{r}.get("g"))
			if err != nil {
				return err
			}
			out[g.EntityID] = append(out[g.EntityID], g)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read signals of %d entities: %w", len(ids), err)
	}
	return out, nil
}

// Snapshot returns every fact visible at asOf, each list ordered by id.
func (s *Store) Snapshot(ctx context.Context, asOf kg.Date) (kg.Snapshot, error) {
	var b kg.Batch
	err := s.read(ctx, func(tx *txn) (err error) {
		b, err = readFacts(ctx, tx, true, map[string]any{"asOf": int64(asOf)})
		return err
	})
	if err != nil {
		return kg.Snapshot{}, fmt.Errorf("snapshot at %s: %w", asOf, err)
	}
	return kg.Snapshot{AsOf: asOf, Entities: b.Entities, Relationships: b.Relationships, Signals: b.Signals}, nil
}

// Export returns every stored fact, whatever its validity, each list ordered by id.
func (s *Store) Export(ctx context.Context) (kg.Batch, error) {
	var b kg.Batch
	err := s.read(ctx, func(tx *txn) (err error) {
		b, err = readFacts(ctx, tx, false, nil)
		return err
	})
	if err != nil {
		return kg.Batch{}, fmt.Errorf("export: %w", err)
	}
	return b, nil
}

// readFacts reads every entity, relationship and signal, only those visible at $asOf when
// visibleOnly is set (a relationship or signal also needs its entities visible then), and
// orders each list by id.
func readFacts(ctx context.Context, tx *txn, visibleOnly bool, params map[string]any) (kg.Batch, error) {
	where := func(conds ...string) string {
		if !visibleOnly {
			return ""
		}
		return "WHERE " + strings.Join(conds, " AND ")
	}
	var b kg.Batch
	recs, err := tx.run(ctx, `MATCH (n:Entity) `+where(visible("n"))+` RETURN n {.*} AS n`, params)
	if err != nil {
		return b, fmt.Errorf("entities: %w", err)
	}
	for _, r := range recs {
		e, err := decodeEntity(rec{r}.get("n"))
		if err != nil {
			return b, err
		}
		b.Entities = append(b.Entities, e)
	}
	recs, err = tx.run(ctx, `MATCH (n:Entity)-[r:`+relTypes(nil)+`]->(m:Entity)
`+where(visibleRel("r"), visible("n"), visible("m"))+`
RETURN `+relReturn, params)
	if err != nil {
		return b, fmt.Errorf("relationships: %w", err)
	}
	for _, r := range recs {
		rl, err := decodeRel(rec{r})
		if err != nil {
			return b, err
		}
		b.Relationships = append(b.Relationships, rl)
	}
	recs, err = tx.run(ctx, `MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal)
`+where(visible("g"), visible("n"))+`
RETURN g {.*} AS g`, params)
	if err != nil {
		return b, fmt.Errorf("signals: %w", err)
	}
	for _, r := range recs {
		g, err := decodeSignal(rec{r}.get("g"))
		if err != nil {
			return b, err
		}
		b.Signals = append(b.Signals, g)
	}
	slices.SortFunc(b.Entities, func(x, y kg.Entity) int { return strings.Compare(x.ID, y.ID) })
	kg.SortRelationships(b.Relationships)
	slices.SortFunc(b.Signals, func(x, y kg.RiskSignal) int { return strings.Compare(x.ID, y.ID) })
	return b, nil
}
