package risk

import (
	"context"
	"fmt"
	"slices"

	"riskgraph/internal/kg"
)

// Explanation says why an entity has its score in one dimension.
type Explanation struct {
	EntityID     string
	Dimension    kg.Dimension
	AsOf         kg.Date
	ModelVersion string
	MaxHops      int
	Score        float64
	Intrinsic    float64
	Propagated   float64
	// Contributions are the entity's own signals (strongest first), then the risk sources
	// brought in by chains (strongest first); ties by signal id. Their Shares add up to Score.
	Contributions []Contribution
}

// Chained returns the first n contributions that reach the entity through relationships
// (those with a chain), strongest first.
func (e Explanation) Chained(n int) []Contribution {
	var out []Contribution
	for _, c := range e.Contributions {
		if len(out) >= n {
			break
		}
		if len(c.Chain) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// Contribution is one risk source of a score.
type Contribution struct {
	// Signal is the source signal. From a Builder graph only ID, EntityID, Dimension and
	// Severity are set; from Compile it is the snapshot's signal with reason and citations.
	Signal   kg.RiskSignal
	Strength float64 // Severity × Π(Weight × Confidence × ShareFactor) over Chain
	// Share is what this source adds to the score after the contributions before it:
	// Strength × Π(1 − Strength) over the earlier ones.
	Share float64
	// Chain leads from the signal's entity to the explained entity, in the direction risk
	// flows; empty for the entity's own signal.
	Chain []Link
}

// Link is one relationship of a chain, oriented the way risk crosses it.
type Link struct {
	From, To       string // entity ids: risk goes from From to To
	Type           kg.RelType
	RelationshipID string
	Flow           Flow // Along when From is the relationship's From
	Weight         float64
	Confidence     float64
	Share          float64 // OWNED_BY: the share owned, percent; 0 when not known or another type
	ShareFactor    float64 // what fraction of Weight the share passes on (1 but for a known share)
	Inferred       bool
	Sources        []kg.Citation // the relationship's citations (none from a Builder graph)
	Validity       kg.Validity   // the relationship's days (unknown from a Builder graph)
	Version        *kg.Version   // the relationship's version read (nil from a Builder graph)
}

// Explain returns the contributions that make up the entity's score in dimension d.
func (r *Result) Explain(entityID string, d kg.Dimension) (Explanation, error) {
	v, di, err := r.lookup(entityID, d)
	if err != nil {
		return Explanation{}, err
	}
	g := r.g
	s := r.score(v, di, false)
	ex := Explanation{
		EntityID: entityID, Dimension: d, AsOf: g.asOf, ModelVersion: g.model.version, MaxHops: r.hops,
		Score: s.Score, Intrinsic: s.Intrinsic, Propagated: s.Propagated,
	}
	L := r.dims[di]
	if L == nil || L.slot[v] < 0 {
		return ex, nil
	}
	l := L.slot[v]
	var own, far []entry // each group already strongest first
	for _, e := range L.entries(l) {
		if e.hop == 0 {
			own = append(own, e)
		} else {
			far = append(far, e)
		}
	}
	var sc *scratch
	var ball []int32
	if len(far) > 0 {
		sc = g.getScratch()
		ball = g.denseBall(di, v, r.hops, sc)
		defer func() { clearBall(sc, ball); g.putScratch(sc) }()
	}
	rest := 1.0
	for _, e := range append(own, far...) {
		c := Contribution{Signal: g.signal(e.src), Strength: e.str}
		c.Share = c.Strength * rest
		rest *= 1 - c.Strength
		if e.hop > 0 {
			c.Chain, err = g.chain(di, e.src, v, int(e.hop), sc, ball)
			if err != nil {
				return Explanation{}, fmt.Errorf("explain %s %s: %w", entityID, d, err)
			}
		}
		ex.Contributions = append(ex.Contributions, c)
	}
	return ex, nil
}

// signal returns source src as a kg.RiskSignal.
func (g *Graph) signal(src int32) kg.RiskSignal {
	if g.sigs != nil && g.sigRow[src] >= 0 {
		return g.sigs[g.sigRow[src]]
	}
	return kg.RiskSignal{
		ID: g.sigID[src], EntityID: g.ids[g.sigEnt[src]],
		Dimension: kg.Dimensions[g.sigDim[src]], Severity: g.sigSev[src],
	}
}

// scratch is the working memory of one explanation, reused across explanations so that
// explaining thousands of scores (a report's causes) does not allocate per entity: pos maps an
// entity to its place in the current ball (-1 outside it), and the round tables of chain.
type scratch struct {
	pos     []int32
	val     []float64
	via, up []int32
}

func (g *Graph) getScratch() *scratch {
	if sc, ok := g.scratch.Get().(*scratch); ok {
		return sc
	}
	pos := make([]int32, len(g.ids))
	for i := range pos {
		pos[i] = -1
	}
	return &scratch{pos: pos}
}

// putScratch returns sc, whose pos must be all -1 again (denseBall's caller clears it).
func (g *Graph) putScratch(sc *scratch) { g.scratch.Put(sc) }

// denseBall is ball for an explanation: the entities within hops upstream of v in dimension
// di, ascending, with sc.pos giving each its place. The caller clears sc.pos with clearBall.
func (g *Graph) denseBall(di int, v int32, hops int, sc *scratch) []int32 {
	list := []int32{v}
	sc.pos[v] = 0
	if rev := g.reverse(di); rev != nil {
		front := []int32{v}
		for range hops {
			var next []int32
			for _, x := range front {
				for p := rev.start[x]; p < rev.start[x+1]; p++ {
					if u := rev.node[p]; sc.pos[u] < 0 {
						sc.pos[u] = 0
						next = append(next, u)
					}
				}
			}
			list = append(list, next...)
			front = next
		}
	}
	slices.Sort(list)
	for i, x := range list {
		sc.pos[x] = int32(i)
	}
	return list
}

// clearBall resets sc.pos for the entities of ball.
func clearBall(sc *scratch, ball []int32) {
	for _, x := range ball {
		sc.pos[x] = -1
	}
}

// chain finds the strongest chain of at most hops edges from source src's entity to v,
// staying inside the upstream ball of v (sc.pos). It repeats the relaxation's arithmetic for
// this one source (strength × factor, edge by edge), keeping the first chain found among
// equals, so the shortest one.
func (g *Graph) chain(di int, src, v int32, hops int, sc *scratch, ball []int32) ([]Link, error) {
	n := len(ball)
	a := g.fwd[di]
	// Round h's tables are at [h*n, (h+1)*n): val, the best strength at ball[i] within h
	// edges; via, the adjacency position of the last edge when it improved in round h, else
	// -1; up, that edge's upstream entity.
	size := (hops + 1) * n
	if cap(sc.val) < size {
		sc.val, sc.via, sc.up = make([]float64, size), make([]int32, size), make([]int32, size)
	}
	val, via, up := sc.val[:size], sc.via[:size], sc.up[:size]
	clear(val)
	for i := range via {
		via[i] = -1
	}
	from := g.sigEnt[src]
	if sc.pos[from] < 0 {
		return nil, fmt.Errorf("source %s is not upstream", g.sigID[src])
	}
	val[sc.pos[from]] = g.sigSev[src]
	for h := 1; h <= hops; h++ {
		cur, prev, next := val[(h-1)*n:h*n], val[max(h-2, 0)*n:max(h-1, 1)*n], val[h*n:(h+1)*n]
		copy(next, cur)
		for i, x := range ball {
			c := cur[i]
			if c <= 0 || (h > 1 && c == prev[i]) {
				continue // only what changed in the previous round moves on
			}
			for p := a.start[x]; p < a.start[x+1]; p++ {
				yi := sc.pos[a.node[p]]
				if yi < 0 {
					continue
				}
				if s := c * a.fac[p]; s > next[yi] {
					next[yi], via[h*n+int(yi)], up[h*n+int(yi)] = s, p, x
				}
			}
		}
	}
	// Walk back from v, dropping to earlier rounds where nothing improved.
	var out []Link
	x := v
	for h := hops; h > 0; h-- {
		xi := h*n + int(sc.pos[x])
		if via[xi] < 0 {
			continue
		}
		out = append(out, g.link(di, via[xi], up[xi]))
		x = up[xi]
	}
	if x != from || len(out) == 0 {
		return nil, fmt.Errorf("no chain from %s within %d hops", g.sigID[src], hops)
	}
	slices.Reverse(out)
	return out, nil
}

// link describes adjacency entry p of dimension di, leaving upstream entity x, as a Link.
func (g *Graph) link(di int, p, x int32) Link {
	a := g.fwd[di]
	e := a.edge[p]
	to := a.node[p]
	fl, fi := Along, 0
	if g.eFrom[e] != x {
		fl, fi = Against, 1
	}
	t := kg.RelTypes[g.eType[e]]
	lk := Link{
		From: g.ids[x], To: g.ids[to], Type: t,
		RelationshipID: kg.RelationshipID(g.ids[g.eFrom[e]], t, g.ids[g.eTo[e]]),
		Flow:           fl, Weight: g.model.weight[g.eType[e]][di][fi], Confidence: g.eConf[e],
		Share: g.share(int(e)), ShareFactor: g.shareFactor(di, int(e)),
	}
	if g.rels != nil && g.eRow[e] >= 0 {
		r := g.rels[g.eRow[e]]
		lk.Inferred, lk.Sources, lk.Validity, lk.Version = r.Inferred, r.Sources, r.Validity, r.Version
	}
	return lk
}

// Exposure scores and explains one entity from its bounded upstream neighbourhood: nb must
// hold every entity, relationship and signal within maxHops of the entity along the model's
// UpstreamSteps (more is harmless). The numbers equal those of a whole-graph Run with the
// same hop cap. maxHops 0 means the model's hop cap; dims empty means every dimension.
func Exposure(ctx context.Context, m *Model, nb kg.Snapshot, entityID string, maxHops int, dims ...kg.Dimension) ([]Explanation, error) {
	g, err := Compile(m, nb)
	if err != nil {
		return nil, fmt.Errorf("exposure of %s: %w", entityID, err)
	}
	r, err := g.RunFor(ctx, entityID, Options{MaxHops: maxHops})
	if err != nil {
		return nil, fmt.Errorf("exposure of %s: %w", entityID, err)
	}
	if len(dims) == 0 {
		dims = kg.Dimensions
	}
	out := make([]Explanation, 0, len(dims))
	for _, d := range dims {
		ex, err := r.Explain(entityID, d)
		if err != nil {
			return nil, fmt.Errorf("exposure of %s: %w", entityID, err)
		}
		out = append(out, ex)
	}
	return out, nil
}
