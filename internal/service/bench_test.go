package service_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"riskgraph/internal/benchutil"
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
)

// BenchmarkExposure4Hops measures one entity's exposure (neighbourhood read from the embedded
// store plus scoring and explanation, every dimension) on a 100k-entity graph. Goal: p99 < 20 ms.
func BenchmarkExposure4Hops(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100k-entity graph")
	}
	ctx := context.Background()
	s, err := embedded.Open(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	defer svc.Close()
	batch := synth.Generate(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 7, SignalRate: 0.01})
	if _, err := svc.Load(ctx, batch, service.LoadOptions{BatchSize: 50_000, Workers: 1}); err != nil {
		b.Fatal(err)
	}
	// Ask about the kinds an analyst asks about: organisations and retailers.
	var ids []string
	for _, e := range batch.Entities {
		if e.Kind == kg.KindOrganization || e.Kind == kg.KindRetailer {
			ids = append(ids, e.ID)
		}
	}
	if os.Getenv("RISKGRAPH_BENCH_VERBOSE") != "" {
		b.Logf("%d candidate entities", len(ids))
	}
	// Time serving, not the loader's garbage: a server does not hold the generated batch.
	batch = kg.Batch{}
	runtime.GC()
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
					if _, err := svc.Exposures(ctx, service.ExposureQuery{IDs: []string{id}, Dimensions: tc.dims, MaxHops: 4}); err != nil {
						b.Fatal(err)
					}
				})
			}
			lat.Report(b)
		})
	}
}
