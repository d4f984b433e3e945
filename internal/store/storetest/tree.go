package storetest

import (
	"context"
	"fmt"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// testTree: a tree read answers exactly what reading it level by level with Entities and
// Relationships answers (pages, cursors, far ends, nested branches), at every moment,
// returning of an entity what its projection asks; its limits are checked.
func testTree(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	// A version, so that a far end in the history encoding is read too.
	p1 := Fixture().Entities[5]
	if p1.ID != "product:p1" {
		t.Fatalf("fixture changed: entity 5 is %s", p1.ID)
	}
	renamed := p1
	renamed.Name, renamed.Validity.From = "Anti-Virus 2020", 20200101
	renamedAt := mustApply(t, s, kg.Batch{Entities: []kg.Entity{renamed}}).RecordedAt

	branches := []store.Branch{
		{Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}, End: store.ProjectName, Branches: []store.Branch{
			{Direction: kg.In, Types: []kg.RelType{kg.RelUses, kg.RelDelisted}, IDsOnly: true, End: store.ProjectName},
			{Direction: kg.In, Page: store.Page{First: 1}, End: store.ProjectFull},
		}},
		{Page: store.Page{First: 2}, End: store.ProjectFull, Branches: []store.Branch{
			{Direction: kg.Out, End: store.ProjectNone},
		}},
		{Direction: kg.In, Types: []kg.RelType{kg.RelAppliesTo}, End: store.ProjectName},
		{Direction: kg.Out, IDsOnly: true, End: store.ProjectName},
	}
	roots := []string{"vendor:v1", "government:ru", "vendor:nobody"}
	for _, at := range []store.At{{AsOf: d20180101}, {AsOf: 20200601}, {AsOf: 20200601, KnownAt: renamedAt - 1}, {AsOf: 19900101}} {
		for _, root := range []store.Projection{store.ProjectFull, store.ProjectName, store.ProjectNone} {
			q := store.TreeQuery{Roots: roots, AsOf: at.AsOf, KnownAt: at.KnownAt, Root: root, Branches: branches}
			got := get(t, s.Tree, q)
			want := treeByLevels(t, s, q)
			what := fmt.Sprintf("tree on %s known at %s, root projection %d", at.AsOf, at.KnownAt, root)
			if len(got) != len(want) {
				t.Errorf("%s: %d roots, want %d", what, len(got), len(want))
			}
			for id, w := range want {
				sameNode(t, what+" at "+id, got[id], w, root, branches)
			}
		}
	}
	// The renamed product shows the name of the moment, as known then.
	for _, tc := range []struct {
		at   store.At
		want string
	}{{store.AsOf(d20180101), p1.Name}, {store.AsOf(20200601), renamed.Name}, {store.At{AsOf: 20200601, KnownAt: renamedAt - 1}, p1.Name}} {
		got := get(t, s.Tree, store.TreeQuery{Roots: []string{"vendor:v1"}, AsOf: tc.at.AsOf, KnownAt: tc.at.KnownAt,
			Branches: []store.Branch{{Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}, End: store.ProjectName}}})
		ends := got["vendor:v1"].Branches[0].Ends
		if len(ends) != 1 || ends[0].Entity.Name != tc.want {
			t.Errorf("product on %s known at %s: %+v, want %q", tc.at.AsOf, tc.at.KnownAt, ends, tc.want)
		}
	}
	// The second page of a branch starts after the cursor of the first.
	first := get(t, s.Tree, store.TreeQuery{Roots: []string{"vendor:v1"}, AsOf: d20180101,
		Branches: []store.Branch{{Page: store.Page{First: 3}}}})["vendor:v1"].Branches[0]
	second := get(t, s.Tree, store.TreeQuery{Roots: []string{"vendor:v1"}, AsOf: d20180101,
		Branches: []store.Branch{{Page: store.Page{First: 3, After: first.EndCursor}}}})["vendor:v1"].Branches[0]
	if !first.HasNext || second.HasNext || len(first.Items)+len(second.Items) != 4 {
		t.Errorf("pages of 3: %d items (more %v), then %d (more %v); want 3 and 1 of vendor:v1's 4", len(first.Items), first.HasNext, len(second.Items), second.HasNext)
	}

	deep := store.Branch{}
	for range store.MaxTreeDepth {
		deep = store.Branch{Page: store.Page{First: 2}, Branches: []store.Branch{deep}}
	}
	for what, q := range map[string]store.TreeQuery{
		"too deep":      {Roots: roots, Branches: []store.Branch{deep}},
		"too many rows": {Roots: roots, Branches: []store.Branch{{Page: store.Page{First: 1000}, Branches: []store.Branch{{Page: store.Page{First: 1000}}}}}},
		"bad type":      {Roots: roots, Branches: []store.Branch{{Types: []kg.RelType{"LIKES"}}}},
		"bad page":      {Roots: roots, Branches: []store.Branch{{Page: store.Page{First: -1}}}},
	} {
		_, err := s.Tree(ctx, q)
		wantErr(t, what, err, store.ErrInvalid)
	}
}

// treeByLevels is the reference answer: the tree read level by level through the store's
// checked Entities and Relationships.
func treeByLevels(t *testing.T, s *store.Checked, q store.TreeQuery) map[string]store.TreeNode {
	t.Helper()
	ctx := t.Context()
	at := store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}
	out, err := store.ReadTreeByLevels(store.TreeLevels{
		Entities: func(ids []string) (map[string]kg.Entity, error) { return s.Entities(ctx, ids, at) },
		Relationships: func(rq store.RelQuery) (map[string]store.RelPage, error) {
			return s.Relationships(context.WithoutCancel(ctx), rq)
		},
	}, q)
	if err != nil {
		t.Fatalf("tree level by level: %v", err)
	}
	return out
}

// sameNode compares a tree node read with projection p and branches bs with the reference,
// on what the projections return.
func sameNode(t *testing.T, what string, got, want store.TreeNode, p store.Projection, bs []store.Branch) {
	t.Helper()
	if d := diff(projected(got.Entity, p), projected(want.Entity, p)); d != "" {
		t.Errorf("%s: entity %s", what, d)
	}
	if len(got.Branches) != len(want.Branches) {
		t.Errorf("%s: %d branches, want %d", what, len(got.Branches), len(want.Branches))
		return
	}
	for i, w := range want.Branches {
		g := got.Branches[i]
		if bs[i].IDsOnly { // a backend may return more than the ids
			g.RelPage, w.RelPage = idsOnly(g.RelPage), idsOnly(w.RelPage)
		}
		if d := diff(g.RelPage, w.RelPage); d != "" {
			t.Errorf("%s, branch %d: page %s", what, i, d)
			continue
		}
		if len(g.Ends) != len(w.Ends) {
			t.Errorf("%s, branch %d: %d ends for %d relationships", what, i, len(g.Ends), len(g.Items))
			continue
		}
		for j := range w.Ends {
			sameNode(t, fmt.Sprintf("%s / %s", what, w.Items[j].ID()), g.Ends[j], w.Ends[j], bs[i].End, bs[i].Branches)
		}
	}
}

// projected is what of e a tree read with projection p promises.
func projected(e kg.Entity, p store.Projection) kg.Entity {
	switch p {
	case store.ProjectNone:
		return kg.Entity{ID: e.ID}
	case store.ProjectName:
		return kg.Entity{ID: e.ID, Kind: e.Kind, Name: e.Name}
	}
	return e
}

// idsOnly is what a branch asking for relationship ids alone promises of a page.
func idsOnly(p store.RelPage) store.RelPage {
	out := p
	out.Items = nil
	for _, r := range p.Items {
		out.Items = append(out.Items, kg.Relationship{Type: r.Type, From: r.From, To: r.To, Obligation: r.Obligation, Confidence: 1})
	}
	return out
}
