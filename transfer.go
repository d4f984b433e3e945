package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// exportStore writes every stored fact, whatever its validity, as one JSON batch to c.Out
// ("-" for stdout): the file importStore reads, to move a graph from one store to another
// (say, from the embedded store to Neo4j) or to keep a copy.
func exportStore(ctx context.Context, c config, log *slog.Logger, stdout io.Writer) error {
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	b, err := s.Export(ctx)
	if err != nil {
		return err
	}
	if c.Out == "-" {
		w := bufio.NewWriter(stdout)
		if err := writeBatch(w, b); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return w.Flush()
	}
	// Write a temporary file beside the target and rename it, so a failed export never
	// leaves half a file under the name a later import reads.
	tmp, err := os.CreateTemp(filepath.Dir(c.Out), filepath.Base(c.Out)+".*.tmp")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if err := writeBatch(w, b); err != nil {
		tmp.Close()
		return fmt.Errorf("export to %s: %w", c.Out, err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("export to %s: %w", c.Out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export to %s: %w", c.Out, err)
	}
	if err := os.Rename(tmp.Name(), c.Out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	log.Info("store exported", "file", c.Out, "entities", len(b.Entities), "relationships", len(b.Relationships), "signals", len(b.Signals))
	return nil
}

// writeBatch writes b as a JSON object with one row per line, which keeps exports readable
// and their diffs small.
func writeBatch(w io.Writer, b kg.Batch) error {
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	if err := writeRows(w, "entities", b.Entities, false); err != nil {
		return err
	}
	if err := writeRows(w, "relationships", b.Relationships, true); err != nil {
		return err
	}
	if err := writeRows(w, "signals", b.Signals, true); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n}\n")
	return err
}

func writeRows[T any](w io.Writer, key string, rows []T, comma bool) error {
	sep := "\n"
	if comma {
		sep = ",\n"
	}
	if _, err := fmt.Fprintf(w, "%s%q: [", sep, key); err != nil {
		return err
	}
	for i, r := range rows {
		line, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode %s[%d]: %w", key, i, err)
		}
		lead := ",\n  "
		if i == 0 {
			lead = "\n  "
		}
		if _, err := io.WriteString(w, lead); err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	end := "]"
	if len(rows) > 0 {
		end = "\n]"
	}
	_, err := io.WriteString(w, end)
	return err
}

// importStore reads JSON batches (files written by export, or by hand in the same shape;
// "-" is stdin), joins them into one, so a relationship in one file may join entities of
// another, and writes it with store.Load. The whole input is validated before anything is
// written. Like Load it is not atomic: an endpoint that is neither in the input nor stored
// fails the import after earlier batches are written. Rows are upserts, so importing again
// after a fix finishes the job, and importing a file twice changes nothing the second time.
func importStore(ctx context.Context, c config, files []string, log *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	if len(files) == 0 {
		return fmt.Errorf("import: name the files to import (- for standard input)")
	}
	var all kg.Batch
	for _, f := range files {
		b, err := readBatch(f, stdin)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		all.Entities = append(all.Entities, b.Entities...)
		all.Relationships = append(all.Relationships, b.Relationships...)
		all.Signals = append(all.Signals, b.Signals...)
	}
	if err := all.Validate(); err != nil { // before the store opens: bad input changes nothing
		return fmt.Errorf("import: %w", err)
	}
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	res, err := store.Load(ctx, s, all, store.LoadOptions{BatchSize: c.LoadBatch, Workers: c.LoadWorkers})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	took := time.Since(start)
	log.Info("import written", "files", len(files), "created", len(res.Created), "updated", len(res.Updated),
		"unchanged", len(res.Unchanged), "took", took.Round(time.Millisecond))
	fmt.Fprintf(stdout, "created %d, updated %d, unchanged %d\n", len(res.Created), len(res.Updated), len(res.Unchanged))
	return nil
}

// readBatch decodes one JSON batch; a field the batch format does not have is an error, so a
// misspelt key is not silently dropped.
func readBatch(name string, stdin io.Reader) (kg.Batch, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return kg.Batch{}, err
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.DisallowUnknownFields()
	var b kg.Batch
	if err := dec.Decode(&b); err != nil {
		return kg.Batch{}, fmt.Errorf("read %s: %w", name, err)
	}
	if dec.More() {
		return kg.Batch{}, fmt.Errorf("read %s: more than one JSON value", name)
	}
	return b, nil
}
