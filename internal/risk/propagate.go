package risk

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"riskgraph/internal/kg"
)

// Source is one risk source of a score: a signal and the strength with which its strongest
// chain (within the hop cap) brings it to the entity.
type Source struct {
	SignalID   string
	EntityID   string  // the entity carrying the signal
	EntityName string  // its name, as Score.Name
	Severity   float64 // the signal's severity
	Strength   float64 // severity × Π weight × confidence along the strongest chain
	Hops       int     // length of that chain; 0 for the entity's own signal
}

// Score is one entity's exposure in one dimension.
type Score struct {
	EntityID   string
	Name       string // the entity's name on the graph's date, when the graph was compiled from named entities
	Dimension  kg.Dimension
	Score      float64  // 1 − Π(1 − strength) over Sources
	Intrinsic  float64  // the part due to the entity's own signals: 1 − Π(1 − strength) over them
	Propagated float64  // Score − Intrinsic
	Sources    []Source // the top-k sources, strongest first, ties by signal id
}

// Options tune one pass.
type Options struct {
	// MaxHops caps chain length below the model's hop cap; 0 means the hop cap.
	MaxHops int
}

func (g *Graph) hops(o Options) (int, error) {
	switch {
	case o.MaxHops == 0:
		return g.model.hopCap, nil
	case o.MaxHops < 0 || o.MaxHops > g.model.hopCap:
		return 0, kg.Invalid("maxHops", "maxHops is %d; it must be between 1 and the model's hop cap %d", o.MaxHops, g.model.hopCap)
	}
	return o.MaxHops, nil
}

// Result holds the scores of a pass. It is immutable and safe for concurrent use.
type Result struct {
	g      *Graph
	hops   int
	only   int32 // -1 for a whole-graph pass, else the one entity whose numbers are valid
	dims   []*labels
	ranked []struct {
		once sync.Once
		idx  []int32
	}
}

// labels is the state of one dimension: for each reached entity, its top-k sources kept in
// order (strength descending, source index ascending), in flat pools of k slots per entity.
type labels struct {
	k      int
	slot   []int32   // per entity: label number, or -1 when nothing reached it
	owner  []int32   // per label: its entity
	hdr    []header  // per label
	chunks [][]entry // labels in blocks of 1<<bits, k entries each, never moved once made
	bits   int
	score  []float64 // per label, filled after the relaxation
	// Labels compacted from a whole-graph pass (dense.compact) no longer change: they hold
	// only the slots in use, label l's at flat[off[l]:off[l+1]], and no chunks. Most labels
	// use one or two of their k slots, so k slots each were most of a pass's memory.
	flat []entry
	off  []int32
}

// header is the bookkeeping of one label.
type header struct {
	cnt  uint8 // slots in use
	mark uint8 // 1 + the last round in which the label joined the frontier
}

// entry is one slot of a label.
type entry struct {
	str float64 // strength
	src int32   // source (signal index)
	hop uint8   // round in which the strength was reached = chain length
}

// all returns label l's k slots.
func (L *labels) all(l int32) []entry {
	c := L.chunks[l>>L.bits]
	o := int(l&(1<<L.bits-1)) * L.k
	return c[o : o+L.k : o+L.k]
}

// entries returns label l's slots in use, strongest first.
func (L *labels) entries(l int32) []entry {
	if L.off != nil {
		return L.flat[L.off[l]:L.off[l+1]:L.off[l+1]]
	}
	return L.all(l)[:L.hdr[l].cnt]
}

// Run scores every entity in every dimension. It stops, with ctx's error, when ctx ends.
func (g *Graph) Run(ctx context.Context, o Options) (*Result, error) {
	h, err := g.hops(o)
	if err != nil {
		return nil, err
	}
	return g.run(ctx, h, -1)
}

// RunFor scores one entity only, relaxing just the entities whose risk can reach it; its
// numbers equal those of Run on the same graph. Lookups of other entities fail.
func (g *Graph) RunFor(ctx context.Context, entityID string, o Options) (*Result, error) {
	h, err := g.hops(o)
	if err != nil {
		return nil, err
	}
	v, ok := g.Index(entityID)
	if !ok {
		return nil, fmt.Errorf("score %s: %w", entityID, kg.Invalid("entityId", "entity %q is not in the graph", entityID))
	}
	return g.run(ctx, h, v)
}

func (g *Graph) run(ctx context.Context, h int, only int32) (*Result, error) {
	r := &Result{g: g, hops: h, only: only, dims: make([]*labels, len(kg.Dimensions))}
	r.ranked = make([]struct {
		once sync.Once
		idx  []int32
	}, len(kg.Dimensions))
	var wg sync.WaitGroup
	for di := range kg.Dimensions {
		switch {
		case !g.has[di]:
		case only >= 0:
			wg.Go(func() {
				in, _ := g.ball(di, only, h)
				r.dims[di] = g.relax(ctx, di, h, in)
			})
		default:
			// One dimension after another, each spread over the cores: a whole-graph
			// relaxation works in a dense state of k slots per entity (128 MB at 1M entities
			// and k = 8), and all dimensions at once held five of them, 0.64 GB at the top of
			// a pass; one after another they share one (denseStates).
			r.dims[di] = g.relaxAll(ctx, di, h, runtime.GOMAXPROCS(0))
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("risk pass: %w", err)
	}
	return r, nil
}

// relax runs the hop-bounded relaxation of dimension di: round 0 seeds each entity with its
// own signals; round r pushes every entry that changed in round r−1 along one more edge.
// Rounds read only what the previous round wrote, so after r rounds an entity holds the top-k
// of its sources' strongest chains of at most r edges. When in is non-nil only its entities
// take part.
// When ctx ends the relaxation stops early (the labels are then incomplete; run discards them).
func (g *Graph) relax(ctx context.Context, di int, hops int, in map[int32]bool) *labels {
	k := g.model.topK
	a := g.fwd
	L := &labels{k: k, slot: make([]int32, len(g.ids)), bits: 12}
	if in != nil { // a small ball: small blocks
		L.bits = min(12, max(4, bits.Len(uint(len(in)))))
	}
	for i := range L.slot {
		L.slot[i] = -1
	}
	var front []int32
	touch := func(l int32, round int) {
		if h := &L.hdr[l]; h.mark != uint8(round+1) {
			h.mark = uint8(round + 1)
			front = append(front, L.owner[l])
		}
	}
	for s, d := range g.sigDim {
		v := g.sigEnt[s]
		if int(d) != di || g.sigSev[s] <= 0 || (in != nil && !in[v]) {
			continue
		}
		if l := L.merge(v, int32(s), g.sigSev[s], 0); l >= 0 {
			touch(l, 0)
		}
	}
	type msg struct {
		src int32
		str float64
	}
	var msgs []msg
	var offs []int32
	for round := 1; round <= hops && len(front) > 0; round++ {
		// Collect what changed in the previous round before anything changes in this one.
		msgs, offs = msgs[:0], append(offs[:0], 0)
		for _, u := range front {
			for _, e := range L.entries(L.slot[u]) {
				if int(e.hop) == round-1 {
					msgs = append(msgs, msg{e.src, e.str})
				}
			}
			offs = append(offs, int32(len(msgs)))
		}
		prev := front
		front = nil
		for i, u := range prev {
			if i&4095 == 0 && ctx.Err() != nil {
				front = nil
				break
			}
			ms := msgs[offs[i]:offs[i+1]]
			for p := a.start[u]; p < a.start[u+1]; p++ {
				f := a.factor(p, di)
				if f <= 0 {
					continue // the edge carries another dimension
				}
				v := a.node[p]
				if in != nil && !in[v] {
					continue
				}
				for _, m := range ms {
					if l := L.merge(v, m.src, m.str*f, uint8(round)); l >= 0 {
						touch(l, round)
					}
				}
			}
		}
	}
	L.score = make([]float64, len(L.hdr))
	for l := range L.hdr {
		L.score[l], _ = L.combine(int32(l))
	}
	return L
}

// dense is the working state of a whole-graph relaxation of one dimension: every entity's k
// slots laid out in entity order, so that shards of the entity range can be written by
// different goroutines without sharing a byte. floor holds, for a full entity, its weakest
// strength rounded down to float32: a strength below it cannot enter, and testing that touches
// 4 bytes per entity instead of the entity's slots.
type dense struct {
	k     int
	cnt   []uint8
	mark  []uint8 // 1 + the last round the entity joined the frontier
	ent   []entry
	floor []float32
}

func (d *dense) entries(v int32) []entry {
	o := int(v) * d.k
	return d.ent[o : o+int(d.cnt[v]) : o+d.k]
}

// merge offers source src with strength s, reached in round hop, to entity v, and reports
// whether v's slots changed. Its rules are those of labels.merge.
func (d *dense) merge(v, src int32, s float64, hop uint8) bool {
	if s <= 0 || s < float64(d.floor[v]) {
		return false
	}
	k := d.k
	o := int(v) * k
	es := d.ent[o : o+k : o+k]
	n := int(d.cnt[v])
	if n == k && (s < es[k-1].str || (s == es[k-1].str && src > es[k-1].src)) {
		return false
	}
	pos := -1
	for j := range n {
		if es[j].src == src {
			if s <= es[j].str {
				return false
			}
			pos = j
			break
		}
	}
	if pos < 0 {
		if n < k {
			pos = n
			d.cnt[v]++
		} else {
			pos = k - 1
		}
	}
	for pos > 0 && (s > es[pos-1].str || (s == es[pos-1].str && src < es[pos-1].src)) {
		es[pos] = es[pos-1]
		pos--
	}
	es[pos] = entry{str: s, src: src, hop: hop}
	if d.cnt[v] == uint8(k) {
		f := float32(es[k-1].str)
		if float64(f) > es[k-1].str {
			f = math.Nextafter32(f, 0)
		}
		d.floor[v] = f
	}
	return true
}

// relaxAll is relax over the whole graph, with the entity range split into shards that
// goroutines relax side by side: in each round every shard reads the messages of the whole
// frontier (collected before the round writes anything) and merges only into its own
// entities, so the result is the same whatever the shard count. It ends with the labels in
// compact form.
func (g *Graph) relaxAll(ctx context.Context, di int, hops, shards int) *labels {
	n := len(g.ids)
	k := g.model.topK
	a := g.fwd
	d := newDense(n, k)
	shards = max(1, min(shards, n))
	bound := make([]int32, shards+1)
	for i := range bound {
		bound[i] = int32(int64(n) * int64(i) / int64(shards))
	}
	var front []int32
	for s, dim := range g.sigDim {
		v := g.sigEnt[s]
		if int(dim) != di || g.sigSev[s] <= 0 {
			continue
		}
		if d.merge(v, int32(s), g.sigSev[s], 0) && d.mark[v] != 1 {
			d.mark[v] = 1
			front = append(front, v)
		}
	}
	slices.Sort(front)
	type msg struct {
		src int32
		str float64
	}
	var msgs []msg
	var offs []int32
	next := make([][]int32, shards)
	for round := 1; round <= hops && len(front) > 0; round++ {
		msgs, offs = msgs[:0], append(offs[:0], 0)
		for _, u := range front {
			for _, e := range d.entries(u) {
				if int(e.hop) == round-1 {
					msgs = append(msgs, msg{e.src, e.str})
				}
			}
			offs = append(offs, int32(len(msgs)))
		}
		var wg sync.WaitGroup
		for sh := range shards {
			wg.Go(func() {
				lo, hi := bound[sh], bound[sh+1]
				mark := uint8(round + 1)
				touched := false
				for i, u := range front {
					if i&4095 == 0 && ctx.Err() != nil {
						break
					}
					ms := msgs[offs[i]:offs[i+1]]
					for p := a.start[u]; p < a.start[u+1]; p++ {
						v := a.node[p]
						if v < lo || v >= hi {
							continue
						}
						f := a.factor(p, di)
						if f <= 0 {
							continue
						}
						for _, m := range ms {
							if d.merge(v, m.src, m.str*f, uint8(round)) {
								d.mark[v], touched = mark, true
							}
						}
					}
				}
				// The shard's part of the next frontier, in entity order: one pass over its marks.
				out := next[sh][:0]
				if touched && ctx.Err() == nil {
					for v, m := range d.mark[lo:hi] {
						if m == mark {
							out = append(out, lo+int32(v))
						}
					}
				}
				next[sh] = out
			})
		}
		wg.Wait()
		front = front[:0]
		for _, part := range next { // shards are ranges in order: the frontier stays sorted
			front = append(front, part...)
		}
	}
	L := d.compact()
	denseStates.Put(d)
	return L
}

// denseStates keeps the working state of finished passes for the next one: a whole-graph
// pass of a million entities needs over 100 MB of it per dimension, and reusing it spares
// the allocation and the page faults. The pool lets it go when the garbage collector runs.
var denseStates sync.Pool

// newDense returns a zeroed state for n entities of k slots, reusing a pooled one when its
// arrays are large enough.
func newDense(n, k int) *dense {
	if d, ok := denseStates.Get().(*dense); ok && cap(d.cnt) >= n && cap(d.ent) >= n*k {
		d.k = k
		d.cnt, d.mark, d.floor, d.ent = d.cnt[:n], d.mark[:n], d.floor[:n], d.ent[:n*k]
		clear(d.cnt)
		clear(d.mark)
		clear(d.floor)
		return d // ent needs no clearing: only slots below cnt are read
	}
	return &dense{k: k, cnt: make([]uint8, n), mark: make([]uint8, n), ent: make([]entry, n*k), floor: make([]float32, n)}
}

// compact turns the dense state into labels, in entity order.
func (d *dense) compact() *labels {
	n := len(d.cnt)
	reached, used := 0, 0
	for _, c := range d.cnt {
		if c > 0 {
			reached++
			used += int(c)
		}
	}
	L := &labels{k: d.k, slot: make([]int32, n), bits: 12,
		owner: make([]int32, 0, reached), hdr: make([]header, 0, reached), score: make([]float64, 0, reached),
		flat: make([]entry, 0, used), off: make([]int32, 1, reached+1)}
	for v := range n {
		c := int(d.cnt[v])
		if c == 0 {
			L.slot[v] = -1
			continue
		}
		l := int32(len(L.hdr))
		L.slot[v] = l
		L.owner = append(L.owner, int32(v))
		L.hdr = append(L.hdr, header{cnt: d.cnt[v]})
		L.flat = append(L.flat, d.ent[v*d.k:v*d.k+c]...)
		L.off = append(L.off, int32(len(L.flat)))
		sc, _ := L.combine(l)
		L.score = append(L.score, sc)
	}
	return L
}

// merge offers source src with strength s, reached in round hop, to entity v's label, and
// returns the label if it changed, else -1.
func (L *labels) merge(v, src int32, s float64, hop uint8) int32 {
	if s <= 0 {
		return -1
	}
	k := L.k
	l := L.slot[v]
	if l < 0 {
		l = int32(len(L.hdr))
		L.slot[v] = l
		L.owner = append(L.owner, v)
		L.hdr = append(L.hdr, header{})
		if int(l)>>L.bits == len(L.chunks) {
			L.chunks = append(L.chunks, make([]entry, k<<L.bits))
		}
	}
	es := L.all(l)
	n := int(L.hdr[l].cnt)
	// Fast reject: a full label whose weakest entry beats s cannot change.
	if n == k && (s < es[k-1].str || (s == es[k-1].str && src > es[k-1].src)) {
		return -1
	}
	pos := -1 // the slot to refill: src's own, or a new one at the end, or the weakest
	for j := range n {
		if es[j].src == src {
			if s <= es[j].str {
				return -1
			}
			pos = j
			break
		}
	}
	if pos < 0 {
		if n < k {
			pos = n
			L.hdr[l].cnt++
		} else {
			pos = k - 1
		}
	}
	// Move pos up to keep (strength desc, source asc) order.
	for pos > 0 && (s > es[pos-1].str || (s == es[pos-1].str && src < es[pos-1].src)) {
		es[pos] = es[pos-1]
		pos--
	}
	es[pos] = entry{str: s, src: src, hop: hop}
	return l
}

// combine returns label l's score and its intrinsic part. Factors are multiplied strongest
// first, so raising any strength can only lower the product: the score is monotone even in
// floating point.
func (L *labels) combine(l int32) (score, intrinsic float64) {
	p, pi := 1.0, 1.0
	for _, e := range L.entries(l) {
		p *= 1 - e.str
		if e.hop == 0 {
			pi *= 1 - e.str
		}
	}
	return 1 - p, 1 - pi
}

// Hops is the hop cap the result was computed with.
func (r *Result) Hops() int { return r.hops }

// Graph is the graph the result was computed on.
func (r *Result) Graph() *Graph { return r.g }

func (r *Result) lookup(entityID string, d kg.Dimension) (int32, int, error) {
	di, err := dimIndex(d)
	if err != nil {
		return 0, 0, err
	}
	v, ok := r.g.Index(entityID)
	if !ok {
		return 0, 0, fmt.Errorf("score %s: %w", entityID, kg.Invalid("entityId", "entity %q is not in the graph", entityID))
	}
	if r.only >= 0 && v != r.only {
		return 0, 0, fmt.Errorf("score %s: %w: this result is for %s only", entityID, errNotScored, r.g.ids[r.only])
	}
	return v, di, nil
}

// Score returns the entity's score in dimension d (zero when nothing reaches it).
func (r *Result) Score(entityID string, d kg.Dimension) (Score, error) {
	v, di, err := r.lookup(entityID, d)
	if err != nil {
		return Score{}, err
	}
	return r.score(v, di, true), nil
}

// TopSource returns the strongest source of an entity's score in dimension d, and false when
// nothing reached the entity: Score's first source, without building the others.
func (r *Result) TopSource(entityID string, d kg.Dimension) (Source, bool, error) {
	v, di, err := r.lookup(entityID, d)
	if err != nil {
		return Source{}, false, err
	}
	L := r.dims[di]
	if L == nil || L.slot[v] < 0 || L.hdr[L.slot[v]].cnt == 0 {
		return Source{}, false, nil
	}
	return r.top(L, v), true, nil
}

// top is the strongest source of v, which L reached.
func (r *Result) top(L *labels, v int32) Source {
	e := L.entries(L.slot[v])[0]
	return Source{SignalID: r.g.sigID[e.src], EntityID: r.g.ids[r.g.sigEnt[e.src]], EntityName: r.g.name(r.g.sigEnt[e.src]),
		Severity: r.g.sigSev[e.src], Strength: e.str, Hops: int(e.hop)}
}

// RankingTops is Ranking of every entity with a score in dimension d, and beside each score
// its strongest source, as TopSource gives it (a zero Source, with no SignalID, when it has
// none). It spares a caller that wants both for every entity a lookup by id per entity.
func (r *Result) RankingTops(d kg.Dimension) ([]Score, []Source, error) {
	scores, err := r.Ranking(d, 0, 0)
	if err != nil || len(scores) == 0 {
		return scores, nil, err
	}
	di, _ := dimIndex(d) // Ranking checked it
	L := r.dims[di]
	tops := make([]Source, len(scores))
	for i, v := range r.ranked[di].idx {
		if L.hdr[L.slot[v]].cnt > 0 {
			tops[i] = r.top(L, v)
		}
	}
	return scores, tops, nil
}

func (r *Result) score(v int32, di int, withSources bool) Score {
	s := Score{EntityID: r.g.ids[v], Name: r.g.name(v), Dimension: kg.Dimensions[di]}
	L := r.dims[di]
	if L == nil || L.slot[v] < 0 {
		return s
	}
	l := L.slot[v]
	s.Score, s.Intrinsic = L.combine(l)
	s.Propagated = s.Score - s.Intrinsic
	if withSources {
		for _, e := range L.entries(l) {
			s.Sources = append(s.Sources, Source{
				SignalID:   r.g.sigID[e.src],
				EntityID:   r.g.ids[r.g.sigEnt[e.src]],
				EntityName: r.g.name(r.g.sigEnt[e.src]),
				Severity:   r.g.sigSev[e.src],
				Strength:   e.str,
				Hops:       int(e.hop),
			})
		}
	}
	return s
}

// Reached is the number of entities with a non-zero score in dimension d.
func (r *Result) Reached(d kg.Dimension) int {
	di, err := dimIndex(d)
	if err != nil || r.dims[di] == nil {
		return 0
	}
	return len(r.dims[di].hdr)
}

// Ranking returns the entities with a non-zero score in dimension d, highest first, ties by
// id, skipping offset and returning at most limit (0 = all). Sources are left out.
func (r *Result) Ranking(d kg.Dimension, offset, limit int) ([]Score, error) {
	di, err := dimIndex(d)
	if err != nil {
		return nil, err
	}
	if r.only >= 0 {
		return nil, fmt.Errorf("rank %s: %w: this result is for %s only", d, errNotScored, r.g.ids[r.only])
	}
	L := r.dims[di]
	if L == nil {
		return nil, nil
	}
	rk := &r.ranked[di]
	rk.once.Do(func() {
		idx := slices.Clone(L.owner)
		slices.SortFunc(idx, func(a, b int32) int {
			sa, sb := L.score[L.slot[a]], L.score[L.slot[b]]
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return int(a - b) // indexes are in id order
		})
		rk.idx = idx
	})
	idx := rk.idx[min(max(offset, 0), len(rk.idx)):]
	if limit > 0 && limit < len(idx) {
		idx = idx[:limit]
	}
	out := make([]Score, len(idx))
	for i, v := range idx {
		out[i] = r.score(v, di, false)
	}
	return out, nil
}
