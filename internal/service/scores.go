package service

import (
	"context"
	"fmt"

	"riskgraph/internal/kg"
)

// EntityScore is one entity's non-zero score in one dimension, with its strongest source.
type EntityScore struct {
	Entity     kg.Entity
	Dimension  kg.Dimension
	Score      float64
	Intrinsic  float64
	Propagated float64
	// TopSignalID and TopSourceEntityID name the strongest risk source.
	TopSignalID       string
	TopSourceEntityID string
}

// AllScores runs (or reuses) the whole-graph pass for a date and returns every non-zero
// score, by dimension in model order, highest first, ties by id.
func (s *Service) AllScores(ctx context.Context, at At) ([]EntityScore, error) {
	res, err := s.wholePass(ctx, at)
	if err != nil {
		return nil, err
	}
	var out []EntityScore
	for _, d := range s.model.Dimensions() {
		ranked, err := res.Ranking(d, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("rank %s: %w", d, err)
		}
		if len(ranked) == 0 {
			continue
		}
		ids := make([]string, len(ranked))
		for i, sc := range ranked {
			ids[i] = sc.EntityID
		}
		ents, err := s.store.Entities(ctx, ids, at)
		if err != nil {
			return nil, fmt.Errorf("load %d ranked entities: %w", len(ids), err)
		}
		for _, sc := range ranked {
			full, err := res.Score(sc.EntityID, d)
			if err != nil {
				return nil, fmt.Errorf("score %s: %w", sc.EntityID, err)
			}
			es := EntityScore{Entity: ents[sc.EntityID], Dimension: d, Score: sc.Score,
				Intrinsic: sc.Intrinsic, Propagated: sc.Propagated}
			if len(full.Sources) > 0 {
				es.TopSignalID, es.TopSourceEntityID = full.Sources[0].SignalID, full.Sources[0].EntityID
			}
			out = append(out, es)
		}
	}
	return out, nil
}
