// Package seed owns the seed dataset of riskgraph: the Kaspersky Lab / BOD 17-01 case as
// JSON data files embedded in the binary, and the loader that checks and writes them.
package seed

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"

	"riskgraph/internal/batchfile"
	"riskgraph/internal/kg"
)

//go:embed data/*.json
var files embed.FS

// Load reads every data file in name order (strictly, as riskgraph import reads its files),
// merges them into one batch and validates it:
// each row on its own (kg.Batch.Validate), and every relationship endpoint, signal entity
// and cited source must be an entity of the seed.
func Load() (kg.Batch, error) {
	names, err := fs.Glob(files, "data/*.json")
	if err != nil {
		return kg.Batch{}, fmt.Errorf("seed: list data files: %w", err)
	}
	slices.Sort(names)
	var all kg.Batch
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return kg.Batch{}, fmt.Errorf("seed: read %s: %w", name, err)
		}
		b, err := batchfile.ReadBytes(raw, name)
		if err != nil {
			return kg.Batch{}, fmt.Errorf("seed: %w", err)
		}
		all = batchfile.Join(all, b)
	}
	if err := all.Validate(); err != nil {
		return kg.Batch{}, fmt.Errorf("seed: %w", err)
	}
	if err := checkReferences(all); err != nil {
		return kg.Batch{}, fmt.Errorf("seed: %w", err)
	}
	return all, nil
}

// checkReferences reports the first id that a row of b uses but no entity of b has.
func checkReferences(b kg.Batch) error {
	ids := make(map[string]bool, len(b.Entities))
	for _, e := range b.Entities {
		ids[e.ID] = true
	}
	cites := func(field string, cs []kg.Citation) error {
		for i, c := range cs {
			if !ids[c.SourceID] {
				return kg.Invalid(fmt.Sprintf("%s[%d].source", field, i), "source %q is not in the seed", c.SourceID)
			}
		}
		return nil
	}
	for i, e := range b.Entities {
		f := fmt.Sprintf("entities[%d]", i)
		if err := cites(f+".sources", e.Sources); err != nil {
			return err
		}
		for j, o := range e.Obligations {
			if err := cites(fmt.Sprintf("%s.obligations[%d].sources", f, j), o.Sources); err != nil {
				return err
			}
		}
	}
	for i, r := range b.Relationships {
		f := fmt.Sprintf("relationships[%d]", i)
		if !ids[r.From] {
			return kg.Invalid(f+".from", "entity %q is not in the seed", r.From)
		}
		if !ids[r.To] {
			return kg.Invalid(f+".to", "entity %q is not in the seed", r.To)
		}
		if err := cites(f+".sources", r.Sources); err != nil {
			return err
		}
	}
	for i, g := range b.Signals {
		f := fmt.Sprintf("signals[%d]", i)
		if !ids[g.EntityID] {
			return kg.Invalid(f+".entity", "entity %q is not in the seed", g.EntityID)
		}
		if err := cites(f+".sources", g.Sources); err != nil {
			return err
		}
	}
	return nil
}

// Writer is what Apply writes the seed with: the service.
type Writer interface {
	Apply(ctx context.Context, b kg.Batch) (kg.WriteResult, error)
}

// Apply loads the seed and writes it with w in one batch. Writing it again changes nothing.
// Every row is written as a correction: a store seeded by an earlier release takes the
// seed's current content (each changed fact recorded as corrected, its earlier record kept).
func Apply(ctx context.Context, w Writer) (kg.WriteResult, error) {
	b, err := Load()
	if err != nil {
		return kg.WriteResult{}, err
	}
	b.Corrections = rowIDs(b)
	res, err := w.Apply(ctx, b)
	if err != nil {
		return kg.WriteResult{}, fmt.Errorf("seed: apply: %w", err)
	}
	return res, nil
}

// rowIDs lists the id of every row of b.
func rowIDs(b kg.Batch) []string {
	ids := make([]string, 0, len(b.Entities)+len(b.Relationships)+len(b.Signals))
	for _, e := range b.Entities {
		ids = append(ids, e.ID)
	}
	for _, r := range b.Relationships {
		ids = append(ids, r.ID())
	}
	for _, g := range b.Signals {
		ids = append(ids, g.ID)
	}
	return ids
}
