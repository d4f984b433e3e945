package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
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
		&ucli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "address to listen on, host:port", Sources: env("addr"),
			Validator: func(s string) error {
				if _, _, err := net.SplitHostPort(s); err != nil {
					return fmt.Errorf("addr %q: want host:port, e.g. 127.0.0.1:8080", s)
				}
				return nil
			}},
		&ucli.BoolFlag{Name: "seed", Value: true, Usage: "load the Kaspersky case into an empty store at start", Sources: env("seed")},
		&ucli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "per-request timeout", Sources: env("timeout"),
			Validator: positive[time.Duration]("timeout")},
		&ucli.IntFlag{Name: "max-depth", Value: 12, Usage: "deepest query nesting", Sources: env("max-depth"),
			Validator: func(n int) error {
				if n < 2 {
					return fmt.Errorf("max-depth %d: want at least 2", n)
				}
				return nil
			}},
		&ucli.IntFlag{Name: "max-complexity", Value: 50000, Usage: "largest query complexity (lists weigh their page size)",
			Sources: env("max-complexity"), Validator: positive[int]("max-complexity")},
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

func serveCommand() *ucli.Command {
	return &ucli.Command{
		Name:   "serve",
		Usage:  "serve the GraphQL API, the playground and the probes (the default command)",
		Flags:  serveFlags(),
		Action: serve,
	}
}

// serve opens the store, seeds it when empty (unless --seed=false), and serves HTTP until
// SIGINT or SIGTERM, then shuts down gracefully.
func serve(ctx context.Context, cmd *ucli.Command) error {
	start := time.Now()
	log := logger(cmd)
	m, err := model(cmd)
	if err != nil {
		return err
	}
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
	limits := api.Limits{Timeout: cmd.Duration("timeout"), MaxDepth: cmd.Int("max-depth"), MaxComplexity: cmd.Int("max-complexity")}
	srv := &http.Server{
		Handler:           api.New(api.Config{Service: svc, Log: log, Limits: limits, Playground: web.Handler("/graphql")}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", cmd.String("addr"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cmd.String("addr"), err)
	}
	log.Info("riskgraph ready", "url", "http://"+ln.Addr().String()+"/", "store", cmd.String("store"),
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
