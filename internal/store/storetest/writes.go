package storetest

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// hubGraph is a graph whose relationships crowd onto a few hub entities: n vendors all
// headquartered in one government, each making one product that both retailers sell, and a
// signal on every tenth vendor.
func hubGraph(n int) kg.Batch {
	b := kg.Batch{Entities: []kg.Entity{
		{ID: "government:hub", Kind: kg.KindGovernment, Name: "Hub"},
		{ID: "retailer:r1", Kind: kg.KindRetailer, Name: "R1"},
		{ID: "retailer:r2", Kind: kg.KindRetailer, Name: "R2"},
	}}
	for i := range n {
		v, p := fmt.Sprintf("vendor:v%03d", i), fmt.Sprintf("product:p%03d", i)
		b.Entities = append(b.Entities, kg.Entity{ID: v, Kind: kg.KindVendor, Name: "Vendor " + v},
			kg.Entity{ID: p, Kind: kg.KindProduct, Name: "Product " + p})
		b.Relationships = append(b.Relationships,
			kg.Relationship{Type: kg.RelHeadquarteredIn, From: v, To: "government:hub"},
			kg.Relationship{Type: kg.RelMakes, From: v, To: p},
			kg.Relationship{Type: kg.RelSells, From: "retailer:r1", To: p},
			kg.Relationship{Type: kg.RelSells, From: "retailer:r2", To: p, Confidence: 0.5, Inferred: true})
		if i%10 == 0 {
			b.Signals = append(b.Signals, kg.RiskSignal{ID: "signal:" + strings.ReplaceAll(v, ":", "-"), EntityID: v,
				Dimension: kg.DimSanctions, Severity: 0.5})
		}
	}
	return b
}

func testRoundTrip(t *testing.T, s *store.Checked) {
	got := get(t, s.Snapshot, d20170913)
	want := canonical(Fixture())
	want.AsOf = d20170913
	// On 2017-09-13 every fixture fact is visible but SELLS (it ended on 2017-09-08).
	want.Relationships = slices.DeleteFunc(want.Relationships, func(r kg.Relationship) bool { return r.Type == kg.RelSells })
	if got.AsOf != want.AsOf {
		t.Errorf("snapshot AsOf = %v, want %v", got.AsOf, want.AsOf)
	}
	for i := range max(len(got.Entities), len(want.Entities)) {
		if i >= len(got.Entities) || i >= len(want.Entities) || !reflect.DeepEqual(got.Entities[i], want.Entities[i]) {
			t.Errorf("entity %d:\n got %+v\nwant %+v", i, at(got.Entities, i), at(want.Entities, i))
		}
	}
	for i := range max(len(got.Relationships), len(want.Relationships)) {
		if i >= len(got.Relationships) || i >= len(want.Relationships) || !reflect.DeepEqual(got.Relationships[i], want.Relationships[i]) {
			t.Errorf("relationship %d:\n got %+v\nwant %+v", i, at(got.Relationships, i), at(want.Relationships, i))
		}
	}
	if !reflect.DeepEqual(got.Signals, want.Signals) {
		t.Errorf("signals:\n got %+v\nwant %+v", got.Signals, want.Signals)
	}
	// Writing the canonical form of a stored fact changes nothing.
	res := mustApply(t, s, kg.Batch{Relationships: want.Relationships})
	if len(res.Created)+len(res.Updated) != 0 {
		t.Errorf("rewriting relationships with Confidence 0 spelled as 1: created %v updated %v", res.Created, res.Updated)
	}
}

func testUpsertIdempotent(t *testing.T, s *store.Checked) {
	fx := Fixture()
	first := mustApply(t, s, fx)
	wantIDs(t, "created on first write", sorted(first.Created), sortedIDs(fx))
	if len(first.Updated)+len(first.Unchanged) != 0 {
		t.Errorf("first write: updated %v unchanged %v, want none", first.Updated, first.Unchanged)
	}
	before := get(t, s.Snapshot, d20180101)
	second := mustApply(t, s, fx)
	wantIDs(t, "unchanged on second write", sorted(second.Unchanged), sortedIDs(fx))
	if len(second.Created)+len(second.Updated) != 0 {
		t.Errorf("second write: created %v updated %v, want none", second.Created, second.Updated)
	}
	after := get(t, s.Snapshot, d20180101)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("content changed after an identical write:\nbefore %+v\nafter  %+v", before, after)
	}
}

func testEmptyWrites(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	res, err := s.Apply(ctx, kg.Batch{})
	if err != nil || len(res.Created)+len(res.Updated)+len(res.Unchanged) != 0 {
		t.Errorf("empty batch: %+v, %v", res, err)
	}
	res, err = s.Retract(ctx, nil, d20180101)
	if err != nil || len(res.Created)+len(res.Updated)+len(res.Unchanged) != 0 {
		t.Errorf("empty retraction: %+v, %v", res, err)
	}
	snap, err := s.Snapshot(ctx, d20180101)
	if err != nil || len(snap.Entities)+len(snap.Relationships)+len(snap.Signals) != 0 {
		t.Errorf("snapshot of an empty store: %+v, %v", snap, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func testUpdate(t *testing.T, s *store.Checked) {
	e := Fixture().Entities[4] // vendor:v1
	e.Name = "Kaspersky"
	e.Attributes = append(e.Attributes, kg.Attribute{Key: "city", Value: "Moscow"})
	res := mustApply(t, s, kg.Batch{Entities: []kg.Entity{e, Fixture().Entities[5]}})
	wantIDs(t, "updated", res.Updated, []string{"vendor:v1"})
	wantIDs(t, "unchanged", res.Unchanged, []string{"product:p1"})
	got := get2(t, s.Entities, []string{"vendor:v1"}, d20180101)
	if g := got["vendor:v1"]; g.Name != "Kaspersky" || len(g.Attributes) != 2 || g.Attributes[1].Value != "Moscow" {
		t.Errorf("after update: %+v", g)
	}
	r := Fixture().Relationships[1] // law:l1 APPLIES_TO vendor:v1
	r.Confidence = 0.5
	res = mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{r}})
	wantIDs(t, "updated relationship", res.Updated, []string{r.ID()})
	pages := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"law:l1"}, Direction: kg.Out, AsOf: d20180101})
	if items := pages["law:l1"].Items; len(items) != 1 || items[0].Confidence != 0.5 || !items[0].Inferred {
		t.Errorf("relationship after update: %+v", items)
	}
}

func testRetract(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	rel := "organization:o1-USES->product:p1"
	res, err := s.Retract(ctx, []string{rel, "signal:ru-fi", rel}, d20171001)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retract updated", sorted(res.Updated), []string{rel, "signal:ru-fi"})
	uses := func(at kg.Date) []kg.Relationship {
		t.Helper()
		p, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"organization:o1"}, Direction: kg.Out,
			Types: []kg.RelType{kg.RelUses}, AsOf: at})
		if err != nil {
			t.Fatal(err)
		}
		return p["organization:o1"].Items
	}
	if early, late := uses(20170930), uses(d20171001); len(early) != 1 || len(late) != 0 {
		t.Fatalf("USES visible before/after retraction: %d/%d, want 1/0", len(early), len(late))
	}
	if v := uses(20170930)[0].Validity; v.To != d20171001 || v.From != 0 {
		t.Errorf("retracted validity = %+v, want to %s", v, d20171001)
	}
	if sigs := get2(t, s.Signals, []string{"government:ru"}, d20171001); len(sigs["government:ru"]) != 0 {
		t.Error("a retracted signal is still visible")
	}
	again, err := s.Retract(ctx, []string{rel}, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retracting an ended fact", again.Unchanged, []string{rel})

	// Retracting an entity hides it and, through visibility, its relationships and signals.
	if _, err := s.Retract(ctx, []string{"government:ru"}, d20180101); err != nil {
		t.Fatal(err)
	}
	if got := get2(t, s.Entities, []string{"government:ru"}, d20180101); len(got) != 0 {
		t.Error("a retracted entity is visible after the date")
	}
	if got := get2(t, s.Entities, []string{"government:ru"}, 20171231); len(got) != 1 {
		t.Error("a retracted entity is hidden before the date")
	}
	p := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Types: []kg.RelType{kg.RelHeadquarteredIn}, AsOf: d20180101})
	if len(p["vendor:v1"].Items) != 0 {
		t.Error("a relationship to a retracted entity is visible")
	}
	// A retracted entity still exists: relationships to it may be written.
	mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelOwnedBy, From: "vendor:v1", To: "government:ru", Confidence: 0.2}}})

	beforeEarly := get(t, s.Snapshot, 20170930)
	beforeLate := get(t, s.Snapshot, 20171231)
	for _, tc := range []struct {
		name   string
		ids    []string
		on     kg.Date
		target error
	}{
		{"unknown id among known ones", []string{"vendor:v1", "vendor:ghost"}, d20171001, store.ErrNotFound},
		{"date before validFrom", []string{"vendor:v1", "directive:d1"}, d20170101, store.ErrInvalid},
		{"no date", []string{"vendor:v1"}, 0, store.ErrInvalid},
	} {
		_, err := s.Retract(ctx, tc.ids, tc.on)
		wantErr(t, tc.name, err, tc.target)
	}
	afterEarly := get(t, s.Snapshot, 20170930)
	afterLate := get(t, s.Snapshot, 20171231)
	if !reflect.DeepEqual(beforeEarly, afterEarly) || !reflect.DeepEqual(beforeLate, afterLate) {
		t.Error("a failed retraction changed the store")
	}
}

func testInvalid(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	before := get(t, s.Snapshot, d20180101)
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
	after := get(t, s.Snapshot, d20180101)
	if !reflect.DeepEqual(before, after) {
		t.Error("a rejected batch changed the store")
	}
	if got := get2(t, s.Entities, []string{"vendor:new"}, d20180101); len(got) != 0 {
		t.Error("the good row of a rejected batch was stored")
	}
}

func testAtomicBatch(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	before := get(t, s.Snapshot, d20180101)
	var b kg.Batch
	for i := range 100 {
		v, p := fmt.Sprintf("vendor:a%03d", i), fmt.Sprintf("product:a%03d", i)
		b.Entities = append(b.Entities, kg.Entity{ID: v, Kind: kg.KindVendor, Name: v}, kg.Entity{ID: p, Kind: kg.KindProduct, Name: p})
		b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelMakes, From: v, To: p})
	}
	renamed := Fixture().Entities[4]
	renamed.Name = "Renamed"
	b.Entities = append(b.Entities, renamed)
	// The last row names an entity that exists nowhere.
	b.Signals = append(b.Signals, kg.RiskSignal{ID: "signal:a", EntityID: "vendor:a000", Dimension: kg.DimSanctions, Severity: 0.1},
		kg.RiskSignal{ID: "signal:b", EntityID: "vendor:zzz", Dimension: kg.DimSanctions, Severity: 0.1})
	_, err := s.Apply(ctx, b)
	wantErr(t, "batch with one bad row", err, store.ErrInvalid)
	after := get(t, s.Snapshot, d20180101)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a rejected batch of %d rows left %d entities (had %d)", len(b.Entities), len(after.Entities), len(before.Entities))
	}
	// The same batch without the bad row goes in whole.
	b.Signals = b.Signals[:1]
	res := mustApply(t, s, b)
	if len(res.Created) != 301 || len(res.Updated) != 1 {
		t.Errorf("good batch: %d created, %d updated; want 301 and 1", len(res.Created), len(res.Updated))
	}
}

// testLoad: Load writes every row of a batch through many small Apply calls in flight at
// once (here crowding onto hub entities), reads back as one Apply would, reports a second
// run as unchanged, and rejects an invalid batch before writing any of it.
func testLoad(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	b := hubGraph(60)
	opt := store.LoadOptions{BatchSize: 7, Workers: 3}
	res, err := s.Load(ctx, b, opt)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	wantIDs(t, "created", sorted(res.Created), sortedIDs(b))
	snap := get(t, s.Snapshot, 0)
	want := canonical(b)
	want.AsOf = snap.AsOf
	if !reflect.DeepEqual(snap, want) {
		t.Errorf("snapshot after load: %d entities, %d relationships, %d signals; want %d, %d, %d",
			len(snap.Entities), len(snap.Relationships), len(snap.Signals), len(want.Entities), len(want.Relationships), len(want.Signals))
	}
	res, err = s.Load(ctx, b, opt)
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	wantIDs(t, "unchanged on the second load", sorted(res.Unchanged), sortedIDs(b))

	bad := hubGraph(3)
	bad.Entities = append(bad.Entities, kg.Entity{ID: "vendor:new", Kind: kg.KindVendor, Name: "New"})
	bad.Relationships = append(bad.Relationships, kg.Relationship{Type: kg.RelMakes, From: "retailer:r1", To: "product:p000"})
	_, err = s.Load(ctx, bad, opt)
	wantErr(t, "load with a relationship of the wrong kinds", err, store.ErrInvalid)
	if got := get2(t, s.Entities, []string{"vendor:new"}, 0); len(got) != 0 {
		t.Error("a rejected load wrote its good rows")
	}
}

// testExport exports a store that holds ended facts too, writes the export into a fresh
// store with Load, and expects that store to export the same rows and show the same
// snapshots.
func testExport(t *testing.T, newStore func(t *testing.T) *store.Checked) {
	ctx := t.Context()
	s := newStore(t)
	seeded(t, s)
	rel := "organization:o1-USES->product:p1"
	if _, err := s.Retract(ctx, []string{rel, "signal:ru-fi"}, d20171001); err != nil {
		t.Fatal(err)
	}
	b, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fx := Fixture()
	wantIDs(t, "exported rows", sortedIDs(b), sortedIDs(fx))
	if !slices.IsSorted(entityIDs(b.Entities)) || !slices.IsSorted(relIDs(b.Relationships)) ||
		!slices.IsSortedFunc(b.Signals, func(x, y kg.RiskSignal) int { return cmp.Compare(x.ID, y.ID) }) {
		t.Error("export rows are not in id order")
	}
	ended := false
	for _, r := range b.Relationships {
		if r.ID() == rel {
			ended = r.Validity.To == d20171001
		}
	}
	if !ended {
		t.Errorf("export lost the end of %s", rel)
	}
	var snaps []kg.Snapshot
	for _, d := range []kg.Date{d20170101, d20180101} {
		snap := get(t, s.Snapshot, d)
		snaps = append(snaps, snap)
	}

	s2 := newStore(t) // a Neo4j store empties the shared database here: b is all that is left
	res, err := s2.Load(ctx, b, store.LoadOptions{BatchSize: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != len(sortedIDs(b)) {
		t.Errorf("import created %d rows, want %d", len(res.Created), len(sortedIDs(b)))
	}
	again, err := s2.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, b) {
		t.Errorf("export of the imported store differs:\n got %+v\nwant %+v", again, b)
	}
	for i, d := range []kg.Date{d20170101, d20180101} {
		snap := get(t, s2.Snapshot, d)
		if !reflect.DeepEqual(snap, snaps[i]) {
			t.Errorf("snapshot at %s after the import differs:\n got %+v\nwant %+v", d, snap, snaps[i])
		}
	}
}

func testConcurrent(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("vendor:w%d-%02d", w, i)
				res, err := s.Apply(ctx, kg.Batch{
					Entities:      []kg.Entity{{ID: id, Kind: kg.KindVendor, Name: id}},
					Relationships: []kg.Relationship{{Type: kg.RelHeadquarteredIn, From: id, To: "government:ru"}},
				})
				if err != nil {
					errs <- err
				} else if !slices.Contains(res.Created, id) {
					errs <- fmt.Errorf("writing %s reported %+v", id, res)
				}
			}
		}()
	}
	// Readers run alongside the writers.
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"government:ru"}, MaxHops: 2}); err != nil {
					errs <- err
				}
				if _, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor}); err != nil {
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
		p, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Filter: store.Filter{Related: &store.RelatedFilter{
			Type: kg.RelHeadquarteredIn, Direction: kg.Out, EntityID: "government:ru"}}, Page: store.Page{First: 100, After: after}})
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	if want := writers*each + 1; n != want { // + vendor:v1 of the fixture
		t.Errorf("%d vendors headquartered in Russia after %d parallel writes, want %d", n, writers*each, want)
	}
}

// testConcurrentSameRows has several writers apply the same new rows at once: each row is
// stored once, exactly one writer reports creating it, and the others report it unchanged.
func testConcurrentSameRows(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	var b kg.Batch
	for i := range 30 {
		id := fmt.Sprintf("vendor:same-%02d", i)
		b.Entities = append(b.Entities, kg.Entity{ID: id, Kind: kg.KindVendor, Name: id})
		b.Relationships = append(b.Relationships,
			kg.Relationship{Type: kg.RelHeadquarteredIn, From: id, To: "government:ru"},
			kg.Relationship{Type: kg.RelMakes, From: id, To: "product:p1", Confidence: 0.5})
	}
	const writers = 6
	results := make([]store.WriteResult, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Apply(ctx, b)
			if err != nil {
				t.Errorf("writer %d: %v", w, err)
			}
			results[w] = res
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	created := map[string]int{}
	for w, res := range results {
		if got, want := len(res.Created)+len(res.Unchanged), len(b.Entities)+len(b.Relationships); got != want || len(res.Updated) != 0 {
			t.Errorf("writer %d: %d created, %d updated, %d unchanged; want %d rows created or unchanged",
				w, len(res.Created), len(res.Updated), len(res.Unchanged), want)
		}
		for _, id := range res.Created {
			created[id]++
		}
	}
	for _, id := range sortedIDs(b) {
		if created[id] != 1 {
			t.Errorf("%s reported created by %d writers, want 1", id, created[id])
		}
	}
	rels, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"government:ru", "product:p1"}, Direction: kg.In,
		Page: store.Page{First: store.MaxFirst}})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, p := range rels {
		for _, r := range p.Items {
			stored[r.ID()]++
		}
	}
	for _, r := range b.Relationships {
		if stored[r.ID()] != 1 {
			t.Errorf("%s is stored %d times, want once", r.ID(), stored[r.ID()])
		}
	}
}
