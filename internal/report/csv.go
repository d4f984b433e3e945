package report

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// csvColumns are the columns WriteCSV writes, in order; its first row is this header.
var csvColumns = []string{"as_of", "dimension", "rank", "entity_id", "name", "kind", "score",
	"previous", "delta", "change", "top_source", "top_cause"}

// WriteCSV writes the report's scores as CSV with a header row (as_of, dimension, rank,
// entity_id, name, kind, score, previous, delta, change, top_source, top_cause) and one row
// per (entity, dimension): every score of the snapshot in rank order, then the dimension's
// GONE changes (score 0, no rank) in their previous rank order, dimension after dimension in
// report order.
//
// previous, delta, change and top_cause come from the entity's change in the dimension;
// previous and delta of a score that moved by less than the threshold come from the score's
// previous value, and all four are empty on a first run. top_source is the
// strongest source's entity name with its signal id in parentheses, empty without one.
// Numbers are written with 4 decimals.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	asOf := r.Snapshot.AsOf.String()
	for _, d := range r.Dimensions {
		changes := make(map[string]Change, len(d.Changes))
		var gone []Change
		for _, c := range d.Changes {
			if c.Change == Gone {
				gone = append(gone, c)
				continue
			}
			changes[c.EntityID] = c
		}
		scores := slices.Clone(d.Scores)
		slices.SortStableFunc(scores, func(a, b Score) int { return cmp.Compare(a.Rank, b.Rank) })
		slices.SortStableFunc(gone, func(a, b Change) int { return cmp.Compare(a.PreviousRank, b.PreviousRank) })

		for _, s := range scores {
			row := []string{asOf, string(d.Dimension), strconv.Itoa(s.Rank), s.EntityID, s.Name, string(s.Kind),
				csvNumber(s.Score), "", "", "", csvSource(s.TopSource), ""}
			if c, ok := changes[s.EntityID]; ok {
				csvFillChange(row, c)
			} else if s.Previous != nil {
				row[7], row[8] = csvNumber(*s.Previous), csvNumber(s.Score-*s.Previous)
			}
			row[4], row[10], row[11] = csvText(row[4]), csvText(row[10]), csvText(row[11])
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv report: %w", err)
			}
		}
		for _, c := range gone {
			row := []string{asOf, string(d.Dimension), "", c.EntityID, c.Name, string(c.Kind),
				csvNumber(0), "", "", "", "", ""}
			csvFillChange(row, c)
			row[4], row[11] = csvText(row[4]), csvText(row[11])
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv report: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

// csvFillChange sets the previous, delta, change and top_cause cells of row from c.
func csvFillChange(row []string, c Change) {
	row[7] = csvNumber(c.Previous)
	row[8] = csvNumber(c.Delta)
	row[9] = string(c.Change)
	if len(c.Causes) > 0 {
		row[11] = c.Causes[0].Summary
	}
}

// csvText keeps a spreadsheet from reading a name as a formula: text that starts with
// = + - @ or a tab or carriage return gets a leading apostrophe (OWASP's advice on CSV
// injection).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvNumber writes x with 4 decimals, never as "-0.0000".
func csvNumber(x float64) string {
	s := strconv.FormatFloat(x, 'f', 4, 64)
	if s == "-0.0000" {
		return "0.0000"
	}
	return s
}

// csvSource names a risk source by its entity's name, with the signal id in parentheses.
func csvSource(s *SourceRef) string {
	if s == nil {
		return ""
	}
	return s.EntityName + " (" + s.SignalID + ")"
}
