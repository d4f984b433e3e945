package neo4jstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

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
			if res, err = s.Apply(ctx, b); err != nil {
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

// TestReadsRelationshipsOfTheOldFormat checks that relationships written before defaults
// were left out (every property stored, and a hash) read as the same facts, count as
// unchanged when written again, and lose the old properties when they change.
func TestReadsRelationshipsOfTheOldFormat(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	b := star(1) // vendor:v000 -HEADQUARTERED_IN-> government:ru, vendor:v000 -MAKES-> product:p000
	b.Relationships = b.Relationships[:1]
	if _, err := s.Apply(ctx, kg.Batch{Entities: b.Entities}); err != nil {
		t.Fatal(err)
	}
	old := b.Relationships[0]
	if _, err := neo4j.ExecuteQuery(ctx, s.raw.driver, `MATCH (a:Entity {id: $from}), (b:Entity {id: $to})
CREATE (a)-[:HEADQUARTERED_IN {id: $id, confidence: 1.0, inferred: false, validFrom: 0, validTo: 99999999,
  hash: 'd41d8cd98f00b204e9800998ecf8427e'}]->(b)`,
		map[string]any{"from": old.From, "to": old.To, "id": old.ID()}, neo4j.EagerResultTransformer); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := old
	want.Confidence = 1
	if len(snap.Relationships) != 1 || !sameRel(snap.Relationships[0], want) || snap.Relationships[0].Confidence != 1 {
		t.Fatalf("old relationship reads as %+v, want %+v", snap.Relationships, want)
	}
	for _, check := range []bool{false, true} { // blind first (the constraint sends it back), then reading
		s.raw.relsStored[kg.RelHeadquarteredIn].Store(check)
		res, err := s.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{old}})
		if err != nil || len(res.Unchanged) != 1 {
			t.Fatalf("rewrite of the old relationship: %+v, %v", res, err)
		}
	}
	changed := old
	changed.Note = "moved"
	if res, err := s.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{changed}}); err != nil || len(res.Updated) != 1 {
		t.Fatalf("change of the old relationship: %+v, %v", res, err)
	}
	got, err := neo4j.ExecuteQuery(ctx, s.raw.driver, "MATCH ()-[r:HEADQUARTERED_IN]->() RETURN keys(r) AS keys", nil, neo4j.EagerResultTransformer)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range got.Records[0].Values[0].([]any) {
		keys = append(keys, k.(string))
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"id", "note"}) {
		t.Errorf("stored properties after the change: %v, want [id note]", keys)
	}
}
