package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
)

// readCSV renders r with WriteCSV and reads it back, so quoting is checked too.
func readCSV(t *testing.T, r Report) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("read the CSV back: %v\n%s", err, b.String())
	}
	if len(rows) == 0 {
		t.Fatal("no rows at all")
	}
	return rows
}

var wantHeader = []string{"as_of", "dimension", "rank", "entity_id", "name", "kind", "score",
	"previous", "delta", "change", "top_source", "top_cause"}

func TestCSVSample(t *testing.T) {
	rows := readCSV(t, sampleReport())
	if !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("header %q, want %q", rows[0], wantHeader)
	}
	want := [][]string{
		{"2017-12-31", "REGULATORY", "1", "vendor:kaspersky-lab", "Kaspersky Lab", "Vendor", "0.9000", "", "", "", "BOD 17-01 (signal:bod-17-01-ban)", ""},
		{"2017-12-31", "REGULATORY", "2", "product:kaspersky-anti-virus", "Kaspersky Anti-Virus", "Product", "0.8100", "0.0000", "0.8100", "NEW", "BOD 17-01 (signal:bod-17-01-ban)", "BOD 17-01 signal began"},
		{"2017-12-31", "REGULATORY", "3", "agency:dhs", "Department of Homeland Security", "Agency", "0.6150", "", "", "", "BOD 17-01 (signal:bod-17-01-ban)", ""},
		{"2017-12-31", "REPUTATIONAL", "1", "vendor:kaspersky-lab", "Kaspersky Lab", "Vendor", "0.4000", "", "", "", "Kaspersky Lab (signal:kaspersky-press)", ""},
		{"2017-12-31", "REPUTATIONAL", "", "retailer:best-buy", "Best Buy", "Retailer", "0.0000", "0.3000", "-0.3000", "GONE", "", "Best Buy SELLS Kaspersky Anti-Virus ended"},
	}
	got := rows[1:]
	if len(got) != len(want) {
		t.Fatalf("%d data rows, want %d (4 scores and 1 GONE change):\n%q", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
}

// orderReport has, in one dimension, scores out of rank order, a score that moved by less
// than the threshold, an UP change, and two GONE changes listed out of previous-rank order.
func orderReport() Report {
	r := sampleReport()
	src := &SourceRef{SignalID: "signal:s", EntityID: "vendor:src", EntityName: "Source Vendor", Strength: 0.5, Hops: 1}
	r.Dimensions = []DimensionReport{
		{Dimension: "SANCTIONS",
			Scores: []Score{
				{EntityID: "vendor:b", Name: "B", Kind: "Vendor", Rank: 2, Score: 0.123456, Propagated: 0.123456, TopSource: src},
				{EntityID: "vendor:a", Name: "A", Kind: "Vendor", Rank: 1, Score: 0.55556, Intrinsic: 0.55556},
				{EntityID: "vendor:c", Name: "C", Kind: "Vendor", Rank: 3, Score: 1.0 / 3, Propagated: 1.0 / 3, TopSource: src},
			},
			Changes: []Change{
				{EntityID: "vendor:y", Name: "Y", Kind: "Vendor", Dimension: "SANCTIONS", Change: Gone, Previous: 0.6, Delta: -0.6, PreviousRank: 1,
					Causes: []Cause{{Kind: SignalEnded, Summary: "Y signal ended"}, {Kind: FactRecorded, Summary: "second cause"}}},
				{EntityID: "vendor:b", Name: "B", Kind: "Vendor", Dimension: "SANCTIONS", Change: Up, Previous: 0.1, Score: 0.123456, Delta: 0.023456, Rank: 2, PreviousRank: 4,
					Causes: []Cause{{Kind: FactBegan, Summary: "B OWNS Z began"}}},
				{EntityID: "vendor:x", Name: "X", Kind: "Product", Dimension: "SANCTIONS", Change: Gone, Previous: 0.2, Delta: -0.2, PreviousRank: 3,
					Causes: []Cause{}},
			}},
		{Dimension: "OPERATIONAL", Scores: []Score{}, Changes: []Change{}},
		{Dimension: "FOREIGN_INFLUENCE",
			Scores: []Score{{EntityID: "vendor:a", Name: "A", Kind: "Vendor", Rank: 1, Score: 0.00004}},
			Changes: []Change{
				{EntityID: "vendor:z", Name: "Z", Kind: "Vendor", Dimension: "FOREIGN_INFLUENCE", Change: Gone, Previous: 0.05, Delta: -0.05, PreviousRank: 1, Causes: []Cause{}},
			}},
	}
	return r
}

func TestCSVOrderAndRounding(t *testing.T) {
	rows := readCSV(t, orderReport())[1:]
	col := func(name string) int { return slices.Index(wantHeader, name) }
	var keys []string
	for _, row := range rows {
		keys = append(keys, row[col("dimension")]+"/"+row[col("rank")]+"/"+row[col("entity_id")])
	}
	// Dimensions in report order; ranks ascending; GONE rows (no rank) last, by previous rank.
	wantKeys := []string{
		"SANCTIONS/1/vendor:a", "SANCTIONS/2/vendor:b", "SANCTIONS/3/vendor:c",
		"SANCTIONS//vendor:y", "SANCTIONS//vendor:x",
		"FOREIGN_INFLUENCE/1/vendor:a", "FOREIGN_INFLUENCE//vendor:z",
	}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("row order\n got %q\nwant %q", keys, wantKeys)
	}
	checks := []struct {
		row       int
		column    string
		want      string
		rationale string
	}{
		{0, "score", "0.5556", "rounded up to 4 decimals"},
		{1, "score", "0.1235", "rounded to 4 decimals"},
		{2, "score", "0.3333", "a third to 4 decimals"},
		{5, "score", "0.0000", "a tiny score to 4 decimals"},
		{1, "previous", "0.1000", "UP change carries the previous score"},
		{1, "delta", "0.0235", "UP change carries the delta, rounded"},
		{1, "change", "UP", "UP change"},
		{1, "top_cause", "B OWNS Z began", "the change's first cause"},
		{1, "top_source", "Source Vendor (signal:s)", "top source by entity name, signal id in parentheses"},
		{0, "top_source", "", "no top source"},
		{2, "previous", "", "a move below the threshold is unknown from the report"},
		{2, "delta", "", "a move below the threshold is unknown from the report"},
		{2, "change", "", "a move below the threshold lists no change"},
		{2, "top_cause", "", "unchanged: no cause"},
		{3, "score", "0.0000", "GONE scores 0"},
		{3, "previous", "0.6000", "GONE keeps the previous score"},
		{3, "delta", "-0.6000", "GONE delta is minus the previous score"},
		{3, "change", "GONE", "GONE change"},
		{3, "kind", "Vendor", "GONE row takes the kind from the change"},
		{3, "top_cause", "Y signal ended", "only the first cause"},
		{4, "kind", "Product", "GONE row takes the kind from the change"},
		{4, "top_cause", "", "a change without causes"},
		{6, "delta", "-0.0500", "GONE in a later dimension"},
	}
	for _, c := range checks {
		if got := rows[c.row][col(c.column)]; got != c.want {
			t.Errorf("row %s, %s = %q, want %q (%s)", keys[c.row], c.column, got, c.want, c.rationale)
		}
	}
	for _, row := range rows {
		if len(row) != len(wantHeader) {
			t.Errorf("row %q has %d cells, want %d", row, len(row), len(wantHeader))
		}
		if row[col("as_of")] != "2017-12-31" {
			t.Errorf("row %q: as_of %q, want 2017-12-31", row, row[col("as_of")])
		}
	}
}

func TestCSVFirstRun(t *testing.T) {
	r := sampleReport()
	r.Previous = nil
	for i := range r.Dimensions {
		r.Dimensions[i].Changes = []Change{}
	}
	rows := readCSV(t, r)[1:]
	if len(rows) != 4 {
		t.Fatalf("%d data rows on a first run, want one per score (4)", len(rows))
	}
	for _, row := range rows {
		if got := row[7:10]; !slices.Equal(got, []string{"", "", ""}) {
			t.Errorf("first run row %q: previous, delta, change = %q, want all empty", row, got)
		}
		if row[11] != "" {
			t.Errorf("first run row %q: top_cause %q, want empty", row, row[11])
		}
	}
}

func TestCSVQuotesUserData(t *testing.T) {
	r := sampleReport()
	hostile := "Evil, \"Corp\"\nLine two"
	r.Dimensions[0].Scores[0].Name = hostile
	r.Dimensions[0].Scores[0].TopSource.EntityName = "Src, Inc."
	rows := readCSV(t, r)
	if got := rows[1][4]; got != hostile {
		t.Errorf("name read back as %q, want %q", got, hostile)
	}
	if got := rows[1][10]; got != "Src, Inc. (signal:bod-17-01-ban)" {
		t.Errorf("top source read back as %q", got)
	}
	if len(rows) != 6 {
		t.Errorf("%d rows, want 6: the quoted line break must not start a row", len(rows))
	}
}

// failingWriter accepts n bytes, then fails every write.
type failingWriter struct {
	n      int
	writes int // writes attempted after the first failure
	failed bool
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.failed {
		f.writes++
		return 0, errDiskFull
	}
	if len(p) <= f.n {
		f.n -= len(p)
		return len(p), nil
	}
	f.failed = true
	k := f.n
	f.n = 0
	return k, errDiskFull
}

func TestCSVWriteError(t *testing.T) {
	for _, n := range []int{0, 10, 200} {
		err := WriteCSV(&failingWriter{n: n}, orderReport())
		if !errors.Is(err, errDiskFull) {
			t.Errorf("after %d bytes: error %v, want it to wrap %v", n, err, errDiskFull)
		}
		if err != nil && !strings.Contains(err.Error(), "csv") {
			t.Errorf("error %q does not say what was being written", err)
		}
	}
}
