package service

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
)

// passKey names a whole-graph pass: the moment scored and the hop cap it scores with.
type passKey struct {
	At
	hops int
}

// pass is one whole-graph pass, shared by every caller that asks for its moment.
type pass struct {
	version string        // the data version (see dataVersion) read before the pass read the graph
	done    chan struct{} // closed when res and err are set
	res     *risk.Result
	err     error
	evicted atomic.Bool  // dropped from the cache: no new caller will find it
	waiters atomic.Int32 // callers waiting for it now; an evicted pass nobody waits for is skipped
}

// Bounds of whole-graph passes: how many moments keep a result in memory, how many run at
// once (Service.passSem), and how long one pass may take. Two run at once, so that a nightly
// report replays the previous night's pass beside tonight's (each walk of the store takes one
// core); more moments asked for at once queue rather than multiply the memory.
const (
	maxCachedPasses  = 4
	maxRunningPasses = 2
	passTimeout      = 5 * time.Minute
)

// ExposureQuery asks for the exposure of some entities on a date.
type ExposureQuery struct {
	IDs        []string
	Dimensions []kg.Dimension // none = all
	At         At             // AsOf 0 = today; KnownAt 0 = as known now
	MaxHops    int            // 0 = the model's hop cap
}

// hops checks a hop count against the model's hop cap; 0 means the cap.
func (s *Service) hops(n int) (int, error) {
	switch {
	case n == 0:
		return s.model.HopCap(), nil
	case n < 0:
		return 0, kg.Invalid("maxHops", "maxHops is %d; it must be at least 1", n)
	case n > s.model.HopCap():
		return 0, kg.OverLimit("maxHops", "maxHops is %d; the risk model %s carries risk at most %d hops",
			n, s.model.Version(), s.model.HopCap())
	}
	return n, nil
}

// Exposures explains each entity's exposure per dimension. It reads the entities' bounded
// upstream neighbourhoods from the store in one call, then scores them with the engine; the
// numbers equal those of a whole-graph pass. When the store can say whether its facts
// changed (a SoleWriter or Versioned store), a finished whole-graph pass of the same moment
// and hop cap with no write since answers instead, and a read of the present moment starts
// one in the background for the reads after it. Ids not visible on the date are absent.
func (s *Service) Exposures(ctx context.Context, q ExposureQuery) (map[string][]risk.Explanation, error) {
	hops, err := s.hops(q.MaxHops)
	if err != nil {
		return nil, err
	}
	at := At{AsOf: store.ResolveAsOf(q.At.AsOf), KnownAt: q.At.KnownAt}
	dims := q.Dimensions
	if len(dims) == 0 {
		dims = s.model.Dimensions()
	}
	// A store that cannot say its version now is read as if it kept none: the neighbourhood
	// read below then reports what the store is up to.
	if v, kept, err := s.dataVersion(ctx); err == nil && kept {
		k := passKey{at, hops}
		if res := s.finishedPass(k, v); res != nil {
			return explainEach(res, q.IDs, dims)
		}
		if at == (At{AsOf: kg.Today()}) { // the present, however the caller spelled it
			s.warmPass(k, v)
		}
	}
	steps := s.model.UpstreamSteps(q.Dimensions...)
	walk := make([]store.Step, len(steps))
	for i, st := range steps {
		walk[i] = store.Step{Type: st.Type, Direction: st.Dir}
	}
	nb, err := s.store.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: q.IDs, Steps: walk, MaxHops: hops, AsOf: at.AsOf, KnownAt: at.KnownAt,
		Lean: true, SignalWalks: true, SignalDimensions: q.Dimensions})
	if err != nil {
		return nil, fmt.Errorf("read upstream neighbourhood of %d entities: %w", len(q.IDs), err)
	}
	nb.AsOf = at.AsOf
	g, err := risk.Compile(s.model, nb)
	if err != nil {
		return nil, fmt.Errorf("compile neighbourhood: %w", err)
	}
	res, err := g.Run(ctx, risk.Options{MaxHops: hops})
	if err != nil {
		return nil, fmt.Errorf("score neighbourhood: %w", err)
	}
	return explainEach(res, q.IDs, dims)
}

// explainEach explains each entity of ids that res scored, in each dimension.
func explainEach(res *risk.Result, ids []string, dims []kg.Dimension) (map[string][]risk.Explanation, error) {
	out := make(map[string][]risk.Explanation, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		if _, ok := res.Graph().Index(id); !ok {
			continue
		}
		for _, d := range dims {
			ex, err := res.Explain(id, d)
			if err != nil {
				return nil, fmt.Errorf("explain %s in %s: %w", id, d, err)
			}
			out[id] = append(out[id], ex)
		}
	}
	return out, nil
}

// Exposure explains one entity's score in one dimension on a date; ErrNotFound when the
// entity does not exist then.
func (s *Service) Exposure(ctx context.Context, entityID string, d kg.Dimension, at At, maxHops int) (risk.Explanation, error) {
	if err := kg.CheckEntityID("entityId", entityID); err != nil {
		return risk.Explanation{}, err
	}
	got, err := s.Exposures(ctx, ExposureQuery{IDs: []string{entityID}, Dimensions: []kg.Dimension{d}, At: at, MaxHops: maxHops})
	if err != nil {
		return risk.Explanation{}, err
	}
	exps := got[entityID]
	if len(exps) == 0 {
		return risk.Explanation{}, notFound("entity", entityID, at)
	}
	return exps[0], nil
}

// wholePass returns the whole-graph result for a moment at the hop cap, computing it once
// per data version. The pass runs under the service's own context, not the caller's, so a
// caller that gives up (its context ends: wholePass returns then) stops only its own wait, and
// the result serves the next caller.
func (s *Service) wholePass(ctx context.Context, at At) (*risk.Result, error) {
	k := passKey{At{AsOf: store.ResolveAsOf(at.AsOf), KnownAt: at.KnownAt}, s.model.HopCap()}
	v, _, err := s.dataVersion(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p := s.passFor(k, v)
	p.waiters.Add(1)
	s.mu.Unlock()
	defer p.waiters.Add(-1)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wait for the whole-graph pass: %w", err)
	}
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the whole-graph pass: %w", ctx.Err())
	}
}

// dataVersion names the state of the facts that cached passes are kept for, and says whether
// it sees every write: on a SoleWriter store, the count of this service's writes; on a
// Versioned store, the store's data version (one small read), which other processes' writes
// change too. Another store has only the count, which misses other writers: its passes serve
// rankings and reports, as they always did, but not exposure reads.
func (s *Service) dataVersion(ctx context.Context) (v string, everyWrite bool, err error) {
	own := strconv.FormatUint(s.gen.Load(), 10)
	if s.store.SoleWriter() {
		return own, true, nil
	}
	v, ok, err := s.store.DataVersion(ctx)
	if err != nil {
		return "", false, fmt.Errorf("read the data version: %w", err)
	}
	if !ok {
		return own, false, nil
	}
	return v, true, nil
}

// passFor returns the pass of data version v for k, starting it when there is none. Called
// with s.mu held.
func (s *Service) passFor(k passKey, v string) *pass {
	p, ok := s.passes[k]
	if !ok || p.version != v {
		if !ok && len(s.passes) >= maxCachedPasses {
			s.evictOne()
		}
		p = &pass{version: v, done: make(chan struct{})}
		if s.life.Err() != nil { // closed: fail at once, start nothing
			p.err = fmt.Errorf("whole-graph pass: %w", store.ErrUnavailable)
			close(p.done)
			return p
		}
		s.passes[k] = p
		s.passWork.Add(1)
		go s.runPass(p, k)
	}
	return p
}

// finishedPass returns the result of k's pass of data version v if it has finished, else
// nil; it never waits.
func (s *Service) finishedPass(k passKey, v string) *risk.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.passes[k]
	if !ok || p.version != v {
		return nil
	}
	select {
	case <-p.done:
		return p.res // nil after a failure
	default:
		return nil
	}
}

// warmPass starts k's pass of data version v in the background, unless a pass is running
// already: exposure reads of that moment are then answered from it (an Explain on a scored
// graph) instead of reading and scoring a neighbourhood each. A burst of writes restarts the
// pass at most once at a time.
func (s *Service) warmPass(k passKey, v string) {
	if len(s.passSem) > 0 {
		return
	}
	s.mu.Lock()
	s.passFor(k, v)
	s.mu.Unlock()
}

// evictOne drops one cached pass, a finished one when there is one, so that callers already
// waiting for a pending pass still get its result. Called with s.mu held.
func (s *Service) evictOne() {
	var victim passKey
	found := false
	for d, old := range s.passes {
		victim, found = d, true
		select {
		case <-old.done:
		default:
			continue
		}
		break
	}
	if found {
		s.passes[victim].evicted.Store(true)
		delete(s.passes, victim)
	}
}

// runPass computes p, one pass at a time; a failure is not kept in the cache.
func (s *Service) runPass(p *pass, k passKey) {
	defer s.passWork.Done()
	defer close(p.done)
	select {
	case s.passSem <- struct{}{}:
		defer func() { <-s.passSem }()
	case <-s.life.Done():
		p.err = fmt.Errorf("whole-graph pass: %w", store.ErrUnavailable)
		return
	}
	if p.evicted.Load() && p.waiters.Load() == 0 {
		p.err = fmt.Errorf("whole-graph pass as of %s was dropped before it ran: %w", k.AsOf, store.ErrUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(s.life, passTimeout)
	defer cancel()
	p.res, p.err = s.pass(ctx, k.At, k.hops)
	if p.err != nil {
		s.mu.Lock()
		if s.passes[k] == p {
			delete(s.passes, k)
		}
		s.mu.Unlock()
	}
}

// pass scores every entity at a moment. The graph is compiled from the facts as the store
// walks them, so the pass never holds a copy of them all (on the embedded store the walk
// reads them in place).
func (s *Service) pass(ctx context.Context, at At, hops int) (*risk.Result, error) {
	c := risk.NewCompiler(s.model, at.AsOf, 0, 0)
	err := s.store.Walk(ctx, at, store.FactVisitor{
		Sizes:               c.Reserve,
		Entity:              c.Entity,
		Relationship:        func(_ string, r kg.Relationship) error { return c.Relationship(r) },
		RelationshipBetween: c.RelationshipBetween,
		Signal:              c.Signal,
	})
	if err != nil {
		return nil, fmt.Errorf("read the facts as of %s: %w", at.AsOf, err)
	}
	g, err := c.Graph()
	if err != nil {
		return nil, err
	}
	return g.Run(ctx, risk.Options{MaxHops: hops})
}

// RankingQuery asks for the most exposed entities in one dimension.
type RankingQuery struct {
	Dimension kg.Dimension
	Kind      kg.Kind // "" = all kinds
	At        At
	Page      store.Page
}

// RankingPage is one page of a ranking, highest score first (ties by id).
type RankingPage struct {
	Items        []risk.Score
	Rank         int // 1-based rank of Items[0] among entities of the kind
	HasNext      bool
	EndCursor    string
	ModelVersion string
	At           At // the moment scored, date resolved
}

// Ranking pages through the entities with a non-zero score in a dimension, from a
// whole-graph pass on the date (cached until the next write).
func (s *Service) Ranking(ctx context.Context, q RankingQuery) (RankingPage, error) {
	page, err := store.CheckPage(q.Page, 2)
	if err != nil {
		return RankingPage{}, err
	}
	if !q.Dimension.Valid() {
		return RankingPage{}, kg.Invalid("dimension", "unknown dimension %q", q.Dimension)
	}
	at := At{AsOf: store.ResolveAsOf(q.At.AsOf), KnownAt: q.At.KnownAt}
	res, err := s.wholePass(ctx, at)
	if err != nil {
		return RankingPage{}, err
	}
	all, err := res.Ranking(q.Dimension, 0, 0)
	if err != nil {
		return RankingPage{}, fmt.Errorf("rank %s: %w", q.Dimension, err)
	}
	if q.Kind != "" && !q.Kind.Valid() {
		return RankingPage{}, kg.Invalid("kind", "unknown kind %q", q.Kind)
	}
	if q.Kind != "" {
		kept := make([]risk.Score, 0, len(all))
		for _, sc := range all {
			if k, _ := kg.KindOfID(sc.EntityID); k == q.Kind {
				kept = append(kept, sc)
			}
		}
		all = kept
	}
	start := 0
	if key := page.Key; key != nil {
		score, err := strconv.ParseFloat(key[0], 64)
		if err != nil {
			return RankingPage{}, kg.Invalid("after", "cursor %q was not issued by this API", page.After)
		}
		start = sort.Search(len(all), func(i int) bool {
			return all[i].Score < score || (all[i].Score == score && all[i].EntityID > key[1])
		})
	}
	end := min(start+page.First, len(all))
	out := RankingPage{Items: slices.Clone(all[start:end]), Rank: start + 1, HasNext: end < len(all),
		ModelVersion: s.model.Version(), At: at}
	if end > start {
		out.EndCursor = RankCursor(all[end-1])
	}
	return out, nil
}

// RankCursor is the opaque cursor of one ranked entity.
func RankCursor(sc risk.Score) string {
	return store.EncodeCursor(strconv.FormatFloat(sc.Score, 'g', -1, 64), sc.EntityID)
}
