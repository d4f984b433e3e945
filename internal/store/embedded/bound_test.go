package embedded

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
	"riskgraph/internal/store/storetest"
	"riskgraph/internal/synth"
)

// awaitBound asks for the signal bound of walks st looking for signals of dims until it is
// made.
func awaitBound(t *testing.T, s *Store, st stepper, dims []kg.Dimension) []uint8 {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.RLock()
		b := s.signalBound(st, dims)
		s.mu.RUnlock()
		if b != nil {
			return b
		}
	}
	t.Fatalf("no signal bound for %v after 20 s", dims)
	return nil
}

// boundGraph opens a store holding storetest.WriteDatedGraph's graph and returns it with a
// recorded time between its two writes.
func boundGraph(t *testing.T, seed uint64) (*Store, kg.Stamp) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "riskgraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, storetest.WriteDatedGraph(t, s, seed)
}

// TestSignalBoundIsTheFewestStepsEver checks a bound against a plain breadth-first search
// over every relationship and signal the store ever recorded.
func TestSignalBoundIsTheFewestStepsEver(t *testing.T) {
	s, _ := boundGraph(t, 3)
	ctx := t.Context()
	all, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := risk.DefaultModel()
	for _, dims := range [][]kg.Dimension{nil, {kg.DimForeignInfluence}, {kg.DimSanctions, kg.DimRegulatory}} {
		steps := storetest.UpstreamSteps(m, dims)
		st := newStepper(steps)
		got := awaitBound(t, s, st, dims)
		// x → y when a walk at x may step to y.
		next := map[string][]string{}
		for _, r := range all.Relationships {
			if slices.Contains(st.out, r.Type) {
				next[r.From] = append(next[r.From], r.To)
			}
			if slices.Contains(st.in, r.Type) {
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
			for d := 0; len(front) > 0; d++ {
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
			return farBound
		}
		kinds := map[int]int{}
		for id, rec := range s.ents {
			want := fewest(id)
			if int(got[rec.seq]) != want {
				t.Fatalf("%v: bound of %s is %d, want %d", dims, id, got[rec.seq], want)
			}
			kinds[min(want, 3)]++
		}
		if kinds[0] == 0 || kinds[1] == 0 || kinds[2] == 0 || kinds[3] == 0 {
			t.Errorf("%v: bounds by distance (3 = 3 or more) %v: the graph tests too little", dims, kinds)
		}
	}
}

// TestSignalBoundChangesNoExposure compares exposure read from the walks the bound cuts with
// exposure read from the whole neighbourhood, cut afterwards, on several dates as known now
// and before the second write, around the biggest hubs and a sample of the rest.
func TestSignalBoundChangesNoExposure(t *testing.T) {
	m := risk.DefaultModel()
	for _, seed := range []uint64{1, 2} {
		s, between := boundGraph(t, seed)
		var roots []string
		for id := range s.ents {
			roots = append(roots, id)
		}
		degree := func(id string) int { return len(s.ents[id].in) + len(s.ents[id].out) }
		slices.SortFunc(roots, func(a, b string) int { return degree(b) - degree(a) })
		roots = append(roots[:10], roots[10:][:len(roots)/40]...)
		for _, dims := range [][]kg.Dimension{nil, {kg.DimForeignInfluence}, {kg.DimSanctions}} {
			steps := storetest.UpstreamSteps(m, dims)
			awaitBound(t, s, newStepper(steps), dims)
			storetest.BoundedWalksKeepExposure(t, s, m, roots, dims,
				[]store.At{{AsOf: 20120601}, {AsOf: 20150601}, {AsOf: 20170601}, {AsOf: 20170601, KnownAt: between}})
		}
	}
}

// BenchmarkSignalBound makes the bound of exposure walks looking for every dimension in the
// 100k-entity, 500k-relationship synthetic graph: the time a write costs before walks are
// bounded again. Run with: go test -run '^$' -bench SignalBound -benchtime 5x ./internal/store/embedded/
func BenchmarkSignalBound(b *testing.B) {
	if testing.Short() {
		b.Skip("writes a 100k-entity graph")
	}
	s, err := Open(filepath.Join(b.TempDir(), "riskgraph.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	batch := synth.Generate(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 7, SignalRate: 0.01})
	if _, err := s.Apply(b.Context(), batch, "bench"); err != nil {
		b.Fatal(err)
	}
	st := newStepper(storetest.UpstreamSteps(risk.DefaultModel(), nil))
	k := newBoundKey(st, nil)
	s.bounds.made, s.bounds.building = map[boundKey]*signalBound{}, map[boundKey]bool{}
	b.ReportAllocs()
	for b.Loop() {
		s.makeBound(k, st, nil)
	}
	if s.bounds.made[k] == nil {
		b.Fatal("no bound made")
	}
}
