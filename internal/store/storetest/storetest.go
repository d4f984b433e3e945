// Package storetest is the conformance suite of store.Store: every backend's tests call Run,
// and a behaviour the backends disagree on is a bug in one of them. The suite uses each
// backend through store.Checked, as the service does, and pins down every rule Checked
// applies (checks.go), so no backend can drift from them.
//
// Files: storetest.go (Run, helpers, the fixture), writes.go (writes, retractions, atomic
// batches, bulk loads, export, concurrent writers), reads.go (as-of reads, lists, search,
// relationships, signals, snapshots, neighbourhoods, paths), checks.go (validation and
// normalisation rules).
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
//     visible, gives no paths and no error. Checked fills in MaxHops and First and refuses
//     values out of range.
package storetest

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// Run runs the conformance suite; newStore returns a fresh, empty backend for each subtest,
// which the suite uses through store.Check as the service does.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	const fixture, empty = true, false // whether the test starts from a store holding Fixture()
	tests := []struct {
		name    string
		fn      func(t *testing.T, s *store.Checked)
		fixture bool
	}{
		{"RoundTrip", testRoundTrip, fixture},
		{"UpsertIsIdempotent", testUpsertIdempotent, empty},
		{"EmptyWrites", testEmptyWrites, empty},
		{"UpdateChangesContent", testUpdate, fixture},
		{"AsOfVisibility", testAsOf, fixture},
		{"Retract", testRetract, fixture},
		{"ListPagination", testListPagination, empty},
		{"ListFilters", testListFilters, fixture},
		{"Search", testSearch, fixture},
		{"RelationshipsBatch", testRelationships, fixture},
		{"SignalsBatch", testSignals, fixture},
		{"Neighbourhood", testNeighbourhood, fixture},
		{"Paths", testPaths, fixture},
		{"Snapshot", testSnapshot, fixture},
		{"InvalidInputChangesNothing", testInvalid, fixture},
		{"BatchIsAtomic", testAtomicBatch, fixture},
		{"ConcurrentWriters", testConcurrent, fixture},
		{"ConcurrentSameRows", testConcurrentSameRows, fixture},
		{"EntitiesMissingIDs", testEntitiesMissing, fixture},
		{"Load", testLoad, empty},
		{"Checks", testChecks, fixture},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := store.Check(newStore(t))
			if tc.fixture {
				seeded(t, s)
			}
			tc.fn(t, s)
		})
	}
	t.Run("ExportReproduces", func(t *testing.T) {
		testExport(t, func(t *testing.T) *store.Checked { return store.Check(newStore(t)) })
	})
}

func mustApply(t *testing.T, s store.Writer, b kg.Batch) store.WriteResult {
	t.Helper()
	res, err := s.Apply(t.Context(), b)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func seeded(t *testing.T, s store.Writer) {
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

func at[T any](xs []T, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return "(none)"
}

// get and get2 make a read that must succeed: they fail the test on an error, so that a
// check such as "the store did not change" can never pass because the read itself failed.
// Call them with the read method and its arguments: get(t, s.Snapshot, date).
func get[A, T any](t *testing.T, read func(context.Context, A) (T, error), a A) T {
	t.Helper()
	v, err := read(t.Context(), a)
	if err != nil {
		t.Fatalf("read %v: %v", a, err)
	}
	return v
}

func get2[A, B, T any](t *testing.T, read func(context.Context, A, B) (T, error), a A, b B) T {
	t.Helper()
	v, err := read(t.Context(), a, b)
	if err != nil {
		t.Fatalf("read %v, %v: %v", a, b, err)
	}
	return v
}

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
