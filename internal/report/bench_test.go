package report_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"riskgraph/internal/api"
	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/store/neo4jstore"
	"riskgraph/internal/store/neo4jstore/neo4jtest"
	"riskgraph/internal/synth"
)

// TestMain stops the Neo4j that BenchmarkNightlyReportNeo4j starts, if it started one.
func TestMain(m *testing.M) { neo4jtest.Main(m) }

// benchService loads the synthetic graph (RISKGRAPH_BENCH_REPORT_ENTITIES entities, default
// 100,000, and five times as many relationships) into an embedded store. With
// RISKGRAPH_BENCH_REPORT_DB it opens that store file instead, one made beforehand with
// `riskgraph synth --data FILE` (a graph of 1M entities takes minutes to load, and loading
// it here would count the load's memory in the report's peak); the runs add their snapshots
// to it.
func benchService(b *testing.B) *service.Service {
	svc, _ := benchStore(b)
	return svc
}

// benchStore is benchService, with the path of the store's file.
func benchStore(b *testing.B) (*service.Service, string) {
	if testing.Short() {
		b.Skip("builds a large graph")
	}
	jobGC(b)
	if path := os.Getenv("RISKGRAPH_BENCH_REPORT_DB"); path != "" {
		return openBench(b, path), path
	}
	n := 100_000
	if v := os.Getenv("RISKGRAPH_BENCH_REPORT_ENTITIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("RISKGRAPH_BENCH_REPORT_ENTITIES: %v", err)
		}
	}
	path := filepath.Join(b.TempDir(), "db")
	svc := openBench(b, path)
	batch := benchGraph(n)
	if _, err := svc.Load(context.Background(), batch, service.LoadOptions{BatchSize: 50_000, Workers: 1}); err != nil {
		b.Fatal(err)
	}
	batch = kg.Batch{}
	runtime.GC()
	return svc, path
}

// benchGraph is the synthetic graph the benchmarks load: n entities, 5n relationships.
func benchGraph(n int) kg.Batch {
	return synth.Generate(synth.Config{Entities: n, Relationships: 5 * n, Seed: 7, SignalRate: 0.01})
}

// openBench opens the store file at path under a service that the benchmark closes.
func openBench(b *testing.B, path string) *service.Service {
	s, err := embedded.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	b.Cleanup(func() { svc.Close() })
	runtime.GC()
	return svc
}

// benchReport times whole nightly runs through src: a first run as of 2015-01-01, then, timed,
// the run as of 2016-01-01 (about a year of the synthetic graph's facts begin and end in
// between): pass, snapshot stored, causes against the previous snapshot, all four formats.
func benchReport(b *testing.B, src report.Source) {
	benchReportAfter(b, src, func() report.Source { return src })
}

// benchReportAfter is benchReport with the timed runs made through next(), called once the
// first run is done.
func benchReportAfter(b *testing.B, src report.Source, next func() report.Source) {
	ctx := context.Background()
	dir := b.TempDir()
	o := report.Options{AsOf: 20150101, Threshold: 0.01, DueWindowDays: 30, StaleAfterDays: 365, Now: time.Now()}
	if _, err := report.Build(ctx, src, o); err != nil {
		b.Fatal(err)
	}
	src = next()
	var r report.Report
	// Each step's time is logged, to say where a run goes.
	var steps []string
	last, step := time.Now(), ""
	// RISKGRAPH_BENCH_REPORT_MEMPROFILE names a directory for a heap profile at the start of
	// the run and at the end of each step, taken after a collection (so it shows what the step
	// leaves live, and the collection adds to the step's time).
	memDir := os.Getenv("RISKGRAPH_BENCH_REPORT_MEMPROFILE")
	peak := watchRSS(b)
	o.Progress = func(s string, _, _ int) {
		if step == "" && memDir != "" {
			// What the run starts from: step N's allocations are step N's profile minus
			// the one before (go tool pprof -sample_index=alloc_space -diff_base).
			runtime.GC()
			writeHeapProfile(b, filepath.Join(memDir, "step0.heap"))
		}
		if step != "" {
			steps = append(steps, fmt.Sprintf("%s %s (peak RSS %d MiB)", step, time.Since(last).Round(10*time.Millisecond), peak()>>20))
			if memDir != "" {
				runtime.GC()
				writeHeapProfile(b, filepath.Join(memDir, fmt.Sprintf("step%d.heap", len(steps))))
			}
		}
		last, step = time.Now(), s
	}
	// RISKGRAPH_BENCH_REPORT_CPUPROFILE names a file for a CPU profile of the timed runs
	// alone (go test's -cpuprofile also covers loading the store and the first night).
	if path := os.Getenv("RISKGRAPH_BENCH_REPORT_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				b.Error(err)
			}
		})
	}
	b.ResetTimer()
	for b.Loop() {
		o.AsOf = 20160101
		steps, last, step = nil, time.Now(), ""
		var err error
		if r, err = report.Build(ctx, src, o); err != nil {
			b.Fatal(err)
		}
		if f, ok := src.(interface{ Forget() }); ok {
			f.Forget() // as riskgraph report does before it writes the files
			runtime.GC()
		}
		o.Progress("write the four formats", 0, 0)
		if _, err := report.Save(dir, r, report.Formats(), 20); err != nil {
			b.Fatal(err)
		}
		o.Progress("", 0, 0)
		b.Logf("steps: %s", strings.Join(steps, "; "))
	}
	b.StopTimer()
	pprof.StopCPUProfile()
	changes := 0
	for _, d := range r.Dimensions {
		changes += len(d.Changes)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
	b.ReportMetric(float64(r.Snapshot.Scores), "scores")
	b.ReportMetric(float64(changes), "changes")
}

// jobGC sets the collector as riskgraph report does (report.JobGCPercent), unless GOGC is set.
func jobGC(b *testing.B) {
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(report.JobGCPercent)
		b.Cleanup(func() { debug.SetGCPercent(old) })
	}
}

// BenchmarkNightlyReport runs the report on the service directly. Goal on 1M entities / 5M
// relationships: under 30 s and 3 GB.
func BenchmarkNightlyReport(b *testing.B) {
	svc := benchService(b)
	benchReport(b, svc)
}

// BenchmarkNightlyReportNextDay runs the second night as a nightly job does, in a process
// that has nothing of the first night cached: the first run's service is closed and the
// store opened again before the timed run, which so decodes the previous snapshot and
// replays the previous night's pass.
func BenchmarkNightlyReportNextDay(b *testing.B) {
	first, path := benchStore(b)
	benchReportAfter(b, first, func() report.Source {
		if err := first.Close(); err != nil {
			b.Fatal(err)
		}
		return openBench(b, path)
	})
}

// BenchmarkNightlyReportServer runs it through a server's API, as report --server does.
// Goal on 100k / 500k: under 30 s.
func BenchmarkNightlyReportServer(b *testing.B) {
	svc := benchService(b)
	srv := httptest.NewServer(api.New(api.Config{Service: svc, Limits: api.Limits{RatePerSecond: -1}}))
	b.Cleanup(srv.Close)
	benchReport(b, &report.Client{URL: srv.URL + "/graphql"})
}

// BenchmarkNightlyReportNeo4j runs it on a Neo4j store, as `riskgraph report --store neo4j`
// does beside a running service: a real Neo4j 5.26 (neo4jtest; RISKGRAPH_TEST_NEO4J_URI
// names one already running), wiped and loaded with the 100k / 500k graph before the first
// night. The peak it reports is this process's; Neo4j's JVM is apart.
func BenchmarkNightlyReportNeo4j(b *testing.B) {
	if testing.Short() {
		b.Skip("loads a large graph into Neo4j")
	}
	jobGC(b)
	ctx := context.Background()
	s, err := neo4jstore.Open(ctx, neo4jstore.Config{URI: neo4jtest.URI(b)})
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	b.Cleanup(func() { svc.Close() })
	if err := s.DeleteAll(ctx); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	batch := benchGraph(100_000)
	if _, err := svc.Load(ctx, batch, service.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded 100k / 500k into Neo4j in %s", time.Since(began).Round(100*time.Millisecond))
	batch = kg.Batch{}
	runtime.GC()
	benchReport(b, svc)
}

// watchRSS samples the process's resident set every 50 ms until the benchmark ends. The
// function it returns gives the largest sample since it was last called and starts a new
// window. Where /proc is missing it gives 0.
func watchRSS(b *testing.B) func() int64 {
	var mu sync.Mutex
	var high int64
	done := make(chan struct{})
	sample := func() {
		if n := residentBytes(); n > 0 {
			mu.Lock()
			high = max(high, n)
			mu.Unlock()
		}
	}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	b.Cleanup(func() { close(done) })
	return func() int64 {
		sample()
		mu.Lock()
		defer mu.Unlock()
		n := high
		high = 0
		return n
	}
}

// residentBytes is the process's resident set from /proc/self/statm, or 0.
func residentBytes() int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
