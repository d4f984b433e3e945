// Package model holds the Go types gqlgen binds the GraphQL schema to: thin wrappers of the
// kg domain types that remember the moment (date and recorded time) they were read for, so
// nested fields answer for the same moment, and the Date and DateTime scalars.
// models_gen.go beside it is generated.
package model

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
)

// MarshalDate writes a kg.Date as the string YYYY-MM-DD.
func MarshalDate(d kg.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(d.String())) })
}

// UnmarshalDate reads a Date scalar: a string YYYY-MM-DD.
func UnmarshalDate(v any) (kg.Date, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("a Date is a string YYYY-MM-DD, not %T", v)
	}
	d, err := kg.ParseDate(s)
	if err != nil {
		return 0, err
	}
	if d == 0 {
		return 0, fmt.Errorf("a Date must not be empty; write YYYY-MM-DD")
	}
	return d, nil
}

// MarshalDateTime writes a kg.Stamp in RFC 3339.
func MarshalDateTime(s kg.Stamp) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(s.String())) })
}

// UnmarshalDateTime reads a DateTime scalar: RFC 3339, or a date alone for the end of that day.
func UnmarshalDateTime(v any) (kg.Stamp, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("a DateTime is a string in RFC 3339 (2018-01-05T12:00:00Z), not %T", v)
	}
	t, err := kg.ParseStamp(s)
	if err != nil {
		return 0, err
	}
	if t <= 0 {
		return 0, fmt.Errorf("a DateTime must be after 1970-01-01T00:00:00Z")
	}
	return t, nil
}

// optDate turns the zero Date into nil for nullable fields.
func optDate(d kg.Date) *kg.Date {
	if d == 0 {
		return nil
	}
	return &d
}

// OptStamp turns the zero Stamp into nil for nullable fields.
func OptStamp(s kg.Stamp) *kg.Stamp {
	if s == 0 {
		return nil
	}
	return &s
}

// Moment is the date and recorded time a value was read for.
type Moment struct {
	AsOf    kg.Date
	KnownAt kg.Stamp // 0: as known now
}

// citations wraps a fact's citations with the moment it was read for.
func citations(cs []kg.Citation, m Moment) []Citation {
	out := make([]Citation, len(cs))
	for i, c := range cs {
		out[i] = Citation{Citation: c, Moment: m}
	}
	return out
}

// Citation is a citation of a fact read for a moment: its source answers for the same one.
type Citation struct {
	kg.Citation
	Moment
}

// Version is a fact's version, with the fact's validity to fill in open days.
type Version struct {
	kg.Version
	Fact kg.Validity
}

// VersionOf is v, which may be nil, as read for a fact holding over fact.
func VersionOf(v *kg.Version, fact kg.Validity) Version {
	if v == nil {
		return Version{Fact: fact}
	}
	return Version{Version: *v, Fact: fact}
}

// ValidFrom is the version's first day, or nil.
func (v Version) ValidFrom() *kg.Date { return optDate(v.ValidIn(v.Fact).From) }

// ValidTo is the first day after the version, or nil.
func (v Version) ValidTo() *kg.Date { return optDate(v.ValidIn(v.Fact).To) }

// RecordedAt is when the version was recorded, or nil when that is not known.
func (v Version) RecordedAt() *kg.Stamp { return OptStamp(v.Version.RecordedAt) }

// SupersededAt is when a later write replaced the version, or nil.
func (v Version) SupersededAt() *kg.Stamp { return OptStamp(v.Version.SupersededAt) }

// RecordedBy is who wrote the version, or nil when that is not known.
func (v Version) RecordedBy() *string {
	if v.Version.RecordedBy == "" {
		return nil
	}
	return &v.Version.RecordedBy
}

// Entity is an entity as read for one moment; nested fields answer for the same one.
type Entity struct {
	kg.Entity
	Moment
}

// ValidFrom is the first day the entity holds, or nil.
func (e Entity) ValidFrom() *kg.Date { return optDate(e.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (e Entity) ValidTo() *kg.Date { return optDate(e.Validity.To) }

// Version is the version the entity was read as.
func (e Entity) Version() Version { return VersionOf(e.Entity.Version, e.Validity) }

// Sources are the entity's citations.
func (e Entity) Sources() []Citation { return citations(e.Entity.Sources, e.Moment) }

// Relationship is a relationship as read for one moment.
type Relationship struct {
	kg.Relationship
	Moment
	// Ends finds the entities at its ends for the request that read it.
	Ends Ends
}

// Ends finds the entities at a relationship's ends for one request, as they stood at the
// moment the relationship was read for (start: its from end, else its to end). from and to go
// through it without a context of their own, so the GraphQL executor resolves them in line
// instead of starting a goroutine for each (a page of 600 sellers would start 600).
type Ends interface {
	End(r *Relationship, start bool) (*Entity, error)
}

// FromEntity is the entity the relationship starts at.
func (r *Relationship) FromEntity() (*Entity, error) { return r.end(true) }

// ToEntity is the entity the relationship ends at.
func (r *Relationship) ToEntity() (*Entity, error) { return r.end(false) }

func (r *Relationship) end(start bool) (*Entity, error) {
	if r.Ends == nil {
		return nil, fmt.Errorf("relationship %s: no way to find its ends", r.ID())
	}
	return r.Ends.End(r, start)
}

// ValidFrom is the first day the relationship holds, or nil.
func (r Relationship) ValidFrom() *kg.Date { return optDate(r.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (r Relationship) ValidTo() *kg.Date { return optDate(r.Validity.To) }

// Version is the version the relationship was read as.
func (r Relationship) Version() Version { return VersionOf(r.Relationship.Version, r.Validity) }

// Share is an OWNED_BY relationship's percentage, or nil when not known.
func (r Relationship) Share() *float64 {
	if r.Relationship.Share == 0 {
		return nil
	}
	return &r.Relationship.Share
}

// ObligationID is a COMPLIED_WITH relationship's obligation, as rule#obligation, or nil.
func (r Relationship) ObligationID() *string {
	if r.Obligation == "" {
		return nil
	}
	id := kg.ObligationID(r.To, r.Obligation)
	return &id
}

// Sources are the relationship's citations.
func (r Relationship) Sources() []Citation { return citations(r.Relationship.Sources, r.Moment) }

// RiskSignal is a signal as read for one moment.
type RiskSignal struct {
	kg.RiskSignal
	Moment
}

// ValidFrom is the first day the signal holds, or nil.
func (g RiskSignal) ValidFrom() *kg.Date { return optDate(g.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (g RiskSignal) ValidTo() *kg.Date { return optDate(g.Validity.To) }

// Version is the version the signal was read as.
func (g RiskSignal) Version() Version { return VersionOf(g.RiskSignal.Version, g.Validity) }

// Sources are the signal's citations.
func (g RiskSignal) Sources() []Citation { return citations(g.RiskSignal.Sources, g.Moment) }

// CitationsAt wraps citations read for a moment (for the obligations of a directive).
func CitationsAt(cs []kg.Citation, m Moment) []Citation { return citations(cs, m) }

// Path is a walk between two entities, read for one moment.
type Path struct {
	EntityIDs     []string
	Relationships []Relationship
	Moment
}

// Length is the number of relationships in the path.
func (p Path) Length() int { return len(p.Relationships) }

// History is every recorded row of one fact.
type History struct {
	ID       string
	Versions []HistoryEntry
}

// HistoryEntry is one row of a history: exactly one of its facts is set.
type HistoryEntry struct {
	Version      Version
	Entity       *Entity
	Relationship *Relationship
	Signal       *RiskSignal
}

// EntityMatch is an entity scored against a candidate name, read for one moment.
type EntityMatch struct {
	match.Match
	Moment
}
