package main

import (
	"bytes"
	"context"
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
