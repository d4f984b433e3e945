package resolvers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
)

type entityKey struct {
	ID string
	At service.At
}

type relKey struct {
	ID    string
	Dir   kg.Direction
	Types string // comma-joined, sorted
	At    service.At
	First int
	After string
}

// loaders are the per-operation batch readers; see batcher for how they batch.
type loaders struct {
	entities *batcher[entityKey, kg.Entity]
	rels     *batcher[relKey, service.RelPage]
	signals  *batcher[entityKey, []kg.RiskSignal]
	risk     *batcher[entityKey, []risk.Explanation]
	names    *partial[entityKey, kg.Entity]    // far ends a tree read returned by name only
	idPages  *partial[relKey, service.RelPage] // pages a tree read returned with relationship ids only
}

type loadersKey struct{}

// WithLoaders gives one GraphQL operation its own loaders; the server calls it per operation.
func WithLoaders(ctx context.Context, svc *service.Service) context.Context {
	return context.WithValue(ctx, loadersKey{}, newLoaders(svc))
}

func loadersFrom(ctx context.Context) *loaders {
	l, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		panic("resolvers: no loaders in context; wrap operations with WithLoaders")
	}
	return l
}

func newLoaders(svc *service.Service) *loaders {
	l := &loaders{names: newPartial[entityKey, kg.Entity](nameOnly), idPages: newPartial[relKey, service.RelPage](idsOnly)}
	entityID := func(k entityKey) string { return k.ID }
	sameDate := func(k entityKey, id string) entityKey { return entityKey{ID: id, At: k.At} }

	l.entities = newBatcher(entityID, sameDate, func(ctx context.Context, keys []entityKey) (map[entityKey]kg.Entity, error) {
		ids := keyIDs(keys, entityID)
		found, err := svc.Entities(ctx, ids, keys[0].At)
		if err != nil {
			return nil, fmt.Errorf("load %d entities: %w", len(ids), err)
		}
		out := make(map[entityKey]kg.Entity, len(found))
		ents := make([]kg.Entity, 0, len(found))
		for _, k := range keys {
			if e, ok := found[k.ID]; ok {
				out[k] = e
				ents = append(ents, e)
			}
		}
		l.seen(ents, nil)
		return out, nil
	})

	l.rels = newBatcher(func(k relKey) string { return k.ID },
		func(k relKey, id string) relKey { k.ID = id; return k },
		func(ctx context.Context, keys []relKey) (map[relKey]service.RelPage, error) {
			k := keys[0]
			var types []kg.RelType
			if k.Types != "" {
				for _, t := range strings.Split(k.Types, ",") {
					types = append(types, kg.RelType(t))
				}
			}
			pages, err := svc.Relationships(ctx, service.RelQuery{
				EntityIDs: keyIDs(keys, func(k relKey) string { return k.ID }),
				Direction: k.Dir, Types: types, AsOf: k.At.AsOf, KnownAt: k.At.KnownAt,
				Page: service.Page{First: k.First, After: k.After},
			})
			if err != nil {
				return nil, fmt.Errorf("load relationships of %d entities: %w", len(keys), err)
			}
			out := make(map[relKey]service.RelPage, len(pages))
			var ends []string
			var cited []kg.Citation
			for _, k := range keys {
				p := pages[k.ID]
				out[k] = p
				for _, r := range p.Items {
					ends = append(ends, r.From, r.To)
					cited = append(cited, r.Sources...)
				}
			}
			l.entities.Hint(ends)
			l.hintSources(cited)
			return out, nil
		})

	l.signals = newBatcher(entityID, sameDate, func(ctx context.Context, keys []entityKey) (map[entityKey][]kg.RiskSignal, error) {
		got, err := svc.Signals(ctx, keyIDs(keys, entityID), keys[0].At)
		if err != nil {
			return nil, fmt.Errorf("load signals of %d entities: %w", len(keys), err)
		}
		out := make(map[entityKey][]kg.RiskSignal, len(keys))
		var cited []kg.Citation
		for _, k := range keys {
			out[k] = got[k.ID]
			for _, g := range got[k.ID] {
				cited = append(cited, g.Sources...)
			}
		}
		l.hintSources(cited)
		return out, nil
	})

	l.risk = newBatcher(entityID, sameDate, func(ctx context.Context, keys []entityKey) (map[entityKey][]risk.Explanation, error) {
		got, err := svc.Exposures(ctx, service.ExposureQuery{IDs: keyIDs(keys, entityID), At: keys[0].At})
		if err != nil {
			return nil, fmt.Errorf("score %d entities: %w", len(keys), err)
		}
		out := make(map[entityKey][]risk.Explanation, len(keys))
		for _, k := range keys {
			out[k] = got[k.ID]
		}
		return out, nil
	})
	return l
}

// seen announces a level of entities: their nested relationships, signals and cited sources
// will be read together. Entities read outside the loader for a moment (at != nil) are primed.
func (l *loaders) seen(ents []kg.Entity, at *service.At) {
	if at != nil {
		primed := make(map[entityKey]kg.Entity, len(ents))
		for _, e := range ents {
			primed[entityKey{ID: e.ID, At: *at}] = e
		}
		l.entities.Prime(primed)
	}
	ids := make([]string, len(ents))
	var cited []kg.Citation
	for i, e := range ents {
		ids[i] = e.ID
		cited = append(cited, e.Sources...)
		for _, o := range e.Obligations {
			cited = append(cited, o.Sources...)
		}
	}
	l.rels.Hint(ids)
	l.signals.Hint(ids)
	l.risk.Hint(ids)
	l.hintSources(cited)
}

func (l *loaders) hintSources(cs []kg.Citation) {
	if len(cs) == 0 {
		return
	}
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.SourceID)
	}
	slices.Sort(ids)
	l.entities.Hint(slices.Compact(ids))
}

// entity loads one entity at a moment.
func (l *loaders) entity(ctx context.Context, id string, at service.At) (kg.Entity, bool, error) {
	return l.entities.Load(ctx, entityKey{ID: id, At: at})
}

func keyIDs[K any](keys []K, id func(K) string) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = id(k)
	}
	return ids
}

func typesKey(ts []kg.RelType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ",")
}
