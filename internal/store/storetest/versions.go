package storetest

import (
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

// nameOn is the name of entity id on asOf as known at k ("" when it is not visible).
func nameOn(t *testing.T, s store.Reader, id string, asOf kg.Date, k kg.Stamp) string {
	t.Helper()
	return get2(t, s.Entities, []string{id}, store.At{AsOf: asOf, KnownAt: k})[id].Name
}

// testVersions: an upsert that changes content opens a version from its validFrom and keeps
// the old one for the days before; replacing a version is a correction; History lists every
// row with its times and writer.
func testVersions(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	v1 := Fixture().Entities[4] // vendor:v1, "Kaspersky Lab", open validity
	renamed := v1
	renamed.Name, renamed.Validity.From = "Kaspersky", 20200101
	res := mustApply(t, s, kg.Batch{Entities: []kg.Entity{renamed}})
	wantIDs(t, "renamed", res.Updated, []string{"vendor:v1"})
	renamedAt := res.RecordedAt
	for _, tc := range []struct {
		asOf kg.Date
		k    kg.Stamp
		want string
	}{
		{20191231, 0, "Kaspersky Lab"}, {20200101, 0, "Kaspersky"},
		{20210101, renamedAt - 1, "Kaspersky Lab"}, {20210101, renamedAt, "Kaspersky"},
	} {
		if got := nameOn(t, s, "vendor:v1", tc.asOf, tc.k); got != tc.want {
			t.Errorf("vendor:v1 on %s as known at %s: %q, want %q", tc.asOf, tc.k, got, tc.want)
		}
	}
	e := get2(t, s.Entities, []string{"vendor:v1"}, store.AsOf(20210101))["vendor:v1"]
	if e.Validity != (kg.Validity{}) || e.Version == nil || e.Version.Valid != (kg.Validity{From: 20200101}) {
		t.Errorf("renamed entity: validity %+v version %+v; want its whole (open) life and the version from 2020", e.Validity, e.Version)
	}
	// The same content again, from the same day or a later one, changes nothing.
	for _, from := range []kg.Date{20200101, 20220101, 0} {
		again := renamed
		again.Validity.From = from
		if res := mustApply(t, s, kg.Batch{Entities: []kg.Entity{again}}); len(res.Unchanged) != 1 || res.RecordedAt != 0 {
			t.Errorf("the same content from %s: %+v, want unchanged and no recorded time", from, res)
		}
	}
	// Replacing the version from its first day is refused unless it is a correction.
	wrong := renamed
	wrong.Name = "Kaspersky Labs"
	_, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{wrong}}, "test")
	wantErr(t, "replacing a version without correction", err, store.ErrInvalid)
	res, err = s.Apply(ctx, kg.Batch{Entities: []kg.Entity{wrong}, Corrections: []string{"vendor:v1"}}, "editor")
	if err != nil || len(res.Updated) != 1 {
		t.Fatalf("correction: %+v, %v", res, err)
	}
	correctedAt := res.RecordedAt
	if got := nameOn(t, s, "vendor:v1", 20210101, 0); got != "Kaspersky Labs" {
		t.Errorf("after the correction: %q", got)
	}
	if got := nameOn(t, s, "vendor:v1", 20210101, correctedAt-1); got != "Kaspersky" {
		t.Errorf("as known before the correction: %q", got)
	}
	if got := nameOn(t, s, "vendor:v1", 20190101, 0); got != "Kaspersky Lab" {
		t.Errorf("the correction changed an earlier version: %q", got)
	}

	h, err := s.History(ctx, []string{"vendor:v1", "signal:ru-fi", "vendor:ghost", "organization:o1-USES->product:p1"})
	if err != nil {
		t.Fatal(err)
	}
	var superseded, corrections, current int
	for _, r := range h.Entities {
		switch v := r.Version; {
		case v == nil || v.RecordedAt == 0 || v.RecordedBy == "":
			t.Errorf("history row without recorded time or writer: %+v", r)
		case v.SupersededAt != 0:
			superseded++
		default:
			current++
		}
		if r.Version != nil && r.Version.Correction {
			corrections++
			if r.Version.RecordedBy != "editor" || r.Version.RecordedAt != correctedAt {
				t.Errorf("correction row: %+v, want recorded at %s by editor", r.Version, correctedAt)
			}
		}
	}
	if len(h.Entities) != 4 || superseded != 2 || current != 2 || corrections != 1 {
		t.Errorf("history of vendor:v1: %d rows (%d superseded, %d current, %d corrections), want 4 (2, 2, 1): %+v",
			len(h.Entities), superseded, current, corrections, h.Entities)
	}
	if len(h.Signals) != 1 || len(h.Relationships) != 1 || h.Relationships[0].ID() != "organization:o1-USES->product:p1" {
		t.Errorf("history of the signal and the relationship: %+v %+v", h.Signals, h.Relationships)
	}
	if !slices.IsSortedFunc(h.Entities, func(a, b kg.Entity) int { return int(a.Version.RecordedAt - b.Version.RecordedAt) }) {
		t.Error("history rows are not in recorded order")
	}

	// The case: a rename without validFrom keeps the old name and aliases for the past.
	ru := Fixture().Entities[1]
	ru.Name, ru.Aliases = "Russia", nil
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{ru}})
	if old := get2(t, s.Entities, []string{ru.ID}, store.AsOf(d20170913))[ru.ID]; old.Name != "Russian Federation" || len(old.Aliases) != 1 {
		t.Errorf("government:ru on 2017-09-13 after a rename today: %+v", old)
	}
	// Lists and search answer with the version of the moment they read for.
	list := func(name string, at kg.Date) []string {
		return entityIDs(get(t, s.List, store.ListQuery{Filter: store.Filter{NameContains: name}, AsOf: at}).Items)
	}
	wantIDs(t, "name contains 'labs' in 2021", list("labs", 20210101), []string{"vendor:v1"})
	wantIDs(t, "name contains 'labs' in 2019", list("labs", 20190101), nil)
	find := func(text string, at kg.Date) []string {
		var ids []string
		for _, h := range get(t, s.Search, store.SearchQuery{Text: text, AsOf: at}).Items {
			ids = append(ids, h.Entity.ID+"="+h.Entity.Name)
		}
		return ids
	}
	wantIDs(t, "search 'labs' in 2021", find("labs", 20210101), []string{"vendor:v1=Kaspersky Labs"})
	wantIDs(t, "search 'labs' in 2019", find("labs", 20190101), nil)
}

// testKnownAtReplays asks the same questions after every write of a sequence, then asks them
// again as known at each write's recorded time: every answer is given again, exactly.
func testKnownAtReplays(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	first := mustApply(t, s, Fixture()).RecordedAt
	dates := []kg.Date{d20170101, d20170913, d20180101, 20210101}
	type answers struct { // exported fields, for diff
		Snaps []kg.Snapshot
		NB    kg.Snapshot
		List  store.EntityPage
		Rels  map[string]store.RelPage
		Paths []store.Path
	}
	ask := func(k kg.Stamp) answers {
		t.Helper()
		var a answers
		for _, d := range dates {
			snap := get(t, s.Snapshot, store.At{AsOf: d, KnownAt: k})
			snap.KnownAt = 0 // the question's own time, not part of the answer
			a.Snaps = append(a.Snaps, snap)
		}
		var err error
		a.NB, err = s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"organization:o1"}, MaxHops: 3, AsOf: d20180101, KnownAt: k})
		if err != nil {
			t.Fatal(err)
		}
		a.NB.KnownAt = 0
		a.NB.Sort()
		a.List = get(t, s.List, store.ListQuery{Filter: store.Filter{NameContains: "kaspersky"}, AsOf: d20180101, KnownAt: k})
		a.Rels = get(t, s.Relationships, store.RelQuery{EntityIDs: []string{"vendor:v1", "product:p1"}, AsOf: d20180101, KnownAt: k})
		a.Paths = get(t, s.Paths, store.PathQuery{From: "organization:o1", To: "government:ru", AsOf: d20180101, KnownAt: k})
		return a
	}
	given := map[kg.Stamp]answers{first: ask(0)}
	stamps := []kg.Stamp{first}
	d1 := Fixture().Entities[9] // directive:d1, in force from 2017-09-13
	d1.Validity.From = 20170919
	uses := Fixture().Relationships[6]
	uses.Confidence = 0.4
	uses.Validity.From = 20171101
	writes := []kg.Batch{
		{Entities: []kg.Entity{{ID: "vendor:v1", Kind: kg.KindVendor, Name: "Kaspersky", Aliases: []string{"KL"}, Validity: kg.Validity{From: 20171201}}}},
		{Retractions: []kg.Retraction{{ID: "retailer:r1-DELISTED->product:p1", On: 20171015}, {ID: "signal:ru-fi", On: 20171001}}},
		{Entities: []kg.Entity{d1}, Corrections: []string{"directive:d1"}},
		{Relationships: []kg.Relationship{uses}},
		// A relationship of one row, new in a later write: walks as known before must not
		// take it.
		{Relationships: []kg.Relationship{{Type: kg.RelHeadquarteredIn, From: "retailer:r1", To: "government:us", Confidence: 1,
			Sources: Fixture().Relationships[0].Sources}}},
		{Signals: []kg.RiskSignal{{ID: "signal:ru-fi", EntityID: "government:ru", Dimension: kg.DimForeignInfluence, Severity: 0.5,
			Reason: "again", Validity: kg.Validity{From: 20180101}}}},
	}
	for i, b := range writes {
		res, err := s.Apply(ctx, b, "test")
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if res.RecordedAt <= stamps[len(stamps)-1] {
			t.Fatalf("write %d recorded at %s, not after the write before (%s)", i, res.RecordedAt, stamps[len(stamps)-1])
		}
		given[res.RecordedAt] = ask(0)
		stamps = append(stamps, res.RecordedAt)
	}
	if reflect.DeepEqual(given[first], given[stamps[len(stamps)-1]]) {
		t.Fatal("the writes changed no answer; the test proves nothing")
	}
	for _, k := range stamps {
		if got := ask(k); !reflect.DeepEqual(got, given[k]) {
			t.Errorf("as known at %s the answers differ from those given then: %s", k, diff(got, given[k]))
		}
	}
	if snap := get(t, s.Snapshot, store.At{AsOf: d20180101, KnownAt: first - 1}); len(snap.Entities)+len(snap.Relationships) != 0 {
		t.Errorf("as known before the first write the store held %d entities", len(snap.Entities))
	}
	if got := nameOn(t, s, "directive:d1", 20170915, stamps[2]); got == "" {
		t.Error("the directive's corrected start hid it before the correction was recorded")
	}
	if got := nameOn(t, s, "directive:d1", 20170915, 0); got != "" {
		t.Error("the directive is visible before its corrected start")
	}
}

// testIntegrity: every id a write refers to exists, text fields have caps, and a write that
// breaks either is refused whole, naming the field.
func testIntegrity(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	before, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ghost := []kg.Citation{{SourceID: "source:does-not-exist", Excerpt: "x"}}
	ok := kg.Entity{ID: "vendor:new", Kind: kg.KindVendor, Name: "New"}
	d := Fixture().Entities[9]
	d.Obligations = []kg.Obligation{{ID: "x", Title: "X", Due: 20180101, Sources: ghost}}
	for _, tc := range []struct {
		name, field string
		b           kg.Batch
	}{
		{"entity cites a missing source", "entities[1].sources[0].source",
			kg.Batch{Entities: []kg.Entity{ok, {ID: "vendor:x", Kind: kg.KindVendor, Name: "X", Sources: ghost}}}},
		{"obligation cites a missing source", "entities[0].obligations[0].sources[0].source", kg.Batch{Entities: []kg.Entity{d}}},
		{"relationship cites a missing source", "relationships[0].sources[0].source",
			kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:v1", To: "product:p1", Sources: ghost}}}},
		{"signal cites a missing source", "signals[0].sources[0].source",
			kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:x", EntityID: "vendor:v1", Dimension: kg.DimSanctions, Severity: 0.5, Sources: ghost}}}},
		{"signal on a missing entity", "signals[0].entity",
			kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:x", EntityID: "vendor:ghost", Dimension: kg.DimSanctions, Severity: 0.5}}}},
		{"relationship to a missing entity", "relationships[0].to",
			kg.Batch{Entities: []kg.Entity{ok}, Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:new", To: "product:ghost"}}}},
		{"retraction of a missing fact", "retractions[0].id",
			kg.Batch{Entities: []kg.Entity{ok}, Retractions: []kg.Retraction{{ID: "vendor:ghost", On: 20200101}}}},
		{"name above its cap", "entities[0].name",
			kg.Batch{Entities: []kg.Entity{{ID: "vendor:long", Kind: kg.KindVendor, Name: strings.Repeat("n", kg.MaxNameLen+1)}}}},
		{"too many aliases", "entities[0].aliases",
			kg.Batch{Entities: []kg.Entity{{ID: "vendor:long", Kind: kg.KindVendor, Name: "L", Aliases: make([]string, kg.MaxListLen+1)}}}},
		{"excerpt above its cap", "relationships[0].sources[0].excerpt",
			kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:v1", To: "product:p1",
				Sources: []kg.Citation{{SourceID: "source:s1", Excerpt: strings.Repeat("e", kg.MaxExcerptLen+1)}}}}}},
		{"reason above its cap", "signals[0].reason",
			kg.Batch{Signals: []kg.RiskSignal{{ID: "signal:x", EntityID: "vendor:v1", Dimension: kg.DimSanctions, Severity: 0.5,
				Reason: strings.Repeat("r", kg.MaxExcerptLen+1)}}}},
		{"description above its cap", "entities[0].description",
			kg.Batch{Entities: []kg.Entity{{ID: "vendor:long", Kind: kg.KindVendor, Name: "L", Description: strings.Repeat("d", kg.MaxTextLen+1)}}}},
	} {
		_, err := s.Apply(ctx, tc.b, "test")
		var ve *kg.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v, want a validation error at %s", tc.name, err, tc.field)
		}
	}
	after, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("refused writes changed the store")
	}
	// A source written in the same batch may be cited.
	mustApply(t, s, kg.Batch{Entities: []kg.Entity{{ID: "source:new", Kind: kg.KindSource, Name: "New source"},
		{ID: "vendor:cited", Kind: kg.KindVendor, Name: "Cited", Sources: []kg.Citation{{SourceID: "source:new", Excerpt: "says so"}}}}})
}

// testApplyAll: one batch writes entities, relationships, signals and retractions together,
// or nothing.
func testApplyAll(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	b := kg.Batch{
		Entities:      []kg.Entity{{ID: "vendor:acme", Kind: kg.KindVendor, Name: "Acme"}, {ID: "product:acme-av", Kind: kg.KindProduct, Name: "Acme AV"}},
		Relationships: []kg.Relationship{{Type: kg.RelMakes, From: "vendor:acme", To: "product:acme-av"}},
		Signals:       []kg.RiskSignal{{ID: "signal:acme", EntityID: "vendor:acme", Dimension: kg.DimSanctions, Severity: 0.3, Reason: "listed"}},
		Retractions:   []kg.Retraction{{ID: "organization:o1-USES->product:p1", On: d20171001}, {ID: "vendor:ghost", On: d20171001}},
	}
	before, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(ctx, b, "test")
	wantErr(t, "a batch whose last retraction names nothing", err, store.ErrInvalid)
	if after, err := s.Export(ctx); err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("a refused batch changed the store (%v)", err)
	}
	b.Retractions = b.Retractions[:1]
	res := mustApply(t, s, b)
	wantIDs(t, "created", sorted(res.Created), []string{"product:acme-av", "signal:acme", "vendor:acme", "vendor:acme-MAKES->product:acme-av"})
	wantIDs(t, "retracted", res.Retracted, []string{"organization:o1-USES->product:p1"})
	if res.RecordedAt == 0 {
		t.Error("a write that changed something has no recorded time")
	}
	snap := get(t, s.Snapshot, store.AsOf(d20180101))
	if !slices.ContainsFunc(snap.Signals, func(g kg.RiskSignal) bool { return g.ID == "signal:acme" }) ||
		slices.ContainsFunc(snap.Relationships, func(r kg.Relationship) bool { return r.ID() == "organization:o1-USES->product:p1" }) {
		t.Error("the batch's writes are not all visible")
	}
}

// testConcurrentVersions has writers rename one entity at once, each from its own day:
// every write is recorded once, at its own time, and none is lost: as known right after its
// write, the name it wrote holds from its day.
func testConcurrentVersions(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	const writers = 6
	stamps := make([]kg.Stamp, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := Fixture().Entities[4]
			e.Name, e.Validity.From = fmt.Sprintf("Name %d", w), kg.NewDate(2020, 1, w+1)
			res, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{e}}, fmt.Sprintf("writer-%d", w))
			if err != nil {
				t.Errorf("writer %d: %v", w, err)
				return
			}
			stamps[w] = res.RecordedAt
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[kg.Stamp]bool{}
	for w, k := range stamps {
		if k == 0 || seen[k] {
			t.Errorf("writer %d recorded at %s: every write needs a time of its own", w, k)
		}
		seen[k] = true
		if got, want := nameOn(t, s, "vendor:v1", kg.NewDate(2020, 1, w+1), k), fmt.Sprintf("Name %d", w); got != want {
			t.Errorf("as known right after writer %d, vendor:v1 on its day is %q, want %q", w, got, want)
		}
	}
	h, err := s.History(ctx, []string{"vendor:v1"})
	if err != nil {
		t.Fatal(err)
	}
	cur := kg.Rows(h.Entities, 0)
	for i := 1; i < len(cur); i++ {
		if cur[i-1].Validity.To == 0 || cur[i-1].Validity.To > cur[i].Validity.From {
			t.Errorf("current versions overlap: %+v then %+v", cur[i-1].Validity, cur[i].Validity)
		}
	}
	if n := len(cur); n != writers+1 {
		t.Errorf("%d current versions, want %d (the original and one per writer)", n, writers+1)
	}
}

// testByID: facts can be read by id, and Exists tells which ids were ever recorded.
func testByID(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	rel := "retailer:r1-SELLS->product:p1"
	got := get2(t, s.RelationshipsByID, []string{rel, "vendor:v1-MAKES->product:p1", "vendor:v1-MAKES->product:ghost", "junk"}, store.AsOf(20170101))
	if len(got) != 2 || got[rel].Validity.To != d20170908 {
		t.Errorf("relationships by id on 2017-01-01: %+v", got)
	}
	if got := get2(t, s.RelationshipsByID, []string{rel}, store.AsOf(d20180101)); len(got) != 0 {
		t.Errorf("an ended relationship read by id after its end: %+v", got)
	}
	sigs := get2(t, s.SignalsByID, []string{"signal:d1-reg", "signal:ghost"}, store.AsOf(d20180101))
	if len(sigs) != 1 || sigs["signal:d1-reg"].Severity != 0.9 {
		t.Errorf("signals by id: %+v", sigs)
	}
	if got := get2(t, s.SignalsByID, []string{"signal:d1-reg"}, store.AsOf(d20170101)); len(got) != 0 {
		t.Errorf("a signal read by id before it holds: %+v", got)
	}
	ex, err := s.Exists(ctx, []string{"vendor:v1", rel, "signal:ru-fi", "vendor:ghost", "directive:d1"})
	if err != nil {
		t.Fatal(err)
	}
	if !ex["vendor:v1"] || !ex[rel] || !ex["signal:ru-fi"] || ex["vendor:ghost"] || !ex["directive:d1"] {
		t.Errorf("exists: %v", ex)
	}
}
