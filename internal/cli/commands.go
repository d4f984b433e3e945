package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	ucli "github.com/urfave/cli/v3"

	"riskgraph/internal/atomicfile"
	"riskgraph/internal/batchfile"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
	"riskgraph/internal/synth"
	"riskgraph/seed"
)

func seedCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "seed",
		Usage: "load the Kaspersky case into the store again (a second run changes nothing)",
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			return withService(ctx, cmd, func(svc *service.Service) error {
				res, err := seed.Apply(ctx, svc)
				if err != nil {
					return err
				}
				return printResult(cmd, "seed applied", res)
			})
		},
	}
}

// loadFlags tune bulk writes.
func loadFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.IntFlag{Name: "batch", Value: service.DefaultLoadBatch, Usage: "rows per write batch", Sources: env("batch"),
			Validator: positive[int]("batch")},
		&ucli.IntFlag{Name: "workers", Value: service.DefaultLoadWorkers, Usage: "write batches in flight at once", Sources: env("workers"),
			Validator: positive[int]("workers")},
	}
}

// loadOptions are the load flags' options, with the load's progress shown on standard
// error: a bar per phase on a terminal, a log line at the end of each phase otherwise.
func loadOptions(cmd *ucli.Command) service.LoadOptions {
	return service.LoadOptions{BatchSize: cmd.Int("batch"), Workers: cmd.Int("workers"), Progress: loadProgress(cmd)}
}

func loadProgress(cmd *ucli.Command) func(phase string, done, total int) {
	w, log := cmd.Root().ErrWriter, logger(cmd)
	var bar *progressbar.ProgressBar
	var began time.Time
	return func(phase string, done, total int) {
		if done == 0 {
			began, bar = time.Now(), nil
			if total > 0 && isTerminal(w) {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(phase),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"), progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
			}
		}
		if bar != nil {
			_ = bar.Set(done)
		}
		if done == total && total > 0 {
			took := time.Since(began)
			if bar != nil {
				_ = bar.Finish()
			}
			log.Info("load phase written", "phase", phase, "rows", total, "took", took.Round(time.Millisecond),
				"rows_per_s", int(float64(total)/took.Seconds()))
		}
	}
}

func synthCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "synth",
		Usage: "load a deterministic synthetic graph into the store, to try a backend at scale",
		Flags: append([]ucli.Flag{
			&ucli.IntFlag{Name: "entities", Value: 10000, Usage: "number of entities (at least 10)", Sources: env("entities"),
				Validator: func(n int) error {
					if n < 10 {
						return fmt.Errorf("entities %d: want at least 10", n)
					}
					return nil
				}},
			&ucli.IntFlag{Name: "relationships", Value: 50000, Usage: "number of relationships", Sources: env("relationships"),
				Validator: func(n int) error {
					if n < 0 {
						return fmt.Errorf("relationships %d: want 0 or more", n)
					}
					return nil
				}},
			&ucli.Int64Flag{Name: "synth-seed", Value: 1, Usage: "random seed (same seed, same graph)", Sources: env("synth-seed")},
			&ucli.FloatFlag{Name: "signal-rate", Value: 0.01, Usage: "share of entities carrying a risk signal", Sources: env("signal-rate")},
		}, loadFlags()...),
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			start := time.Now()
			b := synth.Generate(synth.Config{Entities: cmd.Int("entities"), Relationships: cmd.Int("relationships"),
				Seed: cmd.Int64("synth-seed"), SignalRate: cmd.Float("signal-rate")})
			gen := time.Since(start)
			return withService(ctx, cmd, func(svc *service.Service) error {
				start := time.Now()
				if _, err := svc.Load(ctx, b, loadOptions(cmd)); err != nil {
					return fmt.Errorf("synth: %w", err)
				}
				took := time.Since(start)
				rows := len(b.Entities) + len(b.Relationships) + len(b.Signals)
				logger(cmd).Info("synthetic graph written", "entities", len(b.Entities), "relationships", len(b.Relationships),
					"signals", len(b.Signals), "generate", gen.Round(time.Millisecond), "write", took.Round(time.Millisecond))
				_, err := fmt.Fprintf(cmd.Root().Writer, "wrote %d rows (%d relationships) in %s: %.0f rows/s\n", rows, len(b.Relationships),
					took.Round(time.Millisecond), float64(rows)/took.Seconds())
				return err
			})
		},
	}
}

func exportCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "export",
		Usage: "write every stored fact, ended ones too, as one JSON batch (the file import reads)",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "out", Value: "-", Usage: "file to write (- for standard output)", Sources: env("out")},
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			return withService(ctx, cmd, func(svc *service.Service) error {
				b, err := svc.Export(ctx)
				if err != nil {
					return err
				}
				out := cmd.String("out")
				if out == "-" {
					return batchfile.Write(cmd.Root().Writer, b)
				}
				if err := atomicfile.Write(out, func(w io.Writer) error { return batchfile.Write(w, b) }); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				logger(cmd).Info("store exported", "file", out, "entities", len(b.Entities), "relationships", len(b.Relationships), "signals", len(b.Signals))
				return nil
			})
		},
	}
}

func importCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "import",
		Usage:     "write the facts of JSON batch files (as export writes them) into the store",
		ArgsUsage: "FILE... (- reads standard input)",
		Description: "The files are joined, so a relationship in one may join entities of another, and all of them are\n" +
			"validated before anything is written. Rows are upserts: importing a file twice changes nothing the\n" +
			"second time, and importing again after a failure finishes the job.",
		Flags: loadFlags(),
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			files := cmd.Args().Slice()
			if len(files) == 0 {
				return usagef("import: name the files to import (- for standard input)")
			}
			var all kg.Batch
			for _, f := range files {
				b, err := batchfile.ReadFile(f, cmd.Root().Reader)
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				all = batchfile.Join(all, b)
			}
			if err := all.Validate(); err != nil { // before the store opens: bad input changes nothing
				return fmt.Errorf("import: %w", err)
			}
			return withService(ctx, cmd, func(svc *service.Service) error {
				start := time.Now()
				res, err := svc.Load(ctx, all, loadOptions(cmd))
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				return printResult(cmd, "import written", res, "files", len(files), "took", time.Since(start).Round(time.Millisecond))
			})
		},
	}
}

// withService runs f with the configured store open behind a service.
func withService(ctx context.Context, cmd *ucli.Command, f func(*service.Service) error) error {
	m, err := model(cmd)
	if err != nil {
		return err
	}
	svc, err := openService(ctx, cmd, m)
	if err != nil {
		return err
	}
	defer svc.Close()
	return f(svc)
}

// printResult logs what a write did, with attrs, and prints the counts on standard output.
func printResult(cmd *ucli.Command, msg string, res kg.WriteResult, attrs ...any) error {
	logger(cmd).Info(msg, append([]any{"created", len(res.Created), "updated", len(res.Updated), "unchanged", len(res.Unchanged)}, attrs...)...)
	_, err := fmt.Fprintf(cmd.Root().Writer, "created %d, updated %d, unchanged %d\n", len(res.Created), len(res.Updated), len(res.Unchanged))
	return err
}
