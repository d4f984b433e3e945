package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigRejectsBadValues(t *testing.T) {
	tests := []struct {
		args    []string
		mention string
	}{
		{[]string{"--addr", "8080"}, "addr"},
		{[]string{"--store", "mongo"}, "store"},
		{[]string{"--log-level", "loud"}, "log-level"},
		{[]string{"--log-format", "xml"}, "log-format"},
		{[]string{"--as-of", "2017-13-01"}, "as-of"},
		{[]string{"--threshold", "2"}, "threshold"},
		{[]string{"--store", "neo4j", "--neo4j-uri", "localhost"}, "neo4j-uri"},
		{[]string{"--risk-model", "/no/such/model.json"}, "risk-model"},
		{[]string{"--timeout", "0s"}, "timeout"},
	}
	for _, tc := range tests {
		var stderr bytes.Buffer
		err := run(context.Background(), append([]string{"seed"}, tc.args...), &bytes.Buffer{}, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.mention)
		}
	}
	if err := run(context.Background(), []string{"dance"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}

func TestSeedAndReportCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "riskgraph.db")
	reports := filepath.Join(dir, "reports")
	runOK := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("riskgraph %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	if out := runOK("seed", "--data", data); !strings.HasPrefix(out, "created ") || strings.HasPrefix(out, "created 0") {
		t.Errorf("first seed: %q", out)
	}
	if out := runOK("seed", "--data", data); !strings.HasPrefix(out, "created 0, updated 0, unchanged ") {
		t.Errorf("second seed should change nothing: %q", out)
	}
	runOK("report", "--data", data, "--report-dir", reports, "--as-of", "2017-08-01")
	out := runOK("report", "--data", data, "--report-dir", reports, "--as-of", "2017-12-31")
	if !strings.Contains(out, "report-2017-12-31.md") {
		t.Fatalf("report paths: %q", out)
	}
	md, err := os.ReadFile(filepath.Join(reports, "report-2017-12-31.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Between the two dates BOD 17-01 came into force: the report must say so.
	if !strings.Contains(string(md), "Changes since 2017-08-01") || !strings.Contains(string(md), "| NEW | REGULATORY | BOD 17-01") {
		t.Errorf("report does not show the directive's arrival:\n%s", md)
	}
}

func TestExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	runIt := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		return stdout.String(), err
	}
	runOK := func(args ...string) string {
		t.Helper()
		out, err := runIt(args...)
		if err != nil {
			t.Fatalf("riskgraph %v: %v", args, err)
		}
		return out
	}
	from, to := filepath.Join(dir, "from.db"), filepath.Join(dir, "to.db")
	first, second := filepath.Join(dir, "graph.json"), filepath.Join(dir, "again.json")
	runOK("seed", "--data", from)
	runOK("export", "--data", from, "--out", first)
	exported, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(string(exported), "\n  ")
	if rows < 20 {
		t.Fatalf("export holds %d rows:\n%s", rows, exported)
	}
	if out := runOK("import", "--data", to, first); out != fmt.Sprintf("created %d, updated 0, unchanged 0\n", rows) {
		t.Errorf("first import: %q, want all %d rows created", out, rows)
	}
	if out := runOK("import", "--data", to, first); out != fmt.Sprintf("created 0, updated 0, unchanged %d\n", rows) {
		t.Errorf("second import: %q, want all %d rows unchanged", out, rows)
	}
	runOK("export", "--data", to, "--out", second)
	again, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, exported) {
		t.Error("the imported store exports differently from the store it came from")
	}
	if out := runOK("export", "--data", to); out != string(exported) {
		t.Error("export to standard output differs from export to a file")
	}

	// Bad input is refused with the reason and writes nothing.
	bad := []struct{ name, body, mention string }{
		{"typo.json", `{"entites": []}`, `unknown field "entites"`},
		{"invalid.json", `{"entities": [{"id": "vendor:Bad Id", "kind": "Vendor", "name": "x"}]}`, "entities[0].id"},
		{"two.json", `{} {}`, "more than one JSON value"},
	}
	for _, b := range bad {
		p := filepath.Join(dir, b.name)
		if err := os.WriteFile(p, []byte(b.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runIt("import", "--data", to, p); err == nil || !strings.Contains(err.Error(), b.mention) {
			t.Errorf("import %s: %v, want an error mentioning %s", b.name, err, b.mention)
		}
	}
	if _, err := runIt("import", "--data", to); err == nil || !strings.Contains(err.Error(), "name the files") {
		t.Errorf("import without files: %v", err)
	}
	runOK("export", "--data", to, "--out", second)
	if after, _ := os.ReadFile(second); !bytes.Equal(after, exported) {
		t.Error("refused imports changed the store")
	}
}
