package embedded

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/store"
)

// keyIndex maps the search keys of names (match.Keys) to the entities whose name or aliases,
// in any row, have them. Postings hold entity numbers, not pointers, so the index costs the
// garbage collector almost nothing to scan. Built by the first match (Store.keyIndex);
// writers then keep it current under the store's write lock, and MatchTargets only reads it.
type keyIndex struct {
	post map[string][]uint32
	ids  []string // entity number → id
	num  map[string]uint32
}

// keyIndex returns the match key index, first building it from the entity records when no
// read has yet. Callers hold s.mu, for reading or writing.
func (s *Store) keyIndex() *keyIndex {
	return lazily(&s.keys, &s.lazyMu, func() *keyIndex {
		x := &keyIndex{post: map[string][]uint32{}, ids: make([]string, 0, len(s.ids)), num: make(map[string]uint32, len(s.ids))}
		for _, id := range s.ids {
			x.add(id, s.ents[id].history())
		}
		return x
	})
}

// keysOf is the union of the keys of every name and alias of every row.
func keysOf(rows []kg.Entity) []string { return match.KeysOf(names(rows)...) }

// names are the names and aliases of every row.
func names(rows []kg.Entity) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Name)
		out = append(out, r.Aliases...)
	}
	return out
}

// add indexes the entity with these rows; on a nil index (not built yet) it does nothing.
func (x *keyIndex) add(id string, rows []kg.Entity) {
	if x == nil {
		return
	}
	n, ok := x.num[id]
	if !ok {
		n = uint32(len(x.ids))
		x.ids = append(x.ids, id)
		x.num[id] = n
	}
	for _, k := range keysOf(rows) {
		x.post[k] = append(x.post[k], n)
	}
}

// remove drops the keys old rows of the entity indexed; on a nil index it does nothing.
func (x *keyIndex) remove(id string, rows []kg.Entity) {
	if x == nil {
		return
	}
	n, ok := x.num[id]
	if !ok {
		return
	}
	for _, k := range keysOf(rows) {
		p := x.post[k]
		if i := slices.Index(p, n); i >= 0 {
			p[i] = p[len(p)-1]
			p = p[:len(p)-1]
		}
		if len(p) == 0 {
			delete(x.post, k)
		} else {
			x.post[k] = p
		}
	}
}

// MatchTargets ranks the entities sharing q.Keys by summed key weight and returns the best
// q.Limit visible at (q.AsOf, q.KnownAt), ties by id.
func (s *Store) MatchTargets(ctx context.Context, q store.MatchQuery) ([]kg.Entity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	x := s.keyIndex()
	total := len(x.ids)
	score := map[uint32]float64{}
	for _, k := range q.Keys {
		p := x.post[k]
		if len(p) == 0 || len(p) > store.MaxKeyPostings {
			continue
		}
		w := match.KeyWeight(k, len(p), total)
		for i, n := range p {
			if err := stopped(ctx, i); err != nil {
				return nil, err
			}
			score[n] += w
		}
	}
	type cand struct {
		id string
		sc float64
	}
	cands := make([]cand, 0, len(score))
	for n, sc := range score {
		cands = append(cands, cand{x.ids[n], sc})
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Or(cmp.Compare(b.sc, a.sc), strings.Compare(a.id, b.id)) })
	var out []kg.Entity
	for _, c := range cands {
		if len(out) == q.Limit {
			break
		}
		if e, ok := s.entityAt(c.id, store.At{AsOf: q.AsOf, KnownAt: q.KnownAt}); ok {
			out = append(out, e)
		}
	}
	return out, nil
}
