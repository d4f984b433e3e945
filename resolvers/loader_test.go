package resolvers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

type testKey struct {
	ID  string
	Arg int
}

// recorder is a fetch function that answers "v:"+id for every key and records each batch.
type recorder struct {
	mu      sync.Mutex
	batches [][]testKey
	err     error
	block   chan struct{} // when set, fetches wait for it to close
}

func (r *recorder) fetch(ctx context.Context, keys []testKey) (map[testKey]string, error) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(keys))
	r.mu.Unlock()
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make(map[testKey]string, len(keys))
	for _, k := range keys {
		if k.ID != "missing" {
			out[k] = "v:" + k.ID
		}
	}
	return out, nil
}

func newTestBatcher(r *recorder, max int) *batcher[testKey, string] {
	b := newBatcher(func(k testKey) string { return k.ID },
		func(k testKey, id string) testKey { k.ID = id; return k }, r.fetch)
	b.max = max
	return b
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("e%03d", i)
	}
	return out
}

func TestBatcherFetchesHintedIDsTogether(t *testing.T) {
	r := &recorder{}
	b := newTestBatcher(r, 100)
	b.Hint(ids(10))
	b.Hint(ids(3)) // hinted again: once
	for _, id := range ids(10) {
		v, ok, err := b.Load(t.Context(), testKey{ID: id})
		if err != nil || !ok || v != "v:"+id {
			t.Fatalf("load %s: %q %v %v", id, v, ok, err)
		}
	}
	if len(r.batches) != 1 || len(r.batches[0]) != 10 {
		t.Fatalf("batches %v; want one batch of the 10 hinted ids", r.batches)
	}
	// Other arguments are another read, with the same hinted ids.
	if _, _, err := b.Load(t.Context(), testKey{ID: "e004", Arg: 1}); err != nil {
		t.Fatal(err)
	}
	if len(r.batches) != 2 || len(r.batches[1]) != 10 || r.batches[1][0] != (testKey{ID: "e004", Arg: 1}) {
		t.Errorf("second batch %v; want the asked key first, then the 9 other hinted ids", r.batches[1:])
	}
	// An id nobody hinted is fetched on its own; a missing value is not an error.
	if _, ok, err := b.Load(t.Context(), testKey{ID: "missing"}); ok || err != nil {
		t.Errorf("missing key: ok %v, err %v", ok, err)
	}
	if last := r.batches[len(r.batches)-1]; len(last) != 1 {
		t.Errorf("unhinted key fetched with %v", last)
	}
}

func TestBatcherCapsABatch(t *testing.T) {
	r := &recorder{}
	b := newTestBatcher(r, 4)
	b.Hint(ids(10))
	for _, id := range ids(10) {
		if _, _, err := b.Load(t.Context(), testKey{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int
	seen := map[testKey]int{}
	for _, batch := range r.batches {
		sizes = append(sizes, len(batch))
		for _, k := range batch {
			seen[k]++
		}
	}
	if !slices.Equal(sizes, []int{4, 4, 2}) {
		t.Errorf("batch sizes %v; want [4 4 2]", sizes)
	}
	for _, id := range ids(10) {
		if seen[testKey{ID: id}] != 1 {
			t.Errorf("%s fetched %d times", id, seen[testKey{ID: id}])
		}
	}
}

func TestBatcherSharesErrors(t *testing.T) {
	r := &recorder{err: errors.New("store down")}
	b := newTestBatcher(r, 100)
	b.Hint(ids(3))
	for _, id := range ids(3) {
		if _, _, err := b.Load(t.Context(), testKey{ID: id}); !errors.Is(err, r.err) {
			t.Errorf("load %s: %v, want the fetch's error", id, err)
		}
	}
	if len(r.batches) != 1 {
		t.Errorf("%d fetches; a failed batch must not be retried key by key", len(r.batches))
	}
}

func TestBatcherWaiterStopsWithItsContext(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	b := newTestBatcher(r, 100)
	b.Hint(ids(2))
	first := make(chan error, 1)
	go func() {
		_, _, err := b.Load(context.Background(), testKey{ID: "e000"})
		first <- err
	}()
	// Wait until the first fetch is in flight, then ask for its sibling with a short context.
	for deadline := time.Now().Add(5 * time.Second); ; {
		r.mu.Lock()
		n := len(r.batches)
		r.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first fetch never started")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := b.Load(ctx, testKey{ID: "e001"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter with an expired context: %v", err)
	}
	close(r.block)
	if err := <-first; err != nil {
		t.Errorf("the fetching caller: %v", err)
	}
	if v, ok, err := b.Load(t.Context(), testKey{ID: "e001"}); err != nil || !ok || v != "v:e001" {
		t.Errorf("after the fetch: %q %v %v", v, ok, err)
	}
}

func TestBatcherPrime(t *testing.T) {
	r := &recorder{}
	b := newTestBatcher(r, 100)
	b.Prime(map[testKey]string{{ID: "a"}: "primed"})
	b.Hint([]string{"a", "b"})
	if v, _, err := b.Load(t.Context(), testKey{ID: "a"}); err != nil || v != "primed" {
		t.Errorf("primed key: %q %v", v, err)
	}
	if _, _, err := b.Load(t.Context(), testKey{ID: "b"}); err != nil {
		t.Fatal(err)
	}
	if len(r.batches) != 1 || !slices.Equal(r.batches[0], []testKey{{ID: "b"}}) {
		t.Errorf("batches %v; a primed key must not be fetched", r.batches)
	}
}
