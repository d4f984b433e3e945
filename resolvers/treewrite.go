package resolvers

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"riskgraph/graph/model"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// A query such as the analyst's "vendor → products → who sells and uses them" is read as
// one tree (see prefetch.go), and gqlgen's executor then walks the answer field by field: a
// field context for every field, a goroutine for every element of every list, each growing
// its stack. On that query, a thousand relationships or so, the walk cost more CPU than the
// read. AnswerTrees writes the answer of such an entity root field straight from the tree
// instead, when every field below it is one whose value the tree holds as it is: the
// entity's id, kind and name; relationships pages with their edges, cursors and page info;
// a relationship's id, type, end ids and far end. Any other field, argument or shape goes to
// the executor, as does a read that fails (with the read, so that the executor reports its
// error as it reports every error, without reading again). Both give the same bytes: the
// tests compare them.

// AnswerTrees is a root field middleware (handler.Server.AroundRootFields) that answers
// the Query's entity field from its tree read when the selection allows, and hands every
// other root field to next.
func (r *Resolver) AnswerTrees(ctx context.Context, next graphql.RootResolver) (answer graphql.Marshaler) {
	op := graphql.GetOperationContext(ctx)
	rf := graphql.GetRootFieldContext(ctx)
	if op == nil || rf == nil || op.Operation == nil || op.Operation.Operation != ast.Query || rf.Field.Name != "entity" {
		return next(ctx)
	}
	// A panic here is reported as the executor reports a resolver's: logged, the field null.
	defer func() {
		if p := recover(); p != nil {
			op.Error(ctx, op.Recover(ctx, p))
			answer = graphql.Null
		}
	}()
	id, m, ok := entityArgs(rf.Field.ArgumentMap(op.Variables))
	if !ok {
		return next(ctx)
	}
	sel := rf.Field.Selections
	q := service.TreeQuery{Roots: []string{id}, AsOf: m.AsOf, KnownAt: m.KnownAt, Root: service.ProjectFull,
		Branches: planBranches(op, sel, 1)}
	if len(q.Branches) == 0 || !service.TreeFits(q) {
		return next(ctx)
	}
	plan, ok := planEntity(op, sel, q.Branches)
	if !ok {
		return next(ctx)
	}
	root, err := r.Service.EntityTree(ctx, q)
	var w bytes.Buffer
	if err != nil || !writeEntity(&w, plan, root) {
		// The executor answers with this read (see treeRoot), reporting its error as it
		// reports every error, without reading again.
		return next(withTreeRead(ctx, treeRead{id: id, at: service.At(m), root: root, err: err}))
	}
	return graphql.WriterFunc(func(out io.Writer) { _, _ = out.Write(w.Bytes()) })
}

// entityArgs reads the arguments of the entity root field: the id and the moment.
func entityArgs(args map[string]any) (id string, m model.Moment, ok bool) {
	id, ok = args["id"].(string)
	if !ok {
		return "", m, false
	}
	var asOf *kg.Date
	var knownAt *kg.Stamp
	if v := args["asOf"]; v != nil {
		d, err := model.UnmarshalDate(v)
		if err != nil {
			return "", m, false
		}
		asOf = &d
	}
	if v := args["knownAt"]; v != nil {
		s, err := model.UnmarshalDateTime(v)
		if err != nil {
			return "", m, false
		}
		knownAt = &s
	}
	return id, momentArg(asOf, knownAt), true
}

// out is one field of the answer: its response key, its name and, for an object, what it
// selects. branch is, for a relationships field, the index of its page among the entity's
// tree pages.
type out struct {
	key, name string
	branch    int
	sub       []out
}

// planEntity plans the answer of an Entity selection whose tree pages are those of bs; ok
// is false when the tree does not hold all it asks.
func planEntity(op *graphql.OperationContext, sel ast.SelectionSet, bs []service.Branch) ([]out, bool) {
	return planFields(op, sel, "Entity", func(f graphql.CollectedField, o *out) bool {
		switch f.Name {
		case "__typename", "id", "kind", "name":
			return true
		case "relationships":
			b, ok := branchArgs(f.ArgumentMap(op.Variables))
			if !ok {
				return false
			}
			o.branch = slices.IndexFunc(bs, func(x service.Branch) bool { return branchKey(x) == branchKey(b) })
			if o.branch < 0 {
				return false
			}
			o.sub, ok = planConnection(op, f.Selections, bs[o.branch])
			return ok
		}
		return false
	})
}

// branchKey is what planBranches merges relationships fields by.
func branchKey(b service.Branch) string {
	return string(b.Direction) + "|" + typesKey(b.Types) + "|" + strconv.Itoa(b.Page.First)
}

func planConnection(op *graphql.OperationContext, sel ast.SelectionSet, b service.Branch) ([]out, bool) {
	return planFields(op, sel, "RelationshipConnection", func(f graphql.CollectedField, o *out) bool {
		var ok bool
		switch f.Name {
		case "__typename":
			return true
		case "edges":
			o.sub, ok = planEdge(op, f.Selections, b)
		case "pageInfo":
			o.sub, ok = planLeaves(op, f.Selections, "PageInfo", "hasNextPage", "endCursor")
		}
		return ok
	})
}

func planEdge(op *graphql.OperationContext, sel ast.SelectionSet, b service.Branch) ([]out, bool) {
	return planFields(op, sel, "RelationshipEdge", func(f graphql.CollectedField, o *out) bool {
		switch f.Name {
		case "__typename", "cursor":
			return true
		case "node":
			var ok bool
			o.sub, ok = planRelationship(op, f.Selections, b)
			return ok
		}
		return false
	})
}

// planRelationship plans a Relationship selection of branch b: the end the tree read is the
// far one, to for OUT and from for IN; the near end, or either end of a BOTH page, is the
// executor's.
func planRelationship(op *graphql.OperationContext, sel ast.SelectionSet, b service.Branch) ([]out, bool) {
	return planFields(op, sel, "Relationship", func(f graphql.CollectedField, o *out) bool {
		switch f.Name {
		case "__typename", "id", "type", "fromId", "toId":
			return true
		case "from", "to":
			if f.Name == "to" && b.Direction != kg.Out || f.Name == "from" && b.Direction != kg.In {
				return false
			}
			var ok bool
			o.sub, ok = planEntity(op, f.Selections, b.Branches)
			return ok
		}
		return false
	})
}

// planLeaves plans a selection on typ of scalar fields, each one of names (or __typename).
func planLeaves(op *graphql.OperationContext, sel ast.SelectionSet, typ string, names ...string) ([]out, bool) {
	return planFields(op, sel, typ, func(f graphql.CollectedField, _ *out) bool {
		return f.Name == "__typename" || slices.Contains(names, f.Name)
	})
}

// planFields plans the fields a selection on typ asks, fragments and @include resolved. field
// plans one, filling in what it selects, and is false when the tree does not answer it; ok is
// false for such a field, and for a deferred one (@defer), which only the executor answers.
func planFields(op *graphql.OperationContext, sel ast.SelectionSet, typ string, field func(graphql.CollectedField, *out) bool) ([]out, bool) {
	fields := graphql.CollectFields(op, sel, []string{typ})
	plan := make([]out, len(fields))
	for i, f := range fields {
		plan[i] = out{key: f.Alias, name: f.Name}
		if len(f.Deferrables) > 0 && !f.IsNonDeferrable || !field(f, &plan[i]) {
			return nil, false
		}
	}
	return plan, true
}

// writeEntity writes n's answer to plan as gqlgen would: fields in order, each response key
// once, values by gqlgen's own marshallers. It is false when the tree lacks a far end.
func writeEntity(w *bytes.Buffer, plan []out, n service.TreeNode) bool {
	return writeObject(w, "Entity", plan, func(f out) bool {
		switch f.name {
		case "id":
			graphql.MarshalID(n.Entity.ID).MarshalGQL(w)
		case "kind":
			graphql.MarshalString(string(n.Entity.Kind)).MarshalGQL(w)
		case "name":
			graphql.MarshalString(n.Entity.Name).MarshalGQL(w)
		case "relationships":
			if f.branch >= len(n.Branches) {
				return false
			}
			return writeConnection(w, f.sub, n.Branches[f.branch])
		}
		return true
	})
}

func writeConnection(w *bytes.Buffer, plan []out, p service.TreePage) bool {
	return writeObject(w, "RelationshipConnection", plan, func(f out) bool {
		switch f.name {
		case "pageInfo":
			return writeObject(w, "PageInfo", f.sub, func(f out) bool {
				switch f.name {
				case "hasNextPage":
					graphql.MarshalBoolean(p.HasNext).MarshalGQL(w)
				case "endCursor":
					if p.EndCursor == "" {
						graphql.Null.MarshalGQL(w)
					} else {
						graphql.MarshalString(p.EndCursor).MarshalGQL(w)
					}
				}
				return true
			})
		case "edges":
			if len(p.Ends) != len(p.Items) {
				return false
			}
			w.WriteByte('[')
			for i, rel := range p.Items {
				if i > 0 {
					w.WriteByte(',')
				}
				if !writeEdge(w, f.sub, rel, p.Ends[i]) {
					return false
				}
			}
			w.WriteByte(']')
		}
		return true
	})
}

func writeEdge(w *bytes.Buffer, plan []out, rel kg.Relationship, end service.TreeNode) bool {
	return writeObject(w, "RelationshipEdge", plan, func(f out) bool {
		switch f.name {
		case "cursor":
			graphql.MarshalString(service.Cursor(rel.ID())).MarshalGQL(w)
		case "node":
			return writeObject(w, "Relationship", f.sub, func(f out) bool {
				switch f.name {
				case "id":
					graphql.MarshalID(rel.ID()).MarshalGQL(w)
				case "type":
					graphql.MarshalString(string(rel.Type)).MarshalGQL(w)
				case "fromId":
					graphql.MarshalID(rel.From).MarshalGQL(w)
				case "toId":
					graphql.MarshalID(rel.To).MarshalGQL(w)
				case "from", "to":
					return writeEntity(w, f.sub, end)
				}
				return true
			})
		}
		return true
	})
}

// writeObject writes {"key":value,...} for plan on type typ, each response key once:
// __typename itself, every other field's value by value. It stops at the first value that
// cannot be written.
func writeObject(w *bytes.Buffer, typ string, plan []out, value func(out) bool) bool {
	w.WriteByte('{')
	for i, f := range plan {
		if slices.ContainsFunc(plan[:i], func(o out) bool { return o.key == f.key }) {
			continue
		}
		if i > 0 {
			w.WriteByte(',')
		}
		graphql.MarshalString(f.key).MarshalGQL(w)
		w.WriteByte(':')
		if f.name == "__typename" {
			graphql.MarshalString(typ).MarshalGQL(w)
		} else if !value(f) {
			return false
		}
	}
	w.WriteByte('}')
	return true
}
