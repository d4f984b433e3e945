package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"riskgraph/internal/kg"
	"riskgraph/web"
)

// Sizes of the HTML report's lists.
const (
	// htmlTopMovers is how many of a dimension's changes the bar chart and the movers table show.
	htmlTopMovers = 15
	// htmlTopScores is how many of a dimension's highest scores its score table shows.
	htmlTopScores = 10
	// htmlChainMovers is how many changes of the whole report get their exposure chains drawn.
	htmlChainMovers = 10
	// htmlBuckets is the number of score buckets of a dimension's histogram, over 0–1.
	htmlBuckets = 10
	// htmlDataRows is how many of a dimension's scores, and of its changes, the page's data
	// element carries. A page for mail must stay small: with every score of a 200k-entity
	// graph the data alone was 70 MB. The JSON report has every row.
	htmlDataRows = 1000
)

// WriteHTML writes the report as one self-contained HTML page: the tables and exposure
// chains in plain HTML, charts of each dimension's biggest moves and score distribution
// drawn by the inlined Chart.js bundle (web.ReportAssets), and the report as JSON in
// <script type="application/json" id="report-data">: all of it, but for the scores and
// changes of each dimension past the first htmlDataRows (see excerpt). The page loads nothing from anywhere,
// so it opens offline, e.g. from a mail attachment. The same report gives the same bytes.
func WriteHTML(w io.Writer, r Report) error {
	js, css := web.ReportAssets()
	page, err := newHTMLPage(r, js, css)
	if err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows, worked out from a Report.
type htmlPage struct {
	R             Report
	GeneratedAt   string
	Dimensions    []htmlDimension
	Chains        []htmlChainMover
	ChainsSkipped bool // some top movers' causes have no chain to draw
	Data          template.JS
	Excerpt       bool // the data element leaves some scores or changes out
	Script        template.JS
	Style         template.CSS
}

// htmlDimension is one dimension's section.
type htmlDimension struct {
	Name        kg.Dimension
	Anchor      string
	ScoreCount  int
	ChangeCount int
	Up, Down    int // changes that raised (UP, NEW) and lowered (DOWN, GONE) a score
	Movers      []htmlMover
	TopScores   []Score
	DeltaChart  string // JSON series of the bar chart, for the page's script
	DeltaHeight int    // pixels
	Buckets     []htmlBucket
	HistChart   string
}

// htmlMover is one change of a dimension's movers table.
type htmlMover struct {
	Change
	Now *Score // the entity's score now; nil when GONE
}

// htmlBucket is one bar of a score histogram.
type htmlBucket struct {
	Label string
	Count int
}

// htmlChainMover is a top change whose causes have chains to draw.
type htmlChainMover struct {
	Change
	Chains []htmlChain
}

// htmlChain is one cause's chain, as boxes and labelled arrows.
type htmlChain struct {
	Cause Cause
	Steps []htmlChainStep
}

// htmlChainStep is one box of a chain, with the arrow that leads into it (none for the first).
type htmlChainStep struct {
	Rel    kg.RelType // the relationship of the arrow into this box; "" for the first box
	Gap    bool       // the chain does not join up here (the previous link ends elsewhere)
	ID     string
	Name   string
	Role   string // "source", "target" or ""
	Legend string // what the role means, shown under the name
}

// deltaSeries is the bar chart of a dimension's biggest moves, as the page's script reads it.
type deltaSeries struct {
	Type     string       `json:"type"`
	Labels   []string     `json:"labels"`
	Values   []float64    `json:"values"`
	Kinds    []ChangeKind `json:"kinds"`
	Previous []float64    `json:"previous"`
	Scores   []float64    `json:"scores"`
}

// histogramSeries is the histogram of a dimension's scores, as the page's script reads it.
type histogramSeries struct {
	Type   string   `json:"type"`
	Labels []string `json:"labels"`
	Counts []int    `json:"counts"`
}

func newHTMLPage(r Report, js, css []byte) (htmlPage, error) {
	if err := inlineSafe(js, "</script", "<!--"); err != nil {
		return htmlPage{}, fmt.Errorf("report script: %w", err)
	}
	if err := inlineSafe(css, "</style", "<!--"); err != nil {
		return htmlPage{}, fmt.Errorf("report stylesheet: %w", err)
	}
	short, cut := excerpt(r, htmlDataRows)
	data, err := reportDataJSON(short)
	if err != nil {
		return htmlPage{}, err
	}
	p := htmlPage{R: r, GeneratedAt: r.GeneratedAt.UTC().Format(time.RFC3339),
		Data: template.JS(data), Excerpt: cut, Script: template.JS(js), Style: template.CSS(css)}
	for _, d := range r.Dimensions {
		hd, err := newHTMLDimension(d)
		if err != nil {
			return htmlPage{}, err
		}
		p.Dimensions = append(p.Dimensions, hd)
	}
	p.Chains, p.ChainsSkipped = chainMovers(r)
	return p, nil
}

// inlineSafe reports an error when b holds any of the markers (in any case), which would end
// or disturb the element it is inlined in.
func inlineSafe(b []byte, markers ...string) error {
	low := bytes.ToLower(b)
	for _, m := range markers {
		if bytes.Contains(low, []byte(m)) {
			return fmt.Errorf("contains %q and cannot be inlined", m)
		}
	}
	return nil
}

// excerpt is r with each dimension's scores and changes cut to their first n (the highest
// scores, the biggest moves), and whether it cut any.
func excerpt(r Report, n int) (Report, bool) {
	cut := false
	dims := make([]DimensionReport, len(r.Dimensions))
	for i, d := range r.Dimensions {
		if len(d.Scores) > n || len(d.Changes) > n {
			cut = true
			d.Scores, d.Changes = d.Scores[:min(n, len(d.Scores))], d.Changes[:min(n, len(d.Changes))]
		}
		dims[i] = d
	}
	r.Dimensions = dims
	return r, cut
}

// reportDataJSON encodes the report for its <script type="application/json"> element.
// encoding/json writes <, > and & as \u003c, \u003e and \u0026, so no value (an entity named
// "</script>" or "<!--") can end the element or start a comment in it; the check below
// keeps it that way.
func reportDataJSON(r Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode the report data: %w", err)
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if bytes.ContainsAny(data, "<>") {
		return nil, fmt.Errorf("encoded report data holds an unescaped < or >")
	}
	return data, nil
}

// byMove orders changes biggest move first, keeping the given order between equal moves.
func byMove(a, b Change) int { return cmp.Compare(math.Abs(b.Delta), math.Abs(a.Delta)) }

func newHTMLDimension(d DimensionReport) (htmlDimension, error) {
	hd := htmlDimension{Name: d.Dimension, Anchor: "dim-" + strings.ToLower(string(d.Dimension)),
		ScoreCount: len(d.Scores), ChangeCount: len(d.Changes)}
	now := make(map[string]*Score, len(d.Scores))
	for i := range d.Scores {
		now[d.Scores[i].EntityID] = &d.Scores[i]
	}
	for _, c := range d.Changes {
		if c.Delta > 0 {
			hd.Up++
		} else {
			hd.Down++
		}
	}
	changes := slices.Clone(d.Changes)
	slices.SortStableFunc(changes, byMove)
	changes = changes[:min(len(changes), htmlTopMovers)]
	series := deltaSeries{Type: "delta", Labels: []string{}, Values: []float64{}, Kinds: []ChangeKind{}, Previous: []float64{}, Scores: []float64{}}
	for _, c := range changes {
		hd.Movers = append(hd.Movers, htmlMover{Change: c, Now: now[c.EntityID]})
		series.Labels = append(series.Labels, c.Name)
		series.Values = append(series.Values, c.Delta)
		series.Kinds = append(series.Kinds, c.Change)
		series.Previous = append(series.Previous, c.Previous)
		series.Scores = append(series.Scores, c.Score)
	}
	// 28 px a bar, plus room for the axis and its title; a few bars get the histogram's height.
	hd.DeltaHeight = max(260, 70+28*len(changes))
	hd.TopScores = d.Scores[:min(len(d.Scores), htmlTopScores)]

	hist := histogramSeries{Type: "histogram"}
	counts := scoreHistogram(d.Scores)
	for i, n := range counts {
		label := fmt.Sprintf("%.1f–%.1f", float64(i)/htmlBuckets, float64(i+1)/htmlBuckets)
		hd.Buckets = append(hd.Buckets, htmlBucket{Label: label, Count: n})
		hist.Labels = append(hist.Labels, label)
		hist.Counts = append(hist.Counts, n)
	}
	var err error
	if hd.DeltaChart, err = chartJSON(series); err != nil {
		return htmlDimension{}, err
	}
	if hd.HistChart, err = chartJSON(hist); err != nil {
		return htmlDimension{}, err
	}
	return hd, nil
}

// scoreHistogram counts scores in htmlBuckets equal buckets over [0, 1]: bucket i holds
// i/10 ≤ score < (i+1)/10, and the last one holds 1 as well.
func scoreHistogram(scores []Score) [htmlBuckets]int {
	var counts [htmlBuckets]int
	for _, s := range scores {
		i := int(math.Floor(s.Score * htmlBuckets))
		counts[min(max(i, 0), htmlBuckets-1)]++
	}
	return counts
}

func chartJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode chart series: %w", err)
	}
	return string(b), nil
}

// chainMovers picks the htmlChainMovers biggest changes of the report, over all dimensions,
// that have a cause with a chain, and lays out each such cause's chain (the same chain once).
// skipped tells whether a bigger change was passed over for having no chain.
func chainMovers(r Report) (movers []htmlChainMover, skipped bool) {
	var all []Change
	for _, d := range r.Dimensions {
		all = append(all, d.Changes...)
	}
	slices.SortStableFunc(all, byMove)
	for _, c := range all {
		if len(movers) == htmlChainMovers {
			break
		}
		m := htmlChainMover{Change: c}
		seen := map[string]bool{}
		for _, cause := range c.Causes {
			if len(cause.Chain) == 0 {
				continue
			}
			var key strings.Builder
			for _, l := range cause.Chain {
				key.WriteString(l.RelationshipID + "\x00")
			}
			if seen[key.String()] {
				continue
			}
			seen[key.String()] = true
			m.Chains = append(m.Chains, htmlChain{Cause: cause, Steps: chainSteps(cause.Chain)})
		}
		if len(m.Chains) == 0 {
			skipped = true
			continue
		}
		movers = append(movers, m)
	}
	return movers, skipped
}

// chainSteps lays a chain out as boxes: the first link's start (the risk source), then each
// link's end, with the link's type on the arrow into it.
func chainSteps(chain []ChainLink) []htmlChainStep {
	var steps []htmlChainStep
	for i, l := range chain {
		if i == 0 || l.From != chain[i-1].To {
			steps = append(steps, htmlChainStep{Gap: i > 0, ID: l.From, Name: l.FromName})
		}
		steps = append(steps, htmlChainStep{Rel: l.Type, ID: l.To, Name: l.ToName})
	}
	steps[0].Role, steps[0].Legend = "source", "risk source"
	last := &steps[len(steps)-1]
	last.Role, last.Legend = "target", "scored entity"
	return steps
}

// htmlFuncs are the template's helpers.
var htmlFuncs = template.FuncMap{
	"score":  func(x float64) string { return fmt.Sprintf("%.4f", x) },
	"signed": func(x float64) string { return fmt.Sprintf("%+.4f", x) },
	"date": func(d kg.Date) string {
		if d.IsZero() {
			return "—"
		}
		return d.String()
	},
	// unsaid tells whether a cause's date is set and its summary does not already give it.
	"unsaid": func(d kg.Date, summary string) bool { return !d.IsZero() && !strings.Contains(summary, d.String()) },
	"utc":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"rank": func(n int) string {
		if n == 0 {
			return "—"
		}
		return fmt.Sprint(n)
	},
	// moveClass is the colour class of a change: risk up or risk down.
	"moveClass": func(k ChangeKind) string {
		if k == Up || k == New {
			return "up"
		}
		return "down"
	},
	"lower": func(s any) string { return strings.ToLower(fmt.Sprint(s)) },
	"statusClass": func(s ObligationStatus) string {
		if s == Overdue {
			return "overdue"
		}
		return "due-soon"
	},
	"statusText": func(s ObligationStatus) string {
		if s == Overdue {
			return "overdue"
		}
		return "due soon"
	},
	"dueText": func(days int) string {
		switch {
		case days < -1:
			return fmt.Sprintf("%d days overdue", -days)
		case days == -1:
			return "1 day overdue"
		case days == 0:
			return "due today"
		case days == 1:
			return "due tomorrow"
		default:
			return fmt.Sprintf("due in %d days", days)
		}
	},
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
	"qualityMax": func() int { return QualityListMax },
	"dataRows":   func() int { return htmlDataRows },
	"facts": func(id, title string, count int, list []FactRef) htmlFacts {
		return htmlFacts{ID: id, Title: title, Count: count, List: list}
	},
}

// htmlFacts is one list of the data-quality section.
type htmlFacts struct {
	ID, Title string
	Count     int
	List      []FactRef
}

var htmlTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlSource))

// htmlSource is the page. Tables and chains need no script; the charts' canvases hold a
// fallback (a table, or a pointer to one) that browsers show when scripting is off.
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="riskgraph report, schema version {{.R.SchemaVersion}}">
<title>Risk report {{date .R.Snapshot.AsOf}}</title>
<style>{{.Style}}</style>
</head>
<body>
<main>
<header class="report-header">
<h1>Risk report for {{date .R.Snapshot.AsOf}}</h1>
<div class="muted">{{if .R.Previous}}Changes since {{date .R.Previous.AsOf}}, listed when a score moved by at least {{score .R.Threshold}}.{{else}}First run: no earlier snapshot.{{end}}</div>
<dl class="meta">
<dt>As of</dt><dd id="as-of">{{date .R.Snapshot.AsOf}}</dd>
<dt>Previous snapshot</dt><dd id="previous-as-of">{{with .R.Previous}}{{date .AsOf}} <span class="id">{{.ID}}</span>{{else}}none{{end}}</dd>
<dt>Model version</dt><dd>{{.R.Snapshot.ModelVersion}}{{with .R.Previous}}{{if ne .ModelVersion $.R.Snapshot.ModelVersion}} (previous: {{.ModelVersion}}){{end}}{{end}}</dd>
<dt>Generated at</dt><dd>{{.GeneratedAt}}</dd>
<dt>Snapshot</dt><dd><span class="id" id="snapshot-id">{{.R.Snapshot.ID}}</span></dd>
<dt>Facts as known at</dt><dd>{{.R.Snapshot.KnownAt}}</dd>
<dt>Scores in snapshot</dt><dd>{{.R.Snapshot.Scores}}</dd>
<dt>Created by</dt><dd>{{.R.Snapshot.CreatedBy}} at {{utc .R.Snapshot.CreatedAt}}</dd>
</dl>
{{- if not .R.Previous}}
<p class="first-run" id="first-run">This is the first run: there is no previous snapshot, so there is nothing to compare with and no changes are listed.</p>
{{- end}}
<ul class="summary">
{{- range .Dimensions}}
<li><a href="#{{.Anchor}}"><strong>{{.Name}}</strong>{{plural .ScoreCount "score" "scores"}}{{if $.R.Previous}}, {{plural .ChangeCount "change" "changes"}} ({{.Up}} up, {{.Down}} down){{end}}</a></li>
{{- end}}
<li><a href="#chains"><strong>EXPOSURE CHAINS</strong>{{plural (len .Chains) "top mover" "top movers"}}</a></li>
<li><a href="#obligations"><strong>OBLIGATIONS</strong>{{plural (len .R.Obligations) "due or overdue" "due or overdue"}}</a></li>
<li><a href="#data-quality"><strong>DATA QUALITY</strong>{{plural (.R.Quality.UnsourcedCount) "unsourced fact" "unsourced facts"}}</a></li>
</ul>
</header>
<p class="no-charts">The charts need JavaScript; every number they show is in the tables.</p>
{{- range .Dimensions}}

<section class="dimension" id="{{.Anchor}}" data-dimension="{{.Name}}">
<h2>{{.Name}}</h2>
<div class="charts">
<div class="chart-card">
<h3>Largest changes{{if .Movers}} (top {{len .Movers}} of {{.ChangeCount}}){{end}}</h3>
{{- if .Movers}}
<div class="chart-box" style="--chart-height: {{.DeltaHeight}}px"><canvas class="delta-chart" role="img" aria-label="Largest score changes in {{.Name}}" data-chart="{{.DeltaChart}}">The movers table below lists these changes.</canvas></div>
<div class="legend"><span style="--swatch: #a4161a">NEW</span><span style="--swatch: #d9534f">UP</span><span style="--swatch: #3c9d5d">DOWN</span><span style="--swatch: #1f6f3f">GONE</span></div>
{{- else}}
<p class="chart-empty">{{if $.R.Previous}}No score moved by {{score $.R.Threshold}} or more.{{else}}Nothing to compare with on a first run.{{end}}</p>
{{- end}}
</div>
<div class="chart-card">
<h3>Score distribution ({{plural .ScoreCount "score" "scores"}})</h3>
<div class="chart-box" style="--chart-height: 260px"><canvas class="histogram-chart" role="img" aria-label="Distribution of {{.Name}} scores" data-chart="{{.HistChart}}">
<table><thead><tr><th>Score</th><th class="num">Entities</th></tr></thead><tbody>
{{- range .Buckets}}<tr><td>{{.Label}}</td><td class="num">{{.Count}}</td></tr>{{end -}}
</tbody></table></canvas></div>
</div>
</div>
{{- if .Movers}}
<h3>Biggest movers</h3>
<table class="movers">
<thead><tr><th class="entity">Entity</th><th>Change</th><th class="num">Previous</th><th class="num">Score</th><th class="num">Delta</th><th class="num">Rank</th><th>Now: intrinsic / propagated</th><th>Causes</th></tr></thead>
<tbody>
{{- range .Movers}}
<tr data-entity="{{.EntityID}}">
<td class="entity"><strong>{{.Name}}</strong> <span class="muted">{{.Kind}}</span><span class="id">{{.EntityID}}</span></td>
<td><span class="badge {{lower .Change.Change}}">{{.Change.Change}}</span></td>
<td class="num">{{score .Previous}}</td>
<td class="num">{{score .Score}}</td>
<td class="num delta {{moveClass .Change.Change}}">{{signed .Delta}}</td>
<td class="num">{{rank .PreviousRank}} → {{rank .Rank}}</td>
<td class="num">{{with .Now}}{{score .Intrinsic}} / {{score .Propagated}}{{else}}—{{end}}</td>
<td class="cause-cell">{{if .Causes}}<ul class="causes">
{{- range .Causes}}
<li><span class="cause-kind">{{.Kind}}</span> {{.Summary}}{{if unsaid .Date .Summary}} ({{date .Date}}){{end}}, <span class="delta {{if gt .Delta 0.0}}up{{else}}down{{end}}">{{signed .Delta}}</span>{{if .Source.EntityName}} through the risk source {{.Source.EntityName}} ({{plural .Source.Hops "hop" "hops"}}){{end}}
{{- if .Sources}}
<div class="cites">Cites: {{range $i, $s := .Sources}}{{if $i}}; {{end}}{{$s.Name}} (published {{date $s.Published}}){{if $s.Disputes}} — disputes it{{end}}{{end}}</div>
{{- end}}</li>
{{- end}}
</ul>{{else}}<span class="muted">no cause found</span>{{end}}</td>
</tr>
{{- end}}
</tbody>
</table>
{{- if gt .ChangeCount (len .Movers)}}
<p class="note">{{.ChangeCount}} changes in all; the JSON and CSV reports list every one.</p>
{{- end}}
{{- end}}
{{- if .TopScores}}
<h3>Highest scores</h3>
<table class="scores">
<thead><tr><th class="num">Rank</th><th>Entity</th><th class="num">Score</th><th class="num">Intrinsic</th><th class="num">Propagated</th><th>Top risk source</th></tr></thead>
<tbody>
{{- range .TopScores}}
<tr><td class="num">{{.Rank}}</td><td><strong>{{.Name}}</strong> <span class="muted">{{.Kind}}</span></td><td class="num">{{score .Score}}</td><td class="num">{{score .Intrinsic}}</td><td class="num">{{score .Propagated}}</td><td>{{with .TopSource}}{{.EntityName}} <span class="muted">({{score .Strength}}, {{plural .Hops "hop" "hops"}})</span>{{else}}—{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if gt .ScoreCount (len .TopScores)}}
<p class="note">{{.ScoreCount}} scores in all; the JSON and CSV reports list every one.</p>
{{- end}}
{{- end}}
</section>
{{- end}}

<section id="chains">
<h2>Exposure chains of the top movers</h2>
{{- if .Chains}}
<p class="note">How risk reaches the biggest movers of the report: from the risk source, along each relationship in the direction risk crosses it, to the entity whose score moved.{{if .ChainsSkipped}} Movers none of whose causes carries a chain are left out.{{end}}</p>
{{- range .Chains}}
<div class="chain-item" data-entity="{{.EntityID}}" data-dimension="{{.Dimension}}">
<h3>{{.Name}} <span class="muted">· {{.Dimension}} ·</span> <span class="badge {{lower .Change.Change}}">{{.Change.Change}}</span> <span class="delta {{moveClass .Change.Change}}">{{signed .Delta}}</span> <span class="muted">({{score .Previous}} → {{score .Score}})</span></h3>
{{- range .Chains}}
<div class="chain-cause muted"><span class="cause-kind">{{.Cause.Kind}}</span> {{.Cause.Summary}}{{if unsaid .Cause.Date .Cause.Summary}} ({{date .Cause.Date}}){{end}}</div>
<div class="chain">
{{- range .Steps}}
{{- if .Gap}}<span class="chain-gap">…</span>{{end}}
{{- if .Rel}}<div class="chain-link"><span class="rel">{{.Rel}}</span><span class="arrow"></span></div>{{end}}
<div class="chain-node {{.Role}}" title="{{.ID}}">{{.Name}}{{if .Legend}}<small>{{.Legend}}</small>{{end}}</div>
{{- end}}
</div>
{{- end}}
</div>
{{- end}}
{{- else}}
<p class="note">{{if .R.Previous}}No top mover has a cause with a chain to draw.{{else}}Nothing to compare with on a first run, so there are no movers.{{end}}</p>
{{- end}}
</section>

<section id="obligations">
<h2>Obligations due soon or overdue</h2>
{{- if .R.Obligations}}
<p class="note">Due within {{plural .R.DueWindowDays "day" "days"}} after {{date .R.Snapshot.AsOf}}, and those overdue, soonest due first.</p>
<table class="obligations">
<thead><tr><th>Status</th><th>Due</th><th>When</th><th>Rule</th><th>Obligation</th><th>Pending parties</th><th class="num">Met</th></tr></thead>
<tbody>
{{- range .R.Obligations}}
<tr data-obligation="{{.ID}}"><td><span class="badge {{statusClass .Status}}">{{statusText .Status}}</span></td><td>{{date .Due}}</td><td>{{dueText .DaysUntilDue}}</td><td>{{.RuleName}}<br><span class="id">{{.RuleID}}</span></td><td>{{.Title}}<br><span class="id">{{.ID}}</span></td><td>{{range $i, $p := .Pending}}{{if $i}}, {{end}}<span class="id">{{$p}}</span>{{else}}—{{end}}</td><td class="num">{{.Met}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="note">No obligation falls due within {{plural .R.DueWindowDays "day" "days"}} after {{date .R.Snapshot.AsOf}}, and none is overdue.</p>
{{- end}}
</section>

<section id="data-quality">
<h2>Data quality</h2>
<p class="note">Facts to look at before trusting this report. Each list shows at most {{qualityMax}} items; the counts are complete.</p>
{{- with .R.Quality}}
<table class="counts">
<thead><tr><th>What</th><th class="num">Count</th></tr></thead>
<tbody>
<tr><td><a href="#dq-unsourced">Unsourced facts</a> (cite no source)</td><td class="num">{{.UnsourcedCount}}</td></tr>
<tr><td><a href="#dq-inferred">Inferred relationships</a> (no source states them outright)</td><td class="num">{{.InferredCount}}</td></tr>
<tr><td><a href="#dq-disputed">Disputed facts</a> (a source disputes them)</td><td class="num">{{.DisputedCount}}</td></tr>
<tr><td><a href="#dq-stale">Stale sources</a> (published more than {{plural .StaleAfterDays "day" "days"}} before {{date $.R.Snapshot.AsOf}})</td><td class="num">{{.StaleSourcesCount}}</td></tr>
</tbody>
</table>
{{template "facts" (facts "dq-unsourced" "Unsourced facts" .UnsourcedCount .Unsourced)}}
{{template "facts" (facts "dq-inferred" "Inferred relationships" .InferredCount .Inferred)}}
{{template "facts" (facts "dq-disputed" "Disputed facts" .DisputedCount .Disputed)}}
{{template "facts" (facts "dq-stale" "Stale sources" .StaleSourcesCount .StaleSources)}}
{{- end}}
</section>

<footer>riskgraph nightly report, schema version {{.R.SchemaVersion}}. {{if .Excerpt}}<span id="data-excerpt">This file holds the report as JSON (the element with id report-data) with the first {{dataRows}} scores and changes of each dimension; the JSON report holds every one.</span>{{else}}The whole report is in this file as JSON (the element with id report-data).{{end}} Charts drawn with Chart.js.</footer>
</main>
<script type="application/json" id="report-data">{{.Data}}</script>
<script>{{.Script}}</script>
</body>
</html>
{{define "facts"}}
<div class="quality-list" id="{{.ID}}">
<h3>{{.Title}} ({{.Count}})</h3>
{{- if .List}}
<table>
<thead><tr><th>Kind</th><th>Fact</th><th>Summary</th><th>Date</th></tr></thead>
<tbody>
{{- range .List}}
<tr><td>{{.Kind}}</td><td><span class="id">{{.ID}}</span></td><td>{{.Summary}}</td><td>{{date .Date}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if gt .Count (len .List)}}
<p class="note">Showing the first {{len .List}} of {{.Count}}.</p>
{{- end}}
{{- else}}
<p class="note">None.</p>
{{- end}}
</div>
{{end}}`
