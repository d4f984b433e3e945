// Package benchutil holds what the project's benchmarks share: latency percentiles reported
// as benchmark metrics.
package benchutil

import (
	"slices"
	"testing"
	"time"
)

// Latencies collects per-operation durations of a benchmark.
type Latencies []time.Duration

// Time runs op and records how long it took.
func (l *Latencies) Time(op func()) {
	start := time.Now()
	op()
	*l = append(*l, time.Since(start))
}

// Report adds p50, p99 and max (in microseconds) to the benchmark's output.
func (l Latencies) Report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	at := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(float64(s[len(s)-1].Microseconds()), "max-µs")
}
