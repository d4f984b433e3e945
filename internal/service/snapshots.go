package service

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/store"
)

// Risk snapshots: each nightly run stores the scores of a whole-graph pass in the store
// (store.Snapshots), so any replica or client can read them and a later run can compare
// with them. Their facts are read as known at the moment of the run (KnownAt), so every
// snapshot can be replayed, and the causes of a change are found by explaining both
// snapshots' scores at their own moments.

// snapshotRowsPerChunk is how many scores one stored chunk holds.
const snapshotRowsPerChunk = 20_000

// snapRow is one stored score: short keys, as a snapshot holds millions.
type snapRow struct {
	E   string       `json:"e"`
	N   string       `json:"n"`
	K   kg.Kind      `json:"k"`
	D   kg.Dimension `json:"d"`
	R   int          `json:"r"`
	S   float64      `json:"s"`
	I   float64      `json:"i"`
	P   float64      `json:"p"`
	Top *snapSource  `json:"t,omitempty"`
}

type snapSource struct {
	Sig  string  `json:"s"`
	E    string  `json:"e"`
	N    string  `json:"n"`
	Str  float64 `json:"x"`
	Hops int     `json:"h"`
}

// snapshotInfo is the report's view of a stored snapshot's description.
func snapshotInfo(m store.SnapshotMeta) report.SnapshotInfo {
	return report.SnapshotInfo{ID: m.ID, AsOf: m.AsOf, KnownAt: m.KnownAt, ModelVersion: m.ModelVersion,
		CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, Scores: m.Scores}
}

// newestFirst orders snapshot descriptions by as-of date, then creation, newest first.
func newestFirst(a, b store.SnapshotMeta) int {
	return cmp.Or(cmp.Compare(b.AsOf, a.AsOf), b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
}

// RecordSnapshot scores every entity on asOf (0: today) as known now, stores the scores as
// a snapshot, and deletes all but the newest keep snapshots (0 keeps all; the new one and
// the one it is compared with are always kept). It returns the snapshot and the newest one
// dated before it, nil when there is none. It needs the editor role.
func (s *Service) RecordSnapshot(ctx context.Context, asOf kg.Date, keep int) (report.SnapshotInfo, *report.SnapshotInfo, error) {
	if err := allow(ctx, RoleEditor, "recording a risk snapshot"); err != nil {
		return report.SnapshotInfo{}, nil, err
	}
	if keep < 0 || keep == 1 {
		return report.SnapshotInfo{}, nil, kg.Invalid("keep", "keep is %d; keep 0 (all) or at least 2 snapshots, so that the next run has one to compare with", keep)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	at := At{AsOf: store.ResolveAsOf(asOf), KnownAt: kg.StampOf(now)}
	if err := s.replayPrevious(ctx, at.AsOf); err != nil {
		return report.SnapshotInfo{}, nil, err
	}
	scores, n, err := s.scoreAll(ctx, at)
	if err != nil {
		return report.SnapshotInfo{}, nil, err
	}
	chunks, err := encodeScores(s.model.Dimensions(), scores, n)
	if err != nil {
		return report.SnapshotInfo{}, nil, err
	}
	m := store.SnapshotMeta{ID: "snapshot:" + at.AsOf.String() + ":" + now.Format("20060102T150405.000000Z"),
		AsOf: at.AsOf, KnownAt: at.KnownAt, ModelVersion: s.model.Version(), CreatedAt: now, CreatedBy: writer(ctx),
		Scores: n, Chunks: len(chunks)}
	if err := s.store.PutSnapshot(ctx, m, chunks); err != nil {
		return report.SnapshotInfo{}, nil, fmt.Errorf("store snapshot as of %s: %w", at.AsOf, err)
	}
	// The report reads the new snapshot next: keep its scores, as decoding them again would
	// give them.
	s.keepDecoded(m.ID, scores)
	all, err := s.store.ListSnapshots(ctx)
	if err != nil {
		return report.SnapshotInfo{}, nil, fmt.Errorf("list snapshots: %w", err)
	}
	cur, prev := snapshotInfo(m), previous(all, m.AsOf)
	if keep > 0 {
		if err := s.prune(ctx, all, keep, m.ID, prev); err != nil {
			return cur, prev, err
		}
	}
	return cur, prev, nil
}

// previous returns the newest of the snapshots dated before asOf, or nil. It sorts all.
func previous(all []store.SnapshotMeta, asOf kg.Date) *report.SnapshotInfo {
	slices.SortFunc(all, newestFirst)
	for _, o := range all {
		if o.AsOf < asOf {
			p := snapshotInfo(o)
			return &p
		}
	}
	return nil
}

// replayPrevious starts, in the background, the pass of the snapshot a new one dated asOf
// will be compared with: the comparison's causes need it (see comparison.explain), and
// replaying it beside the new snapshot's own pass lets the two walks of the store share the
// cores. A process that has not seen that snapshot's moment (a nightly job is a new process)
// would otherwise replay it after, alone (at 1M entities, about 10 s).
func (s *Service) replayPrevious(ctx context.Context, asOf kg.Date) error {
	all, err := s.store.ListSnapshots(ctx)
	if err != nil {
		return fmt.Errorf("list snapshots: %w", err)
	}
	prev := previous(all, asOf)
	if prev == nil {
		return nil
	}
	v, _, err := s.dataVersion(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.passFor(passKey{At{AsOf: store.ResolveAsOf(prev.AsOf), KnownAt: prev.KnownAt}, s.model.HopCap()}, v)
	s.mu.Unlock()
	return nil
}

// prune deletes the snapshots past the newest keep by creation time, sparing the new one
// and the one it is compared with.
func (s *Service) prune(ctx context.Context, all []store.SnapshotMeta, keep int, cur string, prev *report.SnapshotInfo) error {
	slices.SortFunc(all, func(a, b store.SnapshotMeta) int { return b.CreatedAt.Compare(a.CreatedAt) })
	spare := map[string]bool{cur: true}
	if prev != nil {
		spare[prev.ID] = true
	}
	var drop []string
	kept := len(spare)
	for _, o := range all {
		switch {
		case spare[o.ID]:
		case kept < keep:
			kept++
		default:
			drop = append(drop, o.ID)
		}
	}
	for len(drop) > 0 {
		n := min(len(drop), store.MaxIDs)
		if err := s.store.DeleteSnapshots(ctx, drop[:n]); err != nil {
			return fmt.Errorf("delete old snapshots: %w", err)
		}
		drop = drop[n:]
	}
	return nil
}

// scoreAll runs the whole-graph pass for at and returns every non-zero score with names,
// grouped by dimension, each in rank order, as decodeScores groups a stored snapshot's, and
// their number. The names are the pass's own: its graph was compiled from the entities as of
// at, each with its name (a write requires one). The scores are built in their final form:
// rows to encode beside them were 190 MB at 1M entities, at the top of a report's memory.
func (s *Service) scoreAll(ctx context.Context, at At) (map[kg.Dimension][]report.Score, int, error) {
	res, err := s.wholePass(ctx, at)
	if err != nil {
		return nil, 0, err
	}
	out := map[kg.Dimension][]report.Score{}
	n := 0
	for _, d := range s.model.Dimensions() {
		ranked, tops, err := res.RankingTops(d)
		if err != nil {
			return nil, 0, fmt.Errorf("rank %s: %w", d, err)
		}
		if len(ranked) == 0 {
			continue
		}
		withTop := 0
		for i := range tops {
			if tops[i].SignalID != "" {
				withTop++
			}
		}
		sc, refs := make([]report.Score, len(ranked)), make([]report.SourceRef, 0, withTop)
		for i := range ranked {
			r := &ranked[i]
			k, _ := kg.KindOfID(r.EntityID)
			sc[i] = report.Score{EntityID: r.EntityID, Name: r.Name, Kind: k, Rank: i + 1, Score: r.Score,
				Intrinsic: r.Intrinsic, Propagated: r.Propagated}
			if top := &tops[i]; top.SignalID != "" {
				refs = append(refs, report.SourceRef{SignalID: top.SignalID, EntityID: top.EntityID,
					EntityName: top.EntityName, Strength: top.Strength, Hops: top.Hops})
				sc[i].TopSource = &refs[len(refs)-1]
			}
		}
		out[d] = sc
		n += len(sc)
	}
	return out, n, nil
}

// encodeScores packs n scores, grouped by dimension, into compressed chunks (see snapMagic):
// the dimensions in order dims, each in the order given, snapshotRowsPerChunk rows a chunk.
func encodeScores(dims []kg.Dimension, byDim map[kg.Dimension][]report.Score, n int) ([][]byte, error) {
	type run struct {
		d      kg.Dimension
		scores []report.Score
		start  int // of the run among all n
	}
	var runs []run
	at := 0
	for _, d := range dims {
		if sc := byDim[d]; len(sc) > 0 {
			runs = append(runs, run{d, sc, at})
			at += len(sc)
		}
	}
	if at != n {
		return nil, fmt.Errorf("encode a snapshot: %d scores in its dimensions, not %d", at, n)
	}
	chunks := make([][]byte, (n+snapshotRowsPerChunk-1)/snapshotRowsPerChunk)
	err := perChunk(context.Background(), len(chunks), func(c int) error {
		first := c * snapshotRowsPerChunk
		var r snapRow
		var top snapSource
		ri := 0
		var err error
		chunks[c], err = encodeChunkOf(min(snapshotRowsPerChunk, n-first), func(i int) *snapRow {
			g := first + i
			for ri+1 < len(runs) && runs[ri+1].start <= g {
				ri++
			}
			sc := &runs[ri].scores[g-runs[ri].start]
			r = snapRow{E: sc.EntityID, N: sc.Name, K: sc.Kind, D: runs[ri].d, R: sc.Rank, S: sc.Score, I: sc.Intrinsic, P: sc.Propagated}
			if t := sc.TopSource; t != nil {
				top = snapSource{Sig: t.SignalID, E: t.EntityID, N: t.EntityName, Str: t.Strength, Hops: t.Hops}
				r.Top = &top
			}
			return &r
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return chunks, nil
}

// perChunk calls fn for chunks 0 to n-1 side by side, one per core: chunks are compressed
// apart, and coding them is most of storing or reading a snapshot (at 1M entities decoding
// JSON lines took about 10 CPU-seconds). It stops at the first error, or when ctx ends.
func perChunk(ctx context.Context, n int, fn func(i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return fn(i)
		})
	}
	return g.Wait()
}

// readChunks reads a stored snapshot's compressed chunks, in order.
func (s *Service) readChunks(ctx context.Context, id string) ([][]byte, error) {
	var chunks [][]byte
	err := s.store.SnapshotChunks(ctx, id, func(_ int, b []byte) error {
		chunks = append(chunks, bytes.Clone(b)) // b is the store's only during the call
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", id, err)
	}
	return chunks, nil
}

// decodeSnapshot reads a stored snapshot's rows, chunk by chunk, in order, decoding the
// chunks side by side.
func (s *Service) decodeSnapshot(ctx context.Context, id string) ([][]snapRow, error) {
	chunks, err := s.readChunks(ctx, id)
	if err != nil {
		return nil, err
	}
	rows := make([][]snapRow, len(chunks))
	err = perChunk(ctx, len(chunks), func(i int) error {
		var err error
		rows[i], err = decodeChunk(chunks[i])
		chunks[i] = nil
		if err != nil {
			return fmt.Errorf("read snapshot %s: chunk %d: %w", id, i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// SnapshotScores calls fn with snapshot id's scores, dimension by dimension in model order,
// each in rank order, a dimension in one batch. The batches are the decoded rows themselves,
// which the service then forgets: fn may keep them and change them (at 1M entities, a
// report's copy of them was 110 MB).
func (s *Service) SnapshotScores(ctx context.Context, id string, fn func(kg.Dimension, []report.Score) error) error {
	byDim, err := s.scoresByDimension(ctx, id)
	if err != nil {
		return err
	}
	s.forgetDecoded(id)
	for _, d := range s.model.Dimensions() {
		if sc := byDim[d]; len(sc) > 0 {
			if err := fn(d, sc[:len(sc):len(sc)]); err != nil {
				return err
			}
		}
	}
	return nil
}

// scoresOf groups snapshot rows by dimension, each dimension's scores in one array of their
// number and the top sources of all in another: grown by appending, they held up to twice
// the room they used, and the sources were an object each (a million at 1M entities).
func scoresOf(chunks ...[]snapRow) map[kg.Dimension][]report.Score {
	count, tops := map[kg.Dimension]int{}, 0
	for _, rows := range chunks {
		for i := range rows {
			count[rows[i].D]++
			if rows[i].Top != nil {
				tops++
			}
		}
	}
	byDim := make(map[kg.Dimension][]report.Score, len(count))
	for d, n := range count {
		byDim[d] = make([]report.Score, 0, n)
	}
	refs := make([]report.SourceRef, 0, tops)
	for _, rows := range chunks {
		for i := range rows {
			r := &rows[i]
			sc := report.Score{EntityID: r.E, Name: r.N, Kind: r.K, Rank: r.R, Score: r.S, Intrinsic: r.I, Propagated: r.P}
			if t := r.Top; t != nil {
				refs = append(refs, report.SourceRef{SignalID: t.Sig, EntityID: t.E, EntityName: t.N, Strength: t.Str, Hops: t.Hops})
				sc.TopSource = &refs[len(refs)-1]
			}
			byDim[r.D] = append(byDim[r.D], sc)
		}
	}
	return byDim
}

// decodedSnapshots is how many decoded snapshots the service keeps: the two sides of the
// comparison a report or a dashboard pages through.
const decodedSnapshots = 2

// scoresByDimension reads a snapshot's scores, grouped by dimension. Snapshots never change,
// so the last few decoded are kept: paging through one does not decode it for every page.
func (s *Service) scoresByDimension(ctx context.Context, id string) (map[kg.Dimension][]report.Score, error) {
	if kept, ok := s.keptScores(id); ok {
		return kept, nil
	}
	out, err := s.decodeScores(ctx, id, true)
	if err != nil {
		return nil, err
	}
	s.keepDecoded(id, out)
	return out, nil
}

// scoresToCompare is scoresByDimension for a comparison's earlier side, which needs no top
// sources: unless kept decoded, the snapshot is decoded without them and not kept (at 1M
// entities the top sources are 70 MB, read beside both nights' passes).
func (s *Service) scoresToCompare(ctx context.Context, id string) (map[kg.Dimension][]report.Score, error) {
	if kept, ok := s.keptScores(id); ok {
		return kept, nil
	}
	return s.decodeScores(ctx, id, false)
}

// keptScores returns the decoded scores of snapshot id, if kept.
func (s *Service) keptScores(id string) (map[kg.Dimension][]report.Score, bool) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	for _, c := range s.snapCache {
		if c.id == id {
			return c.scores, true
		}
	}
	return nil, false
}

// decodeScores reads a stored snapshot's scores, grouped by dimension. Chunks of the binary
// format with snapshotRowsPerChunk rows each (but the last), as encodeRows writes them, are
// decoded side by side straight into one array of all the scores, each dimension a run of it:
// no row is built to be copied, which at 1M entities was 0.15 GB at the top of a report. Any
// other snapshot (JSON lines) is read row by row (decodeSnapshot).
func (s *Service) decodeScores(ctx context.Context, id string, tops bool) (map[kg.Dimension][]report.Score, error) {
	chunks, err := s.readChunks(ctx, id)
	if err != nil {
		return nil, err
	}
	out, ok, err := scoresFromChunks(ctx, chunks, snapshotRowsPerChunk, tops)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", id, err)
	}
	if ok {
		return out, nil
	}
	rows, err := s.decodeSnapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	return scoresOf(rows...), nil
}

// pendingTop marks, while a chunk is decoded, the scores whose top source is yet to be placed.
var pendingTop report.SourceRef

// errNotDense stops scoresFromChunks on a chunk it cannot decode in place.
var errNotDense = errors.New("not a chunk of per rows in the binary format")

// scoresFromChunks decodes binary chunks of per rows each (the last may have fewer) into one
// array of scores, each dimension one run of it. ok is false, with no error, when the chunks
// are not all such, or a dimension comes in two runs: the caller then reads them row by row.
// It lets go of each chunk (sets it nil) once decompressed.
func scoresFromChunks(ctx context.Context, chunks [][]byte, per int, tops bool) (_ map[kg.Dimension][]report.Score, ok bool, _ error) {
	if len(chunks) == 0 {
		return map[kg.Dimension][]report.Score{}, true, nil
	}
	type run struct {
		d kg.Dimension
		n int
	}
	all := make([]report.Score, len(chunks)*per)
	runs := make([][]run, len(chunks))
	last := 0 // rows in the last chunk
	err := perChunk(ctx, len(chunks), func(i int) error {
		content, binary, err := chunkData(chunks[i])
		chunks[i] = nil
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		if !binary {
			return errNotDense
		}
		part := all[i*per : (i+1)*per]
		var refs []report.SourceRef
		err = parseRowsV2(content, func(n int) error {
			if n > per || (n < per && i < len(chunks)-1) {
				return errNotDense
			}
			part = part[:n]
			if i == len(chunks)-1 {
				last = n
			}
			if tops {
				refs = make([]report.SourceRef, 0, n)
			}
			return nil
		}, func(j int, r *snapRow, top *snapSource) {
			part[j] = report.Score{EntityID: r.E, Name: r.N, Kind: r.K, Rank: r.R, Score: r.S, Intrinsic: r.I, Propagated: r.P}
			if top != nil && tops {
				refs = append(refs, report.SourceRef{SignalID: top.Sig, EntityID: top.E, EntityName: top.N, Strength: top.Str, Hops: top.Hops})
				part[j].TopSource = &pendingTop
			}
			if rs := runs[i]; len(rs) > 0 && rs[len(rs)-1].d == r.D {
				rs[len(rs)-1].n++
			} else {
				runs[i] = append(rs, run{r.D, 1})
			}
		})
		if err != nil {
			if errors.Is(err, errNotDense) {
				return err
			}
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		// The top sources in an array of their number, pointed to in order.
		refs = slices.Clone(refs)
		t := 0
		for j := range part {
			if part[j].TopSource == &pendingTop {
				part[j].TopSource = &refs[t]
				t++
			}
		}
		return nil
	})
	if errors.Is(err, errNotDense) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	all = all[:(len(chunks)-1)*per+last]
	out := map[kg.Dimension][]report.Score{}
	at, from := 0, 0
	var open kg.Dimension
	for _, rs := range runs {
		for _, r := range rs {
			if r.d != open {
				if _, seen := out[r.d]; seen {
					return nil, false, nil
				}
				open, from = r.d, at
			}
			at += r.n
			out[r.d] = all[from:at:at]
		}
	}
	return out, true, nil
}

// keepDecoded keeps snapshot id's scores among the last decodedSnapshots read.
func (s *Service) keepDecoded(id string, scores map[kg.Dimension][]report.Score) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if len(s.snapCache) == decodedSnapshots {
		s.snapCache = s.snapCache[1:]
	}
	s.snapCache = append(s.snapCache, decoded{id, scores})
}

// forgetDecoded drops the decoded scores of the snapshots named, if kept.
func (s *Service) forgetDecoded(ids ...string) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.snapCache = slices.DeleteFunc(s.snapCache, func(d decoded) bool { return slices.Contains(ids, d.id) })
}

// decoded is one snapshot's scores, read.
type decoded struct {
	id     string
	scores map[kg.Dimension][]report.Score
}

// SnapshotPage is one page of stored snapshots.
type SnapshotPage struct {
	Items     []report.SnapshotInfo
	HasNext   bool
	EndCursor string
}

// SnapshotList pages through the stored snapshots, newest first (see Snapshots).
func (s *Service) SnapshotList(ctx context.Context, p Page) (SnapshotPage, error) {
	page, err := store.CheckPage(p, 1)
	if err != nil {
		return SnapshotPage{}, err
	}
	all, err := s.Snapshots(ctx)
	if err != nil {
		return SnapshotPage{}, err
	}
	start := 0
	if page.Key != nil {
		start = len(all)
		for i, m := range all {
			if m.ID == page.Key[0] {
				start = i + 1
				break
			}
		}
	}
	end := min(start+page.First, len(all))
	out := SnapshotPage{Items: all[start:end], HasNext: end < len(all)}
	if end > start {
		out.EndCursor = store.EncodeCursor(all[end-1].ID)
	}
	return out, nil
}

// ReportSnapshots returns the newest snapshot of date d (0: today) and the newest one
// dated before it (nil when there is none): the pair a report of d compares.
// A snapshot id, when given, names the snapshot instead of d.
func (s *Service) ReportSnapshots(ctx context.Context, d kg.Date, id string) (report.SnapshotInfo, *report.SnapshotInfo, error) {
	var cur report.SnapshotInfo
	var err error
	if id != "" {
		cur, err = s.snapshotByID(ctx, id)
	} else {
		cur, err = s.SnapshotOn(ctx, d, false)
	}
	if err != nil {
		return cur, nil, err
	}
	prev, err := s.SnapshotOn(ctx, cur.AsOf, true)
	if errors.Is(err, store.ErrNotFound) {
		return cur, nil, nil
	}
	if err != nil {
		return cur, nil, err
	}
	return cur, &prev, nil
}

// DimensionScore is one stored score with its dimension.
type DimensionScore struct {
	Dimension kg.Dimension
	Score     report.Score
}

// ScorePage is one page of a snapshot's scores.
type ScorePage struct {
	Items     []DimensionScore
	HasNext   bool
	EndCursor string
}

// SnapshotScorePage pages through a snapshot's scores, dimension by dimension in model
// order, each in rank order; dim "" means every dimension.
func (s *Service) SnapshotScorePage(ctx context.Context, id string, dim kg.Dimension, p Page) (ScorePage, error) {
	if dim != "" && !dim.Valid() {
		return ScorePage{}, kg.Invalid("dimension", "unknown dimension %q", dim)
	}
	page, err := store.CheckPage(p, 2)
	if err != nil {
		return ScorePage{}, err
	}
	byDim, err := s.scoresByDimension(ctx, id)
	if err != nil {
		return ScorePage{}, err
	}
	var out ScorePage
	started := page.Key == nil
	for _, d := range s.model.Dimensions() {
		if dim != "" && d != dim {
			continue
		}
		for _, sc := range byDim[d] {
			if !started {
				started = string(d) == page.Key[0] && sc.EntityID == page.Key[1]
				continue
			}
			if len(out.Items) == page.First {
				out.HasNext = true
				return out, nil
			}
			out.Items = append(out.Items, DimensionScore{Dimension: d, Score: sc})
			out.EndCursor = store.EncodeCursor(string(d), sc.EntityID)
		}
	}
	return out, nil
}

// Snapshots returns every stored snapshot, newest first (by date, then creation).
func (s *Service) Snapshots(ctx context.Context) ([]report.SnapshotInfo, error) {
	all, err := s.store.ListSnapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	slices.SortFunc(all, newestFirst)
	out := make([]report.SnapshotInfo, len(all))
	for i, m := range all {
		out[i] = snapshotInfo(m)
	}
	return out, nil
}

// SnapshotOn returns the newest snapshot of date d (0: today), or, with before set, the
// newest dated before d; ErrNotFound when there is none.
func (s *Service) SnapshotOn(ctx context.Context, d kg.Date, before bool) (report.SnapshotInfo, error) {
	d = store.ResolveAsOf(d)
	all, err := s.Snapshots(ctx)
	if err != nil {
		return report.SnapshotInfo{}, err
	}
	for _, m := range all {
		if (!before && m.AsOf == d) || (before && m.AsOf < d) {
			return m, nil
		}
	}
	if before {
		return report.SnapshotInfo{}, fmt.Errorf("no risk snapshot is dated before %s: %w", d, store.ErrNotFound)
	}
	return report.SnapshotInfo{}, fmt.Errorf("no risk snapshot is dated %s; record one first (riskgraph report, or the recordRiskSnapshot mutation): %w", d, store.ErrNotFound)
}

// snapshotByID returns the stored snapshot with this id.
func (s *Service) snapshotByID(ctx context.Context, id string) (report.SnapshotInfo, error) {
	all, err := s.Snapshots(ctx)
	if err != nil {
		return report.SnapshotInfo{}, err
	}
	for _, m := range all {
		if m.ID == id {
			return m, nil
		}
	}
	return report.SnapshotInfo{}, fmt.Errorf("no risk snapshot %q: %w", id, store.ErrNotFound)
}

// The service is the report's source when the report runs beside the store.
var _ report.Source = (*Service)(nil)
