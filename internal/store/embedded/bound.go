package embedded

import (
	"slices"
	"sync"

	"riskgraph/internal/kg"
)

// A signal bound serves the walks of exposure reads (NeighbourhoodQuery.SignalWalks): for
// each entity, by entityRec.seq, a lower bound on the steps a walk of one kind needs from it
// to an entity carrying a signal of some dimensions. It is the fewest such steps over every
// relationship and signal ever recorded, whatever their dates: the facts visible on any day
// as known at any time are a subset of those, so no day's walk is shorter. A walk standing h
// steps from its roots then leaves out an entity whose bound is more than MaxHops-h-1 away:
// no walk of at most MaxHops from a signal to a root passes there, so it is one the cut
// (store.SignalWalkCut) would drop anyway, and around a hub most of the neighbourhood is
// never read.
//
// A bound is made in the background by a breadth-first walk back from the signals, the
// first time a kind of walk asks for it, and holds until the next write that changes a fact;
// walks made before it is ready, or after such a write, read the whole neighbourhood as
// before. It takes a byte per entity.
type signalBound struct {
	facts uint64  // Store.facts when it was made
	dist  []uint8 // by entityRec.seq; farBound = no signal reachable
}

// farBound is the distance of an entity from which no signal can be reached, and the cap of
// every other (a walk is at most store.MaxHops long, far below it).
const farBound = 255

// boundKey names a kind of walk: the ranks of the types walked each way, and the dimensions
// of the signals it looks for (none: every dimension).
type boundKey struct {
	out, in, dims string
}

// maxBounds is how many kinds of walk keep a bound: one per set of dimensions asked for,
// and there are few.
const maxBounds = 8

// bounds holds the signal bounds of a store.
type bounds struct {
	mu       sync.Mutex
	made     map[boundKey]*signalBound
	order    []boundKey // made and making, oldest first
	building map[boundKey]bool
}

func newBoundKey(st stepper, dims []kg.Dimension) boundKey {
	ds := make([]string, len(dims))
	for i, d := range dims {
		ds[i] = string(d)
	}
	slices.Sort(ds)
	ds = slices.Compact(ds)
	k := boundKey{out: string(st.outRank), in: string(st.inRank)}
	for _, d := range ds {
		k.dims += d + ","
	}
	return k
}

// signalBound returns the current bound of walks st looking for signals of dims, or nil
// when there is none yet; then it starts making one. Callers hold s.mu for reading.
func (s *Store) signalBound(st stepper, dims []kg.Dimension) []uint8 {
	if st.any {
		return nil
	}
	k := newBoundKey(st, dims)
	s.bounds.mu.Lock()
	defer s.bounds.mu.Unlock()
	if b := s.bounds.made[k]; b != nil && b.facts == s.facts {
		return b.dist
	}
	if !s.bounds.building[k] {
		if s.bounds.building == nil {
			s.bounds.made, s.bounds.building = map[boundKey]*signalBound{}, map[boundKey]bool{}
		}
		s.bounds.building[k] = true
		go s.makeBound(k, st, slices.Clone(dims))
	}
	return nil
}

// boundChunk is how many entities of a front makeBound reads under one hold of the read
// lock: a writer waits for at most that much of the walk, not all of it.
const boundChunk = 4096

// makeBound makes the bound of walks st looking for signals of dims and keeps it under k.
// It gives up when a write changes a fact before it is done, or the store closes.
func (s *Store) makeBound(k boundKey, st stepper, dims []kg.Dimension) {
	var b *signalBound
	defer func() {
		s.bounds.mu.Lock()
		defer s.bounds.mu.Unlock()
		delete(s.bounds.building, k)
		if b == nil || s.bounds.made == nil { // given up, or the store closed
			return
		}
		if s.bounds.made[k] == nil {
			s.bounds.order = append(s.bounds.order, k)
			if len(s.bounds.order) > maxBounds {
				delete(s.bounds.made, s.bounds.order[0])
				s.bounds.order = s.bounds.order[1:]
			}
		}
		s.bounds.made[k] = b
	}()
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return
	}
	facts := s.facts
	dist := make([]uint8, len(s.ents))
	for i := range dist {
		dist[i] = farBound
	}
	var front []*entityRec
	for id, sigIDs := range s.sigsOf {
		rec := s.ents[id]
		if rec == nil || !s.carries(id, sigIDs, dims) {
			continue
		}
		dist[rec.seq] = 0
		front = append(front, rec)
	}
	s.mu.RUnlock()
	// Back from the signals: an entity x is one step from y when a walk standing at x may
	// take a relationship to y, that is one of x's out-runs the walk takes ends at y (one of
	// y's in-runs of those types), or one of its in-runs starts at y.
	for d := uint8(1); len(front) > 0 && d < farBound; d++ {
		var next []*entityRec
		for lo := 0; lo < len(front); lo += boundChunk {
			s.mu.RLock()
			if s.closed || s.facts != facts {
				s.mu.RUnlock()
				return
			}
			for _, y := range front[lo:min(lo+boundChunk, len(front))] {
				step := func(list []adj, ranks []uint8) {
					for _, r := range ranks {
						for _, a := range ofRank(list, r) {
							if dist[a.far] == farBound {
								dist[a.far] = d
								next = append(next, s.tab.farRec(a))
							}
						}
					}
				}
				step(y.in, st.outRank)
				step(y.out, st.inRank)
			}
			s.mu.RUnlock()
		}
		front = next
	}
	b = &signalBound{facts: facts, dist: dist}
}

// carries reports whether some row of one of the signals sigIDs on entity id is of one of
// dims (any, when dims is empty). Callers hold s.mu.
func (s *Store) carries(id string, sigIDs []string, dims []kg.Dimension) bool {
	for _, gid := range sigIDs {
		g := s.sigs[gid]
		if g == nil {
			continue
		}
		for _, row := range g.rows {
			if row.EntityID == id && (len(dims) == 0 || slices.Contains(dims, row.Dimension)) {
				return true
			}
		}
	}
	return false
}
