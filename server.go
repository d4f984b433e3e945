// Command riskgraph serves the vendor-risk knowledge graph over GraphQL, with a playground, on
// an embedded store (default) or Neo4j. Subcommands: serve (default), seed (reload the seed
// case), report (the nightly risk report and its changes since the last run), synth (load a
// deterministic synthetic graph, to try a backend at scale), export and import (every fact as
// a JSON batch, e.g. to move a graph from the embedded store to Neo4j).
//
// Configuration comes from flags, each with a RISKGRAPH_* environment variable (flag wins);
// `riskgraph -h` lists them.
package main

//go:generate go run github.com/99designs/gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"riskgraph/internal/api"
	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/synth"
	"riskgraph/seed"
	"riskgraph/web"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "riskgraph:", err)
		}
		os.Exit(2)
	}
}

// config is the validated configuration of one run.
type config struct {
	Addr          string
	Store         string
	Data          string
	Neo4jURI      string
	Neo4jUser     string
	Neo4jPassword string
	Neo4jDatabase string
	Seed          bool
	LogLevel      string
	LogFormat     string
	RiskModel     string
	Limits        api.Limits
	ReportDir     string
	ReportAsOf    string
	Threshold     float64
	Synth         synth.Config
	LoadBatch     int
	LoadWorkers   int
	Out           string
}

// flags declares every option with its environment variable and default.
func flags(name string, c *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := func(p *string, flagName, def, usage string) {
		env := envName(flagName)
		if v, ok := os.LookupEnv(env); ok {
			def = v
		}
		fs.StringVar(p, flagName, def, usage+" ($"+env+")")
	}
	s(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	s(&c.Store, "store", "embedded", "storage backend: embedded or neo4j")
	s(&c.Data, "data", filepath.Join("data", "riskgraph.db"), "embedded store file")
	s(&c.Neo4jURI, "neo4j-uri", "bolt://127.0.0.1:7687", "Neo4j URI (store neo4j)")
	s(&c.Neo4jUser, "neo4j-user", "neo4j", "Neo4j user")
	s(&c.Neo4jPassword, "neo4j-password", "", "Neo4j password")
	s(&c.Neo4jDatabase, "neo4j-database", "neo4j", "Neo4j database")
	s(&c.RiskModel, "risk-model", "", "risk model file (JSON); the embedded default when empty")
	s(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	s(&c.LogFormat, "log-format", "text", "log format: text or json")
	s(&c.ReportDir, "report-dir", "reports", "report: directory of dated report files")
	s(&c.ReportAsOf, "as-of", "", "report: date to score, YYYY-MM-DD (default today)")
	fs.Float64Var(&c.Threshold, "threshold", 0.01, "report: smallest score move listed as a change")
	fs.IntVar(&c.Synth.Entities, "entities", 10000, "synth: number of entities")
	fs.IntVar(&c.Synth.Relationships, "relationships", 50000, "synth: number of relationships")
	fs.Int64Var(&c.Synth.Seed, "synth-seed", 1, "synth: random seed (same seed, same graph)")
	fs.Float64Var(&c.Synth.SignalRate, "signal-rate", 0.01, "synth: share of entities carrying a risk signal")
	fs.IntVar(&c.LoadBatch, "batch", store.DefaultLoadBatch, "synth, import: rows per write batch")
	fs.IntVar(&c.LoadWorkers, "workers", store.DefaultLoadWorkers, "synth, import: write batches in flight at once")
	fs.StringVar(&c.Out, "out", "-", "export: file to write (- for standard output)")
	seedDef := os.Getenv(envName("seed")) != "false"
	fs.BoolVar(&c.Seed, "seed", seedDef, "load the Kaspersky case into an empty store at start ($RISKGRAPH_SEED)")
	fs.DurationVar(&c.Limits.Timeout, "timeout", envDuration("timeout", 10*time.Second), "per-request timeout ($RISKGRAPH_TIMEOUT)")
	fs.IntVar(&c.Limits.MaxDepth, "max-depth", 12, "deepest query nesting")
	fs.IntVar(&c.Limits.MaxComplexity, "max-complexity", 50000, "largest query complexity (lists weigh their page size)")
	return fs
}

func envName(flagName string) string {
	return "RISKGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envDuration(flagName string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(envName(flagName))); err == nil {
		return v
	}
	return def
}

// validate reports every problem with c at once, each with what to do.
func (c config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port, e.g. 127.0.0.1:8080", c.Addr))
	}
	switch c.Store {
	case "embedded":
		if c.Data == "" {
			errs = append(errs, errors.New("data: the embedded store needs a file path"))
		}
	case "neo4j":
		if !strings.Contains(c.Neo4jURI, "://") {
			errs = append(errs, fmt.Errorf("neo4j-uri %q: want e.g. bolt://host:7687 or neo4j://host:7687", c.Neo4jURI))
		}
	default:
		errs = append(errs, fmt.Errorf("store %q: want embedded or neo4j", c.Store))
	}
	if c.RiskModel != "" {
		if _, err := risk.LoadModel(c.RiskModel); err != nil {
			errs = append(errs, fmt.Errorf("risk-model: %w", err))
		}
	}
	if _, err := kg.ParseDate(c.ReportAsOf); err != nil {
		errs = append(errs, fmt.Errorf("as-of: %w", err))
	}
	if c.Threshold < 0 || c.Threshold > 1 {
		errs = append(errs, fmt.Errorf("threshold %v: want a number from 0 to 1", c.Threshold))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	if c.Limits.Timeout <= 0 || c.Limits.MaxDepth < 2 || c.Limits.MaxComplexity < 1 {
		errs = append(errs, errors.New("timeout, max-depth and max-complexity must be positive (max-depth at least 2)"))
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func (c config) logger(w io.Writer) *slog.Logger {
	lvl, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// run parses the command line and runs one subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var c config
	fs := flags("riskgraph "+cmd, &c, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := c.logger(stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		return serve(ctx, c, log)
	case "seed":
		return reseed(ctx, c, log, stdout)
	case "report":
		return nightlyReport(ctx, c, log, stdout)
	case "synth":
		return loadSynthetic(ctx, c, log, stdout)
	case "export":
		return exportStore(ctx, c, log, stdout)
	case "import":
		return importStore(ctx, c, fs.Args(), log, os.Stdin, stdout)
	default:
		return fmt.Errorf("unknown command %q: want serve, seed, report, synth, export or import", cmd)
	}
}

// openStore opens the configured backend.
func openStore(ctx context.Context, c config) (store.Store, error) {
	switch c.Store {
	case "neo4j":
		return openNeo4j(ctx, c)
	default:
		if err := os.MkdirAll(filepath.Dir(c.Data), 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		s, err := embedded.Open(c.Data)
		if err != nil {
			return nil, fmt.Errorf("open embedded store %s: %w", c.Data, err)
		}
		return s, nil
	}
}

func serve(ctx context.Context, c config, log *slog.Logger) error {
	start := time.Now()
	model, err := c.model()
	if err != nil {
		return err
	}
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	if c.Seed {
		empty, err := seed.Empty(ctx, s)
		if err != nil {
			return fmt.Errorf("check whether the store is empty: %w", err)
		}
		if empty {
			res, err := seed.Apply(ctx, s)
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			log.Info("seeded an empty store with the Kaspersky case", "created", len(res.Created))
		}
	}
	srv := &http.Server{
		Addr: c.Addr,
		Handler: api.New(api.Config{Store: s, Model: model, Log: log, Limits: c.Limits,
			Playground: web.Handler("/graphql")}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	log.Info("riskgraph ready", "url", "http://"+ln.Addr().String()+"/", "store", c.Store, "startup", time.Since(start).Round(time.Millisecond))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// model returns the configured risk model.
func (c config) model() (*risk.Model, error) {
	if c.RiskModel == "" {
		return risk.DefaultModel(), nil
	}
	m, err := risk.LoadModel(c.RiskModel)
	if err != nil {
		return nil, fmt.Errorf("load risk model %s: %w", c.RiskModel, err)
	}
	return m, nil
}

// nightlyReport scores the whole graph, compares with the previous report in the report
// directory, and writes the dated JSON, CSV and Markdown files.
func nightlyReport(ctx context.Context, c config, log *slog.Logger, stdout io.Writer) error {
	model, err := c.model()
	if err != nil {
		return err
	}
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	asOf, _ := kg.ParseDate(c.ReportAsOf)
	asOf = store.ResolveAsOf(asOf)
	r, err := report.Build(ctx, service.New(s, model), asOf, time.Now())
	if err != nil {
		return err
	}
	prev, ok, err := report.Previous(c.ReportDir, asOf)
	if err != nil {
		return err
	}
	if ok {
		r.Compare(prev, c.Threshold)
	}
	paths, err := report.Save(c.ReportDir, r)
	if err != nil {
		return err
	}
	log.Info("report written", "asOf", asOf, "entries", len(r.Entries), "changes", len(r.Changes), "previous", r.PreviousAsOf)
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return nil
}

// loadSynthetic writes a deterministic synthetic graph into the store in batches and reports
// the write rate: the way to try a backend at scale.
func loadSynthetic(ctx context.Context, c config, log *slog.Logger, stdout io.Writer) error {
	if c.Synth.Entities < 10 || c.Synth.Relationships < 0 || c.LoadBatch < 1 || c.LoadWorkers < 1 {
		return fmt.Errorf("synth: want at least 10 entities, no negative relationships, a positive batch and workers")
	}
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	b := synth.Generate(c.Synth)
	gen := time.Since(start)
	start = time.Now()
	if _, err := store.Load(ctx, s, b, store.LoadOptions{BatchSize: c.LoadBatch, Workers: c.LoadWorkers}); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	took := time.Since(start)
	rows := len(b.Entities) + len(b.Relationships) + len(b.Signals)
	log.Info("synthetic graph written", "entities", len(b.Entities), "relationships", len(b.Relationships),
		"signals", len(b.Signals), "generate", gen.Round(time.Millisecond), "write", took.Round(time.Millisecond))
	fmt.Fprintf(stdout, "wrote %d rows (%d relationships) in %s: %.0f rows/s\n", rows, len(b.Relationships),
		took.Round(time.Millisecond), float64(rows)/took.Seconds())
	return nil
}

// reseed loads the seed case into the store again; unchanged facts stay unchanged.
func reseed(ctx context.Context, c config, log *slog.Logger, stdout io.Writer) error {
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := seed.Apply(ctx, s)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	log.Info("seed applied", "created", len(res.Created), "updated", len(res.Updated), "unchanged", len(res.Unchanged))
	fmt.Fprintf(stdout, "created %d, updated %d, unchanged %d\n", len(res.Created), len(res.Updated), len(res.Unchanged))
	return nil
}
