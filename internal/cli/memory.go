package cli

import (
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"riskgraph/internal/report"
)

// serverGCPercent is the collector's target for a server whose GOGC is not set. A request
// allocates a lot and keeps little (gqlgen builds a value per field of the answer), so the
// live heap of a server over Neo4j stays small and, at the default 100, the collector runs
// every few megabytes: with 400 it runs a quarter as often. Measured on the peer benchmark's
// nested3 (BenchmarkNested3Neo4j100k, 10 callers): 130-139 requests/s at 100, 160-173 at 200,
// 190-196 at 400.
const serverGCPercent = 400

// memLimitRatio is the share of the machine's (or the container's) memory the heap may grow
// to before the collector works harder, whatever serverGCPercent allows: so an embedded store
// holding a large graph does not grow 5x its live size.
const memLimitRatio = 0.8

// tuneMemory sets the collector of a long-running server: GOGC and GOMEMLIMIT, when the
// environment does not set them, to serverGCPercent and memLimitRatio of the memory
// available. It logs what it chose.
func tuneMemory(log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	limitMemory(log)
}

// tuneJobMemory sets the collector of the nightly report: GOGC, when the environment does not
// set it, to report.JobGCPercent, and GOMEMLIMIT as for a server, so that near the machine's
// memory the collector works harder instead of the job being killed.
func tuneJobMemory(log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(report.JobGCPercent)
	}
	limitMemory(log)
}

// limitMemory sets GOMEMLIMIT, when the environment does not, to memLimitRatio of the memory
// available, and logs the collector's settings.
func limitMemory(log *slog.Logger) {
	limit, err := memlimit.Set(memlimit.WithRatio(memLimitRatio),
		memlimit.WithProvider(memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)))
	if err != nil {
		log.Warn("no memory limit for the collector", "err", err)
	}
	pct := debug.SetGCPercent(-1)
	debug.SetGCPercent(pct)
	attrs := []any{"gcPercent", pct}
	if limit > 0 && limit < math.MaxInt64 {
		attrs = append(attrs, "memLimitMiB", limit>>20)
	}
	log.Info("memory", attrs...)
}
