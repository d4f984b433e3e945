package neo4jstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
	"riskgraph/internal/synth"
)

// benchGraph is the synthetic graph the benchmarks import: 20k entities, 100k relationships.
var benchGraph = synth.Config{Entities: 20_000, Relationships: 100_000, Seed: 7, SignalRate: 0.05}

// importGraph writes b in Apply calls of 20k rows, one at a time, as a simple loader would.
func importGraph(tb testing.TB, s testStore, b kg.Batch) {
	tb.Helper()
	if _, err := s.Load(context.Background(), b, "bench", store.LoadOptions{BatchSize: 20_000, Workers: 1}); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkImport measures the bulk import rate into an empty database, after one import
// that warms the server's JIT up. Run with e.g. -benchtime=3x.
func BenchmarkImport(b *testing.B) {
	s := openShared(b)
	g := synth.Generate(benchGraph)
	importGraph(b, s, g) // warm the JVM up: the first imports run on interpreted code
	var rels int
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		wipe(b, s.raw)
		b.StartTimer()
		began := time.Now()
		importGraph(b, s, g)
		spent += time.Since(began)
		rels += len(g.Relationships)
	}
	b.ReportMetric(float64(rels)/spent.Seconds(), "rels/s")
}

// latencies runs op over and over and reports its p50 and p99.
func latencies(b *testing.B, op func(i int) error) {
	var ds []time.Duration
	i := 0
	for b.Loop() {
		began := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(began))
		i++
	}
	slices.Sort(ds)
	pct := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// loadedStore is a store holding the benchmark graph, imported once per benchmark binary.
func loadedStore(b *testing.B) (testStore, kg.Batch) {
	s := openShared(b)
	g := synth.Generate(benchGraph)
	importGraph(b, s, g)
	return s, g
}

// BenchmarkEntities reads 20 random entities by id per call.
func BenchmarkEntities(b *testing.B) {
	s, g := loadedStore(b)
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	latencies(b, func(int) error {
		ids := make([]string, 20)
		for j := range ids {
			ids[j] = g.Entities[rng.IntN(len(g.Entities))].ID
		}
		_, err := s.Entities(ctx, ids, store.AsOf(0))
		return err
	})
}

// BenchmarkRelationships reads one page of relationships for 50 random entities per call.
func BenchmarkRelationships(b *testing.B) {
	s, g := loadedStore(b)
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	latencies(b, func(int) error {
		ids := make([]string, 50)
		for j := range ids {
			ids[j] = g.Entities[rng.IntN(len(g.Entities))].ID
		}
		_, err := s.Relationships(ctx, store.RelQuery{EntityIDs: ids})
		return err
	})
}

// BenchmarkSearch runs fulltext searches for name prefixes and whole words.
func BenchmarkSearch(b *testing.B) {
	s, _ := loadedStore(b)
	ctx := context.Background()
	terms := []string{"vendor 12", "product", "agency 3", "organization 77", "law"}
	latencies(b, func(i int) error {
		_, err := s.Search(ctx, store.SearchQuery{Text: terms[i%len(terms)], Page: store.Page{First: 20}})
		return err
	})
}

// BenchmarkNeighbourhood reads the 2-hop neighbourhood of a random entity.
func BenchmarkNeighbourhood(b *testing.B) {
	s, g := loadedStore(b)
	rng := rand.New(rand.NewPCG(5, 6))
	ctx := context.Background()
	latencies(b, func(int) error {
		root := g.Entities[rng.IntN(len(g.Entities))].ID
		_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{root}, MaxHops: 2})
		if err != nil {
			return fmt.Errorf("neighbourhood of %s: %w", root, err)
		}
		return nil
	})
}
