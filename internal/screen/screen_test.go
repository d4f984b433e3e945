package screen

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/seed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The screening date of the tests: BOD 17-01 in force, its first deadline not yet passed.
const testDate = kg.Date(20171001)

const testOrg = "organization:us-department-of-state"

func seeded(t testing.TB) *service.Service {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	t.Cleanup(func() { svc.Close() })
	if _, err := seed.Apply(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	return svc
}

func readFile(t *testing.T, path string) []Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func render(t *testing.T, rep *Report) (csvOut, jsonOut []byte) {
	t.Helper()
	var c, j bytes.Buffer
	if err := WriteCSV(&c, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&j, rep); err != nil {
		t.Fatal(err)
	}
	return c.Bytes(), j.Bytes()
}

// TestGolden screens testdata/suppliers.csv on the seed; -update rewrites the golden files.
func TestGolden(t *testing.T) {
	svc := seeded(t)
	rows := readFile(t, "testdata/suppliers.csv")
	rep, err := Run(t.Context(), svc, rows, Options{At: service.AsOf(testDate), Organization: testOrg, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, j := render(t, rep)
	for name, got := range map[string][]byte{"suppliers.golden.csv": c, "suppliers.golden.json": j} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to write it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, got)
		}
	}
}

// cells reads a CSV output into records keyed by column name.
func cells(t *testing.T, out []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func TestEveryRowIsReported(t *testing.T) {
	svc := seeded(t)
	rows := readFile(t, "testdata/suppliers.csv")
	rep, err := Run(t.Context(), svc, rows, Options{At: service.AsOf(testDate), Organization: testOrg, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := render(t, rep)
	got := cells(t, c)
	if len(got) != len(rows) {
		t.Fatalf("%d rows in, %d out", len(rows), len(got))
	}
	byName := map[string]map[string]string{}
	for i, r := range got {
		if r["line"] != fmt.Sprint(rows[i].Line) {
			t.Errorf("row %d has line %s, want %d: rows out of order", i, r["line"], rows[i].Line)
		}
		byName[r["input_name"]+r["input_id"]] = r
	}
	tests := []struct {
		row, verdict, id, runnerUp string
		exposed, err               bool
	}{
		{"Kaspersky Labs", "MATCH", "vendor:kaspersky-lab", "", true, false},
		{"kasperski", "MATCH", "vendor:kaspersky-lab", "", true, false},
		{"Касперский", "MATCH", "vendor:kaspersky-lab", "", true, false},
		{"bestbuy", "MATCH", "retailer:best-buy", "", true, false},
		{"Office Depo", "MATCH", "retailer:office-depot", "", true, false},
		{"retailer:amazon", "MATCH", "retailer:amazon", "", true, false},
		{"US Department", "AMBIGUOUS", "organization:us-department-of-energy", "organization:us-department-of-state", false, false},
		{"Staples Inc", "MATCH", "retailer:staples", "", true, false},
		{"Illustrative affiliate", "NONE", "vendor:illustrative-kaspersky-affiliate", "", false, false},
		{"Norton LifeLock", "NONE", "", "", false, false},
		{`Acme "Widgets" Ltd`, "NONE", "", "", false, false},
		{"Some SupplierVendor Kaspersky", "", "", "", false, true},
		{"Some Other Supplier", "", "", "", false, true},
	}
	for _, tc := range tests {
		r, ok := byName[tc.row]
		if !ok {
			t.Errorf("%s: not in the output", tc.row)
			continue
		}
		if r["verdict"] != tc.verdict || r["match_id"] != tc.id || r["runner_up_id"] != tc.runnerUp {
			t.Errorf("%s: verdict %q match %q runner-up %q; want %q %q %q", tc.row, r["verdict"], r["match_id"], r["runner_up_id"],
				tc.verdict, tc.id, tc.runnerUp)
		}
		if got := r["exposure_regulatory"] != ""; got != tc.exposed {
			t.Errorf("%s: exposure %q; want one: %v", tc.row, r["exposure_regulatory"], tc.exposed)
		}
		if got := r["error"] != ""; got != tc.err {
			t.Errorf("%s: error %q; want one: %v", tc.row, r["error"], tc.err)
		}
		if tc.verdict != "" && r["compliance"] != "directive:bod-17-01=PENDING" {
			t.Errorf("%s: compliance %q", tc.row, r["compliance"])
		}
	}
	k := byName["Kaspersky Labs"]
	if k["covered_by"] != "directive:bod-17-01" || k["top_path_ids"] == "" || !strings.HasPrefix(k["top_path"], "Kaspersky Lab ") {
		t.Errorf("Kaspersky Lab: covered_by %q, top path %q (%q)", k["covered_by"], k["top_path"], k["top_path_ids"])
	}
	if s := byName["Illustrative affiliate"]["covered_by"]; s != "" {
		t.Errorf("a NONE row is covered by %q", s)
	}
	want := Summary{Rows: len(rows)}
	for _, r := range got {
		switch r["verdict"] {
		case "MATCH":
			want.Match++
		case "AMBIGUOUS":
			want.Ambiguous++
		case "NONE":
			want.None++
		}
		if r["error"] != "" {
			want.Errors++
		}
	}
	if rep.Summary != want || want.Ambiguous == 0 || want.None == 0 || want.Errors == 0 {
		t.Errorf("summary %+v, counted %+v", rep.Summary, want)
	}
}

// TestDeterministic screens several batches' worth of rows with one worker and with many:
// the output is the same, byte for byte.
func TestDeterministic(t *testing.T) {
	svc := seeded(t)
	base := readFile(t, "testdata/suppliers.csv")
	var rows []Row
	for len(rows) < 3*BatchSize+17 {
		for _, r := range base {
			r.Line = len(rows) + 2
			rows = append(rows, r)
		}
	}
	var first []byte
	for _, workers := range []int{1, 8, 3} {
		rep, err := Run(t.Context(), svc, rows, Options{At: service.AsOf(testDate), Organization: testOrg, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		c, j := render(t, rep)
		out := append(c, j...)
		if first == nil {
			first = out
		} else if !bytes.Equal(out, first) {
			t.Errorf("%d workers: the output differs from one worker's", workers)
		}
		if rep.Summary.Rows != len(rows) {
			t.Errorf("%d workers: %d rows reported of %d", workers, rep.Summary.Rows, len(rows))
		}
	}
}

func TestProgress(t *testing.T) {
	svc := seeded(t)
	rows := make([]Row, 2*BatchSize+5)
	for i := range rows {
		rows[i] = Row{Line: i + 1, Name: "Kaspersky"}
	}
	var calls []int
	_, err := Run(t.Context(), svc, rows, Options{Workers: 2, Progress: func(done, total int) {
		if total != len(rows) {
			t.Errorf("total %d", total)
		}
		calls = append(calls, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[2] != len(rows) || calls[0] >= calls[1] {
		t.Errorf("progress calls %v", calls)
	}
}

// failing makes some calls of a real service fail.
type failing struct {
	*service.Service
	matchFails    string // a candidate name whose batch fails, and which fails alone
	exposureFails string // an entity whose exposure fails
}

func (f failing) Match(ctx context.Context, cs []match.Candidate, at service.At, first int) ([]service.MatchResult, error) {
	for _, c := range cs {
		if c.Name == f.matchFails {
			return nil, errors.New("the matcher choked")
		}
	}
	return f.Service.Match(ctx, cs, at, first)
}

func (f failing) Exposures(ctx context.Context, q service.ExposureQuery) (map[string][]risk.Explanation, error) {
	for _, id := range q.IDs {
		if id == f.exposureFails {
			return nil, errors.New("the store is on fire")
		}
	}
	return f.Service.Exposures(ctx, q)
}

func TestErrorsStayInTheirRows(t *testing.T) {
	svc := failing{Service: seeded(t), matchFails: "Staples", exposureFails: "retailer:best-buy"}
	rows := []Row{{Line: 1, Name: "Kaspersky"}, {Line: 2, Name: "Staples"}, {Line: 3, Name: "Best Buy"}, {Line: 4, Name: "bestbuy"},
		{Line: 5, Name: "Office Depot"}}
	rep, err := Run(t.Context(), svc, rows, Options{At: service.AsOf(testDate)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		switch r.Row.Line {
		case 2:
			if r.Verdict != "" || !strings.Contains(r.Error, "the matcher choked") {
				t.Errorf("Staples: verdict %q, error %q", r.Verdict, r.Error)
			}
		case 3, 4:
			if r.Verdict != match.VerdictMatch || len(r.Exposure) != 0 || !strings.Contains(r.Error, "the store is on fire") {
				t.Errorf("%s: verdict %q, %d exposures, error %q", r.Row.Name, r.Verdict, len(r.Exposure), r.Error)
			}
		default:
			if r.Verdict != match.VerdictMatch || len(r.Exposure) != len(rep.Dimensions) || r.Error != "" {
				t.Errorf("%s: verdict %q, %d exposures, error %q", r.Row.Name, r.Verdict, len(r.Exposure), r.Error)
			}
		}
	}
	if rep.Summary.Errors != 3 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

func TestRunFails(t *testing.T) {
	svc := seeded(t)
	rows := []Row{{Line: 1, Name: "Kaspersky"}}
	if _, err := Run(t.Context(), svc, rows, Options{Organization: "organization:nobody"}); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("unknown organisation: %v", err)
	}
	if _, err := Run(t.Context(), svc, rows, Options{Organization: "nobody"}); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("malformed organisation: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Run(ctx, svc, rows, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestTopPathReadsFromTheEntity(t *testing.T) {
	svc := seeded(t)
	rep, err := Run(t.Context(), svc, []Row{{Line: 1, Name: "Best Buy"}}, Options{At: service.AsOf(20170901)})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	p := r.TopPath
	if r.Verdict != match.VerdictMatch || p == nil {
		t.Fatalf("Best Buy on 2017-09-01: %+v", r)
	}
	if p.IDs[0] != "retailer:best-buy" || len(p.Links) != len(p.IDs)-1 || !strings.HasPrefix(p.Text, "Best Buy →SELLS→ ") {
		t.Errorf("path %q %v", p.Text, p.IDs)
	}
	for i, l := range p.Links { // each link joins two neighbours of the path, either way round
		a, b := p.IDs[i], p.IDs[i+1]
		if !(l.From == a && l.To == b || l.From == b && l.To == a) {
			t.Errorf("link %d %s→%s does not join %s and %s", i, l.From, l.To, a, b)
		}
	}
	var strongest float64
	for _, e := range r.Exposure {
		if e.TopPath != nil {
			strongest = max(strongest, e.TopPath.Strength)
		}
	}
	if p.Strength != strongest {
		t.Errorf("top path carries %v, the strongest dimension's %v", p.Strength, strongest)
	}
}

func TestJSONShape(t *testing.T) {
	svc := seeded(t)
	rep, err := Run(t.Context(), svc, []Row{{Line: 1, Name: "Kaspersky"}, {Line: 2, Name: "Nobody At All"}}, Options{At: service.AsOf(testDate)})
	if err != nil {
		t.Fatal(err)
	}
	_, j := render(t, rep)
	var doc struct {
		AsOf         string            `json:"asOf"`
		Organization *json.RawMessage  `json:"organization"`
		Rows         []json.RawMessage `json:"rows"`
		Summary      map[string]int    `json:"summary"`
	}
	if err := json.Unmarshal(j, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AsOf != "2017-10-01" || doc.Organization != nil || len(doc.Rows) != 2 || doc.Summary["none"] != 1 {
		t.Errorf("document: %s", j)
	}
	if bytes.Contains(j, []byte("null,")) && bytes.Contains(j, []byte(`"matches": null`)) {
		t.Errorf("a list is null: %s", j)
	}
	if !bytes.Contains(j, []byte(`"matches": []`)) || !bytes.Contains(j, []byte(`"exposure": []`)) {
		t.Errorf("empty lists are not []: %s", j)
	}
}
