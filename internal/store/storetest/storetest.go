// Package storetest is the conformance suite of store.Store: every backend's tests call Run,
// and a behaviour the backends disagree on is a bug in one of them.
//
// Rules the suite pins down, beyond the interface comments:
//   - List and Relationships order by id and hand out EncodeCursor(id) cursors.
//   - Writes report each id once as Created, Updated (content changed) or Unchanged.
//   - Relationship and signal endpoints must exist (at any date) in the store or the batch;
//     citation sources are not checked.
//   - Retract: every id must exist (else ErrNotFound, nothing changes); a date before the
//     fact's validFrom is ErrInvalid; a fact already ended on or before the date is Unchanged.
//   - Search needs at least one word (else ErrInvalid); a whole-name match ranks first.
//   - Paths are simple, walked in either direction, ordered by length, then entity ids, then
//     relationship ids.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// Dates of the fixture, around the Kaspersky story.
const (
	d20170101 kg.Date = 20170101
	d20170908 kg.Date = 20170908 // Best Buy drops the product
	d20170913 kg.Date = 20170913 // the directive is issued
	d20171001 kg.Date = 20171001
	d20180101 kg.Date = 20180101
)

var cite = []kg.Citation{{SourceID: "source:s1", Excerpt: "the fixture says so"}}

// Fixture is a small graph shaped like the seed story, used by every test of the suite.
func Fixture() kg.Batch {
	ent := func(id, name string, aliases ...string) kg.Entity {
		k, _ := kg.KindOfID(id)
		return kg.Entity{ID: id, Kind: k, Name: name, Aliases: aliases, Sources: cite}
	}
	rel := func(from string, t kg.RelType, to string) kg.Relationship {
		return kg.Relationship{Type: t, From: from, To: to, Confidence: 1, Sources: cite}
	}
	d1 := ent("directive:d1", "Directive One")
	d1.Validity.From = d20170913
	d1.Obligations = []kg.Obligation{{ID: "remove", Title: "Remove it", Description: "Take it off every system", Due: 20171212}}
	sells := rel("retailer:r1", kg.RelSells, "product:p1")
	sells.Validity.To = d20170908
	delisted := rel("retailer:r1", kg.RelDelisted, "product:p1")
	delisted.Validity.From = d20170908
	applies := rel("law:l1", kg.RelAppliesTo, "vendor:v1")
	applies.Confidence, applies.Inferred = 0.6, true
	return kg.Batch{
		Entities: []kg.Entity{
			{ID: "source:s1", Kind: kg.KindSource, Name: "Fixture Source"},
			ent("government:ru", "Russian Federation", "Russia"),
			ent("government:us", "United States", "USA"),
			ent("law:l1", "Interception Law"),
			ent("vendor:v1", "Kaspersky Lab", "Kaspersky", "AO Kaspersky Lab"),
			ent("product:p1", "Kaspersky Anti-Virus"),
			ent("retailer:r1", "Best Buy"),
			ent("organization:o1", "Department of Examples"),
			ent("agency:a1", "Homeland Security"),
			d1,
		},
		Relationships: []kg.Relationship{
			rel("government:ru", kg.RelEnacted, "law:l1"),
			applies,
			rel("vendor:v1", kg.RelHeadquarteredIn, "government:ru"),
			rel("vendor:v1", kg.RelMakes, "product:p1"),
			sells, delisted,
			rel("organization:o1", kg.RelUses, "product:p1"),
			rel("agency:a1", kg.RelPartOf, "government:us"),
			rel("agency:a1", kg.RelIssued, "directive:d1"),
			rel("directive:d1", kg.RelTargets, "vendor:v1"),
			rel("directive:d1", kg.RelBinds, "organization:o1"),
		},
		Signals: []kg.RiskSignal{
			{ID: "signal:ru-fi", EntityID: "government:ru", Dimension: kg.DimForeignInfluence, Severity: 0.8, Reason: "can compel", Sources: cite},
			{ID: "signal:d1-reg", EntityID: "directive:d1", Dimension: kg.DimRegulatory, Severity: 0.9, Reason: "bans it",
				Sources: cite, Validity: kg.Validity{From: d20170913}},
		},
	}
}

// Run runs the conformance suite; newStore returns a fresh, empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"UpsertIsIdempotent", testUpsertIdempotent},
		{"UpdateChangesContent", testUpdate},
		{"AsOfVisibility", testAsOf},
		{"Retract", testRetract},
		{"ListPagination", testListPagination},
		{"ListFilters", testListFilters},
		{"Search", testSearch},
		{"RelationshipsBatch", testRelationships},
		{"SignalsBatch", testSignals},
		{"Neighbourhood", testNeighbourhood},
		{"Paths", testPaths},
		{"Snapshot", testSnapshot},
		{"InvalidInputChangesNothing", testInvalid},
		{"ConcurrentWriters", testConcurrent},
		{"EntitiesMissingIDs", testEntitiesMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

func mustApply(t *testing.T, s store.Store, b kg.Batch) store.WriteResult {
	t.Helper()
	res, err := s.Apply(ctx, b)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func seeded(t *testing.T, s store.Store) {
	t.Helper()
	mustApply(t, s, Fixture())
}

func sortedIDs(b kg.Batch) []string {
	var ids []string
	for _, e := range b.Entities {
		ids = append(ids, e.ID)
	}
	for _, r := range b.Relationships {
		ids = append(ids, r.ID())
	}
	for _, g := range b.Signals {
		ids = append(ids, g.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func entityIDs(es []kg.Entity) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func relIDs(rs []kg.Relationship) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID()
	}
	return ids
}

func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func testUpsertIdempotent(t *testing.T, s store.Store) {
	fx := Fixture()
	first := mustApply(t, s, fx)
	wantIDs(t, "created on first write", sorted(first.Created), sortedIDs(fx))
	if len(first.Updated)+len(first.Unchanged) != 0 {
		t.Errorf("first write: updated %v unchanged %v, want none", first.Updated, first.Unchanged)
	}
	before, err := s.Snapshot(ctx, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	second := mustApply(t, s, fx)
	wantIDs(t, "unchanged on second write", sorted(second.Unchanged), sortedIDs(fx))
	if len(second.Created)+len(second.Updated) != 0 {
		t.Errorf("second write: created %v updated %v, want none", second.Created, second.Updated)
	}
	after, err := s.Snapshot(ctx, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("content changed after an identical write")
	}
	got, err := s.Entities(ctx, []string{"vendor:v1"}, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	v := got["vendor:v1"]
	if v.Name != "Kaspersky Lab" || !reflect.DeepEqual(v.Aliases, []string{"Kaspersky", "AO Kaspersky Lab"}) ||
		len(v.Sources) != 1 || v.Sources[0].SourceID != "source:s1" {
		t.Errorf("read back %+v", v)
	}
	d, _ := s.Entities(ctx, []string{"directive:d1"}, d20180101)
	if ob := d["directive:d1"].Obligations; len(ob) != 1 || ob[0].Due != 20171212 || ob[0].Title != "Remove it" {
		t.Errorf("obligations read back as %+v", ob)
	}
}

func testUpdate(t *testing.T, s store.Store) {
	seeded(t, s)
	e := Fixture().Entities[4] // vendor:v1
	e.Name = "Kaspersky"
	e.Attributes = []kg.Attribute{{Key: "founded", Value: "1997"}}
	res := mustApply(t, s, kg.Batch{Entities: []kg.Entity{e}})
	wantIDs(t, "updated", res.Updated, []string{"vendor:v1"})
	got, _ := s.Entities(ctx, []string{"vendor:v1"}, d20180101)
	if g := got["vendor:v1"]; g.Name != "Kaspersky" || len(g.Attributes) != 1 || g.Attributes[0].Value != "1997" {
		t.Errorf("after update: %+v", g)
	}
	r := Fixture().Relationships[1] // law:l1 APPLIES_TO vendor:v1
	r.Confidence = 0.5
	res = mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{r}})
	wantIDs(t, "updated relationship", res.Updated, []string{r.ID()})
	pages, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"law:l1"}, Direction: store.Out, AsOf: d20180101})
	if items := pages["law:l1"].Items; len(items) != 1 || items[0].Confidence != 0.5 || !items[0].Inferred {
		t.Errorf("relationship after update: %+v", items)
	}
}

func testAsOf(t *testing.T, s store.Store) {
	seeded(t, s)
	for _, tc := range []struct {
		at   kg.Date
		want []string
	}{
		{d20170101, []string{"retailer:r1-SELLS->product:p1"}},
		{d20170908, []string{"retailer:r1-DELISTED->product:p1"}},
		{d20180101, []string{"retailer:r1-DELISTED->product:p1"}},
	} {
		pages, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"retailer:r1"}, Direction: store.Out, AsOf: tc.at})
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, fmt.Sprintf("best buy's relationships on %s", tc.at), relIDs(pages["retailer:r1"].Items), tc.want)
	}
	got, _ := s.Entities(ctx, []string{"directive:d1"}, d20170101)
	if _, ok := got["directive:d1"]; ok {
		t.Error("the directive is visible before it was issued")
	}
	// A relationship is hidden while an endpoint is.
	pages, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: store.In, AsOf: d20170101})
	wantIDs(t, "vendor's incoming relationships before the directive", relIDs(pages["vendor:v1"].Items),
		[]string{"law:l1-APPLIES_TO->vendor:v1"})
	sigs, _ := s.Signals(ctx, []string{"directive:d1", "government:ru"}, d20170101)
	if len(sigs["directive:d1"]) != 0 || len(sigs["government:ru"]) != 1 {
		t.Errorf("signals on 2017-01-01: %+v", sigs)
	}
}

func testRetract(t *testing.T, s store.Store) {
	seeded(t, s)
	rel := "organization:o1-USES->product:p1"
	res, err := s.Retract(ctx, []string{rel, "signal:ru-fi"}, d20171001)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retract updated", sorted(res.Updated), []string{rel, "signal:ru-fi"})
	uses := func(at kg.Date) int {
		p, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"organization:o1"}, Direction: store.Out,
			Types: []kg.RelType{kg.RelUses}, AsOf: at})
		if err != nil {
			t.Fatal(err)
		}
		return len(p["organization:o1"].Items)
	}
	if uses(20170930) != 1 || uses(d20171001) != 0 {
		t.Errorf("USES visible before/after retraction: %d/%d, want 1/0", uses(20170930), uses(d20171001))
	}
	again, err := s.Retract(ctx, []string{rel}, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retracting an ended fact", again.Unchanged, []string{rel})

	before, _ := s.Snapshot(ctx, 20170930)
	_, err = s.Retract(ctx, []string{"vendor:v1", "vendor:ghost"}, d20171001)
	wantErr(t, "retract unknown id", err, store.ErrNotFound)
	_, err = s.Retract(ctx, []string{"directive:d1"}, d20170101)
	wantErr(t, "retract before validFrom", err, store.ErrInvalid)
	after, _ := s.Snapshot(ctx, 20170930)
	if !reflect.DeepEqual(before, after) {
		t.Error("a failed retraction changed the store")
	}
}

func vendors(n int) kg.Batch {
	var b kg.Batch
	for i := range n {
		b.Entities = append(b.Entities, kg.Entity{ID: fmt.Sprintf("vendor:v%03d", i), Kind: kg.KindVendor, Name: fmt.Sprintf("Vendor %d", i)})
	}
	return b
}

func testListPagination(t *testing.T, s store.Store) {
	mustApply(t, s, vendors(25))
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		p, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{First: 7, After: after}})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, entityIDs(p.Items)...)
		if n := len(p.Items); n > 0 && p.EndCursor != store.EncodeCursor(p.Items[n-1].ID) {
			t.Errorf("end cursor %q is not the last item's cursor", p.EndCursor)
		}
		if pages == 0 {
			// A row written between pages, before the cursor, must not appear later.
			mustApply(t, s, kg.Batch{Entities: []kg.Entity{{ID: "vendor:v000a", Kind: kg.KindVendor, Name: "Late"}}})
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	want := entityIDs(vendors(25).Entities)
	wantIDs(t, "pages concatenated", all, want)

	def, _ := s.List(ctx, store.ListQuery{})
	if len(def.Items) != store.DefaultFirst || !def.HasNext {
		t.Errorf("default page: %d items, hasNext %v", len(def.Items), def.HasNext)
	}
	_, err := s.List(ctx, store.ListQuery{Page: store.Page{First: store.MaxFirst + 1}})
	wantErr(t, "first above max", err, store.ErrInvalid)
	_, err = s.List(ctx, store.ListQuery{Page: store.Page{After: "not-a-cursor"}})
	wantErr(t, "bogus cursor", err, store.ErrInvalid)
}

func testListFilters(t *testing.T, s store.Store) {
	seeded(t, s)
	list := func(q store.ListQuery) []string {
		t.Helper()
		q.AsOf = d20180101
		p, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return entityIDs(p.Items)
	}
	wantIDs(t, "kind Government", list(store.ListQuery{Kind: kg.KindGovernment}), []string{"government:ru", "government:us"})
	wantIDs(t, "name contains 'KASPERSKY'", list(store.ListQuery{Filter: store.Filter{NameContains: "KASPERSKY"}}),
		[]string{"product:p1", "vendor:v1"})
	wantIDs(t, "alias contains 'russia'", list(store.ListQuery{Filter: store.Filter{NameContains: "russia"}}),
		[]string{"government:ru"})
	wantIDs(t, "headquartered in Russia", list(store.ListQuery{Filter: store.Filter{Related: &store.RelatedFilter{
		Type: kg.RelHeadquarteredIn, Direction: store.Out, EntityID: "government:ru"}}}), []string{"vendor:v1"})
	wantIDs(t, "what the directive binds", list(store.ListQuery{Filter: store.Filter{Related: &store.RelatedFilter{
		Type: kg.RelBinds, Direction: store.In, EntityID: "directive:d1"}}}), []string{"organization:o1"})
	wantIDs(t, "kind and relation together", list(store.ListQuery{Kind: kg.KindRetailer, Filter: store.Filter{Related: &store.RelatedFilter{
		Type: kg.RelHeadquarteredIn, Direction: store.Out, EntityID: "government:ru"}}}), nil)
}

func testSearch(t *testing.T, s store.Store) {
	seeded(t, s)
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{
		{ID: "vendor:acme", Kind: kg.KindVendor, Name: "Acme"},
		{ID: "vendor:acme-holdings", Kind: kg.KindVendor, Name: "Acme Holdings International Group"},
		{ID: "retailer:zeta", Kind: kg.KindRetailer, Name: "Zeta Stores", Aliases: []string{"Acme Retail"}},
	}})
	search := func(q store.SearchQuery) store.SearchPage {
		t.Helper()
		q.AsOf = d20180101
		p, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
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
	if got := search(store.SearchQuery{Text: "Directive One", AsOf: 0}); len(got.Items) == 0 {
		t.Error("no hit for the directive's name")
	}
	if early, _ := s.Search(ctx, store.SearchQuery{Text: "Directive", AsOf: d20170101}); len(early.Items) != 0 {
		t.Errorf("search found the directive before it existed: %+v", early.Items)
	}
	_, err := s.Search(ctx, store.SearchQuery{Text: "  "})
	wantErr(t, "empty search", err, store.ErrInvalid)
}

func testRelationships(t *testing.T, s store.Store) {
	seeded(t, s)
	pages, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1", "product:p1", "government:us"}, AsOf: d20180101})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "vendor, both directions", relIDs(pages["vendor:v1"].Items), []string{
		"directive:d1-TARGETS->vendor:v1", "law:l1-APPLIES_TO->vendor:v1",
		"vendor:v1-HEADQUARTERED_IN->government:ru", "vendor:v1-MAKES->product:p1"})
	wantIDs(t, "product", relIDs(pages["product:p1"].Items), []string{
		"organization:o1-USES->product:p1", "retailer:r1-DELISTED->product:p1", "vendor:v1-MAKES->product:p1"})
	wantIDs(t, "united states", relIDs(pages["government:us"].Items), []string{"agency:a1-PART_OF->government:us"})

	out, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: store.Out,
		Types: []kg.RelType{kg.RelMakes}, AsOf: d20180101})
	wantIDs(t, "vendor OUT MAKES", relIDs(out["vendor:v1"].Items), []string{"vendor:v1-MAKES->product:p1"})

	p1, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, AsOf: d20180101, Page: store.Page{First: 3}})
	pg := p1["vendor:v1"]
	if len(pg.Items) != 3 || !pg.HasNext || pg.EndCursor != store.EncodeCursor(pg.Items[2].ID()) {
		t.Fatalf("first page of 3: %+v", pg)
	}
	p2, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, AsOf: d20180101, Page: store.Page{First: 3, After: pg.EndCursor}})
	wantIDs(t, "second page", relIDs(p2["vendor:v1"].Items), []string{"vendor:v1-MAKES->product:p1"})
	if p2["vendor:v1"].HasNext {
		t.Error("second page says more follow")
	}
	_, err = s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Types: []kg.RelType{"LIKES"}})
	wantErr(t, "unknown type", err, store.ErrInvalid)
}

func testSignals(t *testing.T, s store.Store) {
	seeded(t, s)
	got, err := s.Signals(ctx, []string{"government:ru", "directive:d1", "vendor:v1"}, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	if len(got["government:ru"]) != 1 || got["government:ru"][0].Severity != 0.8 || len(got["directive:d1"]) != 1 || len(got["vendor:v1"]) != 0 {
		t.Errorf("signals: %+v", got)
	}
}

func testNeighbourhood(t *testing.T, s store.Store) {
	seeded(t, s)
	// Upstream of the organisation for foreign influence: USES walked OUT, MAKES walked IN,
	// APPLIES_TO walked IN, ENACTED walked IN, HEADQUARTERED_IN walked OUT.
	steps := []store.Step{{Type: kg.RelUses, Direction: store.Out}, {Type: kg.RelMakes, Direction: store.In},
		{Type: kg.RelAppliesTo, Direction: store.In}, {Type: kg.RelEnacted, Direction: store.In},
		{Type: kg.RelHeadquarteredIn, Direction: store.Out}}
	nb := func(hops int, at kg.Date, st []store.Step) kg.Snapshot {
		t.Helper()
		snap, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"organization:o1"}, Steps: st, MaxHops: hops, AsOf: at})
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	wantIDs(t, "1 hop", entityIDs(nb(1, d20180101, steps).Entities), []string{"organization:o1", "product:p1"})
	wantIDs(t, "2 hops", entityIDs(nb(2, d20180101, steps).Entities), []string{"organization:o1", "product:p1", "vendor:v1"})
	three := nb(3, d20180101, steps)
	wantIDs(t, "3 hops", entityIDs(three.Entities), []string{"government:ru", "law:l1", "organization:o1", "product:p1", "vendor:v1"})
	for _, r := range three.Relationships {
		if r.Type == kg.RelSells || r.Type == kg.RelTargets {
			t.Errorf("walked a step not asked for: %s", r.ID())
		}
	}
	if !slices.Contains(relIDs(three.Relationships), "vendor:v1-HEADQUARTERED_IN->government:ru") {
		t.Errorf("3-hop relationships miss HEADQUARTERED_IN: %v", relIDs(three.Relationships))
	}
	if len(three.Signals) != 1 || three.Signals[0].ID != "signal:ru-fi" {
		t.Errorf("signals in the neighbourhood: %+v", three.Signals)
	}
	wantIDs(t, "0 hops", entityIDs(nb(0, d20180101, steps).Entities), []string{"organization:o1"})
	// Direction matters: walking USES IN from the organisation leads nowhere.
	wantIDs(t, "wrong direction", entityIDs(nb(3, d20180101, []store.Step{{Type: kg.RelUses, Direction: store.In}}).Entities),
		[]string{"organization:o1"})
	// As of 2017-01-01 the directive and its edges are invisible.
	all := nb(2, d20170101, nil)
	if slices.Contains(entityIDs(all.Entities), "directive:d1") {
		t.Error("the directive is in a neighbourhood before it existed")
	}
	_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"organization:o1"}, MaxHops: store.MaxHops + 1})
	wantErr(t, "hops above max", err, store.ErrInvalid)
}

func testPaths(t *testing.T, s store.Store) {
	seeded(t, s)
	paths := func(q store.PathQuery) []store.Path {
		t.Helper()
		q.AsOf = d20180101
		ps, err := s.Paths(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
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
	if n := len(paths(store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 4, Limit: 1})); n != 1 {
		t.Errorf("limit 1 gave %d paths", n)
	}
	only := paths(store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 4, Types: []kg.RelType{kg.RelUses, kg.RelMakes, kg.RelHeadquarteredIn}})
	if len(only) != 1 || len(only[0].Relationships) != 3 {
		t.Errorf("typed paths: %+v", only)
	}
	_, err := s.Paths(ctx, store.PathQuery{From: "organization:o1", To: "government:ru", MaxHops: 7})
	wantErr(t, "hops above max", err, store.ErrInvalid)
}

func testSnapshot(t *testing.T, s store.Store) {
	seeded(t, s)
	fx := Fixture()
	snap, err := s.Snapshot(ctx, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entities) != len(fx.Entities) || len(snap.Signals) != 2 || len(snap.Relationships) != len(fx.Relationships)-1 {
		t.Errorf("snapshot 2018: %d entities, %d relationships, %d signals", len(snap.Entities), len(snap.Relationships), len(snap.Signals))
	}
	early, _ := s.Snapshot(ctx, d20170101)
	if len(early.Entities) != len(fx.Entities)-1 || len(early.Signals) != 1 {
		t.Errorf("snapshot 2017-01-01: %d entities, %d signals", len(early.Entities), len(early.Signals))
	}
	for _, r := range early.Relationships {
		if r.From == "directive:d1" || r.To == "directive:d1" || r.Type == kg.RelDelisted {
			t.Errorf("relationship %s visible on 2017-01-01", r.ID())
		}
	}
}

func testInvalid(t *testing.T, s store.Store) {
	seeded(t, s)
	before, _ := s.Snapshot(ctx, d20180101)
	good := kg.Entity{ID: "vendor:new", Kind: kg.KindVendor, Name: "New"}
	for _, tc := range []struct {
		name string
		b    kg.Batch
	}{
		{"bad kind", kg.Batch{Entities: []kg.Entity{good, {ID: "vendor:x", Kind: "Spaceship", Name: "X"}}}},
		{"wrong endpoint kinds", kg.Batch{Entities: []kg.Entity{good}, Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "retailer:r1", To: "product:p1"}}}},
		{"missing endpoint", kg.Batch{Entities: []kg.Entity{good}, Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:new", To: "product:nowhere"}}}},
		{"signal on missing entity", kg.Batch{Entities: []kg.Entity{good}, Signals: []kg.RiskSignal{{ID: "signal:x", EntityID: "vendor:nowhere", Dimension: kg.DimSanctions, Severity: 0.5}}}},
		{"validTo before validFrom", kg.Batch{Entities: []kg.Entity{good, {ID: "vendor:x", Kind: kg.KindVendor, Name: "X", Validity: kg.Validity{From: 20200102, To: 20200101}}}}},
		{"severity above 1", kg.Batch{Entities: []kg.Entity{good}, Signals: []kg.RiskSignal{{ID: "signal:x", EntityID: "vendor:v1", Dimension: kg.DimSanctions, Severity: 1.2}}}},
	} {
		_, err := s.Apply(ctx, tc.b)
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
	after, _ := s.Snapshot(ctx, d20180101)
	if !reflect.DeepEqual(before, after) {
		t.Error("a rejected batch changed the store")
	}
	if got, _ := s.Entities(ctx, []string{"vendor:new"}, d20180101); len(got) != 0 {
		t.Error("the good row of a rejected batch was stored")
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("vendor:w%d-%02d", w, i)
				if _, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{{ID: id, Kind: kg.KindVendor, Name: id}}}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	after := ""
	for {
		p, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{First: 100, After: after}})
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	if n != writers*each {
		t.Errorf("%d vendors after %d parallel writes", n, writers*each)
	}
}

func testEntitiesMissing(t *testing.T, s store.Store) {
	seeded(t, s)
	got, err := s.Entities(ctx, []string{"vendor:v1", "vendor:ghost", "government:ru"}, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["vendor:v1"].ID != "vendor:v1" || got["government:ru"].Kind != kg.KindGovernment {
		t.Errorf("entities: %+v", got)
	}
	if _, ok := got["vendor:ghost"]; ok {
		t.Error("a missing id is present")
	}
}
