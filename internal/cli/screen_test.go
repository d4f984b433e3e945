package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const screenList = "Supplier,Country\nKaspersky Labs,RU\nbestbuy,US\nUS Department,US\nNobody Whatsoever Ltd,GB\n"

func TestScreenCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "riskgraph.db")
	list := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(list, []byte(screenList), 0o644); err != nil {
		t.Fatal(err)
	}
	runOK(t, "seed", "--data", data)

	stdout, stderr, code := run(t, "screen", "--data", data, "--as-of", "2017-10-01", "--organization", "organization:us-department-of-state", list)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0][0] != "line" || recs[0][len(recs[0])-1] != "error" {
		t.Fatalf("CSV output:\n%s", stdout)
	}
	verdicts := []string{recs[1][4], recs[2][4], recs[3][4], recs[4][4]}
	if strings.Join(verdicts, " ") != "MATCH MATCH AMBIGUOUS NONE" {
		t.Errorf("verdicts %v\n%s", verdicts, stdout)
	}
	// Standard error is no terminal here: one summary line and no progress.
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "list screened") || !strings.Contains(stderr, "rows=4") ||
		strings.Contains(stderr, "\r") {
		t.Errorf("stderr %q", stderr)
	}

	out := filepath.Join(dir, "out.json")
	if stdout := runOK(t, "screen", "--data", data, "--as-of", "2017-10-01", "--format", "json", "--out", out, list); stdout != "" {
		t.Errorf("with --out, standard output is %q", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rows    []struct{ Verdict string }
		Summary struct{ Rows, Match, Ambiguous, None, Errors int }
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Rows) != 4 || doc.Summary.Match != 2 || doc.Summary.None != 1 {
		t.Errorf("JSON output (%v): %s", err, b)
	}

	// - reads standard input.
	var so, se bytes.Buffer
	code = Main(context.Background(), []string{"screen", "--data", data, "--as-of", "2017-10-01", "-"},
		IO{Stdin: strings.NewReader("\xEF\xBB\xBF" + screenList), Stdout: &so, Stderr: &se})
	if code != ExitOK || so.String() != screenOutput(t, data, list) {
		t.Errorf("from standard input: exit %d, %s\n%s", code, se.String(), so.String())
	}
}

// screenOutput screens list on 2017-10-01 and returns the output.
func screenOutput(t *testing.T, data, list string) string {
	t.Helper()
	return runOK(t, "screen", "--data", data, "--as-of", "2017-10-01", list)
}

func TestScreenExitCodes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "riskgraph.db")
	runOK(t, "seed", "--data", data)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", screenList)
	badRows := write("bad-rows.csv", "name,id\n,\nAcme,not-an-id\nStaples,\n")
	utf16 := write("utf16.csv", "\xFF\xFEn\x00a\x00m\x00e\x00\n\x00")
	noName := write("noname.csv", "country,id\nRU,vendor:kaspersky-lab\n")
	tests := []struct {
		args    []string
		code    int
		mention string
	}{
		{[]string{"screen", "--data", data}, ExitUsage, "name one list"},
		{[]string{"screen", "--data", data, good, good}, ExitUsage, "name one list"},
		{[]string{"screen", "--data", data, "--format", "xml", good}, ExitUsage, "format"},
		{[]string{"screen", "--data", data, "--as-of", "2017-13-01", good}, ExitUsage, "as-of"},
		{[]string{"screen", "--data", data, "--known-at", "yesterday", good}, ExitUsage, "known-at"},
		{[]string{"screen", "--data", data, "--organization", "State Department", good}, ExitUsage, "organization"},
		{[]string{"screen", "--data", data, "--workers", "0", good}, ExitUsage, "workers"},
		{[]string{"screen", "--data", data, filepath.Join(dir, "missing.csv")}, ExitError, "no such file"},
		{[]string{"screen", "--data", data, utf16}, ExitError, "UTF-16"},
		{[]string{"screen", "--data", data, noName}, ExitError, "no name column"},
		{[]string{"screen", "--data", data, "--organization", "organization:nobody", good}, ExitError, "not found"},
		{[]string{"screen", "--data", data, "--out", filepath.Join(dir, "no", "such", "dir", "out.csv"), good}, ExitError, "out.csv"},
		{[]string{"screen", "--data", data, badRows}, ExitOK, "errors=2"}, // rows that fail do not fail the run
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[3:], " "), func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.mention) {
				t.Errorf("exit %d, stderr %q; want exit %d and a message mentioning %q", code, stderr, tc.code, tc.mention)
			}
		})
	}
}
