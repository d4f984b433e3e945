package neo4jstore

import (
	"context"
	"fmt"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// TestRelationshipsRoundTrips checks that a batch read of relationships costs the same number
// of statements however many entities it asks for (the dataloader relies on it).
func TestRelationshipsRoundTrips(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	if _, err := s.Apply(ctx, star(50), "test"); err != nil {
		t.Fatal(err)
	}
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("vendor:v%03d", i)
		}
		return out
	}
	count := func(q store.RelQuery) int64 {
		t.Helper()
		before := s.raw.roundTrips.Load()
		pages, err := s.Relationships(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range q.EntityIDs {
			if got := len(pages[id].Items); got != 2 {
				t.Fatalf("%s has %d relationships, want 2", id, got)
			}
		}
		return s.raw.roundTrips.Load() - before
	}
	for _, dir := range []kg.Direction{kg.Both, kg.Out} {
		small := count(store.RelQuery{EntityIDs: ids(5), Direction: dir})
		large := count(store.RelQuery{EntityIDs: ids(50), Direction: dir})
		t.Logf("direction %s: %d round trip(s) for 5 entities, %d for 50", dir, small, large)
		if small != large || small != 1 {
			t.Errorf("direction %s: %d round trips for 5 entities and %d for 50; want 1 and 1", dir, small, large)
		}
	}
	before := s.raw.roundTrips.Load()
	if _, err := s.Signals(ctx, ids(50), store.AsOf(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Entities(ctx, ids(50), store.AsOf(0)); err != nil {
		t.Fatal(err)
	}
	if got := s.raw.roundTrips.Load() - before; got != 2 {
		t.Errorf("Signals and Entities of 50 entities took %d round trips, want 2", got)
	}
}
