package neo4jstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// readsRels reports whether any statement in stmts looks stored relationships up by id, the
// read Apply skips while it expects every relationship to be new.
func readsRels(stmts []string) bool {
	return slices.ContainsFunc(stmts, func(c string) bool { return strings.Contains(c, "USING INDEX SEEK r:") })
}

// traced returns the statements that fn sends.
func traced(t *testing.T, s *Store, fn func()) []string {
	t.Helper()
	var mu sync.Mutex
	var sent []string
	s.trace = func(c string, _ map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, c)
	}
	defer func() { s.trace = nil }()
	fn()
	return sent
}

// TestApplyLooksOnlyWhenRowsMayExist checks both ways Apply writes relationships: without
// reading them first while the last write of the type found none stored, and reading them
// first once a write found some (or the uniqueness constraint showed that one existed).
// Either way the result sorts every row correctly.
func TestApplyLooksOnlyWhenRowsMayExist(t *testing.T) {
	s := openShared(t) // a store that has written nothing yet, on an empty database
	ctx := context.Background()
	apply := func(b kg.Batch) (store.WriteResult, bool) {
		t.Helper()
		var res store.WriteResult
		var err error
		stmts := traced(t, s.raw, func() {
			if res, err = s.Apply(ctx, b, "test"); err != nil {
				t.Fatal(err)
			}
		})
		return res, readsRels(stmts)
	}
	count := func(want store.WriteResult, got store.WriteResult, what string) {
		t.Helper()
		if len(got.Created) != len(want.Created) || len(got.Updated) != len(want.Updated) || len(got.Unchanged) != len(want.Unchanged) {
			t.Errorf("%s: created %v, updated %v, unchanged %v; want %d, %d, %d", what, got.Created, got.Updated, got.Unchanged,
				len(want.Created), len(want.Updated), len(want.Unchanged))
		}
	}
	rows := func(n int) []string { return make([]string, n) }

	res, looked := apply(star(3)) // 7 entities, 6 relationships, all new
	count(store.WriteResult{Created: rows(13)}, res, "first write")
	if looked {
		t.Error("the first write into an empty database read relationships before creating them")
	}
	// The same rows again: creating them blind fails on the constraint, and Apply starts
	// over, reading.
	res, looked = apply(star(3))
	count(store.WriteResult{Unchanged: rows(13)}, res, "same rows again")
	if !looked {
		t.Error("rewriting stored rows did not read them")
	}
	// Stored rows were just found, so the next write reads first: one relationship changes,
	// two vendors are new.
	b := star(5)
	b.Relationships[0].Confidence = 0.4
	res, looked = apply(b)
	count(store.WriteResult{Created: rows(8), Updated: rows(1), Unchanged: rows(12)}, res, "mixed rows")
	if !looked {
		t.Error("a write after one that found stored rows did not read first")
	}
	// A write whose relationships are all new, then: read first (none found), and after it
	// the next new ones are created without looking.
	for i, n := range []int{7, 9} {
		b := star(n)
		b.Entities, b.Relationships = b.Entities[:1], b.Relationships[2*(n-2):] // the last two vendors' links
		b.Entities = append(b.Entities, star(n).Entities[1+2*(n-2):]...)
		res, looked = apply(b)
		count(store.WriteResult{Created: rows(8), Unchanged: rows(1)}, res, "new rows")
		if looked != (i == 0) {
			t.Errorf("write %d of new rows: read first = %v, want %v", i+1, looked, i == 0)
		}
	}
	rels, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"government:ru"}, Page: store.Page{First: store.MaxFirst}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rels["government:ru"].Items {
		ids = append(ids, r.From)
	}
	want := []string{"vendor:v000", "vendor:v001", "vendor:v002", "vendor:v003", "vendor:v004", "vendor:v005", "vendor:v006", "vendor:v007", "vendor:v008"}
	if !slices.Equal(ids, want) {
		t.Errorf("vendors headquartered in Russia: %v, want %v", ids, want)
	}
}

// TestReadsTheOldFormats writes facts as earlier versions of this package stored them (no
// recorded time, no writer, no history; a relationship with every property and a hash, as
// before defaults were left out; entity and signal hashes over the whole value, validity
// included) and checks that they read as the same facts, recorded at time 0 by nobody, as
// known now and at any time; that writing them again changes nothing; and that a change
// keeps the old row, still recorded at 0, in the history beside the new one.
func TestReadsTheOldFormats(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	exec := func(cypher string, params map[string]any) *neo4j.EagerResult {
		t.Helper()
		res, err := neo4j.ExecuteQuery(ctx, s.raw.driver, cypher, params, neo4j.EagerResultTransformer)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	exec(`CREATE (:Entity:Vendor {id: 'vendor:v000', kind: 'Vendor', name: 'Vendor 0', nameKey: 'vendor 0', validFrom: 0, validTo: 99999999, hash: 'old'}),
  (:Entity:Government {id: 'government:ru', kind: 'Government', name: 'Russia', nameKey: 'russia\u001frf', aliases: ['RF'], aliasesText: 'RF',
    validFrom: 20100101, validTo: 99999999, hash: 'old'}),
  (:Entity:Product {id: 'product:p000', kind: 'Product', name: 'Product 0', nameKey: 'product 0', validFrom: 0, validTo: 99999999, hash: 'old'})`, nil)
	exec(`MATCH (a:Entity {id: 'vendor:v000'}), (b:Entity {id: 'government:ru'}), (p:Entity {id: 'product:p000'})
CREATE (a)-[:HEADQUARTERED_IN {id: 'vendor:v000-HEADQUARTERED_IN->government:ru', confidence: 1.0, inferred: false, validFrom: 0, validTo: 99999999,
  hash: 'd41d8cd98f00b204e9800998ecf8427e'}]->(b),
  (a)-[:MAKES {id: 'vendor:v000-MAKES->product:p000', confidence: 0.5}]->(p),
  (b)-[:HAS_SIGNAL]->(:Signal {id: 'signal:ru', entity: 'government:ru', dimension: 'SANCTIONS', severity: 0.5, reason: 'listed',
    validFrom: 20140101, validTo: 99999999, hash: 'old'})`, nil)
	v0 := kg.Entity{ID: "vendor:v000", Kind: kg.KindVendor, Name: "Vendor 0"}
	ru := kg.Entity{ID: "government:ru", Kind: kg.KindGovernment, Name: "Russia", Aliases: []string{"RF"}, Validity: kg.Validity{From: 20100101}}
	p0 := kg.Entity{ID: "product:p000", Kind: kg.KindProduct, Name: "Product 0"}
	hq := kg.Relationship{Type: kg.RelHeadquarteredIn, From: "vendor:v000", To: "government:ru", Confidence: 1}
	makes := kg.Relationship{Type: kg.RelMakes, From: "vendor:v000", To: "product:p000", Confidence: 0.5}
	sig := kg.RiskSignal{ID: "signal:ru", EntityID: "government:ru", Dimension: kg.DimSanctions, Severity: 0.5, Reason: "listed",
		Validity: kg.Validity{From: 20140101}}
	old := kg.Batch{Entities: []kg.Entity{ru, p0, v0}, Relationships: []kg.Relationship{hq, makes}, Signals: []kg.RiskSignal{sig}}
	// As recorded at time 0 by nobody, a version over the whole validity.
	versioned := func(b kg.Batch) kg.Snapshot {
		snap := kg.Snapshot{Entities: slices.Clone(b.Entities), Relationships: slices.Clone(b.Relationships), Signals: slices.Clone(b.Signals)}
		for i := range snap.Entities {
			snap.Entities[i].Version = &kg.Version{}
		}
		for i := range snap.Relationships {
			snap.Relationships[i].Version = &kg.Version{}
		}
		for i := range snap.Signals {
			snap.Signals[i].Version = &kg.Version{}
		}
		sortSnapshot(&snap)
		return snap
	}
	want := versioned(old)
	for _, k := range []kg.Stamp{0, 1, kg.StampOf(time.Now())} {
		snap, err := s.Snapshot(ctx, store.At{AsOf: 20200101, KnownAt: k})
		if err != nil {
			t.Fatal(err)
		}
		want.AsOf, want.KnownAt = snap.AsOf, k
		if !reflect.DeepEqual(snap, want) {
			t.Errorf("old facts as known at %d:\n got %+v\nwant %+v", k, snap, want)
		}
	}
	h, err := s.History(ctx, []string{"vendor:v000", "vendor:v000-MAKES->product:p000", "signal:ru"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Entities) != 1 || len(h.Relationships) != 1 || len(h.Signals) != 1 || h.Entities[0].Version.RecordedAt != 0 || h.Signals[0].Version.RecordedBy != "" {
		t.Errorf("history of old facts: %+v", h)
	}
	for _, check := range []bool{false, true} { // blind first (the constraint sends it back), then reading
		s.raw.relsStored[kg.RelHeadquarteredIn].Store(check)
		s.raw.relsStored[kg.RelMakes].Store(check)
		res, err := s.Apply(ctx, old, "test")
		if err != nil || len(res.Unchanged) != 6 || res.RecordedAt != 0 {
			t.Fatalf("rewrite of the old facts: %+v, %v", res, err)
		}
	}
	changed := hq
	changed.Note, changed.Validity.From = "moved", 20200101
	renamed := v0
	renamed.Name, renamed.Validity.From = "Vendor Zero", 20200101
	res, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{renamed}, Relationships: []kg.Relationship{changed}, Retractions: []kg.Retraction{{ID: sig.ID, On: 20210101}}}, "editor")
	if err != nil || len(res.Updated) != 2 || len(res.Retracted) != 1 {
		t.Fatalf("change of the old facts: %+v, %v", res, err)
	}
	h, err = s.History(ctx, []string{"vendor:v000", hq.ID(), "signal:ru"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]kg.Version{versions(h.Entities), versions(h.Relationships), versions(h.Signals)} {
		if len(rows) != 3 && len(rows) != 2 || rows[0].RecordedAt != 0 || rows[0].SupersededAt != res.RecordedAt || rows[len(rows)-1].RecordedAt != res.RecordedAt {
			t.Errorf("history after the change: %+v", rows)
		}
	}
	// As known before the change, the old facts read as they were.
	snap, err := s.Snapshot(ctx, store.At{AsOf: 20200101, KnownAt: res.RecordedAt - 1})
	if err != nil {
		t.Fatal(err)
	}
	want.AsOf, want.KnownAt = snap.AsOf, res.RecordedAt-1
	if !reflect.DeepEqual(snap, want) {
		t.Errorf("old facts as known before the change:\n got %+v\nwant %+v", snap, want)
	}
	got := exec("MATCH ()-[r:HEADQUARTERED_IN]->() RETURN keys(r) AS keys", nil)
	var keys []string
	for _, k := range got.Records[0].Values[0].([]any) {
		keys = append(keys, k.(string))
	}
	if slices.Contains(keys, "hash") || !slices.Contains(keys, "history") {
		t.Errorf("stored properties after the change: %v, want a history and no hash", keys)
	}
}

// versions are the versions of rows.
func versions[T kg.Fact](rows []T) []kg.Version {
	out := make([]kg.Version, len(rows))
	for i, r := range rows {
		out[i] = kg.VersionOf(r)
	}
	return out
}

// TestWriteOutcomeAtTheDeadline ends a write's context at the two moments that matter: while
// its statements run (nothing commits, and the caller hears an error), and while its commit
// is on the way (it commits, and the caller hears success, not "deadline exceeded").
func TestWriteOutcomeAtTheDeadline(t *testing.T) {
	s := openShared(t)
	vendor := func(id string) kg.Batch {
		return kg.Batch{Entities: []kg.Entity{{ID: id, Kind: kg.KindVendor, Name: "Deadline Test " + id}}}
	}
	stored := func(id string) bool {
		t.Helper()
		got, err := s.Entities(context.Background(), []string{id}, store.At{})
		if err != nil {
			t.Fatalf("read %s back: %v", id, err)
		}
		return len(got) == 1
	}

	t.Run("during the statements", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		s.raw.trace = func(string, map[string]any) {
			if n++; n == 2 {
				cancel()
			}
		}
		defer func() { s.raw.trace = nil }()
		if _, err := s.Apply(ctx, vendor("vendor:cut-short"), "test"); err == nil {
			t.Fatal("a write whose context ended before its statements finished reported success")
		}
		s.raw.trace = nil
		if stored("vendor:cut-short") {
			t.Error("a write that reported an error before its commit committed anyway")
		}
	})

	t.Run("during the commit", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.raw.beforeCommit = cancel
		defer func() { s.raw.beforeCommit = nil }()
		res, err := s.Apply(ctx, vendor("vendor:committed-late"), "test")
		if err != nil {
			t.Fatalf("a write whose context ended during its commit: %v; want it committed and reported", err)
		}
		if !slices.Contains(res.Created, "vendor:committed-late") {
			t.Errorf("created %v; want vendor:committed-late", res.Created)
		}
		if !stored("vendor:committed-late") {
			t.Error("the write reported success but is not stored")
		}
	})
}

// TestLoadFindsItsOwnEntitiesByElementID checks that a bulk load looks no endpoint up by id
// when the load itself wrote the entities (the calls share their element ids), while a
// lone Apply of relationships does look its endpoints up; both read back the same.
func TestLoadFindsItsOwnEntitiesByElementID(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	var b kg.Batch
	for i := range 40 {
		v, p := fmt.Sprintf("vendor:v%02d", i), fmt.Sprintf("product:p%02d", i)
		b.Entities = append(b.Entities, kg.Entity{ID: v, Kind: kg.KindVendor, Name: v}, kg.Entity{ID: p, Kind: kg.KindProduct, Name: p})
		b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelMakes, From: v, To: p})
	}
	looksUp := func(stmts []string) int {
		return len(slices.DeleteFunc(stmts, func(c string) bool { return c != endpointState }))
	}
	stmts := traced(t, s.raw, func() {
		if _, err := s.Load(ctx, b, "test", store.LoadOptions{BatchSize: 10, Workers: 2}); err != nil {
			t.Fatal(err)
		}
	})
	if n := looksUp(stmts); n != 0 {
		t.Errorf("the load looked endpoints up %d times; want 0", n)
	}
	loaded := storedRels(t, s, b.Relationships)

	wipe(t, s.raw)
	if _, err := s.Apply(ctx, kg.Batch{Entities: b.Entities}, "test"); err != nil {
		t.Fatal(err)
	}
	stmts = traced(t, s.raw, func() {
		if _, err := s.Apply(ctx, kg.Batch{Relationships: b.Relationships}, "test"); err != nil {
			t.Fatal(err)
		}
	})
	if n := looksUp(stmts); n != 1 {
		t.Errorf("an Apply of relationships looked their endpoints up %d times; want 1", n)
	}
	if applied := storedRels(t, s, b.Relationships); !reflect.DeepEqual(applied, loaded) || len(loaded) != len(b.Relationships) {
		t.Errorf("loaded relationships %v; applied ones %v", loaded, applied)
	}
}

// storedRels reads back the outgoing relationships of the sources of rels, as sorted
// "from-TYPE->to" ids.
func storedRels(t *testing.T, s testStore, rels []kg.Relationship) []string {
	t.Helper()
	var from []string
	for _, r := range rels {
		from = append(from, r.From)
	}
	pages, err := s.Relationships(context.Background(), store.RelQuery{EntityIDs: from, Direction: kg.Out})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range pages {
		for _, r := range p.Items {
			ids = append(ids, r.ID())
		}
	}
	slices.Sort(ids)
	return ids
}
