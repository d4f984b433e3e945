package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"riskgraph/internal/kg"
)

func entry(id, dim string, score float64) Entry {
	return Entry{EntityID: id, Name: id, Dimension: dim, Score: score}
}

func TestCompare(t *testing.T) {
	prev := Report{Format: FormatVersion, AsOf: 20170801, Entries: []Entry{
		entry("vendor:a", "REGULATORY", 0.5),
		entry("vendor:b", "REGULATORY", 0.5),
		entry("vendor:c", "REGULATORY", 0.5),
		entry("vendor:gone", "SANCTIONS", 0.3),
	}}
	cur := Report{Format: FormatVersion, AsOf: 20171231, Entries: []Entry{
		entry("vendor:a", "REGULATORY", 0.9),   // up 0.4
		entry("vendor:b", "REGULATORY", 0.505), // below the threshold
		entry("vendor:c", "REGULATORY", 0.2),   // down 0.3
		entry("vendor:new", "REGULATORY", 0.1), // new
	}}
	cur.Compare(prev, 0.01)
	var got []string
	for _, c := range cur.Changes {
		got = append(got, string(c.Kind)+" "+c.EntityID)
	}
	want := "UP vendor:a|DOWN vendor:c|GONE vendor:gone|NEW vendor:new"
	if strings.Join(got, "|") != want {
		t.Errorf("changes = %v, want %s (biggest move first)", got, want)
	}
	if cur.PreviousAsOf != 20170801 {
		t.Errorf("previous date %v", cur.PreviousAsOf)
	}
}

func TestSaveAndPrevious(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, d := range []kg.Date{20170101, 20170801, 20180101} {
		r := Report{Format: FormatVersion, AsOf: d, GeneratedAt: now, ModelVersion: "m/1",
			Entries: []Entry{entry("vendor:a", "REGULATORY", float64(d%100)/100)}, Changes: []Change{}}
		if _, err := Save(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	prev, ok, err := Previous(dir, 20171231)
	if err != nil || !ok || prev.AsOf != 20170801 {
		t.Fatalf("previous before 2017-12-31 = %v, %v, %v; want the 2017-08-01 report", prev.AsOf, ok, err)
	}
	if _, ok, _ := Previous(dir, 20170101); ok {
		t.Error("found a report before the first one")
	}
	f, err := os.Open(filepath.Join(dir, "report-2018-01-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "2018-01-01" || rows[1][2] != "vendor:a" {
		t.Errorf("csv rows %v, %v", rows, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report-2017-05-01.json"), []byte(`{"format": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Previous(dir, 20170701); err == nil {
		t.Error("a report of an unknown format was accepted")
	}
}

func TestMarkdownFirstRun(t *testing.T) {
	var b bytes.Buffer
	r := Report{AsOf: 20170101, ModelVersion: "m/1", Entries: []Entry{entry("vendor:a", "REGULATORY", 0.5)}}
	if err := WriteMarkdown(&b, r, 5); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Risk report as of 2017-01-01", "First report", "## REGULATORY", "`vendor:a`"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
