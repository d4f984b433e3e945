package storetest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"riskgraph/internal/kg"
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
