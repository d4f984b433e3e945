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
	res, err := r.Service.Apply(ctx, b)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// endpoint loads an entity that a fact read for asOf points at.
func (r *Resolver) endpoint(ctx context.Context, id string, asOf kg.Date) (*model.Entity, error) {
	e, ok, err := loadersFrom(ctx).entity(ctx, id, asOf)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("entity %s not visible on %s: %w", id, asOf, service.ErrNotFound)
	}
	return &model.Entity{Entity: e, AsOf: asOf}, nil
}
