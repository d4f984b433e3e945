package service_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"riskgraph/internal/benchutil"
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
)

// graph100k is a service over an embedded store holding the synthetic 100k-entity,
// 500k-relationship graph, shared by the benchmarks of this file.
var graph100k struct {
	once       sync.Once
	svc        *service.Service
	askable    []string // organisations and retailers: what analysts ask about
	directives []string
	err        error
}

func load100k(b *testing.B) (*service.Service, []string, []string) {
	if testing.Short() {
		b.Skip("builds a 100k-entity graph")
	}
	g := &graph100k
	g.once.Do(func() {
		dir, err := os.MkdirTemp("", "riskgraph-bench")
		if err != nil {
			g.err = err
			return
		}
		s, err := embedded.Open(filepath.Join(dir, "db"))
		if err != nil {
			g.err = err
			return
		}
		g.svc = service.New(s, risk.DefaultModel())
		batch := synth.Generate(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 7, SignalRate: 0.01})
		if _, g.err = g.svc.Load(context.Background(), batch, service.LoadOptions{BatchSize: 50_000, Workers: 1}); g.err != nil {
			return
		}
		for _, e := range batch.Entities {
			switch e.Kind {
			case kg.KindOrganization, kg.KindRetailer:
				g.askable = append(g.askable, e.ID)
			case kg.KindDirective:
				g.directives = append(g.directives, e.ID)
			}
		}
		// Time serving, not the loader's garbage: a server does not hold the generated batch.
		batch = kg.Batch{}
		runtime.GC()
	})
	if g.err != nil {
		b.Fatal(g.err)
	}
	return g.svc, g.askable, g.directives
}

// BenchmarkExposure measures one entity's exposure at the default hop cap (6): the
// neighbourhood read from the embedded store plus scoring and explanation, in one dimension
// and in every dimension, on the 100k-entity graph. Goal: p99 < 20 ms.
func BenchmarkExposure(b *testing.B) {
	ctx := context.Background()
	svc, ids, _ := load100k(b)
	for _, tc := range []struct {
		name string
		dims []kg.Dimension
	}{
		{"one-dimension", []kg.Dimension{kg.DimForeignInfluence}}, // the exposure query
		{"all-dimensions", nil},                                   // Entity.risk
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat benchutil.Latencies
			for i := 0; b.Loop(); i++ {
				id := ids[i*7919%len(ids)]
				lat.Time(func() {
					if _, err := svc.Exposures(ctx, service.ExposureQuery{IDs: []string{id}, Dimensions: tc.dims}); err != nil {
						b.Fatal(err)
					}
				})
			}
			lat.Report(b)
		})
	}
}

// BenchmarkCoverage measures what a directive covers (targets, control within the hop cap,
// products, the 50% rule) on the 100k-entity graph. Goal: under 200 ms.
func BenchmarkCoverage(b *testing.B) {
	ctx := context.Background()
	svc, _, directives := load100k(b)
	var lat benchutil.Latencies
	covered := 0
	for i := 0; b.Loop(); i++ {
		id := directives[i%len(directives)]
		lat.Time(func() {
			c, err := svc.Coverage(ctx, id, service.At{})
			if err != nil {
				b.Fatal(err)
			}
			covered += len(c.Entities)
		})
	}
	lat.Report(b)
	b.ReportMetric(float64(covered)/float64(b.N), "covered/op")
}
