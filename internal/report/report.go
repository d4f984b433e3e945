// Package report owns the nightly risk report: its model (Report, one vocabulary for every
// format), how a run builds it from a Source (the service in this process, or a running
// server's GraphQL API through Client), and its renderers: JSON (docs/report.schema.json),
// CSV, Markdown and a self-contained HTML page with charts.
package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"riskgraph/internal/kg"
)

// Source is where a run takes its data from. The service implements it over its store; the
// Client implements it over a running server's API. Build calls DueObligations and
// DataQuality while it reads scores and changes: a Source serves calls side by side.
type Source interface {
	// RecordSnapshot scores every entity on asOf, as known now, and stores the scores as a
	// snapshot, keeping the newest keep snapshots (0 keeps all). It returns the snapshot and
	// the newest earlier-dated one it is compared with (nil when there is none).
	RecordSnapshot(ctx context.Context, asOf kg.Date, keep int) (cur SnapshotInfo, prev *SnapshotInfo, err error)
	// SnapshotScores calls fn with the snapshot's scores, one dimension after another in
	// model order, each in rank order, in batches. The batches are fn's: it may keep them and
	// set their scores' Previous (the service hands over its decoded rows and forgets them).
	SnapshotScores(ctx context.Context, snapshotID string, fn func(kg.Dimension, []Score) error) error
	// SnapshotChanges calls fn with the scores that moved by at least minDelta from snapshot
	// from to snapshot to, each with its causes, per dimension, biggest move first.
	SnapshotChanges(ctx context.Context, from, to string, minDelta float64, fn func(kg.Dimension, []Change) error) error
	// DueObligations lists the obligations due within windowDays after the snapshot's date,
	// and those overdue, soonest first, read at the snapshot's moment.
	DueObligations(ctx context.Context, snap SnapshotInfo, windowDays int) ([]ObligationItem, error)
	// DataQuality reports the facts to check before trusting the snapshot's report.
	DataQuality(ctx context.Context, snap SnapshotInfo, staleAfterDays int) (Quality, error)
}

// JobGCPercent is the collector's target (GOGC) for a process that builds a report, when the
// environment sets none: such a job holds the whole graph and both nights' passes (about
// 1.9 GB live at the top of a 1M-entity run), and at the default 100 its heap grows to twice
// that before a collection. Measured with riskgraph report on 1M entities as a new process
// (2026-12-07, 2 cores, when 2.6 GB were live): at 50 a peak of 4.6-4.8 GB in 20-27 s, at 25
// 3.7-3.8 GB in 23-25 s, at 15 3.4 GB in 30 s; with 1.9 GB live, 20 was no lower than 25 and
// 5 s slower. The machine's noise is larger than the cost of 25.
const JobGCPercent = 25

// Options tune one run.
type Options struct {
	AsOf           kg.Date   // date to score; 0 means today
	Keep           int       // snapshots to keep in the store; 0 keeps all
	Threshold      float64   // smallest score move listed as a change
	DueWindowDays  int       // obligations due within this many days are listed (0: only overdue ones)
	StaleAfterDays int       // sources published longer ago than this are stale; 0 means 365
	Now            time.Time // when the report is generated
	// Progress, when set, hears of each step as it starts: done of total steps.
	Progress func(step string, done, total int)
}

// steps of a run, for Progress.
var steps = []string{"score and store the snapshot", "compare with the previous snapshot", "read the scores", "obligations and data quality"}

// Build records a snapshot through src and assembles the report: scores, changes with their
// causes since the previous snapshot, obligations and data quality.
func Build(ctx context.Context, src Source, o Options) (Report, error) {
	if o.StaleAfterDays == 0 {
		o.StaleAfterDays = 365
	}
	progress := func(i int) {
		if o.Progress != nil {
			o.Progress(steps[i], i, len(steps))
		}
	}
	progress(0)
	cur, prev, err := src.RecordSnapshot(ctx, o.AsOf, o.Keep)
	if err != nil {
		return Report{}, fmt.Errorf("record the snapshot: %w", err)
	}
	r := Report{SchemaVersion: SchemaVersion, GeneratedAt: o.Now.UTC(), Snapshot: cur, Previous: prev,
		Threshold: o.Threshold, DueWindowDays: o.DueWindowDays, Dimensions: []DimensionReport{}}
	byDim := map[kg.Dimension]int{}
	dim := func(d kg.Dimension) *DimensionReport {
		i, ok := byDim[d]
		if !ok {
			i = len(r.Dimensions)
			byDim[d] = i
			r.Dimensions = append(r.Dimensions, DimensionReport{Dimension: d, Scores: []Score{}, Changes: []Change{}})
		}
		return &r.Dimensions[i]
	}
	// Obligations and data quality need only the new snapshot: they read the store (a walk
	// of every fact, at 1M entities 3-4 s on one core) beside the reading and comparing of
	// scores, whose serial parts leave a core free.
	var side errgroup.Group
	sideCtx, cancelSide := context.WithCancel(ctx)
	defer cancelSide()
	side.Go(func() error {
		var err error
		if r.Obligations, err = src.DueObligations(sideCtx, cur, o.DueWindowDays); err != nil {
			return fmt.Errorf("list obligations due: %w", err)
		}
		if r.Quality, err = src.DataQuality(sideCtx, cur, o.StaleAfterDays); err != nil {
			return fmt.Errorf("check data quality: %w", err)
		}
		return nil
	})
	// Whatever happens below, the side work ends before Build returns.
	sideDone := false
	defer func() {
		if !sideDone {
			cancelSide()
			_ = side.Wait() // Build already fails; its own error is the one to give
		}
	}()
	// The changes come first: their causes need both nights' passes, and the source can
	// then hand over tonight's scores for the report to keep instead of copying them (at 1M
	// entities, the scores read and copied beside both passes were the top of the run's
	// memory).
	progress(1)
	changes := map[kg.Dimension][]Change{}
	var changed []kg.Dimension
	if prev != nil {
		err = src.SnapshotChanges(ctx, prev.ID, cur.ID, o.Threshold, func(d kg.Dimension, c []Change) error {
			if _, ok := changes[d]; !ok {
				changed = append(changed, d)
			}
			changes[d] = append(changes[d], c...)
			return nil
		})
		if err != nil {
			return Report{}, fmt.Errorf("compare snapshot %s with %s: %w", cur.ID, prev.ID, err)
		}
	}
	progress(2)
	// The dimensions come one after another. A dimension in one batch is kept as it is;
	// one in several batches is copied into one array of the snapshot's size, each such
	// dimension a run of it, instead of slices grown to up to twice their use.
	var all []Score
	var open kg.Dimension
	var batches [][]Score
	settle := func() {
		switch {
		case open == "":
		case len(batches) == 1:
			dim(open).Scores = batches[0]
		default:
			if all == nil {
				all = make([]Score, 0, cur.Scores)
			}
			start := len(all)
			for _, b := range batches {
				all = append(all, b...)
			}
			dim(open).Scores = all[start:len(all):len(all)]
		}
		batches = batches[:0]
	}
	err = src.SnapshotScores(ctx, cur.ID, func(d kg.Dimension, s []Score) error {
		if d != open {
			settle()
			if _, seen := byDim[d]; seen {
				return fmt.Errorf("the scores of dimension %s came in two runs", d)
			}
			open = d
			dim(d)
		}
		batches = append(batches, s)
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("read the scores of snapshot %s: %w", cur.ID, err)
	}
	settle()
	for _, d := range changed {
		dim(d).Changes = changes[d]
	}
	if prev != nil {
		// One dimension at a time, as both snapshots list them in model order: a map of the
		// previous scores of every dimension was 60 MB at 1M entities. The previous scores
		// of one dimension share one array, not an allocation each.
		var m map[string]float64
		var in kg.Dimension
		seen := map[kg.Dimension]bool{}
		apply := func() {
			if i, ok := byDim[in]; ok && m != nil {
				dr := &r.Dimensions[i]
				was := make([]float64, len(dr.Scores))
				for j := range dr.Scores {
					was[j] = m[dr.Scores[j].EntityID]
					dr.Scores[j].Previous = &was[j]
				}
			}
			m = nil
		}
		err = src.SnapshotScores(ctx, prev.ID, func(d kg.Dimension, s []Score) error {
			if d != in {
				apply()
				if seen[d] {
					return fmt.Errorf("the scores of dimension %s came in two runs", d)
				}
				seen[d] = true
				in, m = d, map[string]float64{}
			}
			for _, x := range s {
				m[x.EntityID] = x.Score
			}
			return nil
		})
		if err != nil {
			return Report{}, fmt.Errorf("read the scores of snapshot %s: %w", prev.ID, err)
		}
		apply()
		// A dimension the previous snapshot had no score in was 0 there.
		for i := range r.Dimensions {
			dr := &r.Dimensions[i]
			if len(dr.Scores) > 0 && dr.Scores[0].Previous == nil {
				was := make([]float64, len(dr.Scores))
				for j := range dr.Scores {
					dr.Scores[j].Previous = &was[j]
				}
			}
		}
	}
	progress(3)
	sideDone = true
	if err := side.Wait(); err != nil {
		return Report{}, err
	}
	return r, nil
}

// Compare lists the scores that moved by at least minDelta between two snapshots' scores of
// one dimension, biggest move first (ties by entity id), without causes. Scores missing on
// one side count as 0 there.
func Compare(d kg.Dimension, before, after []Score, minDelta float64) []Change {
	// By index into before: a map of whole scores was 150 MB at 1M entities, at the peak of
	// a report's memory.
	old := make(map[string]int32, len(before))
	for i := range before {
		old[before[i].EntityID] = int32(i)
	}
	out := []Change{}
	for _, s := range after {
		i, was := old[s.EntityID]
		var p Score
		if was {
			p = before[i]
			delete(old, s.EntityID)
		}
		c := Change{EntityID: s.EntityID, Name: s.Name, Kind: s.Kind, Dimension: d, Score: s.Score, Rank: s.Rank,
			Previous: p.Score, PreviousRank: p.Rank, Delta: s.Score - p.Score, Causes: []Cause{}}
		switch {
		case !was:
			c.Change = New
		case c.Delta >= minDelta && c.Delta > 0:
			c.Change = Up
		case -c.Delta >= minDelta && c.Delta < 0:
			c.Change = Down
		default:
			continue
		}
		out = append(out, c)
	}
	for _, i := range old {
		p := &before[i]
		out = append(out, Change{EntityID: p.EntityID, Name: p.Name, Kind: p.Kind, Dimension: d, Change: Gone,
			Previous: p.Score, PreviousRank: p.Rank, Delta: -p.Score, Causes: []Cause{}})
	}
	SortChanges(out)
	return out
}

// SortChanges orders changes biggest move first, ties by entity id.
func SortChanges(cs []Change) {
	slices.SortFunc(cs, func(a, b Change) int {
		return cmp.Or(cmp.Compare(math.Abs(b.Delta), math.Abs(a.Delta)), strings.Compare(a.EntityID, b.EntityID))
	})
}
