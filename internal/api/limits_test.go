package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"riskgraph/internal/api"
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/seed"
)

// seededService is a service over a freshly seeded embedded store.
func seededService(t *testing.T) *service.Service {
	t.Helper()
	svc := service.New(backends["embedded"](t), risk.DefaultModel())
	if _, err := seed.Apply(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

// Every limit of the gate and the cost limit: a query at the limit passes, one past it is
// refused before it costs anything, with LIMIT_EXCEEDED and the limit's reason.
func TestEveryLimitAtAndOnePast(t *testing.T) {
	svc := seededService(t)
	tests := []struct {
		name     string
		limits   api.Limits
		at, past string
		reason   string
	}{
		{"tokens", api.Limits{MaxTokens: 12},
			"{ " + strings.Repeat("__typename ", 10) + "}", "{ " + strings.Repeat("__typename ", 11) + "}", "TOKENS"},
		{"depth", api.Limits{MaxDepth: 4},
			`{ entity(id: "vendor:kaspersky-lab") { relationships { edges { cursor } } } }`,
			`{ entity(id: "vendor:kaspersky-lab") { relationships { edges { node { id } } } } }`, "DEPTH"},
		{"depth through fragments", api.Limits{MaxDepth: 4},
			`fragment E on RelationshipConnection { edges { cursor } } { entity(id: "vendor:kaspersky-lab") { relationships { ...E } } }`,
			`fragment N on RelationshipEdge { node { id } } fragment E on RelationshipConnection { edges { ...N } } { entity(id: "vendor:kaspersky-lab") { relationships { ...E } } }`, "DEPTH"},
		{"introspection depth", api.Limits{MaxIntrospectionDepth: 5},
			`{ __schema { types { fields { type { name } } } } }`,
			`{ __schema { types { fields { type { ofType { name } } } } } }`, "DEPTH"},
		{"aliases", api.Limits{MaxAliases: 3},
			`{ a: __typename b: __typename c: __typename }`,
			`{ a: __typename b: __typename c: __typename d: __typename }`, "ALIASES"},
		{"aliases at each spread", api.Limits{MaxAliases: 3},
			`fragment F on Query { a: __typename b: __typename } { ...F c: __typename }`,
			`fragment F on Query { a: __typename b: __typename } { ...F ...F }`, "ALIASES"},
		{"aliases in introspection", api.Limits{MaxAliases: 1},
			`{ __schema { t: types { name } } }`,
			`{ __schema { t: types { name } u: types { name } } }`, "ALIASES"},
		{"selections", api.Limits{MaxSelections: 10},
			"{ " + strings.Repeat("__typename ", 10) + "}", "{ " + strings.Repeat("__typename ", 11) + "}", "SELECTIONS"},
		{"selections at each spread", api.Limits{MaxSelections: 10},
			`fragment F on Query { __typename __typename __typename __typename __typename } { ...F ...F }`,
			`fragment F on Query { __typename __typename __typename __typename __typename } { ...F ...F __typename }`, "SELECTIONS"},
		// An unused fragment fails validation, but validation is what the limit protects.
		{"selections in unused fragments", api.Limits{MaxSelections: 3},
			`{ __typename } fragment U on Query { __typename __typename }`,
			`{ __typename } fragment U on Query { __typename __typename __typename }`, "SELECTIONS"},
		{"fragment spreads", api.Limits{MaxFragmentSpreads: 3},
			`fragment F on Query { __typename } { ...F ...F ...F }`,
			`fragment F on Query { __typename } { ...F ...F ...F ...F }`, "FRAGMENT_SPREADS"},
		{"nested fragment spreads", api.Limits{MaxFragmentSpreads: 6},
			`fragment F on Query { __typename } fragment G on Query { ...F ...F } { ...G ...G }`,
			`fragment F on Query { __typename } fragment G on Query { ...F ...F } { ...G ...G ...F }`, "FRAGMENT_SPREADS"},
		{"name length", api.Limits{MaxNameLength: 10},
			`{ abcdefghij: __typename }`, `{ abcdefghijk: __typename }`, "NAME_LENGTH"},
		{"name length of an enum value", api.Limits{MaxNameLength: 10},
			`{ entities(kind: Vendor, first: 1) { edges { cursor } } }`,
			`{ entities(kind: VendorVend0, first: 1) { edges { cursor } } }`, "NAME_LENGTH"},
		// entities(first: n) { edges { node { id } } } costs 1 + n × (edges 1 + node (1 + id 1)).
		{"complexity", api.Limits{MaxComplexity: 31},
			`{ entities(first: 10) { edges { node { id } } } }`, `{ entities(first: 11) { edges { node { id } } } }`, "COMPLEXITY"},
		{"complexity of introspection lists", api.Limits{MaxComplexity: 200},
			`{ __type(name: "Entity") { name } }`, `{ __schema { types { name fields { name } } } }`, "COMPLEXITY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessOn(t, svc, harnessOpts{cfg: func(c *api.Config) { c.Limits = tc.limits }})
			if a := h.query(t, 0, tc.at, nil); strings.Contains(tc.name, "unused") {
				a.refused(t, http.StatusBadRequest, "INVALID_INPUT", "GRAPHQL_VALIDATION_FAILED")
			} else {
				a.mustOK(t)
			}
			h.query(t, 0, tc.past, nil).refused(t, http.StatusBadRequest, "LIMIT_EXCEEDED", tc.reason)
		})
	}
}

func TestBodyLimitAtAndOnePast(t *testing.T) {
	h := newHarnessOn(t, seededService(t), harnessOpts{cfg: func(c *api.Config) { c.Limits = api.Limits{MaxBodyBytes: 100} }})
	body := func(n int) []byte {
		b := `{"query":"{ __typename }"}`
		return []byte(b[:len(b)-1] + strings.Repeat(" ", n-len(b)) + "}")
	}
	h.send(t, req{ctype: "application/json", body: body(100)}).mustOK(t)
	h.send(t, req{ctype: "application/json", body: body(101)}).refused(t, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", "BODY_TOO_LARGE")
	// Without a Content-Length (chunked), the reader stops at the limit.
	hr, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", struct{ *strings.Reader }{strings.NewReader(string(body(101)))})
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body past the limit: %d", resp.StatusCode)
	}
}

// GraphiQL's introspection query (graphql-js getIntrospectionQuery, as GraphiQL 3 calls it,
// and with every option) passes every default limit, and the API tests' depth of 10.
func TestGraphiQLIntrospectionPassesTheLimits(t *testing.T) {
	svc := seededService(t)
	for _, file := range []string{"testdata/introspection/graphiql.graphql", "testdata/introspection/all-options.graphql"} {
		q, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, lim := range []api.Limits{{}, {MaxDepth: 10}} {
			h := newHarnessOn(t, svc, harnessOpts{cfg: func(c *api.Config) { c.Limits = lim }})
			a := h.query(t, 0, string(q), nil).mustOK(t)
			if !strings.Contains(string(a.gql.Data), `"queryType":{"name":"Query"`) {
				t.Errorf("%s: %.200s", file, a.gql.Data)
			}
		}
	}
}

var exampleQuery = regexp.MustCompile("(?s)query: `(.*?)`")

// Every example tab of the playground passes the default limits.
func TestPlaygroundExamplesPassTheLimits(t *testing.T) {
	src, err := os.ReadFile("../../web/src/examples.js")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, seededService(t), harnessOpts{})
	ms := exampleQuery.FindAllSubmatch(src, -1)
	if len(ms) == 0 {
		t.Fatal("no example queries found in web/src/examples.js")
	}
	for _, m := range ms {
		q := string(m[1])
		if a := h.query(t, 0, q, nil); a.code() == "LIMIT_EXCEEDED" || a.status != http.StatusOK {
			t.Errorf("example %.60q: %d %+v", q, a.status, a.gql.Errors)
		}
	}
}

func TestRateLimitPerKey(t *testing.T) {
	svc := seededService(t)
	lim := api.Limits{RatePerSecond: 0.001, RateBurst: 2} // one token per 1000 s: no refill during the test
	h := newHarnessOn(t, svc, harnessOpts{keyed: true, cfg: func(c *api.Config) { c.Limits = lim }})
	q := `{ __typename }`
	h.query(t, service.RoleReader, q, nil).mustOK(t)
	h.query(t, service.RoleReader, q, nil).mustOK(t) // at the burst
	a := h.query(t, service.RoleReader, q, nil).refused(t, http.StatusTooManyRequests, "LIMIT_EXCEEDED", "RATE_LIMITED")
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 1 || s > 1000 {
		t.Errorf("Retry-After %q; want whole seconds until a token is back", a.header.Get("Retry-After"))
	}
	// Another key has its own bucket.
	h.query(t, service.RoleEditor, q, nil).mustOK(t)
	// Local callers (no keys) are counted by address.
	local := newHarnessOn(t, svc, harnessOpts{cfg: func(c *api.Config) { c.Limits = lim }})
	local.query(t, 0, q, nil).mustOK(t)
	local.query(t, 0, q, nil).mustOK(t)
	local.query(t, 0, q, nil).refused(t, http.StatusTooManyRequests, "LIMIT_EXCEEDED", "RATE_LIMITED")
	// A negative rate turns the limit off.
	off := newHarnessOn(t, svc, harnessOpts{cfg: func(c *api.Config) { c.Limits = api.Limits{RatePerSecond: -1, RateBurst: 1} }})
	for range 5 {
		off.query(t, 0, q, nil).mustOK(t)
	}
}

// heldNeighbourhoods blocks exposure's neighbourhood reads until released.
type heldNeighbourhoods struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (s *heldNeighbourhoods) Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return kg.Snapshot{}, ctx.Err()
	}
	return s.Store.Neighbourhood(ctx, q)
}

// heldExposure is a server under lim with one exposure query on its way, held inside its
// neighbourhood read until release is called; release returns that query's answer.
func heldExposure(t *testing.T, lim api.Limits) (h *harness, exposure string, release func() answer) {
	t.Helper()
	hn := &heldNeighbourhoods{entered: make(chan struct{}, 1), release: make(chan struct{})}
	h = newHarness(t, withLimits(lim), withStore(func(s store.Store) store.Store { hn.Store = s; return hn }))
	exposure = `{ exposure(entityId: "retailer:best-buy", dimension: FOREIGN_INFLUENCE, asOf: "2017-09-01") { score } }`
	var wg sync.WaitGroup
	first := make(chan answer, 1)
	wg.Go(func() { first <- h.query(t, 0, exposure, nil) })
	select {
	case <-hn.entered:
	case <-time.After(guard):
		t.Fatal("the first exposure never read its neighbourhood")
	}
	return h, exposure, func() answer {
		close(hn.release)
		wg.Wait()
		return <-first
	}
}

// With every expensive slot taken, another expensive query is refused after a short wait
// while cheap reads keep flowing; once the slot is free, expensive queries run again.
func TestExpensiveOperationsAreCapped(t *testing.T) {
	h, exposure, release := heldExposure(t, api.Limits{MaxExpensive: 1, ExpensiveWait: 20 * time.Millisecond})
	a := h.query(t, 0, exposure, nil).refused(t, http.StatusTooManyRequests, "LIMIT_EXCEEDED", "EXPENSIVE_BUSY")
	if a.header.Get("Retry-After") == "" {
		t.Error("busy without Retry-After")
	}
	h.query(t, 0, `{ paths(fromId: "retailer:best-buy", toId: "government:russian-federation") { length } }`, nil).
		refused(t, http.StatusTooManyRequests, "LIMIT_EXCEEDED", "EXPENSIVE_BUSY")
	h.query(t, 0, `{ entity(id: "vendor:kaspersky-lab") { name } }`, nil).mustOK(t)
	release().mustOK(t)
	h.query(t, 0, exposure, nil).mustOK(t)
	// Many expensive fields in one query take every slot, and run.
	h.query(t, 0, `{ a: paths(fromId: "retailer:best-buy", toId: "government:russian-federation") { length }
	  b: paths(fromId: "retailer:amazon", toId: "government:russian-federation") { length } }`, nil).mustOK(t)
}

// With every in-flight slot taken by a slow operation, any other operation, cheap ones too,
// is refused with LIMIT_EXCEEDED and Retry-After after a short wait; once the slot is free,
// operations run again.
func TestOperationsInFlightAreCapped(t *testing.T) {
	h, _, release := heldExposure(t, api.Limits{MaxInFlight: 1, InFlightWait: 20 * time.Millisecond})
	a := h.query(t, 0, `{ entity(id: "vendor:kaspersky-lab") { name } }`, nil).
		refused(t, http.StatusTooManyRequests, "LIMIT_EXCEEDED", "SERVER_BUSY")
	if a.header.Get("Retry-After") == "" {
		t.Error("busy without Retry-After")
	}
	release().mustOK(t)
	h.query(t, 0, `{ entity(id: "vendor:kaspersky-lab") { name } }`, nil).mustOK(t)
}

func TestIntrospectionPolicy(t *testing.T) {
	svc := seededService(t)
	q := `{ __schema { queryType { name } } }`
	typename := `{ __typename }`
	for policy, allowed := range map[api.Introspection]map[service.Role]bool{
		api.IntrospectionAll:   {service.RoleReader: true, service.RoleEditor: true, service.RoleAdmin: true},
		api.IntrospectionAdmin: {service.RoleReader: false, service.RoleEditor: false, service.RoleAdmin: true},
		api.IntrospectionOff:   {service.RoleReader: false, service.RoleEditor: false, service.RoleAdmin: false},
	} {
		h := newHarnessOn(t, svc, harnessOpts{keyed: true, cfg: func(c *api.Config) { c.Introspection = policy }})
		for role, ok := range allowed {
			a := h.query(t, role, q, nil)
			if ok {
				a.mustOK(t)
			} else {
				a.refused(t, http.StatusForbidden, "FORBIDDEN", "INTROSPECTION_OFF")
			}
			h.query(t, role, typename, nil).mustOK(t) // __typename is not introspection
			h.query(t, role, `{ __type(name: "Entity") { name } }`, nil)
		}
	}
	// Local callers count as admin.
	local := newHarnessOn(t, svc, harnessOpts{cfg: func(c *api.Config) { c.Introspection = api.IntrospectionAdmin }})
	local.query(t, 0, q, nil).mustOK(t)
	if _, err := api.ParseIntrospection("some"); err == nil {
		t.Error("introspection policy \"some\" parsed")
	}
}

// APQ goes through the gate: a refused query is not stored under its hash, and a stored
// one fetched by its hash is checked against the caller's role.
func TestPersistedQueriesPassTheGate(t *testing.T) {
	h := newHarnessOn(t, seededService(t), harnessOpts{keyed: true, cfg: func(c *api.Config) { c.Limits = api.Limits{MaxAliases: 1} }})
	post := func(role service.Role, query, hash string) answer {
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		body := map[string]any{"extensions": ext}
		if query != "" {
			body["query"] = query
		}
		b, _ := json.Marshal(body)
		return h.send(t, req{ctype: "application/json", auth: "Bearer " + h.keys[role], body: b})
	}
	sha := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	refused := `{ a: __typename b: __typename }`
	post(service.RoleAdmin, refused, sha(refused)).refused(t, http.StatusBadRequest, "LIMIT_EXCEEDED", "ALIASES")
	if a := post(service.RoleAdmin, "", sha(refused)); a.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Errorf("a refused query was kept by APQ: %+v", a.gql.Errors)
	}
	mut := `mutation { upsertEntities(input: [{id: "vendor:apq", kind: Vendor, name: "APQ"}]) { created } }`
	post(service.RoleEditor, mut, sha(mut)).mustOK(t)
	post(service.RoleReader, "", sha(mut)).refused(t, http.StatusForbidden, "FORBIDDEN", "ROLE")
	post(service.RoleEditor, "", sha(mut)).mustOK(t)
}

// The peer benchmark's nested3 (a vendor's products with every seller and user, its
// headquarters and the laws that apply to it, pages large enough for all) is an analyst's
// query and must pass the default limits: its complexity is 97,006.
func TestNestedAnalystQueryPassesDefaultLimits(t *testing.T) {
	h := newHarness(t)
	q := `query($id: ID!) { entity(id: $id) { id name
	  makes: relationships(direction: OUT, types: [MAKES], first: 20) { edges { node { to { name
	    soldBy: relationships(direction: IN, types: [SELLS], first: 600) { edges { node { from { name } } } }
	    usedBy: relationships(direction: IN, types: [USES], first: 600) { edges { node { from { name } } } } } } } }
	  hq: relationships(direction: OUT, types: [HEADQUARTERED_IN], first: 20) { edges { node { to { name } } } }
	  laws: relationships(direction: IN, types: [APPLIES_TO], first: 200) { edges { node { from { name } } } } } }`
	h.query(t, 0, q, map[string]any{"id": "vendor:kaspersky-lab"}).mustOK(t)
}
