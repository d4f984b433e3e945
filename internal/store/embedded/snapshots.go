package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"riskgraph/internal/store"
)

var snapshotMetaKey = []byte("meta")

// PutSnapshot stores the snapshot in one file transaction.
func (s *Store) PutSnapshot(ctx context.Context, m store.SnapshotMeta, chunks [][]byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode snapshot %s: %w", m.ID, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketSnapshots).CreateBucket([]byte(m.ID))
		if errors.Is(err, bolt.ErrBucketExists) {
			return fmt.Errorf("snapshot %s is stored already: %w", m.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		for i, c := range chunks {
			if err := b.Put(binary.BigEndian.AppendUint32(nil, uint32(i)), c); err != nil {
				return err
			}
		}
		return b.Put(snapshotMetaKey, meta)
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("store snapshot %s: %w", m.ID, err)
	}
	return err
}

// ListSnapshots reads every snapshot's description.
func (s *Store) ListSnapshots(ctx context.Context) ([]store.SnapshotMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := []store.SnapshotMeta{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSnapshots).ForEachBucket(func(k []byte) error {
			var m store.SnapshotMeta
			if err := json.Unmarshal(tx.Bucket(bucketSnapshots).Bucket(k).Get(snapshotMetaKey), &m); err != nil {
				return fmt.Errorf("decode snapshot %s: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
}

// SnapshotChunks reads the chunks inside one file read transaction.
func (s *Store) SnapshotChunks(ctx context.Context, id string, fn func(i int, b []byte) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSnapshots).Bucket([]byte(id))
		if b == nil {
			return fmt.Errorf("snapshot %s: %w", id, store.ErrNotFound)
		}
		var m store.SnapshotMeta
		if err := json.Unmarshal(b.Get(snapshotMetaKey), &m); err != nil {
			return fmt.Errorf("decode snapshot %s: %w", id, err)
		}
		for i := range m.Chunks {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(i, b.Get(binary.BigEndian.AppendUint32(nil, uint32(i)))); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteSnapshots removes the snapshots' buckets in one file transaction.
func (s *Store) DeleteSnapshots(ctx context.Context, ids []string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			if err := tx.Bucket(bucketSnapshots).DeleteBucket([]byte(id)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete snapshots: %w", err)
	}
	return nil
}
