package risk

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"riskgraph/internal/kg"
)

// TestFactorsBeyondCodes checks the scores of a graph with more distinct edge factors than
// a csr codes (1<<16): each product's score must equal its score in a graph of its own
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
	if a := g.fwd[slices.Index(kg.Dimensions, kg.DimForeignInfluence)]; a.code != nil || len(a.fac) == 0 {
		t.Fatalf("a graph of %d distinct factors kept them coded", n)
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
		if og.fwd[slices.Index(kg.Dimensions, kg.DimForeignInfluence)].code == nil {
			t.Fatal("a graph of one factor did not code it")
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
