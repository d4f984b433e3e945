package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

func vendors(n int) kg.Batch {
	var b kg.Batch
	for i := range n {
		b.Entities = append(b.Entities, kg.Entity{ID: fmt.Sprintf("vendor:v%03d", i), Kind: kg.KindVendor, Name: fmt.Sprintf("Vendor %d", i)})
	}
	return b
}

func testAsOf(t *testing.T, s *store.Checked) {
	for _, tc := range []struct {
		at   kg.Date
		want []string
	}{
		{d20170101, []string{"retailer:r1-SELLS->product:p1"}},
		{20170907, []string{"retailer:r1-SELLS->product:p1"}}, // the last day of [from, to)
		{d20170908, []string{"retailer:r1-DELISTED->product:p1"}},
		{d20180101, []string{"retailer:r1-DELISTED->product:p1"}},
	} {
		pages := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"retailer:r1"}, Direction: kg.Out, AsOf: tc.at})
		wantIDs(t, fmt.Sprintf("best buy's relationships on %s", tc.at), relIDs(pages["retailer:r1"].Items), tc.want)
	}
	for at, want := range map[kg.Date]bool{d20170101: false, 20170912: false, d20170913: true, d20180101: true} {
		got := get2(t, s.Entities, []string{"directive:d1"}, store.AsOf(at))
		if _, ok := got["directive:d1"]; ok != want {
			t.Errorf("directive visible on %s: %v, want %v", at, ok, want)
		}
	}
	// A relationship is hidden while an endpoint is.
	pages := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: kg.In, AsOf: 20170912})
	wantIDs(t, "vendor's incoming relationships before the directive", relIDs(pages["vendor:v1"].Items),
		[]string{"law:l1-APPLIES_TO->vendor:v1"})
	pages = get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: kg.In, AsOf: d20170913})
	wantIDs(t, "vendor's incoming relationships on the directive's day", relIDs(pages["vendor:v1"].Items),
		[]string{"directive:d1-TARGETS->vendor:v1", "law:l1-APPLIES_TO->vendor:v1"})
	sigs := get2(t, s.Signals, []string{"directive:d1", "government:ru"}, store.AsOf(d20170101))
	if len(sigs["directive:d1"]) != 0 || len(sigs["government:ru"]) != 1 {
		t.Errorf("signals on 2017-01-01: %+v", sigs)
	}
	// A signal bounded on both ends.
	mustApply(t, s, kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:v1-rep", EntityID: "vendor:v1", Dimension: kg.DimReputational,
		Severity: 0.3, Reason: "press", Validity: kg.Validity{From: d20170908, To: d20171001}}}})
	for at, want := range map[kg.Date]int{20170907: 0, d20170908: 1, 20170930: 1, d20171001: 0} {
		sigs := get2(t, s.Signals, []string{"vendor:v1"}, store.AsOf(at))
		if got := len(sigs["vendor:v1"]); got != want {
			t.Errorf("vendor signals on %s: %d, want %d", at, got, want)
		}
	}
}

func testListPagination(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	mustApply(t, s, vendors(25))
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		p := get(t, s.List, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{First: 7, After: after}})
		all = append(all, entityIDs(p.Items)...)
		if n := len(p.Items); n > 0 && p.EndCursor != store.EncodeCursor(p.Items[n-1].ID) {
			t.Errorf("end cursor %q is not the last item's cursor", p.EndCursor)
		}
		if pages == 0 {
			// Rows written between pages: one before the cursor must not appear later (nor
			// shift what follows), one after it must.
			mustApply(t, s, kg.Batch{Entities: []kg.Entity{{ID: "vendor:v000a", Kind: kg.KindVendor, Name: "Late"},
				{ID: "vendor:v024a", Kind: kg.KindVendor, Name: "Later"}}})
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	want := append(entityIDs(vendors(25).Entities), "vendor:v024a")
	wantIDs(t, "pages concatenated", all, want)

	last, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{After: store.EncodeCursor("vendor:v999")}})
	if err != nil || len(last.Items) != 0 || last.HasNext || last.EndCursor != "" {
		t.Errorf("page past the end: %+v, %v", last, err)
	}
	if p, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{First: 1, After: store.EncodeCursor("vendor:v010")}}); err != nil ||
		len(p.Items) != 1 || p.Items[0].ID != "vendor:v011" {
		t.Errorf("page after vendor:v010: %+v, %v", p, err)
	}

	def := get(t, s.List, store.ListQuery{})
	if len(def.Items) != store.DefaultFirst || !def.HasNext {
		t.Errorf("default page: %d items, hasNext %v", len(def.Items), def.HasNext)
	}
	full, err := s.List(ctx, store.ListQuery{Page: store.Page{First: store.MaxFirst}})
	if err != nil || len(full.Items) != 27 || full.HasNext {
		t.Errorf("first = MaxFirst: %d items, hasNext %v, %v", len(full.Items), full.HasNext, err)
	}
	for _, tc := range []struct {
		name string
		page store.Page
	}{
		{"first above max", store.Page{First: store.MaxFirst + 1}},
		{"negative first", store.Page{First: -1}},
		{"bogus cursor", store.Page{After: "not-a-cursor"}},
		{"cursor of two parts", store.Page{After: store.EncodeCursor("a", "b")}},
	} {
		_, err := s.List(ctx, store.ListQuery{Page: tc.page})
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
	_, err = s.List(ctx, store.ListQuery{Kind: "Spaceship"})
	wantErr(t, "unknown kind", err, store.ErrInvalid)
}

func testListFilters(t *testing.T, s *store.Checked) {
	list := func(q store.ListQuery) []string {
		t.Helper()
		q.AsOf = d20180101
		p := get(t, s.List, q)
		return entityIDs(p.Items)
	}
	wantIDs(t, "kind Government", list(store.ListQuery{Kind: kg.KindGovernment}), []string{"government:ru", "government:us"})
	wantIDs(t, "name contains 'KASPERSKY'", list(store.ListQuery{Filter: store.Filter{NameContains: "KASPERSKY"}}),
		[]string{"product:p1", "vendor:v1"})
	wantIDs(t, "alias contains 'russia'", list(store.ListQuery{Filter: store.Filter{NameContains: "russia"}}),
		[]string{"government:ru"})
	wantIDs(t, "headquartered in Russia", list(store.ListQuery{Filter: store.Filter{Related: &store.RelatedFilter{
		Type: kg.RelHeadquarteredIn, Direction: kg.Out, EntityID: "government:ru"}}}), []string{"vendor:v1"})
	wantIDs(t, "what the directive binds", list(store.ListQuery{Filter: store.Filter{Related: &store.RelatedFilter{
		Type: kg.RelBinds, Direction: kg.In, EntityID: "directive:d1"}}}), []string{"organization:o1"})
	wantIDs(t, "kind and name together", list(store.ListQuery{Kind: kg.KindProduct, Filter: store.Filter{NameContains: "kaspersky"}}),
		[]string{"product:p1"})
	wantIDs(t, "name matching nothing", list(store.ListQuery{Filter: store.Filter{NameContains: "zzz"}}), nil)
	wantIDs(t, "kind and relation together", list(store.ListQuery{Kind: kg.KindRetailer, Filter: store.Filter{Related: &store.RelatedFilter{
		Type: kg.RelHeadquarteredIn, Direction: kg.Out, EntityID: "government:ru"}}}), nil)
}

func testSearch(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{
		{ID: "vendor:acme", Kind: kg.KindVendor, Name: "Acme"},
		{ID: "vendor:acme-holdings", Kind: kg.KindVendor, Name: "Acme Holdings International Group"},
		{ID: "retailer:zeta", Kind: kg.KindRetailer, Name: "Zeta Stores", Aliases: []string{"Acme Retail"}},
	}})
	search := func(q store.SearchQuery) store.SearchPage {
		t.Helper()
		q.AsOf = d20180101
		p := get(t, s.Search, q)
		return p
	}
	p := search(store.SearchQuery{Text: "acme"})
	ids := make([]string, len(p.Items))
	for i, h := range p.Items {
		ids[i] = h.Entity.ID
	}
	if len(ids) != 3 || ids[0] != "vendor:acme" || !slices.Contains(ids, "retailer:zeta") {
		t.Errorf("search acme: %v, want vendor:acme first and the alias match found", ids)
	}
	for i := 1; i < len(p.Items); i++ {
		if p.Items[i].Score > p.Items[i-1].Score {
			t.Errorf("results not best first: %v", p.Items)
		}
	}
	if k := search(store.SearchQuery{Text: "acme", Kinds: []kg.Kind{kg.KindRetailer}}); len(k.Items) != 1 || k.Items[0].Entity.ID != "retailer:zeta" {
		t.Errorf("kind filter: %+v", k.Items)
	}
	if k := search(store.SearchQuery{Text: "acme", Kinds: []kg.Kind{kg.KindProduct, kg.KindRetailer}}); len(k.Items) != 1 || k.Items[0].Entity.ID != "retailer:zeta" {
		t.Errorf("two kinds, one with no match: %+v", k.Items)
	}
	if k := search(store.SearchQuery{Text: "acme", Kinds: []kg.Kind{kg.KindRetailer, kg.KindVendor}}); len(k.Items) != 3 {
		t.Errorf("two kinds: %+v, want all three", k.Items)
	}
	first := search(store.SearchQuery{Text: "acme", Page: store.Page{First: 2}})
	if len(first.Items) != 2 || !first.HasNext {
		t.Fatalf("first page: %+v", first)
	}
	rest := search(store.SearchQuery{Text: "acme", Page: store.Page{First: 2, After: first.EndCursor}})
	if len(rest.Items) != 1 || rest.HasNext || slices.ContainsFunc(first.Items, func(h store.SearchHit) bool { return h.Entity.ID == rest.Items[0].Entity.ID }) {
		t.Errorf("second page: %+v", rest)
	}
	if got := search(store.SearchQuery{Text: "Kaspersky Lab"}); len(got.Items) == 0 || got.Items[0].Entity.ID != "vendor:v1" {
		t.Errorf("search 'Kaspersky Lab': %+v", got.Items)
	}
	hitIDs := func(p store.SearchPage) []string {
		ids := make([]string, len(p.Items))
		for i, h := range p.Items {
			ids[i] = h.Entity.ID
		}
		return sorted(ids)
	}
	// Every word must match: the product has "kaspersky" but not "lab".
	wantIDs(t, "search 'kaspersky lab'", hitIDs(search(store.SearchQuery{Text: "kaspersky lab"})), []string{"vendor:v1"})
	// A word may match as a prefix.
	wantIDs(t, "search 'kasp'", hitIDs(search(store.SearchQuery{Text: "kasp"})), []string{"product:p1", "vendor:v1"})
	// The description is searched too.
	wantIDs(t, "search 'moscow'", hitIDs(search(store.SearchQuery{Text: "moscow"})), []string{"vendor:v1"})
	if got := search(store.SearchQuery{Text: "Directive One", AsOf: 0}); len(got.Items) == 0 {
		t.Error("no hit for the directive's name")
	}
	if early := get(t, s.Search, store.SearchQuery{Text: "Directive", AsOf: d20170101}); len(early.Items) != 0 {
		t.Errorf("search found the directive before it existed: %+v", early.Items)
	}
	testSearchSkipsHidden(t, s)
	_, err := s.Search(ctx, store.SearchQuery{Text: "  "})
	wantErr(t, "empty search", err, store.ErrInvalid)
}

// testSearchSkipsHidden pages through equally scored hits, some of which are not visible at
// the moment asked: pages hold only visible hits, full until the last, in id order.
func testSearchSkipsHidden(t *testing.T, s *store.Checked) {
	var b kg.Batch
	for i := 1; i <= 7; i++ {
		e := kg.Entity{ID: fmt.Sprintf("vendor:widget%d", i), Kind: kg.KindVendor, Name: fmt.Sprintf("Widget %d", i)}
		switch i {
		case 2:
			e.Validity = kg.Validity{From: 20190101} // not yet
		case 3, 4:
			e.Validity = kg.Validity{To: 20170601} // no longer
		}
		b.Entities = append(b.Entities, e)
	}
	mustApply(t, s, b)
	var got []string
	var pages []int
	q := store.SearchQuery{Text: "widget", Kinds: []kg.Kind{kg.KindVendor}, AsOf: d20180101, Page: store.Page{First: 2}}
	for range 4 {
		p := get(t, s.Search, q)
		pages = append(pages, len(p.Items))
		for _, h := range p.Items {
			got = append(got, h.Entity.ID)
		}
		if !p.HasNext {
			break
		}
		q.Page.After = p.EndCursor
	}
	want := []string{"vendor:widget1", "vendor:widget5", "vendor:widget6", "vendor:widget7"}
	if !slices.Equal(got, want) || !slices.Equal(pages, []int{2, 2}) {
		t.Errorf("pages of 2 over hidden hits: %v in pages of %v, want %v in pages of [2 2]", got, pages, want)
	}
}

func testRelationships(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	pages := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1", "product:p1", "government:us"}, AsOf: d20180101})
	wantIDs(t, "vendor, both directions", relIDs(pages["vendor:v1"].Items), []string{
		"directive:d1-TARGETS->vendor:v1", "law:l1-APPLIES_TO->vendor:v1",
		"vendor:v1-HEADQUARTERED_IN->government:ru", "vendor:v1-MAKES->product:p1"})
	wantIDs(t, "product", relIDs(pages["product:p1"].Items), []string{
		"organization:o1-USES->product:p1", "retailer:r1-DELISTED->product:p1", "vendor:v1-MAKES->product:p1"})
	wantIDs(t, "united states", relIDs(pages["government:us"].Items), []string{"agency:a1-PART_OF->government:us"})

	out := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: kg.Out,
		Types: []kg.RelType{kg.RelMakes}, AsOf: d20180101})
	wantIDs(t, "vendor OUT MAKES", relIDs(out["vendor:v1"].Items), []string{"vendor:v1-MAKES->product:p1"})

	p1 := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, AsOf: d20180101, Page: store.Page{First: 3}})
	pg := p1["vendor:v1"]
	if len(pg.Items) != 3 || !pg.HasNext || pg.EndCursor != store.EncodeCursor(pg.Items[2].ID()) {
		t.Fatalf("first page of 3: %+v", pg)
	}
	p2 := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, AsOf: d20180101, Page: store.Page{First: 3, After: pg.EndCursor}})
	wantIDs(t, "second page", relIDs(p2["vendor:v1"].Items), []string{"vendor:v1-MAKES->product:p1"})
	if p2["vendor:v1"].HasNext {
		t.Error("second page says more follow")
	}
	// Pages of several types are in id order across the types, and a cursor of one type
	// resumes in the others.
	in := store.RelQuery{EntityIDs: []string{"product:p1"}, Direction: kg.In, Types: []kg.RelType{kg.RelUses, kg.RelMakes, kg.RelDelisted},
		AsOf: d20180101, Page: store.Page{First: 1, After: store.EncodeCursor("organization:o1-USES->product:p1")}}
	p3 := get(t, s.Relationships, in)["product:p1"]
	wantIDs(t, "after a USES, of three types", relIDs(p3.Items), []string{"retailer:r1-DELISTED->product:p1"})
	if !p3.HasNext {
		t.Error("a page of 1 of 2 says nothing follows")
	}
	_, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Types: []kg.RelType{"LIKES"}})
	wantErr(t, "unknown type", err, store.ErrInvalid)
}

func testSignals(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	got := get2(t, s.Signals, []string{"government:ru", "directive:d1", "vendor:v1"}, store.AsOf(d20180101))
	if len(got["government:ru"]) != 1 || got["government:ru"][0].Severity != 0.8 || len(got["directive:d1"]) != 1 || len(got["vendor:v1"]) != 0 {
		t.Errorf("signals: %+v", got)
	}
	// Several signals on one entity come in id order; a signal whose entity is not visible is hidden.
	mustApply(t, s, kg.Batch{Signals: []kg.RiskSignal{
		{ID: "signal:r1-z", EntityID: "retailer:r1", Dimension: kg.DimReputational, Severity: 0.2, Reason: "b"},
		{ID: "signal:r1-a", EntityID: "retailer:r1", Dimension: kg.DimOperational, Severity: 0.1, Reason: "a"},
	}})
	if _, err := retract(ctx, s, []string{"retailer:r1"}, d20171001); err != nil {
		t.Fatal(err)
	}
	for at, want := range map[kg.Date][]string{20170930: {"signal:r1-a", "signal:r1-z"}, d20171001: nil} {
		got := get2(t, s.Signals, []string{"retailer:r1"}, store.AsOf(at))
		var ids []string
		for _, g := range got["retailer:r1"] {
			ids = append(ids, g.ID)
		}
		wantIDs(t, fmt.Sprintf("retailer's signals on %s", at), ids, want)
	}
}

func testSnapshot(t *testing.T, s *store.Checked) {
	fx := Fixture()
	snap := get(t, s.Snapshot, store.AsOf(d20180101))
	if len(snap.Entities) != len(fx.Entities) || len(snap.Signals) != 2 || len(snap.Relationships) != len(fx.Relationships)-1 {
		t.Errorf("snapshot 2018: %d entities, %d relationships, %d signals", len(snap.Entities), len(snap.Relationships), len(snap.Signals))
	}
	if !slices.IsSorted(entityIDs(snap.Entities)) || !slices.IsSorted(relIDs(snap.Relationships)) ||
		!slices.IsSortedFunc(snap.Signals, func(a, b kg.RiskSignal) int { return cmp.Compare(a.ID, b.ID) }) {
		t.Error("snapshot rows are not in id order")
	}
	if snap.AsOf != d20180101 {
		t.Errorf("snapshot AsOf = %v", snap.AsOf)
	}
	early := get(t, s.Snapshot, store.AsOf(d20170101))
	if len(early.Entities) != len(fx.Entities)-1 || len(early.Signals) != 1 {
		t.Errorf("snapshot 2017-01-01: %d entities, %d signals", len(early.Entities), len(early.Signals))
	}
	for _, r := range early.Relationships {
		if r.From == "directive:d1" || r.To == "directive:d1" || r.Type == kg.RelDelisted {
			t.Errorf("relationship %s visible on 2017-01-01", r.ID())
		}
	}
}

// testWalk: a walk hands over the facts of the snapshot of the same moment, each once, and
// the relationship ids it gives are the relationships' ids (none when the visitor skips them).
func testWalk(t *testing.T, s *store.Checked) {
	for _, c := range []struct {
		at   store.At
		skip bool
	}{{store.AsOf(d20170101), false}, {store.AsOf(d20180101), false}, {store.AsOf(d20180101), true}} {
		at := c.at
		var got kg.Snapshot
		sized, sizes := false, [2]int{}
		err := s.Walk(t.Context(), at, store.FactVisitor{
			SkipIDs: c.skip,
			Sizes: func(e, r int) {
				if sized || len(got.Entities)+len(got.Relationships)+len(got.Signals) > 0 {
					t.Errorf("walk %v: sizes told twice or after a fact", at)
				}
				sized, sizes = true, [2]int{e, r}
			},
			Entity: func(e kg.Entity) error { got.Entities = append(got.Entities, e); return nil },
			Relationship: func(id string, r kg.Relationship) error {
				switch {
				case c.skip && id != "":
					return fmt.Errorf("walk skipping ids names relationship %s %q", r.ID(), id)
				case !c.skip && id != r.ID():
					return fmt.Errorf("walk names relationship %s %q", r.ID(), id)
				}
				got.Relationships = append(got.Relationships, r)
				return nil
			},
			Signal: func(g kg.RiskSignal) error { got.Signals = append(got.Signals, g); return nil },
		})
		if err != nil {
			t.Fatalf("walk %v: %v", at, err)
		}
		if !sized || sizes[0] < len(got.Entities) || sizes[1] < len(got.Relationships) {
			t.Errorf("walk %v: sizes %v (told: %v) for %d entities and %d relationships", at, sizes, sized, len(got.Entities), len(got.Relationships))
		}
		got.Sort()
		want := get(t, s.Snapshot, at)
		want.AsOf, want.KnownAt = 0, 0
		if len(want.Entities) == 0 || len(want.Relationships) == 0 || len(want.Signals) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("walk %v: %d entities, %d relationships, %d signals; the snapshot has %d, %d, %d (or other rows)", at,
				len(got.Entities), len(got.Relationships), len(got.Signals), len(want.Entities), len(want.Relationships), len(want.Signals))
		}
	}
	// With RelationshipBetween, each relationship still comes once, by one callback or the
	// other, and the ends it names are the entities handed over at those places.
	for _, at := range []store.At{store.AsOf(d20170101), store.AsOf(d20180101)} {
		var ents []kg.Entity
		var rels []kg.Relationship
		err := s.Walk(t.Context(), at, store.FactVisitor{
			Entity: func(e kg.Entity) error { ents = append(ents, e); return nil },
			Relationship: func(_ string, r kg.Relationship) error {
				rels = append(rels, r)
				return nil
			},
			RelationshipBetween: func(from, to int, r kg.Relationship) error {
				if from < 0 || to < 0 || from >= len(ents) || to >= len(ents) || ents[from].ID != r.From || ents[to].ID != r.To {
					return fmt.Errorf("relationship %s handed over between entities %d and %d of %d", r.ID(), from, to, len(ents))
				}
				rels = append(rels, r)
				return nil
			},
		})
		if err != nil {
			t.Fatalf("numbered walk %v: %v", at, err)
		}
		want := get(t, s.Snapshot, at)
		slices.SortFunc(rels, func(a, b kg.Relationship) int { return strings.Compare(a.ID(), b.ID()) })
		if !reflect.DeepEqual(rels, want.Relationships) {
			t.Errorf("numbered walk %v: relationships %v, want %v", at, relIDs(rels), relIDs(want.Relationships))
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.Walk(t.Context(), store.AsOf(d20180101), store.FactVisitor{Entity: func(kg.Entity) error { n++; return stop }})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("a visitor's error: walk returned %v after %d entities", err, n)
	}
}

// testSnapshotOrderWithPrefixIDs: when one entity's id continues another's, walking entities
// in id order does not give relationships in id order ("vendor:a-0-MAKES->…" sorts before
// "vendor:a-MAKES->…"); the snapshot still lists them by id.
func testSnapshotOrderWithPrefixIDs(t *testing.T, s *store.Checked) {
	b := kg.Batch{Entities: []kg.Entity{{ID: "vendor:a", Kind: kg.KindVendor, Name: "A"}, {ID: "vendor:a-0", Kind: kg.KindVendor, Name: "A-0"},
		{ID: "product:p", Kind: kg.KindProduct, Name: "P"}, {ID: "government:g", Kind: kg.KindGovernment, Name: "G"}}}
	for _, v := range []string{"vendor:a", "vendor:a-0"} {
		b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelMakes, From: v, To: "product:p"},
			kg.Relationship{Type: kg.RelHeadquarteredIn, From: v, To: "government:g"})
	}
	mustApply(t, s, b)
	snap := get(t, s.Snapshot, store.AsOf(d20180101))
	ids := relIDs(snap.Relationships)
	if len(ids) != 4 || !slices.IsSorted(ids) {
		t.Errorf("snapshot relationships %v, want all four in id order", ids)
	}
}

func testEntitiesMissing(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	got := get2(t, s.Entities, []string{"vendor:v1", "vendor:ghost", "government:ru", "directive:d1", "vendor:v1"}, store.AsOf(d20170101))
	// directive:d1 exists but is not visible on 2017-01-01: absent like a missing id.
	if len(got) != 2 || got["vendor:v1"].ID != "vendor:v1" || got["government:ru"].Kind != kg.KindGovernment {
		t.Errorf("entities: %+v", got)
	}
	if _, ok := got["vendor:ghost"]; ok {
		t.Error("a missing id is present")
	}
	if none, err := s.Entities(ctx, nil, store.AsOf(0)); err != nil || len(none) != 0 {
		t.Errorf("no ids: %v, %v", none, err)
	}
}

func testNeighbourhood(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	// Upstream of the organisation for foreign influence: USES walked OUT, MAKES walked IN,
	// APPLIES_TO walked IN, ENACTED walked IN, HEADQUARTERED_IN walked OUT.
	steps := []store.Step{{Type: kg.RelUses, Direction: kg.Out}, {Type: kg.RelMakes, Direction: kg.In},
		{Type: kg.RelAppliesTo, Direction: kg.In}, {Type: kg.RelEnacted, Direction: kg.In},
		{Type: kg.RelHeadquarteredIn, Direction: kg.Out}}
	nb := func(q store.NeighbourhoodQuery) kg.Snapshot {
		t.Helper()
		if q.Roots == nil {
			q.Roots = []string{"organization:o1"}
		}
		snap := get(t, s.Neighbourhood, q)
		snap.Sort() // in no particular order
		return snap
	}
	up := func(hops int) kg.Snapshot {
		t.Helper()
		return nb(store.NeighbourhoodQuery{Steps: steps, MaxHops: hops, AsOf: d20180101})
	}
	wantIDs(t, "0 hops", entityIDs(up(0).Entities), []string{"organization:o1"})
	if r := up(0).Relationships; len(r) != 0 {
		t.Errorf("0 hops walked %v", relIDs(r))
	}
	one := up(1)
	wantIDs(t, "1 hop", entityIDs(one.Entities), []string{"organization:o1", "product:p1"})
	wantIDs(t, "1 hop relationships", relIDs(one.Relationships), []string{"organization:o1-USES->product:p1"})
	wantIDs(t, "2 hops", entityIDs(up(2).Entities), []string{"organization:o1", "product:p1", "vendor:v1"})
	three := up(3)
	wantIDs(t, "3 hops", entityIDs(three.Entities), []string{"government:ru", "law:l1", "organization:o1", "product:p1", "vendor:v1"})
	// ENACTED joins two entities both 3 hops away: not walked within 3 hops.
	wantIDs(t, "3 hop relationships", relIDs(three.Relationships), []string{"law:l1-APPLIES_TO->vendor:v1",
		"organization:o1-USES->product:p1", "vendor:v1-HEADQUARTERED_IN->government:ru", "vendor:v1-MAKES->product:p1"})
	if len(three.Signals) != 1 || three.Signals[0].ID != "signal:ru-fi" {
		t.Errorf("signals in the neighbourhood: %+v", three.Signals)
	}
	four := up(4)
	wantIDs(t, "4 hops", entityIDs(four.Entities), entityIDs(three.Entities))
	wantIDs(t, "4 hop relationships", relIDs(four.Relationships), []string{"government:ru-ENACTED->law:l1", "law:l1-APPLIES_TO->vendor:v1",
		"organization:o1-USES->product:p1", "vendor:v1-HEADQUARTERED_IN->government:ru", "vendor:v1-MAKES->product:p1"})

	// Direction matters: walking USES IN from the organisation leads nowhere.
	wantIDs(t, "wrong direction", entityIDs(nb(store.NeighbourhoodQuery{MaxHops: 3, AsOf: d20180101,
		Steps: []store.Step{{Type: kg.RelUses, Direction: kg.In}}}).Entities), []string{"organization:o1"})
	// BOTH walks either way.
	wantIDs(t, "USES both ways", entityIDs(nb(store.NeighbourhoodQuery{Roots: []string{"product:p1"}, MaxHops: 1, AsOf: d20180101,
		Steps: []store.Step{{Type: kg.RelUses, Direction: kg.Both}}}).Entities), []string{"organization:o1", "product:p1"})
	// No steps: every type, both directions. Several roots; an unknown one is skipped.
	many := nb(store.NeighbourhoodQuery{Roots: []string{"retailer:r1", "government:us", "vendor:ghost"}, MaxHops: 1, AsOf: d20180101})
	wantIDs(t, "several roots", entityIDs(many.Entities), []string{"agency:a1", "government:us", "product:p1", "retailer:r1"})
	wantIDs(t, "several roots' relationships", relIDs(many.Relationships),
		[]string{"agency:a1-PART_OF->government:us", "retailer:r1-DELISTED->product:p1"})
	// As of 2017-01-01 the directive and its edges are invisible, and SELLS still holds.
	early := nb(store.NeighbourhoodQuery{MaxHops: 2, AsOf: d20170101})
	wantIDs(t, "2 hops on 2017-01-01", entityIDs(early.Entities), []string{"organization:o1", "product:p1", "retailer:r1", "vendor:v1"})
	wantIDs(t, "relationships on 2017-01-01", relIDs(early.Relationships), []string{"organization:o1-USES->product:p1",
		"retailer:r1-SELLS->product:p1", "vendor:v1-MAKES->product:p1"})

	// Lean: the same walk, entities with their id and kind only.
	for _, q := range []store.NeighbourhoodQuery{
		{Steps: steps, MaxHops: 4, AsOf: d20180101},
		{Roots: []string{"retailer:r1", "government:us", "vendor:ghost"}, MaxHops: 2, AsOf: d20170101},
	} {
		full := nb(q)
		q.Lean = true
		lean := nb(q)
		for i, e := range full.Entities {
			full.Entities[i] = kg.Entity{ID: e.ID, Kind: e.Kind}
		}
		if !reflect.DeepEqual(lean, full) {
			t.Errorf("lean neighbourhood of %v:\n%+v\nwant\n%+v", q.Roots, lean, full)
		}
	}

	// SignalWalks: a backend may cut what lies on no walk from a signal to a root, and must
	// keep all that does: within 3 hops, the chain ru→v1→p1→o1 carries the FOREIGN_INFLUENCE
	// signal on ru; law:l1 carries none and leads to none. With only SANCTIONS signals asked
	// for, only the root must stay. Nothing may come back that the plain walk does not reach.
	for _, tc := range []struct {
		dims           []kg.Dimension
		ents, rels, sg []string
	}{
		{nil, []string{"government:ru", "organization:o1", "product:p1", "vendor:v1"}, []string{"organization:o1-USES->product:p1",
			"vendor:v1-HEADQUARTERED_IN->government:ru", "vendor:v1-MAKES->product:p1"}, []string{"signal:ru-fi"}},
		{[]kg.Dimension{kg.DimForeignInfluence}, []string{"government:ru", "organization:o1", "product:p1", "vendor:v1"}, nil, []string{"signal:ru-fi"}},
		{[]kg.Dimension{kg.DimSanctions}, []string{"organization:o1"}, nil, nil},
	} {
		q := store.NeighbourhoodQuery{Steps: steps, MaxHops: 3, AsOf: d20180101, SignalWalks: true, SignalDimensions: tc.dims}
		cut := nb(q)
		q.SignalWalks, q.SignalDimensions = false, nil
		full := nb(q)
		for _, c := range []struct {
			what            string
			got, want, most []string
		}{
			{"entities", entityIDs(cut.Entities), tc.ents, entityIDs(full.Entities)},
			{"relationships", relIDs(cut.Relationships), tc.rels, relIDs(full.Relationships)},
			{"signals", signalIDs(cut.Signals), tc.sg, signalIDs(full.Signals)},
		} {
			for _, id := range c.want {
				if !slices.Contains(c.got, id) {
					t.Errorf("signal walks of %v: %s %v lack %s", tc.dims, c.what, c.got, id)
				}
			}
			for _, id := range c.got {
				if !slices.Contains(c.most, id) {
					t.Errorf("signal walks of %v: %s %v hold %s, which the walk does not reach", tc.dims, c.what, c.got, id)
				}
			}
		}
	}

	if got := nb(store.NeighbourhoodQuery{Steps: steps, MaxHops: 3, AsOf: d20180101, MaxEntities: 5}); len(got.Entities) != 5 {
		t.Errorf("cap equal to the size: %d entities", len(got.Entities))
	}
	for _, tc := range []struct {
		name string
		q    store.NeighbourhoodQuery
	}{
		{"over the entity cap", store.NeighbourhoodQuery{Steps: steps, MaxHops: 3, AsOf: d20180101, MaxEntities: 4}},
		{"negative cap", store.NeighbourhoodQuery{MaxHops: 1, MaxEntities: -1}},
		{"hops above max", store.NeighbourhoodQuery{MaxHops: store.MaxHops + 1}},
		{"negative hops", store.NeighbourhoodQuery{MaxHops: -1}},
		{"unknown step type", store.NeighbourhoodQuery{MaxHops: 1, Steps: []store.Step{{Type: "LIKES", Direction: kg.Out}}}},
	} {
		tc.q.Roots = []string{"organization:o1"}
		_, err := s.Neighbourhood(ctx, tc.q)
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
}

func testPaths(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	paths := func(q store.PathQuery) []store.Path {
		t.Helper()
		q.AsOf = d20180101
		ps := get(t, s.Paths, q)
		return ps
	}
	ps := paths(store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 4})
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprint(p.EntityIDs))
		if len(p.EntityIDs) != len(p.Relationships)+1 {
			t.Errorf("path shape: %+v", p)
		}
		seen := map[string]bool{}
		for _, id := range p.EntityIDs {
			if seen[id] {
				t.Errorf("entity %s twice in %v", id, p.EntityIDs)
			}
			seen[id] = true
		}
		for i, r := range p.Relationships {
			a, b := p.EntityIDs[i], p.EntityIDs[i+1]
			if !(r.From == a && r.To == b) && !(r.From == b && r.To == a) {
				t.Errorf("relationship %s does not join %s and %s", r.ID(), a, b)
			}
		}
	}
	want := []string{
		"[organization:o1 product:p1 vendor:v1 government:ru]",
		"[organization:o1 directive:d1 vendor:v1 government:ru]",
		"[organization:o1 product:p1 vendor:v1 law:l1 government:ru]",
		"[organization:o1 directive:d1 vendor:v1 law:l1 government:ru]",
	}
	slices.Sort(want[:2])
	slices.Sort(want[2:])
	wantIDs(t, "paths organisation → Russia", got, want)
	if n := len(paths(store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 2})); n != 0 {
		t.Errorf("%d paths within 2 hops, want 0", n)
	}
	if n := len(paths(store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 4, First: 1})); n != 1 {
		t.Errorf("limit 1 gave %d paths", n)
	}
	only := paths(store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 4, Types: []kg.RelType{kg.RelUses, kg.RelMakes, kg.RelHeadquarteredIn}})
	if len(only) != 1 || len(only[0].Relationships) != 3 {
		t.Errorf("typed paths: %+v", only)
	}
	if n := len(paths(store.PathQuery{From: "organization:o1", To: "vendor:ghost", MaxHops: 4})); n != 0 {
		t.Errorf("%d paths to a missing entity", n)
	}
	if n := len(paths(store.PathQuery{From: "organization:o1", To: "organization:o1", MaxHops: 4})); n != 0 {
		t.Errorf("%d paths from an entity to itself", n)
	}
	// Before the directive existed only the product route is there.
	early, err := s.Paths(ctx, store.PathQuery{From: "organization:o1", To: "vendor:v1", MaxHops: 2, AsOf: d20170101})
	if err != nil || len(early) != 1 || fmt.Sprint(early[0].EntityIDs) != "[organization:o1 product:p1 vendor:v1]" {
		t.Errorf("paths on 2017-01-01: %+v, %v", early, err)
	}
	for _, tc := range []struct {
		name string
		q    store.PathQuery
	}{
		{"hops above max", store.PathQuery{MaxHops: store.MaxHops + 1}},

		{"negative first", store.PathQuery{MaxHops: 2, First: -1}},
	} {
		tc.q.From, tc.q.To = "organization:o1", "government:ru"
		_, err := s.Paths(ctx, tc.q)
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
}

// MatchTargets retrieves, for a misspelt or restyled name, the entities a matcher should
// score: the right one among them, nothing for a name that shares no word.
func testMatchTargets(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	ids := func(q store.MatchQuery) []string {
		t.Helper()
		q.AsOf = d20180101
		es := get(t, s.MatchTargets, q)
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"Kaspersky Labs"}, "vendor:v1"},
		{[]string{"kasperski"}, "vendor:v1"},
		{[]string{"Departmnet of Examples"}, "organization:o1"},
		{[]string{"BestBuy Co."}, "retailer:r1"},
		{[]string{"Unknown Name", "Russia"}, "government:ru"}, // an alias finds it
	} {
		got := ids(store.MatchQuery{Names: tc.names})
		if !slices.Contains(got, tc.want) {
			t.Errorf("targets for %q: %v, want %s among them", tc.names, got, tc.want)
		}
	}
	if got := ids(store.MatchQuery{Names: []string{"Zyxwv Qqqq"}}); len(got) != 0 {
		t.Errorf("a name sharing no word retrieves %v", got)
	}
	if got := ids(store.MatchQuery{Names: []string{"Kaspersky"}, Limit: 1}); len(got) != 1 {
		t.Errorf("limit 1 retrieves %v", got)
	}
	// Before the directive is valid it is not retrieved.
	if got := get(t, s.MatchTargets, store.MatchQuery{Names: []string{"Directive One"}, AsOf: d20170101}); slices.ContainsFunc(got, func(e kg.Entity) bool { return e.ID == "directive:d1" }) {
		t.Errorf("a directive not yet valid is retrieved")
	}
	for _, q := range []store.MatchQuery{{}, {Names: []string{"x"}, Limit: store.MaxMatchTargets + 1}, {Names: make([]string, store.MaxMatchNames+1)}} {
		if _, err := s.MatchTargets(ctx, q); err == nil {
			t.Errorf("MatchTargets with %d names, limit %d: no error", len(q.Names), q.Limit)
		}
	}
}
