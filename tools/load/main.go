// Command load is riskgraph's load and fault test (issue 12, item 8; `make load`).
//
// It builds riskgraph, makes a reader and an editor key, and for each backend starts
// `riskgraph serve` on a free loopback port on a fresh store (a temporary embedded file, or
// a real Neo4j 5.26 started as the tests start it), seeded. Then many concurrent clients send
// a mix of reads, exposure, rankings, paths and writes for a fixed time, waiting as 429 +
// Retry-After asks. On Neo4j the database is stopped mid-load and started again. After the
// load it reads back every acknowledged write, waits for the server's goroutines and heap to
// come back near their baseline (from /metrics), stops the server, and prints per backend:
// requests per second, p50/p99 per operation, errors by HTTP status and extensions.code, and
// each check. It exits 1 when a check fails, 2 when the test could not run.
//
//	go run ./tools/load -backend embedded|neo4j|both -clients 200 -duration 30s
//
// Everything listens on 127.0.0.1 and everything it starts stops with it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	backends       []string
	clients        int
	duration       time.Duration
	mix            mix
	seed           uint64
	dates          int
	rateLimit      int
	rateBurst      int
	timeout        time.Duration
	maxExpensive   int
	warmup         time.Duration
	backoff        time.Duration
	fault          faultPlan
	settle         time.Duration
	afterRecovery  time.Duration
	goroutineSlack int
	heapSlack      float64 // bytes
	heapPerFact    float64 // bytes per acknowledged fact
	repo           string
	bin            string
	keep           bool
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	backend := fs.String("backend", "both", "which store to load: embedded, neo4j or both")
	fs.IntVar(&c.clients, "clients", 200, "concurrent clients, each one request at a time")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long the load runs (on Neo4j, at least until service is back after the fault and -after-recovery more)")
	mixFlag := fs.String("mix", defaultMix, "relative weight of each operation: "+strings.Join(opNames[:], ", "))
	seed := fs.Uint64("seed", 1, "seed of the clients' random choices")
	fs.IntVar(&c.dates, "dates", 0, "distinct asOf dates exposure and riskRanking ask for, spread from 2015 to today (0: any day)")
	fs.IntVar(&c.rateLimit, "rate-limit", 0, "the server's --rate-limit (requests per second per key; 0: off, for the throughput run)")
	fs.IntVar(&c.rateBurst, "rate-burst", 100, "the server's --rate-burst")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "the server's --timeout (per-request deadline)")
	fs.IntVar(&c.maxExpensive, "max-expensive", 0, "the server's --max-expensive (0: its default, max(4, CPUs))")
	fs.DurationVar(&c.warmup, "warmup", -1, "light load (4 clients, same mix) before the baseline is taken (default 3s, on Neo4j 30s: its JIT warms up)")
	fs.DurationVar(&c.backoff, "backoff", 200*time.Millisecond, "a client's pause after an UNAVAILABLE answer")
	fs.StringVar(&c.fault.mode, "fault", "stop", "what happens to Neo4j mid-load: stop (clean shutdown), kill (SIGKILL) or none")
	fs.DurationVar(&c.fault.at, "fault-at", 10*time.Second, "when Neo4j goes down, from the start of the load")
	fs.DurationVar(&c.fault.down, "fault-down", 5*time.Second, "how long Neo4j stays down before its restart begins")
	fs.DurationVar(&c.fault.recoverWithin, "recover-within", 30*time.Second, "bound from Neo4j accepting connections again to reads succeeding")
	fs.DurationVar(&c.afterRecovery, "after-recovery", 10*time.Second, "how long the load goes on once reads succeed again after the restart")
	fs.DurationVar(&c.settle, "settle", 30*time.Second, "bound on the wait for goroutines and heap to come back near the baseline")
	fs.IntVar(&c.goroutineSlack, "goroutine-slack", 10, "goroutines above the baseline still counted as back")
	heapSlack := fs.Int("heap-slack-mib", 32, "heap (GC goal) above the baseline still counted as back, in MiB")
	heapPerFact := fs.Int("heap-per-fact", 4096, "heap allowed per acknowledged fact written, in bytes (the store and the risk cache keep what was written)")
	fs.StringVar(&c.repo, "repo", "", "the riskgraph module to build (default: found above the working directory)")
	fs.StringVar(&c.bin, "bin", "", "a riskgraph binary to use instead of building one")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (logs, keys, embedded store)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch *backend {
	case "embedded", "neo4j":
		c.backends = []string{*backend}
	case "both":
		c.backends = []string{"embedded", "neo4j"}
	default:
		return c, fmt.Errorf("-backend %q: want embedded, neo4j or both", *backend)
	}
	m, err := parseMix(*mixFlag)
	if err != nil {
		return c, fmt.Errorf("-mix: %w", err)
	}
	c.mix, c.seed = m, *seed
	c.heapSlack, c.heapPerFact = float64(*heapSlack)*(1<<20), float64(*heapPerFact)
	switch {
	case c.clients < 1 || c.clients > 2000:
		return c, fmt.Errorf("-clients %d: want 1 to 2000", c.clients)
	case c.duration <= 0 || c.duration > time.Hour:
		return c, fmt.Errorf("-duration %s: want more than 0 and at most 1h", c.duration)
	case c.fault.mode != "stop" && c.fault.mode != "kill" && c.fault.mode != "none":
		return c, fmt.Errorf("-fault %q: want stop, kill or none", c.fault.mode)
	case c.fault.mode != "none" && slices.Contains(c.backends, "neo4j") && (c.fault.at <= 0 || c.fault.at >= c.duration):
		return c, fmt.Errorf("-fault-at %s: want it inside -duration %s", c.fault.at, c.duration)
	case c.fault.down < 0 || c.afterRecovery < 0 || c.fault.recoverWithin <= 0 || c.settle <= 0 || c.warmup < -1 || c.timeout <= 0:
		return c, errors.New("-fault-down, -warmup: want ≥ 0; -recover-within, -settle, -timeout: want > 0")
	case c.dates < 0 || c.rateLimit < 0 || c.rateBurst < 1 || c.maxExpensive < 0 || c.goroutineSlack < 0 || *heapSlack < 0 || *heapPerFact < 0:
		return c, errors.New("-rate-limit, -max-expensive, the slacks: want ≥ 0; -rate-burst: want ≥ 1")
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, cfg))
}

// run runs every backend's test and returns the exit code.
func run(ctx context.Context, cfg config) int {
	dir, err := os.MkdirTemp("", "riskgraph-load-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: temporary directory:", err)
		return 2
	}
	if cfg.keep {
		fmt.Printf("files in %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if cfg.bin == "" {
		if cfg.repo == "" {
			if cfg.repo, err = findRepo(); err != nil {
				fmt.Fprintln(os.Stderr, "load:", err)
				return 2
			}
		}
		cfg.bin = dir + "/riskgraph"
		bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		err = buildBinary(bctx, cfg.repo, cfg.bin)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 2
		}
	}
	code := 0
	for _, b := range cfg.backends {
		if ctx.Err() != nil {
			return 2
		}
		bdir := dir + "/" + b
		if err := os.Mkdir(bdir, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 2
		}
		rep, err := runBackend(ctx, cfg, b, bdir)
		if rep != nil {
			rep.print(os.Stdout)
			if !rep.passed() {
				code = max(code, 1)
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %s: %v\n", b, err)
			code = 2
		}
	}
	if code == 0 {
		fmt.Println("load: every check passed")
	} else {
		fmt.Println("load: FAILED (exit " + strconv.Itoa(code) + ")")
	}
	return code
}
