package report_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
	"riskgraph/seed"
)

var update = flag.Bool("update", false, "rewrite the golden files from what the code renders now")

// seedReport runs the nightly report on the seed as of 2017-09-01 and then 2017-12-31 (BOD
// 17-01 arrives, Best Buy stops selling, deadlines pass) and returns the second report, with
// the snapshot's identity and times fixed so the files can be compared byte for byte.
func seedReport(t testing.TB) report.Report {
	s, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(s, risk.DefaultModel())
	t.Cleanup(func() { svc.Close() })
	ctx := t.Context()
	if _, err := seed.Apply(ctx, svc); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2018, 1, 2, 6, 0, 0, 0, time.UTC)
	o := report.Options{Threshold: 0.01, DueWindowDays: 30, StaleAfterDays: 365, Now: now}
	o.AsOf = 20170901
	if _, err := report.Build(ctx, svc, o); err != nil {
		t.Fatalf("first run: %v", err)
	}
	o.AsOf = 20171231
	r, err := report.Build(ctx, svc, o)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if r.Previous == nil {
		t.Fatal("the second run has no previous snapshot")
	}
	fix := func(m *report.SnapshotInfo, at time.Time) {
		m.ID = "snapshot:" + m.AsOf.String() + ":golden"
		m.KnownAt, m.CreatedAt, m.CreatedBy = kg.StampOf(at), at, "nightly"
	}
	fix(&r.Snapshot, now)
	fix(r.Previous, now.AddDate(0, 0, -1))
	return r
}

// TestGoldenSeedReport pins the four formats of the seed's report. Run with -update after a
// deliberate change and read the diff.
func TestGoldenSeedReport(t *testing.T) {
	r := seedReport(t)
	dir := t.TempDir()
	paths, err := report.Save(dir, r, report.Formats(), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(report.Formats()) {
		t.Fatalf("wrote %v, want one file per format", paths)
	}
	for _, p := range paths {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", filepath.Base(p))
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/report -run Golden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; if the change is deliberate, rerun with -update and review the diff", filepath.Base(p), golden)
		}
	}
	// The golden HTML is also what the browser test opens.
	if out := os.Getenv("RISKGRAPH_GOLDEN_HTML"); out != "" {
		b, err := os.ReadFile(filepath.Join(dir, "report-2017-12-31.html"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSaveWritesAllOrNothing: when a format fails to render, no file is written and the
// previous report stays as it was.
func TestSaveWritesAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	r := seedReport(t)
	if _, err := report.Save(dir, r, []string{"json"}, 20); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "report-2017-12-31.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := r
	bad.Dimensions = append([]report.DimensionReport(nil), r.Dimensions...)
	bad.Dimensions[0].Scores = append([]report.Score(nil), r.Dimensions[0].Scores...)
	bad.Dimensions[0].Scores[0].Score = math.NaN() // JSON has no NaN: rendering fails
	if _, err := report.Save(dir, bad, report.Formats(), 20); err == nil {
		t.Fatal("a report holding NaN rendered")
	}
	after, err := os.ReadFile(filepath.Join(dir, "report-2017-12-31.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed save changed the earlier file")
	}
	if _, err := os.Stat(filepath.Join(dir, "report-2017-12-31.csv")); !os.IsNotExist(err) {
		t.Errorf("a failed save wrote the CSV (stat: %v)", err)
	}
	// Nor are staged files left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after a failed save the directory holds %v, want only the earlier report", names)
	}
}
