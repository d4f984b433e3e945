package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"riskgraph/internal/atomicfile"
)

// WriteJSON writes the report as the snapshot file the next run compares against.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// WriteCSV writes one row per entry, for spreadsheets.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"as_of", "dimension", "entity", "name", "kind", "score", "intrinsic", "propagated", "top_signal", "top_source_entity"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
	for _, e := range r.Entries {
		cw.Write([]string{r.AsOf.String(), e.Dimension, e.EntityID, e.Name, string(e.Kind), f(e.Score),
			f(e.Intrinsic), f(e.Propagated), e.TopSignal, e.TopSource})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

// WriteMarkdown writes a summary for people: what changed, then the top entries per dimension.
func WriteMarkdown(w io.Writer, r Report, topPerDimension int) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Risk report as of %s\n\nModel %s; generated %s.\n\n", r.AsOf, r.ModelVersion, r.GeneratedAt.Format("2006-01-02 15:04 MST"))
	if r.PreviousAsOf == 0 {
		p("## Changes\n\nFirst report: nothing to compare with.\n\n")
	} else {
		p("## Changes since %s\n\n", r.PreviousAsOf)
		if len(r.Changes) == 0 {
			p("No score moved.\n\n")
		} else {
			p("| change | dimension | entity | from | to |\n|---|---|---|---:|---:|\n")
			for _, c := range r.Changes {
				p("| %s | %s | %s (`%s`) | %.3f | %.3f |\n", c.Kind, c.Dimension, c.Name, c.EntityID, c.From, c.To)
			}
			p("\n")
		}
	}
	shown := map[string]int{}
	lastDim := ""
	for _, e := range r.Entries {
		if shown[e.Dimension] >= topPerDimension {
			continue
		}
		if e.Dimension != lastDim {
			p("## %s\n\n| entity | kind | score | own | inherited | strongest source |\n|---|---|---:|---:|---:|---|\n", e.Dimension)
			lastDim = e.Dimension
		}
		shown[e.Dimension]++
		p("| %s (`%s`) | %s | %.3f | %.3f | %.3f | `%s` |\n", e.Name, e.EntityID, e.Kind, e.Score, e.Intrinsic, e.Propagated, e.TopSignal)
		if shown[e.Dimension] == topPerDimension {
			p("\n")
		}
	}
	return nil
}

// Save writes the report's JSON, CSV and Markdown files into dir and returns their paths.
func Save(dir string, r Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create report directory: %w", err)
	}
	writers := []struct {
		ext   string
		write func(io.Writer) error
	}{
		{"json", func(w io.Writer) error { return WriteJSON(w, r) }},
		{"csv", func(w io.Writer) error { return WriteCSV(w, r) }},
		{"md", func(w io.Writer) error { return WriteMarkdown(w, r, 20) }},
	}
	var paths []string
	for _, wr := range writers {
		path := filepath.Join(dir, fileName(r.AsOf, wr.ext))
		if err := atomicfile.Write(path, wr.write); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
