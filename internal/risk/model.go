// Package risk owns risk propagation: the versioned risk model (how strongly each relationship
// type carries each risk dimension, and in which direction), the whole-graph pass over a
// compiled snapshot, one entity's exposure from its upstream neighbourhood, and explanations
// that recompose every score from its signals and the chains that carry them.
//
// The engine is pure: snapshots in, numbers out. It reads no store, clock or environment.
// The formula and its properties are described in docs/risk-model.md.
package risk

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"riskgraph/internal/kg"
)

// Limits of a model's parameters.
const (
	DefaultHopCap = 6
	MaxHopCap     = 6 // the API's largest hop count
	DefaultTopK   = 8
	MaxTopK       = 64
)

// Flow says which way risk travels over a relationship.
type Flow string

// Flows.
const (
	Along   Flow = "ALONG"   // from the relationship's From to its To
	Against Flow = "AGAINST" // from its To to its From
)

// Step is one (relationship type, direction) that leads from an entity to where its risk
// can come from. Walking only these steps for HopCap hops reads every chain into the entity.
type Step struct {
	Type kg.RelType
	Dir  kg.Direction // kg.Out or kg.In
}

//go:embed model.json
var defaultModelJSON []byte

// DefaultModelJSON returns the embedded default model file.
func DefaultModelJSON() []byte { return slices.Clone(defaultModelJSON) }

// Model is a parsed, validated risk model. It is immutable and safe for concurrent use.
type Model struct {
	version string
	hopCap  int
	topK    int
	// weight[type][dimension][flow]: 0 means the type does not carry the dimension that way.
	weight    [][][2]float64
	rules     []Rule
	ownership []Ownership // per dimension
	coverage  Coverage
}

// Ownership says how an OWNED_BY relationship with a known share transmits one dimension:
// in proportion to the share, or in full from a threshold on (and in proportion below it).
// An OWNED_BY relationship without a share transmits in full. Either way the factor rises with
// the share, so raising a share never lowers a score.
type Ownership struct {
	Mode      string  `json:"mode"`                // "proportional" or "threshold"
	Threshold float64 `json:"threshold,omitempty"` // percent, for "threshold"
	Why       string  `json:"why,omitempty"`
}

// Ownership modes.
const (
	Proportional = "proportional"
	Threshold    = "threshold"
)

// factor is what fraction of the weight an ownership share (percent; 0 = not known) passes on.
func (o Ownership) factor(share float64) float64 {
	switch {
	case share == 0:
		return 1
	case o.Mode == Threshold && share >= o.Threshold:
		return 1
	}
	return share / 100
}

// carries reports whether relationships of type t carry any dimension either way.
func (m *Model) carries(t kg.RelType) bool {
	ti := slices.Index(kg.RelTypes, t)
	if ti < 0 {
		return false
	}
	for _, w := range m.weight[ti] {
		if w[0] != 0 || w[1] != 0 {
			return true
		}
	}
	return false
}

// OwnershipFactor is what fraction of its weight an OWNED_BY relationship with this share
// (percent; 0 = not known) passes on in dimension d.
func (m *Model) OwnershipFactor(d kg.Dimension, share float64) float64 {
	di, err := dimIndex(d)
	if err != nil {
		return 0
	}
	return m.ownership[di].factor(share)
}

// Coverage says which entities a directive or law with obligations covers besides those it
// TARGETS (see the service's Coverage): those that control a target (its owners and
// controllers), that a target controls, that share control with one (controlled by the same
// owner), transitively within the hop cap, and the products any of them make. FiftyPercent,
// when set, also covers an entity owned in aggregate, directly or through covered entities, at
// least Threshold percent by covered entities (OFAC's 50 Percent Rule) for one dimension.
type Coverage struct {
	Controls      bool `json:"controls"`
	ControlledBy  bool `json:"controlledBy"`
	SharedControl bool `json:"sharedControl"`
	Products      bool `json:"products"`
	// ControlShare: an OWNED_BY relationship with a known share is control only from this
	// percentage on (a minority stake is not); one without a share is control.
	ControlShare float64           `json:"controlShare"`
	FiftyPercent *FiftyPercentRule `json:"fiftyPercent,omitempty"`
	Why          string            `json:"why,omitempty"`
}

// FiftyPercentRule is the aggregate-ownership rule of Coverage.
type FiftyPercentRule struct {
	Dimension kg.Dimension `json:"dimension"`
	Threshold float64      `json:"threshold"`
}

// Coverage is the model's coverage rules.
func (m *Model) Coverage() Coverage { return m.coverage }

// Rule is one entry of a model file: a relationship type, the way risk flows over it, and
// its weight per dimension, with the reason for the choice.
type Rule struct {
	Type    kg.RelType               `json:"type"`
	Flow    Flow                     `json:"flow"`
	Weights map[kg.Dimension]float64 `json:"weights"`
	Why     string                   `json:"why"`
}

type modelFile struct {
	Version   string                     `json:"version"`
	HopCap    *int                       `json:"hopCap"`
	TopK      *int                       `json:"topK"`
	Ownership map[kg.Dimension]Ownership `json:"ownership"`
	Coverage  *Coverage                  `json:"coverage"`
	Rules     []Rule                     `json:"rules"`
}

// DefaultModel returns the embedded default model.
func DefaultModel() *Model {
	m, err := ParseModel(defaultModelJSON)
	if err != nil {
		panic(fmt.Sprintf("risk: embedded model.json is invalid: %v", err)) // caught by tests
	}
	return m
}

// LoadModel reads and validates a model file.
func LoadModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load risk model: %w", err)
	}
	m, err := ParseModel(b)
	if err != nil {
		return nil, fmt.Errorf("load risk model %s: %w", path, err)
	}
	return m, nil
}

// ParseModel reads and validates a model from JSON. Omitted hopCap and topK take their
// defaults; unknown fields, types, dimensions and flows are rejected, as are weights outside
// [0,1] and a (type, flow, dimension) given twice. Errors wrap kg.ErrInvalid.
func ParseModel(b []byte) (*Model, error) {
	var f modelFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, kg.Invalid("model", "not a risk model: %v", err)
	}
	if dec.More() {
		return nil, kg.Invalid("model", "unexpected data after the model object")
	}
	m := &Model{version: f.Version, hopCap: DefaultHopCap, topK: DefaultTopK}
	if f.Version == "" {
		return nil, kg.Invalid("version", "a model needs a version string")
	}
	if f.HopCap != nil {
		if *f.HopCap < 1 || *f.HopCap > MaxHopCap {
			return nil, kg.Invalid("hopCap", "hop cap %d must be between 1 and %d", *f.HopCap, MaxHopCap)
		}
		m.hopCap = *f.HopCap
	}
	if f.TopK != nil {
		if *f.TopK < 1 || *f.TopK > MaxTopK {
			return nil, kg.Invalid("topK", "topK %d must be between 1 and %d", *f.TopK, MaxTopK)
		}
		m.topK = *f.TopK
	}
	m.ownership = make([]Ownership, len(kg.Dimensions))
	for i := range m.ownership {
		m.ownership[i] = Ownership{Mode: Proportional}
	}
	for d, o := range f.Ownership {
		di := slices.Index(kg.Dimensions, d)
		if di < 0 {
			return nil, kg.Invalid("ownership", "unknown dimension %q", d)
		}
		switch {
		case o.Mode == Proportional:
		case o.Mode == Threshold && o.Threshold > 0 && o.Threshold <= 100:
		default:
			return nil, kg.Invalid("ownership."+string(d), "mode %q with threshold %v: want proportional, or threshold with a threshold in (0,100]", o.Mode, o.Threshold)
		}
		m.ownership[di] = o
	}
	if f.Coverage != nil {
		m.coverage = *f.Coverage
		if r := m.coverage.FiftyPercent; r != nil && (!r.Dimension.Valid() || r.Threshold <= 0 || r.Threshold > 100) {
			return nil, kg.Invalid("coverage.fiftyPercent", "dimension %q, threshold %v: want a dimension and a threshold in (0,100]", r.Dimension, r.Threshold)
		}
		if c := m.coverage.ControlShare; math.IsNaN(c) || c <= 0 || c > 100 {
			return nil, kg.Invalid("coverage.controlShare", "controlShare %v must be a percentage in (0,100]", c)
		}
	}
	m.weight = make([][][2]float64, len(kg.RelTypes))
	for i := range m.weight {
		m.weight[i] = make([][2]float64, len(kg.Dimensions))
	}
	seen := map[[3]string]bool{}
	for i, r := range f.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		ti := slices.Index(kg.RelTypes, r.Type)
		if ti < 0 {
			return nil, kg.Invalid(field+".type", "unknown relationship type %q", r.Type)
		}
		fi, err := flowIndex(r.Flow)
		if err != nil {
			return nil, kg.Invalid(field+".flow", "%v", err)
		}
		for d, w := range r.Weights {
			di := slices.Index(kg.Dimensions, d)
			if di < 0 {
				return nil, kg.Invalid(field+".weights", "unknown dimension %q", d)
			}
			if math.IsNaN(w) || w < 0 || w > 1 {
				return nil, kg.Invalid(field+".weights."+string(d), "weight %v must be in [0,1]", w)
			}
			key := [3]string{string(r.Type), string(r.Flow), string(d)}
			if seen[key] {
				return nil, kg.Invalid(field+".weights."+string(d), "%s %s already has a %s weight", r.Type, r.Flow, d)
			}
			seen[key] = true
			m.weight[ti][di][fi] = w
		}
		m.rules = append(m.rules, r)
	}
	return m, nil
}

func flowIndex(f Flow) (int, error) {
	switch f {
	case Along:
		return 0, nil
	case Against:
		return 1, nil
	}
	return 0, fmt.Errorf("unknown flow %q (want %s or %s)", f, Along, Against)
}

// Version is the model's version string, recorded with every score.
func (m *Model) Version() string { return m.version }

// HopCap is the longest chain, in relationships, that risk travels.
func (m *Model) HopCap() int { return m.hopCap }

// TopK is how many of the strongest risk sources make up a score.
func (m *Model) TopK() int { return m.topK }

// Dimensions lists the dimensions the model scores: all of kg.Dimensions.
func (m *Model) Dimensions() []kg.Dimension { return slices.Clone(kg.Dimensions) }

// Rules returns the model's rules as written in its file.
func (m *Model) Rules() []Rule { return slices.Clone(m.rules) }

// Weight is how strongly a relationship of type t carries dimension d in flow f (0 if not at all).
func (m *Model) Weight(t kg.RelType, d kg.Dimension, f Flow) float64 {
	ti, di := slices.Index(kg.RelTypes, t), slices.Index(kg.Dimensions, d)
	fi, err := flowIndex(f)
	if ti < 0 || di < 0 || err != nil {
		return 0
	}
	return m.weight[ti][di][fi]
}

// UpstreamSteps lists the steps that lead from an entity towards the sources of its risk in
// the given dimensions (none = all), in a fixed order. A relationship carrying risk Along is
// walked In (from its To back to its From); one carrying risk Against is walked Out.
func (m *Model) UpstreamSteps(dims ...kg.Dimension) []Step {
	if len(dims) == 0 {
		dims = kg.Dimensions
	}
	var out []Step
	for ti, t := range kg.RelTypes {
		for fi, dir := range [2]kg.Direction{kg.In, kg.Out} {
			for _, d := range dims {
				di := slices.Index(kg.Dimensions, d)
				if di >= 0 && m.weight[ti][di][fi] > 0 {
					out = append(out, Step{Type: t, Dir: dir})
					break
				}
			}
		}
	}
	return out
}

// errNotScored reports an entity or dimension a result cannot answer for.
var errNotScored = errors.New("not scored")

func dimIndex(d kg.Dimension) (int, error) {
	di := slices.Index(kg.Dimensions, d)
	if di < 0 {
		return 0, kg.Invalid("dimension", "unknown dimension %q", d)
	}
	return di, nil
}
