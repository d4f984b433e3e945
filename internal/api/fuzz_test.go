package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"riskgraph/internal/api"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/seed"
)

// fuzzVariant is how a fuzzed body is sent: method, headers, key.
type fuzzVariant struct {
	name   string
	method string
	ctype  string
	role   service.Role // 0: no key
	host   string
	origin string
	clLie  int64 // added to Content-Length
	get    bool  // the body is the query parameter of a GET
	rawURL bool  // the body is the whole query string of a GET
}

var fuzzVariants = []fuzzVariant{
	{name: "admin", method: "POST", ctype: "application/json", role: service.RoleAdmin},
	{name: "reader", method: "POST", ctype: "application/json", role: service.RoleReader},
	{name: "editor", method: "POST", ctype: "application/json; charset=utf-8", role: service.RoleEditor},
	{name: "no key", method: "POST", ctype: "application/json"},
	{name: "text/plain", method: "POST", ctype: "text/plain", role: service.RoleAdmin},
	{name: "PUT", method: "PUT", ctype: "application/json", role: service.RoleAdmin},
	{name: "GET", method: "GET", get: true, role: service.RoleReader},
	{name: "GET raw", method: "GET", rawURL: true, role: service.RoleAdmin},
	{name: "foreign host", method: "POST", ctype: "application/json", role: service.RoleAdmin, host: "attacker.example"},
	{name: "foreign origin", method: "POST", ctype: "application/json", role: service.RoleAdmin, origin: "https://evil.example"},
	{name: "Content-Length lie", method: "POST", ctype: "application/json", role: service.RoleAdmin, clLie: 100},
}

// fuzzSeeds are the attack rows of issue 12 and ordinary requests, as (variant, body).
func fuzzSeeds() []struct {
	variant uint8
	body    []byte
} {
	js := func(query string, vars map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return b
	}
	var aliased, many strings.Builder
	aliased.WriteString("{ __schema { ")
	for i := range 1000 {
		fmt.Fprintf(&aliased, "a%d: types { name fields { name } } ", i)
	}
	aliased.WriteString("} }")
	many.WriteString("{ ")
	for i := range 50000 {
		fmt.Fprintf(&many, "q%d: __typename ", i)
	}
	many.WriteString("}")
	var words strings.Builder
	for i := range 150000 {
		fmt.Fprintf(&words, "w%d ", i)
	}
	var rankings strings.Builder
	rankings.WriteString("{ ")
	for i := range 30 {
		fmt.Fprintf(&rankings, "r%d: riskRanking(dimension: FOREIGN_INFLUENCE, asOf: \"2017-09-%02d\") { edges { score } } ", i, i%28+1)
	}
	rankings.WriteString("}")
	huge := strings.Repeat("a", 1<<20-100)
	mut := `mutation { upsertEntities(input: [{id: "vendor:fuzz", kind: Vendor, name: "Fuzz"}]) { created } }`
	type seed = struct {
		variant uint8
		body    []byte
	}
	seeds := []seed{
		{0, js(`{ entity(id: "vendor:kaspersky-lab") { id name relationships(first: 3) { edges { node { type to { id } } } } } }`, nil)},
		{1, js(`{ search(text: "kaspersky") { edges { node { id } score } } }`, nil)},
		{0, js(fragmentBomb(22), nil)},                              // deep fragment nesting
		{0, js(fragmentBomb(60), nil)},                              // deeper
		{0, js("{ "+strings.Repeat("__typename ", 8000)+"}", nil)},  // 8,000 × __typename
		{0, js("{ "+strings.Repeat("__typename ", 80000)+"}", nil)}, // 80,000: token limit
		{0, js(aliased.String(), nil)},                              // __schema with 1,000 aliases
		{0, js(many.String(), nil)},                                 // 50,000 aliases, 889 KB
		{0, js("{ "+huge+" }", nil)},                                // a 1 MB name
		{0, js("{ "+huge[:300000]+": __typename }", nil)},           // a huge alias
		{0, js("{ ...F"+huge[:200000]+" } fragment F"+huge[:200000]+" on Query { __typename }", nil)},
		{0, js(`{ entities(kind: `+huge[:100000]+`) { edges { cursor } } }`, nil)},
		{2, js(`mutation($in: [EntityInput!]!) { upsertEntities(input: $in) { created } }`, // 150,000-word name
			map[string]any{"in": []map[string]any{{"id": "vendor:huge", "kind": "Vendor", "name": words.String()}}})},
		{0, js(`{ paths(fromId: "retailer:best-buy", toId: "government:russian-federation", maxHops: 6, first: 100) { length entities { id } } }`, nil)}, // slow paths
		{0, js(rankings.String(), nil)},                                            // rankings over many dates
		{10, js(`{ __typename }`, nil)},                                            // Content-Length lies
		{0, append([]byte(`{"query": "`), bytes.Repeat([]byte("A"), 1<<20-20)...)}, // invalid JSON, 1 MB
		{0, []byte(`{"query": ["x"]}`)},
		{0, []byte(`{"query": "{ __typename }"} trailing`)},
		{0, []byte(``)},
		{0, []byte(`null`)},
		{4, js(`{ __typename }`, nil)}, // wrong content type
		{5, js(`{ __typename }`, nil)}, // PUT
		{6, []byte(mut)},               // GET with a mutation
		{7, []byte("query=%7B__typename%7D&variables=%7Bx")},
		{7, []byte("%zz")},
		{0, js(`{ entity(id: "directive:bod-17-01", asOf: "9999-12-31") { obligations { due status daysUntilDue } } }`, nil)},
		{0, js(`{ compliance(directiveId: "directive:bod-17-01", asOf: "9999-12-31") { parties { status } } }`, nil)},
		{0, js(`{ exposure(entityId: "retailer:best-buy", dimension: FOREIGN_INFLUENCE, asOf: "0001-01-01") { score } }`, nil)},
		{3, js(mut, nil)}, // a mutation without a key
		{1, js(mut, nil)}, // a mutation with a reader key
		{2, js(mut, nil)},
		{8, js(`{ __typename }`, nil)}, // Host: attacker.example
		{9, js(`{ __typename }`, nil)}, // a foreign Origin
		{0, js(`{ __schema { types { name fields { name args { name } type { name ofType { name } } } } } }`, nil)},
		{0, js(`query A { __typename } query B { __typename }`, nil)},
		{0, js(`fragment F on Query { ...F } { ...F }`, nil)},
		{0, js(`{ entities(first: 1000) { edges { node { relationships(first: 1000) { edges { node { id } } } } } } }`, nil)},
		{0, []byte(`{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}`)},
		{0, []byte(`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}`)},
	}
	return seeds
}

// knownCodes are the codes an answer may carry.
var knownCodes = map[string]bool{"NOT_FOUND": true, "INVALID_INPUT": true, "UNAUTHENTICATED": true, "FORBIDDEN": true,
	"LIMIT_EXCEEDED": true, "UNAVAILABLE": true, "INTERNAL": true, "PERSISTED_QUERY_NOT_FOUND": true}

// FuzzGraphQLRequest sends whole request bodies, in a few ways, through the real handler on
// a seeded embedded store: it must never panic, and always answer JSON with data or coded
// errors, within the limits. `go test` runs the seeds (issue 12's attacks among them);
// go test -run '^$' -fuzz FuzzGraphQLRequest -fuzztime 10m ./internal/api/ fuzzes on.
func FuzzGraphQLRequest(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.variant, s.body)
	}
	s, err := embedded.Open(filepath.Join(f.TempDir(), "riskgraph.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	svc := service.New(s, risk.DefaultModel())
	if _, err := seed.Apply(context.Background(), svc); err != nil {
		f.Fatal(err)
	}
	h := newHarnessOn(f, svc, harnessOpts{keyed: true, cfg: func(c *api.Config) {
		c.Limits = api.Limits{Timeout: 5 * time.Second, RatePerSecond: -1}
		c.Log = slog.New(slog.DiscardHandler)
	}})
	f.Fuzz(func(t *testing.T, variant uint8, body []byte) {
		v := fuzzVariants[int(variant)%len(fuzzVariants)]
		target := "/graphql"
		var rd *bytes.Reader
		switch {
		case v.get:
			target += "?query=" + url.QueryEscape(string(body))
			rd = bytes.NewReader(nil)
		case v.rawURL:
			target += "?" + strings.Map(func(r rune) rune {
				if r <= ' ' || r == '#' || r > '~' {
					return -1
				}
				return r
			}, string(body))
			rd = bytes.NewReader(nil)
		default:
			rd = bytes.NewReader(body)
		}
		r, err := http.NewRequest(v.method, "http://localhost"+target, rd)
		if err != nil {
			return // not a request a client can send
		}
		r.Host = "localhost:8080"
		if v.host != "" {
			r.Host = v.host
		}
		if v.ctype != "" {
			r.Header.Set("Content-Type", v.ctype)
		}
		if v.role != 0 {
			r.Header.Set("Authorization", "Bearer "+h.keys[v.role])
		}
		if v.origin != "" {
			r.Header.Set("Origin", v.origin)
		}
		r.ContentLength += v.clLie
		r.RemoteAddr = "127.0.0.1:5555"
		w := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { defer close(done); h.h.ServeHTTP(w, r) }()
		select {
		case <-done:
		case <-time.After(guard): // a hang guard, far above the request's 5 s deadline
			buf := make([]byte, 1<<20)
			t.Fatalf("%s: no answer after %s; goroutines:\n%s", v.name, guard, buf[:runtime.Stack(buf, true)])
		}

		res := w.Result()
		switch res.StatusCode {
		case 200, 204, 400, 401, 403, 405, 408, 413, 415, 429, 503:
		default:
			t.Fatalf("%s: status %d\n%.500s", v.name, res.StatusCode, w.Body.Bytes())
		}
		if res.StatusCode == 204 {
			return
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: Content-Type %q", v.name, ct)
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s: no X-Request-Id", v.name)
		}
		out := w.Body.Bytes()
		if len(out) > 8<<20 {
			t.Fatalf("%s: a %d-byte answer", v.name, len(out))
		}
		var g struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(out, &g); err != nil {
			t.Fatalf("%s: the answer is not JSON: %v\n%.500s", v.name, err, out)
		}
		if len(g.Errors) == 0 && (len(g.Data) == 0 || string(g.Data) == "null") {
			t.Fatalf("%s: neither data nor errors: %.500s", v.name, out)
		}
		for _, e := range g.Errors {
			if c, _ := e.Extensions["code"].(string); !knownCodes[c] {
				t.Fatalf("%s: error without a known code: %+v", v.name, e)
			}
			if len(e.Message) > 520 {
				t.Fatalf("%s: a %d-byte message", v.name, len(e.Message))
			}
		}
		if res.StatusCode != 200 && len(g.Errors) == 0 {
			t.Fatalf("%s: status %d without an error", v.name, res.StatusCode)
		}
	})
}
