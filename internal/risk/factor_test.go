package risk

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"riskgraph/internal/kg"
)

// TestFactorsBeyondCodes checks the scores of a graph with more distinct edge factors than
// a csr codes in 2 bytes (1<<16): each product's score must equal its score in a graph of its own
// edge alone, whose few factors are coded.
func TestFactorsBeyondCodes(t *testing.T) {
	m := DefaultModel()
	const n = 1<<16 + 500
	conf := func(i int) float64 { return 0.5 + float64(i)/(4*n) }
	b := NewBuilder(m, n+1, n)
	vendor := b.Entity("vendor:v")
	for i := range n {
		b.Edge(vendor, b.Entity(fmt.Sprintf("product:p%06d", i)), kg.RelMakes, conf(i))
	}
	b.Signal("signal:s", vendor, kg.DimForeignInfluence, 0.7)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if a := g.fwd; a.code != nil || len(a.wide) == 0 {
		t.Fatalf("a graph of %d distinct factors kept 2-byte codes", n)
	}
	r, err := g.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 997 {
		one := NewBuilder(m, 2, 1)
		v := one.Entity("vendor:v")
		one.Edge(v, one.Entity("product:p"), kg.RelMakes, conf(i))
		one.Signal("signal:s", v, kg.DimForeignInfluence, 0.7)
		og, err := one.Build()
		if err != nil {
			t.Fatal(err)
		}
		if og.fwd.code == nil {
			t.Fatal("a graph of one factor did not give it a 2-byte code")
		}
		or, err := og.Run(context.Background(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Score(fmt.Sprintf("product:p%06d", i), kg.DimForeignInfluence)
		if err != nil {
			t.Fatal(err)
		}
		want, err := or.Score("product:p", kg.DimForeignInfluence)
		if err != nil {
			t.Fatal(err)
		}
		if got.Score != want.Score || got.Score == 0 {
			t.Fatalf("product %d scores %v among many factors, %v alone", i, got.Score, want.Score)
		}
	}
}

// TestSharedCitationsCitedByEachEdge: relationships handed the same citation list (as a store
// shares one source's list among the facts it backs) and one with a list of its own each
// cite theirs in an explanation's chain.
func TestSharedCitationsCitedByEachEdge(t *testing.T) {
	shared := []kg.Citation{{SourceID: "source:a", Excerpt: "makes both"}}
	own := []kg.Citation{{SourceID: "source:b", Excerpt: "makes the third"}}
	s := kg.Snapshot{
		Entities: []kg.Entity{{ID: "vendor:v", Kind: kg.KindVendor, Name: "V"}, {ID: "product:p1", Kind: kg.KindProduct, Name: "P1"},
			{ID: "product:p2", Kind: kg.KindProduct, Name: "P2"}, {ID: "product:p3", Kind: kg.KindProduct, Name: "P3"}},
		Relationships: []kg.Relationship{
			{Type: kg.RelMakes, From: "vendor:v", To: "product:p1", Sources: shared},
			{Type: kg.RelMakes, From: "vendor:v", To: "product:p2", Sources: shared},
			{Type: kg.RelMakes, From: "vendor:v", To: "product:p3", Sources: own},
		},
		Signals: []kg.RiskSignal{{ID: "signal:s", EntityID: "vendor:v", Dimension: kg.DimForeignInfluence, Severity: 0.5}},
	}
	g, err := Compile(DefaultModel(), s)
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]kg.Citation{"product:p1": shared, "product:p2": shared, "product:p3": own} {
		x, err := r.Explain(id, kg.DimForeignInfluence)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Contributions) != 1 || len(x.Contributions[0].Chain) != 1 {
			t.Fatalf("%s: contributions %+v, want one chain of one link", id, x.Contributions)
		}
		if got := x.Contributions[0].Chain[0].Sources; !slices.Equal(got, want) {
			t.Errorf("%s: the link cites %v, want %v", id, got, want)
		}
	}
}
