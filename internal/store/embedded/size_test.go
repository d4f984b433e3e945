package embedded

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"riskgraph/internal/kg"
)

// TestRelRecordSize guards the size of a relationship record, which at 5M relationships is
// most of the store: every 8 bytes more is 40 MB more.
func TestRelRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(relRec{}); n > 80 {
		t.Errorf("a relationship record is %d bytes, want at most 80", n)
	}
}

// TestEntityRecordSize guards the size of an entity record, which at 1M entities is a tenth
// of the store: every 8 bytes more is 8 MB more.
func TestEntityRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(entityRec{}); n > 128 {
		t.Errorf("an entity record is %d bytes, want at most 128", n)
	}
}

// TestEntityRecordKeepsItsRow: a record of one row gives that row back whole, whichever of
// its fields are set, a kind its id does not name included; one of several rows gives them all.
func TestEntityRecordKeepsItsRow(t *testing.T) {
	v := &kg.Version{RecordedAt: 7, RecordedBy: "test"}
	full := kg.Entity{ID: "law:fisa", Kind: kg.KindLaw, Name: "FISA", Aliases: []string{"FISA 702"},
		Description: "a law", Attributes: []kg.Attribute{{Key: "k", Value: "v"}},
		Obligations: []kg.Obligation{{ID: "o", Title: "t", Due: kg.NewDate(2018, 1, 1)}},
		Reach:       &kg.Reach{Products: true}, Sources: []kg.Citation{{SourceID: "source:s", Excerpt: "x"}},
		Validity: kg.Validity{From: kg.NewDate(2008, 7, 10)}, Version: v}
	cases := map[string][]kg.Entity{
		"plain":       {{ID: "vendor:v", Kind: kg.KindVendor, Name: "V", Version: v}},
		"every field": {full},
		"own kind":    {{ID: "vendor:w", Kind: kg.KindAgency, Name: "W"}},
		"no kind":     {{ID: "vendor:x", Name: "X"}},
		"two rows":    {full, {ID: "law:fisa", Kind: kg.KindLaw, Name: "FISA (amended)", Version: &kg.Version{RecordedAt: 9}}},
	}
	// Each rare field alone.
	for i, set := range []func(e *kg.Entity){
		func(e *kg.Entity) { e.Aliases = full.Aliases }, func(e *kg.Entity) { e.Description = full.Description },
		func(e *kg.Entity) { e.Attributes = full.Attributes }, func(e *kg.Entity) { e.Obligations = full.Obligations },
		func(e *kg.Entity) { e.Reach = full.Reach }, func(e *kg.Entity) { e.Sources = full.Sources },
	} {
		e := kg.Entity{ID: "law:l", Kind: kg.KindLaw, Name: "L"}
		set(&e)
		cases[fmt.Sprintf("rare field %d", i)] = []kg.Entity{e}
	}
	for name, rows := range cases {
		rec := &entityRec{ident: rows[0].ID}
		rec.set(slices.Clone(rows))
		if got := rec.history(); !reflect.DeepEqual(got, rows) {
			t.Errorf("%s: the record gives back %+v, want %+v", name, got, rows)
		}
		if name == "plain" && rec.rare != nil {
			t.Errorf("%s: a row with none of the rare fields keeps them apart", name)
		}
	}
}
