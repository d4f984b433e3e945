package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"riskgraph/web"
)

// renderHTML renders r and fails the test on an error.
func renderHTML(t *testing.T, r Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return buf.String()
}

const dataOpen = `<script type="application/json" id="report-data">`

// reportData returns the text of the page's report-data element.
func reportData(t *testing.T, page string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, dataOpen)
	if !ok {
		t.Fatalf("page has no %s element", dataOpen)
	}
	data, _, ok := strings.Cut(rest, "</script>")
	if !ok {
		t.Fatal("report-data element is not closed")
	}
	return data
}

// withoutData is the page less the report-data element's content and the inlined bundle,
// that is: what the template itself writes.
func withoutData(t *testing.T, page string) string {
	t.Helper()
	page = strings.Replace(page, reportData(t, page), "", 1)
	js, css := web.ReportAssets()
	page = strings.Replace(page, string(js), "", 1)
	return strings.Replace(page, string(css), "", 1)
}

// chartSpecs returns the decoded data-chart attribute of every canvas with the given class.
func chartSpecs(t *testing.T, page, class string) []map[string]any {
	t.Helper()
	re := regexp.MustCompile(`<canvas class="` + class + `"[^>]*data-chart="([^"]*)"`)
	var specs []map[string]any
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		var spec map[string]any
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &spec); err != nil {
			t.Fatalf("data-chart of a %s canvas: %v\n%s", class, err, m[1])
		}
		specs = append(specs, spec)
	}
	return specs
}

// TestHTMLWritesTheSample writes the sample page to $RISKGRAPH_SAMPLE_HTML when it is set,
// to look at or to run e2e/report.test.mjs against.
func TestHTMLWritesTheSample(t *testing.T) {
	path := os.Getenv("RISKGRAPH_SAMPLE_HTML")
	if path == "" {
		t.Skip("set RISKGRAPH_SAMPLE_HTML to a file name to write the sample page there")
	}
	if err := os.WriteFile(path, []byte(renderHTML(t, sampleReport())), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func TestHTMLLoadsNothingFromElsewhere(t *testing.T) {
	page := renderHTML(t, sampleReport())
	// Anywhere in the page but the JSON data (where a source's URL may be a value), nothing
	// may point at another place: no src or href with a scheme or //, no url( that is not a
	// data: URL, no @import, no <link>.
	rest := strings.Replace(page, reportData(t, page), "", 1)
	js, css := web.ReportAssets()
	attr := regexp.MustCompile(`(?i)\b(?:src|href|srcset|action|poster)\s*=\s*["']?\s*([^"'\s>]*)`)
	for _, m := range attr.FindAllStringSubmatch(rest, -1) {
		v := strings.ToLower(m[1])
		if strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//") {
			t.Errorf("page loads %q", m[0])
		}
		if !strings.HasPrefix(v, "#") {
			t.Errorf("attribute %q points outside the page (only #fragments are expected)", m[0])
		}
	}
	// A stylesheet's url( would fetch; in the script the text is only code (the browser test
	// watches what it requests).
	for _, m := range regexp.MustCompile(`(?i)url\(\s*["']?([^)"']*)`).FindAllStringSubmatch(strings.Replace(rest, string(js), "", 1), -1) {
		if !strings.HasPrefix(strings.ToLower(m[1]), "data:") {
			t.Errorf("page has %q", m[0])
		}
	}
	for _, bad := range []string{"@import", "<link", "<script src", "<iframe", "<img"} {
		if strings.Contains(strings.ToLower(rest), bad) {
			t.Errorf("page has %q", bad)
		}
	}
	// The bundle is inlined whole: the Chart.js script and the stylesheet.
	if !strings.Contains(page, "<script>"+string(js)+"</script>") {
		t.Error("page does not inline web.ReportAssets' script in a <script> element")
	}
	if !strings.Contains(page, "<style>"+string(css)+"</style>") {
		t.Error("page does not inline web.ReportAssets' stylesheet in a <style> element")
	}
	if !strings.Contains(string(js), "Chart.js v4.") {
		t.Error("the report script does not bundle Chart.js 4")
	}
}

func TestHTMLDataRoundTrips(t *testing.T) {
	want := sampleReport()
	page := renderHTML(t, want)
	var got Report
	if err := json.Unmarshal([]byte(reportData(t, page)), &got); err != nil {
		t.Fatalf("report-data does not parse: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("report-data parses to another report:\ngot  %s\nwant %s", gj, wj)
	}
}

// TestHTMLDataIsAnExcerptOfALargeReport checks that a large report's page carries only the
// first htmlDataRows scores and changes of each dimension, says so, and keeps the rest of the
// report whole.
func TestHTMLDataIsAnExcerptOfALargeReport(t *testing.T) {
	r := sampleReport()
	if strings.Contains(renderHTML(t, r), `id="data-excerpt"`) {
		t.Fatal("a small report's page says its data is an excerpt")
	}
	d := &r.Dimensions[0]
	proto, move := d.Scores[0], d.Changes[0]
	for i := range 3 * htmlDataRows {
		s, c := proto, move
		s.EntityID, s.Rank = fmt.Sprintf("vendor:bulk-%05d", i), len(d.Scores)+1
		c.EntityID = s.EntityID
		d.Scores, d.Changes = append(d.Scores, s), append(d.Changes, c)
	}
	page := renderHTML(t, r)
	var got Report
	if err := json.Unmarshal([]byte(reportData(t, page)), &got); err != nil {
		t.Fatalf("report-data does not parse: %v", err)
	}
	gd := got.Dimensions[0]
	if len(gd.Scores) != htmlDataRows || len(gd.Changes) != htmlDataRows {
		t.Fatalf("data holds %d scores and %d changes, want %d of each", len(gd.Scores), len(gd.Changes), htmlDataRows)
	}
	if !reflect.DeepEqual(gd.Scores, d.Scores[:htmlDataRows]) || !reflect.DeepEqual(gd.Changes, d.Changes[:htmlDataRows]) {
		t.Error("the data's rows are not the report's first ones")
	}
	if !reflect.DeepEqual(got.Dimensions[1:], r.Dimensions[1:]) || !reflect.DeepEqual(got.Quality, r.Quality) || got.Snapshot != r.Snapshot {
		t.Error("the excerpt changed more than the long lists")
	}
	if !strings.Contains(page, `id="data-excerpt"`) {
		t.Error("the page does not say its data is an excerpt")
	}
	if want := fmt.Sprintf("%d changes in all", len(d.Changes)); !strings.Contains(page, want) {
		t.Errorf("the page does not count every change (%q)", want)
	}
}

func TestHTMLEscapesHostileNames(t *testing.T) {
	const hostile = `Evil </script><script>alert(1)</script><!-- & "Co" <b>`
	r := sampleReport()
	reg := &r.Dimensions[0]
	reg.Scores[1].Name = hostile
	reg.Changes[0].Name = hostile
	reg.Changes[0].Causes[0].Summary = hostile + " signal began"
	reg.Changes[0].Causes[0].Chain[1].ToName = hostile
	reg.Changes[0].Causes[0].Sources[0].Name = hostile
	r.Obligations[0].Title = hostile
	r.Quality.Unsourced[0].Summary = hostile

	page := renderHTML(t, r)
	if n := strings.Count(strings.ToLower(page), "<script"); n != 2 {
		t.Errorf("page opens %d <script> elements, want 2 (the data and the bundle)", n)
	}
	if n := strings.Count(strings.ToLower(page), "</script"); n != 2 {
		t.Errorf("page closes %d <script> elements, want 2", n)
	}
	if strings.Contains(page, "<!--") {
		t.Error("page has <!--, which a hostile name must not bring in")
	}
	if strings.Contains(page, "<b>") {
		t.Error("a hostile name's <b> reached the page as markup")
	}
	if !strings.Contains(page, html.EscapeString(hostile)) {
		t.Error("the hostile name is not shown as text, HTML-escaped")
	}
	var got Report
	if err := json.Unmarshal([]byte(reportData(t, page)), &got); err != nil {
		t.Fatalf("report-data does not parse: %v", err)
	}
	if got.Dimensions[0].Changes[0].Name != hostile || got.Obligations[0].Title != hostile {
		t.Errorf("report-data does not give the hostile name back: %q", got.Dimensions[0].Changes[0].Name)
	}
	specs := chartSpecs(t, page, "delta-chart")
	if len(specs) == 0 || specs[0]["labels"].([]any)[0] != hostile {
		t.Errorf("the delta chart's label is not the hostile name, read back: %v", specs)
	}
}

func TestHTMLShowsTheReport(t *testing.T) {
	page := renderHTML(t, sampleReport())
	text := html.UnescapeString(withoutData(t, page))
	for _, want := range []string{
		// header
		`<dd id="as-of">2017-12-31</dd>`,
		`<dd id="previous-as-of">2017-09-01 <span class="id">snapshot:2017-09-01:1</span></dd>`,
		"<dd>riskgraph-default/3</dd>",
		"<dd>2026-12-02T02:00:00Z</dd>",
		`<span class="id" id="snapshot-id">snapshot:2017-12-31:2</span>`,
		"Changes since 2017-09-01, listed when a score moved by at least 0.0100.",
		// one section per dimension, each with both charts
		`<section class="dimension" id="dim-regulatory" data-dimension="REGULATORY">`,
		`<section class="dimension" id="dim-reputational" data-dimension="REPUTATIONAL">`,
		// movers, scores with four decimals, the model's vocabulary
		`<td class="num">0.0000</td>`,
		`<td class="num">0.8100</td>`,
		`<td class="num delta up">+0.8100</td>`,
		`<td class="num delta down">-0.3000</td>`,
		`<td class="num">— → 2</td>`,
		`<td class="num">2 → —</td>`,
		"<th>Now: intrinsic / propagated</th>",
		`<td class="num">0.0000 / 0.8100</td>`,
		"<th class=\"num\">Intrinsic</th><th class=\"num\">Propagated</th>",
		// causes, with the sources they cite
		`<span class="cause-kind">SIGNAL_ADDED</span> BOD 17-01 signal began (2017-09-13)`,
		`<span class="cause-kind">FACT_ENDED</span> Best Buy SELLS Kaspersky Anti-Virus ended (2017-09-08)`,
		"through the risk source BOD 17-01 (2 hops)",
		"Cites: Reuters/AP report (published 2017-09-13)",
		// obligations
		`<tr data-obligation="directive:bod-17-01#remove"><td><span class="badge overdue">overdue</span></td><td>2017-12-12</td><td>19 days overdue</td>`,
		`<span class="id">agency:dhs</span></td><td class="num">1</td></tr>`,
		// data quality
		`<a href="#dq-unsourced">Unsourced facts</a> (cite no source)</td><td class="num">1</td>`,
		`<a href="#dq-stale">Stale sources</a> (published more than 365 days before 2017-12-31)</td><td class="num">0</td>`,
		"<h3>Inferred relationships (1)</h3>",
		"<td>DHS USES Kaspersky Anti-Virus</td><td>2017-01-01</td>",
		"<h3>Disputed facts (0)</h3>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, word := range []string{"own", "inherited", "first run"} {
		if regexp.MustCompile(`(?i)\b` + word + `\b`).MatchString(text) {
			t.Errorf("page says %q", word)
		}
	}
	if n := len(chartSpecs(t, page, "delta-chart")); n != 2 {
		t.Errorf("%d delta charts, want one per dimension (2)", n)
	}
	if n := len(chartSpecs(t, page, "histogram-chart")); n != 2 {
		t.Errorf("%d histograms, want one per dimension (2)", n)
	}
}

func TestHTMLGivesACauseDateOnce(t *testing.T) {
	r := sampleReport()
	r.Dimensions[1].Changes[0].Causes[0].Summary = "Best Buy SELLS Kaspersky Anti-Virus ended on 2017-09-08"
	text := html.UnescapeString(withoutData(t, renderHTML(t, r)))
	if !strings.Contains(text, `<span class="cause-kind">FACT_ENDED</span> Best Buy SELLS Kaspersky Anti-Virus ended on 2017-09-08, <span class="delta down">-0.3000</span>`) {
		t.Error("the cause's summary is not shown as it is, without its date repeated")
	}
	// The sample's other cause does not say its date, so the page adds it.
	if !strings.Contains(text, `BOD 17-01 signal began (2017-09-13), <span class="delta up">+0.8100</span>`) {
		t.Error("a cause whose summary gives no date is shown without it")
	}
}

func TestHTMLHistogram(t *testing.T) {
	scores := func(xs ...float64) []Score {
		var s []Score
		for _, x := range xs {
			s = append(s, Score{Score: x})
		}
		return s
	}
	tests := []struct {
		name   string
		scores []Score
		want   [htmlBuckets]int
	}{
		{"none", nil, [htmlBuckets]int{}},
		{"lower bounds", scores(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), [htmlBuckets]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"just below the bounds", scores(0.0999, 0.1999, 0.2999, 0.9999), [htmlBuckets]int{0: 1, 1: 1, 2: 1, 9: 1}},
		{"one falls in the last", scores(1, 0.95), [htmlBuckets]int{9: 2}},
		{"the sample's regulatory scores", sampleReport().Dimensions[0].Scores, [htmlBuckets]int{6: 1, 8: 1, 9: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scoreHistogram(tt.scores); got != tt.want {
				t.Errorf("scoreHistogram = %v, want %v", got, tt.want)
			}
		})
	}

	page := renderHTML(t, sampleReport())
	spec := chartSpecs(t, page, "histogram-chart")[0]
	if got := fmt.Sprint(spec["counts"]); got != "[0 0 0 0 0 0 1 0 1 1]" {
		t.Errorf("regulatory histogram counts %s", got)
	}
	if got := fmt.Sprint(spec["labels"]); got != "[0.0–0.1 0.1–0.2 0.2–0.3 0.3–0.4 0.4–0.5 0.5–0.6 0.6–0.7 0.7–0.8 0.8–0.9 0.9–1.0]" {
		t.Errorf("histogram labels %s", got)
	}
	// Without script, the canvas shows the same counts as a table.
	if !strings.Contains(page, "<tr><td>0.8–0.9</td><td class=\"num\">1</td></tr><tr><td>0.9–1.0</td><td class=\"num\">1</td></tr>") {
		t.Error("the histogram's fallback table is missing or wrong")
	}
}

// manyMovers is a report whose one dimension has n changes, the i-th moving by
// (−1)^i·(i+1)/100, each with a one-link chain except every third.
func manyMovers(n int) Report {
	r := sampleReport()
	d := DimensionReport{Dimension: "OPERATIONAL", Scores: []Score{}}
	for i := range n {
		delta := float64(i+1) / 100
		kind := Up
		if i%2 == 1 {
			delta, kind = -delta, Down
		}
		id := fmt.Sprintf("vendor:v%02d", i)
		c := Change{EntityID: id, Name: fmt.Sprintf("Vendor %02d", i), Kind: "Vendor", Dimension: d.Dimension, Change: kind,
			Previous: 0.5, Score: 0.5 + delta, Delta: delta, Rank: i + 1, PreviousRank: i + 1}
		cause := Cause{Kind: FactBegan, Summary: "began", Delta: delta}
		if i%3 != 2 {
			cause.Chain = []ChainLink{{From: "country:x", FromName: "Country X", To: id, ToName: c.Name, Type: "BASED_IN", RelationshipID: id + "-rel"}}
		}
		c.Causes = []Cause{cause, cause} // the same chain twice is drawn once
		d.Changes = append(d.Changes, c)
	}
	// Changes come biggest move first.
	for i, j := 0, len(d.Changes)-1; i < j; i, j = i+1, j-1 {
		d.Changes[i], d.Changes[j] = d.Changes[j], d.Changes[i]
	}
	r.Dimensions = []DimensionReport{d}
	return r
}

func TestHTMLTopMovers(t *testing.T) {
	page := renderHTML(t, manyMovers(20))
	specs := chartSpecs(t, page, "delta-chart")
	if len(specs) != 1 {
		t.Fatalf("%d delta charts, want 1", len(specs))
	}
	labels := specs[0]["labels"].([]any)
	if len(labels) != htmlTopMovers {
		t.Fatalf("delta chart has %d bars, want %d", len(labels), htmlTopMovers)
	}
	if labels[0] != "Vendor 19" || labels[14] != "Vendor 05" {
		t.Errorf("delta chart bars %v, want Vendor 19 down to Vendor 05", labels)
	}
	if got := fmt.Sprint(specs[0]["values"].([]any)[:3]); got != "[-0.2 0.19 -0.18]" {
		t.Errorf("delta chart values start %s", got)
	}
	if n := strings.Count(page, `<tr data-entity="vendor:`); n != htmlTopMovers {
		t.Errorf("movers table has %d rows, want %d", n, htmlTopMovers)
	}
	if !strings.Contains(page, "20 changes in all; the JSON and CSV reports list every one.") {
		t.Error("page does not say that more changes were left out")
	}
}

func TestHTMLChains(t *testing.T) {
	t.Run("sample", func(t *testing.T) {
		page := renderHTML(t, sampleReport())
		_, chains, _ := strings.Cut(page, `<section id="chains">`)
		chains, _, _ = strings.Cut(chains, "</section>")
		if n := strings.Count(chains, `<div class="chain-item"`); n != 1 {
			t.Fatalf("%d chains drawn, want 1 (only the regulatory change has one)", n)
		}
		// Boxes and arrows in order, from the risk source to the scored entity.
		want := []string{
			`<div class="chain-node source" title="directive:bod-17-01">BOD 17-01<small>risk source</small></div>`,
			`<div class="chain-link"><span class="rel">TARGETS</span><span class="arrow"></span></div>`,
			`<div class="chain-node " title="vendor:kaspersky-lab">Kaspersky Lab</div>`,
			`<div class="chain-link"><span class="rel">MAKES</span><span class="arrow"></span></div>`,
			`<div class="chain-node target" title="product:kaspersky-anti-virus">Kaspersky Anti-Virus<small>scored entity</small></div>`,
		}
		at := 0
		for _, w := range want {
			i := strings.Index(chains[at:], w)
			if i < 0 {
				t.Fatalf("after offset %d the chain lacks %s\n%s", at, w, chains)
			}
			at += i + len(w)
		}
	})
	t.Run("ten biggest with a chain", func(t *testing.T) {
		movers, skipped := chainMovers(manyMovers(20))
		var got []string
		for _, m := range movers {
			got = append(got, m.EntityID[len("vendor:"):])
			if len(m.Chains) != 1 {
				t.Errorf("%s: %d chains drawn, want 1 (its two causes share one)", m.EntityID, len(m.Chains))
			}
		}
		// v17, v14, v11, … have no chain (every third from v02).
		want := "v19 v18 v16 v15 v13 v12 v10 v09 v07 v06"
		if strings.Join(got, " ") != want || !skipped {
			t.Errorf("chains of %v (skipped %v), want %s (skipped true)", got, skipped, want)
		}
	})
	t.Run("a chain that does not join up", func(t *testing.T) {
		steps := chainSteps([]ChainLink{
			{From: "a", FromName: "A", To: "b", ToName: "B", Type: "OWNS"},
			{From: "c", FromName: "C", To: "d", ToName: "D", Type: "SUPPLIES"},
		})
		var got []string
		for _, s := range steps {
			got = append(got, fmt.Sprintf("%v|%s|%s|%s", s.Gap, s.Rel, s.Name, s.Role))
		}
		want := "false||A|source false|OWNS|B| true||C| false|SUPPLIES|D|target"
		if strings.Join(got, " ") != want {
			t.Errorf("steps %q, want %q", strings.Join(got, " "), want)
		}
	})
}

func TestHTMLFirstRun(t *testing.T) {
	r := sampleReport()
	r.Previous = nil
	for i := range r.Dimensions {
		r.Dimensions[i].Changes = []Change{}
	}
	page := renderHTML(t, r)
	text := html.UnescapeString(withoutData(t, page))
	for _, want := range []string{
		`<dd id="previous-as-of">none</dd>`,
		`<p class="first-run" id="first-run">This is the first run: there is no previous snapshot, so there is nothing to compare with and no changes are listed.</p>`,
		"Nothing to compare with on a first run.",
		"Nothing to compare with on a first run, so there are no movers.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("first-run page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Changes since", `class="delta-chart"`, "<h3>Biggest movers</h3>"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("first-run page has %q", unwanted)
		}
	}
	if n := len(chartSpecs(t, page, "histogram-chart")); n != 2 {
		t.Errorf("first-run page has %d histograms, want 2", n)
	}
	var got Report
	if err := json.Unmarshal([]byte(reportData(t, page)), &got); err != nil || got.Previous != nil {
		t.Errorf("first-run report-data: previous %v, err %v", got.Previous, err)
	}
}

func TestHTMLEmptySections(t *testing.T) {
	r := sampleReport()
	r.Obligations = []ObligationItem{}
	r.Quality = Quality{UnsourcedCount: 120, Unsourced: make([]FactRef, QualityListMax), StaleAfterDays: 365}
	text := html.UnescapeString(withoutData(t, renderHTML(t, r)))
	for _, want := range []string{
		"No obligation falls due within 30 days after 2017-12-31, and none is overdue.",
		"<h3>Unsourced facts (120)</h3>",
		"Showing the first 50 of 120.",
		"<h3>Stale sources (0)</h3>\n<p class=\"note\">None.</p>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHTMLIsDeterministic(t *testing.T) {
	a := renderHTML(t, sampleReport())
	b := renderHTML(t, sampleReport())
	if a != b {
		t.Fatal("two renders of the same report differ")
	}
	c := renderHTML(t, manyMovers(30))
	if c != renderHTML(t, manyMovers(30)) {
		t.Fatal("two renders of a larger report differ")
	}
}

func TestHTMLRefusesAssetsThatWouldBreakOut(t *testing.T) {
	tests := []struct {
		name    string
		js, css string
	}{
		{"script end in the script", `var s = "</SCRIPT>";`, "body{}"},
		{"comment start in the script", `var s = "<!--";`, "body{}"},
		{"style end in the stylesheet", "1;", `a::after{content:"</style>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newHTMLPage(sampleReport(), []byte(tt.js), []byte(tt.css)); err == nil {
				t.Error("newHTMLPage accepted the assets")
			}
		})
	}
	if _, err := newHTMLPage(sampleReport(), []byte("1;"), []byte("body{}")); err != nil {
		t.Errorf("newHTMLPage refused harmless assets: %v", err)
	}
}
