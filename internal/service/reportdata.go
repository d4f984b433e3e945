package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/report"
	"riskgraph/internal/store"
)

// DueObligations lists, for the snapshot's moment (its date, as known at its recorded time), the obligations of every directive
// and law in force that fall due within windowDays after asOf (DUE_SOON) or are past due
// with a bound party that has not met them (OVERDUE), soonest due first, with the parties
// still pending. A party that uses nothing the rule covers counts as met.
func (s *Service) DueObligations(ctx context.Context, snap report.SnapshotInfo, windowDays int) ([]report.ObligationItem, error) {
	if windowDays < 0 || windowDays > 3660 {
		return nil, kg.Invalid("windowDays", "windowDays is %d; give 0 to 3660", windowDays)
	}
	at := At{AsOf: store.ResolveAsOf(snap.AsOf), KnownAt: snap.KnownAt}
	out := []report.ObligationItem{}
	for _, kind := range []kg.Kind{kg.KindDirective, kg.KindLaw} {
		err := s.eachEntity(ctx, kind, at, func(rule kg.Entity) error {
			if len(rule.Obligations) == 0 {
				return nil
			}
			c, err := s.Compliance(ctx, rule.ID, at)
			if err != nil || !c.InForce {
				return err
			}
			for i, o := range rule.Obligations {
				days := daysBetween(at.AsOf, o.Due)
				item := report.ObligationItem{ID: kg.ObligationID(rule.ID, o.ID), RuleID: rule.ID, RuleName: rule.Name,
					Title: o.Title, Due: o.Due, DaysUntilDue: days, Pending: []string{}}
				for _, p := range c.Parties {
					switch p.Obligations[i].Status {
					case Pending, Overdue:
						item.Pending = append(item.Pending, p.PartyID)
					default:
						item.Met++
					}
				}
				slices.Sort(item.Pending)
				switch {
				case days >= 0 && days <= windowDays:
					item.Status = report.DueSoon
				case days < 0 && len(item.Pending) > 0:
					item.Status = report.Overdue
				default:
					continue
				}
				out = append(out, item)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("obligations of %s entities: %w", kind, err)
		}
	}
	slices.SortFunc(out, func(a, b report.ObligationItem) int {
		return cmp.Or(cmp.Compare(a.Due, b.Due), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// eachEntity calls fn with every entity of a kind visible at a moment, in id order.
func (s *Service) eachEntity(ctx context.Context, kind kg.Kind, at At, fn func(kg.Entity) error) error {
	q := ListQuery{Kind: kind, AsOf: at.AsOf, KnownAt: at.KnownAt, Page: Page{First: store.MaxFirst}}
	for {
		page, err := s.store.List(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if err := fn(e); err != nil {
				return err
			}
		}
		if !page.HasNext {
			return nil
		}
		q.Page.After = page.EndCursor
	}
}

// DataQuality reviews every fact visible at the snapshot's moment: facts that cite no source,
// relationships no source states outright (inferred), facts a source disputes, and sources
// published more than staleAfterDays before asOf. Counts are complete; each list holds the
// first report.QualityListMax, entities before relationships before signals, each in id
// order. It walks the facts (store.Checked.Walk) rather than taking a snapshot of them all,
// and names the few it lists at the end.
func (s *Service) DataQuality(ctx context.Context, snap report.SnapshotInfo, staleAfterDays int) (report.Quality, error) {
	if staleAfterDays <= 0 {
		return report.Quality{}, kg.Invalid("staleAfterDays", "staleAfterDays is %d; give a number of days above 0", staleAfterDays)
	}
	at := At{AsOf: store.ResolveAsOf(snap.AsOf), KnownAt: snap.KnownAt}
	q := report.Quality{StaleAfterDays: staleAfterDays}
	var unsourced, inferred, disputed, stale qualityList
	disputes := func(cs []kg.Citation) bool {
		return slices.ContainsFunc(cs, func(c kg.Citation) bool { return c.Stance == kg.StanceDisputes })
	}
	staleBefore := at.AsOf.AddDays(-staleAfterDays)
	err := s.store.Walk(ctx, at, store.FactVisitor{
		Entity: func(e kg.Entity) error {
			ref := func() listedFact {
				return listedFact{ref: report.FactRef{ID: e.ID, Kind: "ENTITY", Summary: e.Name, Date: e.Validity.From}}
			}
			if e.Kind == kg.KindSource {
				for _, a := range e.Attributes {
					if d, err := kg.ParseDate(a.Value); a.Key == "published" && err == nil && d != 0 && d < staleBefore {
						stale.note(&q.StaleSourcesCount, 0, e.ID, func() listedFact { f := ref(); f.ref.Date = d; return f })
					}
				}
				return nil // a source is where citations point: it cites none itself
			}
			if len(e.Sources) == 0 {
				unsourced.note(&q.UnsourcedCount, 0, e.ID, ref)
			}
			if disputes(e.Sources) {
				disputed.note(&q.DisputedCount, 0, e.ID, ref)
			}
			return nil
		},
		// The walk builds no relationship ids: most facts are only counted, once the lists
		// are full of facts before them (at 5M relationships the ids were 240 MB of garbage
		// beside the report's peak). The id is made here when a list may take the fact.
		SkipIDs: true,
		Relationship: func(_ string, r kg.Relationship) error {
			id := ""
			if (len(r.Sources) == 0 && unsourced.takes(1)) || (r.Inferred && inferred.takes(1)) || (disputes(r.Sources) && disputed.takes(1)) {
				id = r.ID()
			}
			ref := func() listedFact {
				// The summary closes over copies, not over r: r would then be moved to the
				// heap on every call, millions of times, for the few facts listed.
				from, t, to := r.From, r.Type, r.To
				return listedFact{ref: report.FactRef{ID: id, Kind: "RELATIONSHIP", Date: r.Validity.From},
					named: []string{from, to}, summary: func(n map[string]string) string {
						return cmp.Or(n[from], from) + " " + string(t) + " " + cmp.Or(n[to], to)
					}}
			}
			if len(r.Sources) == 0 {
				unsourced.note(&q.UnsourcedCount, 1, id, ref)
			}
			if r.Inferred {
				inferred.note(&q.InferredCount, 1, id, ref)
			}
			if disputes(r.Sources) {
				disputed.note(&q.DisputedCount, 1, id, ref)
			}
			return nil
		},
		Signal: func(g kg.RiskSignal) error {
			ref := func() listedFact {
				e, d := g.EntityID, g.Dimension // as for relationships
				return listedFact{ref: report.FactRef{ID: g.ID, Kind: "SIGNAL", Date: g.Validity.From},
					named: []string{e}, summary: func(n map[string]string) string {
						return string(d) + " signal on " + cmp.Or(n[e], e)
					}}
			}
			if len(g.Sources) == 0 {
				unsourced.note(&q.UnsourcedCount, 2, g.ID, ref)
			}
			if disputes(g.Sources) {
				disputed.note(&q.DisputedCount, 2, g.ID, ref)
			}
			return nil
		},
	})
	if err != nil {
		return report.Quality{}, fmt.Errorf("review the facts as of %s: %w", at.AsOf, err)
	}
	var ids []string
	for _, l := range []*qualityList{&unsourced, &inferred, &disputed, &stale} {
		for _, f := range l.facts {
			ids = append(ids, f.named...)
		}
	}
	ents, err := s.entitiesByID(ctx, ids, at)
	if err != nil {
		return report.Quality{}, fmt.Errorf("name the listed facts: %w", err)
	}
	names := make(map[string]string, len(ents))
	for id, e := range ents {
		names[id] = e.Name
	}
	q.Unsourced, q.Inferred, q.Disputed, q.StaleSources = unsourced.refs(names), inferred.refs(names), disputed.refs(names), stale.refs(names)
	return q, nil
}

// listedFact is a fact a data-quality list shows; a relationship or a signal is summed up by
// the names of the entities it names, read once the lists are final.
type listedFact struct {
	group   int // 0 entities, 1 relationships, 2 signals: the lists' order, with the id
	ref     report.FactRef
	named   []string
	summary func(names map[string]string) string
}

// qualityList keeps the first report.QualityListMax facts by (group, id) of the facts noted,
// whatever order they come in; a fact past the last it keeps is not described at all, which
// for millions of unsourced relationships spares as many descriptions.
type qualityList struct {
	facts []listedFact // sorted by (group, id), at most QualityListMax
}

func (l *qualityList) note(count *int, group int, id string, describe func() listedFact) {
	*count++
	if !l.takes(group) {
		return // id may be "": see takes
	}
	i, _ := slices.BinarySearchFunc(l.facts, listedFact{group: group, ref: report.FactRef{ID: id}}, byGroupAndID)
	if i >= report.QualityListMax {
		return
	}
	f := describe()
	f.group = group
	l.facts = slices.Insert(l.facts, i, f)
	if len(l.facts) > report.QualityListMax {
		l.facts = l.facts[:report.QualityListMax]
	}
}

// takes says whether a fact of the group may still be listed: not when the list is full of
// facts of groups before it. When it says no, note needs no id.
func (l *qualityList) takes(group int) bool {
	return len(l.facts) < report.QualityListMax || l.facts[len(l.facts)-1].group >= group
}

func byGroupAndID(a, b listedFact) int {
	return cmp.Or(cmp.Compare(a.group, b.group), strings.Compare(a.ref.ID, b.ref.ID))
}

func (l *qualityList) refs(names map[string]string) []report.FactRef {
	out := make([]report.FactRef, len(l.facts))
	for i, f := range l.facts {
		out[i] = f.ref
		if f.summary != nil {
			out[i].Summary = f.summary(names)
		}
	}
	return out
}
