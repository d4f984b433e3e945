package risk

import (
	"context"
	"fmt"
	"slices"
	"sync"

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
	ex, es := r.sources(entityID, v, di)
	all := make([]int, len(es))
	for i := range all {
		all[i] = i
	}
	if err := r.drawChains(&ex, v, di, es, all); err != nil {
		return Explanation{}, err
	}
	return ex, nil
}

// Sources is Explain without the chains: every Contribution's Chain is nil. Drawing a chain
// is most of an explanation's cost, and a caller that needs only some of them (a report's
// causes need those of the sources that moved) draws those with DrawChains.
func (r *Result) Sources(entityID string, d kg.Dimension) (Explanation, error) {
	v, di, err := r.lookup(entityID, d)
	if err != nil {
		return Explanation{}, err
	}
	ex, _ := r.sources(entityID, v, di)
	return ex, nil
}

// sources is Sources of entity v in dimension di, with the label entries of its
// contributions, in their order.
func (r *Result) sources(entityID string, v int32, di int) (Explanation, []entry) {
	g := r.g
	s := r.score(v, di, false)
	ex := Explanation{
		EntityID: entityID, Dimension: kg.Dimensions[di], AsOf: g.asOf, ModelVersion: g.model.version, MaxHops: r.hops,
		Score: s.Score, Intrinsic: s.Intrinsic, Propagated: s.Propagated,
	}
	es := r.ordered(v, di)
	if len(es) > 0 {
		ex.Contributions = make([]Contribution, 0, len(es))
	}
	rest := 1.0
	for _, e := range es {
		c := Contribution{Signal: g.signal(e.src), Strength: e.str}
		c.Share = c.Strength * rest
		rest *= 1 - c.Strength
		ex.Contributions = append(ex.Contributions, c)
	}
	return ex, es
}

// ordered returns v's label entries in dimension di in the order of Explanation.Contributions:
// its own signals, then the sources brought in by chains, each group strongest first.
func (r *Result) ordered(v int32, di int) []entry {
	L := r.dims[di]
	if L == nil || L.slot[v] < 0 {
		return nil
	}
	es := L.entries(L.slot[v])
	out := make([]entry, 0, len(es))
	for _, e := range es {
		if e.hop == 0 {
			out = append(out, e)
		}
	}
	for _, e := range es {
		if e.hop > 0 {
			out = append(out, e)
		}
	}
	return out
}

// DrawChains sets the Chain of the contributions at positions idx of ex, an explanation
// Sources gave for this result. The entities around ex's entity are gathered once for all of
// them.
func (r *Result) DrawChains(ex *Explanation, idx ...int) error {
	v, di, err := r.lookup(ex.EntityID, ex.Dimension)
	if err != nil {
		return err
	}
	es := r.ordered(v, di)
	if len(es) != len(ex.Contributions) {
		return fmt.Errorf("explain %s %s: the explanation has %d contributions, the result %d",
			ex.EntityID, ex.Dimension, len(ex.Contributions), len(es))
	}
	return r.drawChains(ex, v, di, es, idx)
}

// drawChains is DrawChains for entity v in dimension di, whose label entries, in the order of
// ex's contributions, are es.
func (r *Result) drawChains(ex *Explanation, v int32, di int, es []entry, idx []int) error {
	g := r.g
	// Every entity on a chain of h links to v is within h links upstream of v, so the ball
	// need only reach as far as the longest chain drawn, not the hop cap: around a hub, each
	// extra hop can multiply the ball.
	depth := 0
	for _, i := range idx {
		if i < 0 || i >= len(es) {
			return fmt.Errorf("explain %s %s: no contribution %d", ex.EntityID, ex.Dimension, i)
		}
		depth = max(depth, int(es[i].hop))
	}
	if depth == 0 {
		return nil
	}
	sc := g.getScratch()
	ball := g.denseBall(di, v, depth, sc, r.dims[di].slot)
	defer func() { clearBall(sc, ball); g.putScratch(sc) }()
	for _, i := range idx {
		e := es[i]
		if e.hop == 0 {
			continue
		}
		var err error
		ex.Contributions[i].Chain, err = g.chain(di, e.src, v, int(e.hop), sc, ball)
		if err != nil {
			return fmt.Errorf("explain %s %s: %w", ex.EntityID, ex.Dimension, err)
		}
	}
	return nil
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
// entity to its place in the current ball (-1 outside it); best, mark and head are chain's
// tables over the ball's places, left zero, zero and -1 by each chain; ball is the last
// ball's storage.
type scratch struct {
	pos     []int32
	ball    []int32
	ends    []int32 // ends[d]: how many of the ball's entities are within d links of v
	best    []float64
	mark    []uint8
	head    []int32
	steps   []step
	touched []int32
	front   []message
	next    []int32
}

// step is one improvement chain found: in round h, the edge at adjacency position p from
// upstream entity x raised an entity's strength; prev is that entity's previous step (-1).
type step struct {
	h          uint8
	p, x, prev int32
}

// message is an entity whose strength rose in the last round, with that strength.
type message struct {
	x int32
	c float64
}

func (g *Graph) getScratch() *scratch {
	if sc, ok := scratches.Get().(*scratch); ok && len(sc.pos) == len(g.ids) {
		return sc
	}
	pos := make([]int32, len(g.ids))
	for i := range pos {
		pos[i] = -1
	}
	return &scratch{pos: pos}
}

// putScratch returns sc, whose pos must be all -1 again (denseBall's caller clears it).
func (g *Graph) putScratch(sc *scratch) { scratches.Put(sc) }

// scratches keeps the working memory of explanations for the next ones, of any graph of the
// same size (a report explains in two graphs of every entity). The pool is the package's, not
// the graph's: the runtime's list of pools holds each pool until two collections after its
// last use, and a pool in the graph held the whole graph (at 1M entities about 0.3 GB) as long.
var scratches sync.Pool

// denseBall is ball for an explanation: the entities within hops upstream of v in dimension
// di that risk reached (slot[u] >= 0), with sc.pos giving each its place. An entity no risk
// reached holds no source, so it is on no chain, and no chain goes through it to one that
// is: around a hub most of the ball is such entities. The caller clears sc.pos with
// clearBall.
func (g *Graph) denseBall(di int, v int32, hops int, sc *scratch, slot []int32) []int32 {
	list := append(sc.ball[:0], v)
	sc.pos[v] = 0
	sc.ends = append(sc.ends[:0], 1)
	if rev := g.reverse(); rev != nil {
		front := []int32{v}
		for range hops {
			next := len(list)
			for _, x := range front {
				for p := rev.start[x]; p < rev.start[x+1]; p++ {
					// The factor first: it is read in order, the entity's tables at random.
					if rev.factor(p, di) <= 0 {
						continue
					}
					if u := rev.node[p]; sc.pos[u] < 0 && slot[u] >= 0 {
						sc.pos[u] = int32(len(list))
						list = append(list, u)
					}
				}
			}
			front = list[next:]
			sc.ends = append(sc.ends, int32(len(list)))
		}
	}
	sc.ball = list // a ball of a hub's surroundings is big: keep its storage for the next
	if n := len(list); cap(sc.best) < n {
		sc.best, sc.mark, sc.head = make([]float64, n), make([]uint8, n), make([]int32, n)
		for i := range sc.head {
			sc.head[i] = -1
		}
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
// this one source (strength × factor, edge by edge), round by round from the entities whose
// strength rose in the round before, in entity order, keeping the first chain found among
// equals, so the shortest one.
func (g *Graph) chain(di int, src, v int32, hops int, sc *scratch, ball []int32) ([]Link, error) {
	n := len(ball)
	a := g.fwd
	from := g.sigEnt[src]
	if sc.pos[from] < 0 {
		return nil, fmt.Errorf("source %s is not upstream", g.sigID[src])
	}
	best, mark, head := sc.best[:n], sc.mark[:n], sc.head[:n]
	steps, touched := sc.steps[:0], sc.touched[:0]
	front, next := sc.front[:0], sc.next[:0]
	defer func() {
		for _, i := range touched {
			best[i], mark[i], head[i] = 0, 0, -1
		}
		sc.steps, sc.touched, sc.front, sc.next = steps, touched, front, next
	}()
	fi := sc.pos[from]
	best[fi] = g.sigSev[src]
	touched = append(touched, fi)
	front = append(front, message{from, best[fi]})
	for h := 1; h <= hops && len(front) > 0; h++ {
		next = next[:0]
		// Reached in round h, an entity more than hops-h links from v can lead to no chain
		// that ends in time, nor can anything it reaches; and since an entity is reached in
		// time only in rounds before such late ones, skipping them changes no chain.
		within := sc.ends[min(hops-h, len(sc.ends)-1)]
		for _, m := range front {
			for p := a.start[m.x]; p < a.start[m.x+1]; p++ {
				f := a.factor(p, di)
				if f <= 0 {
					continue
				}
				yi := sc.pos[a.node[p]]
				if yi < 0 || yi >= within {
					continue
				}
				if s := m.c * f; s > best[yi] {
					best[yi] = s
					if head[yi] < 0 {
						touched = append(touched, yi)
					}
					steps = append(steps, step{h: uint8(h), p: p, x: m.x, prev: head[yi]})
					head[yi] = int32(len(steps) - 1)
					if mark[yi] != uint8(h) {
						mark[yi] = uint8(h)
						next = append(next, yi)
					}
				}
			}
		}
		// What rose in this round moves on in the next, with its strength as this round left it.
		slices.SortFunc(next, func(x, y int32) int { return int(ball[x] - ball[y]) })
		front = front[:0]
		for _, yi := range next {
			front = append(front, message{ball[yi], best[yi]})
		}
	}
	// Walk back from v: in round h, the last step that raised x in round h, if any.
	var out []Link
	x := v
	for h := hops; h > 0; h-- {
		r := head[sc.pos[x]]
		for r >= 0 && int(steps[r].h) > h {
			r = steps[r].prev
		}
		if r < 0 || int(steps[r].h) != h {
			continue
		}
		out = append(out, g.link(di, steps[r].p, steps[r].x))
		x = steps[r].x
	}
	if x != from || len(out) == 0 {
		return nil, fmt.Errorf("no chain from %s within %d hops", g.sigID[src], hops)
	}
	slices.Reverse(out)
	return out, nil
}

// link describes adjacency entry p of dimension di, leaving upstream entity x, as a Link.
func (g *Graph) link(di int, p, x int32) Link {
	a := g.fwd
	e := a.edge[p]
	to := a.node[p]
	from := g.from(e)
	fl, fi := Along, 0
	if from != x {
		fl, fi = Against, 1
	}
	t := kg.RelTypes[g.eType[e]]
	lk := Link{
		From: g.ids[x], To: g.ids[to], Type: t,
		RelationshipID: kg.RelationshipID(g.ids[from], t, g.ids[g.eTo[e]]),
		Flow:           fl, Weight: g.model.weight[g.eType[e]][di][fi], Confidence: g.eConf.at(int(e)),
		Share: g.share(int(e)), ShareFactor: g.shareFactor(di, int(e)),
	}
	g.facts.link(e, &lk)
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
