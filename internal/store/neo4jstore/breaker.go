package neo4jstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"riskgraph/internal/store"
)

// breaker fails fast while Neo4j is unreachable. Once a transaction fails because the server
// cannot be reached, later ones are refused at once with store.ErrUnavailable, except one
// at a time that tries the server; the first success (or a successful Ping) closes it again.
// Without it every request waits out the driver's retries to its deadline while the server
// is down, holding its slot, and the service stays clogged after the server is back.
type breaker struct {
	downSince atomic.Int64 // unix nanoseconds of the last failure to reach the server; 0: up
	trying    atomic.Bool  // a trial transaction is on its way
}

// enter admits a transaction: ok false means refuse it now; trial means it is the one
// that checks whether the server is back, and must report with leave.
func (b *breaker) enter() (trial, ok bool) {
	if b.downSince.Load() == 0 {
		return false, true
	}
	if b.trying.CompareAndSwap(false, true) {
		return true, true
	}
	return false, false
}

// leave records how an admitted transaction ended: err reached the server or not.
func (b *breaker) leave(ctx context.Context, trial bool, err error) {
	switch {
	case err != nil && ctx.Err() == nil && unavailable(ctx, err):
		// Only while the caller still waited: a request that ran out of time (waiting for a
		// pooled connection, or on a slow server) says nothing about reachability.
		b.downSince.Store(time.Now().UnixNano())
	case err == nil || ctx.Err() == nil:
		// An answer from the server, even an error of ours, means it is reachable.
		b.downSince.Store(0)
	}
	if trial {
		b.trying.Store(false)
	}
}

// up records that the server answered outside a transaction (a ping).
func (b *breaker) up() { b.downSince.Store(0) }

// refused is the error of a transaction the breaker turned away.
func (b *breaker) refused() error {
	since := time.Since(time.Unix(0, b.downSince.Load())).Round(time.Millisecond)
	return fmt.Errorf("neo4j was unreachable %s ago, and a request is checking whether it is back: %w", since, store.ErrUnavailable)
}

// guarded runs tx under the breaker.
func (s *Store) guarded(ctx context.Context, tx func() error) error {
	trial, ok := s.breaker.enter()
	if !ok {
		return s.breaker.refused()
	}
	err := tx()
	s.breaker.leave(ctx, trial, err)
	return err
}
