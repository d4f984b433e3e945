package service_test

import (
	"context"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/service/servicetest"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
	"riskgraph/seed"
)

// walkCounter is an embedded store that counts neighbourhood reads.
type walkCounter struct {
	*embedded.Store
	walks atomic.Int64
}

func (w *walkCounter) Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error) {
	w.walks.Add(1)
	return w.Store.Neighbourhood(ctx, q)
}

// exposureGraph is the seed and a synthetic graph of 3,000 entities beside it, on an embedded
// store that counts neighbourhood reads, with every entity id.
func exposureGraph(t *testing.T) (*service.Service, *walkCounter, []string) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	w := &walkCounter{Store: s}
	svc := service.New(w, risk.DefaultModel())
	t.Cleanup(func() { svc.Close() })
	if _, err := seed.Apply(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	b := synth.Generate(synth.Config{Entities: 3000, Relationships: 15000, Seed: 3, SignalRate: 0.05})
	if _, err := svc.Load(t.Context(), b, service.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(t.Context(), store.At{AsOf: kg.Today()})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(snap.Entities))
	for i, e := range snap.Entities {
		ids[i] = e.ID
	}
	return svc, w, ids
}

// Answered from a cached whole-graph pass, an exposure is exactly what the neighbourhood
// read gives: the same scores, contributions, chains, sources and versions.
func TestExposureFromAPassEqualsTheNeighbourhood(t *testing.T) {
	ctx := t.Context()
	svc, w, ids := exposureGraph(t)
	at := service.AsOf(20250101) // a past date: no read starts a pass for it
	read := func() map[string][]risk.Explanation {
		t.Helper()
		got, err := svc.Exposures(ctx, service.ExposureQuery{IDs: ids, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	walked := read()
	if w.walks.Load() != 1 {
		t.Fatalf("%d neighbourhood reads before any pass, want 1", w.walks.Load())
	}
	if _, err := svc.Ranking(ctx, service.RankingQuery{Dimension: kg.DimRegulatory, At: at}); err != nil {
		t.Fatal(err)
	}
	fromPass := read()
	if w.walks.Load() != 1 {
		t.Fatalf("%d neighbourhood reads with a finished pass of the moment, want none after the first", w.walks.Load())
	}
	chains := 0
	for _, id := range ids {
		for _, ex := range walked[id] {
			chains += len(ex.Chained(8))
		}
	}
	if len(walked) != len(ids) || chains < 1000 {
		t.Fatalf("%d of %d entities explained, %d chains: the graph does not exercise chains", len(walked), len(ids), chains)
	}
	for _, id := range ids {
		if !reflect.DeepEqual(walked[id], fromPass[id]) {
			t.Fatalf("%s: from the pass\n%+v\nfrom the neighbourhood\n%+v", id, fromPass[id], walked[id])
		}
	}
	// A shorter walk than the hop cap is not what the pass scored: it reads its neighbourhood.
	if _, err := svc.Exposures(ctx, service.ExposureQuery{IDs: ids[:1], At: at, MaxHops: 2}); err != nil {
		t.Fatal(err)
	}
	if w.walks.Load() != 2 {
		t.Errorf("a 2-hop exposure was answered from the 6-hop pass")
	}
}

// A read of the present moment warms a pass in the background; the reads after it are
// answered from that pass until a write changes the graph.
func TestExposureWarmsAPassAndAWriteRetiresIt(t *testing.T) {
	ctx := t.Context()
	svc, w, _ := exposureGraph(t)
	// Today's date, as the GraphQL resolvers spell the present.
	q := service.ExposureQuery{IDs: []string{"retailer:amazon"}, Dimensions: []kg.Dimension{kg.DimSanctions}, At: service.At{AsOf: kg.Today()}}
	servicetest.PassRetiredByWrite(t, svc, q, w.walks.Load, 30*time.Second, func() error {
		_, err := svc.Apply(ctx, kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:test-amazon-sanctioned", EntityID: "retailer:amazon",
			Dimension: kg.DimSanctions, Severity: 0.9, Reason: "a test", Validity: kg.Validity{From: 20240101}}}})
		return err
	})
}
