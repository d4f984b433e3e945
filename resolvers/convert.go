package resolvers

import (
	"riskgraph/graph/model"
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// dateOr returns *d, or def when d is nil.
func dateOr(d *kg.Date, def kg.Date) kg.Date {
	if d != nil {
		return *d
	}
	return def
}

// asOfArg resolves a root asOf argument: today when absent.
func asOfArg(d *kg.Date) kg.Date { return service.ResolveAsOf(dateOr(d, 0)) }

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// intOr returns *n, or 0 (the service's "use the default") when n is nil.
func intOr(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

// pageArg is a page of the arguments first and after; the service checks them.
func pageArg(first *int, after *string) service.Page {
	return service.Page{First: intOr(first), After: str(after)}
}

func pageInfo(hasNext bool, end string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: hasNext}
	if end != "" {
		pi.EndCursor = &end
	}
	return pi
}

func citations(in []model.CitationInput) []kg.Citation {
	if len(in) == 0 {
		return nil
	}
	out := make([]kg.Citation, len(in))
	for i, c := range in {
		out[i] = kg.Citation{SourceID: c.SourceID, Excerpt: c.Excerpt, Stance: kg.StanceSupports}
		if c.Stance != nil {
			out[i].Stance = *c.Stance
		}
	}
	return out
}

func validity(from, to *kg.Date) kg.Validity {
	return kg.Validity{From: dateOr(from, 0), To: dateOr(to, 0)}
}

func entityFromInput(in model.EntityInput) kg.Entity {
	e := kg.Entity{
		ID: in.ID, Kind: in.Kind, Name: in.Name, Aliases: in.Aliases,
		Description: str(in.Description), Sources: citations(in.Sources),
		Validity: validity(in.ValidFrom, in.ValidTo),
	}
	for _, a := range in.Attributes {
		e.Attributes = append(e.Attributes, kg.Attribute{Key: a.Key, Value: a.Value})
	}
	for _, o := range in.Obligations {
		e.Obligations = append(e.Obligations, kg.Obligation{ID: o.ID, Title: o.Title,
			Description: str(o.Description), Due: o.Due, Sources: citations(o.Sources)})
	}
	return e
}

func relationshipFromInput(in model.RelationshipInput) kg.Relationship {
	r := kg.Relationship{Type: in.Type, From: in.FromID, To: in.ToID, Note: str(in.Note),
		Sources: citations(in.Sources), Validity: validity(in.ValidFrom, in.ValidTo), Confidence: 1}
	if in.Confidence != nil {
		r.Confidence = *in.Confidence
	}
	if in.Inferred != nil {
		r.Inferred = *in.Inferred
	}
	return r
}

func signalFromInput(in model.RiskSignalInput) kg.RiskSignal {
	return kg.RiskSignal{ID: in.ID, EntityID: in.EntityID, Dimension: in.Dimension,
		Severity: in.Severity, Reason: in.Reason, Sources: citations(in.Sources),
		Validity: validity(in.ValidFrom, in.ValidTo)}
}

// optDate turns the zero Date into nil for nullable fields.
func optDate(d kg.Date) *kg.Date {
	if d == 0 {
		return nil
	}
	return &d
}

// relationshipsAsOf wraps relationships read for a date.
func relationshipsAsOf(rels []kg.Relationship, asOf kg.Date) []model.Relationship {
	out := make([]model.Relationship, len(rels))
	for i, r := range rels {
		out[i] = model.Relationship{Relationship: r, AsOf: asOf}
	}
	return out
}
