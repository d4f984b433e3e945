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
	var in map[int32]bool
	var ball []int32
	if len(far) > 0 {
		in, ball = g.ball(di, v, r.hops)
	}
	rest := 1.0
	for _, e := range append(own, far...) {
		c := Contribution{Signal: g.signal(e.src), Strength: e.str}
		c.Share = c.Strength * rest
		rest *= 1 - c.Strength
		if e.hop > 0 {
			c.Chain, err = g.chain(di, e.src, v, int(e.hop), in, ball)
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

// chain finds the strongest chain of at most hops edges from source src's entity to v,
// staying inside the upstream ball of v. It repeats the relaxation's arithmetic for this one
// source (strength × factor, edge by edge), keeping the first chain found among equals, so
// the shortest one.
func (g *Graph) chain(di int, src, v int32, hops int, in map[int32]bool, ball []int32) ([]Link, error) {
	local := make(map[int32]int32, len(ball))
	for i, x := range ball {
		local[x] = int32(i)
	}
	n := len(ball)
	a := g.fwd[di]
	// val[h][i]: best strength at ball[i] within h edges; via[h][i]: adjacency position of the
	// last edge when it improved in round h, else -1; up[h][i]: that edge's upstream entity.
	val := make([][]float64, hops+1)
	via := make([][]int32, hops+1)
	up := make([][]int32, hops+1)
	for h := range val {
		val[h] = make([]float64, n)
		via[h] = make([]int32, n)
		up[h] = make([]int32, n)
		for i := range via[h] {
			via[h][i] = -1
		}
	}
	from := g.sigEnt[src]
	if !in[from] {
		return nil, fmt.Errorf("source %s is not upstream", g.sigID[src])
	}
	val[0][local[from]] = g.sigSev[src]
	for h := 1; h <= hops; h++ {
		copy(val[h], val[h-1])
		for i, x := range ball {
			cur := val[h-1][i]
			if cur <= 0 || (h > 1 && cur == val[h-2][i]) {
				continue // only what changed in the previous round moves on
			}
			for p := a.start[x]; p < a.start[x+1]; p++ {
				y := a.node[p]
				if !in[y] {
					continue
				}
				yi := local[y]
				if c := cur * a.fac[p]; c > val[h][yi] {
					val[h][yi], via[h][yi], up[h][yi] = c, p, x
				}
			}
		}
	}
	// Walk back from v, dropping to earlier rounds where nothing improved.
	var out []Link
	x := v
	for h := hops; h > 0; h-- {
		xi := local[x]
		if via[h][xi] < 0 {
			continue
		}
		out = append(out, g.link(di, via[h][xi], up[h][xi]))
		x = up[h][xi]
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
