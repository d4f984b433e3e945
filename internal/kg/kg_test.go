package kg

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		bad  bool
	}{
		{"2017-09-13", 20170913, false},
		{"", 0, false},
		{"2017-9-13", 0, true},
		{"13/09/2017", 0, true},
		{"2017-02-30", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
		if err == nil && got != 0 && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	if got := Date(20170913).AddDays(30); got != 20171013 {
		t.Errorf("BOD 17-01 + 30 days = %v, want 2017-10-13", got)
	}
	if got := Date(20170913).AddDays(90); got != 20171212 {
		t.Errorf("BOD 17-01 + 90 days = %v, want 2017-12-12", got)
	}
}

func TestValidity(t *testing.T) {
	v := Validity{From: 20170908, To: 20180101}
	for d, want := range map[Date]bool{20170907: false, 20170908: true, 20171231: true, 20180101: false} {
		if v.ValidAt(d) != want {
			t.Errorf("ValidAt(%v) = %v, want %v", d, !want, want)
		}
	}
	if !(Validity{}).ValidAt(19000101) {
		t.Error("open validity must hold at any date")
	}
	if err := (Validity{From: 20200102, To: 20200101}).Check(); err == nil {
		t.Error("validTo before validFrom must be rejected")
	}
}

func TestValidation(t *testing.T) {
	src := []Citation{{SourceID: "source:x", Excerpt: "says so"}}
	tests := []struct {
		name  string
		b     Batch
		field string // "" = valid
	}{
		{"valid", Batch{
			Entities:      []Entity{{ID: "vendor:acme", Kind: KindVendor, Name: "Acme"}},
			Relationships: []Relationship{{Type: RelMakes, From: "vendor:acme", To: "product:av"}},
			Signals:       []RiskSignal{{ID: "signal:a", EntityID: "vendor:acme", Dimension: DimSanctions, Severity: 1, Sources: src}},
		}, ""},
		{"unknown kind", Batch{Entities: []Entity{{ID: "vendor:acme", Kind: "Spaceship", Name: "A"}}}, "entities[0].kind"},
		{"prefix mismatch", Batch{Entities: []Entity{{ID: "retailer:acme", Kind: KindVendor, Name: "A"}}}, "entities[0].id"},
		{"bad slug", Batch{Entities: []Entity{{ID: "vendor:Acme Inc", Kind: KindVendor, Name: "A"}}}, "entities[0].id"},
		{"empty name", Batch{Entities: []Entity{{ID: "vendor:acme", Kind: KindVendor, Name: " "}}}, "entities[0].name"},
		{"obligations off a directive", Batch{Entities: []Entity{{ID: "vendor:acme", Kind: KindVendor, Name: "A",
			Obligations: []Obligation{{ID: "x", Due: 20200101}}}}}, "entities[0].obligations"},
		{"obligation without due", Batch{Entities: []Entity{{ID: "directive:d", Kind: KindDirective, Name: "D",
			Obligations: []Obligation{{ID: "x"}}}}}, "entities[0].obligations[0].due"},
		{"reversed validity", Batch{Entities: []Entity{{ID: "vendor:acme", Kind: KindVendor, Name: "A",
			Validity: Validity{From: 20200102, To: 20200101}}}}, "entities[0].validity"},
		{"citation of a non-source", Batch{Entities: []Entity{{ID: "vendor:acme", Kind: KindVendor, Name: "A",
			Sources: []Citation{{SourceID: "vendor:acme"}}}}}, "entities[0].sources[0].source"},
		{"wrong endpoint kinds", Batch{Relationships: []Relationship{{Type: RelMakes, From: "retailer:r", To: "product:p"}}}, "relationships[0]"},
		{"unknown type", Batch{Relationships: []Relationship{{Type: "LIKES", From: "vendor:a", To: "product:p"}}}, "relationships[0].type"},
		{"self loop", Batch{Relationships: []Relationship{{Type: RelOwnedBy, From: "vendor:a", To: "vendor:a"}}}, "relationships[0]"},
		{"confidence above 1", Batch{Relationships: []Relationship{{Type: RelMakes, From: "vendor:a", To: "product:p", Confidence: 1.5}}}, "relationships[0].confidence"},
		{"severity above 1", Batch{Signals: []RiskSignal{{ID: "signal:a", EntityID: "vendor:a", Dimension: DimSanctions, Severity: 1.01}}}, "signals[0].severity"},
		{"unknown dimension", Batch{Signals: []RiskSignal{{ID: "signal:a", EntityID: "vendor:a", Dimension: "VIBES"}}}, "signals[0].dimension"},
		{"signal id prefix", Batch{Signals: []RiskSignal{{ID: "vendor:a", EntityID: "vendor:a", Dimension: DimSanctions}}}, "signals[0].id"},
		{"duplicate id", Batch{Entities: []Entity{{ID: "vendor:a", Kind: KindVendor, Name: "A"}, {ID: "vendor:a", Kind: KindVendor, Name: "A"}}}, "entities[1].id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid batch rejected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a ValidationError wrapping ErrInvalid", err)
			}
			if ve.Field != tc.field {
				t.Errorf("field = %q, want %q (%v)", ve.Field, tc.field, err)
			}
		})
	}
}

func TestEveryRelTypeHasEndpoints(t *testing.T) {
	for _, rt := range RelTypes {
		from, to := Endpoints(rt)
		if len(from) == 0 || len(to) == 0 || !rt.Valid() {
			t.Errorf("%s has no endpoints", rt)
		}
	}
	if len(endpoints) != len(RelTypes) {
		t.Errorf("endpoint table has %d types, RelTypes %d", len(endpoints), len(RelTypes))
	}
	if !strings.HasPrefix(RelationshipID("vendor:a", RelMakes, "product:b"), "vendor:a-MAKES->") {
		t.Error("relationship id format changed")
	}
}

func TestSnapshotValidAt(t *testing.T) {
	s := Snapshot{
		Entities:      []Entity{{ID: "vendor:a"}, {ID: "product:p", Validity: Validity{From: 20200101}}},
		Relationships: []Relationship{{Type: RelMakes, From: "vendor:a", To: "product:p"}},
		Signals:       []RiskSignal{{ID: "signal:s", EntityID: "product:p"}},
	}
	before := s.ValidAt(20191231)
	if len(before.Entities) != 1 || len(before.Relationships) != 0 || len(before.Signals) != 0 {
		t.Errorf("before the product existed: %+v", before)
	}
	after := s.ValidAt(20200101)
	if len(after.Entities) != 2 || len(after.Relationships) != 1 || len(after.Signals) != 1 {
		t.Errorf("after: %+v", after)
	}
}

// TestIDSyntax pins the hand-written id checks to the grammar they replace: a slug is
// ^[a-z0-9][a-z0-9._-]*$ and a kind prefix is the kind's name in lower case.
func TestIDSyntax(t *testing.T) {
	slug := regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	for _, s := range []string{"", "a", "0", "kaspersky-lab", "a.b_c-d", "-a", ".a", "_a", "a-", "A", "aB", "a b", "é", "a/b", "a:b", "9-9"} {
		if got, want := isSlug(s), slug.MatchString(s); got != want {
			t.Errorf("isSlug(%q) = %v, want %v", s, got, want)
		}
	}
	for _, tc := range []struct {
		id   string
		kind Kind
		ok   bool
	}{
		{"vendor:x", KindVendor, true}, {"person:x", KindPerson, true}, {"organization:x", KindOrganization, true},
		{"Vendor:x", "", false}, {"VENDOR:x", "", false}, {"vendors:x", "", false}, {"vendorx", "", false}, {":x", "", false},
	} {
		if k, ok := KindOfID(tc.id); k != tc.kind || ok != tc.ok {
			t.Errorf("KindOfID(%q) = %q, %v; want %q, %v", tc.id, k, ok, tc.kind, tc.ok)
		}
	}
}

func TestSortRelationships(t *testing.T) {
	// "vendor:a" sorts before "vendor:a-b" as an entity id, but its relationship id does not:
	// the order must be that of the ids, not of the (from, type, to) fields.
	rels := []Relationship{
		{Type: RelMakes, From: "vendor:a", To: "product:x"},
		{Type: RelMakes, From: "vendor:a-b", To: "product:x"},
		{Type: RelHeadquarteredIn, From: "vendor:a", To: "government:ru"},
		{Type: RelMakes, From: "vendor:0", To: "product:y"},
	}
	want := make([]string, len(rels))
	for i, r := range rels {
		want[i] = r.ID()
	}
	slices.Sort(want)
	SortRelationships(rels)
	for i, r := range rels {
		if r.ID() != want[i] {
			t.Fatalf("position %d: %s, want %s", i, r.ID(), want[i])
		}
	}
}
