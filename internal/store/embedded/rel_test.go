package embedded

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// TestRelFindsIDsThatContainOthers checks the lookup of a relationship by id where an
// entity's id itself reads like a relationship's, so the id splits in more than one place.
func TestRelFindsIDsThatContainOthers(t *testing.T) {
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "riskgraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	odd := "vendor:a-OWNED_BY->vendor:b"
	b := kg.Batch{
		Entities: []kg.Entity{{ID: "vendor:a", Kind: kg.KindVendor, Name: "A"}, {ID: "vendor:b", Kind: kg.KindVendor, Name: "B"},
			{ID: "vendor:c", Kind: kg.KindVendor, Name: "C"}, {ID: odd, Kind: kg.KindVendor, Name: "Odd"}},
		Relationships: []kg.Relationship{{Type: kg.RelOwnedBy, From: "vendor:a", To: "vendor:b"}, {Type: kg.RelOwnedBy, From: odd, To: "vendor:c"},
			{Type: kg.RelControlledBy, From: "vendor:a", To: odd}},
	}
	if _, err := s.Apply(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range b.Relationships {
		ids = append(ids, r.ID())
	}
	missing := append([]string{"vendor:a-OWNED_BY->vendor:c", "vendor:a-SELLS->vendor:b", "vendor:a", "nothing->here", "-OWNED_BY->vendor:b"}, "")
	got, err := s.RelationshipsByID(ctx, append(ids, missing...), store.At{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Errorf("found %d relationships, want %d: %v", len(got), len(ids), got)
	}
	for _, r := range b.Relationships {
		g, ok := got[r.ID()]
		if !ok || g.From != r.From || g.To != r.To || g.Type != r.Type {
			t.Errorf("%s: got %+v, %v", r.ID(), g, ok)
		}
	}
	if n := s.nrels; n != len(ids) {
		t.Errorf("the store counts %d relationships, want %d", n, len(ids))
	}
}

// TestComparePiecesIsStringOrder checks that comparing ids by their pieces orders them as
// comparing the whole strings does, also where one piece is a prefix of the other's.
func TestComparePiecesIsStringOrder(t *testing.T) {
	words := []string{"", "a", "ab", "abc", "b", "-", "->", "a-", "#", "vendor:x", "vendor:x-"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() []string {
		p := make([]string, rng.IntN(4))
		for i := range p {
			p[i] = words[rng.IntN(len(words))]
		}
		return p
	}
	for range 20000 {
		a, b := pick(), pick()
		want := strings.Compare(strings.Join(a, ""), strings.Join(b, ""))
		if got := comparePieces(a, b); got != want {
			t.Fatalf("comparePieces(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}
