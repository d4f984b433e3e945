package risk

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"riskgraph/internal/kg"
)

// Graph is a snapshot compiled for one model into flat arrays: entities in id order, edges in
// (from, to, type) order, signals in id order, and per dimension a CSR adjacency from each
// entity to those its risk flows to, with the factor weight × confidence of each edge.
// A Graph is immutable and safe for concurrent use.
type Graph struct {
	model *Model
	asOf  kg.Date

	ids   []string // entity ids, ascending; an entity is its index here
	names []string // their names, when compiled from entities (see Compiler); else nil

	eStart []int32 // entity u's edges, from it, are [eStart[u], eStart[u+1])
	eFrom  []int32 // while building: each edge's From
	eTo    []int32
	eType  []uint8
	eConf  coded[float64]
	eShare []float64 // OWNED_BY share in percent, 0 when not known; nil when no edge has one
	facts  edgeFacts // what explanations cite of each edge's relationship

	sigID  []string // ascending; a risk source is its index here
	sigEnt []int32
	sigDim []uint8
	sigSev []float64
	sigRow []int32         // row in signals, or -1
	sigs   []kg.RiskSignal // the compiled snapshot's signals, or nil

	has     []bool // per dimension: whether a signal has it (a pass relaxes only those)
	fwd     *csr   // every dimension's adjacency in the flow direction; nil when no signal
	revOnce sync.Once
	rev     *csr // fwd reversed, built when first asked for (reverse)
}

// csr is a compressed adjacency: the neighbours of node u are at [start[u], start[u+1]).
// One csr serves every dimension: an entry is an edge that carries at least one dimension
// with a signal, in the direction risk flows over it, and its factors (weight × confidence
// × share factor, one per dimension, 0 where the edge carries none) are facs[c*nd:][:nd] for
// its code c. Weights and confidences come from short lists, so a graph has a few hundred
// distinct factor rows; one adjacency of all dimensions with 2-byte codes is 10 bytes an
// entry against 30 for one per dimension, about 100 MB per pass at 5M relationships.
// Past 1<<16 distinct rows the codes are 4 bytes (wide). A reverse adjacency (Graph.reverse)
// only says who is upstream, to bound an explanation's search: it has no edge.
type csr struct {
	start []int32
	node  []int32
	edge  []int32 // edge index, for explanations; nil when reverse
	code  []uint16
	wide  []uint32 // the codes, when there are too many for code (then nil)
	facs  []float64
	nd    int // factors per row: len(kg.Dimensions)
}

// factor is entry p's factor in dimension di (0 when the edge does not carry it).
func (a *csr) factor(p int32, di int) float64 {
	if a.code != nil {
		return a.facs[int(a.code[p])*a.nd+di]
	}
	return a.facs[int(a.wide[p])*a.nd+di]
}

// factorKey is what an edge's factors follow from in one flow direction.
type factorKey struct {
	t, fi uint8
	conf  float64
	share float64 // of an OWNED_BY edge; 0 for any other
}

// factorCodes fills a csr's codes, numbering the distinct factor rows.
type factorCodes struct {
	g     *Graph
	a     *csr
	has   []bool // the dimensions with a signal: the others get factor 0
	index map[factorKey]uint32
	// recent caches codes by a hash of the key: a map lookup per entry made compiling a
	// graph of 5M relationships a second slower.
	recent [1 << 10]struct {
		k    factorKey
		code uint32
		ok   bool
	}
}

func newFactorCodes(g *Graph, a *csr, m int, has []bool) *factorCodes {
	a.code, a.nd = make([]uint16, m), len(kg.Dimensions)
	return &factorCodes{g: g, a: a, has: has, index: map[factorKey]uint32{}}
}

// key is what edge e's factors in flow direction fi follow from.
func (c *factorCodes) key(e, fi int) factorKey {
	g := c.g
	k := factorKey{t: g.eType[e], fi: uint8(fi), conf: g.eConf.at(e)}
	if kg.RelTypes[k.t] == kg.RelOwnedBy {
		k.share = g.share(e)
	}
	return k
}

// put gives entry p the code of edge e's factors in flow direction fi.
func (c *factorCodes) put(p int32, e, fi int) {
	k := c.key(e, fi)
	h := (uint64(k.t)<<8 | uint64(k.fi)) ^ math.Float64bits(k.conf)*0x9e3779b97f4a7c15 ^ math.Float64bits(k.share)*0xc2b2ae3d27d4eb4f
	r := &c.recent[h>>54]
	if !r.ok || r.k != k {
		code, ok := c.index[k]
		if !ok {
			code = uint32(len(c.a.facs) / c.a.nd)
			c.index[k] = code
			g := c.g
			for di := range c.a.nd {
				f := 0.0
				if c.has[di] {
					f = g.model.weight[k.t][di][k.fi] * k.conf
					if kg.RelTypes[k.t] == kg.RelOwnedBy {
						f *= g.model.ownership[di].factor(k.share)
					}
				}
				c.a.facs = append(c.a.facs, f)
			}
		}
		r.k, r.code, r.ok = k, code, true
	}
	a := c.a
	if a.code != nil && r.code >= 1<<16 {
		a.wide = make([]uint32, len(a.code))
		for q, x := range a.code {
			a.wide[q] = uint32(x)
		}
		a.code = nil
	}
	if a.code != nil {
		a.code[p] = uint16(r.code)
	} else {
		a.wide[p] = r.code
	}
}

// Model returns the model the graph was compiled for.
func (g *Graph) Model() *Model { return g.model }

// AsOf is the date the graph's facts are valid at (0 when the snapshot was taken as is).
func (g *Graph) AsOf() kg.Date { return g.asOf }

// Len is the number of entities.
func (g *Graph) Len() int { return len(g.ids) }

// name is entity v's name, "" when the graph keeps none.
func (g *Graph) name(v int32) string {
	if g.names == nil {
		return ""
	}
	return g.names[v]
}

// Index returns the index of the entity with id, or false.
func (g *Graph) Index(id string) (int32, bool) {
	i, ok := slices.BinarySearch(g.ids, id)
	return int32(i), ok
}

// Builder assembles a Graph without kg structs, for callers (benchmarks, generators) that hold
// a graph in compact form. Add entities, then edges and signals naming entities by the index
// Entity returned. Not safe for concurrent use.
type Builder struct {
	model  *Model
	asOf   kg.Date
	ids    []string
	names  []string // beside ids, once an entity came with its name
	sorted bool

	eFrom, eTo []int32
	eType      []uint8
	eConf      coded[float64]
	eShare     []float64
	facts      edgeFacts

	sigID  []string
	sigEnt []int32
	sigDim []uint8
	sigSev []float64
	sigRow []int32
	sigs   []kg.RiskSignal
	err    error
}

// NewBuilder starts a graph for model m; sizes are capacity hints.
func NewBuilder(m *Model, entities, edges int) *Builder {
	b := &Builder{
		model: m, sorted: true,
		ids:   make([]string, 0, entities),
		eFrom: make([]int32, 0, edges), eTo: make([]int32, 0, edges),
		eType: make([]uint8, 0, edges),
	}
	b.eConf.grow(edges)
	return b
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Entity adds an entity and returns its index for Edge and Signal. Adding ids in ascending
// order saves a sort in Build.
func (b *Builder) Entity(id string) int32 {
	if n := len(b.ids); n > 0 && b.ids[n-1] >= id {
		b.sorted = false
	}
	b.ids = append(b.ids, id)
	return int32(len(b.ids) - 1)
}

// nameLast gives the last entity added a name, which the graph then keeps, and returns its
// index.
func (b *Builder) nameLast(name string) int32 {
	for len(b.names) < len(b.ids)-1 {
		b.names = append(b.names, "")
	}
	b.names = append(b.names, name)
	return int32(len(b.ids) - 1)
}

// Edge adds a relationship of type t from one entity to another; confidence 0 means 1.
func (b *Builder) Edge(from, to int32, t kg.RelType, confidence float64) {
	b.edge(from, to, t, confidence, 0)
}

// OwnedBy adds an OWNED_BY relationship with the share (percent, 0 = not known) that to owns of from.
func (b *Builder) OwnedBy(from, to int32, confidence, share float64) {
	b.edge(from, to, kg.RelOwnedBy, confidence, share)
}

// edge adds an edge and reports whether it did (a bad one fails the build instead).
func (b *Builder) edge(from, to int32, t kg.RelType, confidence, share float64) bool {
	ti := slices.Index(kg.RelTypes, t)
	switch {
	case ti < 0:
		b.fail(kg.Invalid("relationship", "unknown relationship type %q", t))
		return false
	case from < 0 || to < 0 || int(from) >= len(b.ids) || int(to) >= len(b.ids):
		b.fail(kg.Invalid("relationship", "%s edge names entity %d or %d of %d", t, from, to, len(b.ids)))
		return false
	case confidence == 0:
		confidence = 1
	case math.IsNaN(confidence) || confidence < 0 || confidence > 1:
		b.fail(kg.Invalid("relationship.confidence", "confidence %v of a %s edge must be in (0,1]", confidence, t))
		return false
	case math.IsNaN(share) || share < 0 || share > 100:
		b.fail(kg.Invalid("relationship.share", "share %v of a %s edge must be in [0,100]", share, t))
		return false
	}
	if share != 0 || b.eShare != nil {
		for len(b.eShare) < len(b.eFrom) {
			b.eShare = append(b.eShare, 0)
		}
		b.eShare = append(b.eShare, share)
	}
	b.eFrom = append(b.eFrom, from)
	b.eTo = append(b.eTo, to)
	b.eType = append(b.eType, uint8(ti))
	b.eConf.add(confidence)
	return true
}

// Signal adds a risk signal with a unique id on an entity.
func (b *Builder) Signal(id string, entity int32, d kg.Dimension, severity float64) {
	b.signal(id, entity, d, severity, -1)
}

func (b *Builder) signal(id string, entity int32, d kg.Dimension, severity float64, row int32) {
	di := slices.Index(kg.Dimensions, d)
	switch {
	case di < 0:
		b.fail(kg.Invalid("signal.dimension", "signal %s: unknown dimension %q", id, d))
		return
	case entity < 0 || int(entity) >= len(b.ids):
		b.fail(kg.Invalid("signal.entity", "signal %s names entity %d of %d", id, entity, len(b.ids)))
		return
	case math.IsNaN(severity) || severity < 0 || severity > 1:
		b.fail(kg.Invalid("signal.severity", "signal %s: severity %v must be in [0,1]", id, severity))
		return
	}
	b.sigID = append(b.sigID, id)
	b.sigEnt = append(b.sigEnt, entity)
	b.sigDim = append(b.sigDim, uint8(di))
	b.sigSev = append(b.sigSev, severity)
	b.sigRow = append(b.sigRow, row)
}

// Build compiles what was added. It fails on a repeated entity id, signal id or
// (from, type, to), and on any bad row added before. The Builder must not be used afterwards.
func (b *Builder) Build() (*Graph, error) {
	if b.err != nil {
		return nil, fmt.Errorf("compile risk graph: %w", b.err)
	}
	g := &Graph{model: b.model, asOf: b.asOf, sigs: b.sigs}

	// Entities in id order; remap edge and signal ends when they came in another order.
	if b.names != nil {
		for len(b.names) < len(b.ids) {
			b.names = append(b.names, "")
		}
	}
	g.ids, g.names = fit(b.ids), fit(b.names)
	if !b.sorted {
		perm := make([]int32, len(b.ids))
		for i := range perm {
			perm[i] = int32(i)
		}
		slices.SortFunc(perm, func(x, y int32) int { return strings.Compare(b.ids[x], b.ids[y]) })
		g.ids = make([]string, len(perm))
		if b.names != nil {
			g.names = make([]string, len(perm))
		}
		where := make([]int32, len(perm))
		for to, from := range perm {
			g.ids[to] = b.ids[from]
			if b.names != nil {
				g.names[to] = b.names[from]
			}
			where[from] = int32(to)
		}
		for i := range b.eFrom {
			b.eFrom[i], b.eTo[i] = where[b.eFrom[i]], where[b.eTo[i]]
		}
		for i := range b.sigEnt {
			b.sigEnt[i] = where[b.sigEnt[i]]
		}
	}
	for i := 1; i < len(g.ids); i++ {
		if g.ids[i] == g.ids[i-1] {
			return nil, fmt.Errorf("compile risk graph: %w", kg.Invalid("entities", "entity %q appears twice", g.ids[i]))
		}
	}

	// Edges in (from, to, type) order, so that adjacency, and thus which chain an
	// explanation shows among equals, does not depend on input order.
	n := len(b.eFrom)
	key := func(i int) uint64 { return uint64(b.eFrom[i])<<34 | uint64(b.eTo[i])<<4 | uint64(b.eType[i]) }
	inOrder := true
	for i := 1; i < n && inOrder; i++ {
		inOrder = key(i-1) < key(i)
	}
	if b.eShare != nil {
		for len(b.eShare) < len(b.eFrom) {
			b.eShare = append(b.eShare, 0)
		}
	}
	b.facts.pad(n)
	g.eFrom, g.eTo, g.eType, g.eConf, g.eShare, g.facts = b.eFrom, b.eTo, b.eType, b.eConf, b.eShare, b.facts
	if inOrder {
		// Room was made for every relationship of the store (Compiler.Reserve), and those
		// not valid on the day or of no weight left some of it unused: a fifth of 5M.
		g.eTo, g.eType, g.eShare = fit(g.eTo), fit(g.eType), fit(g.eShare)
		g.eConf.done()
		g.facts.done()
		b.eFrom, b.eTo, b.eType, b.eConf, b.eShare, b.facts = nil, nil, nil, coded[float64]{}, nil, edgeFacts{}
	} else {
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		slices.SortFunc(perm, func(x, y int32) int { return cmp.Compare(key(int(x)), key(int(y))) })
		g.eFrom, g.eTo = permute(b.eFrom, perm), permute(b.eTo, perm)
		g.eType, g.eConf = permute(b.eType, perm), b.eConf.permuted(perm)
		g.facts = b.facts.permuted(perm)
		if b.eShare != nil {
			g.eShare = permute(b.eShare, perm)
		}
		for i := 1; i < n; i++ {
			if g.eFrom[i] == g.eFrom[i-1] && g.eTo[i] == g.eTo[i-1] && g.eType[i] == g.eType[i-1] {
				return nil, fmt.Errorf("compile risk graph: %w", kg.Invalid("relationships", "relationship %q appears twice",
					kg.RelationshipID(g.ids[g.eFrom[i]], kg.RelTypes[g.eType[i]], g.ids[g.eTo[i]])))
			}
		}
	}
	// Edges are in From order, so an entity's edges are a run that eStart finds, and the
	// graph keeps no From per edge (17 MB a pass at 5M relationships).
	g.eStart = make([]int32, len(g.ids)+1)
	for _, f := range g.eFrom {
		g.eStart[f+1]++
	}
	for u := 1; u < len(g.eStart); u++ {
		g.eStart[u] += g.eStart[u-1]
	}
	g.eFrom = nil

	// Signals in id order: a risk source is its signal's index, so ties break by signal id.
	perm := make([]int32, len(b.sigID))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int { return strings.Compare(b.sigID[x], b.sigID[y]) })
	g.sigID, g.sigEnt, g.sigDim = permute(b.sigID, perm), permute(b.sigEnt, perm), permute(b.sigDim, perm)
	g.sigSev, g.sigRow = permute(b.sigSev, perm), permute(b.sigRow, perm)
	for i := 1; i < len(g.sigID); i++ {
		if g.sigID[i] == g.sigID[i-1] {
			return nil, fmt.Errorf("compile risk graph: %w", kg.Invalid("signals", "signal %q appears twice", g.sigID[i]))
		}
	}

	// One forward adjacency for every dimension that has a signal.
	g.has = make([]bool, len(kg.Dimensions))
	for _, d := range g.sigDim {
		g.has[d] = true
	}
	if len(g.sigDim) > 0 {
		g.fwd = g.buildCSR(false)
	}
	return g, nil
}

// fit returns s in an array of its length when s leaves more than an eighth of its own unused.
func fit[T any](s []T) []T {
	if cap(s)-len(s) > len(s)/8 {
		return slices.Clone(s)
	}
	return s
}

func permute[T any](s []T, perm []int32) []T {
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = s[p]
	}
	return out
}

// buildCSR lays out every edge that carries a dimension with a signal: in the flow
// direction (upstream → downstream), or reversed (downstream → upstream) when reverse is set.
func (g *Graph) buildCSR(reverse bool) *csr {
	w := g.model.weight
	n := len(g.ids)
	a := &csr{start: make([]int32, n+2)}
	carries := func(e, fi int) bool {
		for di, ok := range g.has {
			if ok && w[g.eType[e]][di][fi] > 0 {
				return true
			}
		}
		return false
	}
	ends := func(from int32, e int, fi int) (t, h int32) {
		t, h = from, g.eTo[e] // upstream, downstream
		if fi == 1 {
			t, h = h, t
		}
		if reverse {
			t, h = h, t
		}
		return t, h
	}
	m := 0
	for u := range int32(n) {
		for e := int(g.eStart[u]); e < int(g.eStart[u+1]); e++ {
			for fi := range 2 {
				if carries(e, fi) {
					t, _ := ends(u, e, fi)
					a.start[t+2]++
					m++
				}
			}
		}
	}
	for u := 2; u < len(a.start); u++ {
		a.start[u] += a.start[u-1]
	}
	a.node = make([]int32, m)
	if !reverse {
		a.edge = make([]int32, m)
	}
	codes := newFactorCodes(g, a, m, g.has)
	for u := range int32(n) {
		for e := int(g.eStart[u]); e < int(g.eStart[u+1]); e++ {
			for fi := range 2 {
				if !carries(e, fi) {
					continue
				}
				t, h := ends(u, e, fi)
				p := a.start[t+1]
				a.start[t+1]++
				a.node[p] = h
				if !reverse {
					a.edge[p] = int32(e)
				}
				codes.put(p, e, fi)
			}
		}
	}
	a.start = a.start[:n+1]
	return a
}

// from is edge e's From entity.
func (g *Graph) from(e int32) int32 {
	i, _ := slices.BinarySearch(g.eStart, e+1) // the first run that starts after e
	return int32(i - 1)
}

// share is edge e's ownership share in percent, 0 when not known.
func (g *Graph) share(e int) float64 {
	if g.eShare == nil {
		return 0
	}
	return g.eShare[e]
}

// shareFactor is how much of dimension di an ownership edge e transmits for its share
// (Model.OwnershipFactor); 1 for every other edge.
func (g *Graph) shareFactor(di, e int) float64 {
	if kg.RelTypes[g.eType[e]] != kg.RelOwnedBy {
		return 1
	}
	return g.model.ownership[di].factor(g.share(e))
}

// reverse returns the adjacency from each entity to those its risk comes from, in every
// dimension (csr.factor says which), or nil when no signal has any.
func (g *Graph) reverse() *csr {
	g.revOnce.Do(func() {
		if g.fwd != nil {
			g.rev = g.buildCSR(true)
		}
	})
	return g.rev
}

// Compile compiles a snapshot for model m. When s.AsOf is set, facts not valid then are
// ignored (as kg.Snapshot.ValidAt would drop them), so an unfiltered snapshot is safe;
// a zero AsOf takes the snapshot as it is. Relationships and signals whose entities are
// absent are ignored. The graph keeps what explanations cite of each relationship and
// signal, sharing their citations with s: those must not be changed afterwards.
func Compile(m *Model, s kg.Snapshot) (*Graph, error) {
	c := NewCompiler(m, s.AsOf, len(s.Entities), len(s.Relationships))
	for _, e := range s.Entities {
		if err := c.Entity(e); err != nil {
			return nil, err
		}
	}
	for _, r := range s.Relationships {
		if err := c.Relationship(r); err != nil {
			return nil, err
		}
	}
	for _, g := range s.Signals {
		if err := c.Signal(g); err != nil {
			return nil, err
		}
	}
	return c.Graph()
}

// Compiler compiles a Graph from facts handed over one at a time, in the order store.Walk
// hands them over: every entity, then relationships and signals. It keeps only what the
// graph needs of each fact, so a whole-graph pass holds no copy of the store's facts: at 1M
// entities and 5M relationships, a snapshot of them is about 1.4 GB, the graph a fraction.
type Compiler struct {
	b     *Builder
	asOf  kg.Date
	index map[string]int32 // entity id → index, until Graph
	byArg []int32          // per Entity call, the entity's index, or -1 when it was left out
	later bool             // a relationship or signal was added: no more entities
	// the From of the last relationship and its index: a walk hands over the relationships
	// of one entity one after another.
	lastFrom string
	lastIdx  int32
	lastOK   bool
}

// NewCompiler starts a graph of the facts valid on asOf (0: every fact handed over) for
// model m; entities and relationships are capacity hints.
func NewCompiler(m *Model, asOf kg.Date, entities, relationships int) *Compiler {
	b := NewBuilder(m, entities, relationships)
	b.asOf = asOf
	return &Compiler{b: b, asOf: asOf, index: make(map[string]int32, entities)}
}

// Reserve makes room for this many more entities and relationships, when they are known
// before they are added.
func (c *Compiler) Reserve(entities, relationships int) {
	b := c.b
	b.ids = slices.Grow(b.ids, entities)
	b.eFrom, b.eTo = slices.Grow(b.eFrom, relationships), slices.Grow(b.eTo, relationships)
	b.eType = slices.Grow(b.eType, relationships)
	b.eConf.grow(relationships)
	b.facts.grow(relationships)
	if len(c.index) == 0 {
		c.index = make(map[string]int32, entities)
	}
}

func (c *Compiler) valid(v kg.Validity) bool { return c.asOf == 0 || v.ValidAt(c.asOf) }

// Entity adds an entity. Every entity comes before the first relationship or signal: those
// naming an entity not added are left out, as facts about entities not valid on the date.
func (c *Compiler) Entity(e kg.Entity) error {
	if c.later {
		return fmt.Errorf("compile risk graph: entity %q after relationships or signals", e.ID)
	}
	if !c.valid(e.Validity) {
		c.byArg = append(c.byArg, -1)
		return nil
	}
	if _, dup := c.index[e.ID]; dup {
		return fmt.Errorf("compile risk graph: %w", kg.Invalid("entities", "entity %q appears twice", e.ID))
	}
	i := c.b.Entity(e.ID)
	if e.Name != "" || c.b.names != nil { // a lean entity (id and kind only) keeps no name
		i = c.b.nameLast(e.Name)
	}
	c.index[e.ID] = i
	c.byArg = append(c.byArg, i)
	return nil
}

// Relationship adds a relationship, unless it is not valid on the date, an end is missing
// or the model gives its type no weight (BINDS, COMPLIED_WITH…: it is on no chain).
func (c *Compiler) Relationship(r kg.Relationship) error {
	if !c.later || r.From != c.lastFrom {
		c.lastIdx, c.lastOK = c.index[r.From]
		c.lastFrom = r.From
	}
	c.later = true
	if !c.wanted(r) {
		return nil
	}
	to, okt := c.index[r.To]
	if !c.lastOK || !okt {
		return nil
	}
	return c.relationship(c.lastIdx, to, r)
}

// RelationshipBetween is Relationship for a relationship whose ends were the from-th and the
// to-th entity handed to Entity (counting from 0), as store.FactVisitor.RelationshipBetween
// names them.
func (c *Compiler) RelationshipBetween(from, to int, r kg.Relationship) error {
	if from < 0 || to < 0 || from >= len(c.byArg) || to >= len(c.byArg) {
		return fmt.Errorf("compile risk graph: relationship %q names entity %d or %d of %d handed over", r.ID(), from, to, len(c.byArg))
	}
	c.later = true
	if !c.wanted(r) {
		return nil
	}
	f, t := c.byArg[from], c.byArg[to]
	if f < 0 || t < 0 {
		return nil
	}
	return c.relationship(f, t, r)
}

// wanted says whether a relationship can be an edge: valid on the date, of a type the model
// gives weight (BINDS, COMPLIED_WITH… are on no chain).
func (c *Compiler) wanted(r kg.Relationship) bool {
	return c.valid(r.Validity) && (!r.Type.Valid() || c.b.model.carries(r.Type))
}

// relationship adds relationship r between the entities of indexes from and to.
func (c *Compiler) relationship(from, to int32, r kg.Relationship) error {
	if r.From == r.To {
		return fmt.Errorf("compile risk graph: %w", kg.Invalid("relationships", "relationship %q joins an entity to itself", r.ID()))
	}
	if c.b.edge(from, to, r.Type, r.Confidence, r.Share) {
		c.b.facts.add(len(c.b.eFrom)-1, r)
	}
	return nil
}

// Signal adds a risk signal, unless it is not valid on the date or its entity is missing.
func (c *Compiler) Signal(g kg.RiskSignal) error {
	c.later = true
	e, ok := c.index[g.EntityID]
	if !ok || !c.valid(g.Validity) {
		return nil
	}
	c.b.sigs = append(c.b.sigs, g)
	c.b.signal(g.ID, e, g.Dimension, g.Severity, int32(len(c.b.sigs)-1))
	return nil
}

// Graph compiles what was added. The Compiler must not be used afterwards.
func (c *Compiler) Graph() (*Graph, error) {
	c.index, c.byArg = nil, nil
	return c.b.Build()
}

// edgeFacts holds, per edge, what an explanation cites of the relationship the edge came
// from: its days, its version, whether it was inferred, its citations. A graph keeps these
// instead of the relationships themselves (6 bytes an edge and no pointer for the collector
// to follow, against 144 bytes and seven): versions and citations are kept in tables that
// edges index, a version once however many edges share it, and the indexes, the days and
// the inferred flag, which come from short lists, are coded. A Builder graph has none.
type edgeFacts struct {
	ver      coded[int32] // by edge: index in versions, or -1; empty when no edge has facts
	src      coded[int32] // by edge: index in sources, or -1
	row      coded[edgeRow]
	versions []kg.Version
	sources  [][]kg.Citation
	verIndex map[kg.Version]int32 // index in versions, while building
	lastVer  *kg.Version          // the last version added, while building
	lastIdx  int32                // and its index in versions
	// srcIndex finds a citation list added before, by its array, while building: a store
	// hands the same list to the many facts one source backs, and a list per edge was
	// 24 bytes of each.
	srcIndex map[citations]int32
}

// edgeRow is what an edge's relationship says of itself besides its version and citations.
type edgeRow struct {
	valid    kg.Validity
	inferred bool
}

// maxSharedCitations bounds srcIndex: facts whose lists no other fact shares (written one by
// one rather than read from a file) would otherwise put every edge in it.
const maxSharedCitations = 1 << 16

// citations names a citation list by its array and length.
type citations struct {
	first *kg.Citation
	n     int
}

// has reports whether any edge has facts.
func (f *edgeFacts) has() bool { return f.ver.len() > 0 }

// grow makes room for the facts of n more edges.
func (f *edgeFacts) grow(n int) {
	f.ver.grow(n)
	f.src.grow(n)
	f.row.grow(n)
}

// none gives the next edge the facts of an unknown relationship.
func (f *edgeFacts) none() {
	f.ver.add(-1)
	f.src.add(-1)
	f.row.add(edgeRow{})
}

// add records the facts of relationship r, the source of edge e.
func (f *edgeFacts) add(e int, r kg.Relationship) {
	for f.ver.len() < e {
		f.none()
	}
	ver, src := int32(-1), int32(-1)
	if v := r.Version; v != nil {
		// A store hands the same version value to many facts (all the rows of one write):
		// the same pointer again needs no lookup.
		if v != f.lastVer {
			i, ok := f.verIndex[*v]
			if !ok {
				if f.verIndex == nil {
					f.verIndex = map[kg.Version]int32{}
				}
				i = int32(len(f.versions))
				f.versions = append(f.versions, *v)
				f.verIndex[*v] = i
			}
			f.lastVer, f.lastIdx = v, i
		}
		ver = f.lastIdx
	}
	if len(r.Sources) > 0 {
		key := citations{&r.Sources[0], len(r.Sources)}
		i, ok := f.srcIndex[key]
		if !ok {
			if f.srcIndex == nil {
				f.srcIndex = map[citations]int32{}
			}
			i = int32(len(f.sources))
			f.sources = append(f.sources, r.Sources)
			if len(f.srcIndex) < maxSharedCitations {
				f.srcIndex[key] = i
			}
		}
		src = i
	}
	f.ver.add(ver)
	f.src.add(src)
	f.row.add(edgeRow{valid: r.Validity, inferred: r.Inferred})
}

// pad gives the edges before n without facts those of an unknown relationship, once any
// edge has facts.
func (f *edgeFacts) pad(n int) {
	for f.has() && f.ver.len() < n {
		f.none()
	}
}

// done ends adding: the tables of the build go, and the arrays keep only the room they use.
func (f *edgeFacts) done() {
	f.ver.done()
	f.src.done()
	f.row.done()
	f.verIndex, f.lastVer, f.srcIndex = nil, nil, nil
}

// permuted returns the facts reordered as Build reorders the edges: new edge i is old edge
// perm[i].
func (f *edgeFacts) permuted(perm []int32) edgeFacts {
	out := edgeFacts{versions: f.versions, sources: f.sources}
	if f.has() {
		out.ver, out.src, out.row = f.ver.permuted(perm), f.src.permuted(perm), f.row.permuted(perm)
	}
	return out
}

// link fills in the relationship's facts of a link that crosses edge e.
func (f *edgeFacts) link(e int32, lk *Link) {
	if !f.has() {
		return
	}
	r := f.row.at(int(e))
	lk.Inferred, lk.Validity = r.inferred, r.valid
	if v := f.ver.at(int(e)); v >= 0 {
		lk.Version = &f.versions[v]
	}
	if s := f.src.at(int(e)); s >= 0 {
		lk.Sources = f.sources[s]
	}
}

// ball returns the entities from which risk in dimension di reaches v within hops steps,
// v included, as a membership set over entity indexes, and their count.
func (g *Graph) ball(di int, v int32, hops int) (map[int32]bool, []int32) {
	in := map[int32]bool{v: true}
	list := []int32{v}
	rev := g.reverse()
	if rev == nil || !g.has[di] {
		return in, list
	}
	front := []int32{v}
	for range hops {
		var next []int32
		for _, x := range front {
			for p := rev.start[x]; p < rev.start[x+1]; p++ {
				if u := rev.node[p]; !in[u] && rev.factor(p, di) > 0 {
					in[u] = true
					next = append(next, u)
				}
			}
		}
		list = append(list, next...)
		front = next
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	return in, list
}
