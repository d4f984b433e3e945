package neo4jstore

import (
	"slices"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
	"riskgraph/internal/store/storetest"
)

// awaitBound asks for the signal bound of walks over steps looking for signals of dims
// until it is made for the store's data version.
func awaitBound(t *testing.T, s *Store, steps []store.Step, dims []kg.Dimension) map[string]uint8 {
	t.Helper()
	v, err := s.DataVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b := s.signalBound(v, steps, dims); b != nil {
			return b
		}
	}
	t.Fatalf("no signal bound for %v after 60 s", dims)
	return nil
}

// TestSignalBound checks the bound of Neo4j's exposure walks: it is never more than the
// fewest steps to a signal over every relationship and signal ever recorded (exactly that
// when any dimension will do), and exposure read from the walks it cuts is exposure read
// from the whole neighbourhood cut afterwards, on several dates as known now and before the
// second write, around the biggest hubs and a sample of the rest.
func TestSignalBound(t *testing.T) {
	s := openShared(t)
	between := storetest.WriteDatedGraph(t, s, 3)
	ctx := t.Context()
	all, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := risk.DefaultModel()
	degree := map[string]int{}
	for _, r := range all.Relationships {
		degree[r.From]++
		degree[r.To]++
	}
	var roots []string
	for _, e := range all.Entities {
		roots = append(roots, e.ID)
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)
	slices.SortStableFunc(roots, func(a, b string) int { return degree[b] - degree[a] })
	roots = append(roots[:10], roots[10:][:len(roots)/80]...)
	for _, dims := range [][]kg.Dimension{nil, {kg.DimForeignInfluence}, {kg.DimSanctions, kg.DimRegulatory}} {
		steps := storetest.UpstreamSteps(m, dims)
		got := awaitBound(t, s.raw, steps, dims)
		out, in, both := walkSides(steps)
		next := map[string][]string{} // x → y when a walk at x may step to y
		for _, r := range all.Relationships {
			if slices.Contains(out, r.Type) || slices.Contains(both, r.Type) {
				next[r.From] = append(next[r.From], r.To)
			}
			if slices.Contains(in, r.Type) || slices.Contains(both, r.Type) {
				next[r.To] = append(next[r.To], r.From)
			}
		}
		carries := map[string]bool{}
		for _, g := range all.Signals {
			if len(dims) == 0 || slices.Contains(dims, g.Dimension) {
				carries[g.EntityID] = true
			}
		}
		fewest := func(id string) int { // breadth-first from id to the nearest carrier
			seen, front := map[string]bool{id: true}, []string{id}
			for d := 0; len(front) > 0 && d < store.MaxHops; d++ {
				var more []string
				for _, x := range front {
					if carries[x] {
						return d
					}
					for _, y := range next[x] {
						if !seen[y] {
							seen[y] = true
							more = append(more, y)
						}
					}
				}
				front = more
			}
			return store.MaxHops
		}
		near := 0
		for _, e := range all.Entities {
			want := fewest(e.ID)
			d, ok := got[e.ID]
			bound := store.MaxHops
			if ok {
				bound = int(d)
			}
			if bound > want || (len(dims) == 0 && bound != want) {
				t.Fatalf("%v: bound of %s is %d, fewest steps %d", dims, e.ID, bound, want)
			}
			if want > 0 && want < store.MaxHops {
				near++
			}
		}
		if near == 0 {
			t.Fatalf("%v: no entity is a few steps from a signal: the graph tests too little", dims)
		}
		storetest.BoundedWalksKeepExposure(t, s, m, roots, dims,
			[]store.At{{AsOf: 20120601}, {AsOf: 20170601}, {AsOf: 20170601, KnownAt: between}})
	}
}
