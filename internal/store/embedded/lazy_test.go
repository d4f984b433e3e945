package embedded

import (
	"path/filepath"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// TestSearchIndexesWaitForUse checks that opening a store leaves the text and match key
// indexes unbuilt, that the first search builds them, and that Warm builds them at once.
func TestSearchIndexesWaitForUse(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "lazy.db")
	s := openT(t, path)
	b := kg.Batch{Entities: []kg.Entity{{ID: "vendor:kaspersky", Kind: kg.KindVendor, Name: "Kaspersky Lab"}}}
	if _, err := s.Apply(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	if s.search.Load() != nil || s.keys.Load() != nil {
		t.Fatal("a write built the search indexes; only a read that needs them should")
	}
	p, err := s.Search(ctx, store.SearchQuery{Words: []string{"kasp"}, Page: store.Page{First: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Entity.ID != "vendor:kaspersky" {
		t.Fatalf("search kasp found %+v, want vendor:kaspersky", p.Items)
	}
	if s.search.Load() == nil {
		t.Error("a search left the text index unbuilt")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, path)
	defer s.Close()
	if s.search.Load() != nil || s.keys.Load() != nil {
		t.Fatal("opening a store built its search indexes")
	}
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if s.search.Load() == nil || s.keys.Load() == nil {
		t.Error("Warm left a search index unbuilt")
	}
}

func openT(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
