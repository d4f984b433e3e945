package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
	"riskgraph/internal/store"
)

// CoverageReason says why a directive or law covers an entity.
type CoverageReason string

// Coverage reasons.
const (
	Targeted      CoverageReason = "TARGETED"       // the rule names it (TARGETS; APPLIES_TO for a law)
	Controls      CoverageReason = "CONTROLS"       // it owns or controls a covered entity
	ControlledBy  CoverageReason = "CONTROLLED_BY"  // a covered entity owns or controls it
	SharedControl CoverageReason = "SHARED_CONTROL" // it is controlled by what controls a covered entity
	Product       CoverageReason = "PRODUCT"        // a covered vendor makes it
	FiftyPercent  CoverageReason = "FIFTY_PERCENT"  // covered entities own, in aggregate, the model's threshold of it
)

// OwnerShare is one covered owner's stake in an entity covered by the 50% rule.
type OwnerShare struct {
	At           At // the moment the stake was read for
	OwnerID      string
	Share        float64 // percent
	Relationship kg.Relationship
}

// CoveredEntity is one entity a rule covers, with how it is reached.
type CoveredEntity struct {
	At       At // the moment it was read for
	EntityID string
	Reason   CoverageReason
	// Chain leads from the rule to this entity: its TARGETS relationship, then the ownership,
	// control and MAKES relationships that bring the entity in. Owners lists the stakes that
	// add up to the threshold (FiftyPercent only; Chain is then empty).
	Chain  []kg.Relationship
	Owners []OwnerShare
}

// CoverageResult is what a directive or law covers at a moment.
type CoverageResult struct {
	Rule     kg.Entity
	At       At
	Entities []CoveredEntity // targets first, then by reason and id
}

// Covers reports whether the entity with this id is covered.
func (c CoverageResult) Covers(id string) bool {
	return slices.ContainsFunc(c.Entities, func(e CoveredEntity) bool { return e.EntityID == id })
}

// ruleTargets are the relationship types by which a rule names what it covers.
var ruleTargets = []kg.RelType{kg.RelTargets, kg.RelAppliesTo}

// controlSteps walk ownership and control both ways.
var controlSteps = []store.Step{{Type: kg.RelOwnedBy, Direction: kg.Both}, {Type: kg.RelControlledBy, Direction: kg.Both}}

// Coverage is what a directive or law covers at a moment: what it targets, and — as the
// rule's reach clause says, or the model's coverage rules for a rule without one — entities that control, are controlled by or share control
// with a covered entity (transitively, within the hop cap), the products any of them make,
// and for a rule with a signal in the 50% rule's dimension, entities that covered entities
// own in aggregate at or above the threshold. It makes three store reads.
func (s *Service) Coverage(ctx context.Context, ruleID string, at At) (CoverageResult, error) {
	rule, err := s.ruleAt(ctx, "id", ruleID, at)
	if err != nil {
		return CoverageResult{}, err
	}
	return s.coverage(ctx, rule, at)
}

// ruleAt reads a directive or law.
func (s *Service) ruleAt(ctx context.Context, field, id string, at At) (kg.Entity, error) {
	if err := kg.CheckEntityID(field, id); err != nil {
		return kg.Entity{}, err
	}
	if k, _ := kg.KindOfID(id); k != kg.KindDirective && k != kg.KindLaw {
		return kg.Entity{}, kg.Invalid(field, "%s is neither a directive nor a law", id)
	}
	got, err := s.store.Entities(ctx, []string{id}, at)
	if err != nil {
		return kg.Entity{}, fmt.Errorf("read %s: %w", id, err)
	}
	e, ok := got[id]
	if !ok {
		return kg.Entity{}, notFound("directive or law", id, at)
	}
	return e, nil
}

func (s *Service) coverage(ctx context.Context, rule kg.Entity, at At) (CoverageResult, error) {
	at.AsOf = store.ResolveAsOf(at.AsOf)
	res := CoverageResult{Rule: rule, At: at}
	named, err := s.rels(ctx, []string{rule.ID}, kg.Out, at, ruleTargets...)
	if err != nil {
		return res, err
	}
	covered := map[string]*CoveredEntity{}
	add := func(c CoveredEntity) bool {
		if covered[c.EntityID] != nil {
			return false
		}
		covered[c.EntityID] = &c
		return true
	}
	var targets []string
	for _, r := range named[rule.ID] {
		if add(CoveredEntity{EntityID: r.To, Reason: Targeted, Chain: []kg.Relationship{r}}) {
			targets = append(targets, r.To)
		}
	}
	cov := s.model.Coverage()
	if r := rule.Reach; r != nil { // the rule's own clause decides
		cov.Controls, cov.ControlledBy, cov.SharedControl, cov.Products = r.Controls, r.ControlledBy, r.SharedControl, r.Products
	}
	hops := s.model.HopCap()
	if len(targets) > 0 && (cov.Controls || cov.ControlledBy || cov.SharedControl || cov.FiftyPercent != nil) {
		nb, err := s.store.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: targets, Steps: controlSteps, MaxHops: hops,
			AsOf: at.AsOf, KnownAt: at.KnownAt})
		if err != nil {
			return res, fmt.Errorf("read the control graph around %d targets: %w", len(targets), err)
		}
		kg.SortRelationships(nb.Relationships) // the walk keeps the first shortest chain: fix which
		control := controlGraph(nb.Relationships, cov.ControlShare)
		control.walk(targets, covered, hops, cov, add)
		if r := cov.FiftyPercent; r != nil && s.ruleHasDimension(ctx, rule.ID, at, r.Dimension) {
			control.fiftyPercent(covered, r.Threshold, add)
		}
	}
	if cov.Products {
		var vendors []string
		for id := range covered {
			if k, _ := kg.KindOfID(id); k == kg.KindVendor {
				vendors = append(vendors, id)
			}
		}
		slices.Sort(vendors)
		made, err := s.rels(ctx, vendors, kg.Out, at, kg.RelMakes)
		if err != nil {
			return res, err
		}
		for _, v := range vendors {
			for _, r := range made[v] {
				chain := append(slices.Clone(covered[v].Chain), r)
				add(CoveredEntity{EntityID: r.To, Reason: Product, Chain: chain})
			}
		}
	}
	for _, c := range covered {
		c.At = at
		for i := range c.Owners {
			c.Owners[i].At = at
		}
		res.Entities = append(res.Entities, *c)
	}
	order := map[CoverageReason]int{Targeted: 0, Controls: 1, ControlledBy: 2, SharedControl: 3, FiftyPercent: 4, Product: 5}
	slices.SortFunc(res.Entities, func(a, b CoveredEntity) int {
		return cmp.Or(cmp.Compare(order[a.Reason], order[b.Reason]), cmp.Compare(a.EntityID, b.EntityID))
	})
	return res, nil
}

// ruleHasDimension reports whether the rule carries a signal in dimension d at the moment.
func (s *Service) ruleHasDimension(ctx context.Context, id string, at At, d kg.Dimension) bool {
	sigs, err := s.store.Signals(ctx, []string{id}, at)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(sigs[id], func(g kg.RiskSignal) bool { return g.Dimension == d })
}

// controlEdges is the ownership and control around a rule's targets: for each entity, the
// relationships of control to its controllers (up) and from what it controls (down), and
// every OWNED_BY relationship to its owners, stakes of any size (owners).
type controlEdges struct {
	up, down, owners map[string][]kg.Relationship
}

// controlGraph indexes rels. CONTROLLED_BY is control; OWNED_BY is control when its share is
// not known or at least controlShare percent.
func controlGraph(rels []kg.Relationship, controlShare float64) controlEdges {
	g := controlEdges{up: map[string][]kg.Relationship{}, down: map[string][]kg.Relationship{}, owners: map[string][]kg.Relationship{}}
	for _, r := range rels {
		if r.Type == kg.RelOwnedBy {
			g.owners[r.From] = append(g.owners[r.From], r)
		}
		if r.Type == kg.RelControlledBy || r.Type == kg.RelOwnedBy && (r.Share == 0 || r.Share >= controlShare) {
			g.up[r.From] = append(g.up[r.From], r)
			g.down[r.To] = append(g.down[r.To], r)
		}
	}
	return g
}

// walk covers, breadth first from the targets within hops relationships, owners and
// controllers (going up only), what they own or control (going down only), and what shares
// a controller with a covered entity (up, then down), as the rules allow. The first, shortest
// chain to an entity is the one recorded.
func (g controlEdges) walk(targets []string, covered map[string]*CoveredEntity, hops int, cov risk.Coverage, add func(CoveredEntity) bool) {
	type phase int
	const (
		start  phase = iota
		up           // owners and controllers of a target, and theirs
		down         // what a target owns or controls, and so on
		shared       // what an owner of a target owns or controls (not the target itself)
	)
	type state struct {
		id    string
		ph    phase
		chain []kg.Relationship
	}
	seen := map[[2]any]bool{}
	front := make([]state, 0, len(targets))
	for _, t := range targets {
		front = append(front, state{id: t, ph: start, chain: covered[t].Chain})
		seen[[2]any{t, start}] = true
	}
	for hop := 0; hop < hops && len(front) > 0; hop++ {
		var next []state
		move := func(from state, r kg.Relationship, to string, ph phase) {
			if seen[[2]any{to, ph}] {
				return
			}
			seen[[2]any{to, ph}] = true
			st := state{id: to, ph: ph, chain: append(slices.Clone(from.chain), r)}
			next = append(next, st)
			switch {
			case ph == up && cov.Controls:
				add(CoveredEntity{EntityID: to, Reason: Controls, Chain: st.chain})
			case ph == down && cov.ControlledBy:
				add(CoveredEntity{EntityID: to, Reason: ControlledBy, Chain: st.chain})
			case ph == shared && cov.SharedControl:
				add(CoveredEntity{EntityID: to, Reason: SharedControl, Chain: st.chain})
			}
		}
		for _, st := range front {
			if st.ph == start || st.ph == up {
				for _, r := range g.up[st.id] {
					if cov.Controls || cov.SharedControl {
						move(st, r, r.To, up)
					}
				}
			}
			for _, r := range g.down[st.id] {
				switch st.ph {
				case start, down:
					if cov.ControlledBy {
						move(st, r, r.From, down)
					}
				case up, shared:
					if cov.SharedControl {
						move(st, r, r.From, shared)
					}
				}
			}
		}
		front = next
	}
}

// fiftyPercent covers, until nothing changes, every entity whose known ownership shares held
// by covered entities add up to at least threshold percent, listing those stakes. An owner
// covered this way counts for what it owns in turn (indirect ownership in aggregate).
func (g controlEdges) fiftyPercent(covered map[string]*CoveredEntity, threshold float64, add func(CoveredEntity) bool) {
	for changed := true; changed; {
		changed = false
		var owned []string
		for id := range g.owners {
			if covered[id] == nil {
				owned = append(owned, id)
			}
		}
		slices.Sort(owned)
		for _, id := range owned {
			var stakes []OwnerShare
			total := 0.0
			for _, r := range g.owners[id] {
				if r.Share > 0 && covered[r.To] != nil {
					stakes = append(stakes, OwnerShare{OwnerID: r.To, Share: r.Share, Relationship: r})
					total += r.Share
				}
			}
			if total >= threshold && add(CoveredEntity{EntityID: id, Reason: FiftyPercent, Owners: stakes}) {
				changed = true
			}
		}
	}
}
