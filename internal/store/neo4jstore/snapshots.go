package neo4jstore

import (
	"context"
	"encoding/json"
	"fmt"

	"riskgraph/internal/store"
)

// Risk snapshots are stored apart from the graph: a (:RiskSnapshot {id, meta}) node, meta the
// JSON description, and its chunks as (:RiskSnapshotChunk {snapshot, i, data}) nodes with
// data a byte array. Chunks are written first, in transactions of bounded size, and the
// RiskSnapshot node last: readers list only RiskSnapshot nodes, so a snapshot appears whole
// or not at all. Chunks a failed put left behind have no RiskSnapshot node and are removed
// by the next put or delete of that id.

// snapshotSchema are the schema statements of the snapshot nodes.
var snapshotSchema = []string{
	"CREATE CONSTRAINT risk_snapshot_id IF NOT EXISTS FOR (n:RiskSnapshot) REQUIRE n.id IS UNIQUE",
	"CREATE INDEX risk_snapshot_chunk IF NOT EXISTS FOR (n:RiskSnapshotChunk) ON (n.snapshot, n.i)",
}

// snapshotTxBytes bounds the chunk bytes one transaction writes.
const snapshotTxBytes = 32 << 20

// PutSnapshot writes the chunks, then the description.
func (s *Store) PutSnapshot(ctx context.Context, m store.SnapshotMeta, chunks [][]byte) error {
	meta, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode snapshot %s: %w", m.ID, err)
	}
	exists := false
	err = s.read(ctx, func(tx *txn) error {
		recs, err := tx.run(ctx, "MATCH (n:RiskSnapshot {id: $id}) RETURN count(n) AS n", map[string]any{"id": m.ID})
		if err == nil {
			exists = rec{recs[0]}.get("n").(int64) > 0
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("look for snapshot %s: %w", m.ID, err)
	}
	if exists {
		return fmt.Errorf("snapshot %s is stored already: %w", m.ID, store.ErrConflict)
	}
	if err := s.deleteChunks(ctx, m.ID); err != nil {
		return err
	}
	for start := 0; start < len(chunks); {
		end, size := start, 0
		for end < len(chunks) && (end == start || size+len(chunks[end]) <= snapshotTxBytes) {
			size += len(chunks[end])
			end++
		}
		rows := make([]map[string]any, 0, end-start)
		for i := start; i < end; i++ {
			rows = append(rows, map[string]any{"i": int64(i), "data": chunks[i]})
		}
		err := s.write(ctx, func(tx *txn) error {
			_, err := tx.run(ctx, "UNWIND $rows AS row CREATE (:RiskSnapshotChunk {snapshot: $id, i: row.i, data: row.data})",
				map[string]any{"id": m.ID, "rows": rows})
			return err
		})
		if err != nil {
			return fmt.Errorf("store chunks %d–%d of snapshot %s: %w", start, end-1, m.ID, err)
		}
		start = end
	}
	err = s.write(ctx, func(tx *txn) error {
		_, err := tx.run(ctx, "CREATE (:RiskSnapshot {id: $id, meta: $meta})", map[string]any{"id": m.ID, "meta": string(meta)})
		return err
	})
	if constraintRace(err) {
		return fmt.Errorf("snapshot %s is stored already: %w", m.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store snapshot %s: %w", m.ID, err)
	}
	return nil
}

// ListSnapshots reads every RiskSnapshot node's description.
func (s *Store) ListSnapshots(ctx context.Context) ([]store.SnapshotMeta, error) {
	out := []store.SnapshotMeta{}
	err := s.read(ctx, func(tx *txn) error {
		recs, err := tx.run(ctx, "MATCH (n:RiskSnapshot) RETURN n.meta AS meta", nil)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, r := range recs {
			var m store.SnapshotMeta
			raw, _ := rec{r}.get("meta").(string)
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				return fmt.Errorf("decode a snapshot's description: %w", err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
}

// SnapshotChunks reads the chunks a few at a time, so that a large snapshot is never held
// whole by the driver.
func (s *Store) SnapshotChunks(ctx context.Context, id string, fn func(i int, b []byte) error) error {
	var m store.SnapshotMeta
	found := false
	err := s.read(ctx, func(tx *txn) error {
		recs, err := tx.run(ctx, "MATCH (n:RiskSnapshot {id: $id}) RETURN n.meta AS meta", map[string]any{"id": id})
		if err != nil || len(recs) == 0 {
			return err
		}
		found = true
		raw, _ := rec{recs[0]}.get("meta").(string)
		return json.Unmarshal([]byte(raw), &m)
	})
	if err != nil {
		return fmt.Errorf("read snapshot %s: %w", id, err)
	}
	if !found {
		return fmt.Errorf("snapshot %s: %w", id, store.ErrNotFound)
	}
	const per = 8
	for start := 0; start < m.Chunks; start += per {
		var got [][]byte
		err := s.read(ctx, func(tx *txn) error {
			recs, err := tx.run(ctx, `MATCH (c:RiskSnapshotChunk {snapshot: $id}) WHERE c.i >= $from AND c.i < $to
				RETURN c.i AS i, c.data AS data ORDER BY c.i`, map[string]any{"id": id, "from": int64(start), "to": int64(start + per)})
			if err != nil {
				return err
			}
			got = got[:0]
			for _, r := range recs {
				b, _ := rec{r}.get("data").([]byte)
				got = append(got, b)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read chunks of snapshot %s: %w", id, err)
		}
		if want := min(per, m.Chunks-start); len(got) != want {
			return fmt.Errorf("snapshot %s: %d of chunks %d–%d stored, want %d", id, len(got), start, start+want-1, want)
		}
		for j, b := range got {
			if err := fn(start+j, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteSnapshots removes the description first (so the snapshot is gone at once), then
// its chunks.
func (s *Store) DeleteSnapshots(ctx context.Context, ids []string) error {
	err := s.write(ctx, func(tx *txn) error {
		_, err := tx.run(ctx, "MATCH (n:RiskSnapshot) WHERE n.id IN $ids DELETE n", map[string]any{"ids": ids})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete snapshots: %w", err)
	}
	for _, id := range ids {
		if err := s.deleteChunks(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// deleteChunks removes every chunk of snapshot id, a bounded number per transaction.
func (s *Store) deleteChunks(ctx context.Context, id string) error {
	for {
		var n int64
		err := s.write(ctx, func(tx *txn) error {
			recs, err := tx.run(ctx, "MATCH (c:RiskSnapshotChunk {snapshot: $id}) WITH c LIMIT 16 DELETE c RETURN count(*) AS n",
				map[string]any{"id": id})
			if err == nil {
				n, _ = rec{recs[0]}.get("n").(int64)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("delete chunks of snapshot %s: %w", id, err)
		}
		if n == 0 {
			return nil
		}
	}
}
