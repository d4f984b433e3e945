package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// probeStreak is how many probe reads in a row must succeed for service to count as back.
const probeStreak = 5

// runBackend runs the whole test on one backend in dir and returns its report. An error
// means the test could not run (the report, when not nil, says how far it got).
func runBackend(ctx context.Context, cfg config, backend, dir string) (*report, error) {
	rep := &report{backend: backend, cfg: cfg, loadAvgStart: loadAvg()}
	keysFile := dir + "/keys"
	readerKey, err := makeKey(ctx, cfg.bin, keysFile, "load-reader", "reader")
	if err != nil {
		return nil, err
	}
	editorKey, err := makeKey(ctx, cfg.bin, keysFile, "load-editor", "editor")
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--keys-file", keysFile, "--log-format", "json",
		"--rate-limit", strconv.Itoa(cfg.rateLimit), "--rate-burst", strconv.Itoa(cfg.rateBurst),
		"--timeout", cfg.timeout.String(), "--max-expensive", strconv.Itoa(cfg.maxExpensive)}
	var db *neo4j
	if backend == "neo4j" {
		fmt.Printf("%s: starting Neo4j 5.26 (tools/neo4j-testserver; a first build downloads from Maven Central)\n", backend)
		nctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
		db, err = startNeo4j(nctx, dir+"/neo4j.log")
		cancel()
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := db.close(); err != nil {
				fmt.Fprintf(os.Stderr, "load: %s: %v\n", backend, err)
			}
		}()
		args = append(args, "--store", "neo4j", "--neo4j-uri", db.URI())
	} else {
		args = append(args, "--store", "embedded", "--data", dir+"/riskgraph.db")
	}
	srv, err := startServer(ctx, cfg.bin, args, dir+"/server.log", 3*time.Minute)
	if err != nil {
		return nil, err
	}
	rep.srv = srv
	defer func() {
		if srv.alive() {
			srv.stop(20 * time.Second)
		}
	}()
	fmt.Printf("%s: riskgraph serving on %s (log %s)\n", backend, srv.base, srv.logPath)

	hc := &http.Client{Transport: newTransport(cfg.clients), Timeout: cfg.timeout + 10*time.Second}
	defer hc.CloseIdleConnections()
	cl := &gqlClient{http: hc, url: srv.base + "/graphql"}
	side := &http.Client{Transport: newTransport(4), Timeout: cfg.timeout + 10*time.Second}
	defer side.CloseIdleConnections()
	sideCl := &gqlClient{http: side, url: srv.base + "/graphql"}

	cat, err := discover(ctx, sideCl, readerKey)
	if err != nil {
		return nil, err
	}
	rep.catalog = len(cat.all)
	cat.dates = cfg.dates
	run := strconv.FormatInt(time.Now().UnixMilli()%(36*36*36*36*36), 36)
	params := loadParams{client: cl, mix: cfg.mix, run: run, cat: cat, readerKey: readerKey, editorKey: editorKey,
		backoff: cfg.backoff, drain: cfg.timeout + 10*time.Second}

	warmup := cfg.warmup
	if warmup < 0 { // the default: a fresh JVM runs Cypher interpreted for its first thousands of queries
		warmup = 3 * time.Second
		if backend == "neo4j" {
			warmup = 30 * time.Second
		}
	}
	if warmup > 0 {
		p := params
		p.clients, p.duration, p.seed, p.run, p.phase = 4, warmup, cfg.seed+1<<32, run+"w", "warm-up"
		rep.warmup = runLoad(ctx, p)
		hc.CloseIdleConnections()
	}
	if rep.baseline, err = quiesce(ctx, srv.base, readerKey, cat, side); err != nil {
		return rep, fmt.Errorf("baseline: %w", err)
	}

	fmt.Printf("%s: %d clients for %s\n", backend, cfg.clients, cfg.duration)
	p := params
	p.clients, p.duration, p.seed, p.phase = cfg.clients, cfg.duration, cfg.seed, "load"
	watchStop := make(chan struct{})
	var wg sync.WaitGroup
	faulty := db != nil && cfg.fault.mode != "none"
	var until chan struct{}
	if faulty {
		until = make(chan struct{})
		p.until = until
	}
	watchID := cat.all[rand.New(rand.NewPCG(cfg.seed, 0)).IntN(len(cat.all))].ID
	p.onStart = func(t0 time.Time) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.probes = watch(ctx, sideCl, srv.base, readerKey, watchID, t0, 200*time.Millisecond, watchStop)
		}()
		if !faulty {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(until)
			ft := runFault(ctx, cfg.fault, db, sideCl, readerKey, watchID, t0)
			rep.fault = &ft
			if ft.err == nil {
				sleepCtx(ctx, time.Until(t0.Add(ft.confirmedAt+cfg.afterRecovery)))
			}
		}()
	}
	cpu0 := selfCPU()
	rep.load = runLoad(ctx, p)
	rep.selfCPU = selfCPU() - cpu0
	if err := writeDetails(dir+"/failures.jsonl", rep.load.details); err != nil {
		rep.notes = append(rep.notes, err.Error())
	} else if len(rep.load.details) > 0 {
		keep := ""
		if !cfg.keep {
			keep = " (removed at the end: run with -keep to read it)"
		}
		rep.notes = append(rep.notes, fmt.Sprintf("%d bad answers in full (429s left out) in %s/failures.jsonl%s", len(rep.load.details), dir, keep))
	}
	close(watchStop)
	wg.Wait()
	rep.loadAvgEnd = loadAvg()
	hc.CloseIdleConnections()
	if after, err := fetchStats(ctx, side, srv.base, readerKey); err == nil {
		rep.afterLoad = after
	} else {
		rep.notes = append(rep.notes, "metrics right after the load: "+err.Error())
	}

	fmt.Printf("%s: reading back every write\n", backend)
	vctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	ledgers := rep.load.ledgers
	if rep.warmup != nil {
		ledgers = append(append([]*ledger(nil), rep.warmup.ledgers...), ledgers...)
	}
	rep.verify = verify(vctx, sideCl, readerKey, ledgers)
	cancel()

	fmt.Printf("%s: waiting for goroutines and heap to settle (at most %s)\n", backend, cfg.settle)
	deadline := time.Now().Add(cfg.settle)
	for {
		st, err := quiesce(ctx, srv.base, readerKey, cat, side)
		if err != nil {
			rep.notes = append(rep.notes, "settle: "+err.Error())
		} else {
			rep.settled, rep.settleTries = st, rep.settleTries+1
			if rep.goroutinesBack() && rep.heapBack() {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
	}
	rep.settleTime = cfg.settle - time.Until(deadline)
	rep.aliveAtEnd = srv.alive()
	rep.stopErr = srv.stop(20 * time.Second)
	return rep, nil
}

// quiesce runs light read traffic (2 clients, entity reads and searches, 2 s) so that the
// server's garbage collector runs, closes its connections, and reads /metrics. The baseline
// and the after-load numbers are taken the same way, so they compare.
func quiesce(ctx context.Context, base, key string, cat *catalog, side *http.Client) (serverStats, error) {
	hc := &http.Client{Transport: newTransport(2), Timeout: 10 * time.Second}
	c := &gqlClient{http: hc, url: base + "/graphql"}
	end := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for time.Now().Before(end) && ctx.Err() == nil {
				if r.IntN(2) == 0 {
					c.do(ctx, key, qEntity, map[string]any{"id": anyOf(r, cat.all).ID})
				} else {
					c.do(ctx, key, qSearch, map[string]any{"text": anyOf(r, cat.words)})
				}
			}
		}()
	}
	wg.Wait()
	hc.CloseIdleConnections()
	side.CloseIdleConnections()
	sleepCtx(ctx, 500*time.Millisecond)
	st, err := fetchStats(ctx, side, base, key)
	side.CloseIdleConnections()
	return st, err
}

// runFault stops Neo4j at plan.at, starts it again plan.down later, and waits until probe
// reads succeed probeStreak times in a row, at most plan.recoverWithin after Neo4j is up.
func runFault(ctx context.Context, plan faultPlan, db *neo4j, c *gqlClient, key, id string, t0 time.Time) faultTimes {
	var ft faultTimes
	since := func() time.Duration { return time.Since(t0) }
	if !sleepCtx(ctx, time.Until(t0.Add(plan.at))) {
		ft.err = ctx.Err()
		return ft
	}
	fmt.Printf("neo4j: %s at %s\n", plan.mode, since().Round(time.Millisecond))
	ft.stopAt = since()
	if err := db.down(plan.mode); err != nil {
		ft.err = err
		return ft
	}
	ft.stoppedAt = since()
	sleepCtx(ctx, plan.down)
	ft.restartAt = since()
	rctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	err := db.up(rctx)
	cancel()
	if err != nil {
		ft.err = err
		return ft
	}
	ft.upAt = since()
	fmt.Printf("neo4j: up again at %s\n", ft.upAt.Round(time.Millisecond))
	deadline := time.Now().Add(plan.recoverWithin)
	streak := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		began := since()
		o, _ := classify(c.do(ctx, key, qEntity, map[string]any{"id": id}))
		if o == outLimited { // the server shedding load says nothing about Neo4j: ask again
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		if o == outOK {
			if streak == 0 {
				ft.recoveredAt = began
			}
			if streak++; streak == probeStreak {
				ft.confirmedAt = since()
				return ft
			}
		} else {
			streak, ft.recoveredAt = 0, 0
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
	ft.err = fmt.Errorf("reads did not succeed %d times in a row within %s of Neo4j being up", probeStreak, plan.recoverWithin)
	return ft
}

// sleepCtx sleeps for d or until ctx ends, and reports whether it slept the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// loadAvg is the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// selfCPU is the CPU time this process has used, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeDetails writes the bad answers as JSON lines, sorted by start.
func writeDetails(path string, ds []detail) error {
	sort.Slice(ds, func(i, j int) bool {
		a, _ := time.ParseDuration(ds[i].Start)
		b, _ := time.ParseDuration(ds[j].Start)
		return a < b
	})
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, d := range ds {
		if err := enc.Encode(d); err != nil {
			f.Close()
			return fmt.Errorf("failures file: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	return nil
}
