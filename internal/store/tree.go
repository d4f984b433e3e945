package store

import (
	"fmt"
	"slices"

	"riskgraph/internal/kg"
)

// A tree read answers a nested selection (an entity, pages of its relationships, the entity
// at the far end of each, their relationships…) in one call, so that a backend can compile
// the whole of it into one statement instead of one per level.
const (
	MaxTreeDepth    = 4       // most levels of branches below the roots
	MaxTreeBranches = 32      // most branches in one tree, counted over every level
	MaxTreeRows     = 100_000 // most relationships a tree may return: Σ over its paths of the product of their pages, times the roots
)

// Projection is how much of an entity a tree read returns.
type Projection uint8

const (
	// ProjectNone returns only the entity's id: the caller already holds the rest.
	ProjectNone Projection = iota
	// ProjectName returns the id, kind and name, and nothing else.
	ProjectName
	// ProjectFull returns every field.
	ProjectFull
)

// TreeQuery reads the roots visible at (AsOf, KnownAt) and, from each, its Branches.
type TreeQuery struct {
	Roots    []string
	AsOf     kg.Date
	KnownAt  kg.Stamp
	Root     Projection // what to return of each root
	Branches []Branch
}

// Branch is one page of relationships read from each entity of a level, with the entity at
// the far end of each (the end that is not the entity itself; for a loop, the entity again)
// and the branches read from that end in turn. A page is what Relationships returns for the
// same Direction, Types and Page: ordered by relationship id, only relationships whose both
// ends are visible.
type Branch struct {
	Direction kg.Direction // "" = Both
	Types     []kg.RelType // none = all types
	Page      Page
	IDsOnly   bool       // return each relationship's id (its type, ends and obligation) and nothing else
	End       Projection // what to return of each far end
	Branches  []Branch   // read from each far end
}

// TreeNode is one entity of a tree read (as much of it as its Projection asked for) and,
// in the order of the query's branches, its page of each.
type TreeNode struct {
	Entity   kg.Entity
	Branches []TreePage
}

// TreePage is the page of one branch for one entity: the relationships and, in the same
// order, the node at the far end of each.
type TreePage struct {
	RelPage
	Ends []TreeNode
}

// FarEnd is the end of r that is not id (for a loop, id).
func FarEnd(r kg.Relationship, id string) string {
	if r.From == id {
		return r.To
	}
	return r.From
}

// TreeRows is the most relationships q can return: for every path of branches, the product
// of their page sizes (0 standing for DefaultFirst), summed, times the roots.
func TreeRows(q TreeQuery) int {
	return len(q.Roots) * branchRows(q.Branches)
}

func branchRows(bs []Branch) int {
	n := 0
	for _, b := range bs {
		first := b.Page.First
		if first <= 0 {
			first = DefaultFirst
		}
		n += first * (1 + branchRows(b.Branches))
	}
	return n
}

// TreeFits reports whether q's shape is within the limits checkTree enforces (depth,
// branches, rows), so that a caller can read a selection too large for one tree level by
// level instead of having it refused.
func TreeFits(q TreeQuery) bool {
	depth, count := treeShape(q.Branches)
	return depth <= MaxTreeDepth && count <= MaxTreeBranches && TreeRows(q) <= MaxTreeRows
}

// treeShape is how many levels deep bs go and how many branches they hold in all.
func treeShape(bs []Branch) (depth, count int) {
	for _, b := range bs {
		d, c := treeShape(b.Branches)
		depth, count = max(depth, d+1), count+c+1
	}
	return depth, count
}

// checkTree checks a tree read: the roots and moment as every read, each branch as
// Relationships checks its query, and the tree's shape against the limits above.
func checkTree(q TreeQuery) (TreeQuery, error) {
	var err error
	if q.Roots, err = checkIDs("roots", q.Roots); err != nil {
		return q, err
	}
	if q.AsOf, q.KnownAt, err = checkMoment(q.AsOf, q.KnownAt); err != nil {
		return q, err
	}
	if err := checkProjection("root", q.Root); err != nil {
		return q, err
	}
	count := 0
	if q.Branches, err = checkBranches("branches", q.Branches, 1, &count); err != nil {
		return q, err
	}
	if rows := TreeRows(q); rows > MaxTreeRows {
		return q, kg.OverLimit("branches", "the tree can return %d relationships; the limit is %d", rows, MaxTreeRows)
	}
	return q, nil
}

func checkBranches(field string, bs []Branch, depth int, count *int) ([]Branch, error) {
	if len(bs) == 0 {
		return nil, nil
	}
	if depth > MaxTreeDepth {
		return nil, kg.OverLimit(field, "branches %d levels deep; the limit is %d", depth, MaxTreeDepth)
	}
	out := make([]Branch, len(bs))
	for i, b := range bs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if *count++; *count > MaxTreeBranches {
			return nil, kg.OverLimit(f, "more than %d branches in one tree", MaxTreeBranches)
		}
		var err error
		if b.Direction, err = checkDirection(f+".direction", b.Direction); err != nil {
			return nil, err
		}
		if err := checkTypes(f+".types", b.Types); err != nil {
			return nil, err
		}
		if b.Page, err = CheckPage(b.Page, 1); err != nil {
			return nil, err
		}
		if err := checkProjection(f+".end", b.End); err != nil {
			return nil, err
		}
		if b.Branches, err = checkBranches(f+".branches", b.Branches, depth+1, count); err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func checkProjection(field string, p Projection) error {
	if p > ProjectFull {
		return kg.Invalid(field, "unknown projection %d", p)
	}
	return nil
}

// TreeLevels is what ReadTreeByLevels reads with: the Entities and Relationships of one
// consistent view of a store.
type TreeLevels struct {
	Entities      func(ids []string) (map[string]kg.Entity, error)
	Relationships func(q RelQuery) (map[string]RelPage, error)
}

// ReadTreeByLevels answers a tree read with one Entities call for the roots and, per branch
// and level, one Relationships and one Entities call: the plan of a backend for which a call
// costs no round trip. It returns full entities and relationships whatever the query asks.
func ReadTreeByLevels(r TreeLevels, q TreeQuery) (map[string]TreeNode, error) {
	roots, err := r.Entities(q.Roots)
	if err != nil {
		return nil, err
	}
	nodes := make([]TreeNode, 0, len(roots))
	for _, id := range q.Roots {
		if e, ok := roots[id]; ok {
			nodes = append(nodes, TreeNode{Entity: e})
		}
	}
	level := make([]*TreeNode, len(nodes))
	for i := range nodes {
		level[i] = &nodes[i]
	}
	if err := readBranches(r, q, level, q.Branches); err != nil {
		return nil, err
	}
	out := make(map[string]TreeNode, len(nodes))
	for _, n := range nodes {
		out[n.Entity.ID] = n
	}
	return out, nil
}

// readBranches fills in every node's page of each branch, and the branches below them.
func readBranches(r TreeLevels, q TreeQuery, level []*TreeNode, bs []Branch) error {
	if len(level) == 0 || len(bs) == 0 {
		return nil
	}
	ids := make([]string, len(level))
	for i, n := range level {
		ids[i] = n.Entity.ID
		n.Branches = make([]TreePage, len(bs))
	}
	for bi, b := range bs {
		var next []*TreeNode
		for lo := 0; lo < len(ids); lo += MaxIDs {
			chunk := ids[lo:min(lo+MaxIDs, len(ids))]
			pages, err := r.Relationships(RelQuery{EntityIDs: chunk, Direction: b.Direction, Types: b.Types,
				AsOf: q.AsOf, KnownAt: q.KnownAt, Page: b.Page})
			if err != nil {
				return err
			}
			var far []string
			for _, id := range chunk {
				for _, rel := range pages[id].Items {
					far = append(far, FarEnd(rel, id))
				}
			}
			slices.Sort(far)
			ends, err := r.Entities(slices.Compact(far))
			if err != nil {
				return err
			}
			for i, id := range chunk {
				p := pages[id]
				tp := TreePage{RelPage: p, Ends: make([]TreeNode, len(p.Items))}
				for j, rel := range p.Items {
					e, ok := ends[FarEnd(rel, id)]
					if !ok {
						return fmt.Errorf("tree read: %s is visible but its far end is not", rel.ID())
					}
					tp.Ends[j].Entity = e
					next = append(next, &tp.Ends[j])
				}
				level[lo+i].Branches[bi] = tp
			}
		}
		if err := readBranches(r, q, next, b.Branches); err != nil {
			return err
		}
	}
	return nil
}
