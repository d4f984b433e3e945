package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/benchutil"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
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
