package storetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
	"riskgraph/internal/synth"
)

// Applier is what WriteDatedGraph writes through: a backend, or a store.Checked over one.
type Applier interface {
	Apply(ctx context.Context, b kg.Batch, by string) (store.WriteResult, error)
}

// WriteDatedGraph writes a synthetic graph of 1,500 entities and 7,000 relationships whose
// facts hold at different times: a third of the relationships and half the signals have
// validity windows, and a second write ends some relationships and signals. It returns a
// recorded time between the two writes, for reads as known before the second.
func WriteDatedGraph(t *testing.T, s Applier, seed uint64) kg.Stamp {
	t.Helper()
	b := synth.Generate(synth.Config{Entities: 1500, Relationships: 7000, Seed: int64(seed), SignalRate: 0.03})
	rng := rand.New(rand.NewPCG(seed, 1))
	window := func() kg.Validity {
		from := kg.Date(20100101 + 10000*rng.IntN(8))
		return kg.Validity{From: from, To: from + 10000*kg.Date(1+rng.IntN(4))}
	}
	for i := range b.Relationships {
		if rng.IntN(3) == 0 {
			b.Relationships[i].Validity = window()
		}
	}
	for i := range b.Signals {
		if rng.IntN(2) == 0 {
			b.Signals[i].Validity = window()
		}
	}
	ctx := t.Context()
	if _, err := s.Apply(ctx, b, "test"); err != nil {
		t.Fatal(err)
	}
	between := kg.StampOf(time.Now())
	time.Sleep(time.Millisecond)
	var ends kg.Batch
	for i, r := range b.Relationships {
		if i%7 == 0 && r.Validity == (kg.Validity{}) {
			ends.Retractions = append(ends.Retractions, kg.Retraction{ID: r.ID(), On: 20160101})
		}
	}
	for i, g := range b.Signals {
		if i%3 == 0 && g.Validity == (kg.Validity{}) {
			ends.Retractions = append(ends.Retractions, kg.Retraction{ID: g.ID, On: 20140101})
		}
	}
	if _, err := s.Apply(ctx, ends, "test"); err != nil {
		t.Fatal(err)
	}
	return between
}

// Neighbourhooder is what BoundedWalksKeepExposure reads through.
type Neighbourhooder interface {
	Neighbourhood(ctx context.Context, q store.NeighbourhoodQuery) (kg.Snapshot, error)
}

// UpstreamSteps are the store steps of m's exposure walks looking for signals of dims.
func UpstreamSteps(m *risk.Model, dims []kg.Dimension) []store.Step {
	var steps []store.Step
	for _, st := range m.UpstreamSteps(dims...) {
		steps = append(steps, store.Step{Type: st.Type, Direction: st.Dir})
	}
	return steps
}

// BoundedWalksKeepExposure reads each root's exposure walk for signals of dims at each
// moment twice, as SignalWalks (which a backend may bound) and whole, cut afterwards with
// store.CutToSignalWalks, and fails t unless both give the same exposure (or error). It also
// fails t when the bounded walks kept more entities in all than the cut whole walks.
func BoundedWalksKeepExposure(t *testing.T, s Neighbourhooder, m *risk.Model, roots []string, dims []kg.Dimension, ats []store.At) {
	t.Helper()
	ctx := t.Context()
	steps := UpstreamSteps(m, dims)
	cuts, fulls := 0, 0
	for _, root := range roots {
		for _, at := range ats {
			q := store.NeighbourhoodQuery{Roots: []string{root}, Steps: steps, MaxHops: m.HopCap(), AsOf: at.AsOf, KnownAt: at.KnownAt,
				Lean: true, SignalWalks: true, SignalDimensions: dims}
			cut, err := s.Neighbourhood(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			q.SignalWalks = false
			full, err := s.Neighbourhood(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			q.SignalWalks = true
			full = store.CutToSignalWalks(full, q)
			cuts, fulls = cuts+len(cut.Entities), fulls+len(full.Entities)
			want, werr := risk.Exposure(ctx, m, full, root, 0, dims...)
			got, gerr := risk.Exposure(ctx, m, cut, root, 0, dims...)
			if !errors.Is(gerr, werr) && (gerr == nil || werr == nil || gerr.Error() != werr.Error()) {
				t.Fatalf("%s at %+v in %v: error %v, want %v", root, at, dims, gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s at %+v in %v: exposure from the bounded walk\n%+v\nwant\n%+v", root, at, dims, got, want)
			}
		}
	}
	if cuts > fulls {
		t.Errorf("%v: the bounded walks kept %d entities, the cut whole walks %d", dims, cuts, fulls)
	}
}
