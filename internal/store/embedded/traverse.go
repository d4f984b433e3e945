package embedded

import (
	"context"
	"slices"
	"strings"
	"sync"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// stepper says which relationships a walk may take from an entity.
type stepper struct {
	any     bool
	out, in []kg.RelType // types that may be walked from From to To, and from To to From
	// The ranks of those types (see typeRank), which each looks up a run by.
	outRank, inRank []uint8
}

// newStepper indexes a checked query's steps.
func newStepper(steps []store.Step) stepper {
	st := stepper{any: len(steps) == 0}
	for _, step := range steps {
		if step.Direction != kg.In {
			st.out = append(st.out, step.Type)
		}
		if step.Direction != kg.Out {
			st.in = append(st.in, step.Type)
		}
	}
	st.out, st.in = uniqueTypes(st.out), uniqueTypes(st.in)
	ranks := func(ts []kg.RelType) []uint8 {
		var out []uint8
		for _, t := range ts {
			if r, ok := typeRank(t); ok {
				out = append(out, r)
			}
		}
		return out
	}
	st.outRank, st.inRank = ranks(st.out), ranks(st.in)
	return st
}

// twoWay reports whether some relationship may be walked from both of its ends, so that a
// walk can meet it twice.
func (st stepper) twoWay() bool {
	if st.any {
		return true
	}
	for _, t := range st.out {
		if slices.Contains(st.in, t) {
			return true
		}
	}
	return false
}

// each calls fn with every relationship at entity e that the walk may take in direction
// dir: only the runs of the types walked, so a hub's other relationships are not read.
func (st stepper) each(e *entityRec, dir kg.Direction, fn func(adj)) {
	list, ranks := e.out, st.outRank
	if dir == kg.In {
		list, ranks = e.in, st.inRank
	}
	if st.any {
		for _, a := range list {
			fn(a)
		}
		return
	}
	for _, r := range ranks {
		for _, a := range ofRank(list, r) {
			fn(a)
		}
	}
}

// walkPlaces holds tables of the places of entities in a walk, by entityRec.seq (-1: not
// reached), for Neighbourhood: an array read instead of a map lookup per step, and no map to
// grow around a hub. A walk sets only the entries of the entities it reaches, and resets
// them before it puts its table back.
var walkPlaces = sync.Pool{New: func() any { return new([]int32) }}

// Neighbourhood walks breadth-first from the roots, at most q.MaxHops relationships, taking
// only q.Steps. It returns the entities reached, every relationship taken from an entity
// closer than MaxHops (so every walk of at most MaxHops into a root is there), and their
// signals, all visible at q.AsOf. With q.SignalWalks it keeps only what store.SignalWalkCut
// keeps: around a hub, where thousands of suppliers carry no risk, a tenth of the walk. Once
// the walk's signal bound is made, it does not even read what the cut would drop.
func (s *Store) Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error) {
	st, at := newStepper(q.Steps), store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Snapshot{}, err
	}
	// The entities reached, in the order reached, with their distance from the roots and
	// their place in that order (in a table by entityRec.seq, reset for the next walk).
	var recs []*entityRec
	var hop []int32
	table := walkPlaces.Get().(*[]int32)
	for len(*table) < len(s.ents) {
		*table = append(*table, -1)
	}
	place := *table
	defer func() {
		for _, rec := range recs {
			place[rec.seq] = -1
		}
		walkPlaces.Put(table)
	}()
	reach := func(rec *entityRec, h int32) int32 {
		i := place[rec.seq]
		if i < 0 {
			i = int32(len(recs))
			place[rec.seq] = i
			recs, hop = append(recs, rec), append(hop, h)
		}
		return i
	}
	for _, id := range q.Roots {
		if rec := s.ents[id]; rec != nil && rec.visible(at.AsOf, at.KnownAt) {
			reach(rec, 0)
		}
	}
	if q.MaxEntities > 0 && len(recs) > q.MaxEntities {
		return kg.Snapshot{}, tooLarge(q.MaxEntities, 0)
	}
	// walked is a relationship the walk took: from the entity it stood at (near) to the one
	// it reached (far), by their places in recs.
	type walked struct {
		rel       *relRec
		near, far int32
	}
	var taken []walked  // each relationship once
	var arcs [][2]int32 // every step, for the cut: a relationship walkable both ways may be two
	var met map[uint32]bool
	if st.twoWay() {
		met = map[uint32]bool{}
	}
	var bound []uint8 // see signalBound
	if q.SignalWalks {
		bound = s.signalBound(st, q.SignalDimensions)
	}
	for h, first := int32(0), 0; int(h) < q.MaxHops && first < len(recs); h++ {
		last := len(recs)
		for i := first; i < last; i++ {
			if err := stopped(ctx, i); err != nil {
				return kg.Snapshot{}, err
			}
			x := recs[i]
			for _, dir := range [2]kg.Direction{kg.Out, kg.In} {
				st.each(x, dir, func(a adj) {
					if bound != nil && int(h)+1+int(bound[a.far]) > q.MaxHops {
						return // on no walk from a signal short enough
					}
					other, rel := s.tab.farRec(a), s.tab.rec(a.rel)
					if !rel.reaches(&s.tab, other, at.AsOf, at.KnownAt) {
						return
					}
					j := reach(other, h+1)
					if q.SignalWalks {
						arcs = append(arcs, [2]int32{int32(i), j})
					}
					if met == nil || !met[a.rel] {
						if met != nil {
							met[a.rel] = true
						}
						taken = append(taken, walked{rel, int32(i), j})
					}
				})
			}
		}
		if q.MaxEntities > 0 && len(recs) > q.MaxEntities {
			return kg.Snapshot{}, tooLarge(q.MaxEntities, int(h)+1)
		}
		first = last
	}
	sigs := make([][]kg.RiskSignal, len(recs))
	for i, rec := range recs {
		sigs[i] = s.signalsAt(rec.id(), at)
	}
	var keep []bool
	if q.SignalWalks {
		carries := make([]bool, len(recs))
		for i, gs := range sigs {
			carries[i] = slices.ContainsFunc(gs, func(g kg.RiskSignal) bool {
				return len(q.SignalDimensions) == 0 || slices.Contains(q.SignalDimensions, g.Dimension)
			})
		}
		keep = store.SignalWalkCut(hop, arcs, carries, q.MaxHops)
	}
	kept := func(i int32) bool { return keep == nil || keep[i] }
	// In no particular order: the risk engine, the one reader of large neighbourhoods, orders
	// what it compiles itself, and sorting strings here cost a quarter of the read.
	nents, nrels := len(recs), len(taken)
	if keep != nil {
		nents, nrels = 0, 0
		for _, k := range keep {
			if k {
				nents++
			}
		}
		for _, w := range taken {
			if keep[w.near] && keep[w.far] {
				nrels++
			}
		}
	}
	snap := kg.Snapshot{AsOf: at.AsOf, KnownAt: at.KnownAt, Entities: make([]kg.Entity, 0, nents), Relationships: make([]kg.Relationship, 0, nrels)}
	for i, rec := range recs {
		if !kept(int32(i)) {
			continue
		}
		var e kg.Entity
		if q.Lean {
			e.ID = rec.id()
			e.Kind = kindOf(e.ID)
		} else {
			e, _ = rec.at(at.AsOf, at.KnownAt)
		}
		snap.Entities = append(snap.Entities, e)
		snap.Signals = append(snap.Signals, sigs[i]...)
	}
	for _, w := range taken {
		if kept(w.near) && kept(w.far) {
			row, _ := w.rel.at(&s.tab, at.AsOf, at.KnownAt)
			snap.Relationships = append(snap.Relationships, row)
		}
	}
	return snap, nil
}

func kindOf(id string) kg.Kind {
	k, _ := kg.KindOfID(id)
	return k
}

func tooLarge(limit, hops int) error {
	return kg.Invalid("maxEntities", "neighbourhood too large: more than %d entities within %d hops; narrow the walk", limit, hops)
}

// Paths returns up to q.First simple paths from q.From to q.To of at most q.MaxHops
// relationships, walked in either direction, ordered by length, then by the entity ids along
// the path, then by the relationship ids.
func (s *Store) Paths(ctx context.Context, q store.PathQuery) ([]store.Path, error) {
	limit, at := q.First, store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	_, okFrom := s.entityAt(q.From, at)
	_, okTo := s.entityAt(q.To, at)
	if !okFrom || !okTo || q.From == q.To {
		return nil, nil
	}
	// hop is one undirected step: the relationship and the entity it leads to.
	type hop struct {
		rel   kg.Relationship
		other string
	}
	neighbours := func(id string) []hop {
		var hs []hop
		for _, run := range s.adjacentRuns(id, kg.Both, q.Types) {
			for _, a := range run {
				if r, ok := s.relAt(s.tab.rec(a.rel), at); ok {
					hs = append(hs, hop{r, s.tab.other(a)})
				}
			}
		}
		// Walk to the smallest entity id first, then the smallest relationship id, so paths
		// come out in the promised order.
		slices.SortFunc(hs, func(a, b hop) int {
			if c := strings.Compare(a.other, b.other); c != 0 {
				return c
			}
			return strings.Compare(a.rel.ID(), b.rel.ID())
		})
		return hs
	}
	// dist[x] is the fewest hops from x to q.To (up to MaxHops): a walk never enters an entity
	// from which q.To is out of reach in the hops left.
	dist := map[string]int{q.To: 0}
	frontier := []string{q.To}
	for d := 1; d <= q.MaxHops && len(frontier) > 0; d++ {
		var next []string
		for i, id := range frontier {
			if err := stopped(ctx, i); err != nil {
				return nil, err
			}
			for _, h := range neighbours(id) {
				if _, ok := dist[h.other]; !ok {
					dist[h.other] = d
					next = append(next, h.other)
				}
			}
		}
		frontier = next
	}
	start, ok := dist[q.From]
	if !ok {
		return nil, nil
	}
	var out []store.Path
	onPath := map[string]bool{q.From: true}
	ids := []string{q.From}
	var rels []kg.Relationship
	var steps int
	var err error
	var walk func(here string, left int)
	walk = func(here string, left int) {
		if len(out) >= limit || err != nil {
			return
		}
		if steps++; steps&4095 == 0 {
			if err = ctx.Err(); err != nil {
				return
			}
		}
		if here == q.To {
			if left == 0 {
				out = append(out, store.Path{EntityIDs: slices.Clone(ids), Relationships: slices.Clone(rels)})
			}
			return
		}
		for _, h := range neighbours(here) {
			if d, ok := dist[h.other]; !ok || d > left-1 || onPath[h.other] {
				continue
			}
			onPath[h.other] = true
			ids, rels = append(ids, h.other), append(rels, h.rel)
			walk(h.other, left-1)
			ids, rels = ids[:len(ids)-1], rels[:len(rels)-1]
			onPath[h.other] = false
			if len(out) >= limit {
				return
			}
		}
	}
	for length := start; length <= q.MaxHops && len(out) < limit && err == nil; length++ {
		walk(q.From, length)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
