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
// first report.QualityListMax in id order.
func (s *Service) DataQuality(ctx context.Context, snap report.SnapshotInfo, staleAfterDays int) (report.Quality, error) {
	if staleAfterDays <= 0 {
		return report.Quality{}, kg.Invalid("staleAfterDays", "staleAfterDays is %d; give a number of days above 0", staleAfterDays)
	}
	at := At{AsOf: store.ResolveAsOf(snap.AsOf), KnownAt: snap.KnownAt}
	graph, err := s.store.Snapshot(ctx, at)
	if err != nil {
		return report.Quality{}, fmt.Errorf("read the graph as of %s: %w", at.AsOf, err)
	}
	// The snapshot lists entities in id order: a listed fact finds its entities' names by
	// binary search, with no map of every name.
	name := func(id string) string {
		if i, ok := slices.BinarySearchFunc(graph.Entities, id, func(e kg.Entity, id string) int { return strings.Compare(e.ID, id) }); ok {
			return graph.Entities[i].Name
		}
		return id
	}
	q := report.Quality{StaleAfterDays: staleAfterDays, Unsourced: []report.FactRef{}, Inferred: []report.FactRef{},
		Disputed: []report.FactRef{}, StaleSources: []report.FactRef{}}
	// Every fact is counted; only the first few listed are described, which for half a
	// million relationships spares as many summaries built for nothing.
	note := func(list *[]report.FactRef, count *int, ref func() report.FactRef) {
		*count++
		if len(*list) < report.QualityListMax {
			*list = append(*list, ref())
		}
	}
	disputed := func(cs []kg.Citation) bool {
		return slices.ContainsFunc(cs, func(c kg.Citation) bool { return c.Stance == kg.StanceDisputes })
	}
	staleBefore := at.AsOf.AddDays(-staleAfterDays)
	for _, e := range graph.Entities {
		ref := func() report.FactRef {
			return report.FactRef{ID: e.ID, Kind: "ENTITY", Summary: e.Name, Date: e.Validity.From}
		}
		if e.Kind == kg.KindSource {
			for _, a := range e.Attributes {
				if d, err := kg.ParseDate(a.Value); a.Key == "published" && err == nil && d != 0 && d < staleBefore {
					note(&q.StaleSources, &q.StaleSourcesCount, func() report.FactRef { r := ref(); r.Date = d; return r })
				}
			}
			continue // a source is where citations point: it cites none itself
		}
		if len(e.Sources) == 0 {
			note(&q.Unsourced, &q.UnsourcedCount, ref)
		}
		if disputed(e.Sources) {
			note(&q.Disputed, &q.DisputedCount, ref)
		}
	}
	for _, r := range graph.Relationships {
		ref := func() report.FactRef {
			return report.FactRef{ID: r.ID(), Kind: "RELATIONSHIP", Date: r.Validity.From,
				Summary: cmp.Or(name(r.From), r.From) + " " + string(r.Type) + " " + cmp.Or(name(r.To), r.To)}
		}
		if len(r.Sources) == 0 {
			note(&q.Unsourced, &q.UnsourcedCount, ref)
		}
		if r.Inferred {
			note(&q.Inferred, &q.InferredCount, ref)
		}
		if disputed(r.Sources) {
			note(&q.Disputed, &q.DisputedCount, ref)
		}
	}
	for _, g := range graph.Signals {
		ref := func() report.FactRef {
			return report.FactRef{ID: g.ID, Kind: "SIGNAL", Date: g.Validity.From,
				Summary: string(g.Dimension) + " signal on " + cmp.Or(name(g.EntityID), g.EntityID)}
		}
		if len(g.Sources) == 0 {
			note(&q.Unsourced, &q.UnsourcedCount, ref)
		}
		if disputed(g.Sources) {
			note(&q.Disputed, &q.DisputedCount, ref)
		}
	}
	return q, nil
}
