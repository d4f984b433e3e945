package embedded_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
)

// Run with: go test -run '^$' -bench . -benchtime 20000x ./internal/store/embedded/

var words = []string{"kaspersky", "lab", "acme", "global", "systems", "security", "federal", "data", "cloud",
	"networks", "holdings", "trust", "north", "eastern", "digital", "labs", "group", "soft", "antivirus", "defence"}

// namedBatch makes n vendors with two- or three-word names, an alias and a description.
func namedBatch(n int) kg.Batch {
	var b kg.Batch
	for i := range n {
		w := func(k int) string { return words[(i/k)%len(words)] }
		name := w(1) + " " + w(len(words))
		if i%3 == 0 {
			name += " " + w(7)
		}
		b.Entities = append(b.Entities, kg.Entity{
			ID: fmt.Sprintf("vendor:b%05d", i), Kind: kg.KindVendor, Name: name,
			Aliases:     []string{fmt.Sprintf("%s %d", w(3), i)},
			Description: "supplier of " + w(5) + " and " + w(11) + " services",
		})
	}
	return b
}

// openBench opens a store holding batch, used through store.Checked as the service uses it.
func openBench(b *testing.B, batch kg.Batch) *store.Checked {
	b.Helper()
	raw, err := embedded.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	s := store.Check(raw)
	b.Cleanup(func() { s.Close() })
	if _, err := s.Apply(context.Background(), batch, "bench"); err != nil {
		b.Fatal(err)
	}
	return s
}

// timed runs op b.N times and reports the median and 99th percentile of one call.
func timed(b *testing.B, op func(i int) error) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		err := op(i)
		durs = append(durs, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(durs)
	pct := func(p float64) float64 { return float64(durs[int(p*float64(len(durs)-1))].Nanoseconds()) }
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
}

func BenchmarkEntity(b *testing.B) {
	batch := namedBatch(5000)
	s := openBench(b, batch)
	ctx := context.Background()
	timed(b, func(i int) error {
		id := batch.Entities[i*7919%len(batch.Entities)].ID
		got, err := s.Entities(ctx, []string{id}, store.At{})
		if err == nil && len(got) != 1 {
			err = fmt.Errorf("%s not found", id)
		}
		return err
	})
}

func BenchmarkSearch(b *testing.B) {
	s := openBench(b, namedBatch(5000))
	ctx := context.Background()
	queries := []string{"kaspersky", "acme global", "sec", "federal data", "cloud networks holdings", "antivirus 42"}
	timed(b, func(i int) error {
		p, err := s.Search(ctx, store.SearchQuery{Text: queries[i%len(queries)]})
		if err == nil && len(p.Items) == 0 {
			err = fmt.Errorf("no hits for %q", queries[i%len(queries)])
		}
		return err
	})
}

// BenchmarkListByName reads pages of 20 vendors by name, from the start and from cursors
// spread over the list: each starts where the index walk finds its cursor.
func BenchmarkListByName(b *testing.B) {
	batch := namedBatch(5000)
	s := openBench(b, batch)
	ctx := context.Background()
	timed(b, func(i int) error {
		q := store.ListQuery{Kind: kg.KindVendor, Order: store.ByName, Page: store.Page{First: 20}}
		if i%2 == 1 {
			e := batch.Entities[i*7919%len(batch.Entities)]
			q.Page.After = store.EncodeCursor(store.NameOrderKey(e.Name), e.ID)
		}
		p, err := s.List(ctx, q)
		if err == nil && q.Page.After == "" && len(p.Items) != 20 {
			err = fmt.Errorf("the first page holds %d vendors, want 20", len(p.Items))
		}
		return err
	})
}

// BenchmarkNeighbourhood reads 4-hop neighbourhoods in a synthetic graph of 5,000 entities
// and 15,000 relationships (no Steps, so every relationship is walked both ways).
func BenchmarkNeighbourhood(b *testing.B) {
	batch := synth.Generate(synth.Config{Entities: 5000, Relationships: 15000, Seed: 7, SignalRate: 0.1})
	s := openBench(b, batch)
	ctx := context.Background()
	steps := []store.Step{{Type: kg.RelUses, Direction: kg.Out}, {Type: kg.RelMakes, Direction: kg.In},
		{Type: kg.RelOwnedBy, Direction: kg.Out}, {Type: kg.RelHeadquarteredIn, Direction: kg.Out},
		{Type: kg.RelAppliesTo, Direction: kg.In}, {Type: kg.RelEnacted, Direction: kg.In}}
	timed(b, func(i int) error {
		root := batch.Entities[i*7919%len(batch.Entities)].ID
		_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{root}, Steps: steps, MaxHops: 4})
		return err
	})
}

// BenchmarkStoreFileVersions writes the 100k-entity, 500k-relationship synthetic graph, then
// gives every entity four more versions (a new name from each of four dates), and reports the
// store file's size after each: the cost of keeping every version. Goal: under 2× the file
// of the graph with one version per fact.
func BenchmarkStoreFileVersions(b *testing.B) {
	if testing.Short() {
		b.Skip("writes a 100k-entity graph")
	}
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "size.db")
		raw, err := embedded.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s := store.Check(raw)
		ctx := context.Background()
		g := synth.Generate(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 7, SignalRate: 0.01})
		if _, err := s.Load(ctx, g, "bench", store.LoadOptions{BatchSize: 50_000, Workers: 1}); err != nil {
			b.Fatal(err)
		}
		size := func() float64 {
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			return float64(st.Size())
		}
		one := size()
		for v := 1; v <= 4; v++ {
			ents := slices.Clone(g.Entities)
			for i := range ents {
				ents[i].Name = fmt.Sprintf("%s (name %d)", g.Entities[i].Name, v)
				ents[i].Validity.From = kg.NewDate(2000+v, 1, 1)
			}
			for part := range slices.Chunk(ents, 50_000) {
				if _, err := s.Apply(ctx, kg.Batch{Entities: part}, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		}
		five := size()
		b.ReportMetric(one/1e6, "MB-one-version")
		b.ReportMetric(five/1e6, "MB-five-versions")
		b.ReportMetric(five/one, "ratio")
		s.Close()
	}
}
