// Package batchfile owns the one file format for batches of facts, shared by export,
// import and the seed: a JSON object with the lists of kg.Batch, written one row per line
// in the order given (export writes id order, so two exports of one graph are identical and
// diff well), and read strictly: a field the format does not have, or a second JSON value,
// is an error rather than something silently dropped.
package batchfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"riskgraph/internal/kg"
)

// Write writes b as a JSON object with one row per line.
func Write(w io.Writer, b kg.Batch) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("{")
	err := writeRows(bw, "entities", b.Entities, "\n")
	if err == nil {
		err = writeRows(bw, "relationships", b.Relationships, ",\n")
	}
	if err == nil {
		err = writeRows(bw, "signals", b.Signals, ",\n")
	}
	if err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	return nil
}

func writeRows[T any](w *bufio.Writer, key string, rows []T, lead string) error {
	fmt.Fprintf(w, "%s%q: [", lead, key)
	for i, r := range rows {
		line, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode %s[%d]: %w", key, i, err)
		}
		if i == 0 {
			w.WriteString("\n  ")
		} else {
			w.WriteString(",\n  ")
		}
		w.Write(line)
	}
	if len(rows) > 0 {
		w.WriteString("\n")
	}
	w.WriteString("]")
	return nil
}

// Read decodes one batch from r; name says where it came from, for errors.
func Read(r io.Reader, name string) (kg.Batch, error) {
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

// ReadBytes decodes one batch held in memory.
func ReadBytes(data []byte, name string) (kg.Batch, error) {
	return Read(bytes.NewReader(data), name)
}

// ReadFile decodes the batch in the named file; "-" reads stdin.
func ReadFile(name string, stdin io.Reader) (kg.Batch, error) {
	if name == "-" {
		return Read(stdin, "standard input")
	}
	f, err := os.Open(name)
	if err != nil {
		return kg.Batch{}, err
	}
	defer f.Close()
	return Read(f, name)
}

// Join appends the rows of every batch, in order, into one.
func Join(bs ...kg.Batch) kg.Batch {
	var all kg.Batch
	for _, b := range bs {
		all.Entities = append(all.Entities, b.Entities...)
		all.Relationships = append(all.Relationships, b.Relationships...)
		all.Signals = append(all.Signals, b.Signals...)
	}
	return all
}
