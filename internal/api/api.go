// Package api owns riskgraph's HTTP surface: the GraphQL endpoint with its keys and roles,
// its limits (checked before validation), deadlines, rate limits, transports and error
// codes; the playground; health and readiness probes; and Prometheus metrics.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"riskgraph/graph"
	"riskgraph/internal/service"
	"riskgraph/resolvers"
)

// Limits bound what one request may ask for. A zero field takes its default.
type Limits struct {
	MaxBodyBytes          int64         // request body; default 1 MiB
	MaxTokens             int           // parser tokens of a query; default 20,000
	MaxDepth              int           // selection nesting; default 12
	MaxIntrospectionDepth int           // nesting under __schema and __type; default 20 (GraphiQL's query nests 15)
	MaxAliases            int           // aliases per document, fragments counted at each spread; default 30
	MaxSelections         int           // fields per document, fragments counted at each spread; default 1,000
	MaxFragmentSpreads    int           // fragment spreads per document, nested ones as they expand; default 100
	MaxNameLength         int           // bytes of any name in a query; default 128
	MaxComplexity         int           // cost: lists weigh their page size, computing fields their work; default 100,000
	Timeout               time.Duration // per request, body read included; default 10 s
	RatePerSecond         float64       // requests per second per key (per address for local callers); default 50; negative: no limit
	RateBurst             int           // requests a key may make at once above its rate; default 100
	MaxExpensive          int           // slots for expensive operations at once; default max(4, GOMAXPROCS)
	ExpensiveWait         time.Duration // how long an expensive operation waits for a slot; default 1 s
	MaxInFlight           int           // operations executing at once, cheap ones included; default 32
	InFlightWait          time.Duration // how long an operation waits for one of those; default 1 s
	QueryCacheBytes       int64         // parsed queries kept (charged 16 bytes per source byte); default 64 MiB
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 1 << 20
	}
	def(&l.MaxTokens, 20000)
	def(&l.MaxDepth, 12)
	def(&l.MaxIntrospectionDepth, 20)
	def(&l.MaxAliases, 30)
	def(&l.MaxSelections, 1000)
	def(&l.MaxFragmentSpreads, 100)
	def(&l.MaxNameLength, 128)
	def(&l.MaxComplexity, 100000)
	def(&l.RateBurst, 100)
	def(&l.MaxExpensive, max(4, runtime.GOMAXPROCS(0)))
	def(&l.MaxInFlight, 32)
	if l.InFlightWait == 0 {
		l.InFlightWait = time.Second
	}
	if l.Timeout == 0 {
		l.Timeout = 10 * time.Second
	}
	if l.RatePerSecond == 0 {
		l.RatePerSecond = 50
	}
	if l.ExpensiveWait == 0 {
		l.ExpensiveWait = time.Second
	}
	if l.QueryCacheBytes == 0 {
		l.QueryCacheBytes = 64 << 20
	}
	return l
}

// Introspection says who may introspect the schema (__schema, __type).
type Introspection string

// Introspection policies.
const (
	IntrospectionAll   Introspection = "all"   // everyone (the default)
	IntrospectionAdmin Introspection = "admin" // admin keys and local callers
	IntrospectionOff   Introspection = "off"   // nobody
)

// ParseIntrospection reads an introspection policy: all, admin or off.
func ParseIntrospection(s string) (Introspection, error) {
	switch p := Introspection(s); p {
	case IntrospectionAll, IntrospectionAdmin, IntrospectionOff:
		return p, nil
	case "":
		return IntrospectionAll, nil
	}
	return "", fmt.Errorf("introspection %q: want all, admin or off", s)
}

// Config is what New needs. The zero values of the access fields mean local mode: no keys,
// loopback host names only, no CORS, introspection for all.
type Config struct {
	// Service answers every request; its store is what /readyz pings.
	Service *service.Service
	Log     *slog.Logger
	Limits  Limits
	// Registry receives the metrics; a fresh one is made when nil.
	Registry *prometheus.Registry
	// Playground serves the pages under /; nothing is served there when nil.
	Playground http.Handler

	// Keys are the API keys /graphql and /metrics ask for; none (nil) is local mode, where
	// nobody is asked for a key and every caller may do everything.
	Keys *Keys
	// AllowedHosts are the Host header values served: names (any port), host:port,
	// *.domain, or "*" for any; DefaultAllowedHosts (loopback names) when empty.
	AllowedHosts []string
	// CORSOrigins are the origins (scheme://host[:port], or "*") whose pages may call
	// /graphql; none: CORS is off and cross-origin requests are refused.
	CORSOrigins []string
	// Introspection says who may introspect; IntrospectionAll when empty.
	Introspection Introspection
}

// Validate reports the first access setting that does not parse.
func (c Config) Validate() error {
	if c.Service == nil {
		return fmt.Errorf("api: no service")
	}
	if _, err := parseHosts(c.AllowedHosts); err != nil {
		return err
	}
	if _, err := parseOrigins(c.CORSOrigins); err != nil {
		return err
	}
	_, err := ParseIntrospection(string(c.Introspection))
	return err
}

// ValidateHosts reports whether entries can be Config.AllowedHosts.
func ValidateHosts(entries []string) error {
	_, err := parseHosts(entries)
	return err
}

// ValidateOrigins reports whether entries can be Config.CORSOrigins.
func ValidateOrigins(entries []string) error {
	_, err := parseOrigins(entries)
	return err
}

// New returns the riskgraph HTTP handler: /graphql, the playground at / and the explorer at
// /explore, /healthz, /readyz, /metrics. It panics on a Config that does not Validate.
func New(cfg Config) http.Handler {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("api.New: %v", err))
	}
	lim := cfg.Limits.withDefaults()
	base := cfg.Log
	if base == nil {
		base = slog.Default()
	}
	log := slog.New(requestIDs{base.Handler()})
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	hosts, _ := parseHosts(cfg.AllowedHosts) // validated
	cors, _ := parseOrigins(cfg.CORSOrigins) // validated
	intro, _ := ParseIntrospection(string(cfg.Introspection))

	docs := newByteCache(lim.QueryCacheBytes, docCost)
	m := newMetrics(reg, docs)
	gql := newGraphQL(cfg.Service, log, lim, intro, docs, m)

	var api http.Handler = gql
	api = deadline(lim.Timeout, api)
	api = newRateLimiter(lim.RatePerSecond, lim.RateBurst).wrap(api)
	api = logMutations(log, api)
	api = authenticate(cfg.Keys, log, api)
	api = cors.wrap(api)

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
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
	mux.Handle("GET /metrics", authenticate(cfg.Keys, log, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	if cfg.Playground != nil {
		mux.Handle("/", cfg.Playground)
	}
	return edge(hosts, m, mux)
}

func newGraphQL(svc *service.Service, log *slog.Logger, lim Limits, intro Introspection, docs *byteCache[*ast.QueryDocument], m *metrics) http.Handler {
	res := &resolvers.Resolver{Service: svc}
	cfg := graph.Config{Resolvers: res}
	weighComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport{maxBody: lim.MaxBodyBytes, slots: newExpensiveSlots(lim.MaxExpensive, lim.ExpensiveWait),
		inFlight: newExpensiveSlots(lim.MaxInFlight, lim.InFlightWait)})
	srv.SetQueryCache(docs)
	srv.SetParserTokenLimit(lim.MaxTokens)
	// The gate runs before gqlgen parses: it holds APQ so that a query is checked before
	// APQ keeps it, and again when APQ supplies it.
	srv.Use(&gate{lim: lim, introspection: intro, docs: docs,
		apq: extension.AutomaticPersistedQuery{Cache: newByteCache(16<<20, stringCost)}})
	srv.Use(introspection{intro})
	srv.Use(&costLimit{max: lim.MaxComplexity, docs: docs})
	srv.SetErrorPresenter(resolvers.ErrorPresenter(log))
	srv.SetRecoverFunc(resolvers.RecoverFunc(log))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(resolvers.WithLoaders(ctx, svc))
	})
	// An entity root field whose whole selection a tree read holds is written from the tree,
	// not walked field by field (see resolvers.AnswerTrees).
	srv.AroundRootFields(res.AnswerTrees)
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := m.observe(ctx, next)
		if resp != nil {
			resolvers.NormalizeCodes(resp.Errors)
			if ctx.Err() != nil {
				explainDeadline(ctx, resp.Errors, lim.Timeout)
			}
		}
		return resp
	})
	return srv
}

// explainDeadline says so when a request's errors come from its deadline, rather than
// letting them read as an unreachable store.
func explainDeadline(ctx context.Context, errs gqlerror.List, timeout time.Duration) {
	if ctx.Err() != context.DeadlineExceeded {
		return
	}
	for _, e := range errs {
		if c, _ := e.Extensions["code"].(string); c == resolvers.CodeUnavailable {
			e.Message = fmt.Sprintf("the request did not finish within its time limit of %s", timeout)
			e.Extensions["reason"] = reasonDeadline
		}
	}
}

// introspection lets gqlgen answer __schema and __type for the callers the policy allows
// (the gate has already refused the others with a clear error).
type introspection struct{ policy Introspection }

func (introspection) ExtensionName() string                   { return "IntrospectionPolicy" }
func (introspection) Validate(graphql.ExecutableSchema) error { return nil }

func (p introspection) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.DisableIntrospection = !(&gate{introspection: p.policy}).introspectionAllowed(ctx)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the client went away
}
