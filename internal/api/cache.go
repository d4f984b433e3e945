package api

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// byteCache is a least-recently-used cache bounded by the bytes its entries are charged,
// not by their number: a thousand small queries and a handful of large ones cost the same
// memory. An entry charged more than maxEntry is not kept at all.
type byteCache[T any] struct {
	mu       sync.Mutex
	max      int64
	maxEntry int64
	used     int64
	cost     func(key string, v T) int64
	order    *list.List // front: most recently used
	entries  map[string]*list.Element
}

type cacheEntry[T any] struct {
	key  string
	v    T
	cost int64
}

var (
	_ graphql.Cache[*ast.QueryDocument] = (*byteCache[*ast.QueryDocument])(nil)
	_ graphql.Cache[string]             = (*byteCache[string])(nil)
)

func newByteCache[T any](max int64, cost func(string, T) int64) *byteCache[T] {
	return &byteCache[T]{max: max, maxEntry: max / 16, cost: cost, order: list.New(), entries: map[string]*list.Element{}}
}

// docCost is what a parsed document is charged: its AST holds the source and, per source
// byte, a few dozen bytes of nodes at most (measured on alias-heavy documents).
func docCost(query string, _ *ast.QueryDocument) int64 { return 16*int64(len(query)) + 1024 }

// stringCost is what an APQ entry (hash → query text) is charged.
func stringCost(key, v string) int64 { return int64(len(key)+len(v)) + 128 }

func (c *byteCache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry[T]).v, true
	}
	var zero T
	return zero, false
}

func (c *byteCache[T]) Add(_ context.Context, key string, v T) {
	cost := c.cost(key, v)
	if cost > c.maxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.removeElement(e)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry[T]{key: key, v: v, cost: cost})
	c.used += cost
	for c.used > c.max {
		c.removeElement(c.order.Back())
	}
}

// Remove drops key from the cache.
func (c *byteCache[T]) Remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.removeElement(e)
	}
}

func (c *byteCache[T]) removeElement(e *list.Element) {
	ce := c.order.Remove(e).(*cacheEntry[T])
	delete(c.entries, ce.key)
	c.used -= ce.cost
}

// stats returns the number of entries and the bytes they are charged.
func (c *byteCache[T]) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.used
}
