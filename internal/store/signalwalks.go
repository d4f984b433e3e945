package store

import (
	"slices"

	"riskgraph/internal/kg"
)

// SignalWalkCut is the rule behind NeighbourhoodQuery.SignalWalks, over a walked
// neighbourhood numbered 0..len(hop)-1: hop[i] is entity i's distance from the nearest root
// (0 for the roots), arcs are the steps the walk took, each from the entity it stood at to
// the entity it reached, and signal[i] says whether entity i carries a signal. It reports
// which entities to keep: the roots, and every entity i with hop[i] + up[i] <= maxHops, where
// up[i] is the fewest steps of the walk from i to an entity carrying a signal.
//
// Why the cut is exact for the risk engine: risk reaches a root along a chain of at most
// maxHops steps that starts at a signal, and every entity on such a chain passes the test
// (its distance to the root and to the signal add up to at most the chain's length). The
// label of an entity at distance d after round t <= maxHops-d, the only rounds that reach a
// root in time, depends only on chains of at most t steps into it, whose entities all pass
// too. So relaxing over the kept entities and the relationships between them gives each
// root the labels, scores and chains the whole neighbourhood gives it.
func SignalWalkCut(hop []int32, arcs [][2]int32, signal []bool, maxHops int) []bool {
	n := len(hop)
	// The walk's steps by the entity they reached: a signal's risk travels them backwards.
	start := make([]int32, n+1)
	for _, a := range arcs {
		start[a[1]+1]++
	}
	for i := range n {
		start[i+1] += start[i]
	}
	near := make([]int32, len(arcs))
	fill := append([]int32(nil), start[:n]...)
	for _, a := range arcs {
		near[fill[a[1]]] = a[0]
		fill[a[1]]++
	}
	up := make([]int32, n)
	var frontier []int32
	for i := range n {
		up[i] = -1
		if signal[i] {
			up[i] = 0
			frontier = append(frontier, int32(i))
		}
	}
	for h := int32(1); int(h) <= maxHops && len(frontier) > 0; h++ {
		var next []int32
		for _, x := range frontier {
			for _, y := range near[start[x]:start[x+1]] {
				// y is farther from a signal than x; it can matter only if it is close
				// enough to a root too.
				if up[y] < 0 && int(hop[y]+h) <= maxHops {
					up[y] = h
					next = append(next, y)
				}
			}
		}
		frontier = next
	}
	keep := make([]bool, n)
	for i := range n {
		keep[i] = hop[i] == 0 || up[i] >= 0 && int(hop[i]+up[i]) <= maxHops
	}
	return keep
}

// CutToSignalWalks applies SignalWalkCut to a neighbourhood read without it: it walks snap
// again from q's roots, as q walks (snap holds only facts visible at q's moment), and keeps
// the roots, the entities the cut keeps, the relationships between them and their signals.
// For a backend that reads the whole neighbourhood and then cuts it in this process.
func CutToSignalWalks(snap kg.Snapshot, q NeighbourhoodQuery) kg.Snapshot {
	type step struct {
		t   kg.RelType
		dir kg.Direction
	}
	walks := map[step]bool{}
	for _, st := range q.Steps {
		if st.Direction != kg.In {
			walks[step{st.Type, kg.Out}] = true
		}
		if st.Direction != kg.Out {
			walks[step{st.Type, kg.In}] = true
		}
	}
	may := func(t kg.RelType, dir kg.Direction) bool { return len(q.Steps) == 0 || walks[step{t, dir}] }
	// The relationships by the entity a walk stands at, with the entity it reaches.
	type arc struct {
		rel int
		far string
	}
	from := map[string][]arc{}
	for i, r := range snap.Relationships {
		if may(r.Type, kg.Out) {
			from[r.From] = append(from[r.From], arc{i, r.To})
		}
		if may(r.Type, kg.In) {
			from[r.To] = append(from[r.To], arc{i, r.From})
		}
	}
	present := make(map[string]bool, len(snap.Entities))
	for _, e := range snap.Entities {
		present[e.ID] = true
	}
	index := map[string]int32{}
	var ids []string
	var hop []int32
	reach := func(id string, h int32) int32 {
		i, ok := index[id]
		if !ok {
			i = int32(len(ids))
			index[id] = i
			ids, hop = append(ids, id), append(hop, h)
		}
		return i
	}
	for _, id := range q.Roots {
		if present[id] {
			reach(id, 0)
		}
	}
	var arcs [][2]int32
	walked := map[int][2]int32{} // relationship -> its ends' places, once walked
	for h, first := int32(0), 0; int(h) < q.MaxHops && first < len(ids); h++ {
		last := len(ids)
		for i := first; i < last; i++ {
			for _, a := range from[ids[i]] {
				if !present[a.far] {
					continue
				}
				j := reach(a.far, h+1)
				arcs = append(arcs, [2]int32{int32(i), j})
				walked[a.rel] = [2]int32{int32(i), j}
			}
		}
		first = last
	}
	carries := make([]bool, len(ids))
	for _, g := range snap.Signals {
		if i, ok := index[g.EntityID]; ok && (len(q.SignalDimensions) == 0 || slices.Contains(q.SignalDimensions, g.Dimension)) {
			carries[i] = true
		}
	}
	keep := SignalWalkCut(hop, arcs, carries, q.MaxHops)
	kept := func(id string) bool {
		i, ok := index[id]
		return ok && keep[i]
	}
	out := kg.Snapshot{AsOf: snap.AsOf, KnownAt: snap.KnownAt, Entities: []kg.Entity{}, Relationships: []kg.Relationship{}}
	for _, e := range snap.Entities {
		if kept(e.ID) {
			out.Entities = append(out.Entities, e)
		}
	}
	for i, r := range snap.Relationships {
		if ends, ok := walked[i]; ok && keep[ends[0]] && keep[ends[1]] {
			out.Relationships = append(out.Relationships, r)
		}
	}
	for _, g := range snap.Signals {
		if kept(g.EntityID) {
			out.Signals = append(out.Signals, g)
		}
	}
	return out
}
