package risk

import (
	"testing"

	"riskgraph/internal/kg"
)

// A graph compiled from entities keeps their names, out of id order too, and scores and top
// sources carry them; one compiled from lean entities (id and kind only) keeps none.
func TestCompiledGraphKeepsNames(t *testing.T) {
	m := engineModel(t)
	snap := kg.Snapshot{
		Entities: []kg.Entity{
			{ID: "vendor:v", Kind: kg.KindVendor, Name: "The Vendor"},
			{ID: "government:g", Kind: kg.KindGovernment, Name: "The Government"},
		},
		Relationships: []kg.Relationship{{Type: kg.RelHeadquarteredIn, From: "vendor:v", To: "government:g"}},
		Signals: []kg.RiskSignal{{ID: "signal:g", EntityID: "government:g", Dimension: kg.DimForeignInfluence,
			Severity: 0.5}},
	}
	res := run(t, m, snap)
	sc, err := res.Score("vendor:v", kg.DimForeignInfluence)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "The Vendor" || sc.Score == 0 {
		t.Errorf("score %+v: want the vendor's name and a score", sc)
	}
	ranked, tops, err := res.RankingTops(kg.DimForeignInfluence)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ranked {
		want := map[string]string{"vendor:v": "The Vendor", "government:g": "The Government"}[s.EntityID]
		if s.Name != want || tops[i].EntityName != "The Government" {
			t.Errorf("ranked %s as %q with top source on %q", s.EntityID, s.Name, tops[i].EntityName)
		}
	}
	for i := range snap.Entities {
		snap.Entities[i].Name = ""
	}
	lean := run(t, m, snap)
	if lean.g.names != nil {
		t.Error("a graph compiled from lean entities keeps names")
	}
	if sc, err := lean.Score("vendor:v", kg.DimForeignInfluence); err != nil || sc.Name != "" || sc.Score == 0 {
		t.Errorf("lean score %+v (%v): want no name and a score", sc, err)
	}
}
