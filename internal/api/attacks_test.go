package api_test

// One test per row of issue 12's table of attacks: what was sent, and what must happen now.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"riskgraph/internal/api"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
)

// guard is how long a test waits for an answer that must come at once: not a timing
// assertion (the answers take milliseconds), a bound on a test that would otherwise hang.
const guard = 20 * time.Second

// Row: any mutation, no credentials → accepted. Now: 401 UNAUTHENTICATED, nothing written.
func TestAttackMutationWithoutCredentials(t *testing.T) {
	h := newHarness(t, keyed)
	up := `mutation { upsertEntities(input: [{id: "vendor:intruder", kind: Vendor, name: "Intruder"}]) { created } }`
	body, _ := json.Marshal(map[string]string{"query": up})
	for name, auth := range map[string]string{
		"no header":     "",
		"unknown key":   "Bearer " + api.KeyPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"empty bearer":  "Bearer ",
		"basic":         "Basic dXNlcjpwYXNz",
		"key as scheme": h.keys[service.RoleAdmin],
	} {
		t.Run(name, func(t *testing.T) {
			a := h.send(t, req{ctype: "application/json", auth: auth, body: body}).refused(t, http.StatusUnauthorized, "UNAUTHENTICATED", "")
			if a.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Both kinds of refusal read the same: nothing tells a wrong key from a missing one.
	a := h.send(t, req{ctype: "application/json", body: body})
	b := h.send(t, req{ctype: "application/json", auth: "Bearer rgk_wrong", body: body})
	if a.gql.Errors[0].Message != b.gql.Errors[0].Message {
		t.Errorf("missing and wrong keys are told apart: %q, %q", a.gql.Errors[0].Message, b.gql.Errors[0].Message)
	}
	h.query(t, service.RoleReader, `{ entity(id: "vendor:intruder") { id } }`, nil).refused(t, http.StatusOK, "NOT_FOUND", "")
}

// Row: Host: attacker.example was served (DNS rebinding reaches a loopback instance). Now:
// 403 with a code, on every route but the probes. (The refusal to listen beyond loopback
// without keys is TestLocalModeRefusesNonLoopback in internal/cli.)
func TestAttackForeignHostHeader(t *testing.T) {
	h := newHarness(t)
	q := []byte(`{"query":"{ __typename }"}`)
	for _, host := range []string{"attacker.example", "attacker.example:8080", "127.0.0.1.attacker.example", "localhost.evil"} {
		for _, path := range []string{"/graphql", "/metrics"} {
			h.send(t, req{host: host, path: path, ctype: "application/json", body: q}).refused(t, http.StatusForbidden, "FORBIDDEN", "HOST_NOT_ALLOWED")
		}
	}
	for _, host := range []string{"localhost", "localhost:8080", "LOCALHOST:1", "127.0.0.1:9", "[::1]:8080", "[::1]"} {
		h.send(t, req{host: host, ctype: "application/json", body: q}).mustOK(t)
	}
	if a := h.send(t, req{method: "GET", path: "/healthz", host: "10.1.2.3:8080"}); a.status != 200 {
		t.Errorf("/healthz by another name: %d; probes answer any Host", a.status)
	}
	any := newHarness(t, withConfig(func(c *api.Config) { c.AllowedHosts = []string{"*"} }))
	any.send(t, req{host: "attacker.example", ctype: "application/json", body: q}).mustOK(t)
	named := newHarness(t, withConfig(func(c *api.Config) {
		c.AllowedHosts = []string{"riskgraph.example.org", "*.internal.example", "gw.example:8443"}
	}))
	for host, ok := range map[string]bool{"riskgraph.example.org:443": true, "a.internal.example": true, "gw.example:8443": true,
		"gw.example:8444": false, "localhost": false, "internal.example": false} {
		a := named.send(t, req{host: host, ctype: "application/json", body: q})
		if (a.status == 200) != ok {
			t.Errorf("Host %s: status %d, want allowed=%v", host, a.status, ok)
		}
	}
}

// fragmentBomb is n fragments, each spreading the next twice: 2^n fields once expanded.
func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ...f0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment f%d on Query { ...f%d ...f%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment f%d on Query { __typename }\n", n)
	return b.String()
}

// postGuarded posts a query with a client that gives up after guard.
func postGuarded(t *testing.T, h *harness, query string) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"query": query})
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+"/graphql", strings.NewReader(string(body)))
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("no answer within %s: %v", guard, err)
	}
	defer resp.Body.Close()
	var a answer
	a.status, a.header = resp.StatusCode, resp.Header
	if err := json.NewDecoder(resp.Body).Decode(&a.gql); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return a
}

// Row: 965-byte query, 22 fragments each spreading the next twice → 4.1 s of CPU. Now: the
// gate walks each fragment once and stops at the first limit.
func TestAttackFragmentBomb(t *testing.T) {
	h := newHarness(t)
	for _, n := range []int{22, 40} {
		a := postGuarded(t, h, fragmentBomb(n))
		if a.status != http.StatusBadRequest || a.code() != "LIMIT_EXCEEDED" || (a.reason() != "FRAGMENT_SPREADS" && a.reason() != "SELECTIONS") {
			t.Errorf("%d nested fragments: %d %+v; want 400 LIMIT_EXCEEDED for spreads or selections", n, a.status, a.gql.Errors)
		}
	}
}

// Row: { __typename × 8,000 } → 6.7 s in validation; × 80,000 kept goroutines validating.
// Now: refused before validation, by the selection limit and the token limit.
func TestAttackTypenameFlood(t *testing.T) {
	h := newHarness(t)
	for n, reason := range map[int]string{8000: "SELECTIONS", 80000: "TOKENS"} {
		a := postGuarded(t, h, "{ "+strings.Repeat("__typename ", n)+"}")
		if a.status != http.StatusBadRequest || a.code() != "LIMIT_EXCEEDED" || a.reason() != reason {
			t.Errorf("%d × __typename: %d %+v; want 400 LIMIT_EXCEEDED (%s)", n, a.status, a.gql.Errors, reason)
		}
	}
}

// Row: __schema with 1,000 aliases of types → 33 MB answer, 768 MB RSS. Now introspection
// is counted like any query: refused by the alias limit, and by cost when aliases are few.
func TestAttackIntrospectionAliases(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString("{ __schema { ")
	for i := range 1000 {
		fmt.Fprintf(&b, "a%d: types { name fields { name type { name } } } ", i)
	}
	b.WriteString("} }")
	a := postGuarded(t, h, b.String())
	if a.code() != "LIMIT_EXCEEDED" || a.reason() != "ALIASES" {
		t.Errorf("1,000 aliased __schema.types: %+v; want LIMIT_EXCEEDED (ALIASES)", a.gql.Errors)
	}
	// Thirty aliases pass the alias limit; the whole schema's fields thirty times is too costly.
	b.Reset()
	b.WriteString("{ __schema { ")
	for i := range 30 {
		fmt.Fprintf(&b, "a%d: types { name fields { name args { name type { name ofType { name } } } type { name ofType { name ofType { name } } } } } ", i)
	}
	b.WriteString("} }")
	a = postGuarded(t, h, b.String())
	if a.code() != "LIMIT_EXCEEDED" || a.reason() != "COMPLEXITY" {
		t.Errorf("30 aliased __schema.types with their fields: %+v; want LIMIT_EXCEEDED (COMPLEXITY)", a.gql.Errors)
	}
}

var cacheEntries = regexp.MustCompile(`(?m)^riskgraph_query_cache_entries (\d+)`)

func queryCacheEntries(t *testing.T, h *harness) int {
	t.Helper()
	a := h.send(t, req{method: "GET", path: "/metrics"})
	m := cacheEntries.FindSubmatch(a.raw)
	if m == nil {
		t.Fatalf("/metrics has no riskgraph_query_cache_entries")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// Row: 20 distinct 889 KB queries of 50,000 aliases, each refused, yet the query cache kept
// them all (heap 7 → 549 MB). Now: refused by the token limit before parsing ends, and
// nothing refused reaches the cache.
func TestAttackCacheKeepsRefusedDocuments(t *testing.T) {
	h := newHarness(t)
	for i := range 20 {
		var b strings.Builder
		b.WriteString("{ ")
		for j := range 50000 {
			fmt.Fprintf(&b, "q%d_%d: __typename ", i, j)
		}
		b.WriteString("}")
		a := postGuarded(t, h, b.String())
		if a.code() != "LIMIT_EXCEEDED" {
			t.Fatalf("query %d of 50,000 aliases: %+v; want LIMIT_EXCEEDED", i, a.gql.Errors)
		}
	}
	// Refused by the alias limit after parsing, and by cost after validation: not kept either.
	postGuarded(t, h, "{ "+strings.Repeat("x: __typename ", 0)+aliases(31)+" }")
	postGuarded(t, h, `{ entities(first: 1000) { edges { node { relationships(first: 1000) { edges { node { id } } } } } } }`)
	if n := queryCacheEntries(t, h); n != 0 {
		t.Fatalf("the query cache holds %d documents after refusals only; want 0", n)
	}
	h.query(t, 0, `{ entity(id: "vendor:kaspersky-lab") { id } }`, nil).mustOK(t)
	if n := queryCacheEntries(t, h); n != 1 {
		t.Errorf("the query cache holds %d documents after one accepted query; want 1", n)
	}
}

func aliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: __typename ", i)
	}
	return b.String()
}

// Row: an upsert whose name is 150,000 distinct words (830 KB) → 503 after 10 s, but
// committed. Now: refused at once with a code, nothing written.
func TestAttackHugeName(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	for i := range 150000 {
		fmt.Fprintf(&b, "w%d ", i)
	}
	vars := map[string]any{"in": []map[string]any{{"id": "vendor:huge-name", "kind": "Vendor", "name": b.String()}}}
	a := h.query(t, 0, `mutation($in: [EntityInput!]!) { upsertEntities(input: $in) { created } }`, vars)
	if c := a.code(); c != "INVALID_INPUT" && c != "LIMIT_EXCEEDED" {
		t.Fatalf("an 830 KB name: status %d, %+v; want INVALID_INPUT or LIMIT_EXCEEDED", a.status, a.gql.Errors)
	}
	if len(a.raw) > 4096 {
		t.Errorf("the refusal is %d bytes: it echoes the name", len(a.raw))
	}
	h.query(t, 0, `{ entity(id: "vendor:huge-name") { id } }`, nil).refused(t, http.StatusOK, "NOT_FOUND", "")
}

// stallingStore blocks Paths until the request's context ends, and records that it did.
type stallingStore struct {
	store.Store
	entered  chan struct{}
	returned atomic.Bool
}

func (s *stallingStore) Paths(ctx context.Context, q store.PathQuery) ([]store.Path, error) {
	s.entered <- struct{}{}
	<-ctx.Done()
	s.returned.Store(true)
	return nil, ctx.Err()
}

// Row: a paths query past --timeout → 503 sent, but 13 s more CPU spent after it. Now the
// request's context ends at its deadline, the path search sees it, and the answer (coded,
// saying why) comes only once the search has stopped.
func TestAttackSlowPaths(t *testing.T) {
	st := &stallingStore{entered: make(chan struct{}, 1)}
	h := newHarness(t, withLimits(api.Limits{Timeout: 200 * time.Millisecond}),
		withStore(func(s store.Store) store.Store { st.Store = s; return st }))
	a := postGuarded(t, h, `{ paths(fromId: "retailer:best-buy", toId: "government:russian-federation", maxHops: 6) { length } }`)
	<-st.entered
	if !st.returned.Load() {
		t.Error("the answer was sent while the path search still ran")
	}
	if a.code() != "UNAVAILABLE" || a.reason() != "DEADLINE_EXCEEDED" || !strings.Contains(a.gql.Errors[0].Message, "time limit") {
		t.Errorf("paths past the deadline: %d %+v; want UNAVAILABLE (DEADLINE_EXCEEDED) saying so", a.status, a.gql.Errors)
	}
}

// lateStore commits a write only after the request's deadline has passed, as a store does
// when the commit was already under way.
type lateStore struct {
	store.Store
	armed atomic.Bool // after seeding
}

func (s *lateStore) Apply(ctx context.Context, b kg.Batch, by string) (store.WriteResult, error) {
	if s.armed.Load() {
		<-ctx.Done()
		ctx = context.WithoutCancel(ctx)
	}
	return s.Store.Apply(ctx, b, by)
}

// Row: a timed-out write still commits (and the client was told 503). Now the handler
// writes the real answer: a write that committed says so.
func TestAttackTimedOutWrite(t *testing.T) {
	ls := &lateStore{}
	h := newHarness(t, withLimits(api.Limits{Timeout: 100 * time.Millisecond}),
		withStore(func(s store.Store) store.Store { ls.Store = s; return ls }))
	ls.armed.Store(true)
	a := postGuarded(t, h, `mutation { upsertEntities(input: [{id: "vendor:late", kind: Vendor, name: "Late"}]) { created } }`)
	ls.armed.Store(false)
	committed := h.query(t, 0, `{ entity(id: "vendor:late") { id } }`, nil).code() == ""
	said := strings.Contains(string(a.gql.Data), "vendor:late")
	if !committed {
		t.Fatal("the late store did not commit: the test tests nothing")
	}
	if committed != said {
		t.Errorf("write past the deadline: committed=%v, the answer says %s %+v", committed, a.gql.Data, a.gql.Errors)
	}
}

// Row: POST with Content-Length: 100 and one byte sent → connection held forever. Now the
// body must arrive within the request's deadline; the answer is a coded 408.
func TestAttackContentLengthLie(t *testing.T) {
	h := newHarness(t, withLimits(api.Limits{Timeout: 300 * time.Millisecond}))
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(guard))
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a body that never arrives: %v", err)
	}
	defer resp.Body.Close()
	var g gqlResponse
	json.NewDecoder(resp.Body).Decode(&g)
	if resp.StatusCode != http.StatusRequestTimeout || g.code() != "LIMIT_EXCEEDED" {
		t.Errorf("body cut off: %d %+v; want 408 LIMIT_EXCEEDED", resp.StatusCode, g.Errors)
	}
}

// Row: invalid JSON body of 1 MB → the error message echoes the whole body. Now the
// message says where the JSON broke, and quotes nothing.
func TestAttackInvalidJSONIsNotEchoed(t *testing.T) {
	h := newHarness(t)
	secret := strings.Repeat("SECRET-", 1000)
	bodies := map[string]string{
		"unterminated":  `{"query": "` + strings.Repeat("A", 1_000_000),
		"garbage":       strings.Repeat("<html>", 160000),
		"wrong type":    `{"query": ["` + secret + `"]}`,
		"two values":    `{"query": "{ __typename }"} {"query": "` + secret + `"}`,
		"not an object": `"` + secret + `"`,
		"bad variables": `{"query": "{ __typename }", "variables": "` + secret + `"}`,
		"empty":         ``,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			a := h.send(t, req{ctype: "application/json", body: []byte(body)}).refused(t, http.StatusBadRequest, "INVALID_INPUT", "BAD_REQUEST_JSON")
			if len(a.raw) > 1024 || strings.Contains(string(a.raw), "AAAA") || strings.Contains(string(a.raw), "SECRET") || strings.Contains(string(a.raw), "<html>") {
				t.Errorf("the answer quotes the body (%d bytes): %.200s", len(a.raw), a.raw)
			}
		})
	}
}

// Row: wrong content type, PUT, GET with a mutation → errors without extensions.code.
func TestAttackTransportErrorsHaveCodes(t *testing.T) {
	h := newHarness(t)
	q := []byte(`{"query":"{ __typename }"}`)
	mut := `mutation { retract(ids: ["vendor:kaspersky-lab"], on: "2030-01-01") { updated } }`
	tests := []struct {
		name   string
		r      req
		status int
		reason string
	}{
		{"text/plain", req{ctype: "text/plain", body: q}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"form", req{ctype: "application/x-www-form-urlencoded", body: []byte("query=%7B__typename%7D")}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"multipart", req{ctype: "multipart/form-data; boundary=x", body: q}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"no content type", req{body: q}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"bad content type", req{ctype: ";;;", body: q}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PUT", req{method: "PUT", ctype: "application/json", body: q}, 405, "METHOD_NOT_ALLOWED"},
		{"DELETE", req{method: "DELETE"}, 405, "METHOD_NOT_ALLOWED"},
		{"PATCH", req{method: "PATCH", ctype: "application/json", body: q}, 405, "METHOD_NOT_ALLOWED"},
		{"HEAD", req{method: "HEAD"}, 405, ""},
		{"GET mutation", req{method: "GET", path: "/graphql?query=" + urlQuery(mut)}, 405, "METHOD_NOT_ALLOWED"},
		{"GET bad variables", req{method: "GET", path: "/graphql?query=%7B__typename%7D&variables=%7Bnope"}, 400, "BAD_REQUEST_JSON"},
		{"GET no query", req{method: "GET", path: "/graphql"}, 400, ""},
		{"POST no query", req{ctype: "application/json", body: []byte(`{}`)}, 400, ""},
		{"oversized", req{ctype: "application/json", body: []byte(`{"query":"` + strings.Repeat(" ", 2<<20) + `"}`)}, 413, "BODY_TOO_LARGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := h.send(t, tc.r)
			if a.status != tc.status {
				t.Errorf("status %d, want %d (%.200s)", a.status, tc.status, a.raw)
			}
			if tc.r.method == "HEAD" {
				return // no body
			}
			if a.code() == "" || (tc.reason != "" && a.reason() != tc.reason) {
				t.Errorf("errors %+v; want a code (reason %s)", a.gql.Errors, tc.reason)
			}
		})
	}
	if a := h.query(t, 0, `{ entity(id: "vendor:kaspersky-lab") { validTo } }`, nil).mustOK(t); strings.Contains(string(a.gql.Data), "2030-01-01") {
		t.Error("a GET mutation was run")
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "%20", "{", "%7B", "}", "%7D", "\"", "%22", "[", "%5B", "]", "%5D", ":", "%3A", ",", "%2C")
	return r.Replace(s)
}

// Row: asOf: "9999-12-31" → daysUntilDue is −106751 for every obligation (overflow).
func TestAttackFarFutureDate(t *testing.T) {
	h := newHarness(t)
	a := h.query(t, 0, `{ entity(id: "directive:bod-17-01", asOf: "9999-12-31") { obligations { due daysUntilDue } } }`, nil)
	var got struct {
		Entity *struct {
			Obligations []struct {
				Due          string
				DaysUntilDue int
			}
		}
	}
	json.Unmarshal(a.gql.Data, &got)
	if got.Entity == nil {
		// The directive may have ended before 9999: then it is NOT_FOUND, which is fine.
		if a.code() != "NOT_FOUND" {
			t.Fatalf("asOf 9999-12-31: %s %+v", a.gql.Data, a.gql.Errors)
		}
		return
	}
	for _, o := range got.Entity.Obligations {
		due, err := time.Parse(time.DateOnly, o.Due)
		if err != nil {
			t.Fatal(err)
		}
		want := -int((time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix() - due.Unix()) / 86400) // Duration overflows here
		if o.DaysUntilDue >= 0 || o.DaysUntilDue == -106751 || abs(o.DaysUntilDue-want) > 1 {
			t.Errorf("obligation due %s, as of 9999-12-31: daysUntilDue %d, want about %d", o.Due, o.DaysUntilDue, want)
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// gatedSnapshots blocks whole-graph reads until released.
type gatedSnapshots struct {
	store.Store
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *gatedSnapshots) Snapshot(ctx context.Context, at store.At) (kg.Snapshot, error) {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return s.Store.Snapshot(ctx, at)
}

// Row: two callers of a ranking, the first one cancelled → the second gets "context
// deadline exceeded" as UNAVAILABLE. Now the shared pass runs under its own context.
func TestAttackCancelledRankingCaller(t *testing.T) {
	gs := &gatedSnapshots{entered: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, withStore(func(s store.Store) store.Store { gs.Store = s; return gs }))
	q, _ := json.Marshal(map[string]string{"query": `{ riskRanking(dimension: FOREIGN_INFLUENCE, asOf: "2017-10-01", first: 3) { edges { node { id } score } } }`})
	first, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		hr, _ := http.NewRequestWithContext(first, http.MethodPost, h.srv.URL+"/graphql", strings.NewReader(string(q)))
		hr.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(hr); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-gs.entered:
	case <-time.After(guard):
		t.Fatal("the first ranking never read the graph")
	}
	second := make(chan answer, 1)
	go func() { second <- h.send(t, req{ctype: "application/json", body: q}) }()
	time.Sleep(50 * time.Millisecond) // let the second caller join the pass in flight
	cancel()
	<-done
	close(gs.release)
	select {
	case a := <-second:
		a.mustOK(t)
	case <-time.After(guard):
		t.Fatal("the second ranking got no answer")
	}
}
