package neo4jstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// keysOf returns the sorted property keys of what match (a MATCH binding x) finds.
func keysOf(t *testing.T, s testStore, match string) []string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.raw.driver, match+" RETURN keys(x) AS keys", nil, neo4j.EagerResultTransformer)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 {
		t.Fatalf("%s found %d facts, want 1", match, len(res.Records))
	}
	var keys []string
	for _, k := range res.Records[0].Values[0].([]any) {
		keys = append(keys, k.(string))
	}
	slices.Sort(keys)
	return keys
}

// TestCompactEncoding checks that a fact with one row stores what it did before versions
// were kept, plus its recorded time and writer, and that a change moves it to the history
// encoding.
func TestCompactEncoding(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	if _, err := s.Apply(ctx, star(1), "import"); err != nil {
		t.Fatal(err)
	}
	rel := "MATCH ()-[x:MAKES]->()"
	if got, want := keysOf(t, s, rel), []string{"id", "txBy", "txFrom"}; !slices.Equal(got, want) {
		t.Errorf("a relationship at its defaults stores %v, want %v", got, want)
	}
	if got := keysOf(t, s, "MATCH (x:Vendor)"); slices.ContainsFunc(got, func(k string) bool { return strings.HasPrefix(k, "h") && k != "hash" }) {
		t.Errorf("a compact entity stores %v", got)
	}
	r := star(1).Relationships[1]
	r.Confidence = 0.5
	if _, err := s.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{r}}, "editor"); err != nil {
		t.Fatal(err)
	}
	got := keysOf(t, s, rel)
	for _, k := range []string{"history", "hFrom", "hTo", "hRec", "hSup", "validFrom", "validTo", "confidence"} {
		if !slices.Contains(got, k) {
			t.Errorf("a changed relationship stores %v, without %s", got, k)
		}
	}
}

// TestGaps writes facts whose current rows leave a gap (retracted, then written again from a
// later day) and checks every read on a day in the gap, on both sides of it, as known now and
// as known before the fact was written again.
func TestGaps(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	b := star(2)
	b.Signals = []kg.RiskSignal{{ID: "signal:v000", EntityID: "vendor:v000", Dimension: kg.DimSanctions, Severity: 0.5}}
	if _, err := s.Apply(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	hq := b.Relationships[0] // vendor:v000 HEADQUARTERED_IN government:ru
	ids := []string{"vendor:v000", hq.ID(), "signal:v000"}
	if _, err := s.Apply(ctx, retraction(20100101, ids...), "test"); err != nil {
		t.Fatal(err)
	}
	ended, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v0 := b.Entities[1]
	v0.Validity.From = 20200101
	hq.Validity.From = 20200101
	sig := b.Signals[0]
	sig.Validity.From = 20200101
	res, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{v0}, Relationships: []kg.Relationship{hq}, Signals: []kg.RiskSignal{sig}}, "test")
	if err != nil || len(res.Updated) != 3 {
		t.Fatalf("write again after the gap: %+v, %v", res, err)
	}
	for _, tc := range []struct {
		day     kg.Date
		k       kg.Stamp
		visible bool
	}{
		{20000101, 0, true}, {20150101, 0, false}, {20210101, 0, true},
		{20000101, res.RecordedAt - 1, true}, {20150101, res.RecordedAt - 1, false}, {20210101, res.RecordedAt - 1, false},
		{20210101, res.RecordedAt, true},
	} {
		at := store.At{AsOf: tc.day, KnownAt: tc.k}
		name := fmt.Sprintf("on %s as known at %d", tc.day, tc.k)
		var seen []string
		ents, err := s.Entities(ctx, []string{"vendor:v000"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ents["vendor:v000"]; ok {
			seen = append(seen, "Entities")
		}
		list, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Filter: store.Filter{NameContains: "vendor 0"}, AsOf: tc.day, KnownAt: tc.k})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 1 {
			seen = append(seen, "List")
		}
		hits, err := s.Search(ctx, store.SearchQuery{Text: "vendor 0", Kinds: []kg.Kind{kg.KindVendor}, AsOf: tc.day, KnownAt: tc.k})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(hits.Items, func(h store.SearchHit) bool { return h.Entity.ID == "vendor:v000" }) {
			seen = append(seen, "Search")
		}
		rels, err := s.RelationshipsByID(ctx, []string{hq.ID()}, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(rels) == 1 {
			seen = append(seen, "RelationshipsByID")
		}
		pages, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"government:ru"}, AsOf: tc.day, KnownAt: tc.k})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(pages["government:ru"].Items, func(r kg.Relationship) bool { return r.ID() == hq.ID() }) {
			seen = append(seen, "Relationships")
		}
		sigs, err := s.Signals(ctx, []string{"vendor:v000"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(sigs["vendor:v000"]) == 1 {
			seen = append(seen, "Signals")
		}
		nb, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"government:ru"}, MaxHops: 1, AsOf: tc.day, KnownAt: tc.k})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(nb.Entities, func(e kg.Entity) bool { return e.ID == "vendor:v000" }) && len(nb.Signals) == 1 {
			seen = append(seen, "Neighbourhood")
		}
		paths, err := s.Paths(ctx, store.PathQuery{From: "government:ru", To: "product:p000", AsOf: tc.day, KnownAt: tc.k})
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) == 1 {
			seen = append(seen, "Paths")
		}
		snap, err := s.Snapshot(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Signals) == 1 && slices.ContainsFunc(snap.Entities, func(e kg.Entity) bool { return e.ID == "vendor:v000" }) {
			seen = append(seen, "Snapshot")
		}
		if want := 9; tc.visible && len(seen) != want || !tc.visible && len(seen) != 0 {
			t.Errorf("%s: visible to %v; want visible %v to every read", name, seen, tc.visible)
		}
	}
	// As known before the second write, the store answers as the export then said.
	h, err := s.History(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var before kg.Batch
	for _, e := range h.Entities {
		if e.Version.RecordedAt < res.RecordedAt {
			if e.Version.SupersededAt >= res.RecordedAt {
				e.Version.SupersededAt = 0
			}
			before.Entities = append(before.Entities, e)
		}
	}
	var want []kg.Entity
	for _, e := range ended.Entities {
		if e.ID == "vendor:v000" {
			want = append(want, e)
		}
	}
	if !reflect.DeepEqual(before.Entities, want) {
		t.Errorf("rows of vendor:v000 recorded before the second write:\n got %v\nwant %v", before.Entities, want)
	}
}

// TestWritesLockOnlyWhatChanges traces the statements of writes: creating new rows and
// rewriting unchanged ones take no locks, a change locks the facts it changes in one
// statement per kind, and the count does not grow with the number of facts changed.
func TestWritesLockOnlyWhatChanges(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	locks := func(stmts []string) int {
		n := 0
		for _, c := range stmts {
			if strings.Contains(c, "SET n.id = n.id") || strings.Contains(c, "SET r.id = r.id") {
				n++
			}
		}
		return n
	}
	apply := func(b kg.Batch) (store.WriteResult, []string) {
		t.Helper()
		var res store.WriteResult
		stmts := traced(t, s.raw, func() {
			var err error
			if res, err = s.Apply(ctx, b, "test"); err != nil {
				t.Fatal(err)
			}
		})
		return res, stmts
	}
	if _, stmts := apply(star(100)); locks(stmts) != 0 {
		t.Errorf("creating new rows locked: %v", stmts)
	}
	if res, stmts := apply(star(100)); locks(stmts) != 0 || len(res.Unchanged) != 401 {
		t.Errorf("rewriting unchanged rows: %d unchanged, statements %v", len(res.Unchanged), stmts)
	}
	change := func(n int, suffix string, from kg.Date, conf float64) kg.Batch {
		b := star(n)
		for i := range b.Entities {
			b.Entities[i].Name += suffix
			b.Entities[i].Validity.From = from
		}
		for i := range b.Relationships {
			b.Relationships[i].Confidence = conf
			b.Relationships[i].Validity.From = from
		}
		return b
	}
	_, few := apply(change(5, " (renamed)", 0, 0.5))
	res, many := apply(change(100, " (renamed again)", 20300101, 0.4))
	if len(res.Updated) != 401 || len(res.Created) != 0 {
		t.Errorf("changing every row: %d updated, %d created", len(res.Updated), len(res.Created))
	}
	if locks(few) != 2 || locks(many) != 2 || len(few) != len(many) {
		t.Errorf("changing 5 vendors: %d statements (%d locks); changing 100: %d (%d locks); want the same, with 2 locks",
			len(few), locks(few), len(many), locks(many))
	}
}
