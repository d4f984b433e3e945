package embedded

import (
	"path/filepath"
	"testing"
	"unsafe"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// same reports whether a and b are one string in memory, not merely equal.
func same(a, b string) bool { return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b) }

// TestOpenSharesRepeatedStrings checks that the rows a store decodes when it opens share
// their repeated strings (ids, types, excerpts) with the records they name, and that a
// write never changes the citations its caller passed.
func TestOpenSharesRepeatedStrings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "riskgraph.db")
	ctx := t.Context()
	cite := func() []kg.Citation {
		return []kg.Citation{{SourceID: "source:" + "memo", Excerpt: "the same " + "statement"}}
	}
	b := kg.Batch{
		Entities: []kg.Entity{
			{ID: "source:memo", Kind: kg.KindSource, Name: "Memo"},
			{ID: "vendor:a", Kind: kg.KindVendor, Name: "A"},
			{ID: "product:p", Kind: kg.KindProduct, Name: "P", Sources: cite()},
		},
		Relationships: []kg.Relationship{
			{Type: kg.RelMakes, From: "vendor:a", To: "product:p", Confidence: 1, Sources: cite()},
		},
		Signals: []kg.RiskSignal{{ID: "signal:a", EntityID: "vendor:" + "a", Dimension: kg.DimSanctions, Severity: 0.5, Reason: "r", Sources: cite()}},
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Check(s).Apply(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	src, vendor, product := s.ents["source:memo"], s.ents["vendor:a"], s.ents["product:p"]
	if src == nil || vendor == nil || product == nil {
		t.Fatal("an entity is missing after reopening")
	}
	rel := s.rel(b.Relationships[0].ID()).history(&s.tab)[0]
	if !same(rel.From, vendor.id()) || !same(rel.To, product.id()) {
		t.Errorf("relationship endpoints %q, %q are copies of the entities' ids", rel.From, rel.To)
	}
	if !same(string(rel.Type), string(typeOrder[mustRank(t, kg.RelMakes)])) {
		t.Errorf("relationship type %q is a copy", rel.Type)
	}
	g := s.sigs["signal:a"].rows[0]
	if !same(g.EntityID, vendor.id()) {
		t.Errorf("signal entity %q is a copy of the entity's id", g.EntityID)
	}
	pc, rc, gc := product.history()[0].Sources[0], rel.Sources[0], g.Sources[0]
	for _, c := range []kg.Citation{pc, rc, gc} {
		if !same(c.SourceID, src.id()) {
			t.Errorf("citation of %q is a copy of the source's id", c.SourceID)
		}
	}
	if !same(pc.Excerpt, rc.Excerpt) || !same(rc.Excerpt, gc.Excerpt) {
		t.Error("equal excerpts decoded on opening are separate strings")
	}

	// A later write leaves the caller's citations as they were: they are not the store's.
	mine := cite()
	before := mine[0]
	up := kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:a", To: "product:p", Confidence: 0.5, Sources: mine}}}
	if _, err := store.Check(s).Apply(ctx, up, "test"); err != nil {
		t.Fatal(err)
	}
	if !same(mine[0].SourceID, before.SourceID) || !same(mine[0].Excerpt, before.Excerpt) {
		t.Error("a write changed the citations its caller passed")
	}
	rows := s.rel(b.Relationships[0].ID()).history(&s.tab)
	if last := rows[len(rows)-1]; len(rows) < 2 || last.Confidence != 0.5 || !same(last.From, vendor.id()) {
		t.Errorf("the written row's endpoint is not the entity's id (%d rows, last %+v)", len(rows), last)
	}
}

func mustRank(t *testing.T, rt kg.RelType) uint8 {
	t.Helper()
	r, ok := typeRank(rt)
	if !ok {
		t.Fatalf("type %s unknown", rt)
	}
	return r
}
