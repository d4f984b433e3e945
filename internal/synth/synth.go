// Package synth owns the deterministic generator of synthetic knowledge graphs used by tests
// and benchmarks: realistic proportions of kinds, only relationship types and endpoint kinds
// that kg allows, valid ids, and risk signals citing Source entities.
//
// Two forms: GenerateGraph returns a compact Graph (integer indexes, no per-row strings) that
// is lean enough for millions of relationships; Generate turns it into a kg.Batch.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"riskgraph/internal/kg"
)

// Config says how big a graph to make. The same Config always gives the same graph.
type Config struct {
	Entities      int     // number of entities (at least 10 for every kind to appear)
	Relationships int     // number of relationships wanted; fewer come out only when the graph is too small to hold them
	Seed          int64   // seed of the random generator
	SignalRate    float64 // probability that an entity carries one risk signal, in [0,1]
	// Dimensions are the dimensions signals are drawn from; nil means
	// FOREIGN_INFLUENCE, REGULATORY and SANCTIONS.
	Dimensions []kg.Dimension
}

// maxEntities keeps entity indexes within the 30 bits a packed relationship key gives them.
const maxEntities = 1 << 30

// Rel is one relationship of a compact Graph.
type Rel struct {
	From, To int32 // entity indexes
	Type     uint8 // index into kg.RelTypes
	Conf     uint8 // index into the confidence table (0 means 1.0)
}

// confidences are the confidences a relationship may have; index 0 is a stated link.
var confidences = [...]float64{1, 0.9, 0.8, 0.7, 0.6, 0.5}

// RelType is the relationship's type.
func (r Rel) RelType() kg.RelType { return kg.RelTypes[r.Type] }

// Confidence is the relationship's confidence in (0,1].
func (r Rel) Confidence() float64 { return confidences[r.Conf] }

// Signal is one risk signal of a compact Graph.
type Signal struct {
	ID        string
	Entity    int32
	Dimension kg.Dimension
	Severity  float64
	Source    int32 // index of the Source entity it cites
}

// KindRange is the contiguous run of entity indexes [Start, End) of one kind.
type KindRange struct {
	Kind       kg.Kind
	Start, End int32
}

// Graph is a generated graph in compact form. Entity ids are in ascending order, so an
// entity's index orders like its id.
type Graph struct {
	IDs     []string
	Ranges  []KindRange // in id order
	Rels    []Rel       // sorted by (From, To, Type), no duplicates
	Signals []Signal    // sorted by ID
}

// KindOf returns the kind of the entity at index i.
func (g *Graph) KindOf(i int32) kg.Kind {
	for _, r := range g.Ranges {
		if i >= r.Start && i < r.End {
			return r.Kind
		}
	}
	return ""
}

// Sources returns the index range of the Source entities.
func (g *Graph) Sources() KindRange { return g.rangeOf(kg.KindSource) }

func (g *Graph) rangeOf(k kg.Kind) KindRange {
	for _, r := range g.Ranges {
		if r.Kind == k {
			return r
		}
	}
	return KindRange{Kind: k}
}

// share is each kind's share of the entities; the remainder goes to Person.
var share = map[kg.Kind]float64{
	kg.KindSource:       0.001,
	kg.KindGovernment:   0.0002,
	kg.KindLaw:          0.002,
	kg.KindAgency:       0.002,
	kg.KindDirective:    0.001,
	kg.KindVendor:       0.15,
	kg.KindProduct:      0.35,
	kg.KindRetailer:     0.05,
	kg.KindOrganization: 0.25,
}

// relShare is each relationship type's share of the relationships.
var relShare = map[kg.RelType]float64{
	kg.RelEnacted:         0.02,
	kg.RelAppliesTo:       0.05,
	kg.RelHeadquarteredIn: 0.06,
	kg.RelMakes:           0.15,
	kg.RelOwnedBy:         0.04,
	kg.RelControlledBy:    0.02,
	kg.RelPartOf:          0.01,
	kg.RelIssued:          0.01,
	kg.RelTargets:         0.02,
	kg.RelBinds:           0.02,
	kg.RelSells:           0.20,
	kg.RelDelisted:        0.02,
	kg.RelUses:            0.20,
	kg.RelSuppliedBy:      0.10,
	kg.RelOfficerOf:       0.05,
	kg.RelStatedBy:        0.03,
}

// counts splits n entities among the kinds: at least one of each when n allows, a Source first.
func counts(n int) map[kg.Kind]int {
	c := map[kg.Kind]int{}
	left := n
	// Minimums, in order of importance.
	for _, k := range []kg.Kind{kg.KindSource, kg.KindVendor, kg.KindProduct, kg.KindGovernment,
		kg.KindLaw, kg.KindOrganization, kg.KindRetailer, kg.KindAgency, kg.KindDirective, kg.KindPerson} {
		if left > 0 {
			c[k] = 1
			left--
		}
	}
	for _, k := range kg.Kinds {
		if k == kg.KindPerson {
			continue
		}
		extra := int(math.Round(share[k]*float64(n))) - c[k]
		extra = max(0, min(extra, left))
		c[k] += extra
		left -= extra
	}
	c[kg.KindPerson] += left
	return c
}

// GenerateGraph makes the compact graph for cfg. It panics on a Config out of range
// (negative sizes, more than 2^30 entities, a rate outside [0,1], an unknown dimension).
func GenerateGraph(cfg Config) *Graph {
	if cfg.Entities < 0 || cfg.Entities >= maxEntities || cfg.Relationships < 0 ||
		!(cfg.SignalRate >= 0 && cfg.SignalRate <= 1) {
		panic(fmt.Sprintf("synth: config out of range: %+v", cfg))
	}
	dims := cfg.Dimensions
	if dims == nil {
		dims = []kg.Dimension{kg.DimForeignInfluence, kg.DimRegulatory, kg.DimSanctions}
	}
	for _, d := range dims {
		if !d.Valid() {
			panic(fmt.Sprintf("synth: unknown dimension %q", d))
		}
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_cafe_f00d))
	g := &Graph{IDs: make([]string, 0, cfg.Entities)}

	// Entities, kind by kind in the order of their id prefixes, so ids come out sorted.
	cs := counts(cfg.Entities)
	kinds := slices.Clone(kg.Kinds)
	slices.SortFunc(kinds, func(a, b kg.Kind) int { return strings.Compare(a.IDPrefix(), b.IDPrefix()) })
	width := len(strconv.Itoa(max(cfg.Entities, 1)))
	var buf []byte
	for _, k := range kinds {
		start := int32(len(g.IDs))
		prefix := k.IDPrefix()
		for i := range cs[k] {
			buf = append(buf[:0], prefix...)
			s := strconv.Itoa(i)
			for range width - len(s) {
				buf = append(buf, '0')
			}
			buf = append(buf, s...)
			g.IDs = append(g.IDs, string(buf))
		}
		g.Ranges = append(g.Ranges, KindRange{Kind: k, Start: start, End: int32(len(g.IDs))})
	}

	g.Rels = genRels(g, cfg.Relationships, rng)
	g.Signals = genSignals(g, cfg.SignalRate, dims, rng)
	return g
}

// relPlan is one relationship type with its endpoint pools, ready to sample.
type relPlan struct {
	t        uint8
	cum      float64 // cumulative share, for sampling
	from, to []KindRange
	fromN    int32
	toN      int32
}

func pools(g *Graph, ks []kg.Kind) ([]KindRange, int32) {
	var out []KindRange
	var n int32
	for _, k := range ks {
		r := g.rangeOf(k)
		if r.End > r.Start {
			out = append(out, r)
			n += r.End - r.Start
		}
	}
	return out, n
}

// pick returns the n-th index across the pools.
func pick(ps []KindRange, n int32) int32 {
	for _, p := range ps {
		if size := p.End - p.Start; n < size {
			return p.Start + n
		} else {
			n -= size
		}
	}
	panic("synth: pick out of range")
}

func genRels(g *Graph, want int, rng *rand.Rand) []Rel {
	var plans []relPlan
	var total float64
	for i, t := range kg.RelTypes {
		fk, tk := kg.Endpoints(t)
		p := relPlan{t: uint8(i)}
		p.from, p.fromN = pools(g, fk)
		p.to, p.toN = pools(g, tk)
		if p.fromN == 0 || p.toN == 0 || relShare[t] == 0 {
			continue
		}
		total += relShare[t]
		p.cum = total
		plans = append(plans, p)
	}
	if len(plans) == 0 || want == 0 {
		return nil
	}
	// Candidates are packed keys (from<<34 | to<<4 | type), sorted and deduplicated,
	// topped up until there are enough or no progress is made.
	keys := make([]uint64, 0, want)
	stall := 0
	for len(keys) < want && stall < 32 {
		before := len(keys)
		for range want - len(keys) {
			u := rng.Float64() * total
			j, _ := slices.BinarySearchFunc(plans, u, func(p relPlan, u float64) int {
				if p.cum <= u {
					return -1
				}
				return 1
			})
			j = min(j, len(plans)-1)
			p := &plans[j]
			from := pick(p.from, rng.Int32N(p.fromN))
			// Skewed choice of the target: a few popular products, vendors, governments.
			x := rng.Float64()
			to := pick(p.to, min(p.toN-1, int32(x*x*float64(p.toN))))
			if from == to {
				continue
			}
			keys = append(keys, uint64(from)<<34|uint64(to)<<4|uint64(p.t))
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		if len(keys) == before {
			stall++
		}
	}
	rels := make([]Rel, len(keys))
	for i, k := range keys {
		r := Rel{From: int32(k >> 34), To: int32(k >> 4 & (1<<30 - 1)), Type: uint8(k & 15)}
		if rng.IntN(100) < 15 { // an inferred link, with lower confidence
			r.Conf = uint8(1 + rng.IntN(len(confidences)-1))
		}
		rels[i] = r
	}
	return rels
}

func genSignals(g *Graph, rate float64, dims []kg.Dimension, rng *rand.Rand) []Signal {
	if rate == 0 || len(dims) == 0 {
		return nil
	}
	src := g.Sources()
	prefer := map[kg.Kind]kg.Dimension{
		kg.KindGovernment: kg.DimForeignInfluence,
		kg.KindLaw:        kg.DimRegulatory,
		kg.KindDirective:  kg.DimRegulatory,
	}
	var out []Signal
	for _, r := range g.Ranges {
		if r.Kind == kg.KindSource {
			continue
		}
		d0, ok := prefer[r.Kind]
		ok = ok && slices.Contains(dims, d0)
		for i := r.Start; i < r.End; i++ {
			if rng.Float64() >= rate {
				continue
			}
			d := dims[rng.IntN(len(dims))]
			if ok && rng.IntN(4) != 0 {
				d = d0
			}
			out = append(out, Signal{
				ID:        "signal:" + strings.ReplaceAll(g.IDs[i], ":", "-"),
				Entity:    i,
				Dimension: d,
				Severity:  float64(20+rng.IntN(81)) / 100,
				Source:    src.Start + rng.Int32N(src.End-src.Start),
			})
		}
	}
	slices.SortFunc(out, func(a, b Signal) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Generate makes the graph for cfg as a kg.Batch that passes Validate. Some facts get
// validity intervals (derived from their position, so output stays deterministic) and
// citations; citation slices of the same source are shared between rows.
func Generate(cfg Config) kg.Batch {
	return GenerateGraph(cfg).Batch()
}

// Batch turns the compact graph into a kg.Batch.
func (g *Graph) Batch() kg.Batch {
	var b kg.Batch
	b.Entities = make([]kg.Entity, len(g.IDs))
	for _, r := range g.Ranges {
		for i := r.Start; i < r.End; i++ {
			b.Entities[i] = kg.Entity{
				ID:   g.IDs[i],
				Kind: r.Kind,
				Name: string(r.Kind) + " " + strings.TrimLeft(g.IDs[i][len(r.Kind.IDPrefix()):], "0"),
			}
		}
	}
	src := g.Sources()
	cites := make([][]kg.Citation, src.End-src.Start)
	for i := range cites {
		cites[i] = []kg.Citation{{SourceID: g.IDs[src.Start+int32(i)], Excerpt: "synthetic statement"}}
	}
	b.Relationships = make([]kg.Relationship, len(g.Rels))
	for i, r := range g.Rels {
		rel := kg.Relationship{
			Type:       r.RelType(),
			From:       g.IDs[r.From],
			To:         g.IDs[r.To],
			Confidence: r.Confidence(),
			Inferred:   r.Conf != 0,
			Validity:   validityAt(i),
		}
		if len(cites) > 0 && i%3 == 0 {
			rel.Sources = cites[i%len(cites)]
		}
		b.Relationships[i] = rel
	}
	b.Signals = make([]kg.RiskSignal, len(g.Signals))
	for i, s := range g.Signals {
		b.Signals[i] = kg.RiskSignal{
			ID:        s.ID,
			EntityID:  g.IDs[s.Entity],
			Dimension: s.Dimension,
			Severity:  s.Severity,
			Reason:    "synthetic signal",
			Sources:   cites[s.Source-src.Start],
			Validity:  validityAt(i * 7),
		}
	}
	return b
}

// validityAt gives about one fact in 20 a start date and one in 60 also an end date.
func validityAt(i int) kg.Validity {
	if i%20 != 0 {
		return kg.Validity{}
	}
	y, m, d := 2010+i/20%15, time.Month(1+i/7%12), 1+i%28
	v := kg.Validity{From: kg.NewDate(y, m, d)}
	if i%60 == 0 {
		v.To = kg.NewDate(y+3, m, d)
	}
	return v
}
