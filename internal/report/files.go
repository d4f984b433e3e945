package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"riskgraph/internal/atomicfile"
)

// formats are the report's file formats, by file extension, in the order they are written.
var formats = []struct {
	ext   string
	write func(w io.Writer, r Report, top int) error
}{
	{"json", func(w io.Writer, r Report, _ int) error { return WriteJSON(w, r) }},
	{"csv", func(w io.Writer, r Report, _ int) error { return WriteCSV(w, r) }},
	{"md", WriteMarkdown},
	{"html", func(w io.Writer, r Report, _ int) error { return WriteHTML(w, r) }},
}

// Formats lists the report's formats by file extension.
func Formats() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.ext
	}
	return out
}

// ParseFormats reads a comma-separated list of formats (see Formats).
func ParseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(Formats(), f) {
			return nil, fmt.Errorf("format %q: want some of %s", f, strings.Join(Formats(), ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// FileName is the file of a report's format inside a report directory.
func FileName(r Report, ext string) string { return "report-" + r.Snapshot.AsOf.String() + "." + ext }

// Save renders the report in each of the formats into files staged beside their targets in
// dir, and only when all are rendered puts each under its name (atomically), so a run that
// fails leaves the previous files as they were; nothing is held in memory whole. The formats
// render side by side, one per core: they only read the report. top bounds the Markdown
// lists. It returns the paths written.
func Save(dir string, r Report, exts []string, top int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create report directory: %w", err)
	}
	var paths []string
	var write []func(io.Writer) error
	for _, f := range formats {
		if slices.Contains(exts, f.ext) {
			paths = append(paths, filepath.Join(dir, FileName(r, f.ext)))
			write = append(write, func(w io.Writer) error { return f.write(w, r, top) })
		}
	}
	staged := make([]*atomicfile.Staged, len(paths))
	defer func() {
		for _, s := range staged {
			if s != nil {
				s.Discard() // a no-op for a committed file
			}
		}
	}()
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range paths {
		g.Go(func() error {
			s, err := atomicfile.Stage(paths[i], write[i])
			staged[i] = s
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, s := range staged {
		if err := s.Commit(); err != nil {
			return paths[:i], err
		}
	}
	return paths, nil
}
