package resolvers

import (
	"context"
	"sync"

	"riskgraph/internal/service"
)

// batcher loads values by key in batches, without waiting on a timer. A resolver that produces
// a page of parents announces their ids with Hint; when a child field first asks for a key, the
// loader fetches it together with every hinted id not fetched yet for the same arguments. So
// one store call serves a whole level of the query, however many parents it has, and the count
// does not depend on goroutine timing. (Ids hinted for another level may ride along: that costs
// rows, never round trips.)
//
// One fetch takes at most max keys: hinted ids past that wait for a later fetch, so a large
// result costs a few more calls rather than one call the service refuses.
//
// K is the key: an entity id plus the arguments of the read (date, direction, page…).
type batcher[K comparable, V any] struct {
	id      func(K) string                                       // the entity id in a key
	sibling func(k K, id string) K                               // the key for id with k's arguments
	fetch   func(ctx context.Context, keys []K) (map[K]V, error) // one store call
	max     int                                                  // most keys one fetch takes

	mu      sync.Mutex
	flights map[K]*flight[K, V]
	hinted  []string // every id announced in this operation, in order
	known   map[string]bool
	scanned map[K]int // per set of arguments (the key with no id): hinted ids already in a flight
}

type flight[K comparable, V any] struct {
	done chan struct{}
	vals map[K]V
	err  error
}

// maxBatch is the most keys one fetch takes: as many ids as the service reads at once.
const maxBatch = service.MaxIDs

func newBatcher[K comparable, V any](id func(K) string, sibling func(K, string) K,
	fetch func(context.Context, []K) (map[K]V, error)) *batcher[K, V] {
	return &batcher[K, V]{id: id, sibling: sibling, fetch: fetch, max: maxBatch,
		flights: map[K]*flight[K, V]{}, known: map[string]bool{}, scanned: map[K]int{}}
}

// Hint announces ids whose values will likely be asked for.
func (b *batcher[K, V]) Hint(ids []string) {
	b.mu.Lock()
	for _, id := range ids {
		if !b.known[id] {
			b.known[id] = true
			b.hinted = append(b.hinted, id)
		}
	}
	b.mu.Unlock()
}

// Load returns the value for k (ok false when the store has none).
func (b *batcher[K, V]) Load(ctx context.Context, k K) (v V, ok bool, err error) {
	b.mu.Lock()
	f, found := b.flights[k]
	if !found {
		f = &flight[K, V]{done: make(chan struct{})}
		keys := []K{k}
		b.flights[k] = f
		args := b.sibling(k, "")
		i := b.scanned[args]
		for ; i < len(b.hinted) && len(keys) < b.max; i++ {
			sk := b.sibling(k, b.hinted[i])
			if _, busy := b.flights[sk]; !busy {
				b.flights[sk] = f
				keys = append(keys, sk)
			}
		}
		b.scanned[args] = i
		b.mu.Unlock()
		f.vals, f.err = b.fetch(ctx, keys)
		close(f.done)
	} else {
		b.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return v, false, ctx.Err()
		}
	}
	if f.err != nil {
		return v, false, f.err
	}
	v, ok = f.vals[k]
	return v, ok, nil
}

// Prime records values already read elsewhere (a list page, a search), so loading them again
// costs nothing.
func (b *batcher[K, V]) Prime(vals map[K]V) {
	f := &flight[K, V]{done: make(chan struct{}), vals: vals}
	close(f.done)
	b.mu.Lock()
	for k := range vals {
		if _, busy := b.flights[k]; !busy {
			b.flights[k] = f
		}
	}
	b.mu.Unlock()
}
