package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/benchutil"
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
	"riskgraph/seed"
)

// benchQuery posts one query to the full HTTP handler (limits, parsing, resolvers, store) on
// the seeded embedded store and reports latency percentiles over all iterations.
func benchQuery(b *testing.B, query string) {
	s, err := embedded.Open(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	defer svc.Close()
	if _, err := seed.Apply(context.Background(), svc); err != nil {
		b.Fatal(err)
	}
	h := api.New(api.Config{Service: svc, Limits: api.Limits{RatePerSecond: -1}}) // measure the handler, not the rate limiter
	body := []byte(`{"query":` + query + `}`)
	var lat benchutil.Latencies
	for b.Loop() {
		lat.Time(func() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Host = "localhost" // the default Host allowlist is the loopback names
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
				out, _ := io.ReadAll(w.Body)
				b.Fatalf("status %d: %s", w.Code, out)
			}
		})
	}
	lat.Report(b)
}

func BenchmarkEntityQuery(b *testing.B) {
	benchQuery(b, `"{ entity(id: \"vendor:kaspersky-lab\") { id name kind aliases validFrom sources { excerpt source { name } } } }"`)
}

func BenchmarkSearchQuery(b *testing.B) {
	benchQuery(b, `"{ search(text: \"kaspersky anti\") { edges { node { id name kind } score } } }"`)
}

func BenchmarkExposureQuery(b *testing.B) {
	benchQuery(b, `"{ exposure(entityId: \"retailer:best-buy\", dimension: FOREIGN_INFLUENCE, asOf: \"2017-09-01\") { score topPaths { steps { from { name } type } } } }"`)
}

// BenchmarkNested3Embedded100k runs the peer benchmark's nested3 shape through the whole HTTP
// handler on the embedded store holding the 100k/500k synthetic graph, one caller at a time,
// on random vendors. The store answers from memory, so its ns/op and allocs/op are mostly the
// GraphQL layer's: the part of BenchmarkNested3Neo4j100k that riskgraph, not Neo4j, spends.
func BenchmarkNested3Embedded100k(b *testing.B) {
	s, err := embedded.Open(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	defer svc.Close()
	g := synth.Generate(synth.Config{Entities: 100_000, Relationships: 500_000, Seed: 1, SignalRate: 0.05})
	if _, err := store.Check(s).Load(context.Background(), g, "bench", store.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	var vendors []string
	for _, e := range g.Entities {
		if e.Kind == kg.KindVendor {
			vendors = append(vendors, e.ID)
		}
	}
	g = kg.Batch{}
	runtime.GC()
	h := api.New(api.Config{Service: svc, Limits: api.Limits{RatePerSecond: -1}})
	rng := rand.New(rand.NewPCG(1, 2))
	var lat benchutil.Latencies
	b.ReportAllocs()
	for b.Loop() {
		body, _ := json.Marshal(map[string]any{"query": nested3, "variables": map[string]any{"id": vendors[rng.IntN(len(vendors))]}})
		lat.Time(func() {
			if w := serve(h, body); w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
				b.Fatalf("status %d: %.300s", w.Code, w.Body.Bytes())
			}
		})
	}
	lat.Report(b)
}

// serve posts one GraphQL request body to h, as a local client would.
func serve(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Host = "localhost" // the default Host allowlist is the loopback names
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}
