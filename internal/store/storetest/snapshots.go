package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// snapshotMeta describes a test snapshot of n chunks.
func snapshotMeta(id string, n int) store.SnapshotMeta {
	d, _ := kg.ParseDate(strings.Split(id, ":")[1])
	return store.SnapshotMeta{ID: id, AsOf: d, KnownAt: 1_700_000_000_000_000, ModelVersion: "test/1",
		CreatedAt: time.Date(2026, 12, 2, 3, 4, 5, 123456000, time.UTC), CreatedBy: "nightly", Scores: 10 * n, Chunks: n}
}

// testSnapshots pins down the snapshot store: whole puts, exact chunks, conflicts, deletes,
// and the wrapper's checks.
func testSnapshots(t *testing.T, s *store.Checked) {
	ctx := t.Context()
	list := func() []store.SnapshotMeta {
		t.Helper()
		ms, err := s.ListSnapshots(ctx)
		if err != nil {
			t.Fatalf("ListSnapshots: %v", err)
		}
		slices.SortFunc(ms, func(a, b store.SnapshotMeta) int { return strings.Compare(a.ID, b.ID) })
		return ms
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("a new store lists snapshots %v", got)
	}
	// Chunks of several sizes, one of them empty and one large, with every byte value.
	big := bytes.Repeat([]byte{0, 1, 2, 0xff, 0xfe}, 3<<20/5)
	chunks := [][]byte{[]byte("first"), {}, big, []byte("last")}
	a := snapshotMeta("snapshot:2017-09-01:a1", len(chunks))
	if err := s.PutSnapshot(ctx, a, chunks); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	b := snapshotMeta("snapshot:2017-12-31:b2", 1)
	if err := s.PutSnapshot(ctx, b, [][]byte{[]byte("b")}); err != nil {
		t.Fatalf("PutSnapshot b: %v", err)
	}
	if got := list(); diff(got, []store.SnapshotMeta{a, b}) != "" {
		t.Fatalf("ListSnapshots:\n%s", diff(got, []store.SnapshotMeta{a, b}))
	}
	var got [][]byte
	err := s.SnapshotChunks(ctx, a.ID, func(i int, c []byte) error {
		if i != len(got) {
			return fmt.Errorf("chunk %d after %d chunks", i, len(got))
		}
		got = append(got, bytes.Clone(c))
		return nil
	})
	if err != nil {
		t.Fatalf("SnapshotChunks: %v", err)
	}
	if len(got) != len(chunks) {
		t.Fatalf("read %d chunks, want %d", len(got), len(chunks))
	}
	for i := range chunks {
		if !bytes.Equal(got[i], chunks[i]) {
			t.Errorf("chunk %d: %d bytes read, %d written, or different bytes", i, len(got[i]), len(chunks[i]))
		}
	}

	// A second put of an id conflicts and changes nothing.
	wantErr(t, "second put of one id", s.PutSnapshot(ctx, snapshotMeta(a.ID, 1), [][]byte{[]byte("other")}), store.ErrConflict)
	var first []byte
	if err := s.SnapshotChunks(ctx, a.ID, func(i int, c []byte) error {
		if i == 0 {
			first = bytes.Clone(c)
		}
		return nil
	}); err != nil {
		t.Fatalf("SnapshotChunks after the conflict: %v", err)
	}
	if string(first) != "first" {
		t.Errorf("after a conflicting put, chunk 0 reads %q", first)
	}
	wantErr(t, "chunks of an unknown snapshot", s.SnapshotChunks(ctx, "snapshot:2017-01-01:none", func(int, []byte) error { return nil }), store.ErrNotFound)

	// The wrapper's checks.
	badID, otherDate, noWriter := snapshotMeta("snapshot:2017-09-01:a1", 1), snapshotMeta("snapshot:2017-09-01:x", 1), snapshotMeta("snapshot:2017-09-01:y", 1)
	badID.ID, otherDate.AsOf, noWriter.CreatedBy = "report-2017", 20170902, ""
	for name, m := range map[string]store.SnapshotMeta{
		"bad id": badID, "date not the id": otherDate, "no writer": noWriter,
		"chunk count": snapshotMeta("snapshot:2017-09-01:z", 2),
	} {
		wantErr(t, name, s.PutSnapshot(ctx, m, [][]byte{[]byte("x")}), store.ErrInvalid)
	}
	wantErr(t, "oversized chunk", s.PutSnapshot(ctx, snapshotMeta("snapshot:2017-09-01:w", 1),
		[][]byte{make([]byte, store.MaxSnapshotChunk+1)}), store.ErrInvalid)
	wantErr(t, "chunks of a bad id", s.SnapshotChunks(ctx, "x", func(int, []byte) error { return nil }), store.ErrInvalid)
	if got := list(); len(got) != 2 {
		t.Fatalf("refused puts stored something: %v", got)
	}

	// Delete removes exactly the ids named; unknown ids are ignored.
	if err := s.DeleteSnapshots(ctx, []string{a.ID, "snapshot:2001-01-01:none"}); err != nil {
		t.Fatalf("DeleteSnapshots: %v", err)
	}
	if got := list(); diff(got, []store.SnapshotMeta{b}) != "" {
		t.Fatalf("after delete:\n%s", diff(got, []store.SnapshotMeta{b}))
	}
	wantErr(t, "chunks of a deleted snapshot", s.SnapshotChunks(ctx, a.ID, func(int, []byte) error { return nil }), store.ErrNotFound)
	// The id may be used again once deleted, and reads only the new chunks.
	if err := s.PutSnapshot(ctx, snapshotMeta(a.ID, 1), [][]byte{[]byte("again")}); err != nil {
		t.Fatalf("PutSnapshot after delete: %v", err)
	}
	n := 0
	if err := s.SnapshotChunks(ctx, a.ID, func(i int, c []byte) error { n++; return nil }); err != nil {
		t.Fatalf("SnapshotChunks of the new snapshot: %v", err)
	}
	if n != 1 {
		t.Errorf("the new snapshot reads %d chunks, want 1", n)
	}
	// Snapshots are not facts: the graph stays empty.
	snap, err := s.Snapshot(ctx, store.AsOf(20171231))
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if len(snap.Entities)+len(snap.Relationships)+len(snap.Signals) != 0 {
		t.Errorf("risk snapshots show up as facts: %d entities", len(snap.Entities))
	}
}
