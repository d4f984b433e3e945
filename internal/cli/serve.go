package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v3"

	"riskgraph/internal/api"
	"riskgraph/seed"
	"riskgraph/web"
)

// serveFlags are the options of the server.
func serveFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "address to listen on, host:port; beyond loopback only with API keys", Sources: env("addr"),
			Validator: func(s string) error {
				if _, _, err := net.SplitHostPort(s); err != nil {
					return fmt.Errorf("addr %q: want host:port, e.g. 127.0.0.1:8080", s)
				}
				return nil
			}},
		&ucli.BoolFlag{Name: "seed", Value: true, Usage: "load the Kaspersky case into an empty store at start", Sources: env("seed")},
		&ucli.StringFlag{Name: "keys-file", Usage: "API keys file: one 'name role sha256' line per key (riskgraph keys add makes them); none: local mode", Sources: env("keys-file")},
		&ucli.StringFlag{Name: "keys", Usage: "more key lines, ';'-separated (hashes, never keys)", Sources: env("keys")},
		&ucli.StringFlag{Name: "allowed-hosts", Value: strings.Join(api.DefaultAllowedHosts, ","),
			Usage: "Host header values served, comma-separated: names (any port), host:port, *.domain, or * for any", Sources: env("allowed-hosts"),
			Validator: func(s string) error { return api.ValidateHosts(list(s)) }},
		&ucli.StringFlag{Name: "cors-origins", Usage: "origins whose pages may call /graphql, comma-separated (https://host[:port], or *); none: CORS off",
			Sources: env("cors-origins"), Validator: func(s string) error { return api.ValidateOrigins(list(s)) }},
		&ucli.StringFlag{Name: "introspection", Value: "all", Usage: "who may introspect the schema: all, admin (admin keys and local callers) or off",
			Sources: env("introspection"), Validator: oneOf("introspection", "all", "admin", "off")},
		&ucli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "per-request deadline (body read, store, path search and risk pass)", Sources: env("timeout"),
			Validator: positive[time.Duration]("timeout")},
		&ucli.IntFlag{Name: "rate-limit", Value: 50, Usage: "requests per second per key (per address for local callers); 0: no limit", Sources: env("rate-limit"),
			Validator: notNegative("rate-limit")},
		&ucli.IntFlag{Name: "rate-burst", Value: 100, Usage: "requests a key may send at once above its rate", Sources: env("rate-burst"),
			Validator: positive[int]("rate-burst")},
		&ucli.IntFlag{Name: "max-depth", Value: 12, Usage: "deepest query nesting", Sources: env("max-depth"),
			Validator: func(n int) error {
				if n < 2 {
					return fmt.Errorf("max-depth %d: want at least 2", n)
				}
				return nil
			}},
		&ucli.IntFlag{Name: "max-aliases", Value: 30, Usage: "most aliases in a query (fragments count at each spread)", Sources: env("max-aliases"),
			Validator: positive[int]("max-aliases")},
		&ucli.IntFlag{Name: "max-selections", Value: 1000, Usage: "most fields in a query (fragments count at each spread)", Sources: env("max-selections"),
			Validator: positive[int]("max-selections")},
		&ucli.IntFlag{Name: "max-tokens", Value: 20000, Usage: "most parser tokens in a query (send bulk input as variables)", Sources: env("max-tokens"),
			Validator: positive[int]("max-tokens")},
		&ucli.IntFlag{Name: "max-complexity", Value: 100000, Usage: "largest query complexity (lists weigh their page size)",
			Sources: env("max-complexity"), Validator: positive[int]("max-complexity")},
		&ucli.IntFlag{Name: "max-expensive", Usage: "expensive operations (paths, riskRanking, exposure, risk) at once; 0: max(4, CPUs)",
			Sources: env("max-expensive"), Validator: notNegative("max-expensive")},
		&ucli.IntFlag{Name: "max-in-flight", Usage: "operations executing at once; more wait up to 1 s, then get LIMIT_EXCEEDED with Retry-After; 0: 32",
			Sources: env("max-in-flight"), Validator: notNegative("max-in-flight")},
		riskModelFlag(),
	}
}

func positive[T int | time.Duration](flag string) func(T) error {
	return func(v T) error {
		if v <= 0 {
			return fmt.Errorf("%s %v: want a positive value", flag, v)
		}
		return nil
	}
}

func notNegative(flag string) func(int) error {
	return func(v int) error {
		if v < 0 {
			return fmt.Errorf("%s %d: want 0 or more", flag, v)
		}
		return nil
	}
}

// list splits a comma-separated flag value.
func list(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func serveCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "serve",
		Usage: "serve the GraphQL API, the playground and the probes (the default command)",
		Description: "With no API keys (--keys-file, --keys) the server is in local mode: it listens on loopback only and\n" +
			"asks nobody for a key. With keys, every /graphql and /metrics request needs one (Authorization: Bearer).",
		Flags:  serveFlags(),
		Action: serve,
	}
}

// serve checks the access settings, opens the store, seeds it when empty (unless
// --seed=false), and serves HTTP until SIGINT or SIGTERM, then shuts down gracefully.
func serve(ctx context.Context, cmd *ucli.Command) error {
	start := time.Now()
	sec := secretsOf(cmd)
	log := slog.New(redacting{logger(cmd).Handler(), sec})
	if err := serveMain(ctx, cmd, log, start); err != nil {
		return redactError(err, sec)
	}
	return nil
}

func serveMain(ctx context.Context, cmd *ucli.Command, log *slog.Logger, start time.Time) error {
	tuneMemory(log)
	keys, err := api.LoadKeys(cmd.String("keys-file"), cmd.String("keys"))
	if err != nil {
		return usageError{fmt.Errorf("keys: %w", err)}
	}
	addr := cmd.String("addr")
	if err := checkLocalMode(addr, keys.Len()); err != nil {
		return err
	}
	m, err := model(cmd)
	if err != nil {
		return err
	}
	intro, _ := api.ParseIntrospection(cmd.String("introspection")) // validated with the flag
	rate := float64(cmd.Int("rate-limit"))
	if rate == 0 {
		rate = -1 // no limit
	}
	limits := api.Limits{Timeout: cmd.Duration("timeout"), MaxDepth: cmd.Int("max-depth"), MaxComplexity: cmd.Int("max-complexity"),
		MaxAliases: cmd.Int("max-aliases"), MaxSelections: cmd.Int("max-selections"), MaxTokens: cmd.Int("max-tokens"),
		RatePerSecond: rate, RateBurst: cmd.Int("rate-burst"), MaxExpensive: cmd.Int("max-expensive"),
		MaxInFlight: cmd.Int("max-in-flight")}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	svc, err := openService(ctx, cmd, m)
	if err != nil {
		return err
	}
	defer svc.Close()
	if cmd.Bool("seed") {
		empty, err := svc.Empty(ctx)
		if err != nil {
			return fmt.Errorf("check whether the store is empty: %w", err)
		}
		if empty {
			res, err := seed.Apply(ctx, svc)
			if err != nil {
				return err
			}
			log.Info("seeded an empty store with the Kaspersky case", "created", len(res.Created))
		}
	}
	cfg := api.Config{Service: svc, Log: log, Limits: limits, Playground: web.Handler("/graphql"), Keys: keys,
		AllowedHosts: list(cmd.String("allowed-hosts")), CORSOrigins: list(cmd.String("cors-origins")), Introspection: intro}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	srv := newHTTPServer(api.New(cfg), limits.Timeout, log)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	mode := "local (no API keys: loopback only, every caller may do everything)"
	if keys.Len() > 0 {
		mode = fmt.Sprintf("%d API keys", keys.Len())
		if !loopback(addr) && cmd.String("allowed-hosts") == strings.Join(api.DefaultAllowedHosts, ",") {
			log.Warn("listening beyond loopback with the default --allowed-hosts: requests that name this host otherwise than by a loopback name get 403; set --allowed-hosts to the names clients use")
		}
	}
	log.Info("riskgraph ready", "url", "http://"+ln.Addr().String()+"/", "store", cmd.String("store"), "access", mode,
		"startup", time.Since(start).Round(time.Millisecond))
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
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Server timeouts. Headers must arrive within headerTimeout; the whole request, body
// included, within headerTimeout and the request timeout (the handler cuts a slow body at
// the request's deadline too); the answer is written within writeGrace of the deadline.
const (
	headerTimeout  = 10 * time.Second
	writeGrace     = 5 * time.Second
	maxHeaderBytes = 64 << 10
)

// newHTTPServer is the server of the API, with every timeout set: no connection is held
// longer than its request may take.
func newHTTPServer(h http.Handler, timeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       headerTimeout + timeout + time.Second,
		WriteTimeout:      timeout + writeGrace + time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// checkLocalMode refuses to listen beyond loopback without API keys: anyone who could reach
// the port could then read and change the graph.
func checkLocalMode(addr string, keys int) error {
	if keys > 0 || loopback(addr) {
		return nil
	}
	return usagef("refusing to listen on %s without API keys: with no keys riskgraph asks nobody for one, so it listens on "+
		"loopback only (e.g. --addr 127.0.0.1:8080). To serve a network, make a key with "+
		"`riskgraph keys add NAME ROLE --keys-file FILE` and start with --keys-file FILE (or RISKGRAPH_KEYS)", addr)
}

// loopback reports whether addr's host is a loopback address or localhost. An empty host
// (":8080") is every interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secrets are the strings no log line or error may show.
type secrets struct{ words []string }

func secretsOf(cmd *ucli.Command) secrets {
	var s secrets
	if p := cmd.String("neo4j-password"); len(p) >= 4 {
		s.words = append(s.words, p)
	}
	return s
}

// uriCredentials matches the user:password@ of a URI.
var uriCredentials = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@`)

// redact removes secrets from s: the configured password wherever it appears, and the
// credentials of any URI (bolt://user:pass@host becomes bolt://REDACTED@host).
func (s secrets) redact(str string) string {
	for _, w := range s.words {
		str = strings.ReplaceAll(str, w, "REDACTED")
	}
	return uriCredentials.ReplaceAllString(str, "${1}REDACTED@")
}

// redactedError shows err's message without secrets, and unwraps to err (so that a usage
// error is still one).
type redactedError struct {
	err error
	msg string
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

func redactError(err error, s secrets) error {
	return redactedError{err: err, msg: s.redact(err.Error())}
}

// redacting is a slog handler that removes secrets from messages and attribute values.
type redacting struct {
	slog.Handler
	s secrets
}

func (h redacting) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redacting) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.s.redact(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]any, len(as))
		for i, g := range as {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.s.redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.s.redact(x.String()))
		}
	}
	return a
}

func (h redacting) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return redacting{h.Handler.WithAttrs(out), h.s}
}

func (h redacting) WithGroup(name string) slog.Handler {
	return redacting{h.Handler.WithGroup(name), h.s}
}
