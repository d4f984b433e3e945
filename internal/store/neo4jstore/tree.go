package neo4jstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// Tree compiles a whole tree read into one statement, as a GraphQL-to-Cypher translator
// would: each branch is a CALL subquery run once per entity of its level, which seeks that
// entity's relationships, keeps the visible ones past the cursor, orders and cuts its page by
// relationship id inside the server, runs its own branches from each far end, and collects
// the page into one list. The server so returns one record per root, holding the whole tree,
// and nothing of an entity beyond what the projections ask for.
//
// A page's rows are lists, not maps: [relationship, far end, the far end's branch lists...].
// The far end's id is not sent, since the relationship's id names both ends, and a far end
// asked for by name alone is its name (a string) unless it has a history. On nested3 this
// halves what the server writes and the driver builds per row: no map and no key per row.
func (s *Store) Tree(ctx context.Context, q store.TreeQuery) (map[string]store.TreeNode, error) {
	out := make(map[string]store.TreeNode, len(q.Roots))
	if len(q.Roots) == 0 {
		return out, nil
	}
	mo := moment{AsOf: q.AsOf, KnownAt: q.KnownAt}
	c := treeCompiler{mo: mo, params: mo.params(map[string]any{"ids": q.Roots})}
	var b strings.Builder
	b.WriteString(entitiesByID + " AND " + mo.node("n"))
	names := c.branches(&b, "n", q.Branches, 1)
	fmt.Fprintf(&b, "\nRETURN %s AS n, [%s] AS b", project("n", q.Root), strings.Join(names, ", "))
	cypher := b.String()
	err := s.readOne(ctx, func(tx *txn) error {
		clear(out)
		recs, err := tx.run(ctx, cypher, c.params)
		if err != nil {
			return err
		}
		for _, r := range recs {
			n, ok, err := treeNode(r.Values[0], r.Values[1], q.Root, q.Branches, mo.at())
			if err != nil {
				return err
			}
			if ok {
				out[n.Entity.ID] = n
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read a tree from %d roots: %w", len(q.Roots), err)
	}
	return out, nil
}

// treeCompiler writes the subqueries of a tree read, numbering their variables and
// parameters so that no two branches share a name.
type treeCompiler struct {
	mo     moment
	params map[string]any
	next   int
}

// branches writes one CALL subquery per branch from entity variable from and returns the
// names of the lists they bind, in order.
func (c *treeCompiler) branches(b *strings.Builder, from string, bs []store.Branch, depth int) []string {
	names := make([]string, len(bs))
	for i, br := range bs {
		k := c.next
		c.next++
		r, m, list := fmt.Sprintf("r%d", k), fmt.Sprintf("m%d", k), fmt.Sprintf("b%d", k)
		limit := fmt.Sprintf("l%d", k)
		c.params[limit] = int64(br.Page.First + 1)
		where := ""
		if a := afterID(br.Page); a != "" { // on a first page every id qualifies
			// coalesce hides the comparison from the planner, which would otherwise seek the
			// relationship id index by range instead of expanding from the entity.
			after := fmt.Sprintf("a%d", k)
			c.params[after] = a
			where = fmt.Sprintf("coalesce(%s.id, '') > $%s AND ", r, after)
		}
		pad := strings.Repeat("  ", depth)
		fmt.Fprintf(b, "\n%sCALL (%s) {\n%s  MATCH %s\n%s  WHERE %s%s AND %s\n%s  WITH %s, %s ORDER BY %s.id LIMIT $%s",
			pad, from, pad, treePattern(from, r, m, br), pad, where, c.mo.rel(r), c.mo.node(m), pad, r, m, r, limit)
		sub := c.branches(b, m, br.Branches, depth+1)
		rel := r + " {.*}"
		if br.IDsOnly {
			rel = r + ".id"
		}
		row := append([]string{rel, projectEnd(m, br.End)}, sub...)
		fmt.Fprintf(b, "\n%s  RETURN collect([%s]) AS %s\n%s}", pad, strings.Join(row, ", "), list, pad)
		names[i] = list
	}
	return names
}

// treePattern is the pattern from entity variable from over relationship r to m.
func treePattern(from, r, m string, br store.Branch) string {
	types := relTypes(br.Types)
	switch br.Direction {
	case kg.Out:
		return fmt.Sprintf("(%s)-[%s:%s]->(%s:Entity)", from, r, types, m)
	case kg.In:
		return fmt.Sprintf("(%s)<-[%s:%s]-(%s:Entity)", from, r, types, m)
	}
	return fmt.Sprintf("(%s)-[%s:%s]-(%s:Entity)", from, r, types, m)
}

// project is the expression returning what p asks of entity variable v. A fact with a
// history returns every property: its rows are needed to find the one of the moment.
func project(v string, p store.Projection) string {
	switch p {
	case store.ProjectNone:
		return fmt.Sprintf("%s {.id}", v)
	case store.ProjectName:
		return fmt.Sprintf("CASE WHEN %[1]s.history IS NULL THEN %[1]s {.id, .name} ELSE %[1]s {.*} END", v)
	}
	return v + " {.*}"
}

// projectEnd is the expression returning what p asks of far end m in a page row: nothing
// (the relationship names it), its name, or its properties. A far end with a history returns
// every property, as in project.
func projectEnd(m string, p store.Projection) string {
	switch p {
	case store.ProjectNone:
		return "null"
	case store.ProjectName:
		return fmt.Sprintf("CASE WHEN %[1]s.history IS NULL THEN %[1]s.name ELSE %[1]s {.*} END", m)
	}
	return m + " {.*}"
}

// treeNode decodes an entity (n) and its lists of branch rows (b) as the query asked them.
func treeNode(n, b any, p store.Projection, bs []store.Branch, at store.At) (store.TreeNode, bool, error) {
	var node store.TreeNode
	if p == store.ProjectNone {
		m, _ := n.(map[string]any)
		id, _ := m["id"].(string)
		node.Entity = kg.Entity{ID: id}
	} else {
		e, ok, err := entityAt(n, at)
		if err != nil || !ok {
			return node, false, err
		}
		node.Entity = projected(e, p)
	}
	lists, _ := b.([]any)
	return node, true, treeBranches(&node, lists, bs, at)
}

// projected is e cut to what p asks for.
func projected(e kg.Entity, p store.Projection) kg.Entity {
	if p != store.ProjectName {
		return e
	}
	e = kg.Entity{ID: e.ID, Kind: e.Kind, Name: e.Name}
	if e.Kind == "" { // not stored in the projection: the id says it
		e.Kind, _ = kg.KindOfID(e.ID)
	}
	return e
}

// treeBranches decodes node's lists of branch rows.
func treeBranches(node *store.TreeNode, lists []any, bs []store.Branch, at store.At) error {
	if len(lists) != len(bs) {
		return fmt.Errorf("decode tree at %s: %d branch lists, want %d", node.Entity.ID, len(lists), len(bs))
	}
	node.Branches = make([]store.TreePage, len(bs))
	for i, br := range bs {
		page, err := treePage(lists[i], node.Entity.ID, br, at)
		if err != nil {
			return err
		}
		node.Branches[i] = page
	}
	return nil
}

// treeEnd decodes the far end of a page row: v is what projectEnd returned for the entity
// with id id.
func treeEnd(v any, id string, p store.Projection, at store.At) (kg.Entity, bool, error) {
	if name, ok := v.(string); ok || v == nil { // a name, or nothing: the id says the rest
		if p == store.ProjectNone {
			return kg.Entity{ID: id}, true, nil
		}
		return projected(kg.Entity{ID: id, Name: name}, store.ProjectName), true, nil
	}
	e, ok, err := entityAt(v, at)
	if err != nil || !ok {
		return e, ok, err
	}
	if e.ID != id {
		return e, false, fmt.Errorf("decode tree: far end %s of a relationship to %s", e.ID, id)
	}
	return projected(e, p), true, nil
}

// treePage decodes one branch's rows from entity near into its page: in relationship id
// order, cut at the page size, each relationship with its far end.
func treePage(v any, near string, br store.Branch, at store.At) (store.TreePage, error) {
	rows, _ := v.([]any)
	type item struct {
		id  string
		rel kg.Relationship
		end store.TreeNode
	}
	items := make([]item, 0, len(rows))
	for _, row := range rows {
		cols, _ := row.([]any)
		if len(cols) != 2+len(br.Branches) {
			return store.TreePage{}, fmt.Errorf("decode tree at %s: a row of %d columns, want %d", near, len(cols), 2+len(br.Branches))
		}
		rel, ok, err := treeRel(cols[0], br.IDsOnly, at)
		if err != nil {
			return store.TreePage{}, err
		}
		if !ok {
			continue
		}
		far := rel.To
		if br.Direction == kg.In || (br.Direction != kg.Out && rel.To == near) {
			far = rel.From
		}
		var end store.TreeNode
		end.Entity, ok, err = treeEnd(cols[1], far, br.End, at)
		if err != nil {
			return store.TreePage{}, err
		}
		if !ok {
			continue
		}
		if err := treeBranches(&end, cols[2:], br.Branches, at); err != nil {
			return store.TreePage{}, err
		}
		items = append(items, item{rel.ID(), rel, end})
	}
	// collect keeps the order of its rows; sorting again costs nothing when it did.
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	var p store.TreePage
	if len(items) > br.Page.First {
		items, p.HasNext = items[:br.Page.First], true
	}
	if len(items) == 0 {
		return p, nil
	}
	p.Items = make([]kg.Relationship, len(items))
	p.Ends = make([]store.TreeNode, len(items))
	for i, it := range items {
		p.Items[i], p.Ends[i] = it.rel, it.end
	}
	if n := len(items); n > 0 {
		p.EndCursor = store.EncodeCursor(items[n-1].id)
	}
	return p, nil
}

// treeRel decodes a relationship of a tree row: its properties, or its id alone (idOnly),
// which names its type, ends and obligation; a tree row does not repeat them.
func treeRel(v any, idOnly bool, at store.At) (kg.Relationship, bool, error) {
	var id string
	var props map[string]any
	if idOnly {
		id, _ = v.(string)
	} else {
		props, _ = v.(map[string]any)
		id, _ = props["id"].(string)
	}
	from, t, to, ok := kg.ParseRelationshipID(id)
	if !ok {
		return kg.Relationship{}, false, fmt.Errorf("decode tree: stored relationship id %q", id)
	}
	if idOnly {
		_, obligation, _ := strings.Cut(id, "#")
		return kg.Relationship{Type: t, From: from, To: to, Obligation: obligation, Confidence: 1}, true, nil
	}
	return relAt(mapGetter{"r": props, "type": string(t), "from": from, "to": to}, at)
}
