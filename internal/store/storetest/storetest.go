// Package storetest is the conformance suite of store.Store: every backend's tests call Run,
// and a behaviour the backends disagree on is a bug in one of them. The suite uses each
// backend through store.Checked, as the service does, and pins down every rule Checked
// applies (checks.go), so no backend can drift from them.
//
// Files: storetest.go (Run, helpers, the fixture), writes.go (writes, retractions, atomic
// batches, bulk loads, export, concurrent writers), reads.go (as-of reads, lists, search,
// relationships, signals, snapshots, neighbourhoods, paths), versions.go (versions over
// valid and recorded time, corrections, history, referential integrity, one atomic write),
// checks.go (validation and normalisation rules), snapshots.go (stored risk snapshots).
//
// Rules the suite pins down where the interface comments leave room:
//   - Round trip: a fact reads back exactly as written (empty lists as nil), with a Version
//     (recorded time and writer of its write), except that a relationship's Confidence 0
//     ("means 1" in kg) is stored and read back as 1. Writing a fact equal to the stored one
//     after that rule is Unchanged, and a write that changes nothing has no recorded time.
//   - Versions (kg.Upsert, kg.Correct, kg.Retract, applied by store.Plan): a changed upsert
//     opens a version from its validFrom (default: the day of the write) and the earlier
//     content still answers for earlier days; replacing a version from its first day needs a
//     correction. Reads answer with the version in force, the fact's Validity being its whole
//     unbroken run. As known at an earlier recorded time (KnownAt), every read gives exactly
//     what it gave then; each write gets a recorded time later than every earlier write.
//   - Writes report each id once, as Created, Updated, Unchanged or Retracted. An empty batch
//     is no error and reports nothing. One batch (rows and retractions) is all or nothing.
//   - Every id a write refers to exists, in the store (at any date) or in the batch:
//     relationship ends, signal entities, cited sources, retracted facts (else ErrInvalid,
//     naming the field). Text fields have the caps of kg.
//   - Retract: ending a fact on or before its current version's first day, or moving an end
//     it has to an earlier day, is ErrInvalid; ending an ended fact on a later day is
//     Unchanged; otherwise the current version ends that day (Retracted). Retracting an
//     entity does not touch its relationships or signals: they stop being visible because
//     their entity is not.
//   - List and Relationships order by id and hand out EncodeCursor(id) cursors; an empty page
//     has EndCursor "". Kind, NameContains and Related combine with AND, each applied to the
//     version of the moment read.
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
//     description of the version read, either whole or as its prefix. A whole-name match
//     ranks first; ties by id. Scores are backend-specific; the cursor is opaque.
//   - Paths are simple, walked in either direction, ordered by length, then by the entity ids
//     along the path, then by the relationship ids. From == To, or an endpoint missing or not
//     visible, gives no paths and no error. Checked fills in MaxHops and First and refuses
//     values out of range.
//   - Export is an archive (every row with its version); restoring it into an empty store
//     gives the same export and the same answers at every moment.
package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
		{"OwnershipAndEvidence", testOwnershipAndEvidence, fixture},
		{"UpsertIsIdempotent", testUpsertIdempotent, empty},
		{"EmptyWrites", testEmptyWrites, empty},
		{"UpdateChangesContent", testUpdate, fixture},
		{"AsOfVisibility", testAsOf, fixture},
		{"Retract", testRetract, fixture},
		{"ListPagination", testListPagination, empty},
		{"ListFilters", testListFilters, fixture},
		{"ListByName", testListByName, empty},
		{"Search", testSearch, fixture},
		{"MatchTargets", testMatchTargets, fixture},
		{"RelationshipsBatch", testRelationships, fixture},
		{"SignalsBatch", testSignals, fixture},
		{"Neighbourhood", testNeighbourhood, fixture},
		{"Paths", testPaths, fixture},
		{"Snapshot", testSnapshot, fixture},
		{"SnapshotOrderWithPrefixIDs", testSnapshotOrderWithPrefixIDs, empty},
		{"Walk", testWalk, fixture},
		{"InvalidInputChangesNothing", testInvalid, fixture},
		{"BatchIsAtomic", testAtomicBatch, fixture},
		{"ConcurrentWriters", testConcurrent, fixture},
		{"ConcurrentSameRows", testConcurrentSameRows, fixture},
		{"EntitiesMissingIDs", testEntitiesMissing, fixture},
		{"Load", testLoad, empty},
		{"Checks", testChecks, fixture},
		{"Versions", testVersions, fixture},
		{"KnownAtReplays", testKnownAtReplays, empty},
		{"Integrity", testIntegrity, fixture},
		{"ApplyAll", testApplyAll, fixture},
		{"ConcurrentVersions", testConcurrentVersions, fixture},
		{"ByID", testByID, fixture},
		{"Tree", testTree, fixture},
		{"RiskSnapshots", testSnapshots, empty},
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
	res, err := s.Apply(t.Context(), b, "test")
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

// retract ends the facts with these ids on day on, in one write.
func retract(ctx context.Context, s store.Writer, ids []string, on kg.Date) (store.WriteResult, error) {
	var b kg.Batch
	for _, id := range ids {
		b.Retractions = append(b.Retractions, kg.Retraction{ID: id, On: on})
	}
	return s.Apply(ctx, b, "test")
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

func signalIDs(gs []kg.RiskSignal) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
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

// diff describes where a and b differ, as the first lines of their JSON forms that do not
// match, or "" when they encode alike: short enough to read in a failing test.
func diff(a, b any) string {
	ja, _ := json.MarshalIndent(a, "", " ")
	jb, _ := json.MarshalIndent(b, "", " ")
	la, lb := strings.Split(string(ja), "\n"), strings.Split(string(jb), "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		x, y := at(la, i), at(lb, i)
		if x != y {
			lo := max(0, i-6)
			return fmt.Sprintf("line %d:\n got %v\nwant %v\n(context: %s)", i, x, y, strings.Join(la[lo:min(i+1, len(la))], " | "))
		}
	}
	return ""
}

// unversioned is snap without the facts' versions, to compare with rows as written.
func unversioned(snap kg.Snapshot) kg.Snapshot {
	snap.Entities = slices.Clone(snap.Entities)
	for i := range snap.Entities {
		snap.Entities[i].Version = nil
	}
	snap.Relationships = slices.Clone(snap.Relationships)
	for i := range snap.Relationships {
		snap.Relationships[i].Version = nil
	}
	snap.Signals = slices.Clone(snap.Signals)
	for i := range snap.Signals {
		snap.Signals[i].Version = nil
	}
	return snap
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
// Call them with the read method and its arguments: get(t, s.Snapshot, store.AsOf(date)).
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
