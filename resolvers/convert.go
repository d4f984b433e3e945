package resolvers

import (
	"context"
	"fmt"

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

// momentArg resolves the asOf and knownAt arguments of a root field: today and now when absent.
func momentArg(asOf *kg.Date, knownAt *kg.Stamp) model.Moment {
	m := model.Moment{AsOf: service.ResolveAsOf(dateOr(asOf, 0))}
	if knownAt != nil {
		m.KnownAt = *knownAt
	}
	return m
}

// nested is the moment of a field nested in a value read for parent: its own asOf
// argument when given, else the parent's date; always the parent's recorded time.
func nested(parent model.Moment, asOf *kg.Date) model.Moment {
	return model.Moment{AsOf: dateOr(asOf, parent.AsOf), KnownAt: parent.KnownAt}
}

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

// batchOf translates an apply input: its rows, the ids of those that are corrections, and
// its retractions.
func batchOf(in model.BatchInput) (kg.Batch, error) {
	var b kg.Batch
	for _, e := range in.Entities {
		b.Entities = append(b.Entities, entityFromInput(e))
		if e.Correction != nil && *e.Correction {
			b.Corrections = append(b.Corrections, e.ID)
		}
	}
	for i, r := range in.Relationships {
		// kg reads confidence 0 as "not given" (1), so an explicit 0 cannot be passed on.
		if r.Confidence != nil && *r.Confidence == 0 {
			return b, kg.Invalid(fmt.Sprintf("relationships[%d].confidence", i), "confidence 0 must be in (0,1]")
		}
		rel, err := relationshipFromInput(fmt.Sprintf("relationships[%d]", i), r)
		if err != nil {
			return b, err
		}
		b.Relationships = append(b.Relationships, rel)
		if r.Correction != nil && *r.Correction {
			b.Corrections = append(b.Corrections, rel.ID())
		}
	}
	for _, g := range in.Signals {
		b.Signals = append(b.Signals, signalFromInput(g))
		if g.Correction != nil && *g.Correction {
			b.Corrections = append(b.Corrections, g.ID)
		}
	}
	for _, r := range in.Retractions {
		b.Retractions = append(b.Retractions, kg.Retraction{ID: r.ID, On: r.On})
	}
	return b, nil
}

func entityFromInput(in model.EntityInput) kg.Entity {
	e := kg.Entity{
		ID: in.ID, Kind: in.Kind, Name: in.Name, Aliases: in.Aliases,
		Description: str(in.Description), Sources: citations(in.Sources),
		Validity: validity(in.ValidFrom, in.ValidTo), Reach: in.Reach,
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

// relationshipFromInput translates one relationship; field is where it sits in the input.
func relationshipFromInput(field string, in model.RelationshipInput) (kg.Relationship, error) {
	r := kg.Relationship{Type: in.Type, From: in.FromID, To: in.ToID, Note: str(in.Note),
		Sources: citations(in.Sources), Validity: validity(in.ValidFrom, in.ValidTo), Confidence: 1}
	if in.Confidence != nil {
		r.Confidence = *in.Confidence
	}
	if in.Inferred != nil {
		r.Inferred = *in.Inferred
	}
	if in.Share != nil {
		r.Share = *in.Share
	}
	if in.ObligationID != nil {
		rule, o, err := kg.ParseObligationID(field+".obligationId", *in.ObligationID)
		if err != nil {
			return r, err
		}
		if rule != in.ToID {
			return r, kg.Invalid(field+".obligationId", "obligation %q belongs to %s, not to toId %s", *in.ObligationID, rule, in.ToID)
		}
		r.Obligation = o
	}
	return r, nil
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

// relationshipsAt wraps relationships read for a moment by the request of ctx.
func (r *Resolver) relationshipsAt(ctx context.Context, rels []kg.Relationship, m model.Moment) []model.Relationship {
	out := make([]model.Relationship, len(rels))
	for i, rel := range rels {
		out[i] = r.relationship(ctx, rel, m)
	}
	return out
}

// relationship wraps a relationship read for a moment by the request of ctx; its ends are
// read through the loaders.
func (r *Resolver) relationship(ctx context.Context, rel kg.Relationship, m model.Moment) model.Relationship {
	return model.Relationship{Relationship: rel, Moment: m, Ends: &requestEnds{ctx: ctx, r: r}}
}

// requestEnds finds relationships' ends for one request. It keeps the request's context
// because model.Ends takes none; it lives no longer than the request. When the
// relationships came from a tree read whose far ends answer every selection of their from
// (or to) fields, those ends come from the tree.
type requestEnds struct {
	ctx                  context.Context
	r                    *Resolver
	startNamed, endNamed bool
}

// End is the entity at one end of rel, as it stood at rel's moment.
func (e *requestEnds) End(rel *model.Relationship, start bool) (*model.Entity, error) {
	id := rel.To
	if start {
		id = rel.From
	}
	if start && e.startNamed || !start && e.endNamed {
		if got, ok := loadersFrom(e.ctx).names.lookup(entityKey{ID: id, At: service.At(rel.Moment)}); ok {
			return &model.Entity{Entity: got, Moment: rel.Moment}, nil
		}
	}
	return e.r.endpoint(e.ctx, id, rel.Moment)
}
