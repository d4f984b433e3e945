package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
	"riskgraph/internal/store/embedded"
)

// run runs the command line and returns what it printed and its exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), code
}

// runOK runs the command line, fails the test unless it exits 0, and returns its output.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := run(t, args...)
	if code != ExitOK {
		t.Fatalf("riskgraph %v: exit %d\n%s", args, code, stderr)
	}
	return stdout
}

func TestConfigRejectsBadValues(t *testing.T) {
	data := filepath.Join(t.TempDir(), "riskgraph.db")
	tests := []struct {
		args    []string
		env     map[string]string
		mention string
	}{
		{[]string{"serve", "--addr", "8080"}, nil, "addr"},
		{[]string{"--addr", "8080"}, nil, "addr"},
		{[]string{"seed", "--store", "mongo"}, nil, "store"},
		{[]string{"seed", "--log-level", "loud"}, nil, "log-level"},
		{[]string{"seed", "--log-format", "xml"}, nil, "log-format"},
		{[]string{"report", "--as-of", "2017-13-01"}, nil, "as-of"},
		{[]string{"report", "--threshold", "2"}, nil, "threshold"},
		{[]string{"seed", "--threshold", "0.5"}, nil, "threshold"}, // not a flag of seed
		{[]string{"seed", "--store", "neo4j", "--neo4j-uri", "localhost"}, nil, "neo4j-uri"},
		{[]string{"report", "--data", data, "--risk-model", "/no/such/model.json"}, nil, "risk-model"},
		{[]string{"serve", "--timeout", "0s"}, nil, "timeout"},
		{[]string{"serve", "--max-depth", "1"}, nil, "max-depth"},
		{[]string{"synth", "--entities", "3"}, nil, "entities"},
		{[]string{"serve"}, map[string]string{"RISKGRAPH_TIMEOUT": "abc"}, "RISKGRAPH_TIMEOUT"},
		{[]string{"serve"}, map[string]string{"RISKGRAPH_SEED": "maybe"}, "RISKGRAPH_SEED"},
		{[]string{"seed"}, map[string]string{"RISKGRAPH_STORE": "mongo"}, "RISKGRAPH_STORE"},
		{[]string{"dance"}, nil, "unknown command"},
		{[]string{"import", "--data", data}, nil, "name the files"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " ")+fmt.Sprint(tc.env), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, stderr, code := run(t, tc.args...)
			if code != ExitUsage || !strings.Contains(stderr, tc.mention) {
				t.Errorf("exit %d, stderr %q; want exit %d and a message mentioning %q", code, stderr, ExitUsage, tc.mention)
			}
		})
	}
}

// Help is asked for, not an error: it exits 0 and lists what applies to the command.
func TestHelp(t *testing.T) {
	tests := []struct {
		args          []string
		want, wantNot []string
	}{
		{[]string{"help"}, []string{"serve", "seed", "report", "synth", "export", "import", "--store"}, []string{"--threshold"}},
		{[]string{"--help"}, []string{"serve", "report", "--store"}, []string{"--max-complexity"}},
		{[]string{"serve", "--help"}, []string{"--addr", "--timeout", "--max-complexity", "RISKGRAPH_ADDR", "--store"}, []string{"--threshold"}},
		{[]string{"seed", "--help"}, []string{"--store", "--data", "RISKGRAPH_DATA"}, []string{"--threshold", "--addr"}},
		{[]string{"report", "--help"}, []string{"--threshold", "--as-of", "--report-dir", "--server", "--api-key-file", "--keep", "--formats", "--store"}, []string{"--addr"}},
		{[]string{"help", "import"}, []string{"FILE", "--batch", "--workers"}, []string{"--addr"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("help does not mention %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(stdout, w) {
					t.Errorf("help mentions %q, which does not apply:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestSeedAndReportCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "riskgraph.db")
	reports := filepath.Join(dir, "reports")
	if out := runOK(t, "seed", "--data", data); !strings.HasPrefix(out, "created ") || strings.HasPrefix(out, "created 0") {
		t.Errorf("first seed: %q", out)
	}
	if out := runOK(t, "seed", "--data", data); !strings.HasPrefix(out, "created 0, updated 0, unchanged ") {
		t.Errorf("second seed should change nothing: %q", out)
	}
	runOK(t, "report", "--data", data, "--report-dir", reports, "--as-of", "2017-08-01")
	out := runOK(t, "report", "--data", data, "--report-dir", reports, "--as-of", "2017-12-31")
	checkSeedReport(t, out, reports, "2017-08-01")
}

// checkSeedReport checks the files of a report as of 2017-12-31 compared with prevAsOf: one
// path per format printed, and in the JSON the arrival of BOD 17-01 with its cause.
func checkSeedReport(t *testing.T, out, dir, prevAsOf string) {
	t.Helper()
	for _, ext := range report.Formats() {
		if p := filepath.Join(dir, "report-2017-12-31."+ext); !strings.Contains(out, p) {
			t.Errorf("report paths %q do not name %s", out, p)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report-2017-12-31.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Previous == nil || r.Previous.AsOf.String() != prevAsOf {
		t.Fatalf("the report compares with %+v, want the snapshot of %s", r.Previous, prevAsOf)
	}
	for _, d := range r.Dimensions {
		for _, c := range d.Changes {
			if c.EntityID == "directive:bod-17-01" && d.Dimension == kg.DimRegulatory && c.Change == report.New &&
				len(c.Causes) > 0 && c.Causes[0].Kind == report.SignalAdded {
				return
			}
		}
	}
	t.Errorf("the report does not show BOD 17-01 arriving, with its signal as the cause")
}

// TestReportBesideARunningService runs the report through a server's API while the server
// holds the embedded store file, as a nightly job next to a running service does.
func TestReportBesideARunningService(t *testing.T) {
	dir := t.TempDir()
	data, reports := filepath.Join(dir, "riskgraph.db"), filepath.Join(dir, "reports")
	runOK(t, "seed", "--data", data)
	held, err := embedded.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(held, risk.DefaultModel())
	defer svc.Close()
	srv := httptest.NewServer(api.New(api.Config{Service: svc}))
	defer srv.Close()
	// Directly, the held file stops the report at once, naming the way round it.
	_, stderr, code := run(t, "report", "--data", data, "--report-dir", reports)
	if code == ExitOK || !strings.Contains(stderr, "open in another process") || !strings.Contains(stderr, "report --server") {
		t.Errorf("report on a held store: exit %d, stderr %q; want a failure naming --server", code, stderr)
	}
	runOK(t, "report", "--server", srv.URL, "--report-dir", reports, "--as-of", "2017-09-01")
	out := runOK(t, "report", "--server", srv.URL, "--report-dir", reports, "--as-of", "2017-12-31", "--keep", "2")
	checkSeedReport(t, out, reports, "2017-09-01")
	// An unreachable server is a clear failure, exit 1.
	srv.Close()
	_, stderr, code = run(t, "report", "--server", srv.URL, "--report-dir", reports)
	if code != ExitError || !strings.Contains(stderr, "reach "+srv.URL) {
		t.Errorf("report against a stopped server: exit %d, stderr %q", code, stderr)
	}
}

func TestExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "from.db"), filepath.Join(dir, "to.db")
	first, second := filepath.Join(dir, "graph.json"), filepath.Join(dir, "again.json")
	runOK(t, "seed", "--data", from)
	runOK(t, "export", "--data", from, "--out", first)
	exported, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(string(exported), "\n  ")
	if rows < 20 {
		t.Fatalf("export holds %d rows:\n%s", rows, exported)
	}
	if out := runOK(t, "import", "--data", to, first); out != fmt.Sprintf("created %d, updated 0, unchanged 0\n", rows) {
		t.Errorf("first import: %q, want all %d rows created", out, rows)
	}
	if out := runOK(t, "import", "--data", to, first); out != fmt.Sprintf("created 0, updated 0, unchanged %d\n", rows) {
		t.Errorf("second import: %q, want all %d rows unchanged", out, rows)
	}
	runOK(t, "export", "--data", to, "--out", second)
	again, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, exported) {
		t.Error("the imported store exports differently from the store it came from")
	}
	if out := runOK(t, "export", "--data", to); out != string(exported) {
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
		if _, stderr, code := run(t, "import", "--data", to, p); code == ExitOK || !strings.Contains(stderr, b.mention) {
			t.Errorf("import %s: exit %d, %q; want an error mentioning %s", b.name, code, stderr, b.mention)
		}
	}
	runOK(t, "export", "--data", to, "--out", second)
	if after, _ := os.ReadFile(second); !bytes.Equal(after, exported) {
		t.Error("refused imports changed the store")
	}
}

// Commands that only read refuse an embedded store path that names no file (rather than
// report on an empty store made on the spot), and stop with a message that says why when
// another process holds the file.
func TestReadingCommandsNeedAnExistingFreeStore(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	for _, args := range [][]string{
		{"report", "--data", missing, "--report-dir", filepath.Join(dir, "reports")},
		{"export", "--data", missing, "--out", filepath.Join(dir, "out.json")},
	} {
		_, stderr, code := run(t, args...)
		if code == ExitOK || !strings.Contains(stderr, "no embedded store at "+missing) {
			t.Errorf("riskgraph %v: exit %d, stderr %q; want a failure naming the missing store", args, code, stderr)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("riskgraph %v made %s (stat: %v)", args, missing, err)
		}
	}

	data := filepath.Join(dir, "riskgraph.db")
	runOK(t, "seed", "--data", data)
	held, err := embedded.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, stderr, code := run(t, "report", "--data", data, "--report-dir", filepath.Join(dir, "reports"))
	if code == ExitOK || !strings.Contains(stderr, "open in another process") || !strings.Contains(stderr, "--server") {
		t.Errorf("report on a held store: exit %d, stderr %q; want a failure saying another process holds it, naming --server", code, stderr)
	}
}
