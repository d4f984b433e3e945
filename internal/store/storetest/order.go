package storetest

import (
	"strconv"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// listAll pages through q (First items at a time) to the end and returns the ids in order,
// checking that each end cursor is the last item's ListCursor.
func listAll(t *testing.T, s store.Reader, q store.ListQuery, first int) []string {
	t.Helper()
	var ids []string
	q.Page = store.Page{First: first}
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("pagination does not end")
		}
		p := get(t, s.List, q)
		ids = append(ids, entityIDs(p.Items)...)
		if n := len(p.Items); n > 0 && p.EndCursor != store.ListCursor(q.Order, p.Items[n-1]) {
			t.Errorf("end cursor %q is not the last item's cursor", p.EndCursor)
		}
		if !p.HasNext {
			return ids
		}
		q.Page.After = p.EndCursor
	}
}

// testListByName: List by name orders by the name of the moment ignoring case, ties by id,
// across pages, kinds and filters; a renamed entity moves with its name over valid and
// recorded time; cursors of one order are refused by the other.
func testListByName(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	v := func(id, name string) kg.Entity { return kg.Entity{ID: id, Kind: kg.KindVendor, Name: name} }
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{
		v("vendor:v1", "beta Labs"), v("vendor:v2", "Alpha"), v("vendor:v3", "alpha"), v("vendor:v4", "Ärger AG"),
		v("vendor:v5", "Zeta"), v("vendor:v6", "gamma"),
		{ID: "vendor:v7", Kind: kg.KindVendor, Name: "Omega", Validity: kg.Validity{From: 20000101}},
		{ID: "vendor:v8", Kind: kg.KindVendor, Name: "Epsilon", Validity: kg.Validity{From: 20000101, To: 20100101}},
		{ID: "product:p1", Kind: kg.KindProduct, Name: "Aardvark AV"},
		{ID: "government:g1", Kind: kg.KindGovernment, Name: "Freedonia"},
	}})
	mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{
		{Type: kg.RelHeadquarteredIn, From: "vendor:v6", To: "government:g1"},
		{Type: kg.RelHeadquarteredIn, From: "vendor:v1", To: "government:g1"},
		{Type: kg.RelMakes, From: "vendor:v1", To: "product:p1"},
	}})
	renamed := v("vendor:v7", "Delta")
	renamed.Validity.From = 20200101
	renamedAt := mustApply(t, s, kg.Batch{Entities: []kg.Entity{renamed}}).RecordedAt

	byName := func(q store.ListQuery) store.ListQuery { q.Order = store.ByName; return q }
	vendorsOn := func(d kg.Date, k kg.Stamp) store.ListQuery {
		return byName(store.ListQuery{Kind: kg.KindVendor, AsOf: d, KnownAt: k})
	}
	now := []string{"vendor:v2", "vendor:v3", "vendor:v1", "vendor:v7", "vendor:v6", "vendor:v5", "vendor:v4"}
	for _, first := range []int{1, 2, 3, 100} {
		wantIDs(t, "vendors by name in 2021, pages of "+strconv.Itoa(first), listAll(t, s, vendorsOn(20210101, 0), first), now)
	}
	wantIDs(t, "vendors by name in 2005 (before the rename; epsilon still valid)", listAll(t, s, vendorsOn(20050101, 0), 2),
		[]string{"vendor:v2", "vendor:v3", "vendor:v1", "vendor:v8", "vendor:v6", "vendor:v7", "vendor:v5", "vendor:v4"})
	wantIDs(t, "vendors by name in 2021 as known before the rename", listAll(t, s, vendorsOn(20210101, renamedAt-1), 2),
		[]string{"vendor:v2", "vendor:v3", "vendor:v1", "vendor:v6", "vendor:v7", "vendor:v5", "vendor:v4"})
	wantIDs(t, "every kind by name", listAll(t, s, byName(store.ListQuery{AsOf: 20210101}), 3),
		[]string{"product:p1", "vendor:v2", "vendor:v3", "vendor:v1", "vendor:v7", "government:g1", "vendor:v6", "vendor:v5", "vendor:v4"})
	wantIDs(t, "by name, name contains 'ta'", listAll(t, s, byName(store.ListQuery{AsOf: 20210101, Filter: store.Filter{NameContains: "TA"}}), 1),
		[]string{"vendor:v1", "vendor:v7", "vendor:v5"})
	wantIDs(t, "by name, headquartered in Freedonia", listAll(t, s, byName(store.ListQuery{AsOf: 20210101, Filter: store.Filter{
		Related: &store.RelatedFilter{Type: kg.RelHeadquarteredIn, Direction: kg.Out, EntityID: "government:g1"}}}), 1),
		[]string{"vendor:v1", "vendor:v6"})
	wantIDs(t, "by id still by id", listAll(t, s, store.ListQuery{Kind: kg.KindVendor, AsOf: 20210101}, 3),
		[]string{"vendor:v1", "vendor:v2", "vendor:v3", "vendor:v4", "vendor:v5", "vendor:v6", "vendor:v7"})

	// Rows written between pages: one named before the cursor does not appear later, one
	// after it does, and a rename behind the cursor moves the entity out of the rest.
	first := get(t, s.List, store.ListQuery{Kind: kg.KindVendor, Order: store.ByName, Page: store.Page{First: 3}})
	wantIDs(t, "first page", entityIDs(first.Items), now[:3])
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{v("vendor:v9", "Aaron"), v("vendor:v10", "Zulu"), v("vendor:v6", "Able")}})
	var rest []string
	q := store.ListQuery{Kind: kg.KindVendor, Order: store.ByName, Page: store.Page{First: 2, After: first.EndCursor}}
	for {
		p := get(t, s.List, q)
		rest = append(rest, entityIDs(p.Items)...)
		if !p.HasNext {
			break
		}
		q.Page.After = p.EndCursor
	}
	wantIDs(t, "pages after writes", rest, []string{"vendor:v7", "vendor:v5", "vendor:v10", "vendor:v4"})

	for name, q := range map[string]store.ListQuery{
		"an id cursor by name":   byName(store.ListQuery{Page: store.Page{After: store.EncodeCursor("vendor:v1")}}),
		"a name cursor by id":    {Page: store.Page{After: store.EncodeCursor("alpha", "vendor:v2")}},
		"an unknown order":       {Order: "SIZE"},
		"a bogus cursor by name": byName(store.ListQuery{Page: store.Page{After: "not-a-cursor"}}),
	} {
		_, err := s.List(ctx, q)
		wantErr(t, name, err, store.ErrInvalid)
	}
}
