package resolvers

import (
	"context"
	"fmt"

	"riskgraph/graph/model"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// apply writes a batch and reports what changed.
func (r *Resolver) apply(ctx context.Context, b kg.Batch) (*kg.WriteResult, error) {
	return r.written(r.Service.Apply(ctx, b))
}

// written turns a write's result into the mutation's answer: null with the error.
func (r *Resolver) written(res kg.WriteResult, err error) (*kg.WriteResult, error) {
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// endpoint loads an entity that a fact read for moment m points at.
func (r *Resolver) endpoint(ctx context.Context, id string, m model.Moment) (*model.Entity, error) {
	e, ok, err := loadersFrom(ctx).entity(ctx, id, service.At(m))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("entity %s not visible on %s: %w", id, m.AsOf, service.ErrNotFound)
	}
	return &model.Entity{Entity: e, Moment: m}, nil
}

// rowMoment is the moment a history row answers for: its first day (or, when open, its last),
// as known when it was recorded.
func rowMoment(v kg.Validity, ver *kg.Version) model.Moment {
	m := model.Moment{AsOf: v.From}
	switch {
	case m.AsOf != 0:
	case v.To != 0:
		m.AsOf = v.To.AddDays(-1)
	default:
		m.AsOf = service.ResolveAsOf(0)
	}
	if ver != nil {
		m.KnownAt = ver.RecordedAt
	}
	return m
}

// historyOf translates a fact's rows into its GraphQL history.
func (r *Resolver) historyOf(ctx context.Context, id string, b kg.Batch) *model.History {
	h := &model.History{ID: id}
	for _, e := range b.Entities {
		h.Versions = append(h.Versions, model.HistoryEntry{Version: model.VersionOf(e.Version, e.Validity),
			Entity: &model.Entity{Entity: e, Moment: rowMoment(e.Validity, e.Version)}})
	}
	for _, rel := range b.Relationships {
		node := r.relationship(ctx, rel, rowMoment(rel.Validity, rel.Version))
		h.Versions = append(h.Versions, model.HistoryEntry{Version: model.VersionOf(rel.Version, rel.Validity), Relationship: &node})
	}
	for _, g := range b.Signals {
		h.Versions = append(h.Versions, model.HistoryEntry{Version: model.VersionOf(g.Version, g.Validity),
			Signal: &model.RiskSignal{RiskSignal: g, Moment: rowMoment(g.Validity, g.Version)}})
	}
	return h
}
