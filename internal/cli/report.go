package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	ucli "github.com/urfave/cli/v3"
	"golang.org/x/term"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
)

func reportCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "report",
		Usage: "score every entity on a date, store the scores as a snapshot, and write the nightly report: what changed since the previous snapshot and why",
		Description: "With --server, the report runs beside a running service through its GraphQL API (the key needs the editor role);\n" +
			"without it, the command opens the store itself (fine on Neo4j next to a running service; an embedded\n" +
			"store file admits one process, so use --server while it is served).",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "server", Usage: "address of a running riskgraph (e.g. http://127.0.0.1:8080): take the data through its API", Sources: env("server"),
				Validator: func(s string) error {
					if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
						return fmt.Errorf("server %q: want an http:// or https:// address", s)
					}
					return nil
				}},
			&ucli.StringFlag{Name: "api-key-file", Usage: "file holding the API key sent to --server", Sources: env("api-key-file")},
			&ucli.StringFlag{Name: "report-dir", Value: "reports", Usage: "directory the report files are written to", Sources: env("report-dir")},
			&ucli.StringFlag{Name: "as-of", Usage: "date to score, YYYY-MM-DD (default today)", Sources: env("as-of"),
				Validator: func(s string) error {
					if _, err := kg.ParseDate(s); err != nil {
						return fmt.Errorf("as-of: %w", err)
					}
					return nil
				}},
			&ucli.FloatFlag{Name: "threshold", Value: 0.01, Usage: "smallest score move listed as a change, 0 to 1", Sources: env("threshold"),
				Validator: func(x float64) error {
					if x < 0 || x > 1 {
						return fmt.Errorf("threshold %v: want a number from 0 to 1", x)
					}
					return nil
				}},
			&ucli.IntFlag{Name: "keep", Usage: "snapshots to keep in the store, 0 for all, else at least 2", Sources: env("keep"),
				Validator: func(n int) error {
					if n < 0 || n == 1 {
						return fmt.Errorf("keep %d: want 0 (all) or at least 2", n)
					}
					return nil
				}},
			&ucli.StringFlag{Name: "formats", Value: strings.Join(report.Formats(), ","), Usage: "formats to write, comma-separated", Sources: env("formats"),
				Validator: func(s string) error { _, err := report.ParseFormats(s); return err }},
			&ucli.IntFlag{Name: "top", Value: 20, Usage: "movers and scores per dimension in the Markdown report", Sources: env("top"), Validator: positive[int]("top")},
			&ucli.IntFlag{Name: "due-window", Value: 30, Usage: "list obligations due within this many days", Sources: env("due-window"),
				Validator: func(n int) error {
					if n < 0 || n > 3660 {
						return fmt.Errorf("due-window %d: want 0 to 3660 days", n)
					}
					return nil
				}},
			&ucli.IntFlag{Name: "stale-after", Value: 365, Usage: "sources published longer ago than this many days are stale", Sources: env("stale-after"), Validator: positive[int]("stale-after")},
			riskModelFlag(),
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			asOf, _ := kg.ParseDate(cmd.String("as-of"))             // validated with the flag
			formats, _ := report.ParseFormats(cmd.String("formats")) // validated with the flag
			o := report.Options{AsOf: asOf, Keep: cmd.Int("keep"), Threshold: cmd.Float("threshold"),
				DueWindowDays: cmd.Int("due-window"), StaleAfterDays: cmd.Int("stale-after"), Now: time.Now()}
			prog := newProgress(cmd.Root().ErrWriter, logger(cmd))
			o.Progress = prog.step
			// run builds the report through src, calls built, when set, and writes the files.
			run := func(src report.Source, built func()) error {
				start := time.Now()
				r, err := report.Build(ctx, src, o)
				prog.done()
				if err != nil {
					return err
				}
				if built != nil {
					built()
				}
				paths, err := report.Save(cmd.String("report-dir"), r, formats, cmd.Int("top"))
				if err != nil {
					return err
				}
				changes := 0
				for _, d := range r.Dimensions {
					changes += len(d.Changes)
				}
				prev := ""
				if r.Previous != nil {
					prev = r.Previous.ID
				}
				logger(cmd).Info("report written", "snapshot", r.Snapshot.ID, "scores", r.Snapshot.Scores, "changes", changes,
					"previous", prev, "took", time.Since(start).Round(time.Millisecond))
				for _, p := range paths {
					if _, err := fmt.Fprintln(cmd.Root().Writer, p); err != nil {
						return err
					}
				}
				return nil
			}
			if server := cmd.String("server"); server != "" {
				c := &report.Client{URL: report.GraphQLURL(server)}
				if f := cmd.String("api-key-file"); f != "" {
					b, err := os.ReadFile(f)
					if err != nil {
						return fmt.Errorf("read the API key: %w", err)
					}
					c.APIKey = strings.TrimSpace(string(b))
				}
				return run(c, nil)
			}
			tuneJobMemory(logger(cmd)) // this process holds the whole graph
			// Once the report is built, the passes and snapshots the service keeps are of no
			// more use to this process: forgotten, they leave the heap to the file writers. The
			// collection makes their room reusable at once; else the writers' garbage grows the
			// heap to twice what it was at the last collection, when they were live.
			err := withService(ctx, cmd, func(svc *service.Service) error {
				return run(svc, func() { svc.Forget(); runtime.GC() })
			})
			if errors.Is(err, embedded.ErrLocked) {
				return fmt.Errorf("%w\nwhile a service holds the file, run the report through it: riskgraph report --server http://HOST:PORT", err)
			}
			return err
		},
	}
}

// progress shows a run's steps on standard error: a bar on a terminal, log lines otherwise.
type progress struct {
	bar *progressbar.ProgressBar
	log *slog.Logger
}

func newProgress(w io.Writer, log *slog.Logger) *progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &progress{bar: progressbar.NewOptions(4, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())}
	}
	return &progress{log: log}
}

func (p *progress) step(name string, done, total int) {
	if p.bar != nil {
		p.bar.Describe(name)
		_ = p.bar.Set(done)
		return
	}
	p.log.Info("report step", "step", done+1, "of", total, "doing", name)
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
