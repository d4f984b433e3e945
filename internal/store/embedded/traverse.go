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
	any     bool
	out, in []kg.RelType // types that may be walked from From to To, and from To to From
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
	list, types := e.out, st.out
	if dir == kg.In {
		list, types = e.in, st.in
	}
	if st.any {
		for _, a := range list {
			fn(a)
		}
		return
	}
	for _, t := range types {
		for _, a := range ofType(list, t) {
			fn(a)
		}
	}
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
	// reached is an entity the walk came to: its id and record.
	type reached struct {
		id  string
		rec *entityRec
	}
	seen := map[*entityRec]bool{}
	var frontier, all []reached
	for _, id := range q.Roots {
		if rec := s.ents[id]; rec != nil && rec.visible(at.AsOf, at.KnownAt) && !seen[rec] {
			seen[rec] = true
			frontier = append(frontier, reached{id, rec})
		}
	}
	if q.MaxEntities > 0 && len(seen) > q.MaxEntities {
		return kg.Snapshot{}, tooLarge(q.MaxEntities, 0)
	}
	all = append(all, frontier...)
	var taken []*relRec // relationships walked
	var met map[*relRec]bool
	if st.twoWay() {
		met = map[*relRec]bool{}
	}
	for hop := 0; hop < q.MaxHops && len(frontier) > 0; hop++ {
		var next []reached
		for i, x := range frontier {
			if err := stopped(ctx, i); err != nil {
				return kg.Snapshot{}, err
			}
			for _, dir := range [2]kg.Direction{kg.Out, kg.In} {
				st.each(x.rec, dir, func(a adj) {
					if !a.rel.visibleAt(at.AsOf, at.KnownAt) {
						return
					}
					if met == nil || !met[a.rel] {
						if met != nil {
							met[a.rel] = true
						}
						taken = append(taken, a.rel)
					}
					other := a.rel.to
					if dir == kg.In {
						other = a.rel.from
					}
					if !seen[other] {
						seen[other] = true
						next = append(next, reached{other.id(), other})
					}
				})
			}
		}
		if q.MaxEntities > 0 && len(seen) > q.MaxEntities {
			return kg.Snapshot{}, tooLarge(q.MaxEntities, hop+1)
		}
		all = append(all, next...)
		frontier = next
	}
	// In no particular order: the risk engine, the one reader of large neighbourhoods, orders
	// what it compiles itself, and sorting strings here cost a quarter of the read.
	snap := kg.Snapshot{AsOf: at.AsOf, KnownAt: at.KnownAt, Entities: make([]kg.Entity, 0, len(all)), Relationships: make([]kg.Relationship, 0, len(taken))}
	for _, x := range all {
		var e kg.Entity
		if q.Lean {
			e.ID, e.Kind = x.id, kindOf(x.id)
		} else {
			e, _ = x.rec.rows.at(at.AsOf, at.KnownAt)
		}
		snap.Entities = append(snap.Entities, e)
		snap.Signals = append(snap.Signals, s.signalsAt(x.id, at)...)
	}
	for _, r := range taken {
		row, _ := r.rows.at(at.AsOf, at.KnownAt)
		snap.Relationships = append(snap.Relationships, row)
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
				if r, ok := s.relAt(a.rel, at); ok {
					hs = append(hs, hop{r, a.other()})
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
