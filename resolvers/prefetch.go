package resolvers

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// A query that walks from an entity through pages of relationships to the entities at their
// far ends, and on (the analyst's "vendor → products → who sells and uses them"), is read as
// one tree: the resolver that produces the entity compiles the selection below it into a
// service.TreeQuery, and the answer primes the loaders, so the nested resolvers find every
// page and far end already read. The tree holds only what the selection can be answered
// from; anything else (a nested asOf, a field the plan does not know) is left out and read by
// the loaders as before, so the plan changes the number of statements, never the answer.

// nameFields are the Entity fields that a far end read with ProjectName answers: its id, kind
// and name, and the fields read by id through their own loaders.
var nameFields = map[string]bool{"__typename": true, "id": true, "kind": true, "name": true,
	"relationships": true, "signals": true, "risk": true}

// idFields are the Relationship fields that its id answers (with the loaders, for its ends).
var idFields = map[string]bool{"__typename": true, "id": true, "type": true, "fromId": true, "toId": true,
	"from": true, "to": true}

// planBranches compiles the relationships fields of an Entity selection into tree branches,
// merging fields with the same arguments, down to service.MaxTreeDepth levels.
func planBranches(op *graphql.OperationContext, sel ast.SelectionSet, depth int) []service.Branch {
	if depth > service.MaxTreeDepth {
		return nil
	}
	type group struct {
		branch service.Branch
		conns  ast.SelectionSet // the connections' selections, from every field of the group
		ends   ast.SelectionSet // the far end's selections, from every field of the group
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range graphql.CollectFields(op, sel, []string{"Entity"}) {
		if f.Name != "relationships" {
			continue
		}
		b, ok := branchArgs(f.ArgumentMap(op.Variables))
		if !ok {
			continue
		}
		key := string(b.Direction) + "|" + typesKey(b.Types) + "|" + strconv.Itoa(b.Page.First)
		g := byKey[key]
		if g == nil {
			g = &group{branch: b}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.conns = append(g.conns, f.Selections...)
		g.ends = append(g.ends, farEnds(op, f.Selections, b.Direction)...)
	}
	if len(groups) == 0 {
		return nil
	}
	out := make([]service.Branch, 0, len(groups))
	for _, g := range groups {
		b := g.branch
		b.IDsOnly = idsOnly(op, g.conns)
		b.End = projectionFor(op, g.ends)
		b.Branches = planBranches(op, g.ends, depth+1)
		out = append(out, b)
	}
	return out
}

// branchArgs reads the arguments of a relationships field; ok is false for one the tree
// does not answer (a nested asOf; a cursor, which only a field of its own can refuse) or
// whose arguments the loaders must refuse.
func branchArgs(args map[string]any) (b service.Branch, ok bool) {
	if args["asOf"] != nil || args["after"] != nil {
		return b, false
	}
	b.Direction = kg.Both
	if d, isStr := args["direction"].(string); isStr {
		b.Direction = kg.Direction(d)
	}
	if !b.Direction.Valid() {
		return b, false
	}
	if ts, isList := args["types"].([]any); isList {
		for _, t := range ts {
			s, _ := t.(string)
			if !kg.RelType(s).Valid() {
				return b, false
			}
			b.Types = append(b.Types, kg.RelType(s))
		}
	}
	if v, present := args["first"]; present && v != nil {
		n, isInt := intArg(v)
		if !isInt || n < 1 || n > service.MaxFirst {
			return b, false
		}
		b.Page.First = n
	}
	return b, true
}

// intArg reads an Int argument as the parser or the variables' decoder gave it.
func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// edgeFields collects the fields a connection selection asks of its edges (conn is the
// connection type, edge its edge type), fragments and @include resolved.
func edgeFields(op *graphql.OperationContext, sel ast.SelectionSet, conn, edge string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, edges := range graphql.CollectFields(op, sel, []string{conn}) {
		if edges.Name == "edges" {
			out = append(out, graphql.CollectFields(op, edges.Selections, []string{edge})...)
		}
	}
	return out
}

// nodeSelections collects what a connection's edges select on their nodes.
func nodeSelections(op *graphql.OperationContext, sel ast.SelectionSet, conn, edge string) ast.SelectionSet {
	var out ast.SelectionSet
	for _, f := range edgeFields(op, sel, conn, edge) {
		if f.Name == "node" {
			out = append(out, f.Selections...)
		}
	}
	return out
}

// edgeCursors reports whether the connection field being resolved asks for its edges'
// cursors. Most reads page with pageInfo.endCursor alone, and encoding a cursor per edge
// costs a JSON and base64 encoding each: about 4% of the CPU of a nested read of a thousand
// relationships.
func edgeCursors(ctx context.Context, conn, edge string) bool {
	fc, op := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || op == nil {
		return true
	}
	return slices.ContainsFunc(edgeFields(op, fc.Field.Selections, conn, edge),
		func(f graphql.CollectedField) bool { return f.Name == "cursor" })
}

// relFields are the fields a RelationshipConnection selection asks of its relationships.
func relFields(op *graphql.OperationContext, conn ast.SelectionSet) []graphql.CollectedField {
	return graphql.CollectFields(op, nodeSelections(op, conn, "RelationshipConnection", "RelationshipEdge"), []string{"Relationship"})
}

// farEnds collects the selections, below a RelationshipConnection, of the far end of each
// relationship: to for OUT, from for IN, both for BOTH.
func farEnds(op *graphql.OperationContext, conn ast.SelectionSet, dir kg.Direction) ast.SelectionSet {
	var out ast.SelectionSet
	for _, end := range relFields(op, conn) {
		if (end.Name == "to" && dir != kg.In) || (end.Name == "from" && dir != kg.Out) {
			out = append(out, end.Selections...)
		}
	}
	return out
}

// idsOnly reports whether a RelationshipConnection selection asks nothing of its
// relationships that their ids do not say.
func idsOnly(op *graphql.OperationContext, conn ast.SelectionSet) bool {
	for _, f := range relFields(op, conn) {
		if !idFields[f.Name] {
			return false
		}
	}
	return true
}

// projectionFor is the least of an entity a tree read must return to answer sel.
func projectionFor(op *graphql.OperationContext, sel ast.SelectionSet) service.Projection {
	if len(sel) == 0 {
		return service.ProjectNone
	}
	if nameOnly(op, sel) {
		return service.ProjectName
	}
	return service.ProjectFull
}

func nameOnly(op *graphql.OperationContext, sel ast.SelectionSet) bool {
	for _, f := range graphql.CollectFields(op, sel, []string{"Entity"}) {
		if !nameFields[f.Name] {
			return false
		}
	}
	return true
}

// treeRoot reads entity id at m as the root of the tree its selection asks for (when it asks
// for relationships) and primes the loaders with the tree.
func (r *Resolver) treeRoot(ctx context.Context, id string, at service.At) (kg.Entity, error) {
	fc := graphql.GetFieldContext(ctx)
	op := graphql.GetOperationContext(ctx)
	branches := planBranches(op, fc.Field.Selections, 1)
	q := service.TreeQuery{Roots: []string{id}, AsOf: at.AsOf, KnownAt: at.KnownAt, Root: service.ProjectFull, Branches: branches}
	if len(branches) == 0 || !service.TreeFits(q) {
		e, err := r.Service.Entity(ctx, id, at)
		if err != nil {
			return e, err
		}
		loadersFrom(ctx).seen([]kg.Entity{e}, &at)
		return e, nil
	}
	root, err := readBefore(ctx, id, at)
	if root == nil {
		var n service.TreeNode
		n, err = r.Service.EntityTree(ctx, q)
		root = &n
	}
	if err != nil {
		return kg.Entity{}, err
	}
	loadersFrom(ctx).primeTree(*root, q.Branches, at, service.ProjectFull)
	return root.Entity, nil
}

// treeRead is a tree read of an entity root field that AnswerTrees made and then handed to
// the executor, which answers with it instead of reading again.
type treeRead struct {
	id   string
	at   service.At
	root service.TreeNode
	err  error
}

type treeReadKey struct{}

// withTreeRead hands a tree read to the executor's resolver of the same root field.
func withTreeRead(ctx context.Context, r treeRead) context.Context {
	return context.WithValue(ctx, treeReadKey{}, r)
}

// readBefore returns the tree read already made for entity id at at, or a nil root.
func readBefore(ctx context.Context, id string, at service.At) (*service.TreeNode, error) {
	r, ok := ctx.Value(treeReadKey{}).(treeRead)
	if !ok || r.id != id || r.at != at {
		return nil, nil
	}
	return &r.root, r.err
}

// treeBelow reads, for a page of entities already read at at (a list, a search), the tree
// their selection asks for below them (conn is the connection type: its edges' nodes are
// the entities), and primes the loaders with the entities and the tree. Without
// relationships to read it only primes the entities, as before.
func (l *loaders) treeBelow(ctx context.Context, svc *service.Service, conn string, ents []kg.Entity, at service.At) error {
	op := graphql.GetOperationContext(ctx)
	nodes := nodeSelections(op, graphql.GetFieldContext(ctx).Field.Selections, conn, strings.TrimSuffix(conn, "Connection")+"Edge")
	l.seen(ents, &at)
	branches := planBranches(op, nodes, 1)
	ids := make([]string, len(ents))
	for i, e := range ents {
		ids[i] = e.ID
	}
	q := service.TreeQuery{Roots: ids, AsOf: at.AsOf, KnownAt: at.KnownAt, Root: service.ProjectNone, Branches: branches}
	if len(ents) == 0 || len(branches) == 0 || !service.TreeFits(q) {
		return nil
	}
	got, err := svc.Tree(ctx, q)
	if err != nil {
		return err
	}
	roots := make([]service.TreeNode, 0, len(got))
	for _, id := range ids {
		if n, ok := got[id]; ok {
			roots = append(roots, n)
		}
	}
	l.primeTrees(roots, branches, at, service.ProjectNone)
	return nil
}

// primeTree records a tree node read with projection p, and everything below it, in the
// loaders.
func (l *loaders) primeTree(n service.TreeNode, bs []service.Branch, at service.At, p service.Projection) {
	l.primeTrees([]service.TreeNode{n}, bs, at, p)
}

func (l *loaders) primeTrees(nodes []service.TreeNode, bs []service.Branch, at service.At, p service.Projection) {
	if len(nodes) == 0 {
		return
	}
	ids := make([]string, len(nodes))
	switch p {
	case service.ProjectFull:
		ents := make([]kg.Entity, len(nodes))
		for i, n := range nodes {
			ents[i], ids[i] = n.Entity, n.Entity.ID
		}
		l.seen(ents, &at)
	case service.ProjectName:
		named := make(map[entityKey]kg.Entity, len(nodes))
		for i, n := range nodes {
			ids[i] = n.Entity.ID
			named[entityKey{ID: n.Entity.ID, At: at}] = n.Entity
		}
		l.names.prime(named)
		l.rels.Hint(ids)
		l.signals.Hint(ids)
		l.risk.Hint(ids)
	}
	for bi, b := range bs {
		pages := make(map[relKey]service.RelPage, len(nodes))
		var ends []service.TreeNode
		for _, n := range nodes {
			tp := n.Branches[bi]
			pages[relKey{ID: n.Entity.ID, Dir: b.Direction, Types: typesKey(b.Types), At: at, First: b.Page.First}] = tp.RelPage
			ends = append(ends, tp.Ends...)
		}
		if b.IDsOnly {
			l.idPages.prime(pages)
		} else {
			l.rels.Prime(pages)
		}
		l.primeTrees(ends, b.Branches, at, b.End)
	}
}

// partial holds values a tree read returned with less than all of their fields: far ends
// read by name, pages of relationship ids. A value answers only a field whose selection
// covers accepts; which fields do is worked out once per field of the query.
type partial[K comparable, V any] struct {
	covers func(op *graphql.OperationContext, sel ast.SelectionSet) bool

	mu   sync.Mutex
	vals map[K]V
	fits map[*ast.Field]bool
}

func newPartial[K comparable, V any](covers func(*graphql.OperationContext, ast.SelectionSet) bool) *partial[K, V] {
	return &partial[K, V]{covers: covers, vals: map[K]V{}, fits: map[*ast.Field]bool{}}
}

func (p *partial[K, V]) prime(vals map[K]V) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range vals {
		p.vals[k] = v
	}
}

// get returns the value for k when a tree read returned it and the field being resolved
// asks no more of it.
func (p *partial[K, V]) get(ctx context.Context, k K) (V, bool) {
	v, ok := p.lookup(k)
	if !ok {
		return v, false
	}
	fc := graphql.GetFieldContext(ctx)
	return v, p.answers(graphql.GetOperationContext(ctx), fc.Field)
}

// lookup returns the value a tree read returned for k, whatever the field asks of it.
func (p *partial[K, V]) lookup(k K) (V, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.vals[k]
	return v, ok
}

// answers reports whether the values answer each of fields: their selections ask no more.
func (p *partial[K, V]) answers(op *graphql.OperationContext, fields ...graphql.CollectedField) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range fields {
		fits, known := p.fits[f.Field]
		if !known {
			fits = p.covers(op, f.Selections)
			p.fits[f.Field] = fits
		}
		if !fits {
			return false
		}
	}
	return true
}

// pageEnds finds the ends of the relationships on a page read for the RelationshipConnection
// field of ctx: from the tree's far ends for a side (from, to) when every field of the
// selection that asks for that side is answered by them, else through the loaders.
func (r *Resolver) pageEnds(ctx context.Context) *requestEnds {
	op := graphql.GetOperationContext(ctx)
	var from, to []graphql.CollectedField
	for _, f := range relFields(op, graphql.GetFieldContext(ctx).Field.Selections) {
		switch f.Name {
		case "from":
			from = append(from, f)
		case "to":
			to = append(to, f)
		}
	}
	names := loadersFrom(ctx).names
	return &requestEnds{ctx: ctx, r: r, startNamed: names.answers(op, from...), endNamed: names.answers(op, to...)}
}
