package embedded

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"riskgraph/internal/kg"
)

// TestRelRecordSize guards the size of a relationship record and of an adjacency entry,
// which at 5M relationships are most of the store (two entries per relationship): every 4
// bytes more is 20 or 40 MB more. It also guards the pointers they hold, which the collector
// follows on every cycle: an entry has none, so adjacency lists are never scanned, and a
// record has only its rare fields.
func TestRelRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(relRec{}); n > 40 {
		t.Errorf("a relationship record is %d bytes, want at most 40", n)
	}
	if n := unsafe.Sizeof(adj{}); n > 12 {
		t.Errorf("an adjacency entry is %d bytes, want at most 12", n)
	}
	if n := pointers(reflect.TypeFor[adj]()); n != 0 {
		t.Errorf("an adjacency entry holds %d pointers, want none", n)
	}
	if n := pointers(reflect.TypeFor[relRec]()); n != 1 {
		t.Errorf("a relationship record holds %d pointers, want 1", n)
	}
}

// pointers counts the pointer words in a value of type t, as the collector sees them.
func pointers(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.String, reflect.Slice:
		return 1
	case reflect.Interface:
		return 2
	case reflect.Array:
		return t.Len() * pointers(t.Elem())
	case reflect.Struct:
		n := 0
		for i := range t.NumField() {
			n += pointers(t.Field(i).Type)
		}
		return n
	}
	return 0
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

// TestRelRecordKeepsItsRow: a record of one row gives that row back whole through the
// store's tables, whichever fields are set (a confidence of -0 included, which the table
// must not take for 0), and records whose rows share a citation list share its number.
func TestRelRecordKeepsItsRow(t *testing.T) {
	s := &Store{tab: newTables(), ents: map[string]*entityRec{}}
	for _, id := range []string{"vendor:a", "product:p", "law:l"} {
		rec := &entityRec{ident: id, seq: int32(len(s.tab.ents))}
		s.ents[id], s.tab.ents = rec, append(s.tab.ents, rec)
	}
	v := &kg.Version{RecordedAt: 7, RecordedBy: "test"}
	cites := []kg.Citation{{SourceID: "source:s", Excerpt: "x"}}
	plain := kg.Relationship{Type: kg.RelMakes, From: "vendor:a", To: "product:p", Confidence: 0.75, Sources: cites,
		Validity: kg.Validity{From: kg.NewDate(2017, 9, 13)}, Version: v, Inferred: true}
	full := kg.Relationship{Type: kg.RelCompliedWith, From: "vendor:a", To: "law:l", Obligation: "o1", Note: "n",
		Share: 0.4, Confidence: math.Copysign(0, -1), Version: v}
	cases := map[string][]kg.Relationship{
		"plain":      {plain},
		"rare":       {full},
		"no version": {{Type: kg.RelMakes, From: "vendor:a", To: "product:p"}},
		"two rows":   {plain, {Type: kg.RelMakes, From: "vendor:a", To: "product:p", Confidence: 1, Version: &kg.Version{RecordedAt: 9}}},
	}
	sh := newSharer(s, false)
	for name, rows := range cases {
		rank := mustRank(t, rows[0].Type)
		rec, _ := s.tab.newRel()
		rec.from, rec.to = s.ents[rows[0].From].seq, s.ents[rows[0].To].seq
		rec.set(sh, slices.Clone(rows), rank)
		got := rec.history(&s.tab)
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("%s: the record gives back %+v, want %+v", name, got, rows)
		}
		if name == "rare" && !math.Signbit(got[0].Confidence) {
			t.Errorf("%s: a confidence of -0 came back as 0", name)
		}
		if name == "plain" && rec.rare != nil {
			t.Errorf("%s: a row with none of the rare fields keeps them apart", name)
		}
	}
	a, _ := s.tab.newRel()
	b, _ := s.tab.newRel()
	a.set(sh, []kg.Relationship{plain}, mustRank(t, plain.Type))
	b.set(sh, []kg.Relationship{plain}, mustRank(t, plain.Type))
	if a.src == 0 || a.src != b.src {
		t.Errorf("two rows sharing a citation list got numbers %d and %d", a.src, b.src)
	}
}
