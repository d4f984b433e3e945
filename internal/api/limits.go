package api

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"riskgraph/internal/service"
	"riskgraph/resolvers"
)

// gate is the first thing that sees a query, before gqlgen parses, validates or caches it
// (an OperationParameterMutator runs first in CreateOperationContext). It parses the raw
// query under a token limit and makes one pass over the document, each fragment walked
// once whatever the number of its spreads, stopping at the first limit it finds: depth,
// aliases, selections (fragments counted as they expand), fragment spreads and name
// lengths. It also refuses what the caller may not ask: a mutation with a reader key, a GET
// mutation, introspection when it is off for the caller.
//
// Because gqlgen caches a document only after validating it, and validation comes after
// the gate, a document the gate refuses never reaches the query cache. APQ goes through
// the gate too: a query sent with its hash is checked before APQ stores it, and one
// fetched by its hash is checked (for the caller's role) once it is known.
type gate struct {
	lim           Limits
	introspection Introspection
	docs          *byteCache[*ast.QueryDocument]
	apq           extension.AutomaticPersistedQuery
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*gate)(nil)

func (*gate) ExtensionName() string { return "RequestGate" }

func (g *gate) Validate(es graphql.ExecutableSchema) error {
	if g.lim.MaxDepth < 1 || g.lim.MaxTokens < 1 || g.lim.MaxSelections < 1 {
		return errors.New("request gate: depth, tokens and selections must be at least 1")
	}
	return g.apq.Validate(es)
}

func (g *gate) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	sent := p.Query != ""
	if sent {
		if err := g.check(ctx, p); err != nil {
			return err
		}
	}
	if err := g.apq.MutateOperationParameters(ctx, p); err != nil {
		return err
	}
	if !sent && p.Query != "" {
		return g.check(ctx, p)
	}
	return nil
}

// check parses p.Query (or takes the document from the cache, where only documents that
// passed every check are) and runs every check on it.
func (g *gate) check(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	doc, cached := g.docs.Get(ctx, p.Query)
	if !cached {
		var err error
		doc, err = parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, g.lim.MaxTokens)
		if err != nil {
			var gerr *gqlerror.Error
			if !errors.As(err, &gerr) {
				gerr = gqlerror.Wrap(err)
			}
			if strings.HasPrefix(gerr.Message, "exceeded token limit") {
				return apiError(resolvers.CodeLimitExceeded, reasonTokens,
					"the query has more than %d tokens, the limit; send large inputs as variables", g.lim.MaxTokens)
			}
			errcode.Set(gerr, errcode.ParseFailed)
			return gerr
		}
	}
	st := stateFrom(ctx)
	if op := selectedOperation(doc, p.OperationName); op != nil {
		if st != nil {
			st.op, st.opName = op.Operation, op.Name
			if st.opName == "" {
				st.opName = p.OperationName
			}
			st.fields = rootFields(op)
		}
		if op.Operation != ast.Query && st != nil && st.method == "GET" {
			return apiError(resolvers.CodeInvalidInput, reasonMethod, "GET requests carry queries only; send a %s with POST", op.Operation)
		}
		if c, ok := service.CallerOf(ctx); ok && op.Operation != ast.Query && c.Role < service.RoleEditor {
			return apiError(resolvers.CodeForbidden, reasonRole, "a %s needs the editor role; this key has the %s role", op.Operation, c.Role)
		}
	}
	w := walker{doc: doc, lim: g.lim, memo: map[string]shape{}, open: map[string]bool{}}
	introspects, err := w.document()
	if err != nil {
		return err
	}
	if introspects && !g.introspectionAllowed(ctx) {
		return apiError(resolvers.CodeForbidden, reasonIntrospect, "introspection (__schema, __type) is turned off for this caller")
	}
	return nil
}

func (g *gate) introspectionAllowed(ctx context.Context) bool {
	switch g.introspection {
	case IntrospectionOff:
		return false
	case IntrospectionAdmin:
		c, ok := service.CallerOf(ctx)
		return !ok || c.Role >= service.RoleAdmin
	}
	return true
}

// selectedOperation is the operation gqlgen will run: the one named, or the only one.
func selectedOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name != "" {
		return doc.Operations.ForName(name)
	}
	if len(doc.Operations) == 1 {
		return doc.Operations[0]
	}
	return nil
}

// rootFields names the first few root fields of op, for the log.
func rootFields(op *ast.OperationDefinition) []string {
	var names []string
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			if len(names) == 10 {
				return append(names, "…")
			}
			names = append(names, f.Name)
		}
	}
	return names
}

// shape is what the walk learns about a selection set, relative to where it starts.
type shape struct {
	depth      int // deepest chain of fields that does not enter introspection
	introDepth int // deepest chain of fields through __schema or __type
	aliases    int // aliases (a name that is not the field's), fragments expanded
	fields     int // fields, fragments expanded
	spreads    int // fragment spreads, fragments expanded
	introspect bool
}

func (s *shape) add(o shape) {
	s.depth = max(s.depth, o.depth)
	s.introDepth = max(s.introDepth, o.introDepth)
	s.aliases += o.aliases
	s.fields += o.fields
	s.spreads += o.spreads
	s.introspect = s.introspect || o.introspect
}

// walker makes the gate's one pass. Each fragment's shape is computed once and added at
// each of its spreads, so the walk is linear in the document whatever the spreads multiply
// to; since counts only grow, the walk stops as soon as one passes its limit.
type walker struct {
	doc  *ast.QueryDocument
	lim  Limits
	memo map[string]shape
	open map[string]bool // fragments being walked: one spread inside its own walk is a cycle
	err  *gqlerror.Error
}

// document walks every operation and every fragment (validation looks at unused fragments
// too, so they cost as much), checks the totals, and reports whether any part introspects.
func (w *walker) document() (introspects bool, _ *gqlerror.Error) {
	var total shape
	for _, op := range w.doc.Operations {
		w.name(op.Name)
		for _, v := range op.VariableDefinitions {
			w.name(v.Variable)
			w.value(v.DefaultValue)
			w.directives(v.Directives)
		}
		w.directives(op.Directives)
		s := w.set(op.SelectionSet)
		if w.err != nil {
			return false, w.err
		}
		if s.depth > w.lim.MaxDepth {
			return false, apiError(resolvers.CodeLimitExceeded, reasonDepth, "the query is nested %d levels deep; the limit is %d", s.depth, w.lim.MaxDepth)
		}
		if s.introDepth > w.lim.MaxIntrospectionDepth {
			return false, apiError(resolvers.CodeLimitExceeded, reasonDepth, "the introspection query is nested %d levels deep; the limit is %d", s.introDepth, w.lim.MaxIntrospectionDepth)
		}
		total.add(s)
		if w.over(total); w.err != nil {
			return false, w.err
		}
	}
	for _, f := range w.doc.Fragments {
		if _, done := w.memo[f.Name]; done && w.doc.Fragments.ForName(f.Name) == f {
			continue // walked where it is spread
		}
		total.add(w.fragment(f))
		if w.over(total); w.err != nil {
			return false, w.err
		}
	}
	return total.introspect, w.err
}

// over records the first limit s passes.
func (w *walker) over(s shape) {
	l := w.lim
	switch {
	case w.err != nil:
	case max(s.depth, s.introDepth) > max(l.MaxDepth, l.MaxIntrospectionDepth):
		w.err = apiError(resolvers.CodeLimitExceeded, reasonDepth, "the query is nested more than %d levels deep, the limit",
			max(l.MaxDepth, l.MaxIntrospectionDepth))
	case s.aliases > l.MaxAliases:
		w.err = apiError(resolvers.CodeLimitExceeded, reasonAliases, "the query uses more than %d aliases, the limit (fragments count at each spread)", l.MaxAliases)
	case s.fields > l.MaxSelections:
		w.err = apiError(resolvers.CodeLimitExceeded, reasonSelections, "the query selects more than %d fields, the limit (fragments count at each spread)", l.MaxSelections)
	case s.spreads > l.MaxFragmentSpreads:
		w.err = apiError(resolvers.CodeLimitExceeded, reasonSpreads, "the query spreads fragments more than %d times, the limit (nested spreads count as they expand)", l.MaxFragmentSpreads)
	}
}

func (w *walker) set(set ast.SelectionSet) shape {
	var s shape
	for _, sel := range set {
		if w.err != nil {
			return s
		}
		switch x := sel.(type) {
		case *ast.Field:
			s.add(w.field(x))
		case *ast.InlineFragment:
			w.name(x.TypeCondition)
			w.directives(x.Directives)
			s.add(w.set(x.SelectionSet))
		case *ast.FragmentSpread:
			w.name(x.Name)
			w.directives(x.Directives)
			f := w.doc.Fragments.ForName(x.Name)
			if f == nil {
				continue // validation says it is unknown
			}
			fs := w.fragment(f)
			fs.spreads++
			s.add(fs)
		}
		w.over(s)
	}
	return s
}

func (w *walker) field(f *ast.Field) shape {
	w.name(f.Alias)
	w.name(f.Name)
	for _, a := range f.Arguments {
		w.name(a.Name)
		w.value(a.Value)
	}
	w.directives(f.Directives)
	c := w.set(f.SelectionSet)
	s := shape{aliases: c.aliases, fields: c.fields + 1, spreads: c.spreads, introspect: c.introspect}
	if f.Alias != "" && f.Alias != f.Name {
		s.aliases++
	}
	if f.Name == "__schema" || f.Name == "__type" {
		s.introspect = true
		s.introDepth = 1 + max(c.depth, c.introDepth)
		return s
	}
	s.depth = 1 + c.depth
	if c.introDepth > 0 {
		s.introDepth = 1 + c.introDepth
	}
	return s
}

func (w *walker) fragment(f *ast.FragmentDefinition) shape {
	if s, ok := w.memo[f.Name]; ok && w.doc.Fragments.ForName(f.Name) == f {
		return s
	}
	if w.open[f.Name] {
		if w.err == nil {
			w.err = apiError(resolvers.CodeInvalidInput, "", "fragment %s spreads itself", shortName(f.Name))
			errcode.Set(w.err, errcode.ValidationFailed)
		}
		return shape{}
	}
	w.open[f.Name] = true
	w.name(f.Name)
	w.name(f.TypeCondition)
	w.directives(f.Directives)
	s := w.set(f.SelectionSet)
	delete(w.open, f.Name)
	if w.doc.Fragments.ForName(f.Name) == f {
		w.memo[f.Name] = s
	}
	return s
}

func (w *walker) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		w.name(d.Name)
		for _, a := range d.Arguments {
			w.name(a.Name)
			w.value(a.Value)
		}
	}
}

func (w *walker) value(v *ast.Value) {
	if v == nil || w.err != nil {
		return
	}
	switch v.Kind {
	case ast.EnumValue, ast.Variable:
		w.name(v.Raw)
	}
	for _, c := range v.Children {
		w.name(c.Name)
		w.value(c.Value)
	}
}

// name checks the length of a name (of a field, alias, argument, fragment, variable, type
// or enum value): validation compares unknown names with the schema's to suggest one, and
// its messages quote them, so a name of a megabyte costs time and comes back in the answer.
func (w *walker) name(n string) {
	if len(n) > w.lim.MaxNameLength && w.err == nil {
		w.err = apiError(resolvers.CodeLimitExceeded, reasonName, "a name in the query (%s) is longer than %d bytes, the limit", shortName(n), w.lim.MaxNameLength)
	}
}

// shortName is n, cut to 32 bytes for a message.
func shortName(n string) string {
	if len(n) <= 32 {
		return n
	}
	return n[:32] + "…"
}
