// Package cli owns riskgraph's command line: the subcommands (serve, the default; seed,
// report, synth, export, import), each with its own flags and help, every flag with a
// RISKGRAPH_* environment variable that is validated like the flag, and the opening of the
// configured store behind a *service.Service, which is all a command gets to work with.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v3"

	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store"
	"riskgraph/internal/store/embedded"
	"riskgraph/internal/store/neo4jstore"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // the command line or the environment is wrong
)

// usageError marks a mistake in the command line or the environment.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// runError marks an error returned by a command's action; any other error comes from
// parsing the command line or the environment, and is a usage error.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// marked wraps an action so that its errors are told apart from parsing errors.
func marked(a ucli.ActionFunc) ucli.ActionFunc {
	return func(ctx context.Context, cmd *ucli.Command) error {
		if err := a(ctx, cmd); err != nil {
			return runError{err}
		}
		return nil
	}
}

// IO is where a command reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Main runs the command line args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, io IO) int {
	err := New(io).Run(ctx, append([]string{"riskgraph"}, args...))
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(io.Stderr, "riskgraph:", err)
	if errors.As(err, new(runError)) && !errors.As(err, new(usageError)) {
		return ExitError
	}
	return ExitUsage
}

// env is the environment variable of a flag: RISKGRAPH_ and the name in upper case.
func env(flag string) ucli.ValueSourceChain {
	return ucli.EnvVars("RISKGRAPH_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_")))
}

// New returns the root command. With no subcommand it serves, and it takes serve's flags
// too (hidden from its help), so `riskgraph --addr …` keeps working.
func New(io IO) *ucli.Command {
	root := &ucli.Command{
		Name:  "riskgraph",
		Usage: "the vendor-risk knowledge graph, served over GraphQL",
		Description: "With no command, riskgraph serves the API and the playground (see riskgraph serve --help).\n" +
			"Every flag can also be set with its environment variable, shown in brackets; the flag wins.",
		Reader:    io.Stdin,
		Writer:    io.Stdout,
		ErrWriter: io.Stderr,
		Flags:     append(globalFlags(), hidden(serveFlags())...),
		Commands: []*ucli.Command{
			serveCommand(), seedCommand(), reportCommand(), synthCommand(), exportCommand(), importCommand(), keysCommand(), screenCommand(),
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if cmd.Args().Present() {
				return usagef("unknown command %q: run riskgraph help", cmd.Args().First())
			}
			return serve(ctx, cmd)
		},
		OnUsageError: func(_ context.Context, cmd *ucli.Command, err error, _ bool) error {
			return usagef("%v (run %s --help)", err, cmd.FullName())
		},
		// Errors go back to Main, which prints them and picks the exit code.
		ExitErrHandler: func(context.Context, *ucli.Command, error) {},
	}
	root.Action = marked(root.Action)
	for _, c := range root.Commands {
		c.OnUsageError = root.OnUsageError
		c.Action = marked(c.Action)
	}
	return root
}

// hidden marks flags so that they work but do not show in help.
func hidden(flags []ucli.Flag) []ucli.Flag {
	for _, f := range flags {
		switch f := f.(type) {
		case *ucli.StringFlag:
			f.Hidden, f.Local = true, true
		case *ucli.BoolFlag:
			f.Hidden, f.Local = true, true
		case *ucli.DurationFlag:
			f.Hidden, f.Local = true, true
		case *ucli.IntFlag:
			f.Hidden, f.Local = true, true
		}
	}
	return flags
}

// globalFlags choose the store and the logging; every command has them.
func globalFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "store", Value: "embedded", Usage: "storage backend: embedded or neo4j", Sources: env("store"),
			Validator: oneOf("store", "embedded", "neo4j")},
		&ucli.StringFlag{Name: "data", Value: filepath.Join("data", "riskgraph.db"), Usage: "embedded store file", Sources: env("data")},
		&ucli.StringFlag{Name: "neo4j-uri", Value: "bolt://127.0.0.1:7687", Usage: "Neo4j URI (store neo4j)", Sources: env("neo4j-uri"),
			Validator: func(s string) error {
				if !strings.Contains(s, "://") {
					return fmt.Errorf("neo4j-uri %q: want e.g. bolt://host:7687 or neo4j://host:7687", s)
				}
				return nil
			}},
		&ucli.StringFlag{Name: "neo4j-user", Value: "neo4j", Usage: "Neo4j user", Sources: env("neo4j-user")},
		&ucli.StringFlag{Name: "neo4j-password", Usage: "Neo4j password", Sources: env("neo4j-password")},
		&ucli.StringFlag{Name: "neo4j-database", Value: "neo4j", Usage: "Neo4j database", Sources: env("neo4j-database")},
		&ucli.IntFlag{Name: "neo4j-max-writes", Value: 4, Usage: "write transactions sent to Neo4j at once; more wait their turn", Sources: env("neo4j-max-writes"),
			Validator: func(n int) error {
				if n < 1 || n > 256 {
					return fmt.Errorf("neo4j-max-writes %d: want 1 to 256", n)
				}
				return nil
			}},
		&ucli.StringFlag{Name: "log-level", Value: "info", Usage: "log level: debug, info, warn or error", Sources: env("log-level"),
			Validator: func(s string) error { _, err := parseLevel(s); return err }},
		&ucli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json", Sources: env("log-format"),
			Validator: oneOf("log-format", "text", "json")},
	}
}

// riskModelFlag picks the risk model file; serve and report score with it.
func riskModelFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "risk-model", Usage: "risk model file (JSON); the embedded default when empty", Sources: env("risk-model")}
}

func oneOf(flag string, allowed ...string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return fmt.Errorf("%s %q: want %s", flag, s, strings.Join(allowed, " or "))
	}
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// logger is the command's logger, on standard error.
func logger(cmd *ucli.Command) *slog.Logger {
	lvl, _ := parseLevel(cmd.String("log-level")) // validated with the flag
	opts := &slog.HandlerOptions{Level: lvl}
	if cmd.String("log-format") == "json" {
		return slog.New(slog.NewJSONHandler(cmd.Root().ErrWriter, opts))
	}
	return slog.New(slog.NewTextHandler(cmd.Root().ErrWriter, opts))
}

// model returns the risk model the command's --risk-model names, or the default.
func model(cmd *ucli.Command) (*risk.Model, error) {
	path := cmd.String("risk-model")
	if path == "" {
		return risk.DefaultModel(), nil
	}
	m, err := risk.LoadModel(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("risk-model: %w", err)}
	}
	return m, nil
}

// serves names the commands that run the server (the root command serves).
var serves = map[string]bool{"riskgraph": true, "serve": true}

// createsStore names the commands that may make a new embedded store (the root command serves).
var createsStore = map[string]bool{"riskgraph": true, "serve": true, "seed": true, "synth": true, "import": true}

// openService opens the configured store and returns the service over it; closing the
// service closes the store.
//
// Only the commands that write may make a new embedded store; the others (report, export,
// screen) stop when --data names no file, instead of reading an empty store made on the spot.
func openService(ctx context.Context, cmd *ucli.Command, m *risk.Model) (*service.Service, error) {
	var s store.Store
	switch cmd.String("store") {
	case "neo4j":
		n, err := neo4jstore.Open(ctx, neo4jstore.Config{URI: cmd.String("neo4j-uri"), User: cmd.String("neo4j-user"),
			Password: cmd.String("neo4j-password"), Database: cmd.String("neo4j-database"), MaxWrites: cmd.Int("neo4j-max-writes")})
		if err != nil {
			// Every command opens the store here, so this is where its secrets leave errors.
			return nil, redactError(fmt.Errorf("open neo4j store at %s: %w", cmd.String("neo4j-uri"), err), secretsOf(cmd))
		}
		s = n
	default:
		path := cmd.String("data")
		if path == "" {
			return nil, usagef("data: the embedded store needs a file path")
		}
		if !createsStore[cmd.Name] {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("no embedded store at %s (check --data): %s reads a store and does not make one; "+
					"serve, seed, synth and import make one", path, cmd.Name)
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		e, err := embedded.Open(path)
		if errors.Is(err, embedded.ErrLocked) {
			return nil, fmt.Errorf("open embedded store %s: %w; stop that process first, or keep the graph on Neo4j, "+
				"which serves a running service and the nightly report at once", path, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open embedded store %s: %w", path, err)
		}
		// A server builds its search indexes now, so the first search does not wait for
		// them; the other commands never search and leave them unbuilt.
		if serves[cmd.Name] {
			if err := e.Warm(ctx); err != nil {
				e.Close()
				return nil, fmt.Errorf("build the search indexes of %s: %w", path, err)
			}
		}
		s = e
	}
	return service.New(s, m), nil
}
