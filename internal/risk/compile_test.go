package risk

import (
	"cmp"
	"context"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"weak"

	"riskgraph/internal/kg"
)

// TestCompilerKeepsEachEdgesFacts checks that a compiled graph cites, on every link of
// every chain, the days, version, inference flag and citations of the relationship the link
// came from, whatever order the relationships came in (reversed here, so Build reorders the
// edges and their facts with them).
func TestCompilerKeepsEachEdgesFacts(t *testing.T) {
	m := engineModel(t)
	s := kasperskyCase()
	v1 := &kg.Version{RecordedAt: 10, RecordedBy: "analyst"}
	v2 := &kg.Version{RecordedAt: 20, RecordedBy: "importer"}
	for i := range s.Relationships {
		r := &s.Relationships[i]
		switch i % 3 {
		case 0:
			r.Version = v1
		case 1:
			r.Version = &kg.Version{RecordedAt: v2.RecordedAt, RecordedBy: v2.RecordedBy} // equal value, own pointer
		}
		if r.Validity.From == 0 {
			r.Validity.From = kg.Date(19970601 + i)
		}
	}
	s.Relationships[0].Sources = cite("source:bod-17-01", "Russia enacted the law")
	byID := map[string]kg.Relationship{}
	for _, r := range s.Relationships {
		byID[r.ID()] = r
	}
	slices.Reverse(s.Relationships)
	s.AsOf = 20170901

	res := run(t, m, s)
	links := 0
	for _, id := range []string{"organization:us-federal-agency", "retailer:best-buy", "product:kaspersky-anti-virus"} {
		x, err := res.Explain(id, kg.DimForeignInfluence)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range x.Contributions {
			for _, l := range c.Chain {
				links++
				r, ok := byID[l.RelationshipID]
				if !ok {
					t.Fatalf("link %s names no relationship of the snapshot", l.RelationshipID)
				}
				if l.Validity != r.Validity || l.Inferred != r.Inferred || !slices.Equal(l.Sources, r.Sources) {
					t.Errorf("link %s: validity %v inferred %v sources %v, relationship has %v %v %v",
						l.RelationshipID, l.Validity, l.Inferred, l.Sources, r.Validity, r.Inferred, r.Sources)
				}
				if (l.Version == nil) != (r.Version == nil) || l.Version != nil && *l.Version != *r.Version {
					t.Errorf("link %s: version %v, relationship has %v", l.RelationshipID, l.Version, r.Version)
				}
			}
		}
	}
	if links < 5 {
		t.Fatalf("only %d links explained: the case should give chains of several steps", links)
	}
}

// TestCompilerWantsEntitiesFirst checks that an entity handed over after a relationship is
// refused rather than silently leaving out the relationships that named it.
func TestCompilerWantsEntitiesFirst(t *testing.T) {
	c := NewCompiler(engineModel(t), 0, 0, 0)
	if err := c.Entity(kg.Entity{ID: "vendor:a", Kind: kg.KindVendor, Name: "A"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Relationship(kg.Relationship{Type: kg.RelHeadquarteredIn, From: "vendor:a", To: "government:b"}); err != nil {
		t.Fatal(err)
	}
	err := c.Entity(kg.Entity{ID: "government:b", Kind: kg.KindGovernment, Name: "B"})
	if err == nil || !strings.Contains(err.Error(), "after relationships") {
		t.Fatalf("entity after a relationship: %v", err)
	}
}

// TestCompiledGraphFitsItsEdges checks that a graph reserved for every relationship of a
// store, most of them not valid on its day, keeps its edges in arrays of their number, and
// still scores as a graph compiled without the reservation.
func TestCompiledGraphFitsItsEdges(t *testing.T) {
	s := kasperskyCase()
	// In the order a store's walk hands them over, which Build keeps as it is.
	slices.SortFunc(s.Entities, func(a, b kg.Entity) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Relationships, func(a, b kg.Relationship) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To),
			cmp.Compare(slices.Index(kg.RelTypes, a.Type), slices.Index(kg.RelTypes, b.Type)))
	})
	compile := func(reserve int) *Graph {
		t.Helper()
		c := NewCompiler(engineModel(t), 0, 0, 0)
		c.Reserve(len(s.Entities), reserve)
		for _, e := range s.Entities {
			if err := c.Entity(e); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range s.Relationships {
			if err := c.Relationship(r); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range s.Signals {
			if err := c.Signal(g); err != nil {
				t.Fatal(err)
			}
		}
		g, err := c.Graph()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g, plain := compile(100*len(s.Relationships)), compile(0)
	n := len(g.eTo)
	if n == 0 {
		t.Fatal("the case compiled to no edges")
	}
	for name, c := range map[string]int{"eTo": cap(g.eTo), "eType": cap(g.eType), "eConf": cap(g.eConf.code),
		"facts.ver": cap(g.facts.ver.code), "facts.src": cap(g.facts.src.code), "facts.row": cap(g.facts.row.code)} {
		if c > n+n/8+8 { // a small array is rounded up to its size class
			t.Errorf("%s has room for %d edges, the graph has %d", name, c, n)
		}
	}
	a, err := g.Run(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := plain.Run(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kg.Dimensions {
		ra, err := a.Ranking(d, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Ranking(d, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ra) == 0 && d == kg.DimForeignInfluence {
			t.Errorf("%s: nothing scored", d)
		}
		if !reflect.DeepEqual(ra, rb) {
			t.Errorf("%s: ranking %v with the reservation, %v without", d, ra, rb)
		}
	}
}

// TestOneAdjacencyForAllDimensions: a graph keeps one adjacency for every dimension with a
// signal, an entry per edge that carries one (not an adjacency each), and an entry's factor
// in a dimension is the edge's weight there × its confidence, 0 where the edge carries none
// or no signal has the dimension.
func TestOneAdjacencyForAllDimensions(t *testing.T) {
	m := DefaultModel()
	b := NewBuilder(m, 4, 3)
	vendor, product, gov := b.Entity("vendor:v"), b.Entity("product:p"), b.Entity("government:g")
	b.Edge(vendor, product, kg.RelMakes, 0.5)     // carries every dimension, vendor → product
	b.Edge(vendor, gov, kg.RelHeadquarteredIn, 1) // carries four of them, government → vendor
	b.Edge(product, gov, kg.RelBinds, 1)          // carries none
	b.Signal("signal:f", gov, kg.DimForeignInfluence, 0.5)
	b.Signal("signal:o", vendor, kg.DimOperational, 0.5)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.fwd.node) != 2 || len(g.fwd.edge) != 2 {
		t.Fatalf("the adjacency has %d entries, want one per edge that carries a dimension: 2", len(g.fwd.node))
	}
	fi, op := slices.Index(kg.Dimensions, kg.DimForeignInfluence), slices.Index(kg.Dimensions, kg.DimOperational)
	for p := range int32(len(g.fwd.node)) {
		e := g.fwd.edge[p]
		flow := 0
		if m.weight[g.eType[e]][fi][0] == 0 {
			flow = 1 // the type carries risk against its direction
		}
		for di := range kg.Dimensions {
			want := 0.0
			if di == fi || di == op {
				want = m.weight[g.eType[e]][di][flow] * g.eConf.at(int(e))
			}
			if got := g.fwd.factor(p, di); got != want {
				t.Errorf("edge %s, %s: factor %v, want %v", kg.RelTypes[g.eType[e]], kg.Dimensions[di], got, want)
			}
		}
	}
	rev := g.reverse()
	if len(rev.node) != 2 || rev.edge != nil {
		t.Fatalf("the reverse adjacency has %d entries and edges %v, want 2 and none", len(rev.node), rev.edge)
	}
	// The government's foreign influence reaches the vendor and, through it, the product;
	// the vendor's operational risk reaches the product but not the government.
	r, err := g.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id string
		d  kg.Dimension
		on bool
	}{{"product:p", kg.DimForeignInfluence, true}, {"vendor:v", kg.DimForeignInfluence, true},
		{"product:p", kg.DimOperational, true}, {"government:g", kg.DimOperational, false}} {
		s, err := r.Score(c.id, c.d)
		if err != nil {
			t.Fatal(err)
		}
		if (s.Score > 0) != c.on {
			t.Errorf("%s %s scores %v, reached: want %v", c.id, c.d, s.Score, c.on)
		}
	}
}

// TestGraphGoesAfterItsLastExplanation: a graph an explanation worked in is garbage at the
// first collection after its last use. The explanations' working memory (getScratch) is
// pooled apart from the graph: a pool in the graph kept the graph alive two collections
// more, which at 1M entities was 0.3 GB at the top of a report's memory.
func TestGraphGoesAfterItsLastExplanation(t *testing.T) {
	gone := func() weak.Pointer[Graph] {
		g, err := Compile(engineModel(t), kasperskyCase())
		if err != nil {
			t.Fatal(err)
		}
		r, err := g.Run(t.Context(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		x, err := r.Explain("product:kaspersky-anti-virus", kg.DimForeignInfluence)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Contributions) == 0 || len(x.Contributions[len(x.Contributions)-1].Chain) == 0 {
			t.Fatalf("the explanation drew no chain: %+v", x)
		}
		return weak.Make(g)
	}()
	runtime.GC()
	if gone.Value() != nil {
		t.Error("a graph no one uses any more survived a collection")
	}
}

// TestEdgeFrom: the graph keeps no From per edge, but finds it from the run of edges each
// entity starts, entities with no edges between them included.
func TestEdgeFrom(t *testing.T) {
	b := NewBuilder(DefaultModel(), 5, 4)
	ids := []string{"product:a", "product:b", "vendor:c", "vendor:d", "vendor:e"}
	for _, id := range ids {
		b.Entity(id)
	}
	// vendor:e makes two, vendor:c one, product:b and vendor:d none; added out of order.
	want := map[[2]string]bool{{"vendor:e", "product:a"}: true, {"vendor:c", "product:b"}: true, {"vendor:e", "product:b"}: true}
	b.Edge(4, 1, kg.RelMakes, 1)
	b.Edge(2, 1, kg.RelMakes, 1)
	b.Edge(4, 0, kg.RelMakes, 1)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]bool{}
	for e := range int32(len(g.eTo)) {
		got[[2]string{g.ids[g.from(e)], g.ids[g.eTo[e]]}] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
}
