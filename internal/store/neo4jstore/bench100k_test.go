package neo4jstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
	"riskgraph/internal/store/neo4jstore/neo4jtest"
	"riskgraph/internal/synth"
)

// bigGraph is the issue-4 import workload: 100k entities, 500k relationships.
var bigGraph = synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 1, SignalRate: 0.05}

// BenchmarkApply100k imports the 100k/500k graph into an empty database one Apply of 50k
// rows at a time.
func BenchmarkApply100k(b *testing.B) {
	benchImport(b, store.LoadOptions{BatchSize: 50_000, Workers: 1})
}

// BenchmarkLoad100k imports the same graph with store.Load's defaults (10k-row Apply calls,
// two in flight).
func BenchmarkLoad100k(b *testing.B) { benchImport(b, store.LoadOptions{}) }

// benchImport imports bigGraph into an empty database with one store.Load, as `riskgraph
// synth` and `riskgraph import` do. It reports relationships per second over the
// relationship phase ("rels/s") and over the whole import, entities and signals included
// ("e2e-rels/s"), and rows per second over the whole import. Two imports before the timed
// ones warm the server's JIT up and are only logged: a fresh JVM runs the first import on
// code not yet compiled (about 23k relationships/s) and is still compiling through the
// second (41–51k/s, against 53–61k/s from the third on in runs of 4–6 imports on
// 2026-12-06), which says little about a server that has been up for a while.
func benchImport(b *testing.B, opt store.LoadOptions) {
	s := openShared(b)
	g := synth.Generate(bigGraph)
	ctx := context.Background()
	// Each phase's start and end, as Progress reports them ("entities", "relationships",
	// "signals"); checking the batch comes before the first phase.
	starts, ends := map[string]time.Time{}, map[string]time.Time{}
	// The server's and this process's CPU time at the start and end of the entity and the
	// relationship phases: on a shared machine a phase's wall time varies by half from run to
	// run, the CPU it costs less.
	type cpu struct{ srv, own time.Duration }
	cpuAt := map[string][2]cpu{}
	opt.Progress = func(phase string, done, total int) {
		if phase != "entities" && phase != "relationships" {
			if done == 0 {
				starts[phase] = time.Now()
			}
			if done == total {
				ends[phase] = time.Now()
			}
			return
		}
		at := cpuAt[phase]
		if done == 0 {
			starts[phase] = time.Now()
			at[0] = cpu{serverCPU(b, s.raw), processCPU(b)}
		}
		if done == total {
			ends[phase] = time.Now()
			at[1] = cpu{serverCPU(b, s.raw), processCPU(b)}
		}
		cpuAt[phase] = at
	}
	var srvTotal, ownTotal time.Duration
	importOnce := func(what string) (rel, all time.Duration) {
		b.StopTimer()
		wipe(b, s.raw)
		b.StartTimer()
		start := time.Now()
		if _, err := s.Load(ctx, g, "bench", opt); err != nil {
			b.Fatal(err)
		}
		all = time.Since(start)
		phase := func(p string) time.Duration { return ends[p].Sub(starts[p]) }
		rel = phase("relationships")
		spent := func(p string) (srv, own time.Duration) {
			at := cpuAt[p]
			return at[1].srv - at[0].srv, at[1].own - at[0].own
		}
		srv, own := spent("relationships")
		srvTotal, ownTotal = srvTotal+srv, ownTotal+own
		esrv, eown := spent("entities")
		b.Logf("%s: %s in all, %.0f relationships/s; check %s, entities %s (%.0f/s), relationships %s (%.0f/s), signals %s (%.0f/s)",
			what, all.Round(time.Millisecond), float64(len(g.Relationships))/all.Seconds(),
			starts["entities"].Sub(start).Round(time.Millisecond),
			phase("entities").Round(time.Millisecond), float64(len(g.Entities))/phase("entities").Seconds(),
			rel.Round(time.Millisecond), float64(len(g.Relationships))/rel.Seconds(),
			phase("signals").Round(time.Millisecond), float64(len(g.Signals))/phase("signals").Seconds())
		b.Logf("%s: relationship phase CPU: Neo4j %s (%.1f µs a relationship), this process %s (%.1f µs)", what,
			srv.Round(time.Millisecond), perItem(srv, len(g.Relationships)), own.Round(time.Millisecond), perItem(own, len(g.Relationships)))
		b.Logf("%s: entity phase CPU: Neo4j %s (%.1f µs an entity), this process %s (%.1f µs)", what,
			esrv.Round(time.Millisecond), perItem(esrv, len(g.Entities)), eown.Round(time.Millisecond), perItem(eown, len(g.Entities)))
		return rel, all
	}
	importOnce("warm-up import 1 (not counted)")
	importOnce("warm-up import 2 (not counted)")
	srvTotal, ownTotal = 0, 0
	var relTime, allTime time.Duration
	var rels, rows, n int
	for b.Loop() {
		n++
		r, a := importOnce(fmt.Sprintf("import %d", n))
		relTime += r
		allTime += a
		rels += len(g.Relationships)
		rows += len(g.Entities) + len(g.Relationships) + len(g.Signals)
	}
	b.ReportMetric(float64(rels)/relTime.Seconds(), "rels/s")
	b.ReportMetric(float64(rels)/allTime.Seconds(), "e2e-rels/s")
	b.ReportMetric(float64(rows)/allTime.Seconds(), "rows/s")
	b.ReportMetric(perItem(srvTotal, rels), "neo4j-cpu-µs/rel")
	b.ReportMetric(perItem(ownTotal, rels), "client-cpu-µs/rel")
}

// perItem is d per item of n, in microseconds.
func perItem(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(n) }

// serverCPU is the CPU time the Neo4j server's process has used so far, from its JMX bean.
func serverCPU(b *testing.B, s *Store) time.Duration {
	res, err := neo4j.ExecuteQuery(context.Background(), s.driver,
		`CALL dbms.queryJmx("java.lang:type=OperatingSystem") YIELD attributes RETURN attributes.ProcessCpuTime.value AS ns`,
		nil, neo4j.EagerResultTransformer)
	if err != nil {
		b.Fatalf("read the server's CPU time: %v", err)
	}
	ns, ok := res.Records[0].Values[0].(int64)
	if !ok {
		b.Fatalf("server CPU time is %T, not an integer", res.Records[0].Values[0])
	}
	return time.Duration(ns)
}

// processCPU is the CPU time (user and system) this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bigStore is a store holding bigGraph; it imports the graph unless the database already
// holds it (BenchmarkApply100k leaves it there).
func bigStore(b *testing.B) (testStore, kg.Batch) {
	g := synth.Generate(bigGraph)
	uri := neo4jtest.URI(b)
	raw, err := Open(context.Background(), Config{URI: uri})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	s := testStore{Checked: store.Check(raw), raw: raw}
	last := g.Relationships[len(g.Relationships)-1]
	pages, err := s.Relationships(context.Background(), store.RelQuery{EntityIDs: []string{last.From}, Direction: kg.Out, Types: []kg.RelType{last.Type}, Page: store.Page{First: store.MaxFirst}})
	if err != nil {
		b.Fatal(err)
	}
	if !slices.ContainsFunc(pages[last.From].Items, func(r kg.Relationship) bool { return r.ID() == last.ID() }) {
		wipe(b, s.raw)
		if _, err := s.Load(context.Background(), g, "bench", store.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return s, g
}

// BenchmarkPaths100k asks for up to 10 paths of at most 3 hops between random entity pairs.
func BenchmarkPaths100k(b *testing.B) {
	s, g := bigStore(b)
	rng := rand.New(rand.NewPCG(7, 8))
	ctx := context.Background()
	found := 0
	latencies(b, func(int) error {
		// Half the pairs are the two ends of a relationship's neighbour, so paths exist.
		r := g.Relationships[rng.IntN(len(g.Relationships))]
		to := g.Entities[rng.IntN(len(g.Entities))].ID
		if rng.IntN(2) == 0 {
			r2 := g.Relationships[rng.IntN(len(g.Relationships))]
			to = r2.From
		}
		ps, err := s.Paths(ctx, store.PathQuery{From: r.To, To: to, MaxHops: 3})
		found += len(ps)
		return err
	})
	b.ReportMetric(float64(found)/float64(b.N), "paths/op")
}

// BenchmarkReads100k measures the point reads on the 100k graph, one sub-benchmark each.
func BenchmarkReads100k(b *testing.B) {
	s, g := bigStore(b)
	ctx := context.Background()
	pick := func(rng *rand.Rand, n int) []string {
		ids := make([]string, n)
		for j := range ids {
			ids[j] = g.Entities[rng.IntN(len(g.Entities))].ID
		}
		return ids
	}
	b.Run("Entities", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		latencies(b, func(int) error { _, err := s.Entities(ctx, pick(rng, 20), store.AsOf(0)); return err })
	})
	b.Run("Relationships", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(3, 4))
		latencies(b, func(int) error { _, err := s.Relationships(ctx, store.RelQuery{EntityIDs: pick(rng, 50)}); return err })
	})
	b.Run("Search", func(b *testing.B) {
		terms := []string{"vendor 12", "product", "agency 3", "organization 77", "law"}
		latencies(b, func(i int) error {
			_, err := s.Search(ctx, store.SearchQuery{Text: terms[i%len(terms)], Page: store.Page{First: 20}})
			return err
		})
	})
	b.Run("List20Vendors", func(b *testing.B) {
		// The peer benchmark's list20: the first 20 vendors in id order, on the date.
		latencies(b, func(int) error {
			p, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{First: 20}})
			if err == nil && len(p.Items) != 20 {
				err = fmt.Errorf("listed %d vendors, want 20", len(p.Items))
			}
			return err
		})
	})
	for _, deep := range []bool{false, true} {
		name := "List20VendorsByName"
		q := store.ListQuery{Kind: kg.KindVendor, Order: store.ByName, Page: store.Page{First: 20}}
		if deep {
			// A page from the middle of the list costs what the first does: the index walk
			// starts at the cursor.
			name += "Deep"
			q.Page.After = store.EncodeCursor("vendor 5", "vendor:005000")
		}
		b.Run(name, func(b *testing.B) {
			latencies(b, func(int) error {
				p, err := s.List(ctx, q)
				if err == nil && len(p.Items) != 20 {
					err = fmt.Errorf("listed %d vendors, want 20", len(p.Items))
				}
				return err
			})
		})
	}
	b.Run("TreeNested3", func(b *testing.B) {
		// The peer benchmark's nested3 as one tree read: a vendor's products with every
		// seller and user, its headquarters and the laws that apply to it, names only.
		var vendors []string
		for _, e := range g.Entities {
			if e.Kind == kg.KindVendor {
				vendors = append(vendors, e.ID)
			}
		}
		name := store.ProjectName
		branches := []store.Branch{
			{Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}, Page: store.Page{First: 20}, End: name, Branches: []store.Branch{
				{Direction: kg.In, Types: []kg.RelType{kg.RelSells}, Page: store.Page{First: 600}, End: name},
				{Direction: kg.In, Types: []kg.RelType{kg.RelUses}, Page: store.Page{First: 600}, End: name},
			}},
			{Direction: kg.Out, Types: []kg.RelType{kg.RelHeadquarteredIn}, Page: store.Page{First: 20}, End: name},
			{Direction: kg.In, Types: []kg.RelType{kg.RelAppliesTo}, Page: store.Page{First: 200}, End: name},
		}
		rng := rand.New(rand.NewPCG(9, 10))
		rels := 0
		latencies(b, func(int) error {
			got, err := s.Tree(ctx, store.TreeQuery{Roots: []string{vendors[rng.IntN(len(vendors))]}, Root: store.ProjectFull, Branches: branches})
			for _, n := range got {
				for _, p := range n.Branches {
					rels += len(p.Items)
					for _, e := range p.Ends {
						for _, p2 := range e.Branches {
							rels += len(p2.Items)
						}
					}
				}
			}
			return err
		})
		b.ReportMetric(float64(rels)/float64(b.N), "rels/op")
	})
	// The exposure query's read: an organisation's or retailer's upstream neighbourhood for
	// foreign influence within the default hop cap (6), whole and lean.
	var askable []string
	for _, e := range g.Entities {
		if e.Kind == kg.KindOrganization || e.Kind == kg.KindRetailer {
			askable = append(askable, e.ID)
		}
	}
	var walk []store.Step
	for _, st := range risk.DefaultModel().UpstreamSteps(kg.DimForeignInfluence) {
		walk = append(walk, store.Step{Type: st.Type, Direction: st.Dir})
	}
	for _, lean := range []bool{false, true} {
		b.Run(fmt.Sprintf("Upstream6/lean=%v", lean), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(11, 12))
			ents := 0
			latencies(b, func(int) error {
				nb, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{askable[rng.IntN(len(askable))]},
					Steps: walk, MaxHops: 6, Lean: lean})
				ents += len(nb.Entities)
				return err
			})
			b.ReportMetric(float64(ents)/float64(b.N), "entities/op")
		})
	}
	b.Run("Neighbourhood2", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(5, 6))
		latencies(b, func(int) error {
			_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: pick(rng, 1), MaxHops: 2})
			return err
		})
	})
}
