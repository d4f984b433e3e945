package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/store/neo4jstore"
	"riskgraph/internal/store/neo4jstore/neo4jtest"
	"riskgraph/seed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// countingStore passes every call to a real store and counts the reads.
type countingStore struct {
	store.Store
	reads atomic.Int64
}

func (c *countingStore) Entities(ctx context.Context, ids []string, at store.At) (map[string]kg.Entity, error) {
	c.reads.Add(1)
	return c.Store.Entities(ctx, ids, at)
}

func (c *countingStore) List(ctx context.Context, q store.ListQuery) (store.EntityPage, error) {
	c.reads.Add(1)
	return c.Store.List(ctx, q)
}

func (c *countingStore) Relationships(ctx context.Context, q store.RelQuery) (map[string]store.RelPage, error) {
	c.reads.Add(1)
	return c.Store.Relationships(ctx, q)
}

func (c *countingStore) Tree(ctx context.Context, q store.TreeQuery) (map[string]store.TreeNode, error) {
	c.reads.Add(1)
	return c.Store.Tree(ctx, q)
}

func (c *countingStore) Signals(ctx context.Context, ids []string, at store.At) (map[string][]kg.RiskSignal, error) {
	c.reads.Add(1)
	return c.Store.Signals(ctx, ids, at)
}

type fixture struct {
	srv   *httptest.Server
	store *countingStore // the backend, its reads counted
	svc   *service.Service
}

func TestMain(m *testing.M) { neo4jtest.Main(m) }

// backends are the stores the API tests run on; each returns an empty store.
var backends = map[string]func(t *testing.T) store.Store{
	"embedded": func(t *testing.T) store.Store {
		s, err := embedded.Open(filepath.Join(t.TempDir(), "riskgraph.db"))
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"neo4j": func(t *testing.T) store.Store {
		s, err := neo4jstore.Open(context.Background(), neo4jstore.Config{URI: neo4jtest.URI(t)})
		if err != nil {
			t.Fatalf("open neo4j: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.DeleteAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	},
}

// onEachBackend runs a test once per store backend, each on a freshly seeded store.
func onEachBackend(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, name := range []string{"embedded", "neo4j"} {
		t.Run(name, func(t *testing.T) { test(t, newFixtureOn(t, backends[name](t))) })
	}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, backends["embedded"](t))
}

func newFixtureOn(t *testing.T, s store.Store) *fixture {
	t.Helper()
	cs := &countingStore{Store: s}
	svc := service.New(cs, risk.DefaultModel())
	if _, err := seed.Apply(t.Context(), svc); err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(api.New(api.Config{Service: svc, Limits: api.Limits{MaxDepth: 10}}))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, store: cs, svc: svc}
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (f *fixture) do(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(f.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return out
}

func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func TestErrorsHaveCodes(t *testing.T) {
	f := newFixture(t)
	deep := "{ entity(id: \"vendor:kaspersky-lab\") { " + strings.Repeat("relationships { edges { node { to { ", 3) +
		"id" + strings.Repeat(" } } } }", 3) + " } }"
	tests := []struct {
		name, query, code, mentions string
	}{
		{"missing entity", `{ entity(id: "vendor:no-such") { id } }`, "NOT_FOUND", "vendor:no-such"},
		{"malformed id", `{ entity(id: "kaspersky") { id } }`, "INVALID_INPUT", "kind prefix"},
		{"unknown kind", `{ entities(kind: Spaceship) { edges { node { id } } } }`, "INVALID_INPUT", "Spaceship"},
		{"malformed date", `{ entity(id: "vendor:kaspersky-lab", asOf: "13/09/2017") { id } }`, "INVALID_INPUT", "YYYY-MM-DD"},
		{"first above max", `{ entities(first: 1001) { edges { node { id } } } }`, "LIMIT_EXCEEDED", "1000"},
		{"too deep", deep, "LIMIT_EXCEEDED", "levels deep"},
		{"hops above max", `{ paths(fromId: "retailer:best-buy", toId: "government:russian-federation", maxHops: 7) { length } }`, "LIMIT_EXCEEDED", "maxHops"},
		{"bad cursor", `{ entities(after: "nope") { edges { node { id } } } }`, "INVALID_INPUT", "cursor"},
		{"id cursor by name", `{ entities(orderBy: NAME, after: "WyJ2ZW5kb3I6a2FzcGVyc2t5LWxhYiJd") { edges { node { id } } } }`, "INVALID_INPUT", "cursor"},
		{"unknown order", `{ entities(orderBy: SIZE) { edges { node { id } } } }`, "INVALID_INPUT", "SIZE"},
		{"syntax", `{ entity(id: `, "INVALID_INPUT", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.query, nil)
			if r.code() != tc.code {
				t.Fatalf("code = %q, want %q (errors %+v)", r.code(), tc.code, r.Errors)
			}
			if !strings.Contains(r.Errors[0].Message, tc.mentions) {
				t.Errorf("message %q does not mention %q", r.Errors[0].Message, tc.mentions)
			}
		})
	}
}

const countQuery = `query($first: Int!) { entities(first: $first) { edges { node { id
  relationships(first: 5) { edges { node { type to { id name sources { source { id } } } } } }
  signals { id } } } } }`

// GraphiQL's introspection query nests ofType chains past the depth limit; it must still work.
func TestIntrospectionIsNotDepthLimited(t *testing.T) {
	f := newFixture(t)
	ofType := "kind name " + strings.Repeat("ofType { kind name ", 8) + strings.Repeat("}", 8)
	r := f.do(t, `{ __schema { queryType { name } types { name fields { name type { `+ofType+` } } } } }`, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"queryType":{"name":"Query"}`) {
		t.Fatalf("introspection: %s %+v", r.Data, r.Errors)
	}
}

func TestBadWritesChangeNothing(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	before, err := f.svc.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src := `{sourceId: "source:reuters-ap-2017-09-13", excerpt: "test"}`
	tests := []struct{ name, query, mentions string }{
		{"wrong endpoint kinds", `mutation { upsertRelationships(input: [{type: MAKES, fromId: "retailer:best-buy", toId: "government:united-states"}]) { created } }`, "MAKES"},
		{"missing endpoint", `mutation { upsertRelationships(input: [{type: MAKES, fromId: "vendor:kaspersky-lab", toId: "product:nothing-here"}]) { created } }`, "product:nothing-here"},
		{"one bad row of two", `mutation { upsertEntities(input: [{id: "vendor:acme", kind: Vendor, name: "Acme"}, {id: "vendor:bad", kind: Retailer, name: "Bad"}]) { created } }`, "vendor:bad"},
		{"validTo before validFrom", `mutation { upsertEntities(input: [{id: "vendor:acme", kind: Vendor, name: "Acme", validFrom: "2020-01-02", validTo: "2020-01-01"}]) { created } }`, "validTo"},
		{"severity above 1", `mutation { addRiskSignals(input: [{id: "signal:acme", entityId: "vendor:kaspersky-lab", dimension: SANCTIONS, severity: 1.5, reason: "x", sources: [` + src + `]}]) { created } }`, "severity"},
		{"retract unknown", `mutation { retract(ids: ["vendor:kaspersky-lab", "vendor:ghost"], on: "2020-01-01") { updated } }`, "vendor:ghost"},
		{"zero confidence", `mutation { upsertRelationships(input: [{type: MAKES, fromId: "vendor:kaspersky-lab", toId: "product:kaspersky-anti-virus", confidence: 0}]) { created } }`, "confidence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.query, nil)
			if c := r.code(); c != "INVALID_INPUT" && c != "NOT_FOUND" {
				t.Fatalf("code = %q, want INVALID_INPUT or NOT_FOUND (errors %+v)", c, r.Errors)
			}
			if !strings.Contains(r.Errors[0].Message, tc.mentions) {
				t.Errorf("message %q does not mention %q", r.Errors[0].Message, tc.mentions)
			}
		})
	}
	after, err := f.svc.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("bad writes changed the store: %d entities, %d relationships, %d signals; were %d, %d, %d",
			len(after.Entities), len(after.Relationships), len(after.Signals), len(before.Entities), len(before.Relationships), len(before.Signals))
	}
}

func TestWritesRoundTrip(t *testing.T) {
	f := newFixture(t)
	up := `mutation { upsertEntities(input: [{id: "vendor:acme", kind: Vendor, name: "Acme Antivirus", aliases: ["Acme"], validFrom: "2020-01-01",
	  sources: [{sourceId: "source:reuters-ap-2017-09-13", excerpt: "made up for a test"}]}]) { created updated unchanged } }`
	r := f.do(t, up, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"created":["vendor:acme"]`) {
		t.Fatalf("first upsert: %s %+v", r.Data, r.Errors)
	}
	r = f.do(t, up, nil)
	if !strings.Contains(string(r.Data), `"unchanged":["vendor:acme"]`) {
		t.Fatalf("second upsert should change nothing: %s", r.Data)
	}
	r = f.do(t, `mutation { retract(ids: ["vendor:acme"], on: "2021-01-01") { updated } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("retract: %+v", r.Errors)
	}
	for date, want := range map[string]string{"2020-06-01": "Acme Antivirus", "2021-06-01": "NOT_FOUND", "2019-06-01": "NOT_FOUND"} {
		r = f.do(t, `query($d: Date) { entity(id: "vendor:acme", asOf: $d) { name validTo } }`, map[string]any{"d": date})
		got := string(r.Data) + r.code()
		if !strings.Contains(got, want) {
			t.Errorf("as of %s: got %s, want %s", date, got, want)
		}
	}
}

// The store calls a nested query makes must not grow with the page size: at most one per
// level of nesting (list, relationships, signals, endpoints, their sources), fewer when a
// level's ids were already read.
func TestNestedReadsAreBatched(t *testing.T) { onEachBackend(t, testNestedReadsAreBatched) }

func testNestedReadsAreBatched(t *testing.T, f *fixture) {
	calls := func(first int) int64 {
		f.store.reads.Store(0)
		r := f.do(t, countQuery, map[string]any{"first": first})
		if len(r.Errors) > 0 {
			t.Fatalf("query: %+v", r.Errors)
		}
		return f.store.reads.Load()
	}
	const levels = 5
	for _, n := range []int{1, 3, 10, 50, 200} {
		if got := calls(n); got > levels {
			t.Errorf("%d parents: %d store reads, want at most %d", n, got, levels)
		}
	}
	if small, large := calls(3), calls(200); large > small {
		t.Errorf("store reads grew with the page: %d for 3 parents, %d for 200", small, large)
	}
	// On Neo4j, count what reaches the server: Cypher statements, not store calls.
	if rt, ok := f.store.Store.(interface{ RoundTrips() int64 }); ok {
		statements := func(first int) int64 {
			before := rt.RoundTrips()
			if r := f.do(t, countQuery, map[string]any{"first": first}); len(r.Errors) > 0 {
				t.Fatalf("query: %+v", r.Errors)
			}
			return rt.RoundTrips() - before
		}
		small, large := statements(3), statements(50)
		t.Logf("Cypher statements for the nested query: %d with 3 parents, %d with 50", small, large)
		if large > small || large > levels {
			t.Errorf("Cypher statements: %d for 3 parents, %d for 50; want no growth and at most %d", small, large, levels)
		}
	}
}

func TestProbesAndMetrics(t *testing.T) {
	f := newFixture(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "riskgraph_graphql_operations_total"} {
		f.do(t, `{ entity(id: "vendor:kaspersky-lab") { id } }`, nil)
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s, want 200 containing %q", path, resp.StatusCode, b, want)
		}
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	resp, err := http.Post(f.srv.URL+"/graphql", "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: status %d, want 413", resp.StatusCode)
	}
}

// Golden answers to the analysts' questions on the seed case.
// Both backends must give the same answers, byte for byte.
func TestGoldenAnswers(t *testing.T) { onEachBackend(t, testGoldenAnswers) }

func testGoldenAnswers(t *testing.T, f *fixture) {
	files, err := filepath.Glob("testdata/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden queries: %v", err)
	}
	for _, q := range files {
		t.Run(filepath.Base(q), func(t *testing.T) {
			query, err := os.ReadFile(q)
			if err != nil {
				t.Fatal(err)
			}
			r := f.do(t, string(query), nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, r.Data, "", "  ")
			golden := strings.TrimSuffix(q, ".graphql") + ".golden.json"
			if *update {
				os.WriteFile(golden, pretty.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(pretty.Bytes())) {
				t.Errorf("response differs from %s (run go test -update and review the diff):\n%s", golden, pretty.String())
			}
		})
	}
}

// The questions the seed story must answer (issue 5), asserted directly rather than only
// through golden files.
func TestSeedStoryExposure(t *testing.T) { onEachBackend(t, testSeedStoryExposure) }

func testSeedStoryExposure(t *testing.T, f *fixture) {
	type step struct {
		From    struct{ ID string } `json:"from"`
		Type    string              `json:"type"`
		To      struct{ ID string } `json:"to"`
		Sources []struct {
			SourceID string `json:"sourceId"`
		} `json:"sources"`
	}
	var out map[string]struct {
		Score    float64 `json:"score"`
		TopPaths []struct {
			Signal struct {
				ID      string
				Sources []struct{ SourceID string } `json:"sources"`
			} `json:"signal"`
			Steps []step `json:"steps"`
		} `json:"topPaths"`
		Contributions []struct {
			Signal struct{ ID string } `json:"signal"`
		} `json:"contributions"`
	}
	q := `fragment x on Exposure { score contributions { signal { id } }
	  topPaths(first: 1) { signal { id sources { sourceId } } steps { from { id } type to { id } sources { sourceId } } } }
	{ agencyFI: exposure(entityId: "organization:us-federal-agencies", dimension: FOREIGN_INFLUENCE, asOf: "2017-10-01") { ...x }
	  bestBuyFI: exposure(entityId: "retailer:best-buy", dimension: FOREIGN_INFLUENCE, asOf: "2017-09-01") { ...x }
	  amazonFI: exposure(entityId: "retailer:amazon", dimension: FOREIGN_INFLUENCE, asOf: "2017-10-01") { ...x }
	  agencyReg: exposure(entityId: "organization:us-federal-agencies", dimension: REGULATORY, asOf: "2017-10-01") { ...x }
	  agencyRegBefore: exposure(entityId: "organization:us-federal-agencies", dimension: REGULATORY, asOf: "2017-06-01") { ...x } }`
	r := f.do(t, q, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"agencyFI", "bestBuyFI", "amazonFI"} {
		ex := out[who]
		if ex.Score <= 0 || len(ex.TopPaths) == 0 {
			t.Errorf("%s: score %v, %d paths; want exposure", who, ex.Score, len(ex.TopPaths))
			continue
		}
		p := ex.TopPaths[0]
		var through []string
		for _, s := range p.Steps {
			through = append(through, s.From.ID)
			if len(s.Sources) == 0 {
				t.Errorf("%s: step %s %s %s has no source", who, s.From.ID, s.Type, s.To.ID)
			}
		}
		chain := strings.Join(through, " ")
		if !strings.HasPrefix(chain, "government:russian-federation law:ru-") || !strings.Contains(chain, "vendor:kaspersky-lab") {
			t.Errorf("%s: top path %s; want it back through Kaspersky Lab to a Russian law and the Russian Federation", who, chain)
		}
		if len(p.Signal.Sources) == 0 {
			t.Errorf("%s: the originating signal has no source", who)
		}
	}
	reg := out["agencyReg"]
	if reg.Score <= 0 || len(reg.Contributions) == 0 || reg.Contributions[0].Signal.ID != "signal:bod-17-01-federal-ban" {
		t.Errorf("regulatory exposure of the agencies: %+v; want it led by BOD 17-01", reg)
	}
	for _, c := range out["agencyRegBefore"].Contributions {
		if c.Signal.ID == "signal:bod-17-01-federal-ban" {
			t.Error("BOD 17-01 contributes before it was issued")
		}
	}
}

// When the store goes away, readiness fails and GraphQL says UNAVAILABLE (not INTERNAL), at once.
func TestStoreGoneIsUnavailable(t *testing.T) {
	s := backends["embedded"](t)
	f := newFixtureOn(t, s)
	s.Close()
	r := f.do(t, `{ entity(id: "vendor:kaspersky-lab") { name } }`, nil)
	if r.code() != "UNAVAILABLE" {
		t.Errorf("query on a closed store: code %q (%+v), want UNAVAILABLE", r.code(), r.Errors)
	}
	resp, err := http.Get(f.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store gone: %d, want 503", resp.StatusCode)
	}
}
