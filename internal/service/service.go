// Package service owns riskgraph's use cases and is the only way into the data: resolvers,
// loaders, the report and the command line hold a *Service and nothing from below. It
// combines the store (through store.Checked, so every query is validated once) and the risk
// engine: reads and writes of facts (writes invalidate cached passes), lists, search and
// paths, one entity's exposure from its bounded upstream neighbourhood, rankings over a
// whole-graph pass, and compliance with directives.
package service

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
)

// Aliases of the store's query and result types, so that callers of the service need not
// import the store package.
type (
	Page          = store.Page
	ListQuery     = store.ListQuery
	Filter        = store.Filter
	RelatedFilter = store.RelatedFilter
	SearchQuery   = store.SearchQuery
	RelQuery      = store.RelQuery
	PathQuery     = store.PathQuery
	EntityPage    = store.EntityPage
	SearchPage    = store.SearchPage
	RelPage       = store.RelPage
	Path          = store.Path
	LoadOptions   = store.LoadOptions
)

// The store's sentinel errors, for callers that do not import it.
var (
	ErrNotFound    = store.ErrNotFound
	ErrUnavailable = store.ErrUnavailable
)

// Limits of the store's reads, for callers that weigh queries before they run.
const (
	MaxIDs           = store.MaxIDs
	DefaultFirst     = store.DefaultFirst
	DefaultPathFirst = store.DefaultPathFirst
	// DefaultLoadBatch and DefaultLoadWorkers are the defaults of LoadOptions.
	DefaultLoadBatch   = store.DefaultLoadBatch
	DefaultLoadWorkers = store.DefaultLoadWorkers
)

// ResolveAsOf turns the zero date into today, as every read does.
func ResolveAsOf(d kg.Date) kg.Date { return store.ResolveAsOf(d) }

// Cursor is the opaque cursor of an item in a list ordered by id.
func Cursor(id string) string { return store.EncodeCursor(id) }

// Service runs the use cases over one store and one risk model. Safe for concurrent use.
type Service struct {
	store *store.Checked
	model *risk.Model

	gen    atomic.Uint64 // bumped by every write that changed something
	mu     sync.Mutex
	passes map[kg.Date]*pass // whole-graph results by date, for the current generation
}

// New returns a Service over backend s (every call goes through store.Check) scoring with
// model m.
func New(s store.Store, m *risk.Model) *Service {
	return &Service{store: store.Check(s), model: m, passes: map[kg.Date]*pass{}}
}

// Model is the risk model scores are computed with.
func (s *Service) Model() *risk.Model { return s.model }

// Ping reports whether the store can serve requests.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() error { return s.store.Close() }

// changed notes a write that changed something: cached passes are stale.
func (s *Service) changed(res store.WriteResult) {
	if len(res.Created)+len(res.Updated) > 0 {
		s.gen.Add(1)
	}
}

// Apply writes a batch atomically (see store.Writer).
func (s *Service) Apply(ctx context.Context, b kg.Batch) (kg.WriteResult, error) {
	res, err := s.store.Apply(ctx, b)
	if err != nil {
		return res, fmt.Errorf("apply batch: %w", err)
	}
	s.changed(res)
	return res, nil
}

// Load writes a large batch in many transactions (see store.Checked.Load): the bulk path
// of imports and synthetic graphs.
func (s *Service) Load(ctx context.Context, b kg.Batch, opt LoadOptions) (kg.WriteResult, error) {
	res, err := s.store.Load(ctx, b, opt)
	s.changed(res) // a failed load may have written part of the batch
	if err != nil {
		return res, fmt.Errorf("load batch: %w", err)
	}
	return res, nil
}

// Retract ends the validity of facts on a date (see store.Writer).
func (s *Service) Retract(ctx context.Context, ids []string, on kg.Date) (kg.WriteResult, error) {
	if len(ids) == 0 {
		return kg.WriteResult{}, kg.Invalid("ids", "give at least one id to retract")
	}
	res, err := s.store.Retract(ctx, ids, on)
	if err != nil {
		return res, fmt.Errorf("retract %d ids: %w", len(ids), err)
	}
	s.changed(res)
	return res, nil
}

// Entity returns one entity as of a date; ErrNotFound when it does not exist then.
func (s *Service) Entity(ctx context.Context, id string, asOf kg.Date) (kg.Entity, error) {
	if err := kg.CheckEntityID("id", id); err != nil {
		return kg.Entity{}, err
	}
	asOf = store.ResolveAsOf(asOf)
	got, err := s.store.Entities(ctx, []string{id}, asOf)
	if err != nil {
		return kg.Entity{}, fmt.Errorf("read entity %s: %w", id, err)
	}
	e, ok := got[id]
	if !ok {
		return kg.Entity{}, fmt.Errorf("no entity %q exists on %s: %w", id, asOf, store.ErrNotFound)
	}
	return e, nil
}

// Entities returns the entities with these ids visible on a date; missing ids are absent.
func (s *Service) Entities(ctx context.Context, ids []string, asOf kg.Date) (map[string]kg.Entity, error) {
	got, err := s.store.Entities(ctx, ids, asOf)
	if err != nil {
		return nil, fmt.Errorf("read %d entities: %w", len(ids), err)
	}
	return got, nil
}

// Relationships returns a page of relationships for each of several entities.
func (s *Service) Relationships(ctx context.Context, q RelQuery) (map[string]RelPage, error) {
	got, err := s.store.Relationships(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read relationships of %d entities: %w", len(q.EntityIDs), err)
	}
	return got, nil
}

// Signals returns the risk signals on each of several entities, visible on a date.
func (s *Service) Signals(ctx context.Context, ids []string, asOf kg.Date) (map[string][]kg.RiskSignal, error) {
	got, err := s.store.Signals(ctx, ids, asOf)
	if err != nil {
		return nil, fmt.Errorf("read signals of %d entities: %w", len(ids), err)
	}
	return got, nil
}

// List pages through entities ordered by id.
func (s *Service) List(ctx context.Context, q ListQuery) (EntityPage, error) {
	p, err := s.store.List(ctx, q)
	if err != nil {
		return p, fmt.Errorf("list entities: %w", err)
	}
	return p, nil
}

// Empty reports whether no entity is visible today: the cue to seed a new store.
func (s *Service) Empty(ctx context.Context) (bool, error) {
	p, err := s.List(ctx, ListQuery{Page: Page{First: 1}})
	if err != nil {
		return false, err
	}
	return len(p.Items) == 0, nil
}

// Search finds entities by text, best match first.
func (s *Service) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	p, err := s.store.Search(ctx, q)
	if err != nil {
		return p, fmt.Errorf("search %q: %w", q.Text, err)
	}
	return p, nil
}

// Paths returns simple paths between two entities, shortest first.
func (s *Service) Paths(ctx context.Context, q PathQuery) ([]Path, error) {
	ps, err := s.store.Paths(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("paths from %s to %s: %w", q.From, q.To, err)
	}
	return ps, nil
}

// Export returns every stored fact, ended ones included, as one batch ordered by id.
func (s *Service) Export(ctx context.Context) (kg.Batch, error) {
	b, err := s.store.Export(ctx)
	if err != nil {
		return b, fmt.Errorf("export: %w", err)
	}
	return b, nil
}
