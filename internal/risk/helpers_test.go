package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// testDims are the dimensions random graphs use: two keep runs quick and still exercise the
// per-dimension machinery.
var testDims = []kg.Dimension{kg.DimForeignInfluence, kg.DimRegulatory}

// modelSpec is a weight table that tests can change and turn into a Model.
type modelSpec struct {
	HopCap, TopK int
	W            map[kg.RelType]map[Flow]map[kg.Dimension]float64
	Ownership    map[kg.Dimension]Ownership
}

func (s modelSpec) model(t tb) *Model {
	t.Helper()
	f := map[string]any{"version": "test/1", "hopCap": s.HopCap, "topK": s.TopK, "ownership": s.Ownership}
	var rules []Rule
	for _, rt := range kg.RelTypes {
		for _, fl := range []Flow{Along, Against} {
			if w := s.W[rt][fl]; len(w) > 0 {
				rules = append(rules, Rule{Type: rt, Flow: fl, Weights: w})
			}
		}
	}
	f["rules"] = rules
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModel(b)
	if err != nil {
		t.Fatalf("test model: %v", err)
	}
	return m
}

func (s modelSpec) clone() modelSpec {
	c := s
	c.Ownership = maps.Clone(s.Ownership)
	c.W = map[kg.RelType]map[Flow]map[kg.Dimension]float64{}
	for t, fs := range s.W {
		c.W[t] = map[Flow]map[kg.Dimension]float64{}
		for f, ws := range fs {
			c.W[t][f] = map[kg.Dimension]float64{}
			for d, w := range ws {
				c.W[t][f][d] = w
			}
		}
	}
	return c
}

// unit draws a number in [0,1], often a round one (ties and full weights matter).
func unit(t *rapid.T, label string) float64 {
	return rapid.OneOf(rapid.SampledFrom([]float64{0, 0.25, 0.5, 1}), rapid.Float64Range(0, 1)).Draw(t, label)
}

func drawModel(t *rapid.T) modelSpec {
	s := modelSpec{
		HopCap:    rapid.IntRange(1, MaxHopCap).Draw(t, "hopCap"),
		TopK:      rapid.IntRange(1, 4).Draw(t, "topK"),
		W:         map[kg.RelType]map[Flow]map[kg.Dimension]float64{},
		Ownership: map[kg.Dimension]Ownership{},
	}
	for _, d := range testDims {
		if rapid.Bool().Draw(t, "threshold") {
			s.Ownership[d] = Ownership{Mode: Threshold, Threshold: rapid.SampledFrom([]float64{25, 50, 100}).Draw(t, "at")}
		} else {
			s.Ownership[d] = Ownership{Mode: Proportional}
		}
	}
	for _, rt := range kg.RelTypes {
		fl := rapid.SampledFrom([]Flow{Along, Against}).Draw(t, "flow")
		s.W[rt] = map[Flow]map[kg.Dimension]float64{fl: {}}
		for _, d := range testDims {
			s.W[rt][fl][d] = unit(t, "weight")
		}
	}
	return s
}

// kindsForTests excludes Source, which takes part in no weighted relationship but STATED_BY.
var kindsForTests = []kg.Kind{kg.KindGovernment, kg.KindLaw, kg.KindVendor, kg.KindProduct,
	kg.KindRetailer, kg.KindOrganization, kg.KindAgency, kg.KindDirective, kg.KindPerson}

// drawSnapshot draws a small random graph with signals.
func drawSnapshot(t *rapid.T) kg.Snapshot {
	n := rapid.IntRange(2, 9).Draw(t, "entities")
	var s kg.Snapshot
	for i := range n {
		k := rapid.SampledFrom(kindsForTests).Draw(t, "kind")
		s.Entities = append(s.Entities, kg.Entity{ID: fmt.Sprintf("%se%d", k.IDPrefix(), i), Kind: k, Name: "x"})
	}
	seen := map[string]bool{}
	for range rapid.IntRange(0, 4*n).Draw(t, "edges") {
		from := s.Entities[rapid.IntRange(0, n-1).Draw(t, "from")]
		to := s.Entities[rapid.IntRange(0, n-1).Draw(t, "to")]
		var ok []kg.RelType
		for _, rt := range kg.RelTypes {
			if from.ID != to.ID && kg.Allowed(rt, from.Kind, to.Kind) {
				ok = append(ok, rt)
			}
		}
		if len(ok) == 0 {
			continue
		}
		r := kg.Relationship{Type: rapid.SampledFrom(ok).Draw(t, "type"), From: from.ID, To: to.ID,
			Confidence: rapid.SampledFrom([]float64{0, 1, 0.5, 0.8, 0.3}).Draw(t, "conf")}
		if r.Type == kg.RelOwnedBy {
			r.Share = rapid.SampledFrom([]float64{0, 10, 49.9, 50, 75, 100}).Draw(t, "share")
		}
		if !seen[r.ID()] {
			seen[r.ID()] = true
			s.Relationships = append(s.Relationships, r)
		}
	}
	for i := range rapid.IntRange(0, n).Draw(t, "signals") {
		e := s.Entities[rapid.IntRange(0, n-1).Draw(t, "on")]
		s.Signals = append(s.Signals, kg.RiskSignal{ID: fmt.Sprintf("signal:s%d", i), EntityID: e.ID,
			Dimension: rapid.SampledFrom(testDims).Draw(t, "dim"), Severity: unit(t, "severity")})
	}
	return s
}

func run(t tb, m *Model, s kg.Snapshot) *Result {
	t.Helper()
	g, err := Compile(m, s)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	r, err := g.Run(context.Background(), Options{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return r
}

func mustScore(t tb, r *Result, id string, d kg.Dimension) Score {
	t.Helper()
	s, err := r.Score(id, d)
	if err != nil {
		t.Fatalf("score %s %s: %v", id, d, err)
	}
	return s
}

// bruteForce scores every entity by enumerating simple paths of at most hopCap edges from
// every signal: the definition the engine must meet, with no relaxation, no truncation
// along the way and no cycles.
func bruteForce(m *Model, s kg.Snapshot, d kg.Dimension) map[string]float64 {
	type arc struct {
		to string
		f  float64
	}
	out := map[string][]arc{}
	for _, r := range s.Relationships {
		f := r.EffectiveConfidence()
		if r.Type == kg.RelOwnedBy {
			f *= m.OwnershipFactor(d, r.Share)
		}
		if w := m.Weight(r.Type, d, Along); w > 0 {
			out[r.From] = append(out[r.From], arc{r.To, w * f})
		}
		if w := m.Weight(r.Type, d, Against); w > 0 {
			out[r.To] = append(out[r.To], arc{r.From, w * f})
		}
	}
	best := map[string]map[string]float64{} // entity → signal → strength
	var walk func(at string, str float64, sig string, depth int, onPath map[string]bool)
	walk = func(at string, str float64, sig string, depth int, onPath map[string]bool) {
		if best[at] == nil {
			best[at] = map[string]float64{}
		}
		if str > best[at][sig] {
			best[at][sig] = str
		}
		if depth == m.HopCap() {
			return
		}
		for _, a := range out[at] {
			if !onPath[a.to] {
				onPath[a.to] = true
				walk(a.to, str*a.f, sig, depth+1, onPath)
				delete(onPath, a.to)
			}
		}
	}
	for _, g := range s.Signals {
		if g.Dimension == d && g.Severity > 0 {
			walk(g.EntityID, g.Severity, g.ID, 0, map[string]bool{g.EntityID: true})
		}
	}
	scores := map[string]float64{}
	for e, bySig := range best {
		type kv struct {
			id string
			s  float64
		}
		var l []kv
		for id, v := range bySig {
			if v > 0 {
				l = append(l, kv{id, v})
			}
		}
		slices.SortFunc(l, func(a, b kv) int {
			if a.s != b.s {
				if a.s > b.s {
					return -1
				}
				return 1
			}
			if a.id < b.id {
				return -1
			}
			return 1
		})
		p := 1.0
		for i, x := range l {
			if i == m.TopK() {
				break
			}
			p *= 1 - x.s
		}
		scores[e] = 1 - p
	}
	return scores
}

// shuffled returns s with every list in a random order.
func shuffled(s kg.Snapshot, seed uint64) kg.Snapshot {
	r := rand.New(rand.NewPCG(seed, 1))
	c := kg.Snapshot{AsOf: s.AsOf, Entities: slices.Clone(s.Entities),
		Relationships: slices.Clone(s.Relationships), Signals: slices.Clone(s.Signals)}
	r.Shuffle(len(c.Entities), func(i, j int) { c.Entities[i], c.Entities[j] = c.Entities[j], c.Entities[i] })
	r.Shuffle(len(c.Relationships), func(i, j int) {
		c.Relationships[i], c.Relationships[j] = c.Relationships[j], c.Relationships[i]
	})
	r.Shuffle(len(c.Signals), func(i, j int) { c.Signals[i], c.Signals[j] = c.Signals[j], c.Signals[i] })
	return c
}

// neighbourhood reads what a store's Neighbourhood would return for root: the entities
// within hops of it along the model's upstream steps, the relationships walked, their signals.
func neighbourhood(m *Model, s kg.Snapshot, root string, hops int) kg.Snapshot {
	steps := m.UpstreamSteps()
	walks := func(r kg.Relationship, d kg.Direction) bool { return slices.Contains(steps, Step{r.Type, d}) }
	dist := map[string]int{root: 0}
	front := []string{root}
	var rels []kg.Relationship
	taken := map[string]bool{}
	for h := 1; h <= hops; h++ {
		var next []string
		for _, x := range front {
			for _, r := range s.Relationships {
				var y string
				switch {
				case r.To == x && walks(r, kg.In):
					y = r.From
				case r.From == x && walks(r, kg.Out):
					y = r.To
				default:
					continue
				}
				if !taken[r.ID()] {
					taken[r.ID()] = true
					rels = append(rels, r)
				}
				if _, ok := dist[y]; !ok {
					dist[y] = h
					next = append(next, y)
				}
			}
		}
		front = next
	}
	out := kg.Snapshot{AsOf: s.AsOf, Relationships: rels}
	for _, e := range s.Entities {
		if _, ok := dist[e.ID]; ok {
			out.Entities = append(out.Entities, e)
		}
	}
	for _, g := range s.Signals {
		if _, ok := dist[g.EntityID]; ok {
			out.Signals = append(out.Signals, g)
		}
	}
	return out
}

// signalWalks is root's neighbourhood (see neighbourhood) cut by store.CutToSignalWalks as
// the service asks for it: walked for dims, to what lies on walks from their signals to root.
// It also says how many entities the cut left out.
func signalWalks(m *Model, s kg.Snapshot, root string, hops int, dims []kg.Dimension) (kg.Snapshot, int) {
	nb := neighbourhood(m, s, root, hops)
	var steps []store.Step
	for _, st := range m.UpstreamSteps(dims...) {
		steps = append(steps, store.Step{Type: st.Type, Direction: st.Dir})
	}
	cut := store.CutToSignalWalks(nb, store.NeighbourhoodQuery{Roots: []string{root}, Steps: steps, MaxHops: hops,
		SignalWalks: true, SignalDimensions: dims})
	return cut, len(nb.Entities) - len(cut.Entities)
}

// tb is what both *testing.T and *rapid.T offer.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

var _ tb = (*testing.T)(nil)

// engineModel is a frozen copy of the weights the hand-computed tests were written against,
// so that retuning the default model for the domain does not change what the engine tests check.
func engineModel(t tb) *Model {
	m, err := LoadModel("testdata/engine-model.json")
	if err != nil {
		panic(err)
	}
	return m
}
