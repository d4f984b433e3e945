package api

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// shapeLimit rejects operations nested deeper than MaxDepth or using more than MaxAliases
// aliases, before any resolver runs. Fragments count where they are spread. Introspection
// (__schema, __type) is not counted: tools such as GraphiQL send a standard introspection
// query whose ofType chains nest past any sensible data limit, and it reads no data.
type shapeLimit struct {
	MaxDepth   int
	MaxAliases int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string { return "ShapeLimit" }

func (l shapeLimit) Validate(graphql.ExecutableSchema) error {
	if l.MaxDepth < 1 || l.MaxAliases < 0 {
		return errors.New("shape limit: depth must be at least 1 and aliases not negative")
	}
	return nil
}

func (l shapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	w := shapeWalker{doc: oc.Doc, visiting: map[string]bool{}}
	depth := w.depth(op.SelectionSet, 0)
	switch {
	case depth > l.MaxDepth:
		return limitError("the query is nested %d levels deep; the limit is %d", depth, l.MaxDepth)
	case w.aliases > l.MaxAliases:
		return limitError("the query uses %d aliases; the limit is %d", w.aliases, l.MaxAliases)
	}
	return nil
}

func limitError(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": "LIMIT_EXCEEDED"}
	return e
}

type shapeWalker struct {
	doc      *ast.QueryDocument
	visiting map[string]bool // fragments on the current path: a cycle is a validation error already
	aliases  int
}

func (w *shapeWalker) depth(set ast.SelectionSet, at int) int {
	deepest := at
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			if len(s.SelectionSet) == 0 {
				d = at + 1
			} else {
				d = w.depth(s.SelectionSet, at+1)
			}
		case *ast.InlineFragment:
			d = w.depth(s.SelectionSet, at)
		case *ast.FragmentSpread:
			f := w.doc.Fragments.ForName(s.Name)
			if f == nil || w.visiting[s.Name] {
				continue
			}
			w.visiting[s.Name] = true
			d = w.depth(f.SelectionSet, at)
			w.visiting[s.Name] = false
		}
		deepest = max(deepest, d)
	}
	return deepest
}
