// Package report owns the nightly risk report: a full recompute of every score on a date, saved
// as a dated snapshot file, the changes since the previous snapshot, and renderers (JSON,
// CSV, Markdown) for people and for the next run.
package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// FormatVersion is the version of the snapshot file layout.
const FormatVersion = 1

// Entry is one entity's non-zero score in one dimension.
type Entry struct {
	EntityID   string  `json:"entity"`
	Name       string  `json:"name"`
	Kind       kg.Kind `json:"kind"`
	Dimension  string  `json:"dimension"`
	Score      float64 `json:"score"`
	Intrinsic  float64 `json:"intrinsic"`
	Propagated float64 `json:"propagated"`
	TopSignal  string  `json:"topSignal,omitempty"`
	TopSource  string  `json:"topSourceEntity,omitempty"`
}

// ChangeKind says how an entry changed between two reports.
type ChangeKind string

// Kinds of change.
const (
	New  ChangeKind = "NEW"  // exposed now, not before
	Gone ChangeKind = "GONE" // exposed before, not now
	Up   ChangeKind = "UP"
	Down ChangeKind = "DOWN"
)

// Change is one entry that moved by at least the threshold.
type Change struct {
	EntityID  string     `json:"entity"`
	Name      string     `json:"name"`
	Dimension string     `json:"dimension"`
	Kind      ChangeKind `json:"change"`
	From      float64    `json:"from"`
	To        float64    `json:"to"`
}

// Delta is To − From.
func (c Change) Delta() float64 { return c.To - c.From }

// Report is one run: every score on a date and what changed since the previous run.
type Report struct {
	Format       int       `json:"format"`
	AsOf         kg.Date   `json:"asOf"`
	GeneratedAt  time.Time `json:"generatedAt"`
	ModelVersion string    `json:"modelVersion"`
	Entries      []Entry   `json:"entries"`
	// PreviousAsOf is the date of the report compared against; 0 on a first run.
	PreviousAsOf kg.Date  `json:"previousAsOf,omitempty"`
	Changes      []Change `json:"changes"`
}

// Options say where a run writes and what it compares.
type Options struct {
	Dir       string    // directory of dated report files
	AsOf      kg.Date   // date to score; 0 means today
	Threshold float64   // smallest score move listed as a change
	Now       time.Time // when the report is generated
}

// Run builds the report for o.AsOf, compares it with the newest earlier report in o.Dir,
// and writes its files there; it returns the report and the paths written.
func Run(ctx context.Context, svc *service.Service, o Options) (Report, []string, error) {
	asOf := service.ResolveAsOf(o.AsOf)
	r, err := Build(ctx, svc, asOf, o.Now)
	if err != nil {
		return r, nil, err
	}
	prev, ok, err := Previous(o.Dir, asOf)
	if err != nil {
		return r, nil, err
	}
	if ok {
		r.Compare(prev, o.Threshold)
	}
	paths, err := Save(o.Dir, r)
	return r, paths, err
}

// Build recomputes every score on asOf.
func Build(ctx context.Context, svc *service.Service, asOf kg.Date, now time.Time) (Report, error) {
	scores, err := svc.AllScores(ctx, service.AsOf(asOf))
	if err != nil {
		return Report{}, fmt.Errorf("score the graph as of %s: %w", asOf, err)
	}
	r := Report{Format: FormatVersion, AsOf: asOf, GeneratedAt: now.UTC(), ModelVersion: svc.Model().Version(),
		Entries: make([]Entry, len(scores)), Changes: []Change{}}
	for i, s := range scores {
		r.Entries[i] = Entry{EntityID: s.Entity.ID, Name: s.Entity.Name, Kind: s.Entity.Kind,
			Dimension: string(s.Dimension), Score: s.Score, Intrinsic: s.Intrinsic, Propagated: s.Propagated,
			TopSignal: s.TopSignalID, TopSource: s.TopSourceEntityID}
	}
	return r, nil
}

// Compare fills r.Changes with the entries that appeared, disappeared, or moved by at least
// threshold since prev; biggest moves first, ties by dimension and id.
func (r *Report) Compare(prev Report, threshold float64) {
	type key struct{ id, dim string }
	before := make(map[key]Entry, len(prev.Entries))
	for _, e := range prev.Entries {
		before[key{e.EntityID, e.Dimension}] = e
	}
	r.PreviousAsOf = prev.AsOf
	r.Changes = []Change{}
	for _, e := range r.Entries {
		k := key{e.EntityID, e.Dimension}
		p, was := before[k]
		delete(before, k)
		switch {
		case !was:
			r.Changes = append(r.Changes, Change{e.EntityID, e.Name, e.Dimension, New, 0, e.Score})
		case e.Score-p.Score >= threshold:
			r.Changes = append(r.Changes, Change{e.EntityID, e.Name, e.Dimension, Up, p.Score, e.Score})
		case p.Score-e.Score >= threshold:
			r.Changes = append(r.Changes, Change{e.EntityID, e.Name, e.Dimension, Down, p.Score, e.Score})
		}
	}
	for _, p := range before {
		r.Changes = append(r.Changes, Change{p.EntityID, p.Name, p.Dimension, Gone, p.Score, 0})
	}
	slices.SortFunc(r.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(math.Abs(b.Delta()), math.Abs(a.Delta())),
			strings.Compare(a.Dimension, b.Dimension), strings.Compare(a.EntityID, b.EntityID))
	})
}

// fileName is the snapshot file of a date inside a report directory.
func fileName(asOf kg.Date, ext string) string { return "report-" + asOf.String() + "." + ext }

// Previous loads the newest snapshot in dir dated before asOf; ok is false when there is none.
func Previous(dir string, asOf kg.Date) (r Report, ok bool, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "report-*.json"))
	if err != nil {
		return r, false, fmt.Errorf("list reports in %s: %w", dir, err)
	}
	var best string
	var bestDate kg.Date
	for _, f := range files {
		d, err := kg.ParseDate(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "report-"), ".json"))
		if err != nil || d == 0 || d >= asOf {
			continue
		}
		if d > bestDate {
			best, bestDate = f, d
		}
	}
	if best == "" {
		return r, false, nil
	}
	b, err := os.ReadFile(best)
	if err != nil {
		return r, false, fmt.Errorf("read previous report: %w", err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, false, fmt.Errorf("decode previous report %s: %w", best, err)
	}
	if r.Format != FormatVersion {
		return r, false, fmt.Errorf("previous report %s has format %d; this riskgraph reads %d", best, r.Format, FormatVersion)
	}
	return r, true, nil
}
