package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"riskgraph/internal/kg"
)

// SnapshotMeta describes a stored risk snapshot: the scores of one whole-graph pass, kept
// so that a later run, a replica or a client can compare against them. The scores
// themselves are opaque chunks to the store; package service encodes them.
type SnapshotMeta struct {
	ID           string    // "snapshot:" + as-of date + ":" + a unique suffix
	AsOf         kg.Date   // the date scored
	KnownAt      kg.Stamp  // the recorded time the facts were read at
	ModelVersion string    // the risk model that scored them
	CreatedAt    time.Time // when the snapshot was stored (UTC, to the microsecond)
	CreatedBy    string    // the writer: an API key's name, or "local"
	Scores       int       // non-zero (entity, dimension) scores held
	Chunks       int       // how many chunks hold them
}

// Limits of a snapshot.
const (
	MaxSnapshotChunk  = 16 << 20 // largest chunk, in bytes
	MaxSnapshotChunks = 10_000
)

var snapshotID = regexp.MustCompile(`^snapshot:\d{4}-\d{2}-\d{2}:[A-Za-z0-9._-]{1,64}$`)

// ValidSnapshotID reports whether id has the form of a snapshot id.
func ValidSnapshotID(id string) bool { return snapshotID.MatchString(id) }

// Snapshots is the part of a store that keeps risk snapshots. They are derived data, not
// facts: a snapshot is written once, whole, and may be deleted by retention.
type Snapshots interface {
	// PutSnapshot stores a snapshot and its chunks atomically: readers see all of it or
	// nothing. An id already stored is ErrConflict.
	PutSnapshot(ctx context.Context, m SnapshotMeta, chunks [][]byte) error
	// ListSnapshots returns every stored snapshot's description, in no particular order.
	ListSnapshots(ctx context.Context) ([]SnapshotMeta, error)
	// SnapshotChunks calls fn with each chunk of snapshot id in order; an unknown id is
	// ErrNotFound. fn must not keep b after it returns.
	SnapshotChunks(ctx context.Context, id string, fn func(i int, b []byte) error) error
	// DeleteSnapshots removes these snapshots and their chunks; unknown ids are ignored.
	DeleteSnapshots(ctx context.Context, ids []string) error
}

// PutSnapshot checks the description and chunks, then stores them.
func (c *Checked) PutSnapshot(ctx context.Context, m SnapshotMeta, chunks [][]byte) error {
	switch {
	case !ValidSnapshotID(m.ID):
		return kg.Invalid("id", "snapshot id %q is not of the form snapshot:YYYY-MM-DD:suffix", m.ID)
	case m.AsOf == 0 || m.ID[len("snapshot:"):len("snapshot:")+10] != m.AsOf.String():
		return kg.Invalid("asOf", "snapshot %s must carry the date of its id", m.ID)
	case m.CreatedAt.IsZero() || m.CreatedBy == "" || m.ModelVersion == "":
		return kg.Invalid("snapshot", "snapshot %s needs its creation time, writer and model version", m.ID)
	case m.Scores < 0 || len(chunks) > MaxSnapshotChunks || m.Chunks != len(chunks):
		return kg.Invalid("chunks", "snapshot %s: %d chunks (meta says %d; at most %d)", m.ID, len(chunks), m.Chunks, MaxSnapshotChunks)
	}
	for i, b := range chunks {
		if len(b) > MaxSnapshotChunk {
			return kg.Invalid(fmt.Sprintf("chunks[%d]", i), "snapshot chunk of %d bytes is over %d", len(b), MaxSnapshotChunk)
		}
	}
	m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Microsecond)
	return c.s.PutSnapshot(ctx, m, chunks)
}

// ListSnapshots returns every stored snapshot's description.
func (c *Checked) ListSnapshots(ctx context.Context) ([]SnapshotMeta, error) {
	return c.s.ListSnapshots(ctx)
}

// SnapshotChunks checks the id, then streams the chunks.
func (c *Checked) SnapshotChunks(ctx context.Context, id string, fn func(i int, b []byte) error) error {
	if !ValidSnapshotID(id) {
		return kg.Invalid("id", "snapshot id %q is not of the form snapshot:YYYY-MM-DD:suffix", id)
	}
	return c.s.SnapshotChunks(ctx, id, fn)
}

// DeleteSnapshots checks the ids, then deletes.
func (c *Checked) DeleteSnapshots(ctx context.Context, ids []string) error {
	ids, err := checkIDsOf("ids", ids, ValidSnapshotID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return c.s.DeleteSnapshots(ctx, ids)
}
