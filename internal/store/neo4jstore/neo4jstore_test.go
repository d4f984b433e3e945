package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
	"riskgraph/internal/store/neo4jstore/neo4jtest"
)

func TestMain(m *testing.M) { neo4jtest.Main(m) }

// testStore is a store on the shared test server, used as the service uses it (through
// store.Checked), with the backend itself at hand for what a test looks into.
type testStore struct {
	*store.Checked
	raw *Store
}

// openShared opens a store on the shared test server with an empty database.
func openShared(t testing.TB) testStore {
	t.Helper()
	uri := neo4jtest.URI(t)
	ctx := context.Background()
	s, err := Open(ctx, Config{URI: uri})
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	t.Cleanup(func() { s.Close() })
	wipe(t, s)
	return testStore{Checked: store.Check(s), raw: s}
}

// wipe empties the shared test database.
func wipe(t testing.TB, s *Store) {
	t.Helper()
	if err := s.DeleteAll(context.Background()); err != nil {
		t.Fatalf("wipe database: %v", err)
	}
}

// star is a batch with a government, n vendors headquartered in it, and one product per vendor.
func star(n int) kg.Batch {
	b := kg.Batch{Entities: []kg.Entity{{ID: "government:ru", Kind: kg.KindGovernment, Name: "Russia"}}}
	for i := range n {
		v := fmt.Sprintf("vendor:v%03d", i)
		p := fmt.Sprintf("product:p%03d", i)
		b.Entities = append(b.Entities,
			kg.Entity{ID: v, Kind: kg.KindVendor, Name: fmt.Sprintf("Vendor %d", i)},
			kg.Entity{ID: p, Kind: kg.KindProduct, Name: fmt.Sprintf("Product %d", i)})
		b.Relationships = append(b.Relationships,
			kg.Relationship{Type: kg.RelHeadquarteredIn, From: v, To: "government:ru"},
			kg.Relationship{Type: kg.RelMakes, From: v, To: p})
	}
	return b
}

// retraction is the batch that ends the facts with these ids on day on.
func retraction(on kg.Date, ids ...string) kg.Batch {
	var b kg.Batch
	for _, id := range ids {
		b.Retractions = append(b.Retractions, kg.Retraction{ID: id, On: on})
	}
	return b
}

func TestSmoke(t *testing.T) {
	s := openShared(t)
	if d := neo4jtest.StartupTime(); d > 0 {
		t.Logf("shared Neo4j test server started in %s (including any Maven build)", d.Round(time.Millisecond))
	}
	ctx := context.Background()
	res, err := s.Apply(ctx, star(3), "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 13 {
		t.Fatalf("created %d, want 13: %+v", len(res.Created), res)
	}
	res, err = s.Apply(ctx, star(3), "test")
	if err != nil || len(res.Unchanged) != 13 {
		t.Fatalf("re-apply: %+v, %v", res, err)
	}
	rels, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v001", "government:ru"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels["vendor:v001"].Items) != 2 || len(rels["government:ru"].Items) != 3 {
		t.Fatalf("relationships: %+v", rels)
	}
	hits, err := s.Search(ctx, store.SearchQuery{Text: "vendor"})
	if err != nil || len(hits.Items) != 3 {
		t.Fatalf("search: %+v %v", hits, err)
	}
	nb, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"product:p000"}, MaxHops: 2})
	if err != nil || len(nb.Entities) != 3 {
		t.Fatalf("neighbourhood: %+v %v", nb, err)
	}
	paths, err := s.Paths(ctx, store.PathQuery{From: "product:p000", To: "product:p001", MaxHops: 4})
	if err != nil || len(paths) != 1 || len(paths[0].EntityIDs) != 5 {
		t.Fatalf("paths: %+v %v", paths, err)
	}
	_, err = s.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:nope", To: "product:p000"}}}, "test")
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("missing endpoint: %v", err)
	}
	if _, err := s.Apply(ctx, retraction(kg.NewDate(2020, time.January, 1), "vendor:v000"), "test"); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx, store.AsOf(0))
	if err != nil || len(snap.Entities) != 6 || len(snap.Relationships) != 4 {
		t.Fatalf("snapshot: %d entities %d rels %v", len(snap.Entities), len(snap.Relationships), err)
	}
}
