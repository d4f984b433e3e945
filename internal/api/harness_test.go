package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/seed"
)

// The keys of a keyed harness, by role.
const (
	readerName = "ana-reader"
	editorName = "ed-editor"
	adminName  = "root-admin"
)

// harness is a server on a seeded embedded store, configured for one test.
type harness struct {
	srv  *httptest.Server
	h    http.Handler
	svc  *service.Service
	keys map[service.Role]string // the key of each role, when keyed
	logs *syncBuffer
}

type harnessOpts struct {
	keyed bool
	cfg   func(*api.Config)
	wrap  func(store.Store) store.Store
}

func keyed(o *harnessOpts) { o.keyed = true }

func withConfig(f func(*api.Config)) func(*harnessOpts) {
	return func(o *harnessOpts) { o.cfg = f }
}

func withStore(f func(store.Store) store.Store) func(*harnessOpts) {
	return func(o *harnessOpts) { o.wrap = f }
}

func withLimits(l api.Limits) func(*harnessOpts) {
	return withConfig(func(c *api.Config) { c.Limits = l })
}

func newHarness(t *testing.T, opts ...func(*harnessOpts)) *harness {
	t.Helper()
	var o harnessOpts
	for _, f := range opts {
		f(&o)
	}
	s := backends["embedded"](t)
	if o.wrap != nil {
		s = o.wrap(s)
	}
	svc := service.New(s, risk.DefaultModel())
	if _, err := seed.Apply(t.Context(), svc); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return newHarnessOn(t, svc, o)
}

func newHarnessOn(t testing.TB, svc *service.Service, o harnessOpts) *harness {
	t.Helper()
	h := &harness{svc: svc, logs: &syncBuffer{}, keys: map[service.Role]string{}}
	cfg := api.Config{Service: svc, Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if o.keyed {
		var ks []api.Key
		for role, name := range map[service.Role]string{service.RoleReader: readerName, service.RoleEditor: editorName, service.RoleAdmin: adminName} {
			key, err := api.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			h.keys[role] = key
			k, _, err := api.ParseKeyLine(api.KeyLine(name, role, api.HashKey(key)))
			if err != nil {
				t.Fatal(err)
			}
			ks = append(ks, k)
		}
		keys, err := api.NewKeys(ks...)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Keys = keys
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	h.h = api.New(cfg)
	h.srv = httptest.NewServer(h.h)
	t.Cleanup(h.srv.Close)
	return h
}

// req is one HTTP request of a test.
type req struct {
	method, path, ctype, auth, host, origin string
	body                                    []byte
	header                                  map[string]string
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	gql    gqlResponse
}

func (a answer) code() string { return a.gql.code() }

func (a answer) reason() string {
	if len(a.gql.Errors) == 0 {
		return ""
	}
	r, _ := a.gql.Errors[0].Extensions["reason"].(string)
	return r
}

// send makes a request; a JSON answer is decoded into gql.
func (h *harness) send(t testing.TB, r req) answer {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.path == "" {
		r.path = "/graphql"
	}
	hr, err := http.NewRequestWithContext(t.Context(), r.method, h.srv.URL+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	if r.auth != "" {
		hr.Header.Set("Authorization", r.auth)
	}
	if r.origin != "" {
		hr.Header.Set("Origin", r.origin)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.host != "" {
		hr.Host = r.host
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && r.method != http.MethodHead {
		if err := json.Unmarshal(raw, &a.gql); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%.300s", r.method, r.path, err, raw)
		}
	}
	return a
}

// query POSTs a GraphQL request as JSON with the key of role (none when 0).
func (h *harness) query(t testing.TB, role service.Role, query string, vars map[string]any) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	r := req{ctype: "application/json", body: body}
	if role != 0 {
		r.auth = "Bearer " + h.keys[role]
	}
	return h.send(t, r)
}

// mustOK fails unless the answer is a 200 without errors.
func (a answer) mustOK(t testing.TB) answer {
	t.Helper()
	if a.status != http.StatusOK || len(a.gql.Errors) > 0 {
		t.Fatalf("status %d, errors %+v; want 200 and no error\n%.300s", a.status, a.gql.Errors, a.raw)
	}
	return a
}

// refused fails unless the answer has this status, code and (when not empty) reason.
func (a answer) refused(t testing.TB, status int, code, reason string) answer {
	t.Helper()
	if a.status != status || a.code() != code || (reason != "" && a.reason() != reason) {
		t.Fatalf("status %d, code %q, reason %q (%.300s); want %d %s %s", a.status, a.code(), a.reason(), a.raw, status, code, reason)
	}
	return a
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
