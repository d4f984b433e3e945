// Package api owns riskgraph's HTTP surface: the GraphQL endpoint with its limits, transports
// and error codes, the playground, health and readiness probes, and Prometheus metrics.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"

	"riskgraph/graph"
	"riskgraph/graph/model"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
	"riskgraph/resolvers"
)

// Limits bound what one request may ask for.
type Limits struct {
	MaxBodyBytes  int64         // request body; default 1 MiB
	MaxDepth      int           // selection nesting; default 12
	MaxAliases    int           // aliases per operation; default 30
	MaxComplexity int           // gqlgen complexity, lists weighted by their page size; default 50000
	Timeout       time.Duration // per request; default 10 s
}

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 1 << 20
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = 12
	}
	if l.MaxAliases == 0 {
		l.MaxAliases = 30
	}
	if l.MaxComplexity == 0 {
		l.MaxComplexity = 50000
	}
	if l.Timeout == 0 {
		l.Timeout = 10 * time.Second
	}
	return l
}

// Config is what New needs.
type Config struct {
	// Service answers every request; its store is what /readyz pings.
	Service *service.Service
	Log     *slog.Logger
	Limits  Limits
	// Registry receives the metrics; a fresh one is made when nil.
	Registry *prometheus.Registry
	// Playground serves the pages under /; nothing is served there when nil.
	Playground http.Handler
}

// New returns the riskgraph HTTP handler: /graphql, the playground at /, /healthz, /readyz, /metrics.
func New(cfg Config) http.Handler {
	lim := cfg.Limits.withDefaults()
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := newMetrics(reg)

	gql := newGraphQL(cfg.Service, log, lim, m)
	mux := http.NewServeMux()
	mux.Handle("/graphql", limitBody(lim.MaxBodyBytes, http.TimeoutHandler(gql, lim.Timeout,
		`{"errors":[{"message":"the request took too long","extensions":{"code":"UNAVAILABLE"}}]}`)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Service.Ping(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "store unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.Playground != nil {
		mux.Handle("/", cfg.Playground)
	}
	return mux
}

func newGraphQL(svc *service.Service, log *slog.Logger, lim Limits, m *metrics) http.Handler {
	cfg := graph.Config{Resolvers: &resolvers.Resolver{Service: svc}}
	weighComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(shapeLimit{MaxDepth: lim.MaxDepth, MaxAliases: lim.MaxAliases})
	srv.Use(extension.FixedComplexityLimit(lim.MaxComplexity))
	srv.SetErrorPresenter(resolvers.ErrorPresenter(log))
	srv.SetRecoverFunc(resolvers.RecoverFunc(log))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(resolvers.WithLoaders(ctx, svc))
	})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := m.observe(ctx, next)
		if resp != nil {
			resolvers.NormalizeCodes(resp.Errors)
		}
		return resp
	})
	return srv
}

// weighComplexity makes list fields cost their page size times their children.
func weighComplexity(c *graph.ComplexityRoot) {
	page := func(first *int) int {
		if first == nil || *first < 1 {
			return service.DefaultFirst
		}
		return *first
	}
	c.Query.Entities = func(child int, _ *kg.Kind, _ *model.EntityFilter, _ *kg.Date, first *int, _ *string) int {
		return 1 + page(first)*child
	}
	c.Query.Search = func(child int, _ string, _ []kg.Kind, _ *kg.Date, first *int, _ *string) int {
		return 1 + page(first)*child
	}
	c.Query.Paths = func(child int, _, _ string, hops *int, _ []kg.RelType, _ *kg.Date, first *int) int {
		n := service.DefaultPathFirst
		if first != nil {
			n = *first
		}
		return 1 + n*child
	}
	c.Entity.Relationships = func(child int, _ *kg.Direction, _ []kg.RelType, _ *kg.Date, first *int, _ *string) int {
		return 1 + page(first)*child
	}
}

func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"errors": []map[string]any{{
				"message": "the request body is larger than the limit", "extensions": map[string]string{"code": "LIMIT_EXCEEDED"}}}})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		slog.Default().Debug("write response", "err", err)
	}
}
