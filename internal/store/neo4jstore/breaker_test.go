package neo4jstore

import (
	"context"
	"errors"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"riskgraph/internal/store"
)

// The breaker lets everything through while the server answers; after a failure to reach
// it, one trial at a time goes through and the rest are refused as unavailable, until a
// trial (or a ping) reaches the server again. A caller's own deadline says nothing about
// the server and changes nothing.
func TestBreaker(t *testing.T) {
	var b breaker
	ctx := context.Background()
	if trial, ok := b.enter(); !ok || trial {
		t.Fatalf("closed breaker: enter = trial %v, ok %v; want a plain admission", trial, ok)
	}
	b.leave(ctx, false, &neo4j.ConnectivityError{Inner: errors.New("connection refused")})
	trial, ok := b.enter()
	if !ok || !trial {
		t.Fatalf("open breaker, first caller: trial %v, ok %v; want the trial", trial, ok)
	}
	if _, ok := b.enter(); ok {
		t.Fatal("open breaker admitted a second caller while a trial was on its way")
	}
	if err := b.refused(); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("refusal %v is not store.ErrUnavailable", err)
	}
	b.leave(ctx, true, &neo4j.ConnectivityError{Inner: errors.New("connection refused")})
	if trial, ok := b.enter(); !ok || !trial {
		t.Fatal("after a failed trial the next caller is not the next trial")
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	b.leave(done, true, context.Canceled)
	if b.downSince.Load() == 0 {
		t.Fatal("a trial that ended by its caller's deadline closed the breaker")
	}
	var fresh breaker
	fresh.leave(done, false, &neo4j.ConnectivityError{Inner: context.Canceled})
	if fresh.downSince.Load() != 0 {
		t.Fatal("a request that ran out of time opened the breaker")
	}
	if trial, ok := b.enter(); !ok || !trial {
		t.Fatal("a trial that ended by its caller's deadline did not free the trial")
	}
	b.leave(ctx, true, nil)
	if trial, ok := b.enter(); !ok || trial {
		t.Fatal("a successful trial did not close the breaker")
	}
	b.leave(ctx, false, &neo4j.ConnectivityError{Inner: errors.New("reset")})
	b.up()
	if trial, ok := b.enter(); !ok || trial {
		t.Fatal("a successful ping did not close the breaker")
	}
}
