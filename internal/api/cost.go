package api

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"riskgraph/graph"
	"riskgraph/graph/model"
	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/service"
	"riskgraph/resolvers"
)

// Costs of the fields that do more than read: a base charged once per field, before what
// the field returns is counted.
const (
	costExposure   = 50  // one entity's neighbourhood and a risk pass over it
	costPaths      = 50  // a bounded path search
	costRanking    = 200 // a whole-graph pass (shared and cached, but a page to rank)
	costEntityRisk = 10  // an entity's scores in every dimension
	costMatch      = 10  // one candidate: a key retrieval and up to 100 targets scored
	costCoverage   = 50  // the control graph around a rule's targets
	costCauses     = 20  // one change's causes: its score explained in two passes
	maxPathHops    = 7   // entities on a path of at most 6 relationships
	maxChainSteps  = 6   // steps of a risk chain (the API's hop cap)
	defaultListLen = 10  // a list field whose length nothing bounds or announces
	defaultTopPath = 3
)

// weighComplexity makes list fields cost their page size times their children, and the
// fields that compute (exposure, paths, rankings, risk) cost their work on top.
func weighComplexity(c *graph.ComplexityRoot) {
	page := func(first *int) int {
		if first == nil || *first < 1 {
			return service.DefaultFirst
		}
		return *first
	}
	c.Query.Entities = func(child int, _ *kg.Kind, _ *model.EntityFilter, _ *service.ListOrder, _ *kg.Date, _ *kg.Stamp, first *int, _ *string) int {
		return 1 + page(first)*child
	}
	c.Query.Search = func(child int, _ string, _ []kg.Kind, _ *kg.Date, _ *kg.Stamp, first *int, _ *string) int {
		return 1 + page(first)*child
	}
	c.Query.Paths = func(child int, _, _ string, _ *int, _ []kg.RelType, _ *kg.Date, _ *kg.Stamp, first *int) int {
		n := service.DefaultPathFirst
		if first != nil && *first > 0 {
			n = *first
		}
		return costPaths + n*child
	}
	c.Query.Exposure = func(child int, _ string, _ kg.Dimension, _ *kg.Date, _ *kg.Stamp, _ *int) int {
		return costExposure + child
	}
	c.Query.RiskRanking = func(child int, _ kg.Dimension, _ *kg.Kind, _ *kg.Date, _ *kg.Stamp, first *int, _ *string) int {
		return costRanking + page(first)*child
	}
	c.Query.Match = func(child int, cands []match.Candidate, _ *kg.Date, _ *kg.Stamp, first *int) int {
		n := service.DefaultMatchFirst
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + len(cands)*(costMatch+n*child)
	}
	c.Query.Coverage = func(child int, _ string, _ *kg.Date, _ *kg.Stamp) int { return costCoverage + child }
	c.Query.Compliance = func(child int, _ string, _ *kg.Date, _ *kg.Stamp) int { return costCoverage + child }
	c.Query.RiskSnapshots = func(child int, first *int, _ *string) int { return 1 + page(first)*child }
	c.Query.RiskReport = func(child int, _ *kg.Date, _ *string) int { return costRanking + child }
	c.Query.RiskChanges = func(child int, _, _ *kg.Date, _, _ *string, _ *kg.Dimension, _ *float64, first *int, _ *string) int {
		return costRanking + page(first)*(costCauses+child)
	}
	c.RiskCause.Chain = func(child int) int { return 1 + maxChainSteps*child }
	c.RiskReport.Scores = func(child int, _ *kg.Dimension, first *int, _ *string) int { return 1 + page(first)*child }
	c.RiskReport.DataQuality = func(child int, _ *int) int { return costRanking + child }
	c.RiskReport.Obligations = func(child int, _ *int) int { return costCoverage + defaultListLen*child }
	c.Entity.Relationships = func(child int, _ *kg.Direction, _ []kg.RelType, _ *kg.Date, first *int, _ *string) int {
		return 1 + page(first)*child
	}
	c.Entity.Risk = func(child int, dims []kg.Dimension, _ *kg.Date) int {
		n := len(kg.Dimensions)
		if len(dims) > 0 && len(dims) < n {
			n = len(dims)
		}
		return costEntityRisk + n*child
	}
	c.Exposure.TopPaths = func(child int, first *int) int {
		n := defaultTopPath
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + n*child
	}
}

// costLimit refuses operations whose cost passes max. It counts every field, introspection
// included (gqlgen's own complexity skips __schema), and every list: with the field's
// complexity function when it has one (page sizes), with the real sizes of the schema for
// introspection lists, with a fixed length for the others.
type costLimit struct {
	es      graphql.ExecutableSchema
	max     int
	weights map[string]int // "Type.field" → length of the list it returns
	docs    *byteCache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*costLimit)(nil)

func (*costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	if c.max < 1 {
		return errors.New("cost limit: the limit must be at least 1")
	}
	c.es = es
	c.weights = listWeights(es.Schema())
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost := c.set(ctx, oc.Operation.SelectionSet, oc.Variables)
	if cost > c.max {
		// The document passed the gate and validation and was cached; its cost may depend on
		// variables, but a document refused once is not worth keeping.
		c.docs.Remove(oc.RawQuery)
		return apiError(resolvers.CodeLimitExceeded, reasonComplexity,
			"the query's complexity is %d; the limit is %d (lists weigh their page size)", cost, c.max)
	}
	return nil
}

// cost of an operation's selections; fragments are walked at each spread, which the gate
// has bounded (MaxSelections counts them so).
func (c *costLimit) set(ctx context.Context, set ast.SelectionSet, vars map[string]any) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, c.field(ctx, s, vars))
		case *ast.InlineFragment:
			total = satAdd(total, c.set(ctx, s.SelectionSet, vars))
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total = satAdd(total, c.set(ctx, s.Definition.SelectionSet, vars))
			}
		}
	}
	return total
}

func (c *costLimit) field(ctx context.Context, f *ast.Field, vars map[string]any) int {
	child := c.set(ctx, f.SelectionSet, vars)
	if f.Definition == nil || f.ObjectDefinition == nil {
		return satAdd(1, child)
	}
	if n, ok := c.es.Complexity(ctx, f.ObjectDefinition.Name, f.Name, child, f.ArgumentMap(vars)); ok && n >= 1 {
		return n
	}
	if f.Definition.Type != nil && f.Definition.Type.Elem != nil {
		w := defaultListLen
		if n, ok := c.weights[f.ObjectDefinition.Name+"."+f.Name]; ok {
			w = n
		} else if (f.Name == "edges" || f.Name == "nodes") && strings.HasSuffix(f.ObjectDefinition.Name, "Connection") {
			w = 1 // a connection's field counts its page
		}
		return satAdd(1, satMul(w, max(child, 1)))
	}
	return satAdd(1, child)
}

// listWeights gives the introspection lists the sizes of this schema, so that listing
// every type's fields costs about what it returns; and the API's bounded lists their bound.
// Nested introspection lists (a type's fields, a field's arguments) weigh their average
// over the schema: types × fields per type is then the number of fields there are.
func listWeights(s *ast.Schema) map[string]int {
	var fields, inputs, enums, ifaces, possible, args, fieldCount int
	for _, t := range s.Types {
		switch t.Kind {
		case ast.Object, ast.Interface:
			fields += len(t.Fields)
			for _, f := range t.Fields {
				args += len(f.Arguments)
			}
			fieldCount += len(t.Fields)
		case ast.InputObject:
			inputs += len(t.Fields)
		case ast.Enum:
			enums += len(t.EnumValues)
		}
		ifaces += len(t.Interfaces)
		if t.IsAbstractType() {
			possible += len(s.GetPossibleTypes(t))
		}
	}
	var dirArgs, locations int
	for _, d := range s.Directives {
		dirArgs += len(d.Arguments)
		locations += len(d.Locations)
	}
	types, dirs := max(len(s.Types), 1), max(len(s.Directives), 1)
	avg := func(n, of int) int { return max(1, int(math.Ceil(float64(n)/float64(max(of, 1))))) }
	return map[string]int{
		"__Schema.types":        types,
		"__Schema.directives":   dirs,
		"__Type.fields":         avg(fields, types),
		"__Type.inputFields":    avg(inputs, types),
		"__Type.enumValues":     avg(enums, types),
		"__Type.interfaces":     avg(ifaces, types),
		"__Type.possibleTypes":  avg(possible, types),
		"__Field.args":          avg(args, fieldCount),
		"__Directive.args":      avg(dirArgs, dirs),
		"__Directive.locations": avg(locations, dirs),
		"Path.entities":         maxPathHops,
		"Path.relationships":    maxPathHops - 1,
		"Contribution.steps":    maxChainSteps,
	}
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}
