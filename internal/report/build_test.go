package report

import (
	"context"
	"strings"
	"testing"

	"riskgraph/internal/kg"
)

// batchSource is a Source of two snapshots' scores, handed over in the batches given, and
// nothing else.
type batchSource struct {
	cur, prev SnapshotInfo
	batches   map[string][]scoreBatch // by snapshot id
}

type scoreBatch struct {
	d      kg.Dimension
	scores []Score
}

func (b *batchSource) RecordSnapshot(context.Context, kg.Date, int) (SnapshotInfo, *SnapshotInfo, error) {
	return b.cur, &b.prev, nil
}

func (b *batchSource) SnapshotScores(_ context.Context, id string, fn func(kg.Dimension, []Score) error) error {
	for _, x := range b.batches[id] {
		if err := fn(x.d, x.scores); err != nil {
			return err
		}
	}
	return nil
}

func (b *batchSource) SnapshotChanges(context.Context, string, string, float64, func(kg.Dimension, []Change) error) error {
	return nil
}

func (b *batchSource) DueObligations(context.Context, SnapshotInfo, int) ([]ObligationItem, error) {
	return nil, nil
}

func (b *batchSource) DataQuality(context.Context, SnapshotInfo, int) (Quality, error) {
	return Quality{}, nil
}

// TestBuildGivesEachScoreItsPrevious: every score of the report carries the entity's score
// in the previous snapshot in its dimension, 0 where it had none there (an entity, or a whole
// dimension, new), whatever the batches; previous scores of one dimension in two runs fail.
func TestBuildGivesEachScoreItsPrevious(t *testing.T) {
	const fi, reg, san = kg.DimForeignInfluence, kg.DimRegulatory, kg.DimSanctions
	sc := func(id string, s float64) Score { return Score{EntityID: id, Score: s} }
	src := &batchSource{cur: SnapshotInfo{ID: "now"}, prev: SnapshotInfo{ID: "before"}, batches: map[string][]scoreBatch{
		"now": {{fi, []Score{sc("vendor:a", 0.9), sc("vendor:b", 0.5)}}, {fi, []Score{sc("vendor:c", 0.2)}},
			{reg, []Score{sc("vendor:a", 0.4)}}, {san, []Score{sc("vendor:b", 0.3)}}},
		"before": {{fi, []Score{sc("vendor:c", 0.7)}}, {fi, []Score{sc("vendor:a", 0.8)}},
			{reg, []Score{sc("vendor:b", 0.1), sc("vendor:a", 0.6)}}}, // b has no REGULATORY score now
	}}
	r, err := Build(t.Context(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[kg.Dimension]map[string]float64{
		fi:  {"vendor:a": 0.8, "vendor:b": 0, "vendor:c": 0.7},
		reg: {"vendor:a": 0.6},
		san: {"vendor:b": 0},
	}
	for _, dr := range r.Dimensions {
		if len(dr.Scores) != len(want[dr.Dimension]) {
			t.Errorf("%s: %d scores, want %d", dr.Dimension, len(dr.Scores), len(want[dr.Dimension]))
		}
		for _, s := range dr.Scores {
			if s.Previous == nil || *s.Previous != want[dr.Dimension][s.EntityID] {
				t.Errorf("%s %s: previous %v, want %v", dr.Dimension, s.EntityID, s.Previous, want[dr.Dimension][s.EntityID])
			}
		}
	}
	src.batches["before"] = append(src.batches["before"], scoreBatch{fi, []Score{sc("vendor:b", 0.1)}})
	if _, err := Build(t.Context(), src, Options{}); err == nil || !strings.Contains(err.Error(), "two runs") {
		t.Errorf("previous scores of a dimension in two runs: %v, want an error that says so", err)
	}
}
