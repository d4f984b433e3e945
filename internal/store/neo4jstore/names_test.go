package neo4jstore

import (
	"context"
	"slices"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// TestOldStoresGetNameOrder strips the name-order properties, as a store written before List
// by name had them, and checks that opening the store gives them back: every entity is listed
// by name again, a renamed one at the name of the day asked for.
func TestOldStoresGetNameOrder(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	v := func(id, name string, from kg.Date) kg.Entity {
		return kg.Entity{ID: id, Kind: kg.KindVendor, Name: name, Validity: kg.Validity{From: from}}
	}
	if _, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{v("vendor:a", "Charlie", 0), v("vendor:b", "bravo", 0), v("vendor:c", "Omega", 20000101)}}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{v("vendor:c", "Alpha", 20200101)}}, "test"); err != nil {
		t.Fatal(err)
	}
	names := func(asOf kg.Date) []string {
		t.Helper()
		p, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Order: store.ByName, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range p.Items {
			out = append(out, e.Name)
		}
		return out
	}
	want2021, want2010 := []string{"Alpha", "bravo", "Charlie"}, []string{"bravo", "Charlie", "Omega"}
	if got := names(20210101); !slices.Equal(got, want2021) {
		t.Fatalf("before stripping, 2021: %v, want %v", got, want2021)
	}
	if _, err := neo4j.ExecuteQuery(ctx, s.raw.driver, "MATCH (n:Entity) REMOVE n.nameOrder, n.renamed", nil, neo4j.EagerResultTransformer); err != nil {
		t.Fatal(err)
	}
	if got := names(20210101); len(got) != 0 {
		t.Fatalf("without name order, the list holds %v", got)
	}
	reopened, err := Open(ctx, Config{URI: s.raw.cfg.URI})
	if err != nil {
		t.Fatal(err)
	}
	if err := reopened.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(20210101); !slices.Equal(got, want2021) {
		t.Errorf("after reopening, 2021: %v, want %v", got, want2021)
	}
	if got := names(20100101); !slices.Equal(got, want2010) {
		t.Errorf("after reopening, 2010: %v, want %v", got, want2010)
	}
	if got := keysOf(t, s, "MATCH (x:Vendor {id: 'vendor:c'})"); !slices.Contains(got, "renamed") {
		t.Errorf("the renamed vendor was given back %v, without renamed", got)
	}
}
