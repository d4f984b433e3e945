package neo4jstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
	"riskgraph/internal/store/neo4jstore/neo4jtest"
)

// TestServerLoss stops the server under an open store, expects Ping to report ErrUnavailable
// (and return, well before its context's deadline), restarts the server on the same port
// and data, and expects the same store to recover by itself with its data intact.
func TestServerLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second Neo4j")
	}
	ctx := context.Background()
	srv, err := neo4jtest.Start(ctx, neo4jtest.Options{})
	if err != nil {
		neo4jtest.Unavailable(t, err)
	}
	t.Cleanup(func() { srv.Stop() })

	raw, err := Open(ctx, Config{URI: srv.URI()})
	if err != nil {
		t.Fatal(err)
	}
	s := store.Check(raw)
	defer s.Close()
	if _, err := s.Apply(ctx, star(2), "test"); err != nil {
		t.Fatal(err)
	}

	if err := srv.StopProcess(); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	began := time.Now()
	err = s.Ping(pctx)
	expired := pctx.Err()
	cancel()
	t.Logf("Ping with the server down returned in %s: %v", time.Since(began).Round(time.Millisecond), err)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping with the server down: %v, want ErrUnavailable", err)
	}
	if expired != nil {
		t.Fatalf("Ping only returned when its context ran out: %v", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = s.Entities(rctx, []string{"vendor:v000"}, store.AsOf(0))
	cancel()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Entities with the server down: %v, want ErrUnavailable", err)
	}

	began = time.Now()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("server restarted in %s", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := s.Ping(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover after the server came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("store answered %s after the restart", time.Since(began).Round(time.Millisecond))
	got, err := s.Entities(ctx, []string{"vendor:v000", "product:p001", "government:ru"}, store.AsOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["vendor:v000"].Name != "Vendor 0" {
		t.Fatalf("after restart: %+v", got)
	}
	pages, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"government:ru"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pages["government:ru"].Items); n != 2 {
		t.Fatalf("after restart government:ru has %d relationships, want 2", n)
	}
	if _, err := s.Apply(ctx, kg.Batch{Entities: []kg.Entity{{ID: "vendor:after", Kind: kg.KindVendor, Name: "After"}}}, "test"); err != nil {
		t.Fatalf("write after restart: %v", err)
	}
}
