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
	read := get(t, s.Snapshot, store.AsOf(d20170913))
	// Every fact reads back with its one version: over its whole validity, recorded by the
	// write of the fixture.
	var stamp kg.Stamp
	check := func(id string, valid kg.Validity, v *kg.Version) {
		switch {
		case v == nil:
			t.Errorf("%s reads back without a version", id)
		case v.ValidIn(valid) != valid || v.RecordedAt == 0 || v.SupersededAt != 0 || v.RecordedBy != "test" || v.Correction:
			t.Errorf("%s: version %+v; want its validity %+v, recorded by test, current", id, v, valid)
		case stamp != 0 && v.RecordedAt != stamp:
			t.Errorf("%s recorded at %s, others at %s: one write has one recorded time", id, v.RecordedAt, stamp)
		default:
			stamp = v.RecordedAt
		}
	}
	for _, e := range read.Entities {
		check(e.ID, e.Validity, e.Version)
	}
	for _, r := range read.Relationships {
		check(r.ID(), r.Validity, r.Version)
	}
	for _, g := range read.Signals {
		check(g.ID, g.Validity, g.Version)
	}
	got := unversioned(read)
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
	before := get(t, s.Snapshot, store.AsOf(d20180101))
	second := mustApply(t, s, fx)
	wantIDs(t, "unchanged on second write", sorted(second.Unchanged), sortedIDs(fx))
	if len(second.Created)+len(second.Updated) != 0 {
		t.Errorf("second write: created %v updated %v, want none", second.Created, second.Updated)
	}
	after := get(t, s.Snapshot, store.AsOf(d20180101))
	if !reflect.DeepEqual(before, after) {
		t.Errorf("content changed after an identical write:\nbefore %+v\nafter  %+v", before, after)
	}
}

func testEmptyWrites(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	res, err := s.Apply(ctx, kg.Batch{}, "test")
	if err != nil || len(res.Created)+len(res.Updated)+len(res.Unchanged) != 0 {
		t.Errorf("empty batch: %+v, %v", res, err)
	}
	res, err = retract(ctx, s, nil, d20180101)
	if err != nil || len(res.Created)+len(res.Updated)+len(res.Unchanged) != 0 {
		t.Errorf("empty retraction: %+v, %v", res, err)
	}
	snap, err := s.Snapshot(ctx, store.AsOf(d20180101))
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
	// The fixture gives no validFrom, so the new version starts on the day of the write; the
	// old one still answers for earlier days.
	today := kg.Today()
	now := get2(t, s.Entities, []string{"vendor:v1"}, store.AsOf(today))["vendor:v1"]
	if now.Name != "Kaspersky" || len(now.Attributes) != 2 || now.Attributes[1].Value != "Moscow" {
		t.Errorf("after update: %+v", now)
	}
	if v := now.Version; v == nil || v.Valid.From != today || v.RecordedAt != res.RecordedAt || v.RecordedBy != "test" {
		t.Errorf("version of the update: %+v, want one from %s recorded at %s by test", v, today, res.RecordedAt)
	}
	if now.Validity != (kg.Validity{}) {
		t.Errorf("the entity's validity is its whole life, open at both ends: %+v", now.Validity)
	}
	if then := get2(t, s.Entities, []string{"vendor:v1"}, store.AsOf(d20180101))["vendor:v1"]; then.Name != "Kaspersky Lab" || len(then.Attributes) != 1 {
		t.Errorf("on 2018-01-01, before the update: %+v", then)
	}
	r := Fixture().Relationships[1] // law:l1 APPLIES_TO vendor:v1
	r.Confidence = 0.5
	res = mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{r}})
	wantIDs(t, "updated relationship", res.Updated, []string{r.ID()})
	for at, want := range map[kg.Date]float64{today: 0.5, d20180101: 0.6} {
		pages := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"law:l1"}, Direction: kg.Out, AsOf: at})
		if items := pages["law:l1"].Items; len(items) != 1 || items[0].Confidence != want || !items[0].Inferred {
			t.Errorf("relationship on %s after the update: %+v, want confidence %v", at, items, want)
		}
	}
	g := Fixture().Signals[0]
	g.Severity = 0.4
	res = mustApply(t, s, kg.Batch{Signals: []kg.RiskSignal{g}})
	wantIDs(t, "updated signal", res.Updated, []string{g.ID})
	for at, want := range map[kg.Date]float64{today: 0.4, d20180101: 0.8} {
		if got := get2(t, s.Signals, []string{g.EntityID}, store.AsOf(at))[g.EntityID]; len(got) != 1 || got[0].Severity != want {
			t.Errorf("signal on %s after the update: %+v, want severity %v", at, got, want)
		}
	}
}

func testRetract(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	rel := "organization:o1-USES->product:p1"
	res, err := retract(ctx, s, []string{rel, "signal:ru-fi"}, d20171001)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retracted", sorted(res.Retracted), []string{rel, "signal:ru-fi"})
	retractedAt := res.RecordedAt
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
	if sigs := get2(t, s.Signals, []string{"government:ru"}, store.AsOf(d20171001)); len(sigs["government:ru"]) != 0 {
		t.Error("a retracted signal is still visible")
	}
	// As known before the retraction, the relationship had no end.
	before := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"organization:o1"}, Direction: kg.Out,
		Types: []kg.RelType{kg.RelUses}, AsOf: d20180101, KnownAt: retractedAt - 1})
	if items := before["organization:o1"].Items; len(items) != 1 || items[0].Validity.To != 0 {
		t.Errorf("USES as known just before its retraction: %+v, want it open-ended", items)
	}
	again, err := retract(ctx, s, []string{rel}, d20180101)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "retracting an ended fact", again.Unchanged, []string{rel})

	// Retracting an entity hides it and, through visibility, its relationships and signals.
	if _, err := retract(ctx, s, []string{"government:ru"}, d20180101); err != nil {
		t.Fatal(err)
	}
	if got := get2(t, s.Entities, []string{"government:ru"}, store.AsOf(d20180101)); len(got) != 0 {
		t.Error("a retracted entity is visible after the date")
	}
	if got := get2(t, s.Entities, []string{"government:ru"}, store.AsOf(20171231)); len(got) != 1 {
		t.Error("a retracted entity is hidden before the date")
	}
	p := get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1"}, Types: []kg.RelType{kg.RelHeadquarteredIn}, AsOf: d20180101})
	if len(p["vendor:v1"].Items) != 0 {
		t.Error("a relationship to a retracted entity is visible")
	}
	// A retracted entity still exists: relationships to it may be written.
	mustApply(t, s, kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelOwnedBy, From: "vendor:v1", To: "government:ru", Confidence: 0.2}}})

	beforeEarly := get(t, s.Snapshot, store.AsOf(20170930))
	beforeLate := get(t, s.Snapshot, store.AsOf(20171231))
	for _, tc := range []struct {
		name   string
		ids    []string
		on     kg.Date
		target error
	}{
		{"unknown id among known ones", []string{"vendor:v1", "vendor:ghost"}, d20171001, store.ErrInvalid},
		{"date before validFrom", []string{"vendor:v1", "directive:d1"}, d20170101, store.ErrInvalid},
		{"the first day of validity", []string{"directive:d1"}, d20170913, store.ErrInvalid},
		{"long before its start (0001-01-01)", []string{"directive:d1"}, 10101, store.ErrInvalid},
		{"moving an earlier end", []string{rel}, 20170901, store.ErrInvalid},
		{"no date", []string{"vendor:v1"}, 0, store.ErrInvalid},
		{"an id twice", []string{"vendor:v1", "vendor:v1"}, d20171001, store.ErrInvalid},
	} {
		_, err := retract(ctx, s, tc.ids, tc.on)
		wantErr(t, tc.name, err, tc.target)
		if tc.name == "unknown id among known ones" && (err == nil || !strings.Contains(err.Error(), "vendor:ghost")) {
			t.Errorf("retracting an unknown id: %v, want it named", err)
		}
	}
	afterEarly := get(t, s.Snapshot, store.AsOf(20170930))
	afterLate := get(t, s.Snapshot, store.AsOf(20171231))
	if !reflect.DeepEqual(beforeEarly, afterEarly) || !reflect.DeepEqual(beforeLate, afterLate) {
		t.Error("a failed retraction changed the store")
	}
}

func testInvalid(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	before := get(t, s.Snapshot, store.AsOf(d20180101))
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
		_, err := s.Apply(ctx, tc.b, "test")
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
	after := get(t, s.Snapshot, store.AsOf(d20180101))
	if !reflect.DeepEqual(before, after) {
		t.Error("a rejected batch changed the store")
	}
	if got := get2(t, s.Entities, []string{"vendor:new"}, store.AsOf(d20180101)); len(got) != 0 {
		t.Error("the good row of a rejected batch was stored")
	}
}

func testAtomicBatch(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	before := get(t, s.Snapshot, store.AsOf(d20180101))
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
	_, err := s.Apply(ctx, b, "test")
	wantErr(t, "batch with one bad row", err, store.ErrInvalid)
	after := get(t, s.Snapshot, store.AsOf(d20180101))
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
// once (here crowding onto hub entities, and relationships joining entities that earlier
// calls created), tells its progress phase by phase, reads back as one Apply would, reports
// a second run as unchanged, and rejects an invalid batch before writing any of it.
func testLoad(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	b := hubGraph(60)
	type call struct {
		phase       string
		done, total int
	}
	var calls []call
	opt := store.LoadOptions{BatchSize: 7, Workers: 3, Progress: func(phase string, done, total int) {
		calls = append(calls, call{phase, done, total})
	}}
	res, err := s.Load(ctx, b, "test", opt)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var phases []string
	for i, c := range calls {
		if c.done == 0 {
			phases = append(phases, c.phase)
		} else if prev := calls[i-1]; prev.phase != c.phase || prev.done >= c.done || c.done > c.total {
			t.Errorf("progress call %d: %+v after %+v", i, c, prev)
		}
		if i+1 == len(calls) || calls[i+1].done == 0 {
			if c.done != c.total {
				t.Errorf("phase %s ended at %d of %d rows", c.phase, c.done, c.total)
			}
		}
	}
	if want := []string{"entities", "relationships", "signals"}; !slices.Equal(phases, want) {
		t.Errorf("progress phases %v; want %v", phases, want)
	}
	for _, c := range calls {
		if want := map[string]int{"entities": len(b.Entities), "relationships": len(b.Relationships), "signals": len(b.Signals)}[c.phase]; c.total != want {
			t.Errorf("progress of %s: total %d; want %d", c.phase, c.total, want)
		}
	}
	wantIDs(t, "created", sorted(res.Created), sortedIDs(b))
	snap := unversioned(get(t, s.Snapshot, store.AsOf(0)))
	want := canonical(b)
	want.AsOf = snap.AsOf
	if !reflect.DeepEqual(snap, want) {
		t.Errorf("snapshot after load: %d entities, %d relationships, %d signals; want %d, %d, %d",
			len(snap.Entities), len(snap.Relationships), len(snap.Signals), len(want.Entities), len(want.Relationships), len(want.Signals))
	}
	res, err = s.Load(ctx, b, "test", opt)
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	wantIDs(t, "unchanged on the second load", sorted(res.Unchanged), sortedIDs(b))

	bad := hubGraph(3)
	bad.Entities = append(bad.Entities, kg.Entity{ID: "vendor:new", Kind: kg.KindVendor, Name: "New"})
	bad.Relationships = append(bad.Relationships, kg.Relationship{Type: kg.RelMakes, From: "retailer:r1", To: "product:p000"})
	_, err = s.Load(ctx, bad, "test", opt)
	wantErr(t, "load with a relationship of the wrong kinds", err, store.ErrInvalid)
	if got := get2(t, s.Entities, []string{"vendor:new"}, store.AsOf(0)); len(got) != 0 {
		t.Error("a rejected load wrote its good rows")
	}
}

// testExport exports a store whose facts have several versions (a rename, retractions),
// restores the export into a fresh store with Load, and expects that store to export the
// same archive and to give the same answers for every date and every recorded time.
func testExport(t *testing.T, newStore func(t *testing.T) *store.Checked) {
	ctx := t.Context()
	s := newStore(t)
	seededAt := mustApply(t, s, Fixture()).RecordedAt
	renamed := Fixture().Entities[4] // vendor:v1
	renamed.Name, renamed.Validity.From = "Kaspersky", 20200101
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{renamed}})
	rel := "organization:o1-USES->product:p1"
	res, err := retract(ctx, s, []string{rel, "signal:ru-fi"}, d20171001)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.IsArchive() {
		t.Fatal("the export is not an archive: its rows carry no versions")
	}
	fx := Fixture()
	wantIDs(t, "exported facts", slices.Compact(sortedIDs(b)), sortedIDs(fx))
	if !slices.IsSorted(entityIDs(b.Entities)) || !slices.IsSorted(relIDs(b.Relationships)) ||
		!slices.IsSortedFunc(b.Signals, func(x, y kg.RiskSignal) int { return cmp.Compare(x.ID, y.ID) }) {
		t.Error("export rows are not in id order")
	}
	var relRows []kg.Relationship
	for _, r := range b.Relationships {
		if r.ID() == rel {
			relRows = append(relRows, r)
		}
	}
	if len(relRows) != 2 || relRows[0].Version.SupersededAt != res.RecordedAt || relRows[0].Validity.To != 0 ||
		relRows[1].Validity.To != d20171001 || relRows[1].Version.RecordedAt != res.RecordedAt {
		t.Errorf("rows of %s: %+v; want the open row superseded by the retraction and the ended one", rel, relRows)
	}
	moments := []store.At{}
	for _, d := range []kg.Date{d20170101, d20180101, 20210101} {
		for _, k := range []kg.Stamp{0, seededAt, res.RecordedAt - 1} {
			moments = append(moments, store.At{AsOf: d, KnownAt: k})
		}
	}
	var snaps []kg.Snapshot
	for _, at := range moments {
		snaps = append(snaps, get(t, s.Snapshot, at))
	}

	s2 := newStore(t) // a Neo4j store empties the shared database here: b is all that is left
	loaded, err := s2.Load(ctx, b, "import", store.LoadOptions{BatchSize: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Created) != len(sortedIDs(fx)) {
		t.Errorf("import created %d facts, want %d", len(loaded.Created), len(sortedIDs(fx)))
	}
	again, err := s2.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, b) {
		t.Errorf("export of the restored store differs:\n got %+v\nwant %+v", again, b)
	}
	for i, at := range moments {
		if snap := get(t, s2.Snapshot, at); !reflect.DeepEqual(snap, snaps[i]) {
			t.Errorf("snapshot at %+v after the restore differs:\n got %+v\nwant %+v", at, snap, snaps[i])
		}
	}
	if res, err := s2.Load(ctx, b, "import", store.LoadOptions{}); err != nil || len(res.Unchanged) != len(sortedIDs(fx)) {
		t.Errorf("restoring the same archive again: %+v, %v; want every fact unchanged", res, err)
	}
	// An archive may not rewrite a fact's history.
	other := kg.Batch{Entities: slices.Clone(b.Entities[:1])}
	other.Entities[0].Name += " (altered)"
	_, err = s2.Apply(ctx, other, "import")
	wantErr(t, "restoring a different history of a stored fact", err, store.ErrInvalid)
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
				}, "test")
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
			res, err := s.Apply(ctx, b, "test")
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

// Shares, obligations met and reach clauses survive a write, a read and the history.
func testOwnershipAndEvidence(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	d1 := Fixture().Entities[len(Fixture().Entities)-1]
	d1.Reach = &kg.Reach{ControlledBy: true, Products: true}
	owned := kg.Relationship{Type: kg.RelOwnedBy, From: "retailer:r1", To: "vendor:v1", Share: 37.5, Confidence: 1, Sources: cite}
	met := kg.Relationship{Type: kg.RelCompliedWith, From: "organization:o1", To: "directive:d1", Obligation: "remove",
		Confidence: 1, Sources: cite, Validity: kg.Validity{From: 20171201}}
	if _, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{d1}, Relationships: []kg.Relationship{owned, met},
		Corrections: []string{"directive:d1"}}, "test"); err != nil {
		t.Fatal(err)
	}
	at := store.At{AsOf: d20180101}
	rels := get2(t, s.RelationshipsByID, []string{owned.ID(), met.ID()}, at)
	if r := rels[owned.ID()]; r.Share != 37.5 {
		t.Errorf("OWNED_BY read back with share %v, want 37.5", r.Share)
	}
	if r := rels[met.ID()]; r.Obligation != "remove" || r.Validity.From != 20171201 {
		t.Errorf("COMPLIED_WITH read back as %+v", r)
	}
	if e := get2(t, s.Entities, []string{"directive:d1"}, at)["directive:d1"]; e.Reach == nil || *e.Reach != *d1.Reach {
		t.Errorf("reach read back as %+v, want %+v", e.Reach, d1.Reach)
	}
	// A second version keeps both rows' content in the history.
	owned.Share, owned.Validity.From = 60, 20190101
	if _, err := s.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{owned}}, "test"); err != nil {
		t.Fatal(err)
	}
	h := get(t, s.History, []string{owned.ID()})
	var shares []float64
	for _, r := range kg.Rows(h.Relationships, 0) { // the record now, superseded rows aside
		shares = append(shares, r.Share)
	}
	if !slices.Equal(shares, []float64{37.5, 60}) {
		t.Errorf("history of the stake as recorded now: shares %v, want [37.5 60]", shares)
	}
	if r := get2(t, s.RelationshipsByID, []string{owned.ID()}, at)[owned.ID()]; r.Share != 37.5 {
		t.Errorf("the stake on 2018-01-01 reads %v, want 37.5", r.Share)
	}
}
