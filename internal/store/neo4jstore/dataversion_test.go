package neo4jstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/service/servicetest"
	"riskgraph/internal/store"
	"riskgraph/internal/store/neo4jstore/neo4jtest"
	"riskgraph/seed"
)

// openSecond opens another store on the shared test server's database, as a second process
// would: its own driver, none of the first one's state.
func openSecond(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{URI: neo4jtest.URI(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The data version changes with every write that changes a fact, from whichever process, and
// with nothing else.
func TestDataVersionSeesEveryWriter(t *testing.T) {
	ctx := t.Context()
	a := openShared(t)
	b := openSecond(t)
	version := func() string {
		t.Helper()
		v, err := a.raw.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	empty := version()
	batch := star(3)
	if _, err := store.Check(b).Apply(ctx, batch, "other"); err != nil {
		t.Fatal(err)
	}
	written := version()
	if written == empty {
		t.Fatalf("the version stayed %q after another process's write", written)
	}
	if _, err := store.Check(b).Apply(ctx, batch, "other"); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != written {
		t.Errorf("a write that changed nothing moved the version %q → %q", written, v)
	}
	bad := kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:v000", To: "product:nowhere"}}}
	if _, err := store.Check(b).Apply(ctx, bad, "other"); err == nil {
		t.Fatal("a relationship to a missing entity was written")
	}
	if v := version(); v != written {
		t.Errorf("a refused write moved the version %q → %q", written, v)
	}
	if _, err := a.Apply(ctx, kg.Batch{Retractions: []kg.Retraction{{ID: "vendor:v001", On: kg.Today()}}}, "me"); err != nil {
		t.Fatal(err)
	}
	if v := version(); v == written {
		t.Errorf("a retraction left the version at %q", v)
	}
}

// walkCounter counts the neighbourhood reads of a Neo4j store.
type walkCounter struct {
	*Store
	walks atomic.Int64
}

func (w *walkCounter) Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error) {
	w.walks.Add(1)
	return w.Store.Neighbourhood(ctx, q)
}

// On Neo4j too an exposure read of the present moment warms a whole-graph pass that answers
// the reads after it, and a write by another process retires it.
func TestExposurePassOnNeo4jSeesOtherWriters(t *testing.T) {
	ctx := t.Context()
	a := openShared(t)
	w := &walkCounter{Store: a.raw}
	svc := service.New(w, risk.DefaultModel())
	t.Cleanup(func() { svc.Close() })
	if _, err := seed.Apply(ctx, svc); err != nil {
		t.Fatal(err)
	}
	q := service.ExposureQuery{IDs: []string{"retailer:amazon"}, Dimensions: []kg.Dimension{kg.DimSanctions}}
	other := store.Check(openSecond(t))
	servicetest.PassRetiredByWrite(t, svc, q, w.walks.Load, 60*time.Second, func() error {
		_, err := other.Apply(ctx, kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:test-amazon-sanctioned", EntityID: "retailer:amazon",
			Dimension: kg.DimSanctions, Severity: 0.9, Reason: "a test", Validity: kg.Validity{From: 20240101}}}}, "other")
		return err
	})
}
