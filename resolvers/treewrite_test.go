package resolvers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"riskgraph/graph"
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
	"riskgraph/resolvers"
	"riskgraph/seed"
)

// treeServers are two GraphQL handlers over one service: plain answers every field with
// gqlgen's executor; fast also writes entity trees (AnswerTrees), counting the entity root
// fields it hands to the executor.
type treeServers struct {
	plain, fast http.Handler
	handed      atomic.Int64
}

func newTreeServers(t *testing.T, batch kg.Batch) *treeServers {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "riskgraph.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	svc := service.New(s, risk.DefaultModel())
	t.Cleanup(func() { svc.Close() })
	if _, err := seed.Apply(t.Context(), svc); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if len(batch.Entities) > 0 {
		if _, err := store.Check(s).Load(t.Context(), batch, "test", store.LoadOptions{}); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	ts := &treeServers{}
	res := &resolvers.Resolver{Service: svc}
	build := func(fast bool) http.Handler {
		srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: res}))
		srv.AddTransport(transport.POST{})
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			return next(resolvers.WithLoaders(ctx, svc))
		})
		if fast {
			srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
				return res.AnswerTrees(ctx, func(ctx context.Context) graphql.Marshaler {
					if graphql.GetRootFieldContext(ctx).Field.Name == "entity" {
						ts.handed.Add(1)
					}
					return next(ctx)
				})
			})
		}
		return srv
	}
	ts.plain, ts.fast = build(false), build(true)
	return ts
}

// do answers query with h and returns the response body as it came.
func do(t *testing.T, h http.Handler, query string, vars map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	raw, err := io.ReadAll(w.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, raw)
	}
	return raw
}

// same checks that both servers answer query with the same bytes, and that the fast one
// handed the executor handed of its entity root fields.
func (ts *treeServers) same(t *testing.T, what, query string, vars map[string]any, handed int64) []byte {
	t.Helper()
	want := do(t, ts.plain, query, vars)
	before := ts.handed.Load()
	got := do(t, ts.fast, query, vars)
	if n := ts.handed.Load() - before; n != handed {
		t.Errorf("%s: %d entity root fields handed to the executor, want %d", what, n, handed)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: written from the tree\n%s\nby the executor\n%s", what, got, want)
	}
	return got
}

// TestTreeAnswersAsTheExecutor: an entity root field written from its tree read answers
// byte for byte what gqlgen's executor answers, with aliases, fragments, @include and
// @skip, __typename, cursors, page info, several root fields, asOf and knownAt; any field
// the tree does not hold, a near end, a missing entity or a bad argument goes to the
// executor.
func TestTreeAnswersAsTheExecutor(t *testing.T) {
	ts := newTreeServers(t, kg.Batch{})
	const nested = `query($id: ID!, $asOf: Date, $first: Int!, $withLaws: Boolean!) {
	  entity(id: $id, asOf: $asOf) { __typename id name kind name
	    makes: relationships(direction: OUT, types: [MAKES], first: 20) { __typename pageInfo { hasNextPage endCursor __typename }
	      edges { __typename cursor node { __typename id type fromId toId to { ...names
	        soldBy: relationships(direction: IN, types: [SELLS], first: $first) { pageInfo { endCursor hasNextPage } edges { node { from { name } } } }
	        usedBy: relationships(direction: IN, types: [USES], first: $first) { edges { n: node { who: from { ... on Entity { id kind } } } } } } } } }
	    hq: relationships(direction: OUT, types: [HEADQUARTERED_IN]) { edges { node { to { name } } } }
	    laws: relationships(direction: IN, types: [APPLIES_TO], first: 200) @include(if: $withLaws) { edges { node { from { id name } } } }
	    skipped: relationships(direction: IN, types: [TARGETS]) @skip(if: true) { edges { cursor } } } }
	fragment names on Entity { id name }`
	for _, vars := range []map[string]any{
		{"id": "vendor:kaspersky-lab", "asOf": "2017-09-01", "first": 100, "withLaws": true},
		{"id": "vendor:kaspersky-lab", "asOf": "2017-12-31", "first": 1, "withLaws": false},
		{"id": "vendor:kaspersky-lab", "first": 2, "withLaws": true},
		{"id": "government:russian-federation", "asOf": "2017-12-31", "first": 5, "withLaws": true},
	} {
		got := ts.same(t, fmt.Sprint(vars), nested, vars, 0)
		if vars["asOf"] == "2017-09-01" && !bytes.Contains(got, []byte("Best Buy")) {
			t.Errorf("%v: no Best Buy, which sold Kaspersky's products until 2017-09-08: %s", vars, got)
		}
	}
	ts.same(t, "knownAt, and two entity root fields beside another root field",
		`{ a: entity(id: "vendor:kaspersky-lab", asOf: "2017-10-01", knownAt: "2030-01-01T00:00:00Z") { name makes: relationships(direction: OUT, types: [MAKES]) { edges { node { id to { id } } } } }
		   b: entity(id: "directive:bod-17-01") { id relationships(direction: OUT) { edges { node { toId to { name } } } } }
		   search(text: "kaspersky", first: 3) { edges { node { id } } } }`, nil, 0)
	ts.same(t, "one page under two aliases, asking different things of it",
		`{ entity(id: "vendor:kaspersky-lab") { a: relationships(direction: OUT, types: [MAKES]) { edges { node { id } } }
		   b: relationships(direction: OUT, types: [MAKES]) { edges { node { to { __typename } } } }
		   c: relationships(direction: OUT, types: [MAKES], first: 1) { pageInfo { hasNextPage endCursor } } } }`, nil, 0)
	for _, tc := range []struct{ what, query string }{
		{"a field the tree does not hold", `{ entity(id: "vendor:kaspersky-lab") { id description relationships(direction: OUT) { edges { node { id } } } } }`},
		{"a field of a relationship the tree does not hold", `{ entity(id: "vendor:kaspersky-lab") { relationships(direction: OUT) { edges { node { id validFrom } } } } }`},
		{"the near end", `{ entity(id: "vendor:kaspersky-lab") { relationships(direction: OUT) { edges { node { from { name } } } } } }`},
		{"an end of a BOTH page", `{ entity(id: "vendor:kaspersky-lab") { relationships { edges { node { to { name } } } } } }`},
		{"a nested asOf", `{ entity(id: "vendor:kaspersky-lab") { relationships(direction: OUT, asOf: "2017-01-01") { edges { node { id } } } } }`},
		{"a missing entity", `{ entity(id: "vendor:nobody") { id relationships(direction: OUT) { edges { node { id } } } } }`},
		{"a bad id", `{ entity(id: "no colon") { id relationships(direction: OUT) { edges { node { id } } } } }`},
		{"a page too large", `{ entity(id: "vendor:kaspersky-lab") { relationships(direction: OUT, first: 5000) { edges { node { id } } } } }`},
		{"no relationships", `{ entity(id: "vendor:kaspersky-lab") { id name } }`},
	} {
		ts.same(t, tc.what, tc.query, nil, 1)
	}
}

// TestTreeAnswersOnAGraph: on a synthetic graph, the peer benchmark's nested read of many
// vendors, hubs among them, is written from the tree as the executor answers it.
func TestTreeAnswersOnAGraph(t *testing.T) {
	g := synth.Generate(synth.Config{Entities: 3000, Relationships: 15000, Seed: 3, SignalRate: 0.05})
	ts := newTreeServers(t, g)
	const nested3 = `query($id: ID!) { entity(id: $id) { id name makes: relationships(direction: OUT, types: [MAKES], first: 20) { edges { node { to { name soldBy: relationships(direction: IN, types: [SELLS], first: 600) { edges { node { from { name } } } } usedBy: relationships(direction: IN, types: [USES], first: 600) { edges { node { from { name } } } } } } } } hq: relationships(direction: OUT, types: [HEADQUARTERED_IN], first: 20) { edges { node { to { name } } } } laws: relationships(direction: IN, types: [APPLIES_TO], first: 200) { edges { node { from { name } } } } } }`
	checked, sellers := 0, 0
	for _, e := range g.Entities {
		if e.Kind != kg.KindVendor || checked == 40 {
			continue
		}
		checked++
		got := ts.same(t, e.ID, nested3, map[string]any{"id": e.ID}, 0)
		sellers += strings.Count(string(got), "Retailer ")
	}
	if checked < 40 || sellers == 0 {
		t.Errorf("checked %d vendors, %d sellers among their answers; want 40 and some", checked, sellers)
	}
}
