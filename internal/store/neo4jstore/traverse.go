package neo4jstore

import (
	"context"
	"fmt"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// expandQuery builds the statement of one breadth-first hop: from every frontier entity ($ids), the
// relationships the checked steps allow and the entities at their other end, visible at mo.
// Labels and types come from the closed sets only.
func expandQuery(steps []store.Step, mo moment, lean bool) string {
	if len(steps) == 0 {
		steps = []store.Step{}
		for _, t := range kg.RelTypes {
			steps = append(steps, store.Step{Type: t, Direction: kg.Both})
		}
	}
	out, in, both := walkSides(steps)
	// Each branch knows which end n is, so the ends' ids need no lookups of startNode and
	// endNode, and the branches are disjoint (types, directions), so UNION ALL, with no
	// Distinct to build.
	far := "m {.*}"
	if lean { // the far end's id only
		far = "m.id"
	}
	branch := func(pattern, from, to string) string {
		return "MATCH " + pattern + " WHERE " + mo.rel("r") + " AND " + mo.node("m") +
			" RETURN r, " + far + " AS m, " + from + " AS from, " + to + " AS to"
	}
	var branches []string
	if len(out) > 0 {
		branches = append(branches, branch("(n)-[r:"+relTypes(out)+"]->(m:Entity)", "nid", "m.id"))
	}
	if len(in) > 0 {
		branches = append(branches, branch("(n)<-[r:"+relTypes(in)+"]-(m:Entity)", "m.id", "nid"))
	}
	if len(both) > 0 {
		branches = append(branches, branch("(n)-[r:"+relTypes(both)+"]-(m:Entity)", "startNode(r).id", "endNode(r).id"))
	}
	return entitiesByID + `
WITH n, n.id AS nid
CALL (n, nid) {
  ` + strings.Join(branches, "\n  UNION ALL\n  ") + `
}
RETURN collect({r: r {.*}, type: type(r), from: from, to: to, m: m}) AS rows`
}

// leanEntity is an entity of a Lean neighbourhood: its id and kind.
func leanEntity(id string) kg.Entity {
	k, _ := kg.KindOfID(id)
	return kg.Entity{ID: id, Kind: k}
}

// Neighbourhood walks breadth-first from the roots, one statement per hop inside one read
// transaction, so a call costs at most MaxHops+3 round trips whatever the graph's size. With
// q.SignalWalks it does not walk on from a far end that its signal bound (see signalBound)
// puts out of a signal's reach within the hop cap, when the store has one for the data
// version the read finds, and cuts what it read afterwards (store.CutToSignalWalks).
func (s *Store) Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error) {
	mo := moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	expand, at, roots := expandQuery(q.Steps, mo, q.Lean), mo.at(), q.Roots
	var snap kg.Snapshot
	tooLarge := func() error {
		return kg.Invalid("maxEntities", "neighbourhood too large: more than %d entities within %d hops; narrow the walk", q.MaxEntities, q.MaxHops)
	}
	err := s.read(ctx, func(tx *txn) error {
		snap = kg.Snapshot{AsOf: at.AsOf, KnownAt: at.KnownAt}
		seen := map[string]bool{}
		rels := map[string]bool{}
		recs, err := tx.run(ctx, visibleEntitiesByID(mo), mo.params(map[string]any{"ids": roots}))
		if err != nil {
			return fmt.Errorf("roots: %w", err)
		}
		var bound map[string]uint8
		if q.SignalWalks && len(q.Steps) > 0 {
			v, err := dataVersion(ctx, tx)
			if err != nil {
				return fmt.Errorf("data version: %w", err)
			}
			bound = s.signalBound(v, q.Steps, q.SignalDimensions)
		}
		var frontier []string
		for _, r := range recs {
			e, ok, err := entityAt(rec{r}.get("n"), at)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if q.Lean {
				e = leanEntity(e.ID)
			}
			seen[e.ID] = true
			snap.Entities = append(snap.Entities, e)
			frontier = append(frontier, e.ID)
		}
		if q.MaxEntities > 0 && len(snap.Entities) > q.MaxEntities {
			return tooLarge()
		}
		for hop := 0; hop < q.MaxHops && len(frontier) > 0; hop++ {
			recs, err := tx.run(ctx, expand, mo.params(map[string]any{"ids": frontier}))
			if err != nil {
				return fmt.Errorf("hop %d: %w", hop+1, err)
			}
			frontier = nil
			// One record holds the hop: the driver reads one large message faster than
			// thousands of small ones.
			var rows []any
			if len(recs) == 1 {
				rows, _ = rec{recs[0]}.get("rows").([]any)
			}
			for _, r := range rows {
				g := row(asMap(r))
				rl, ok, err := relAt(g, at)
				if err != nil {
					return err
				}
				var e kg.Entity
				ok2 := true
				if id, lean := g.get("m").(string); lean { // visible: the statement tested it
					e = leanEntity(id)
				} else if e, ok2, err = entityAt(g.get("m"), at); err != nil {
					return err
				}
				if !ok || !ok2 || (bound != nil && beyondBound(bound, e.ID, hop+1, q.MaxHops)) {
					continue
				}
				if id := rl.ID(); !rels[id] {
					rels[id] = true
					snap.Relationships = append(snap.Relationships, rl)
				}
				if !seen[e.ID] {
					seen[e.ID] = true
					snap.Entities = append(snap.Entities, e)
					frontier = append(frontier, e.ID)
				}
			}
			if q.MaxEntities > 0 && len(snap.Entities) > q.MaxEntities {
				return tooLarge()
			}
		}
		ids := make([]string, len(snap.Entities))
		for i, e := range snap.Entities {
			ids[i] = e.ID
		}
		recs, err = tx.run(ctx, `MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal) USING INDEX SEEK n:Entity(id) WHERE n.id IN $ids AND `+mo.node("g")+`
RETURN n.id AS owner, g {.*} AS g`, mo.params(map[string]any{"ids": ids}))
		if err != nil {
			return fmt.Errorf("signals: %w", err)
		}
		return signalsOf(getters(recs), at, func(_ string, g kg.RiskSignal) { snap.Signals = append(snap.Signals, g) })
	})
	if err != nil {
		return kg.Snapshot{}, fmt.Errorf("neighbourhood of %d roots within %d hops: %w", len(roots), q.MaxHops, err)
	}
	if q.SignalWalks { // read whole, then cut here: the engine then compiles a tenth of a hub's walk
		snap = store.CutToSignalWalks(snap, q)
	}
	if !q.Lean { // the risk engine, the reader of lean neighbourhoods, orders what it compiles
		sortSnapshot(&snap)
	}
	return snap, nil
}

// Paths finds simple paths, shortest first; ties are broken by the entity ids along the path,
// then the relationship ids.
//
// The search is bounded by a path selector: SHORTEST k GROUPS keeps every path of each of
// the k shortest lengths and stops searching past them. The first Limit paths in our order
// lie within the first Limit lengths, and there are at most MaxHops lengths, so
// k = min(First, MaxHops) loses nothing. The simple-path and visibility predicates sit inside
// the selected pattern, so they filter paths before the selection counts lengths. The worst
// case is still every simple path of the k shortest lengths between the two entities (they
// are all ordered before the limit applies), but no longer every path up to MaxHops.
func (s *Store) Paths(ctx context.Context, q store.PathQuery) ([]store.Path, error) {
	limit, mo := q.First, moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	// The hop bound and group count are literals (ints in 1..6) built here, never from text.
	cypher := fmt.Sprintf(`MATCH (a:Entity {id: $from}), (b:Entity {id: $to})
WHERE %s AND %s
MATCH p = SHORTEST %d GROUPS ((a)(()-[r:%s]-(x) WHERE %s AND %s){1,%d}(b)
  WHERE NOT a IN x AND all(i IN range(0, size(x) - 2) WHERE NOT x[i] IN x[i+1..]))
WITH p, [x IN nodes(p) | x.id] AS ids, [r IN relationships(p) | r.id] AS relIDs
ORDER BY length(p), ids, relIDs
LIMIT $limit
RETURN ids, [r IN relationships(p) | {r: r {.*}, type: type(r), from: startNode(r).id, to: endNode(r).id}] AS rels`,
		mo.node("a"), mo.node("b"), min(limit, q.MaxHops), relTypes(q.Types), mo.rel("r"), mo.node("x"), q.MaxHops)
	params := mo.params(map[string]any{"from": q.From, "to": q.To, "limit": int64(limit)})
	var out []store.Path
	err := s.readOne(ctx, func(tx *txn) error {
		out = nil
		recs, err := tx.run(ctx, cypher, params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			g := rec{r}
			var p store.Path
			for _, id := range g.get("ids").([]any) {
				p.EntityIDs = append(p.EntityIDs, str(id))
			}
			for _, m := range g.get("rels").([]any) {
				rl, ok, err := relAt(mapGetter(m.(map[string]any)), mo.at())
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("relationship %s of a path has no row visible at %s: %w", rl.ID(), q.AsOf, errShort)
				}
				p.Relationships = append(p.Relationships, rl)
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("paths from %s to %s: %w", q.From, q.To, err)
	}
	return out, nil
}

// mapGetter adapts a Cypher map to recordGetter.
type mapGetter map[string]any

func (m mapGetter) get(k string) any { return m[k] }
