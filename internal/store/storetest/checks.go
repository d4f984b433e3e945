package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// wordsText is n distinct words.
func wordsText(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", i)
	}
	return strings.Join(w, " ")
}

// testChecks pins down every rule store.Checked applies, one case each, so that no backend
// can come to answer a query the rules refuse (or refuse one they allow). A rule either
// refuses a query (INVALID: bad input; LIMIT: well formed but above a limit, which is
// invalid input too) or normalises it, in which case the normalised and the explicit
// query must give the same answer.
func testChecks(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	manyIDs := make([]string, store.MaxIDs+1)
	for i := range manyIDs {
		manyIDs[i] = fmt.Sprintf("vendor:x%d", i)
	}
	long := strings.Repeat("a", store.MaxTextLen+1)
	related := func(d kg.Direction, t kg.RelType, id string) store.ListQuery {
		return store.ListQuery{Filter: store.Filter{Related: &store.RelatedFilter{Type: t, Direction: d, EntityID: id}}}
	}
	list := func(q store.ListQuery) func() error {
		return func() error { _, err := s.List(ctx, q); return err }
	}
	rels := func(q store.RelQuery) func() error {
		return func() error { _, err := s.Relationships(ctx, q); return err }
	}
	find := func(q store.SearchQuery) func() error {
		return func() error { _, err := s.Search(ctx, q); return err }
	}
	walk := func(q store.NeighbourhoodQuery) func() error {
		q.Roots = []string{"organization:o1"}
		return func() error { _, err := s.Neighbourhood(ctx, q); return err }
	}
	paths := func(q store.PathQuery) func() error {
		if q.From == "" {
			q.From, q.To = "organization:o1", "government:ru"
		}
		return func() error { _, err := s.Paths(ctx, q); return err }
	}
	const invalid, limit = "INVALID", "LIMIT"
	refused := []struct {
		rule, want string
		call       func() error
	}{
		{"page: negative first", invalid, list(store.ListQuery{Page: store.Page{First: -1}})},
		{"page: first above MaxFirst", limit, list(store.ListQuery{Page: store.Page{First: store.MaxFirst + 1}})},
		{"page: cursor not ours", invalid, list(store.ListQuery{Page: store.Page{After: "not-a-cursor"}})},
		{"page: list cursor of two parts", invalid, list(store.ListQuery{Page: store.Page{After: store.EncodeCursor("a", "b")}})},
		{"page: relationships first above MaxFirst", limit, rels(store.RelQuery{EntityIDs: []string{"vendor:v1"}, Page: store.Page{First: store.MaxFirst + 1}})},
		{"page: relationships cursor not ours", invalid, rels(store.RelQuery{EntityIDs: []string{"vendor:v1"}, Page: store.Page{After: "zz"}})},
		{"page: search cursor of one part", invalid, find(store.SearchQuery{Text: "acme", Page: store.Page{After: store.EncodeCursor("x")}})},
		{"page: search cursor whose score is no number", invalid, find(store.SearchQuery{Text: "acme", Page: store.Page{After: store.EncodeCursor("high", "vendor:v1")}})},
		{"list: unknown kind", invalid, list(store.ListQuery{Kind: "Spaceship"})},
		{"list: name filter above MaxTextLen", limit, list(store.ListQuery{Filter: store.Filter{NameContains: long}})},
		{"list: related type unknown", invalid, list(related(kg.Out, "LIKES", "government:ru"))},
		{"list: related direction BOTH", invalid, list(related(kg.Both, kg.RelHeadquarteredIn, "government:ru"))},
		{"list: related direction missing", invalid, list(related("", kg.RelHeadquarteredIn, "government:ru"))},
		{"list: related entity id malformed", invalid, list(related(kg.Out, kg.RelHeadquarteredIn, "russia"))},
		{"search: no words", invalid, find(store.SearchQuery{Text: " ,;- "})},
		{"search: text above MaxTextLen", limit, find(store.SearchQuery{Text: long})},
		{"search: more than MaxSearchWords words", limit, find(store.SearchQuery{Text: wordsText(store.MaxSearchWords + 1)})},
		{"search: unknown kind", invalid, find(store.SearchQuery{Text: "acme", Kinds: []kg.Kind{kg.KindVendor, "Spaceship"}})},
		{"relationships: unknown direction", invalid, rels(store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: "SIDEWAYS"})},
		{"relationships: unknown type", invalid, rels(store.RelQuery{EntityIDs: []string{"vendor:v1"}, Types: []kg.RelType{kg.RelMakes, "LIKES"}})},
		{"relationships: more than MaxIDs ids", limit, rels(store.RelQuery{EntityIDs: manyIDs})},
		{"entities: more than MaxIDs ids", limit, func() error { _, err := s.Entities(ctx, manyIDs, store.AsOf(0)); return err }},
		{"signals: more than MaxIDs ids", limit, func() error { _, err := s.Signals(ctx, manyIDs, store.AsOf(0)); return err }},
		{"neighbourhood: negative hops", invalid, walk(store.NeighbourhoodQuery{MaxHops: -1})},
		{"neighbourhood: hops above MaxHops", limit, walk(store.NeighbourhoodQuery{MaxHops: store.MaxHops + 1})},
		{"neighbourhood: negative entity cap", invalid, walk(store.NeighbourhoodQuery{MaxHops: 1, MaxEntities: -1})},
		{"neighbourhood: unknown step type", invalid, walk(store.NeighbourhoodQuery{MaxHops: 1, Steps: []store.Step{{Type: "LIKES", Direction: kg.Out}}})},
		{"neighbourhood: unknown step direction", invalid, walk(store.NeighbourhoodQuery{MaxHops: 1, Steps: []store.Step{{Type: kg.RelUses, Direction: "SIDEWAYS"}}})},
		{"neighbourhood: more than MaxIDs roots", limit, func() error {
			_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: manyIDs, MaxHops: 1})
			return err
		}},
		{"paths: from id malformed", invalid, paths(store.PathQuery{From: "o1", To: "government:ru"})},
		{"paths: to id malformed", invalid, paths(store.PathQuery{From: "organization:o1", To: "Russia"})},
		{"paths: negative hops", invalid, paths(store.PathQuery{MaxHops: -1})},
		{"paths: hops above MaxHops", limit, paths(store.PathQuery{MaxHops: store.MaxHops + 1})},
		{"paths: negative first", invalid, paths(store.PathQuery{First: -1})},
		{"paths: first above MaxPathFirst", limit, paths(store.PathQuery{First: store.MaxPathFirst + 1})},
		{"paths: unknown type", invalid, paths(store.PathQuery{Types: []kg.RelType{"LIKES"}})},
		{"apply: a row that does not validate", invalid, func() error {
			_, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{{ID: "vendor:x", Kind: kg.KindRetailer, Name: "X"}}}, "test")
			return err
		}},
		{"load: a row that does not validate", invalid, func() error {
			_, err := s.Load(ctx, kg.Batch{Entities: []kg.Entity{{ID: "vendor:x", Kind: kg.KindVendor}}}, "test", store.LoadOptions{})
			return err
		}},
		{"moment: knownAt before 1970", invalid, func() error {
			_, err := s.Entities(ctx, []string{"vendor:v1"}, store.At{KnownAt: -1})
			return err
		}},
		{"retract: no date", invalid, func() error { _, err := retract(ctx, s, []string{"vendor:v1"}, 0); return err }},
	}
	before := get(t, s.Snapshot, store.AsOf(d20180101))
	for _, tc := range refused {
		err := tc.call()
		var ve *kg.ValidationError
		switch {
		case !errors.Is(err, store.ErrInvalid) || !errors.As(err, &ve):
			t.Errorf("%s: err = %v, want a validation error", tc.rule, err)
		case tc.want == limit && !errors.Is(err, store.ErrLimit):
			t.Errorf("%s: err = %v, want it to be about a limit", tc.rule, err)
		case tc.want == invalid && errors.Is(err, store.ErrLimit):
			t.Errorf("%s: err = %v is about a limit; want plain invalid input", tc.rule, err)
		case ve.Field == "":
			t.Errorf("%s: err = %v names no field", tc.rule, err)
		}
	}
	if after := get(t, s.Snapshot, store.AsOf(d20180101)); !reflect.DeepEqual(before, after) {
		t.Error("refused calls changed the store")
	}

	// Normalising rules: the implicit form answers like the explicit one.
	same := func(rule string, implicit, explicit any) {
		t.Helper()
		if !reflect.DeepEqual(implicit, explicit) {
			t.Errorf("%s:\n implicit %+v\n explicit %+v", rule, implicit, explicit)
		}
	}
	today := kg.Today()
	same("asOf 0 is today (entities)", get2(t, s.Entities, []string{"vendor:v1", "directive:d1"}, store.AsOf(0)),
		get2(t, s.Entities, []string{"vendor:v1", "directive:d1"}, store.AsOf(today)))
	same("asOf 0 is today (snapshot)", get(t, s.Snapshot, store.AsOf(0)), get(t, s.Snapshot, store.AsOf(today)))
	same("malformed and repeated ids are absent, not an error",
		get2(t, s.Entities, []string{"vendor:v1", "Kaspersky", "vendor:v1", ""}, store.AsOf(0)), get2(t, s.Entities, []string{"vendor:v1"}, store.AsOf(0)))
	same("relationships: no direction is BOTH",
		get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, AsOf: d20180101}),
		get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: kg.Both, AsOf: d20180101}))
	same("page: first 0 is DefaultFirst",
		get(t, s.List, store.ListQuery{AsOf: d20180101}), get(t, s.List, store.ListQuery{AsOf: d20180101, Page: store.Page{First: store.DefaultFirst}}))
	same("search: case and repeated words do not matter",
		get(t, s.Search, store.SearchQuery{Text: "KASPERSKY kaspersky, Kaspersky", AsOf: d20180101}),
		get(t, s.Search, store.SearchQuery{Text: "kaspersky", AsOf: d20180101}))
	nb := func(dir kg.Direction) kg.Snapshot {
		t.Helper()
		snap, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"product:p1"}, MaxHops: 2, AsOf: d20180101,
			Steps: []store.Step{{Type: kg.RelUses, Direction: dir}, {Type: kg.RelMakes, Direction: dir}}})
		if err != nil {
			t.Fatal(err)
		}
		snap.Sort()
		return snap
	}
	same("neighbourhood: a step without direction is BOTH", nb(""), nb(kg.Both))
	path := func(q store.PathQuery) []store.Path {
		t.Helper()
		q.From, q.To, q.AsOf = "organization:o1", "government:ru", d20180101
		ps := get(t, s.Paths, q)
		return ps
	}
	same("paths: maxHops 0 is DefaultPathHops", path(store.PathQuery{}), path(store.PathQuery{MaxHops: store.DefaultPathHops}))
	same("paths: first 0 is DefaultPathFirst", path(store.PathQuery{MaxHops: 6}), path(store.PathQuery{MaxHops: 6, First: store.DefaultPathFirst}))
	if n := len(path(store.PathQuery{})); n == 0 {
		t.Error("paths with every default found nothing; the defaults rule is not exercised")
	}
}
