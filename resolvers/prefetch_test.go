package resolvers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"riskgraph/graph"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// plan compiles the selection of the first root field of query into tree branches.
func plan(t *testing.T, query string, vars map[string]any) []service.Branch {
	t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		t.Fatalf("parse %s: %v", query, errs)
	}
	op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	root := graphql.CollectFields(op, op.Operation.SelectionSet, []string{"Query"})[0]
	return planBranches(op, root.Selections, 1)
}

func TestPlanBranches(t *testing.T) {
	name, full, none := service.ProjectName, service.ProjectFull, service.ProjectNone
	for _, tc := range []struct {
		what, query string
		vars        map[string]any
		want        []service.Branch
	}{
		{"no relationships: no tree", `{ entity(id: "vendor:a") { id name aliases } }`, nil, nil},
		{"nested3: ids only where only ends are read, names only where only names are",
			`query($n: Int!) { entity(id: "vendor:a") { name
			  makes: relationships(direction: OUT, types: [MAKES], first: 20) { edges { cursor node { type to { name
			    soldBy: relationships(direction: IN, types: [SELLS], first: $n) { edges { node { from { name } } } }
			    usedBy: relationships(direction: IN, types: [USES], first: 600) { edges { node { confidence from { ... on Entity { name description } } } } } } } } } } }`,
			map[string]any{"n": int64(600)},
			[]service.Branch{{Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}, Page: service.Page{First: 20}, IDsOnly: true, End: name,
				Branches: []service.Branch{
					{Direction: kg.In, Types: []kg.RelType{kg.RelSells}, Page: service.Page{First: 600}, IDsOnly: true, End: name},
					{Direction: kg.In, Types: []kg.RelType{kg.RelUses}, Page: service.Page{First: 600}, End: full},
				}}}},
		{"two fields with the same arguments are one branch, reading what both need",
			`{ entity(id: "vendor:a") { a: relationships(types: [MAKES]) { edges { node { to { name } } } }
			   b: relationships(types: [MAKES]) { edges { node { note from { id } to { aliases } } } } } }`, nil,
			[]service.Branch{{Direction: kg.Both, Types: []kg.RelType{kg.RelMakes}, End: full}}},
		{"a nested asOf, a cursor or an out-of-range page is left to the loaders",
			`{ entity(id: "vendor:a") { a: relationships(asOf: "2017-01-01") { pageInfo { hasNextPage } }
			   b: relationships(after: "x") { pageInfo { hasNextPage } }
			   c: relationships(first: 5000) { pageInfo { hasNextPage } }
			   d: relationships(direction: IN) { pageInfo { hasNextPage } } } }`, nil,
			[]service.Branch{{Direction: kg.In, IDsOnly: true, End: none}}},
		{"nothing past the depth limit", `{ entity(id: "vendor:a") { ` +
			strings.Repeat("relationships { edges { node { to { ", service.MaxTreeDepth+1) + "id" +
			strings.Repeat(" } } } }", service.MaxTreeDepth+1) + " } }", nil, deepBranches(service.MaxTreeDepth)},
	} {
		if got := plan(t, tc.query, tc.vars); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.what, got, tc.want)
		}
	}
}

// deepBranches is n levels of default branches, each reading the next from its far end by id.
func deepBranches(n int) []service.Branch {
	if n == 0 {
		return nil
	}
	// A far end read for its relationships (or its id) alone needs no more than its name.
	return []service.Branch{{Direction: kg.Both, IDsOnly: true, End: service.ProjectName, Branches: deepBranches(n - 1)}}
}
