package risk_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/synth"
)

// build compiles a synthetic graph through the Builder, without kg structs.
func build(b *testing.B, m *risk.Model, sg *synth.Graph) *risk.Graph {
	b.Helper()
	bd := risk.NewBuilder(m, len(sg.IDs), len(sg.Rels))
	for _, id := range sg.IDs {
		bd.Entity(id)
	}
	for _, r := range sg.Rels {
		bd.Edge(r.From, r.To, r.RelType(), r.Confidence())
	}
	for _, s := range sg.Signals {
		bd.Signal(s.ID, s.Entity, s.Dimension, s.Severity)
	}
	g, err := bd.Build()
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// cpuTime is the CPU time the process has used, user and system: a steadier measure than
// wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkWholeGraphPass scores 1,000,000 entities and 5,000,000 relationships, with
// signals on 1% of entities in 3 dimensions. Run with -bench WholeGraphPass -benchtime 3x.
func BenchmarkWholeGraphPass(b *testing.B) {
	if testing.Short() {
		b.Skip("huge setup")
	}
	m := risk.DefaultModel()
	sg := synth.GenerateGraph(synth.Config{Entities: 1_000_000, Relationships: 5_000_000, Seed: 1, SignalRate: 0.01})
	base := heapMB()
	t0 := time.Now()
	g := build(b, m, sg)
	compile := time.Since(t0)
	sg = nil
	graphMB := heapMB() - base
	var r *risk.Result
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		var err error
		r, err = g.Run(context.Background(), risk.Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(compile.Seconds(), "compile-s")
	b.ReportMetric(graphMB, "graph-MB")
	b.ReportMetric(heapMB()-base-graphMB, "result-MB")
	for _, d := range []kg.Dimension{kg.DimForeignInfluence, kg.DimRegulatory, kg.DimSanctions} {
		b.ReportMetric(float64(r.Reached(d)), "reached-"+string(d)[:3])
	}
	runtime.KeepAlive(g)
}

// upstream indexes a batch's relationships by entity, for neighbourhood reads.
type upstream struct {
	byTo, byFrom map[string][]int
	b            kg.Batch
	steps        []risk.Step
	sigs         map[string][]kg.RiskSignal
	ents         map[string]kg.Entity
}

func newUpstream(m *risk.Model, b kg.Batch) *upstream {
	u := &upstream{byTo: map[string][]int{}, byFrom: map[string][]int{}, b: b, steps: m.UpstreamSteps(),
		sigs: map[string][]kg.RiskSignal{}, ents: map[string]kg.Entity{}}
	for i, r := range b.Relationships {
		u.byTo[r.To] = append(u.byTo[r.To], i)
		u.byFrom[r.From] = append(u.byFrom[r.From], i)
	}
	for _, s := range b.Signals {
		u.sigs[s.EntityID] = append(u.sigs[s.EntityID], s)
	}
	for _, e := range b.Entities {
		u.ents[e.ID] = e
	}
	return u
}

// read does what a store's Neighbourhood read does: walk the upstream steps for hops.
func (u *upstream) read(root string, hops int) kg.Snapshot {
	seen := map[string]bool{root: true}
	taken := map[int]bool{}
	front := []string{root}
	var s kg.Snapshot
	for range hops {
		var next []string
		for _, x := range front {
			visit := func(i int, other string) {
				taken[i] = true
				if !seen[other] {
					seen[other] = true
					next = append(next, other)
				}
			}
			for _, i := range u.byTo[x] {
				if r := u.b.Relationships[i]; slices.Contains(u.steps, risk.Step{Type: r.Type, Dir: kg.In}) {
					visit(i, r.From)
				}
			}
			for _, i := range u.byFrom[x] {
				if r := u.b.Relationships[i]; slices.Contains(u.steps, risk.Step{Type: r.Type, Dir: kg.Out}) {
					visit(i, r.To)
				}
			}
		}
		front = next
	}
	for id := range seen {
		s.Entities = append(s.Entities, u.ents[id])
		s.Signals = append(s.Signals, u.sigs[id]...)
	}
	for i := range taken {
		s.Relationships = append(s.Relationships, u.b.Relationships[i])
	}
	return s
}

func percentiles(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	at := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) }
	b.ReportMetric(at(0.5), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkExposureOneEntity scores one entity (4 hops, every dimension, with explanations)
// from its upstream neighbourhood in a 100,000-entity graph, over a fixed sample of entities.
func BenchmarkExposureOneEntity(b *testing.B) {
	m := risk.DefaultModel()
	sg := synth.GenerateGraph(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 2, SignalRate: 0.01})
	batch := sg.Batch()
	u := newUpstream(m, batch)
	var nbs []kg.Snapshot
	var roots []string
	size := 0
	for i := 0; i < len(batch.Entities); i += len(batch.Entities) / 200 {
		id := batch.Entities[i].ID
		roots = append(roots, id)
		nb := u.read(id, 4)
		size += len(nb.Entities)
		nbs = append(nbs, nb)
	}
	var ds []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		j := i % len(nbs)
		t0 := time.Now()
		if _, err := risk.Exposure(context.Background(), m, nbs[j], roots[j], 4); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		i++
	}
	b.StopTimer()
	percentiles(b, ds)
	b.ReportMetric(float64(size)/float64(len(nbs)), "nb-entities")
}

// BenchmarkRunForOneEntity scores one entity on an already compiled 100,000-entity graph.
func BenchmarkRunForOneEntity(b *testing.B) {
	m := risk.DefaultModel()
	sg := synth.GenerateGraph(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 2, SignalRate: 0.01})
	g := build(b, m, sg)
	var ds []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		id := sg.IDs[(i*499)%len(sg.IDs)]
		t0 := time.Now()
		r, err := g.RunFor(context.Background(), id, risk.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Explain(id, kg.DimForeignInfluence); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		i++
	}
	b.StopTimer()
	percentiles(b, ds)
}

func ExampleExposure() {
	s := kg.Snapshot{
		Entities: []kg.Entity{
			{ID: "government:russia", Kind: kg.KindGovernment, Name: "Russian Federation"},
			{ID: "vendor:kaspersky-lab", Kind: kg.KindVendor, Name: "Kaspersky Lab"},
		},
		Relationships: []kg.Relationship{{Type: kg.RelHeadquarteredIn, From: "vendor:kaspersky-lab", To: "government:russia"}},
		Signals: []kg.RiskSignal{{ID: "signal:russia-intel", EntityID: "government:russia",
			Dimension: kg.DimForeignInfluence, Severity: 0.9}},
	}
	ex, err := risk.Exposure(context.Background(), risk.DefaultModel(), s, "vendor:kaspersky-lab", 0, kg.DimForeignInfluence)
	if err != nil {
		panic(err)
	}
	c := ex[0].Contributions[0]
	fmt.Printf("%.2f from %s via %s %s\n", ex[0].Score, c.Signal.ID, c.Chain[0].Type, c.Chain[0].Flow)
	// Output: 0.45 from signal:russia-intel via HEADQUARTERED_IN AGAINST
}
