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
	DefaultHopCap = 4
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
	weight [][][2]float64
	rules  []Rule
}

// Rule is one entry of a model file: a relationship type, the way risk flows over it, and
// its weight per dimension, with the reason for the choice.
type Rule struct {
	Type    kg.RelType               `json:"type"`
	Flow    Flow                     `json:"flow"`
	Weights map[kg.Dimension]float64 `json:"weights"`
	Why     string                   `json:"why"`
}

type modelFile struct {
	Version string `json:"version"`
	HopCap  *int   `json:"hopCap"`
	TopK    *int   `json:"topK"`
	Rules   []Rule `json:"rules"`
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
