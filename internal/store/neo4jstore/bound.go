package neo4jstore

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// A signal bound serves the walks of exposure reads (NeighbourhoodQuery.SignalWalks), as the
// embedded store's does: for each entity id, a lower bound on the steps a walk of one kind
// needs from it to an entity carrying a signal of some dimensions. It counts every
// relationship and signal stored, whatever their dates (nothing is deleted, so the facts
// visible on any day as known at any time are among them), and a signal with a history
// counts for every dimension. A hop of the walk then leaves out a far end from which no
// signal can reach the roots within the hop cap: the cut (store.SignalWalkCut) would drop
// it anyway, and the entities beyond it are never read.
//
// A bound is made in the background by a breadth-first walk back from the signals, level by
// level, the first time a kind of walk asks for it at a data version (DataVersion), and is
// used only by reads that find the same version. Entities at store.MaxHops steps or more are
// not kept: their bound is at least that, more than any walk allows.
type signalBound struct {
	version string
	dist    map[string]uint8 // entity id → fewest steps, for those under store.MaxHops
}

// bounds holds the signal bounds of a store, by kind of walk.
type bounds struct {
	mu       sync.Mutex
	made     map[string]*signalBound
	order    []string // kinds made, oldest first
	building map[string]bool
}

// maxBounds is how many kinds of walk keep a bound: one per set of dimensions asked for,
// and there are few.
const maxBounds = 8

// walkSides splits steps into the relationship types a walk takes out of an entity, into
// it, and both ways, in kg.RelTypes order so that statements built from them are stable.
func walkSides(steps []store.Step) (out, in, both []kg.RelType) {
	dirs := map[kg.RelType]map[kg.Direction]bool{}
	for _, st := range steps {
		if dirs[st.Type] == nil {
			dirs[st.Type] = map[kg.Direction]bool{}
		}
		dirs[st.Type][st.Direction] = true
	}
	for _, t := range kg.RelTypes {
		switch d := dirs[t]; {
		case d == nil:
		case d[kg.Both] || (d[kg.Out] && d[kg.In]):
			both = append(both, t)
		case d[kg.Out]:
			out = append(out, t)
		default:
			in = append(in, t)
		}
	}
	return out, in, both
}

// boundKey names a kind of walk: its types by side and the dimensions it looks for.
func boundKey(steps []store.Step, dims []kg.Dimension) string {
	out, in, both := walkSides(steps)
	ds := make([]string, len(dims))
	for i, d := range dims {
		ds[i] = string(d)
	}
	slices.Sort(ds)
	return fmt.Sprintf("%v|%v|%v|%s", out, in, both, strings.Join(slices.Compact(ds), ","))
}

// signalBound returns the bound of walks over steps looking for signals of dims made at data
// version v, or nil when there is none; then it starts making one.
func (s *Store) signalBound(v string, steps []store.Step, dims []kg.Dimension) map[string]uint8 {
	if len(steps) == 0 {
		return nil
	}
	k := boundKey(steps, dims)
	s.bounds.mu.Lock()
	defer s.bounds.mu.Unlock()
	if b := s.bounds.made[k]; b != nil && b.version == v {
		return b.dist
	}
	if !s.bounds.building[k] && s.bg.Err() == nil {
		if s.bounds.building == nil {
			s.bounds.made, s.bounds.building = map[string]*signalBound{}, map[string]bool{}
		}
		s.bounds.building[k] = true
		s.bgWork.Add(1)
		go s.makeBound(k, slices.Clone(steps), slices.Clone(dims))
	}
	return nil
}

// makeBound makes the bound of walks over steps looking for signals of dims and keeps it
// under k. It keeps nothing when the data version changes while it reads (the facts it read
// may then be a mix), when a read fails, or when the store closes.
func (s *Store) makeBound(k string, steps []store.Step, dims []kg.Dimension) {
	defer s.bgWork.Done()
	var b *signalBound
	defer func() {
		s.bounds.mu.Lock()
		defer s.bounds.mu.Unlock()
		delete(s.bounds.building, k)
		if b == nil {
			return
		}
		if s.bounds.made[k] == nil {
			s.bounds.order = append(s.bounds.order, k)
			if len(s.bounds.order) > maxBounds {
				delete(s.bounds.made, s.bounds.order[0])
				s.bounds.order = s.bounds.order[1:]
			}
		}
		s.bounds.made[k] = b
	}()
	ctx := s.bg
	v, err := s.DataVersion(ctx)
	if err != nil {
		slog.Debug("signal bound: not made", "err", err) // reads walk without it
		return
	}
	dist, err := s.boundFrom(ctx, steps, dims)
	if err != nil {
		slog.Debug("signal bound: not made", "err", err)
		return
	}
	if after, err := s.DataVersion(ctx); err != nil || after != v {
		return // a write came between: the next read asks again
	}
	b = &signalBound{version: v, dist: dist}
}

// boundFrom walks back from the entities carrying signals of dims (any dimension, when dims
// is empty), one statement per level, and returns each entity's level under store.MaxHops.
// An entity x is one step from y when a walk standing at x may take a relationship to y: one
// of the types it takes out of x ends at y, or one it takes into x starts at y.
func (s *Store) boundFrom(ctx context.Context, steps []store.Step, dims []kg.Dimension) (map[string]uint8, error) {
	out, in, both := walkSides(steps)
	var branches []string
	if len(out) > 0 || len(both) > 0 {
		branches = append(branches, "MATCH (n)<-[:"+relTypes(append(slices.Clone(out), both...))+"]-(x:Entity) RETURN x.id AS id")
	}
	if len(in) > 0 || len(both) > 0 {
		branches = append(branches, "MATCH (n)-[:"+relTypes(append(slices.Clone(in), both...))+"]->(x:Entity) RETURN x.id AS id")
	}
	level := entitiesByID + "\nCALL (n) {\n  " + strings.Join(branches, "\n  UNION ALL\n  ") +
		"\n}\nRETURN collect(DISTINCT id) AS ids"
	carriers := "MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal) RETURN collect(DISTINCT n.id) AS ids"
	params := map[string]any{}
	if len(dims) > 0 {
		ds := make([]string, len(dims))
		for i, d := range dims {
			ds[i] = string(d)
		}
		params["dims"] = ds
		carriers = "MATCH (n:Entity)-[:HAS_SIGNAL]->(g:Signal) WHERE g.dimension IN $dims OR g.history IS NOT NULL " +
			"RETURN collect(DISTINCT n.id) AS ids"
	}
	dist := map[string]uint8{}
	err := s.read(ctx, func(tx *txn) error {
		clear(dist)
		ids := func(cypher string, p map[string]any) ([]string, error) {
			recs, err := tx.run(ctx, cypher, p)
			if err != nil || len(recs) != 1 {
				return nil, err
			}
			list, _ := rec{recs[0]}.get("ids").([]any)
			out := make([]string, 0, len(list))
			for _, x := range list {
				if id, ok := x.(string); ok {
					out = append(out, id)
				}
			}
			return out, nil
		}
		front, err := ids(carriers, params)
		if err != nil {
			return fmt.Errorf("signal carriers: %w", err)
		}
		for _, id := range front {
			dist[id] = 0
		}
		for d := uint8(1); d < store.MaxHops && len(front) > 0; d++ {
			reached, err := ids(level, map[string]any{"ids": front})
			if err != nil {
				return fmt.Errorf("level %d: %w", d, err)
			}
			front = front[:0]
			for _, id := range reached {
				if _, seen := dist[id]; !seen {
					dist[id] = d
					front = append(front, id)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("make a signal bound: %w", err)
	}
	return dist, nil
}

// beyondBound reports whether a walk that reaches id after hops steps can no longer reach a
// signal within maxHops: the entity is not within the bound's reach (store.MaxHops or more
// steps from every signal), or its steps and hops add up to more than maxHops.
func beyondBound(dist map[string]uint8, id string, hops, maxHops int) bool {
	d, ok := dist[id]
	return !ok || hops+int(d) > maxHops
}
