package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report in the layout docs/report.schema.json describes, indented by
// two spaces, except that each row of the long lists (each dimension's scores and changes)
// is one compact line: such a file greps and diffs a row at a time, and indenting a
// million rows was most of the cost of writing it (at 1M entities, 4 of 7 CPU-seconds). The
// rows are written one by one, so a report of millions of scores never sits in memory as
// one encoded value.
func WriteJSON(w io.Writer, r Report) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := writeJSON(bw, r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func writeJSON(w *bufio.Writer, r Report) error {
	head := r
	head.Dimensions = nil
	err := spliced(w, head, "", []splice{{"dimensions", func(prefix string) error {
		return writeList(w, r.Dimensions, prefix, func(d DimensionReport, prefix string) error {
			rest := d
			rest.Scores, rest.Changes = nil, nil
			return spliced(w, rest, prefix, []splice{
				{"scores", func(prefix string) error { return writeList(w, d.Scores, prefix, marshalInto[Score](w)) }},
				{"changes", func(prefix string) error { return writeList(w, d.Changes, prefix, marshalInto[Change](w)) }},
			})
		})
	}}})
	if err != nil {
		return err
	}
	return w.WriteByte('\n')
}

// splice is a field of an object written by its own function instead of by encoding/json.
type splice struct {
	field string
	write func(prefix string) error
}

// spliced writes v, an object whose spliced fields are nil, indented as MarshalIndent(v,
// prefix, "  ") would, with each spliced field's null replaced by what its function writes.
// No string in the encoding holds a raw newline or quote, so the field's line is found only
// where encoding/json wrote it.
func spliced(w *bufio.Writer, v any, prefix string, fields []splice) error {
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		return err
	}
	inner := prefix + "  "
	for _, f := range fields {
		key := []byte("\n" + inner + `"` + f.field + `": `)
		before, after, ok := bytes.Cut(b, append(key, "null"...))
		if !ok {
			return fmt.Errorf("field %s not found in its object", f.field)
		}
		w.Write(before)
		w.Write(key)
		if err := f.write(inner); err != nil {
			return err
		}
		b = after
	}
	_, err = w.Write(b)
	return err
}

// writeList writes rows as a JSON array whose closing bracket is indented by prefix, each
// row by write, as encoding/json indents a list: null when nil, [] when empty.
func writeList[T any](w *bufio.Writer, rows []T, prefix string, write func(row T, prefix string) error) error {
	switch {
	case rows == nil:
		_, err := w.WriteString("null")
		return err
	case len(rows) == 0:
		_, err := w.WriteString("[]")
		return err
	}
	w.WriteByte('[')
	inner := prefix + "  "
	sep := "\n" + inner
	for i, row := range rows {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(sep)
		if err := write(row, inner); err != nil {
			return err
		}
	}
	_, err := w.WriteString("\n" + prefix + "]")
	return err
}

// marshalInto writes one row with encoding/json, compact, on one line. One encoder and its
// buffer serve every row of a list, so a list of a million rows does not allocate a buffer
// per row.
func marshalInto[T any](w *bufio.Writer) func(row T, prefix string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	return func(row T, _ string) error {
		buf.Reset()
		if err := enc.Encode(row); err != nil {
			return err
		}
		_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) // Encode ends the value with a newline
		return err
	}
}
