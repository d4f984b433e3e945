package report

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func renderMarkdown(t *testing.T, r Report, top int) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, top); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	return b.String()
}

// mdInOrder checks that each of parts occurs in s, each after the one before it.
func mdInOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	rest, at := s, 0
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("%q missing, or not after the parts before it (from offset %d)\n%s", p, at, s)
			return
		}
		rest, at = rest[i+len(p):], at+i+len(p)
	}
}

// mdSection returns the text of s from the line heading up to the next heading of the same or
// a higher level.
func mdSection(t *testing.T, s, heading string) string {
	t.Helper()
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("no heading %q in\n%s", heading, s)
	}
	body := s[i+len(heading)+2:]
	level := strings.Repeat("#", strings.Index(heading, " "))
	for _, l := range regexp.MustCompile(`(?m)^#+ `).FindAllStringIndex(body, -1) {
		if hashes := body[l[0] : l[1]-1]; len(hashes) <= len(level) {
			return body[:l[0]]
		}
	}
	return body
}

func TestMarkdownSample(t *testing.T) {
	md := renderMarkdown(t, sampleReport(), 5)
	if !strings.HasPrefix(md, "# Risk report 2017-12-31\n") {
		t.Errorf("title line: %q", strings.SplitN(md, "\n", 2)[0])
	}
	mdInOrder(t, md,
		"Compared with 2017-09-01, model riskgraph-default/3.",
		"## REGULATORY", "### Biggest movers", "### Highest scores",
		"## REPUTATIONAL", "### Biggest movers", "### Highest scores",
		"## Obligations", "### Due in the next 30 days", "### Overdue",
		"## Data quality")

	reg := mdSection(t, md, "## REGULATORY")
	mdInOrder(t, reg,
		"| Change | Entity | Previous → score | Delta |",
		"| NEW | Kaspersky Anti-Virus (`product:kaspersky-anti-virus`) | 0.0000 → 0.8100 | +0.8100 |",
		"Kaspersky Anti-Virus (`product:kaspersky-anti-virus`), NEW:",
		"- Signal added: BOD 17-01 signal began (2017-09-13), +0.8100. Sources: Reuters/AP report (published 2017-09-13).",
		"| Rank | Entity | Kind | Score | Intrinsic | Propagated | Top source |",
		"| 1 | Kaspersky Lab (`vendor:kaspersky-lab`) | Vendor | 0.9000 | 0.0000 | 0.9000 | BOD 17-01 (1 hop) |",
		"| 2 | Kaspersky Anti-Virus (`product:kaspersky-anti-virus`) | Product | 0.8100 | 0.0000 | 0.8100 | BOD 17-01 (2 hops) |",
		"| 3 | Department of Homeland Security (`agency:dhs`) | Agency | 0.6150 | 0.0000 | 0.6150 | BOD 17-01 (2 hops) |")

	rep := mdSection(t, md, "## REPUTATIONAL")
	mdInOrder(t, rep,
		"| GONE | Best Buy (`retailer:best-buy`) | 0.3000 → 0.0000 | -0.3000 |",
		"- Relationship ended: Best Buy SELLS Kaspersky Anti-Virus ended (2017-09-08), -0.3000. Sources: Reuters/AP report (published 2017-09-13).",
		"| 1 | Kaspersky Lab (`vendor:kaspersky-lab`) | Vendor | 0.4000 | 0.4000 | 0.0000 | Kaspersky Lab (intrinsic) |")

	if got := mdSection(t, md, "### Due in the next 30 days"); strings.TrimSpace(got) != "None." {
		t.Errorf("due soon: %q, want None.", got)
	}
	mdInOrder(t, mdSection(t, md, "### Overdue"),
		"| Due | Days | Rule | Title | Pending | Met |",
		"| 2017-12-12 | 19 overdue | BOD 17-01 | Remove Kaspersky products | 1: `agency:dhs` | 1 |")

	mdInOrder(t, mdSection(t, md, "## Data quality"),
		"- Unsourced facts: 1\n  - `vendor:example` (ENTITY) Example vendor\n",
		"- Inferred links: 1\n  - `agency:dhs-USES->product:kaspersky-anti-virus` (RELATIONSHIP) DHS USES Kaspersky Anti-Virus, 2017-01-01\n",
		"- Disputed facts: 0\n",
		"- Sources older than 365 days: 0\n")

	if words := regexp.MustCompile(`(?i)\b(own|inherited)\b`).FindAllString(md, -1); len(words) > 0 {
		t.Errorf("the model says intrinsic and propagated; found %q", words)
	}
	if strings.Contains(md, "nothing to compare") {
		t.Error("a report with a previous snapshot says there is nothing to compare with")
	}
}

func TestMarkdownTopMoversInOrder(t *testing.T) {
	r := orderReport() // SANCTIONS: changes Y (GONE), B (UP), X (GONE), biggest move first
	md := renderMarkdown(t, r, 2)
	s := mdSection(t, md, "## SANCTIONS")
	movers := mdSection(t, s, "### Biggest movers")
	mdInOrder(t, movers,
		"The 2 biggest of 3 changes.",
		"| GONE | Y (`vendor:y`) | 0.6000 → 0.0000 | -0.6000 |",
		"| UP | B (`vendor:b`) | 0.1000 → 0.1235 | +0.0235 |",
		"Y (`vendor:y`), GONE:\n\n- Signal ended: Y signal ended, +0.0000. No source cited.\n- Fact recorded: second cause, +0.0000. No source cited.\n",
		"B (`vendor:b`), UP:\n\n- Relationship began: B OWNS Z began, +0.0000. No source cited.\n")
	if strings.Contains(movers, "vendor:x") {
		t.Errorf("the third mover is shown with top 2:\n%s", movers)
	}
	scores := mdSection(t, s, "### Highest scores")
	mdInOrder(t, scores, "The top 2 of 3 scores.", "| 1 | A (`vendor:a`) |", "| 2 | B (`vendor:b`) |")
	if strings.Contains(scores, "vendor:c") {
		t.Errorf("rank 3 is shown with top 2:\n%s", scores)
	}
	if !strings.Contains(mdSection(t, md, "## OPERATIONAL"), "No entity has a score in this dimension.") {
		t.Error("an empty dimension does not say so")
	}

	all := renderMarkdown(t, r, 0)
	mdInOrder(t, mdSection(t, all, "## SANCTIONS"), "| GONE | Y", "| UP | B", "| GONE | X (`vendor:x`)", "X (`vendor:x`), GONE:\n\n- No cause found.")
	if strings.Contains(all, "biggest of") || strings.Contains(all, "The top") {
		t.Error("top 0 should show everything without a count line")
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	r := sampleReport()
	r.Dimensions[0].Scores[0].Name = "Evil | Corp\nInjected row"
	r.Dimensions[0].Scores[0].TopSource.EntityName = "Src|Co"
	r.Dimensions[0].Scores[1].EntityID = "product:a|b`c"
	r.Dimensions[0].Changes[0].Name = "Mover\r\n| --- |"
	r.Obligations[0].Title = "Remove | all\nof it"
	md := renderMarkdown(t, r, 5)
	mdInOrder(t, md,
		"| NEW | Mover \\| --- \\| (`product:kaspersky-anti-virus`) |",
		"| 1 | Evil \\| Corp Injected row (`vendor:kaspersky-lab`) | Vendor | 0.9000 | 0.0000 | 0.9000 | Src\\|Co (1 hop) |",
		"| 2 | Kaspersky Anti-Virus (`` product:a\\|b`c ``) |",
		"| Remove \\| all of it |")
	// Every table line splits into the same number of cells as its table's header.
	unescaped := regexp.MustCompile(`(^|[^\\])\|`)
	cells := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := len(unescaped.FindAllString(strings.ReplaceAll(line, "||", "| |"), -1))
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("table line has %d separators, its header %d: %q", n, cells, line)
		}
	}
	if strings.Contains(md, "\nInjected row") || strings.Contains(md, "\nof it") {
		t.Error("a line break in user data reached the output")
	}
}

func TestMarkdownFirstRun(t *testing.T) {
	r := firstRunReport()
	md := renderMarkdown(t, r, 5)
	if !strings.Contains(md, "First run: there is no previous snapshot, so there is nothing to compare with") {
		t.Errorf("first run wording missing:\n%s", md)
	}
	if strings.Contains(md, "Compared with") {
		t.Error("a first run names a previous snapshot")
	}
	for _, d := range []string{"## REGULATORY", "## REPUTATIONAL"} {
		movers := mdSection(t, mdSection(t, md, d), "### Biggest movers")
		if strings.TrimSpace(movers) != "Nothing to compare with on a first run." {
			t.Errorf("%s movers on a first run: %q", d, movers)
		}
	}
	// The scores are still there.
	if !strings.Contains(md, "| 1 | Kaspersky Lab (`vendor:kaspersky-lab`) | Vendor | 0.9000 |") {
		t.Error("first run lost the scores")
	}
}

func TestMarkdownModelChangeAndNoChanges(t *testing.T) {
	r := sampleReport()
	r.Previous.ModelVersion = "riskgraph-default/2"
	r.Dimensions[0].Changes = []Change{}
	md := renderMarkdown(t, r, 5)
	if !strings.Contains(md, "model riskgraph-default/3 (the previous snapshot used riskgraph-default/2)") {
		t.Errorf("model change not said:\n%s", md)
	}
	if got := strings.TrimSpace(mdSection(t, mdSection(t, md, "## REGULATORY"), "### Biggest movers")); got != "No score moved by 0.0100 or more." {
		t.Errorf("no changes: %q", got)
	}
}

func TestMarkdownObligationsAndQuality(t *testing.T) {
	r := sampleReport()
	r.Obligations = append([]ObligationItem{{ID: "law:x#file", RuleID: "law:x", RuleName: "Law X", Title: "File a report",
		Due: 20180105, DaysUntilDue: 5, Status: DueSoon, Pending: []string{"a:1", "a:2", "a:3", "a:4", "a:5"}, Met: 0}},
		r.Obligations...)
	r.Quality.StaleSourcesCount = 7
	r.Quality.StaleSources = []FactRef{{ID: "source:old", Kind: "ENTITY", Summary: "Old paper", Date: 20150101}}
	r.Quality.DisputedCount = 1
	r.Quality.Disputed = []FactRef{{ID: "signal:doubt", Kind: "SIGNAL", Summary: "Doubtful"}}
	md := renderMarkdown(t, r, 5)
	due := mdSection(t, md, "### Due in the next 30 days")
	if !strings.Contains(due, "| 2018-01-05 | in 5 | Law X | File a report | 5: `a:1`, `a:2`, `a:3` and 2 more | 0 |") {
		t.Errorf("due soon:\n%s", due)
	}
	if strings.Contains(due, "BOD 17-01") {
		t.Error("an overdue obligation is listed as due soon")
	}
	if over := mdSection(t, md, "### Overdue"); strings.Contains(over, "Law X") || !strings.Contains(over, "BOD 17-01") {
		t.Errorf("overdue:\n%s", over)
	}
	mdInOrder(t, mdSection(t, md, "## Data quality"),
		"- Disputed facts: 1\n  - `signal:doubt` (SIGNAL) Doubtful\n",
		"- Sources older than 365 days: 7\n  - `source:old` (ENTITY) Old paper, 2015-01-01\n  - and 6 more not listed\n")
}

func TestMarkdownWriteError(t *testing.T) {
	full := renderMarkdown(t, sampleReport(), 5)
	for _, n := range []int{0, 1, 100, len(full) / 2, len(full) - 1} {
		w := &failingWriter{n: n}
		err := WriteMarkdown(w, sampleReport(), 5)
		if !errors.Is(err, errDiskFull) {
			t.Errorf("after %d bytes: error %v, want it to wrap %v", n, err, errDiskFull)
		}
		if w.writes != 0 {
			t.Errorf("after %d bytes: %d more writes after the first failure, want none", n, w.writes)
		}
	}
	if err := WriteMarkdown(&failingWriter{n: len(full)}, sampleReport(), 5); err != nil {
		t.Errorf("a writer with room for the whole report: %v", err)
	}
}

// ExampleWriteMarkdown shows the start of a first run's report.
func ExampleWriteMarkdown() {
	r := firstRunReport()
	r.Dimensions = r.Dimensions[:1]
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.Join(strings.Split(b.String(), "\n")[:14], "\n"))
	// Output:
	// # Risk report 2017-12-31
	//
	// First run: there is no previous snapshot, so there is nothing to compare with and no changes are listed. Model riskgraph-default/3.
	//
	// ## REGULATORY
	//
	// ### Biggest movers
	//
	// Nothing to compare with on a first run.
	//
	// ### Highest scores
	//
	// The top 1 of 3 scores.
	//
}
