package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// ComplianceStatus says where a bound party stands with one obligation of a directive or
// law, or with the rule as a whole, on a date.
type ComplianceStatus string

// Compliance statuses. A party's overall status is the worst of its obligations' in the
// order OVERDUE, PENDING, MET, NOT_APPLICABLE (NOT_IN_FORCE while the rule is not in force).
const (
	NotInForce    ComplianceStatus = "NOT_IN_FORCE"   // the rule is not in force on the date
	Pending       ComplianceStatus = "PENDING"        // due later and not met
	Met           ComplianceStatus = "MET"            // evidence says it was met by the date
	Overdue       ComplianceStatus = "OVERDUE"        // the due date has passed and it is not met
	NotApplicable ComplianceStatus = "NOT_APPLICABLE" // the party uses and buys nothing covered
)

// severity orders statuses for a party's overall status: higher is worse.
var severity = map[ComplianceStatus]int{NotApplicable: 0, Met: 1, Pending: 2, Overdue: 3}

// ObligationCompliance is where one party stands with one obligation on a date.
type ObligationCompliance struct {
	ID     string          // rule#obligation
	State  ObligationState // the obligation itself, as seen on the date
	Status ComplianceStatus
	// Evidence is the party's COMPLIED_WITH relationship for the obligation, valid on the date
	// (Met only): its validFrom is the day it was met, its sources say how we know.
	Evidence *kg.Relationship
}

// Late reports whether the evidence shows the obligation met after its due date.
func (o ObligationCompliance) Late() bool {
	return o.Evidence != nil && o.Evidence.Validity.From > o.State.Due
}

// DaysUntilDue counts the days from the date to the due date, negative once past due.
func (o ObligationCompliance) DaysUntilDue() int { return o.State.DaysUntilDue }

// PartyCompliance is one party bound by a directive or law, on a date.
type PartyCompliance struct {
	PartyID string
	AsOf    kg.Date
	KnownAt kg.Stamp
	Status  ComplianceStatus
	// Obligations are the rule's obligations in its order, each with the party's status.
	Obligations []ObligationCompliance
	// Offending are the party's USES and SUPPLIED_BY relationships, valid on the date, that
	// lead to what the rule covers.
	Offending []kg.Relationship
	// Binding is the BINDS relationship that makes it a party.
	Binding kg.Relationship
}

// Compliance is the state of a rule's parties on a date.
type Compliance struct {
	// Directive is the directive or law, as read for the date — or, when it is not in force
	// then, as it is (or was) when in force, so that its obligations and parties show.
	Directive kg.Entity
	AsOf      kg.Date
	KnownAt   kg.Stamp
	InForce   bool
	FinalDue  kg.Date // the latest obligation due date; 0 when it has none
	Parties   []PartyCompliance
	// Covered is what the rule covers on the date (see Coverage).
	Covered CoverageResult
}

// ObligationStatus says where one obligation stands on a date.
type ObligationStatus string

// Obligation statuses.
const (
	ObligationNotInForce ObligationStatus = "NOT_IN_FORCE" // the directive is not in force yet
	ObligationOpen       ObligationStatus = "OPEN"         // in force and not yet due
	ObligationPastDue    ObligationStatus = "PAST_DUE"     // the due date has passed
)

// ObligationState is one obligation of a directive as seen on a date.
type ObligationState struct {
	kg.Obligation
	At           At // the moment it is seen at
	Status       ObligationStatus
	DaysUntilDue int // negative once past due
}

// Obligations reports where each obligation of a directive, read for moment at, stands then.
// The directive is in force from its validFrom (always, when that is open).
func Obligations(directive kg.Entity, at At) []ObligationState {
	asOf := store.ResolveAsOf(at.AsOf)
	out := make([]ObligationState, len(directive.Obligations))
	for i, o := range directive.Obligations {
		st := ObligationState{Obligation: o, At: at, DaysUntilDue: daysBetween(asOf, o.Due), Status: ObligationOpen}
		switch from := directive.Validity.From; {
		case from != 0 && asOf < from:
			st.Status = ObligationNotInForce
		case asOf > o.Due:
			st.Status = ObligationPastDue
		}
		out[i] = st
	}
	return out
}

// daysBetween counts the days from a to b (negative when b is earlier). It counts with
// Unix seconds rather than time.Duration, which overflows past 292 years.
func daysBetween(a, b kg.Date) int {
	return int((b.Time().Unix() - a.Time().Unix()) / 86400)
}

// maxFanOut bounds each step of the compliance read (targets, products, parties' relationships).
const maxFanOut = store.MaxFirst

// Compliance reports, for each organisation or agency a directive or law binds, where it
// stands with each obligation on a date: whether it still uses or buys anything the rule
// covers (see Coverage), whether evidence says it met the obligation, and whether the due
// date has passed. Before the rule is in force (or after it ends) every party is NOT_IN_FORCE,
// read from the rule's nearest version in force. It makes a fixed number of store reads
// whatever the party count.
func (s *Service) Compliance(ctx context.Context, ruleID string, at At) (Compliance, error) {
	at.AsOf = store.ResolveAsOf(at.AsOf)
	rule, inForce, err := s.ruleInForce(ctx, "directiveId", ruleID, at)
	if err != nil {
		return Compliance{}, err
	}
	c := Compliance{Directive: rule, AsOf: at.AsOf, KnownAt: at.KnownAt, InForce: inForce}
	for _, o := range rule.Obligations {
		c.FinalDue = max(c.FinalDue, o.Due)
	}
	states := Obligations(rule, at)
	// The parties of a rule not in force are those it binds when it is.
	read := at
	if !inForce {
		read.AsOf = inForceDay(rule.Validity, at.AsOf)
	}
	bound, err := s.rels(ctx, []string{ruleID}, kg.Out, read, kg.RelBinds)
	if err != nil {
		return c, err
	}
	parties := make([]string, 0, len(bound[ruleID]))
	for _, r := range bound[ruleID] {
		parties = append(parties, r.To)
	}
	if !inForce {
		for _, r := range bound[ruleID] {
			pc := PartyCompliance{PartyID: r.To, AsOf: at.AsOf, KnownAt: at.KnownAt, Status: NotInForce, Binding: r}
			for _, o := range states {
				pc.Obligations = append(pc.Obligations, ObligationCompliance{ID: kg.ObligationID(ruleID, o.ID),
					State: o, Status: NotInForce})
			}
			c.Parties = append(c.Parties, pc)
		}
		return c, nil
	}
	if c.Covered, err = s.coverage(ctx, rule, at); err != nil {
		return c, err
	}
	uses, err := s.rels(ctx, parties, kg.Out, at, kg.RelUses, kg.RelSuppliedBy, kg.RelCompliedWith)
	if err != nil {
		return c, err
	}
	for _, b := range bound[ruleID] {
		p := b.To
		pc := PartyCompliance{PartyID: p, AsOf: at.AsOf, KnownAt: at.KnownAt, Binding: b}
		met := map[string]*kg.Relationship{}
		for _, r := range uses[p] {
			switch {
			case r.Type == kg.RelCompliedWith && r.To == ruleID:
				met[r.Obligation] = &r
			case r.Type != kg.RelCompliedWith && c.Covered.Covers(r.To):
				pc.Offending = append(pc.Offending, r)
			}
		}
		pc.Status = NotApplicable
		if len(rule.Obligations) == 0 && len(pc.Offending) > 0 {
			pc.Status = Pending // bound and offending, with nothing due
		}
		for _, o := range states {
			oc := ObligationCompliance{ID: kg.ObligationID(ruleID, o.ID), State: o}
			switch {
			case met[o.ID] != nil:
				oc.Status, oc.Evidence = Met, met[o.ID]
			case len(pc.Offending) == 0:
				oc.Status = NotApplicable
			case at.AsOf > o.Due:
				oc.Status = Overdue
			default:
				oc.Status = Pending
			}
			if severity[oc.Status] > severity[pc.Status] {
				pc.Status = oc.Status
			}
			pc.Obligations = append(pc.Obligations, oc)
		}
		c.Parties = append(c.Parties, pc)
	}
	return c, nil
}

// ruleInForce reads a directive or law for a moment. When it is not valid on at.AsOf, it
// reads the version nearest that day in the history recorded by at.KnownAt: the first to
// come into force after it, or else the last one before it; inForce is then false.
func (s *Service) ruleInForce(ctx context.Context, field, id string, at At) (rule kg.Entity, inForce bool, err error) {
	rule, err = s.ruleAt(ctx, field, id, at)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return rule, err == nil, err
	}
	notFound := err
	h, err := s.store.History(ctx, []string{id})
	if err != nil {
		return rule, false, fmt.Errorf("read the history of %s: %w", id, err)
	}
	rows := kg.Rows(h.Entities, at.KnownAt)
	var next, last kg.Date
	for _, r := range rows {
		v := kg.VersionOf(r).ValidIn(r.Validity)
		if v.From > at.AsOf && (next == 0 || v.From < next) {
			next = v.From
		}
		if v.To != 0 && v.To <= at.AsOf && v.To.AddDays(-1) > last {
			last = v.To.AddDays(-1)
		}
	}
	if day := cmp.Or(next, last); day != 0 {
		if e, ok := kg.View(rows, day, at.KnownAt); ok {
			return e, false, nil
		}
	}
	return rule, false, notFound
}

// inForceDay is the day of validity v nearest asOf: its first day when asOf is before it,
// else its last.
func inForceDay(v kg.Validity, asOf kg.Date) kg.Date {
	if v.From > asOf {
		return v.From
	}
	return v.To.AddDays(-1)
}

// rels reads the relationships of the given types from many entities in one store call.
func (s *Service) rels(ctx context.Context, ids []string, dir kg.Direction, at At, types ...kg.RelType) (map[string][]kg.Relationship, error) {
	out := map[string][]kg.Relationship{}
	if len(ids) == 0 {
		return out, nil
	}
	pages, err := s.store.Relationships(ctx, store.RelQuery{EntityIDs: ids, Direction: dir, Types: types,
		AsOf: at.AsOf, KnownAt: at.KnownAt, Page: store.Page{First: maxFanOut}})
	if err != nil {
		return nil, fmt.Errorf("read %v relationships of %d entities: %w", types, len(ids), err)
	}
	for id, p := range pages {
		if p.HasNext {
			return nil, fmt.Errorf("%s has more than %d %v relationships: %w", id, maxFanOut, types, store.ErrInvalid)
		}
		out[id] = p.Items
	}
	return out, nil
}

// RecordCompliance records evidence that a party met one obligation (rule#obligation) of a
// directive or law on a day: a COMPLIED_WITH relationship from the party to the rule, valid
// from that day, written like any other (an editor's write, versioned, checked by the store
// wrapper: the party, the rule and the obligation must exist).
func (s *Service) RecordCompliance(ctx context.Context, partyID, obligationID string, on kg.Date, sources []kg.Citation, note string) (kg.WriteResult, error) {
	rule, o, err := kg.ParseObligationID("obligationId", obligationID)
	if err != nil {
		return kg.WriteResult{}, err
	}
	if on == 0 {
		return kg.WriteResult{}, kg.Invalid("on", "the day the obligation was met is required")
	}
	return s.Apply(ctx, kg.Batch{Relationships: []kg.Relationship{{Type: kg.RelCompliedWith, From: partyID,
		To: rule, Obligation: o, Confidence: 1, Note: note, Sources: sources, Validity: kg.Validity{From: on}}}})
}
