package embedded

import (
	"context"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// stepper says which relationships a walk may take from an entity.
type stepper struct {
	any bool
	out map[kg.RelType]bool // types that may be walked from From to To
	in  map[kg.RelType]bool // types that may be walked from To to From
}

// newStepper indexes a checked query's steps.
func newStepper(steps []store.Step) stepper {
	st := stepper{any: len(steps) == 0, out: map[kg.RelType]bool{}, in: map[kg.RelType]bool{}}
	for _, step := range steps {
		switch step.Direction {
		case kg.Out:
			st.out[step.Type] = true
		case kg.In:
			st.in[step.Type] = true
		default:
			st.out[step.Type], st.in[step.Type] = true, true
		}
	}
	return st
}

// Neighbourhood walks breadth-first from the roots, at most q.MaxHops relationships, taking
// only q.Steps. It returns the entities reached, every relationship taken from an entity
// closer than MaxHops (so every walk of at most MaxHops into a root is there), and their
// signals, all visible at q.AsOf.
func (s *Store) Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error) {
	st, at := newStepper(q.Steps), store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return kg.Snapshot{}, err
	}
	seen := map[string]bool{}
	var frontier []string
	for _, id := range q.Roots {
		if _, ok := s.entityAt(id, at); ok && !seen[id] {
			seen[id] = true
			frontier = append(frontier, id)
		}
	}
	if q.MaxEntities > 0 && len(seen) > q.MaxEntities {
		return kg.Snapshot{}, tooLarge(q.MaxEntities, 0)
	}
	taken := map[*relRec]bool{} // relationships walked
	for hop := 0; hop < q.MaxHops && len(frontier) > 0; hop++ {
		var next []string
		for i, id := range frontier {
			if err := stopped(ctx, i); err != nil {
				return kg.Snapshot{}, err
			}
			// One pass over each adjacency list; type and visibility need no map lookup.
			for _, dir := range [2]kg.Direction{kg.Out, kg.In} {
				allowed := st.out
				if dir == kg.In {
					allowed = st.in
				}
				for _, a := range s.adjacent(id, dir) {
					if (!st.any && !allowed[a.typ]) || !a.rel.visibleAt(at.AsOf, at.KnownAt) {
						continue
					}
					taken[a.rel] = true
					if !seen[a.other] {
						seen[a.other] = true
						next = append(next, a.other)
					}
				}
			}
		}
		if q.MaxEntities > 0 && len(seen) > q.MaxEntities {
			return kg.Snapshot{}, tooLarge(q.MaxEntities, hop+1)
		}
		frontier = next
	}
	// In no particular order: the risk engine, the one reader of large neighbourhoods, orders
	// what it compiles itself, and sorting strings here cost a quarter of the read.
	snap := kg.Snapshot{AsOf: at.AsOf, KnownAt: at.KnownAt, Entities: make([]kg.Entity, 0, len(seen)), Relationships: make([]kg.Relationship, 0, len(taken))}
	for id := range seen {
		e, _ := s.entityAt(id, at)
		snap.Entities = append(snap.Entities, e)
		snap.Signals = append(snap.Signals, s.signalsAt(id, at)...)
	}
	for r := range taken {
		row, _ := r.rows.at(at.AsOf, at.KnownAt)
		snap.Relationships = append(snap.Relationships, row)
	}
	return snap, nil
}

func tooLarge(limit, hops int) error {
	return kg.Invalid("maxEntities", "neighbourhood too large: more than %d entities within %d hops; narrow the walk", limit, hops)
}

// Paths returns up to q.First simple paths from q.From to q.To of at most q.MaxHops
// relationships, walked in either direction, ordered by length, then by the entity ids along
// the path, then by the relationship ids.
func (s *Store) Paths(ctx context.Context, q store.PathQuery) ([]store.Path, error) {
	limit, at := q.First, store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	types := map[kg.RelType]bool{}
	for _, t := range q.Types {
		types[t] = true
	}
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
		for _, a := range s.adjacent(id, kg.Both) {
			if len(types) > 0 && !types[a.typ] {
				continue
			}
			if r, ok := s.relAt(a.rel, at); ok {
				hs = append(hs, hop{r, a.other})
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
