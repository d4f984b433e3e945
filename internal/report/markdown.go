package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"riskgraph/internal/kg"
)

// pendingShown is how many pending party ids an obligation row names before it only counts.
const pendingShown = 3

// mdCauseWords says each kind of cause in words, for people.
var mdCauseWords = map[CauseKind]string{
	FactBegan:     "Relationship began",
	FactEnded:     "Relationship ended",
	SignalAdded:   "Signal added",
	SignalEnded:   "Signal ended",
	FactRecorded:  "Fact recorded",
	ModelChanged:  "Model changed",
	SourceShifted: "Source shifted",
}

// WriteMarkdown writes the report as Markdown for chat and mail: a title with the dates and
// the model version; per dimension the top biggest movers with their causes and the top
// highest scores; the obligations due soon and overdue; and the data-quality counts with the
// facts listed. top <= 0 shows every mover and every score. It returns the first error of w.
func WriteMarkdown(w io.Writer, r Report, top int) error {
	m := &mdWriter{w: w}
	mdHeader(m, r)
	for _, d := range r.Dimensions {
		mdDimension(m, r, d, top)
	}
	mdObligations(m, r)
	mdQuality(m, r.Quality)
	if m.err != nil {
		return fmt.Errorf("write markdown report: %w", m.err)
	}
	return nil
}

// mdWriter writes through to w and keeps the first error; once one happens it writes no more.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err != nil {
		return
	}
	_, m.err = fmt.Fprintf(m.w, format, args...)
}

func (m *mdWriter) line(s string) { m.printf("%s\n", s) }

// row writes one table row of cells, which must already be escaped.
func (m *mdWriter) row(cells ...string) { m.line("| " + strings.Join(cells, " | ") + " |") }

func mdHeader(m *mdWriter, r Report) {
	m.printf("# Risk report %s\n\n", mdDate(r.Snapshot.AsOf))
	if r.Previous == nil {
		m.printf("First run: there is no previous snapshot, so there is nothing to compare with and no changes are listed. Model %s.\n\n",
			mdText(r.Snapshot.ModelVersion))
		return
	}
	model := "model " + mdText(r.Snapshot.ModelVersion)
	if r.Previous.ModelVersion != r.Snapshot.ModelVersion {
		model += " (the previous snapshot used " + mdText(r.Previous.ModelVersion) + ")"
	}
	m.printf("Compared with %s, %s. Changes of at least %s are listed.\n\n",
		mdDate(r.Previous.AsOf), model, mdNumber(r.Threshold))
}

func mdDimension(m *mdWriter, r Report, d DimensionReport, top int) {
	m.printf("## %s\n\n", mdText(string(d.Dimension)))

	m.line("### Biggest movers")
	m.line("")
	switch {
	case r.Previous == nil:
		m.line("Nothing to compare with on a first run.")
		m.line("")
	case len(d.Changes) == 0:
		m.printf("No score moved by %s or more.\n\n", mdNumber(r.Threshold))
	default:
		movers := mdFirst(d.Changes, top)
		if len(movers) < len(d.Changes) {
			m.printf("The %d biggest of %d changes.\n\n", len(movers), len(d.Changes))
		}
		m.row("Change", "Entity", "Previous → score", "Delta")
		m.row("---", "---", "---:", "---:")
		for _, c := range movers {
			m.row(string(c.Change), mdEntity(c.Name, c.EntityID),
				mdNumber(c.Previous)+" → "+mdNumber(c.Score), mdSigned(c.Delta))
		}
		m.line("")
		for _, c := range movers {
			mdCauses(m, c)
		}
	}

	m.line("### Highest scores")
	m.line("")
	if len(d.Scores) == 0 {
		m.line("No entity has a score in this dimension.")
		m.line("")
		return
	}
	// Scores come in rank order; sort a copy anyway, as WriteCSV does, so both agree.
	ranked := slices.Clone(d.Scores)
	slices.SortStableFunc(ranked, func(a, b Score) int { return cmp.Compare(a.Rank, b.Rank) })
	scores := mdFirst(ranked, top)
	if len(scores) < len(d.Scores) {
		m.printf("The top %d of %d scores.\n\n", len(scores), len(d.Scores))
	}
	m.row("Rank", "Entity", "Kind", "Score", "Intrinsic", "Propagated", "Top source")
	m.row("---:", "---", "---", "---:", "---:", "---:", "---")
	for _, s := range scores {
		m.row(strconv.Itoa(s.Rank), mdEntity(s.Name, s.EntityID), mdCell(string(s.Kind)),
			mdNumber(s.Score), mdNumber(s.Intrinsic), mdNumber(s.Propagated), mdTopSource(s.TopSource))
	}
	m.line("")
}

// mdCauses writes one mover's causes as a bulleted list under its name.
func mdCauses(m *mdWriter, c Change) {
	m.printf("%s, %s:\n\n", mdEntityText(c.Name, c.EntityID), string(c.Change))
	if len(c.Causes) == 0 {
		m.line("- No cause found.")
		m.line("")
		return
	}
	for _, k := range c.Causes {
		words, ok := mdCauseWords[k.Kind]
		if !ok {
			words = string(k.Kind)
		}
		b := strings.Builder{}
		b.WriteString("- " + words + ": " + mdText(k.Summary))
		if !k.Date.IsZero() && !strings.Contains(k.Summary, k.Date.String()) {
			b.WriteString(" (" + k.Date.String() + ")")
		}
		b.WriteString(", " + mdSigned(k.Delta))
		if len(k.Sources) > 0 {
			cites := make([]string, len(k.Sources))
			for i, s := range k.Sources {
				cites[i] = mdText(s.Name)
				if !s.Published.IsZero() {
					cites[i] += " (published " + s.Published.String() + ")"
				}
				if s.Disputes {
					cites[i] += ", disputes it"
				}
			}
			b.WriteString(". Sources: " + strings.Join(cites, "; "))
		} else {
			b.WriteString(". No source cited")
		}
		b.WriteString(".")
		m.line(b.String())
	}
	m.line("")
}

func mdObligations(m *mdWriter, r Report) {
	m.line("## Obligations")
	m.line("")
	var soon, overdue []ObligationItem
	for _, o := range r.Obligations {
		if o.Status == Overdue {
			overdue = append(overdue, o)
		} else {
			soon = append(soon, o)
		}
	}
	m.printf("### Due in the next %d days\n\n", r.DueWindowDays)
	mdObligationTable(m, soon)
	m.line("### Overdue")
	m.line("")
	mdObligationTable(m, overdue)
}

func mdObligationTable(m *mdWriter, items []ObligationItem) {
	if len(items) == 0 {
		m.line("None.")
		m.line("")
		return
	}
	m.row("Due", "Days", "Rule", "Title", "Pending", "Met")
	m.row("---", "---:", "---", "---", "---", "---:")
	for _, o := range items {
		var days string
		switch {
		case o.DaysUntilDue < 0:
			days = strconv.Itoa(-o.DaysUntilDue) + " overdue"
		case o.DaysUntilDue == 0:
			days = "today"
		default:
			days = "in " + strconv.Itoa(o.DaysUntilDue)
		}
		pending := strconv.Itoa(len(o.Pending))
		if len(o.Pending) > 0 {
			ids := make([]string, 0, pendingShown)
			for _, id := range mdFirst(o.Pending, pendingShown) {
				ids = append(ids, mdCodeCell(id))
			}
			pending += ": " + strings.Join(ids, ", ")
			if more := len(o.Pending) - len(ids); more > 0 {
				pending += fmt.Sprintf(" and %d more", more)
			}
		}
		m.row(mdDate(o.Due), days, mdCell(o.RuleName), mdCell(o.Title), pending, strconv.Itoa(o.Met))
	}
	m.line("")
}

func mdQuality(m *mdWriter, q Quality) {
	m.line("## Data quality")
	m.line("")
	mdFacts(m, "Unsourced facts", q.UnsourcedCount, q.Unsourced)
	mdFacts(m, "Inferred links", q.InferredCount, q.Inferred)
	mdFacts(m, "Disputed facts", q.DisputedCount, q.Disputed)
	mdFacts(m, fmt.Sprintf("Sources older than %d days", q.StaleAfterDays), q.StaleSourcesCount, q.StaleSources)
	m.line("")
}

// mdFacts writes one data-quality count as a bullet, with the listed facts under it.
func mdFacts(m *mdWriter, what string, count int, facts []FactRef) {
	m.printf("- %s: %d\n", what, count)
	for _, f := range facts {
		s := "  - " + mdCode(f.ID) + " (" + mdText(f.Kind) + ")"
		if f.Summary != "" {
			s += " " + mdText(f.Summary)
		}
		if !f.Date.IsZero() {
			s += ", " + f.Date.String()
		}
		m.line(s)
	}
	if more := count - len(facts); more > 0 {
		m.printf("  - and %d more not listed\n", more)
	}
}

// mdFirst returns the first n items of s, or all of them when n <= 0 or s is shorter.
func mdFirst[T any](s []T, n int) []T {
	if n <= 0 || n >= len(s) {
		return s
	}
	return s[:n]
}

// mdNumber writes x with 4 decimals, never as "-0.0000".
func mdNumber(x float64) string { return csvNumber(x) }

// mdSigned writes x with 4 decimals and a sign.
func mdSigned(x float64) string {
	s := mdNumber(x)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func mdDate(d kg.Date) string {
	if d.IsZero() {
		return "no date"
	}
	return d.String()
}

// mdTopSource names a score's top source by its entity's name, and how far away it is.
func mdTopSource(s *SourceRef) string {
	if s == nil {
		return "—"
	}
	switch s.Hops {
	case 0:
		return mdCell(s.EntityName) + " (intrinsic)"
	case 1:
		return mdCell(s.EntityName) + " (1 hop)"
	default:
		return mdCell(s.EntityName) + " (" + strconv.Itoa(s.Hops) + " hops)"
	}
}

// mdEntity writes an entity as its name followed by its id in code, escaped for a table cell.
func mdEntity(name, id string) string { return mdCell(name) + " (" + mdCodeCell(id) + ")" }

// mdEntityText is mdEntity for running text, outside a table.
func mdEntityText(name, id string) string { return mdText(name) + " (" + mdCode(id) + ")" }

// mdText makes user text safe in running text and table cells: one line (a line break would
// end a list item or table row), and no tag a mail client would render (< and > escaped;
// quotes and & stay readable in plain-text chat).
func mdText(s string) string {
	return mdAngles.Replace(mdInline(s))
}

var mdAngles = strings.NewReplacer("<", "&lt;", ">", "&gt;")

// mdInline flattens user text onto one line: line breaks would end a list item or table row.
func mdInline(s string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

// mdCell makes user text safe in a table cell: one line, and no bare | to split the cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", `\|`)
}

// mdCode writes s on one line as a code span, fenced by more backticks than any run in s.
func mdCode(s string) string {
	s = mdInline(s)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdCodeCell is mdCode for a table cell: GitHub-flavoured Markdown splits cells at a bare |
// even inside a code span, and takes \| there as a literal |.
func mdCodeCell(s string) string { return strings.ReplaceAll(mdCode(s), "|", `\|`) }
