package api

import (
	"context"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
)

// metrics are the Prometheus series the API exports at /metrics.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	answers  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, docs *byteCache[*ast.QueryDocument]) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskgraph_graphql_operations_total",
			Help: "GraphQL operations served, by operation type and outcome (ok or the first error code).",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "riskgraph_graphql_operation_seconds",
			Help:    "Time to answer a GraphQL operation, by operation type.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"type"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskgraph_http_responses_total",
			Help: "HTTP answers, by status and the first error's code (empty when none): refusals (401, 403, 413, 429) show here.",
		}, []string{"status", "code"}),
	}
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "riskgraph_query_cache_entries",
		Help: "Parsed and validated queries kept in the query cache.",
	}, func() float64 { n, _ := docs.stats(); return float64(n) })
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "riskgraph_query_cache_bytes",
		Help: "Bytes the query cache's entries are charged (its bound is --query-cache-bytes).",
	}, func() float64 { _, b := docs.stats(); return float64(b) })
	reg.MustRegister(m.requests, m.duration, m.answers, entries, size)
	return m
}

// answered counts one HTTP answer.
func (m *metrics) answered(status int, code string) {
	if status == 0 {
		status = 200
	}
	m.answers.WithLabelValues(strconv.Itoa(status), code).Inc()
}

// observe is a gqlgen response middleware that counts and times operations.
func (m *metrics) observe(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	typ := "unknown"
	if graphql.HasOperationContext(ctx) && graphql.GetOperationContext(ctx).Operation != nil {
		oc := graphql.GetOperationContext(ctx)
		typ = string(oc.Operation.Operation)
	}
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		if c, ok := resp.Errors[0].Extensions["code"].(string); ok {
			outcome = c
		} else {
			outcome = "error"
		}
	}
	m.requests.WithLabelValues(typ, outcome).Inc()
	m.duration.WithLabelValues(typ).Observe(time.Since(start).Seconds())
	return resp
}
