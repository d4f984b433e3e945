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
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
)

// graph100k is a service over an embedded store holding the synthetic 100k-entity,
// 500k-relationship graph, shared by the benchmarks of this file.
var graph100k struct {
	once       sync.Once
	store      *embedded.Store
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
		g.store, g.svc = s, service.New(s, risk.DefaultModel())
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

// BenchmarkExposure measures one entity's exposure at the default hop cap (6) on the 100k-entity
// graph, in one dimension (the exposure query) and in every dimension (Entity.risk). Goal:
// p99 < 20 ms.
//   - present: reads of the present moment, as analysts make them, once the whole-graph pass
//     the first of them starts in the background has finished: each is answered from it.
//   - walk: reads of a date no pass was made for (like every read after a write until the
//     pass is warm again): each reads its upstream neighbourhood from the embedded store, then
//     compiles and scores it.
func BenchmarkExposure(b *testing.B) {
	ctx := context.Background()
	svc, ids, _ := load100k(b)
	for _, tc := range []struct {
		name string
		dims []kg.Dimension
		at   service.At
	}{
		{"present/one-dimension", []kg.Dimension{kg.DimForeignInfluence}, service.At{}},
		{"present/all-dimensions", nil, service.At{}},
		{"walk/one-dimension", []kg.Dimension{kg.DimForeignInfluence}, service.AsOf(20250101)},
		{"walk/all-dimensions", nil, service.AsOf(20250101)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if tc.at == (service.At{}) { // warm the pass, and wait for it
				if _, err := svc.Exposures(ctx, service.ExposureQuery{IDs: ids[:1]}); err != nil {
					b.Fatal(err)
				}
				if _, err := svc.Ranking(ctx, service.RankingQuery{Dimension: kg.DimRegulatory, Page: store.Page{First: 1}}); err != nil {
					b.Fatal(err)
				}
			}
			var lat benchutil.Latencies
			for i := 0; b.Loop(); i++ {
				id := ids[i*7919%len(ids)]
				lat.Time(func() {
					if _, err := svc.Exposures(ctx, service.ExposureQuery{IDs: []string{id}, Dimensions: tc.dims, At: tc.at}); err != nil {
						b.Fatal(err)
					}
				})
			}
			lat.Report(b)
		})
	}
}

// BenchmarkSnapshotRead measures reading back a stored snapshot of every score on the
// 100k-entity graph (about 111k rows) in a service that has not read it before, as a nightly
// run reads the previous night's snapshot to compare with.
func BenchmarkSnapshotRead(b *testing.B) {
	ctx := context.Background()
	svc, _, _ := load100k(b)
	snap, _, err := svc.RecordSnapshot(ctx, 20160101, 0)
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	for b.Loop() {
		fresh := service.New(graph100k.store, risk.DefaultModel()) // nothing decoded yet; not closed: it shares the store
		n := 0
		if err := fresh.SnapshotScores(ctx, snap.ID, func(_ kg.Dimension, s []report.Score) error { n += len(s); return nil }); err != nil {
			b.Fatal(err)
		}
		if n != snap.Scores {
			b.Fatalf("read %d scores of %d", n, snap.Scores)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
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

// passDay is the date of BenchmarkStorePass's last pass: every run asks for new dates.
var passDay = kg.Date(20150101)

// BenchmarkStorePass measures a whole-graph pass read from the embedded store, as a ranking
// or a report of a date no pass was cached for makes one: walk the facts, compile the
// graph, score it. Each iteration asks for another date, so each makes a new pass. It reports
// the heap a finished pass holds ("held-MiB": live heap once the service has cached the
// last passes, less what it held before, per pass kept). With RISKGRAPH_BENCH_REPORT_DB it
// opens that store file (made by `riskgraph synth --data FILE`) instead of the 100k graph.
func BenchmarkStorePass(b *testing.B) {
	var svc *service.Service
	if path := os.Getenv("RISKGRAPH_BENCH_REPORT_DB"); path != "" {
		s, err := embedded.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		svc = service.New(s, risk.DefaultModel())
		b.Cleanup(func() { svc.Close() })
	} else {
		svc, _, _ = load100k(b)
	}
	ctx := context.Background()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	passes := 0
	b.ResetTimer()
	for b.Loop() {
		passDay = passDay.AddDays(1)
		passes++
		if _, err := svc.Ranking(ctx, service.RankingQuery{Dimension: kg.DimForeignInfluence, At: service.At{AsOf: passDay},
			Page: store.Page{First: 1}}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(min(passes, 4))/(1<<20), "held-MiB")
}
