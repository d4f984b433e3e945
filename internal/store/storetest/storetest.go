// Package storetest is the conformance suite of store.Store: every backend's tests call Run,
// and a behaviour the backends disagree on is a bug in one of them.
//
// Rules the suite pins down where the interface comments leave room:
//   - Round trip: a fact reads back exactly as written (empty lists as nil), except that a
//     relationship's Confidence 0 ("means 1" in kg) is stored and read back as 1. Writing a fact
//     equal to the stored one after that rule (so Confidence 0 again, or 1) is Unchanged.
//   - Writes report each id once, as Created, Updated (content changed) or Unchanged. An empty
//     batch is no error and reports nothing.
//   - Relationship and signal endpoints must exist in the store (at any date, so a retracted
//     entity still counts) or in the batch; citation sources are not checked.
//   - Retract: every id must exist (else ErrNotFound and nothing changes); date 0, or a date
//     before a fact's validFrom, is ErrInvalid and nothing changes; a fact already ended on or
//     before the date is Unchanged; otherwise validTo becomes the date (Updated). Retracting
//     an entity does not touch its relationships or signals: they stop being visible because
//     their entity is not. Repeated ids count once.
//   - List and Relationships order by id and hand out EncodeCursor(id) cursors; an empty page
//     has EndCursor "". Kind, NameContains and Related combine with AND.
//   - In the maps returned by Relationships and Signals an absent key and an empty value mean
//     the same: callers must not tell them apart. Unknown ids are not an error.
//   - Snapshot and Neighbourhood list entities, relationships and signals each in id order.
//   - Neighbourhood: roots that do not exist or are not visible are skipped (no error). The
//     entities are those within MaxHops walks over visible relationships the Steps allow; the
//     relationships are every allowed visible relationship taken from an entity closer than
//     MaxHops (so one joining two entities both exactly MaxHops away is left out); the signals
//     are those of the entities. MaxEntities counts the roots; negative is ErrInvalid.
//   - Search splits the text into words at anything but letters and digits and needs at least
//     one (else ErrInvalid). Every word must match (AND) a word of the name, an alias or the
//     description, either whole or as its prefix. A whole-name match ranks first; ties by id.
//     Scores are backend-specific; the cursor is opaque.
//   - Paths are simple, walked in either direction, ordered by length, then by the entity ids
//     along the path, then by the relationship ids. From == To, or an endpoint missing or not
//     visible, gives no paths and no error. MaxHops outside 1..MaxHops or Limit < 0 is ErrInvalid.
package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
	d1.Obligations = []kg.Obligation{{ID: "remove", Title: "Remove it", Description: "Take it off every system",
		Due: 20171212, Sources: cite}}
	v1 := ent("vendor:v1", "Kaspersky Lab", "Kaspersky", "AO Kaspersky Lab")
	v1.Description = "Antivirus maker based in Moscow"
	v1.Attributes = []kg.Attribute{{Key: "founded", Value: "1997"}}
	sells := rel("retailer:r1", kg.RelSells, "product:p1")
	sells.Validity.To = d20170908
	delisted := rel("retailer:r1", kg.RelDelisted, "product:p1")
	delisted.Validity.From = d20170908
	applies := rel("law:l1", kg.RelAppliesTo, "vendor:v1")
	applies.Confidence, applies.Inferred, applies.Note = 0.6, true, "read from the law's wording"
	applies.Sources = append(slices.Clone(cite), kg.Citation{SourceID: "source:s1", Excerpt: "the vendor denies it", Stance: kg.StanceDisputes})
	partOf := rel("agency:a1", kg.RelPartOf, "government:us")
	partOf.Confidence = 0 // stored and read back as 1
	return kg.Batch{
		Entities: []kg.Entity{
			{ID: "source:s1", Kind: kg.KindSource, Name: "Fixture Source"},
			ent("government:ru", "Russian Federation", "Russia"),
			ent("government:us", "United States", "USA"),
			ent("law:l1", "Interception Law"),
			v1,
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
			partOf,
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
		{"RoundTrip", testRoundTrip},
		{"UpsertIsIdempotent", testUpsertIdempotent},
		{"EmptyWrites", testEmptyWrites},
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
		{"BatchIsAtomic", testAtomicBatch},
		{"ConcurrentWriters", testConcurrent},
		{"ConcurrentSameRows", testConcurrentSameRows},
		{"EntitiesMissingIDs", testEntitiesMissing},
		{"Load", testLoad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
	t.Run("ExportReproduces", func(t *testing.T) { testExport(t, newStore) })
}

// testExport exports a store that holds ended facts too, writes the export into a fresh
// store with Load, and expects that store to export the same rows and show the same
// snapshots.
func testExport(t *testing.T, newStore func(t *testing.T) store.Store) {
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
		snap, err := s.Snapshot(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap)
	}

	s2 := newStore(t) // a Neo4j store empties the shared database here: b is all that is left
	res, err := store.Load(ctx, s2, b, store.LoadOptions{BatchSize: 3, Workers: 2})
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
		snap, err := s2.Snapshot(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(snap, snaps[i]) {
			t.Errorf("snapshot at %s after the import differs:\n got %+v\nwant %+v", d, snap, snaps[i])
		}
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

// canonical is b as the store must read it back: Confidence 0 becomes 1, rows in id order.
func canonical(b kg.Batch) kg.Snapshot {
	snap := kg.Snapshot{
		Entities:      slices.Clone(b.Entities),
		Relationships: slices.Clone(b.Relationships),
		Signals:       slices.Clone(b.Signals),
	}
	for i := range snap.Relationships {
		snap.Relationships[i].Confidence = snap.Relationships[i].EffectiveConfidence()
	}
	slices.SortFunc(snap.Entities, func(a, b kg.Entity) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(snap.Relationships, func(a, b kg.Relationship) int { return cmp.Compare(a.ID(), b.ID()) })
	slices.SortFunc(snap.Signals, func(a, b kg.RiskSignal) int { return cmp.Compare(a.ID, b.ID) })
	return snap
}

func testRoundTrip(t *testing.T, s store.Store) {
	seeded(t, s)
	got, err := s.Snapshot(ctx, d20170913)
	if err != nil {
		t.Fatal(err)
	}
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

func at[T any](xs []T, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return "(none)"
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
		t.Errorf("content changed after an identical write:\nbefore %+v\nafter  %+v", before, after)
	}
}

func testEmptyWrites(t *testing.T, s store.Store) {
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

func testUpdate(t *testing.T, s store.Store) {
	seeded(t, s)
	e := Fixture().Entities[4] // vendor:v1
	e.Name = "Kaspersky"
	e.Attributes = append(e.Attributes, kg.Attribute{Key: "city", Value: "Moscow"})
	res := mustApply(t, s, kg.Batch{Entities: []kg.Entity{e, Fixture().Entities[5]}})
	wantIDs(t, "updated", res.Updated, []string{"vendor:v1"})
	wantIDs(t, "unchanged", res.Unchanged, []string{"product:p1"})
	got, _ := s.Entities(ctx, []string{"vendor:v1"}, d20180101)
	if g := got["vendor:v1"]; g.Name != "Kaspersky" || len(g.Attributes) != 2 || g.Attributes[1].Value != "Moscow" {
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
		{20170907, []string{"retailer:r1-SELLS->product:p1"}}, // the last day of [from, to)
		{d20170908, []string{"retailer:r1-DELISTED->product:p1"}},
		{d20180101, []string{"retailer:r1-DELISTED->product:p1"}},
	} {
		pages, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"retailer:r1"}, Direction: store.Out, AsOf: tc.at})
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, fmt.Sprintf("best buy's relationships on %s", tc.at), relIDs(pages["retailer:r1"].Items), tc.want)
	}
	for at, want := range map[kg.Date]bool{d20170101: false, 20170912: false, d20170913: true, d20180101: true} {
		got, err := s.Entities(ctx, []string{"directive:d1"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["directive:d1"]; ok != want {
			t.Errorf("directive visible on %s: %v, want %v", at, ok, want)
		}
	}
	// A relationship is hidden while an endpoint is.
	pages, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: store.In, AsOf: 20170912})
	wantIDs(t, "vendor's incoming relationships before the directive", relIDs(pages["vendor:v1"].Items),
		[]string{"law:l1-APPLIES_TO->vendor:v1"})
	pages, _ = s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Direction: store.In, AsOf: d20170913})
	wantIDs(t, "vendor's incoming relationships on the directive's day", relIDs(pages["vendor:v1"].Items),
		[]string{"directive:d1-TARGETS->vendor:v1", "law:l1-APPLIES_TO->vendor:v1"})
	sigs, _ := s.Signals(ctx, []string{"directive:d1", "government:ru"}, d20170101)
	if len(sigs["directive:d1"]) != 0 || len(sigs["government:ru"]) != 1 {
		t.Errorf("signals on 2017-01-01: %+v", sigs)
	}
	// A signal bounded on both ends.
	mustApply(t, s, kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:v1-rep", EntityID: "vendor:v1", Dimension: kg.DimReputational,
		Severity: 0.3, Reason: "press", Validity: kg.Validity{From: d20170908, To: d20171001}}}})
	for at, want := range map[kg.Date]int{20170907: 0, d20170908: 1, 20170930: 1, d20171001: 0} {
		sigs, err := s.Signals(ctx, []string{"vendor:v1"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(sigs["vendor:v1"]); got != want {
			t.Errorf("vendor signals on %s: %d, want %d", at, got, want)
		}
	}
}

func testRetract(t *testing.T, s store.Store) {
	seeded(t, s)
	rel := "organization:o1-USES->product:p1"
	res, err := s.Retract(ctx, []string{rel, "signal:ru-fi", rel}, d20171001)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retract updated", sorted(res.Updated), []string{rel, "signal:ru-fi"})
	uses := func(at kg.Date) []kg.Relationship {
		t.Helper()
		p, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"organization:o1"}, Direction: store.Out,
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
	if sigs, _ := s.Signals(ctx, []string{"government:ru"}, d20171001); len(sigs["government:ru"]) != 0 {
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
	if got, _ := s.Entities(ctx, []string{"government:ru"}, d20180101); len(got) != 0 {
		t.Error("a retracted entity is visible after the date")
	}
	if got, _ := s.Entities(ctx, []string{"government:ru"}, 20171231); len(got) != 1 {
		t.Error("a retracted entity is hidden before the date")
	}
	p, _ := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Types: []kg.RelType{kg.RelHeadquarteredIn}, AsOf: d20180101})
	if len(p["vendor:v1"].Items) != 0 {
		t.Error("a relationship to a retracted entity is visible")
	}
	// A retracted entity still exists: relationships to it may be written.
	mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelOwnedBy, From: "vendor:v1", To: "government:ru", Confidence: 0.2}}})

	beforeEarly, _ := s.Snapshot(ctx, 20170930)
	beforeLate, _ := s.Snapshot(ctx, 20171231)
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
	afterEarly, _ := s.Snapshot(ctx, 20170930)
	afterLate, _ := s.Snapshot(ctx, 20171231)
	if !reflect.DeepEqual(beforeEarly, afterEarly) || !reflect.DeepEqual(beforeLate, afterLate) {
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

	def, _ := s.List(ctx, store.ListQuery{})
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
	wantIDs(t, "kind and name together", list(store.ListQuery{Kind: kg.KindProduct, Filter: store.Filter{NameContains: "kaspersky"}}),
		[]string{"product:p1"})
	wantIDs(t, "name matching nothing", list(store.ListQuery{Filter: store.Filter{NameContains: "zzz"}}), nil)
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
	// Several signals on one entity come in id order; a signal whose entity is not visible is hidden.
	mustApply(t, s, kg.Batch{Signals: []kg.RiskSignal{
		{ID: "signal:r1-z", EntityID: "retailer:r1", Dimension: kg.DimReputational, Severity: 0.2, Reason: "b"},
		{ID: "signal:r1-a", EntityID: "retailer:r1", Dimension: kg.DimOperational, Severity: 0.1, Reason: "a"},
	}})
	if _, err := s.Retract(ctx, []string{"retailer:r1"}, d20171001); err != nil {
		t.Fatal(err)
	}
	for at, want := range map[kg.Date][]string{20170930: {"signal:r1-a", "signal:r1-z"}, d20171001: nil} {
		got, err := s.Signals(ctx, []string{"retailer:r1"}, at)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range got["retailer:r1"] {
			ids = append(ids, g.ID)
		}
		wantIDs(t, fmt.Sprintf("retailer's signals on %s", at), ids, want)
	}
}

func testNeighbourhood(t *testing.T, s store.Store) {
	seeded(t, s)
	// Upstream of the organisation for foreign influence: USES walked OUT, MAKES walked IN,
	// APPLIES_TO walked IN, ENACTED walked IN, HEADQUARTERED_IN walked OUT.
	steps := []store.Step{{Type: kg.RelUses, Direction: store.Out}, {Type: kg.RelMakes, Direction: store.In},
		{Type: kg.RelAppliesTo, Direction: store.In}, {Type: kg.RelEnacted, Direction: store.In},
		{Type: kg.RelHeadquarteredIn, Direction: store.Out}}
	nb := func(q store.NeighbourhoodQuery) kg.Snapshot {
		t.Helper()
		if q.Roots == nil {
			q.Roots = []string{"organization:o1"}
		}
		snap, err := s.Neighbourhood(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
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
		Steps: []store.Step{{Type: kg.RelUses, Direction: store.In}}}).Entities), []string{"organization:o1"})
	// BOTH walks either way.
	wantIDs(t, "USES both ways", entityIDs(nb(store.NeighbourhoodQuery{Roots: []string{"product:p1"}, MaxHops: 1, AsOf: d20180101,
		Steps: []store.Step{{Type: kg.RelUses, Direction: store.Both}}}).Entities), []string{"organization:o1", "product:p1"})
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
		{"unknown step type", store.NeighbourhoodQuery{MaxHops: 1, Steps: []store.Step{{Type: "LIKES", Direction: store.Out}}}},
	} {
		tc.q.Roots = []string{"organization:o1"}
		_, err := s.Neighbourhood(ctx, tc.q)
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
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
		{"zero hops", store.PathQuery{MaxHops: 0}},
		{"negative limit", store.PathQuery{MaxHops: 2, Limit: -1}},
	} {
		tc.q.From, tc.q.To = "organization:o1", "government:ru"
		_, err := s.Paths(ctx, tc.q)
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
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
	if !slices.IsSorted(entityIDs(snap.Entities)) || !slices.IsSorted(relIDs(snap.Relationships)) ||
		!slices.IsSortedFunc(snap.Signals, func(a, b kg.RiskSignal) int { return cmp.Compare(a.ID, b.ID) }) {
		t.Error("snapshot rows are not in id order")
	}
	if snap.AsOf != d20180101 {
		t.Errorf("snapshot AsOf = %v", snap.AsOf)
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
	seeded(t, s)
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
			Type: kg.RelHeadquarteredIn, Direction: store.Out, EntityID: "government:ru"}}, Page: store.Page{First: 100, After: after}})
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
func testConcurrentSameRows(t *testing.T, s store.Store) {
	seeded(t, s)
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
	rels, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"government:ru", "product:p1"}, Direction: store.In,
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

func testEntitiesMissing(t *testing.T, s store.Store) {
	seeded(t, s)
	got, err := s.Entities(ctx, []string{"vendor:v1", "vendor:ghost", "government:ru", "directive:d1", "vendor:v1"}, d20170101)
	if err != nil {
		t.Fatal(err)
	}
	// directive:d1 exists but is not visible on 2017-01-01: absent like a missing id.
	if len(got) != 2 || got["vendor:v1"].ID != "vendor:v1" || got["government:ru"].Kind != kg.KindGovernment {
		t.Errorf("entities: %+v", got)
	}
	if _, ok := got["vendor:ghost"]; ok {
		t.Error("a missing id is present")
	}
	if none, err := s.Entities(ctx, nil, 0); err != nil || len(none) != 0 {
		t.Errorf("no ids: %v, %v", none, err)
	}
}

func testAtomicBatch(t *testing.T, s store.Store) {
	seeded(t, s)
	before, _ := s.Snapshot(ctx, d20180101)
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
	after, _ := s.Snapshot(ctx, d20180101)
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

// testLoad: Load writes every row of a batch through many small Apply calls in flight at
// once (here crowding onto hub entities), reads back as one Apply would, reports a second
// run as unchanged, and rejects an invalid batch before writing any of it.
func testLoad(t *testing.T, s store.Store) {
	b := hubGraph(60)
	opt := store.LoadOptions{BatchSize: 7, Workers: 3}
	res, err := store.Load(ctx, s, b, opt)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	wantIDs(t, "created", sorted(res.Created), sortedIDs(b))
	snap, err := s.Snapshot(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := canonical(b)
	want.AsOf = snap.AsOf
	if !reflect.DeepEqual(snap, want) {
		t.Errorf("snapshot after load: %d entities, %d relationships, %d signals; want %d, %d, %d",
			len(snap.Entities), len(snap.Relationships), len(snap.Signals), len(want.Entities), len(want.Relationships), len(want.Signals))
	}
	res, err = store.Load(ctx, s, b, opt)
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	wantIDs(t, "unchanged on the second load", sorted(res.Unchanged), sortedIDs(b))

	bad := hubGraph(3)
	bad.Entities = append(bad.Entities, kg.Entity{ID: "vendor:new", Kind: kg.KindVendor, Name: "New"})
	bad.Relationships = append(bad.Relationships, kg.Relationship{Type: kg.RelMakes, From: "retailer:r1", To: "product:p000"})
	_, err = store.Load(ctx, s, bad, opt)
	wantErr(t, "load with a relationship of the wrong kinds", err, store.ErrInvalid)
	if got, _ := s.Entities(ctx, []string{"vendor:new"}, 0); len(got) != 0 {
		t.Error("a rejected load wrote its good rows")
	}
}
