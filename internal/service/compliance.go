package service

import (
	"context"
	"fmt"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// ComplianceStatus says where one bound party stands with a directive on a date.
type ComplianceStatus string

// Compliance statuses.
const (
	NotInForce ComplianceStatus = "NOT_IN_FORCE" // the directive is not in force on the date
	Compliant  ComplianceStatus = "COMPLIANT"    // the party uses and buys nothing the directive targets
	InProgress ComplianceStatus = "IN_PROGRESS"  // it still does, but the last deadline has not passed
	Overdue    ComplianceStatus = "OVERDUE"      // it still does after the last deadline
)

// PartyCompliance is one party bound by a directive, as of a date.
type PartyCompliance struct {
	PartyID string
	AsOf    kg.Date
	Status  ComplianceStatus
	// Offending are the party's USES and SUPPLIED_BY relationships, valid on the date, that
	// lead to what the directive targets.
	Offending []kg.Relationship
}

// Compliance is the state of a directive's parties on a date.
type Compliance struct {
	Directive kg.Entity
	AsOf      kg.Date
	FinalDue  kg.Date // the latest obligation due date; 0 when it has none
	Parties   []PartyCompliance
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
	AsOf         kg.Date
	Status       ObligationStatus
	DaysUntilDue int // negative once past due
}

// Obligations reports where each obligation of a directive, read for asOf, stands then.
// The directive is in force from its validFrom (always, when that is open).
func Obligations(directive kg.Entity, asOf kg.Date) []ObligationState {
	out := make([]ObligationState, len(directive.Obligations))
	for i, o := range directive.Obligations {
		st := ObligationState{Obligation: o, AsOf: asOf, DaysUntilDue: daysBetween(asOf, o.Due), Status: ObligationOpen}
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

// Compliance reports, for each organisation or agency a directive binds, whether on asOf it
// still uses a targeted product (or a product of a targeted vendor) or buys from a targeted
// vendor, and whether that is overdue. It makes four store reads whatever the party count.
func (s *Service) Compliance(ctx context.Context, directiveID string, asOf kg.Date) (Compliance, error) {
	if err := kg.CheckEntityID("directiveId", directiveID); err != nil {
		return Compliance{}, err
	}
	asOf = store.ResolveAsOf(asOf)
	found, err := s.store.Entities(ctx, []string{directiveID}, asOf)
	if err != nil {
		return Compliance{}, fmt.Errorf("load directive %s: %w", directiveID, err)
	}
	d, ok := found[directiveID]
	if !ok || d.Kind != kg.KindDirective {
		return Compliance{}, fmt.Errorf("directive %s on %s: %w", directiveID, asOf, store.ErrNotFound)
	}
	c := Compliance{Directive: d, AsOf: asOf}
	for _, o := range d.Obligations {
		c.FinalDue = max(c.FinalDue, o.Due)
	}

	out, err := s.rels(ctx, []string{directiveID}, kg.Out, asOf, kg.RelTargets, kg.RelBinds)
	if err != nil {
		return c, err
	}
	targeted := map[string]bool{} // vendors and products
	var vendors, parties []string
	for _, r := range out[directiveID] {
		switch r.Type {
		case kg.RelTargets:
			targeted[r.To] = true
			if k, _ := kg.KindOfID(r.To); k == kg.KindVendor {
				vendors = append(vendors, r.To)
			}
		case kg.RelBinds:
			parties = append(parties, r.To)
		}
	}
	made, err := s.rels(ctx, vendors, kg.Out, asOf, kg.RelMakes)
	if err != nil {
		return c, err
	}
	for _, v := range vendors {
		for _, r := range made[v] {
			targeted[r.To] = true
		}
	}
	uses, err := s.rels(ctx, parties, kg.Out, asOf, kg.RelUses, kg.RelSuppliedBy)
	if err != nil {
		return c, err
	}
	inForce := d.Validity.ValidAt(asOf)
	for _, p := range parties {
		pc := PartyCompliance{PartyID: p, AsOf: asOf, Status: Compliant}
		for _, r := range uses[p] {
			if targeted[r.To] {
				pc.Offending = append(pc.Offending, r)
			}
		}
		switch {
		case !inForce:
			pc.Status = NotInForce
		case len(pc.Offending) == 0:
			pc.Status = Compliant
		case c.FinalDue != 0 && asOf > c.FinalDue:
			pc.Status = Overdue
		default:
			pc.Status = InProgress
		}
		c.Parties = append(c.Parties, pc)
	}
	return c, nil
}

// rels reads the relationships of the given types from many entities in one store call.
func (s *Service) rels(ctx context.Context, ids []string, dir kg.Direction, asOf kg.Date, types ...kg.RelType) (map[string][]kg.Relationship, error) {
	out := map[string][]kg.Relationship{}
	if len(ids) == 0 {
		return out, nil
	}
	pages, err := s.store.Relationships(ctx, store.RelQuery{EntityIDs: ids, Direction: dir, Types: types,
		AsOf: asOf, Page: store.Page{First: maxFanOut}})
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
