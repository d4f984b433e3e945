package service

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
)

// shareEpsilon is the smallest move of a source's share counted as a cause.
const shareEpsilon = 1e-9

// ChangesQuery asks for the scores that moved between two snapshots, each named by its id
// or, when that is empty, by its date (the newest snapshot of the date).
type ChangesQuery struct {
	From, To         string       // snapshot ids
	FromDate, ToDate kg.Date      // or dates
	Dimension        kg.Dimension // "" = every dimension
	MinDelta         float64      // smallest move listed, 0 to 1
	Page             Page
}

// ChangePage is one page of changes, biggest move first, each with its causes.
type ChangePage struct {
	From, To  report.SnapshotInfo
	Items     []report.Change
	Total     int // changes in all pages
	HasNext   bool
	EndCursor string
}

// SnapshotChanges calls fn, per dimension in model order, with every score that moved by
// at least minDelta from snapshot from to snapshot to, biggest move first, each with its
// causes (see RiskChanges). It is the report's way in: the whole list, in batches. The
// previous snapshot's decoded rows are dropped once the changes are listed: the causes need
// both nights' passes, and at 1M entities the rows were 0.18 GB beside them. The new
// snapshot's are kept for the report to read next (SnapshotScores). Once every change is
// explained, the two nights' passes are dropped too: the report needs them no more, and at
// 1M entities they were 0.6 GB of the memory it held while it read the scores.
func (s *Service) SnapshotChanges(ctx context.Context, from, to string, minDelta float64, fn func(kg.Dimension, []report.Change) error) error {
	c, err := s.comparison(ctx, from, to, "", minDelta)
	if err != nil {
		return err
	}
	s.forgetDecoded(from)
	defer s.dropPasses(At{AsOf: c.from.AsOf, KnownAt: c.from.KnownAt}, At{AsOf: c.to.AsOf, KnownAt: c.to.KnownAt})
	const batch = 500
	for _, d := range s.model.Dimensions() {
		cs := c.changes[d]
		for start := 0; start < len(cs); start += batch {
			part := slices.Clone(cs[start:min(start+batch, len(cs))])
			if err := c.explain(ctx, part); err != nil {
				return err
			}
			if err := fn(d, part); err != nil {
				return err
			}
		}
	}
	return nil
}

// RiskChanges pages through the scores that moved by at least q.MinDelta between two
// stored snapshots, biggest move first (ties by dimension, then entity id), and finds the
// causes of each change on the page: every risk source whose share of the score moved,
// and the fact that moved it — a relationship on its chain or the signal itself that began
// or ended between the two dates, or was recorded between the two runs — with the fact's
// sources and the chain drawn. A source that moved with no fact of its own changing is
// SOURCE_SHIFTED (a stronger chain elsewhere, another source above it), or MODEL_CHANGED when
// the two snapshots were scored by different model versions.
func (s *Service) RiskChanges(ctx context.Context, q ChangesQuery) (ChangePage, error) {
	page, err := store.CheckPage(q.Page, 3)
	if err != nil {
		return ChangePage{}, err
	}
	for _, side := range []struct {
		field string
		id    *string
		d     kg.Date
	}{{"from", &q.From, q.FromDate}, {"to", &q.To, q.ToDate}} {
		switch {
		case *side.id != "":
		case side.d == 0:
			return ChangePage{}, kg.Invalid(side.field, "name the %s snapshot by its date (%s) or its id (%sSnapshot)", side.field, side.field, side.field)
		default:
			m, err := s.SnapshotOn(ctx, side.d, false)
			if err != nil {
				return ChangePage{}, err
			}
			*side.id = m.ID
		}
	}
	c, all, err := s.orderedChanges(ctx, q)
	if err != nil {
		return ChangePage{}, err
	}
	start := 0
	if page.Key != nil {
		after := cursorChange(page.Key)
		start = sort.Search(len(all), func(i int) bool { return changeOrder(all[i], after) > 0 })
	}
	end := min(start+page.First, len(all))
	items := slices.Clone(all[start:end])
	if err := c.explain(ctx, items); err != nil {
		return ChangePage{}, err
	}
	out := ChangePage{From: c.from, To: c.to, Items: items, Total: len(all), HasNext: end < len(all)}
	if len(items) > 0 {
		out.EndCursor = changeCursor(items[len(items)-1])
	}
	return out, nil
}

// orderedChanges returns the comparison of q's snapshots and all its changes in page order.
// Snapshots never change, so the last few comparisons are kept: a client paging through
// thousands of changes does not have every page compare the two snapshots again.
func (s *Service) orderedChanges(ctx context.Context, q ChangesQuery) (*comparison, []report.Change, error) {
	key := comparisonKey{q.From, q.To, q.Dimension, q.MinDelta}
	s.cmpMu.Lock()
	for _, k := range s.cmpCache {
		if k.key == key {
			s.cmpMu.Unlock()
			// Still stored? Retention may have removed one side since.
			if _, err := s.snapshotByID(ctx, q.From); err != nil {
				return nil, nil, err
			}
			if _, err := s.snapshotByID(ctx, q.To); err != nil {
				return nil, nil, err
			}
			return k.c, k.all, nil
		}
	}
	s.cmpMu.Unlock()
	c, err := s.comparison(ctx, q.From, q.To, q.Dimension, q.MinDelta)
	if err != nil {
		return nil, nil, err
	}
	var all []report.Change
	for _, d := range s.model.Dimensions() {
		all = append(all, c.changes[d]...)
	}
	slices.SortFunc(all, changeOrder)
	s.cmpMu.Lock()
	defer s.cmpMu.Unlock()
	if len(s.cmpCache) == keptComparisons {
		s.cmpCache = s.cmpCache[1:]
	}
	s.cmpCache = append(s.cmpCache, keptComparison{key, c, all})
	return c, all, nil
}

// keptComparisons is how many compared snapshot pairs the service keeps for paging.
const keptComparisons = 2

// comparisonKey names one listing of changes: the two snapshots and the filters.
type comparisonKey struct {
	from, to string
	dim      kg.Dimension
	minDelta float64
}

// keptComparison is one listing of changes, in page order, with its comparison.
type keptComparison struct {
	key comparisonKey
	c   *comparison
	all []report.Change
}

// changeOrder is the order of RiskChanges: biggest move first, then dimension, then id.
func changeOrder(a, b report.Change) int {
	return cmp.Or(cmp.Compare(math.Abs(b.Delta), math.Abs(a.Delta)), strings.Compare(string(a.Dimension), string(b.Dimension)),
		strings.Compare(a.EntityID, b.EntityID))
}

// changeCursor and cursorChange carry a change's sort key in a cursor.
func changeCursor(c report.Change) string {
	return store.EncodeCursor(fmt.Sprint(math.Abs(c.Delta)), string(c.Dimension), c.EntityID)
}

func cursorChange(key []string) report.Change {
	var d float64
	fmt.Sscan(key[0], &d) // a bad number reads as 0: the page then starts after the smallest moves
	return report.Change{Delta: d, Dimension: kg.Dimension(key[1]), EntityID: key[2]}
}

// comparison is two snapshots' scores side by side, and the passes that explain them.
type comparison struct {
	s        *Service
	from, to report.SnapshotInfo
	changes  map[kg.Dimension][]report.Change
}

// comparison reads both snapshots and lists their changes (without causes).
func (s *Service) comparison(ctx context.Context, fromID, toID string, dim kg.Dimension, minDelta float64) (*comparison, error) {
	if dim != "" && !dim.Valid() {
		return nil, kg.Invalid("dimension", "unknown dimension %q", dim)
	}
	if math.IsNaN(minDelta) || minDelta < 0 || minDelta > 1 {
		return nil, kg.Invalid("minDelta", "minDelta is %v; give a number from 0 to 1", minDelta)
	}
	from, err := s.snapshotByID(ctx, fromID)
	if err != nil {
		return nil, err
	}
	to, err := s.snapshotByID(ctx, toID)
	if err != nil {
		return nil, err
	}
	before, err := s.scoresToCompare(ctx, from.ID)
	if err != nil {
		return nil, err
	}
	after, err := s.scoresByDimension(ctx, to.ID)
	if err != nil {
		return nil, err
	}
	c := &comparison{s: s, from: from, to: to, changes: map[kg.Dimension][]report.Change{}}
	for _, d := range s.model.Dimensions() {
		if dim == "" || d == dim {
			c.changes[d] = report.Compare(d, before[d], after[d], minDelta)
		}
	}
	return c, nil
}

// explain fills in the causes of the changes, explaining each score in both snapshots'
// passes (replayed at their own moments).
func (c *comparison) explain(ctx context.Context, cs []report.Change) error {
	if len(cs) == 0 {
		return nil
	}
	before, err := c.s.wholePass(ctx, At{AsOf: c.from.AsOf, KnownAt: c.from.KnownAt})
	if err != nil {
		return fmt.Errorf("replay snapshot %s: %w", c.from.ID, err)
	}
	after, err := c.s.wholePass(ctx, At{AsOf: c.to.AsOf, KnownAt: c.to.KnownAt})
	if err != nil {
		return fmt.Errorf("replay snapshot %s: %w", c.to.ID, err)
	}
	// Each change is explained on its own: spread them over the cores.
	g, gctx := errgroup.WithContext(ctx)
	next := atomic.Int64{}
	for range runtime.GOMAXPROCS(0) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cs) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				causes, err := c.causes(before, after, cs[i].EntityID, cs[i].Dimension)
				if err != nil {
					return err
				}
				cs[i].Causes = causes
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	names := map[string]string{}
	for i := range cs {
		for _, ca := range cs[i].Causes {
			noteNames(names, ca)
		}
	}
	return c.name(ctx, cs, names)
}

// sourcesIn lists the sources of an entity's score in a pass, without their chains; an
// entity the pass does not hold has none.
func sourcesIn(res *risk.Result, id string, d kg.Dimension) (risk.Explanation, error) {
	if _, ok := res.Graph().Index(id); !ok {
		return risk.Explanation{EntityID: id, Dimension: d}, nil
	}
	ex, err := res.Sources(id, d)
	if err != nil {
		return ex, fmt.Errorf("explain %s in %s: %w", id, d, err)
	}
	return ex, nil
}

// causes compares the contributions of one score in the two snapshots' passes. Only the
// sources that moved are looked at closely, so only their chains are drawn.
func (c *comparison) causes(before, after *risk.Result, id string, d kg.Dimension) ([]report.Cause, error) {
	old, err := sourcesIn(before, id, d)
	if err != nil {
		return nil, err
	}
	cur, err := sourcesIn(after, id, d)
	if err != nil {
		return nil, err
	}
	type pair struct{ old, cur int } // positions in old's and cur's contributions, -1 if none
	bySignal := map[string]*pair{}
	var order []string
	add := func(cs []risk.Contribution, now bool) {
		for i := range cs {
			id := cs[i].Signal.ID
			p, ok := bySignal[id]
			if !ok {
				p = &pair{-1, -1}
				bySignal[id] = p
				order = append(order, id)
			}
			if now {
				p.cur = i
			} else {
				p.old = i
			}
		}
	}
	add(old.Contributions, false)
	add(cur.Contributions, true)
	// Movers are the sources whose strength changed (or that came or went). A source whose
	// strength held but whose share moved was only pushed aside by a mover: the mover's
	// cause is its cause too, so the movers share the whole change of the score.
	type mover struct {
		old, cur *risk.Contribution
		delta    float64
	}
	var movers []mover
	var drawOld, drawCur []int // the chains sourceCauses looks at
	sum := 0.0
	for _, id := range order {
		p := bySignal[id]
		var m mover
		var was, is float64
		if p.old >= 0 {
			m.old = &old.Contributions[p.old]
			was = m.old.Share
		}
		if p.cur >= 0 {
			m.cur = &cur.Contributions[p.cur]
			is = m.cur.Share
		}
		if m.old != nil && m.cur != nil && math.Abs(m.cur.Strength-m.old.Strength) < shareEpsilon {
			continue
		}
		if math.Abs(is-was) < shareEpsilon {
			continue
		}
		if lookAtCur(m.old, m.cur) {
			drawCur = append(drawCur, p.cur)
		} else {
			drawOld = append(drawOld, p.old)
		}
		m.delta = is - was
		movers = append(movers, m)
		sum += is - was
	}
	for _, side := range []struct {
		res *risk.Result
		ex  *risk.Explanation
		idx []int
	}{{before, &old, drawOld}, {after, &cur, drawCur}} {
		if len(side.idx) > 0 {
			if err := side.res.DrawChains(side.ex, side.idx...); err != nil {
				return nil, fmt.Errorf("explain %s in %s: %w", id, d, err)
			}
		}
	}
	if total := cur.Score - old.Score; math.Abs(sum) > shareEpsilon && sum*total > 0 {
		for i := range movers {
			movers[i].delta *= total / sum
		}
	}
	var all []report.Cause
	for _, m := range movers {
		all = append(all, c.sourceCauses(m.old, m.cur, m.delta)...)
	}
	// One fact that moved several sources (a relationship every chain crosses) is one cause.
	out := []report.Cause{}
	at := map[string]int{}
	for _, ca := range all {
		key := string(ca.Kind) + "|" + ca.FactID
		if i, ok := at[key]; ok && ca.FactID != "" {
			out[i].Delta += ca.Delta
			continue
		}
		at[key] = len(out)
		out = append(out, ca)
	}
	slices.SortStableFunc(out, func(a, b report.Cause) int { return cmp.Compare(math.Abs(b.Delta), math.Abs(a.Delta)) })
	return out, nil
}

// lookAtCur says which side of a moving source sourceCauses inspects: the later one when the
// source rose (or came), the earlier one when it fell (or went).
func lookAtCur(old, cur *risk.Contribution) bool {
	return cur != nil && (old == nil || cur.Strength >= old.Strength)
}

// sourceCauses finds the facts behind one source's move: what on its chain now was not
// there before (the source rose), or what on its chain before is gone now (it fell).
func (c *comparison) sourceCauses(old, cur *risk.Contribution, delta float64) []report.Cause {
	var (
		look    *risk.Contribution // the chain to inspect
		visible func(kg.Validity, *kg.Version) bool
		moment  report.SnapshotInfo // the moment at which the facts of look must be missing
	)
	if lookAtCur(old, cur) {
		look, moment = cur, c.from
	} else {
		look, moment = old, c.to
	}
	visible = func(v kg.Validity, ver *kg.Version) bool {
		if !v.ValidAt(moment.AsOf) {
			return false
		}
		return ver == nil || ver.RecordedAt == 0 || moment.KnownAt == 0 || ver.RecordedAt <= moment.KnownAt
	}
	src := report.SourceRef{SignalID: look.Signal.ID, EntityID: look.Signal.EntityID, Strength: look.Strength, Hops: len(look.Chain)}
	chain := make([]report.ChainLink, len(look.Chain))
	for i, l := range look.Chain {
		chain[i] = report.ChainLink{From: l.From, To: l.To, Type: l.Type, RelationshipID: l.RelationshipID}
	}
	rising := look == cur
	var out []report.Cause
	mk := func(kind report.CauseKind, id, summary string, date kg.Date, cites []kg.Citation) {
		out = append(out, report.Cause{Kind: kind, FactID: id, Summary: summary, Date: date, Source: src,
			Sources: citations(cites), Chain: chain})
	}
	sig := look.Signal
	if !visible(sig.Validity, sig.Version) {
		kind, date, what := c.began(sig.Validity, sig.Version, rising)
		if kind == report.FactBegan {
			kind = report.SignalAdded
		} else if kind == report.FactEnded {
			kind = report.SignalEnded
		}
		mk(kind, sig.ID, what, date, sig.Sources)
	}
	for _, l := range look.Chain {
		if visible(l.Validity, l.Version) {
			continue
		}
		kind, date, what := c.began(l.Validity, l.Version, rising)
		mk(kind, l.RelationshipID, what, date, l.Sources)
	}
	if len(out) == 0 {
		kind, summary := report.SourceShifted, ""
		switch {
		case c.from.ModelVersion != c.to.ModelVersion:
			kind = report.ModelChanged
			summary = fmt.Sprintf("model %s replaced %s", c.to.ModelVersion, c.from.ModelVersion)
		case cur == nil:
			summary = fmt.Sprintf("signal %s no longer reaches this entity among its strongest sources", sig.ID)
		case old == nil:
			summary = fmt.Sprintf("signal %s now reaches this entity among its strongest sources", sig.ID)
		default:
			summary = fmt.Sprintf("signal %s reaches this entity by another chain (strength %.4f, was %.4f)", sig.ID, cur.Strength, old.Strength)
		}
		mk(kind, "", summary, 0, nil)
	}
	// The source's move is shared among the facts that made it.
	for i := range out {
		out[i].Delta = delta / float64(len(out))
	}
	return out
}

// began says how a fact missing at the other moment came or went: FACT_BEGAN or FACT_ENDED
// on a date between the two snapshots, or FACT_RECORDED when only its recording falls
// between the two runs.
func (c *comparison) began(v kg.Validity, ver *kg.Version, rising bool) (report.CauseKind, kg.Date, string) {
	lo, hi := min(c.from.AsOf, c.to.AsOf), max(c.from.AsOf, c.to.AsOf)
	switch {
	case rising && v.From > lo && v.From <= hi:
		return report.FactBegan, v.From, "began on " + v.From.String()
	case !rising && v.To > lo && v.To <= hi:
		return report.FactEnded, v.To, "ended on " + v.To.String()
	}
	if ver != nil && ver.RecordedAt != 0 {
		return report.FactRecorded, 0, "recorded at " + ver.RecordedAt.String()
	}
	return report.FactRecorded, 0, "recorded between the two runs"
}

// citations lists a fact's citations; names and dates are filled in later.
func citations(cs []kg.Citation) []report.SourceCitation {
	out := make([]report.SourceCitation, len(cs))
	for i, c := range cs {
		out[i] = report.SourceCitation{SourceID: c.SourceID, Excerpt: c.Excerpt, Disputes: c.Stance == kg.StanceDisputes}
	}
	return out
}

// noteNames collects the entity ids a cause names.
func noteNames(names map[string]string, c report.Cause) {
	names[c.Source.EntityID] = ""
	if from, _, to, ok := kg.ParseRelationshipID(c.FactID); ok {
		names[from], names[to] = "", ""
	}
	for _, l := range c.Chain {
		names[l.From], names[l.To] = "", ""
	}
	for _, s := range c.Sources {
		names[s.SourceID] = ""
	}
}

// name fills in the names of the entities and sources the causes mention (as they are in
// the later snapshot, else the earlier), and prefixes each summary of a fact's change with
// the fact in words: "Best Buy SELLS Kaspersky Anti-Virus", "signal … on Kaspersky Lab".
func (c *comparison) name(ctx context.Context, cs []report.Change, ids map[string]string) error {
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	// Only a name and, for a source, its date are wanted of each entity.
	type named struct {
		name      string
		published kg.Date
	}
	ents := map[string]named{}
	for _, at := range []At{{AsOf: c.to.AsOf, KnownAt: c.to.KnownAt}, {AsOf: c.from.AsOf, KnownAt: c.from.KnownAt}} {
		var missing []string
		for _, id := range list {
			if _, ok := ents[id]; !ok {
				missing = append(missing, id)
			}
		}
		got, err := c.s.entitiesByID(ctx, missing, at)
		if err != nil {
			return fmt.Errorf("name the causes: %w", err)
		}
		for id, e := range got {
			n := named{name: e.Name}
			for _, a := range e.Attributes {
				if a.Key == "published" {
					n.published, _ = kg.ParseDate(a.Value)
				}
			}
			ents[id] = n
		}
	}
	name := func(id string) string {
		if e, ok := ents[id]; ok && e.name != "" {
			return e.name
		}
		return id
	}
	for i := range cs {
		for j := range cs[i].Causes {
			ca := &cs[i].Causes[j]
			ca.Source.EntityName = name(ca.Source.EntityID)
			for k := range ca.Chain {
				l := &ca.Chain[k]
				l.FromName, l.ToName = name(l.From), name(l.To)
			}
			switch from, t, to, isRel := kg.ParseRelationshipID(ca.FactID); {
			case isRel:
				ca.Summary = name(from) + " " + string(t) + " " + name(to) + " " + ca.Summary
			case ca.FactID == ca.Source.SignalID:
				ca.Summary = ca.Source.EntityName + " — signal " + strings.TrimPrefix(ca.FactID, kg.SignalIDPrefix) + " " + ca.Summary
			}
			// A source not yet published at either moment is left out: an answer for a date
			// never cites what was written later.
			ca.Sources = slices.DeleteFunc(ca.Sources, func(c report.SourceCitation) bool { _, ok := ents[c.SourceID]; return !ok })
			for k := range ca.Sources {
				src := &ca.Sources[k]
				src.Name, src.Published = name(src.SourceID), ents[src.SourceID].published
			}
		}
	}
	return nil
}
