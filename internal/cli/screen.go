package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	ucli "github.com/urfave/cli/v3"

	"riskgraph/internal/atomicfile"
	"riskgraph/internal/kg"
	"riskgraph/internal/screen"
	"riskgraph/internal/service"
)

func screenCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "screen",
		Usage:     "match a supplier list (CSV) to the graph and report each supplier's exposure",
		ArgsUsage: "FILE.csv (- reads standard input)",
		Description: "Each row (name, country and id columns; a header row, when there is one, names them and may add\n" +
			"aliases and kind) gets its best match with score, reason and verdict (MATCH, AMBIGUOUS with the\n" +
			"runner-up, or NONE; no row is dropped), and for a MATCH the exposure per dimension and the strongest\n" +
			"chain. With --organization, each directive or law that binds the organisation is listed with its\n" +
			"status, and whether it covers the supplier. A row that fails carries its error in the error column\n" +
			"and the others go on; an unreadable list stops the command (exit 1). The CSV columns and the JSON\n" +
			"shape are documented in internal/screen (CSVColumns, WriteJSON).",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "format", Value: "csv", Usage: "output format: csv or json", Sources: env("format"),
				Validator: oneOf("format", "csv", "json")},
			&ucli.StringFlag{Name: "out", Value: "-", Usage: "file to write (- for standard output)", Sources: env("out")},
			&ucli.StringFlag{Name: "as-of", Usage: "date to screen on, YYYY-MM-DD (default today)", Sources: env("as-of"),
				Validator: func(s string) error {
					if _, err := kg.ParseDate(s); err != nil {
						return fmt.Errorf("as-of: %w", err)
					}
					return nil
				}},
			&ucli.StringFlag{Name: "known-at", Usage: "screen with the facts recorded by this time, RFC 3339 or YYYY-MM-DD (default now)",
				Sources: env("known-at"),
				Validator: func(s string) error {
					if _, err := kg.ParseStamp(s); err != nil {
						return fmt.Errorf("known-at: %w", err)
					}
					return nil
				}},
			&ucli.StringFlag{Name: "organization", Usage: "id of the screening organisation, e.g. organization:us-department-of-state: " +
				"report its status with the rules that bind it", Sources: env("organization"),
				Validator: func(s string) error { return kg.CheckEntityID("organization", s) }},
			&ucli.IntFlag{Name: "workers", Value: runtime.GOMAXPROCS(0), Usage: "match batches and exposure reads in flight at once",
				Sources: env("workers"), Validator: positive[int]("workers")},
			riskModelFlag(),
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if cmd.Args().Len() != 1 {
				return usagef("screen: name one list to screen (- for standard input)")
			}
			file := cmd.Args().First()
			rows, err := readList(file, cmd.Root().Reader)
			if err != nil { // before the store opens: a list that cannot be read changes nothing
				return err
			}
			asOf, _ := kg.ParseDate(cmd.String("as-of"))        // validated with the flag
			knownAt, _ := kg.ParseStamp(cmd.String("known-at")) // validated with the flag
			opt := screen.Options{At: service.At{AsOf: asOf, KnownAt: knownAt}, Organization: cmd.String("organization"),
				Workers: cmd.Int("workers")}
			stderr := cmd.Root().ErrWriter
			tty := isTerminal(stderr)
			if tty {
				opt.Progress = func(done, total int) { fmt.Fprintf(stderr, "\rscreened %d/%d rows", done, total) }
			}
			return withService(ctx, cmd, func(svc *service.Service) error {
				start := time.Now()
				rep, err := screen.Run(ctx, svc, rows, opt)
				if tty && len(rows) > 0 {
					fmt.Fprintln(stderr)
				}
				if err != nil {
					return err
				}
				write := screen.WriteCSV
				if cmd.String("format") == "json" {
					write = screen.WriteJSON
				}
				out := cmd.String("out")
				if out == "-" {
					err = write(cmd.Root().Writer, rep)
				} else {
					err = atomicfile.Write(out, func(w io.Writer) error { return write(w, rep) })
				}
				if err != nil {
					return fmt.Errorf("screen: %w", err)
				}
				s := rep.Summary
				logger(cmd).Info("list screened", "file", file, "rows", s.Rows, "match", s.Match, "ambiguous", s.Ambiguous,
					"none", s.None, "errors", s.Errors, "asOf", rep.AsOf, "took", time.Since(start).Round(time.Millisecond))
				return nil
			})
		},
	}
}

// readList reads the supplier list in file, or stdin for "-".
func readList(file string, stdin io.Reader) ([]screen.Row, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("screen: %w", err)
		}
		defer f.Close()
		r = f
	}
	rows, err := screen.Read(r)
	if err != nil {
		return nil, fmt.Errorf("screen %s: %w", file, err)
	}
	return rows, nil
}

// isTerminal reports whether w is a terminal (a character device), where progress can be
// redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
