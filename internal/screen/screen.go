// Package screen owns the screening of a supplier list: reading the list (CSV, header
// detected), matching every row to the entity it most likely names, and, for the rows that
// match, the entity's exposure per dimension with its strongest chain and, when the
// screening organisation is given, where that organisation stands with the directives and
// laws that bind it. It writes the result as CSV or JSON. Every row of the list is reported,
// in the list's order, whatever it matched; a row that fails carries its error and the
// others go on.
//
// It works through the service alone (the Service interface), so it runs the same on every
// backend, and it gives the same output for the same store, list and options whatever the
// number of workers.
package screen

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/risk"
	"riskgraph/internal/service"
)

// Service is what screening asks of *service.Service.
type Service interface {
	Match(ctx context.Context, cands []match.Candidate, at service.At, first int) ([]service.MatchResult, error)
	Exposures(ctx context.Context, q service.ExposureQuery) (map[string][]risk.Explanation, error)
	Entities(ctx context.Context, ids []string, at service.At) (map[string]kg.Entity, error)
	Relationships(ctx context.Context, q service.RelQuery) (map[string]service.RelPage, error)
	Compliance(ctx context.Context, ruleID string, at service.At) (service.Compliance, error)
	Model() *risk.Model
}

var _ Service = (*service.Service)(nil)

// BatchSize is how many rows go to one service.Match call: the most it takes.
const BatchSize = service.MaxMatchCandidates

// matchesPerRow is how many matches a row keeps: the best, the runner-up and one more.
const matchesPerRow = 3

// Options say how to screen.
type Options struct {
	At service.At // AsOf 0 = today; KnownAt 0 = as known now
	// Organization, when set, is the id of the organisation (or agency) that screens: the
	// directives and laws that bind it on the date, and its status with each, are reported.
	Organization string
	Workers      int // batches and exposure reads in flight at once; 0 or less means 1
	// Progress, when set, is called after each batch with the rows done so far and the total,
	// from one goroutine at a time.
	Progress func(done, total int)
}

// Report is the result of screening a list.
type Report struct {
	AsOf         kg.Date
	KnownAt      kg.Stamp
	ModelVersion string
	Dimensions   []kg.Dimension // the order of every Result's Exposure
	Organization *Organization  // nil when no organisation was given
	Results      []Result       // one per row, in the list's order
	Summary      Summary
}

// Organization is the screening organisation and the rules that bind it on the date.
type Organization struct {
	ID    string
	Name  string
	Kind  kg.Kind
	Rules []RuleStatus // by rule id
}

// RuleStatus is where the organisation stands with one directive or law that binds it.
type RuleStatus struct {
	ID      string
	Name    string
	Kind    kg.Kind
	InForce bool
	// Status is the organisation's overall status with the rule (service.PartyCompliance).
	Status service.ComplianceStatus
	// Obligations are the rule's obligations with the organisation's status for each.
	Obligations []ObligationStatus
	covered     service.CoverageResult
}

// ObligationStatus is the organisation's status with one obligation of a rule.
type ObligationStatus struct {
	ID     string // rule#obligation
	Due    kg.Date
	Status service.ComplianceStatus
}

// Result is one row screened.
type Result struct {
	Row Row
	// Verdict is MATCH, AMBIGUOUS or NONE; empty when the row could not be matched (Error
	// says why).
	Verdict match.Verdict
	Matches []Candidate // best first, at most three
	// Exposure has one entry per dimension of Report.Dimensions, for a MATCH only: the
	// exposure of an entity that may not be the supplier would mislead.
	Exposure []Exposure
	TopPath  *Path // the strongest chain over every dimension; nil when no risk reaches the entity through one
	// Compliance is, for each rule binding the organisation, its status and whether the rule
	// covers the matched entity (MATCH only).
	Compliance []RowCompliance
	Error      string // why the row, or part of it, could not be screened; "" when all went well
}

// Candidate is one entity a row may name.
type Candidate struct {
	ID          string
	Name        string
	Kind        kg.Kind
	Score       float64
	MatchedName string // the entity's name or alias that gave the score
	Reasons     []match.Reason
}

// TopReason is the reason that weighs most (the first of equals), as "kind: detail".
func (c Candidate) TopReason() string {
	best := -1
	for i, r := range c.Reasons {
		if best < 0 || r.Weight > c.Reasons[best].Weight {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	r := c.Reasons[best]
	if r.Detail == "" {
		return r.Kind
	}
	return r.Kind + ": " + r.Detail
}

// Exposure is the matched entity's score in one dimension.
type Exposure struct {
	Dimension  kg.Dimension
	Score      float64
	Intrinsic  float64
	Propagated float64
	TopPath    *Path // the dimension's strongest chain; nil when none
}

// Path is a chain that carries risk to the matched entity, read from the entity to the
// risk source.
type Path struct {
	Dimension kg.Dimension
	SignalID  string  // the risk signal at the far end
	Strength  float64 // what the chain carries: the signal's severity times the chain's weights
	// Text is "Entity →TYPE→ Entity ←TYPE← Entity …" with names, each arrow pointing the way
	// the relationship is written.
	Text  string
	IDs   []string // the entities' ids, from the matched entity to the risk source
	Links []Link   // len(IDs)-1 relationships, in the same order
}

// Link is one relationship of a Path.
type Link struct {
	RelationshipID string
	Type           kg.RelType
	From, To       string // as the relationship is written
	Weight         float64
	Confidence     float64
}

// RowCompliance is the organisation's status with one rule that binds it, beside one row.
type RowCompliance struct {
	RuleID string
	Status service.ComplianceStatus
	Covers bool // the rule covers the row's matched entity: buying from it falls under the rule
}

// Summary counts the rows by verdict.
type Summary struct {
	Rows, Match, Ambiguous, None int
	Errors                       int // rows with an error, whatever their verdict
}

// Run screens the rows. It fails only when the context ends or when what every row needs
// cannot be had (the organisation's rules); the errors of one row go in its Result.
func Run(ctx context.Context, svc Service, rows []Row, opt Options) (*Report, error) {
	opt.At.AsOf = service.ResolveAsOf(opt.At.AsOf)
	if opt.Workers < 1 {
		opt.Workers = 1
	}
	rep := &Report{AsOf: opt.At.AsOf, KnownAt: opt.At.KnownAt, ModelVersion: svc.Model().Version(),
		Dimensions: svc.Model().Dimensions(), Results: make([]Result, len(rows))}
	if opt.Organization != "" {
		org, err := organization(ctx, svc, opt.Organization, opt.At)
		if err != nil {
			return nil, err
		}
		rep.Organization = org
	}
	sc := &screener{svc: svc, opt: opt, rep: rep, exposures: map[string]*exposureEntry{},
		sem: make(chan struct{}, opt.Workers)}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(opt.Workers)
	var done atomic.Int64
	var progress sync.Mutex
	for start := 0; start < len(rows); start += BatchSize {
		batch := rows[start:min(start+BatchSize, len(rows))]
		out := rep.Results[start : start+len(batch)]
		g.Go(func() error {
			if err := sc.batch(ctx, batch, out); err != nil {
				return err
			}
			n := done.Add(int64(len(batch)))
			if opt.Progress != nil {
				progress.Lock()
				opt.Progress(int(n), len(rows))
				progress.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, r := range rep.Results {
		rep.Summary.Rows++
		switch r.Verdict {
		case match.VerdictMatch:
			rep.Summary.Match++
		case match.VerdictAmbiguous:
			rep.Summary.Ambiguous++
		case match.VerdictNone:
			rep.Summary.None++
		}
		if r.Error != "" {
			rep.Summary.Errors++
		}
	}
	return rep, nil
}

// screener screens batches of one run; safe for concurrent use.
type screener struct {
	svc Service
	opt Options
	rep *Report

	sem       chan struct{} // one token per exposure read in flight
	mu        sync.Mutex
	exposures map[string]*exposureEntry // entity id → its exposure, computed once per run
}

// exposureEntry is one entity's exposure, computed by the first row that needs it.
type exposureEntry struct {
	once     sync.Once
	exposure []Exposure
	top      *Path
	err      error
}

// batch screens up to BatchSize rows into out. It returns an error only when the context
// ended; anything else goes in the rows' Error.
func (sc *screener) batch(ctx context.Context, rows []Row, out []Result) error {
	var cands []match.Candidate
	var idx []int // out index of each candidate
	for i, r := range rows {
		out[i].Row = r
		if r.Err != nil {
			out[i].Error = r.Err.Error()
			continue
		}
		cands = append(cands, candidate(r))
		idx = append(idx, i)
	}
	results, err := sc.svc.Match(ctx, cands, sc.opt.At, matchesPerRow)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("screen: %w", ctx.Err())
		}
		// One candidate the service refused fails the call: match them one by one, so that
		// only that row carries the error.
		results = make([]service.MatchResult, len(cands))
		for j, c := range cands {
			got, err := sc.svc.Match(ctx, []match.Candidate{c}, sc.opt.At, matchesPerRow)
			switch {
			case ctx.Err() != nil:
				return fmt.Errorf("screen: %w", ctx.Err())
			case err != nil:
				out[idx[j]].Error = "match: " + err.Error()
			case len(got) == 1:
				results[j] = got[0]
			}
		}
	}
	for j, res := range results {
		r := &out[idx[j]]
		if r.Error != "" {
			continue
		}
		r.Verdict = res.Verdict
		for _, m := range res.Matches {
			r.Matches = append(r.Matches, Candidate{ID: m.Target.ID, Name: m.Target.Name, Kind: m.Target.Kind,
				Score: m.Score, MatchedName: m.MatchedName, Reasons: m.Reasons})
		}
	}
	if err := sc.exposeAll(ctx, out); err != nil {
		return err
	}
	return nil
}

// candidate is what matching reads of a row.
func candidate(r Row) match.Candidate {
	c := match.Candidate{Name: r.Name, Aliases: r.Aliases, Country: r.Country}
	if r.ID != "" {
		c.IDs = []string{r.ID}
		if c.Name == "" {
			c.Name = r.ID
		}
	}
	c.Kind, _ = parseKind(r.Kind)
	return c
}

// exposeAll fills in exposure, top path and compliance for the rows that matched. It reads
// the distinct entities' exposures at once, with at most Workers reads in flight over the
// whole run.
func (sc *screener) exposeAll(ctx context.Context, out []Result) error {
	var wg sync.WaitGroup
	for i := range out {
		r := &out[i]
		if org := sc.rep.Organization; org != nil && r.Error == "" && r.Verdict != "" {
			for _, rule := range org.Rules {
				rc := RowCompliance{RuleID: rule.ID, Status: rule.Status}
				if r.Verdict == match.VerdictMatch {
					rc.Covers = rule.covered.Covers(r.Matches[0].ID)
				}
				r.Compliance = append(r.Compliance, rc)
			}
		}
		if r.Verdict != match.VerdictMatch {
			continue
		}
		wg.Go(func() {
			e := sc.exposure(ctx, r.Matches[0].ID)
			if e.err != nil {
				r.Error = e.err.Error()
				return
			}
			r.Exposure, r.TopPath = e.exposure, e.top
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	return nil
}

// exposure returns the entity's exposure, reading it the first time any row asks.
func (sc *screener) exposure(ctx context.Context, id string) *exposureEntry {
	sc.mu.Lock()
	e, ok := sc.exposures[id]
	if !ok {
		e = &exposureEntry{}
		sc.exposures[id] = e
	}
	sc.mu.Unlock()
	e.once.Do(func() {
		select {
		case sc.sem <- struct{}{}:
		case <-ctx.Done():
			e.err = ctx.Err()
			return
		}
		defer func() { <-sc.sem }()
		e.exposure, e.top, e.err = sc.readExposure(ctx, id)
	})
	return e
}

// readExposure reads one entity's exposure in every dimension and names its chains.
func (sc *screener) readExposure(ctx context.Context, id string) ([]Exposure, *Path, error) {
	got, err := sc.svc.Exposures(ctx, service.ExposureQuery{IDs: []string{id}, Dimensions: sc.rep.Dimensions, At: sc.opt.At})
	if err != nil {
		return nil, nil, fmt.Errorf("exposure of %s: %w", id, err)
	}
	exps := got[id]
	if len(exps) == 0 {
		return nil, nil, fmt.Errorf("exposure of %s: the entity is not visible on %s", id, sc.rep.AsOf)
	}
	var ids []string
	for _, ex := range exps {
		for _, c := range ex.Chained(1) {
			for _, l := range c.Chain {
				ids = append(ids, l.From, l.To)
			}
		}
	}
	slices.Sort(ids)
	names, err := sc.svc.Entities(ctx, slices.Compact(ids), sc.opt.At)
	if err != nil {
		return nil, nil, fmt.Errorf("names on the chains of %s: %w", id, err)
	}
	out := make([]Exposure, 0, len(exps))
	var top *Path
	for _, ex := range exps {
		e := Exposure{Dimension: ex.Dimension, Score: ex.Score, Intrinsic: ex.Intrinsic, Propagated: ex.Propagated}
		if cs := ex.Chained(1); len(cs) == 1 {
			e.TopPath = path(ex.Dimension, cs[0], names)
			if top == nil || e.TopPath.Strength > top.Strength {
				top = e.TopPath
			}
		}
		out = append(out, e)
	}
	return out, top, nil
}

// path reads a chain from the explained entity back to the risk source.
func path(d kg.Dimension, c risk.Contribution, names map[string]kg.Entity) *Path {
	p := &Path{Dimension: d, SignalID: c.Signal.ID, Strength: c.Strength}
	name := func(id string) string {
		if e, ok := names[id]; ok && e.Name != "" {
			return e.Name
		}
		return id
	}
	var text strings.Builder
	for i := len(c.Chain) - 1; i >= 0; i-- {
		l := c.Chain[i] // risk goes from l.From to l.To; we read from l.To
		if i == len(c.Chain)-1 {
			p.IDs = append(p.IDs, l.To)
			text.WriteString(name(l.To))
		}
		from, to := l.From, l.To // the relationship as written
		arrow := " ←" + string(l.Type) + "← "
		if l.Flow == risk.Against {
			from, to = l.To, l.From
			arrow = " →" + string(l.Type) + "→ "
		}
		text.WriteString(arrow)
		text.WriteString(name(l.From))
		p.IDs = append(p.IDs, l.From)
		p.Links = append(p.Links, Link{RelationshipID: l.RelationshipID, Type: l.Type, From: from, To: to,
			Weight: l.Weight, Confidence: l.Confidence})
	}
	p.Text = text.String()
	return p
}

// organization reads the organisation, the rules that bind it on the date (its BINDS
// relationships in) and its status with each.
func organization(ctx context.Context, svc Service, id string, at service.At) (*Organization, error) {
	if err := kg.CheckEntityID("organization", id); err != nil {
		return nil, err
	}
	got, err := svc.Entities(ctx, []string{id}, at)
	if err != nil {
		return nil, fmt.Errorf("read organization %s: %w", id, err)
	}
	e, ok := got[id]
	if !ok {
		return nil, fmt.Errorf("organization %s: %w on %s", id, service.ErrNotFound, service.ResolveAsOf(at.AsOf))
	}
	org := &Organization{ID: e.ID, Name: e.Name, Kind: e.Kind}
	var rules []string
	for after := ""; ; {
		pages, err := svc.Relationships(ctx, service.RelQuery{EntityIDs: []string{id}, Direction: kg.In,
			Types: []kg.RelType{kg.RelBinds}, AsOf: at.AsOf, KnownAt: at.KnownAt, Page: service.Page{First: 1000, After: after}})
		if err != nil {
			return nil, fmt.Errorf("read what binds %s: %w", id, err)
		}
		p := pages[id]
		for _, r := range p.Items {
			rules = append(rules, r.From)
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	slices.Sort(rules)
	for _, ruleID := range slices.Compact(rules) {
		c, err := svc.Compliance(ctx, ruleID, at)
		if err != nil {
			return nil, fmt.Errorf("compliance of %s with %s: %w", id, ruleID, err)
		}
		rs := RuleStatus{ID: ruleID, Name: c.Directive.Name, Kind: c.Directive.Kind, InForce: c.InForce, covered: c.Covered}
		i := slices.IndexFunc(c.Parties, func(p service.PartyCompliance) bool { return p.PartyID == id })
		if i < 0 {
			return nil, fmt.Errorf("compliance of %s with %s: %s binds it but does not list it as a party", id, ruleID, ruleID)
		}
		rs.Status = c.Parties[i].Status
		for _, o := range c.Parties[i].Obligations {
			rs.Obligations = append(rs.Obligations, ObligationStatus{ID: o.ID, Due: o.State.Due, Status: o.Status})
		}
		org.Rules = append(org.Rules, rs)
	}
	slices.SortFunc(org.Rules, func(a, b RuleStatus) int { return cmp.Compare(a.ID, b.ID) })
	return org, nil
}
