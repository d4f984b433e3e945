// Package model holds the Go types gqlgen binds the GraphQL schema to: thin wrappers of the
// kg domain types that remember the date they were read for, and the Date scalar.
// models_gen.go beside it is generated.
package model

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"riskgraph/internal/kg"
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

// optDate turns the zero Date into nil for nullable fields.
func optDate(d kg.Date) *kg.Date {
	if d == 0 {
		return nil
	}
	return &d
}

// Entity is an entity as read for one date; nested fields answer for the same date.
type Entity struct {
	kg.Entity
	AsOf kg.Date
}

// ValidFrom is the first day the entity holds, or nil.
func (e Entity) ValidFrom() *kg.Date { return optDate(e.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (e Entity) ValidTo() *kg.Date { return optDate(e.Validity.To) }

// Relationship is a relationship as read for one date.
type Relationship struct {
	kg.Relationship
	AsOf kg.Date
}

// ValidFrom is the first day the relationship holds, or nil.
func (r Relationship) ValidFrom() *kg.Date { return optDate(r.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (r Relationship) ValidTo() *kg.Date { return optDate(r.Validity.To) }

// RiskSignal is a signal as read for one date.
type RiskSignal struct {
	kg.RiskSignal
	AsOf kg.Date
}

// ValidFrom is the first day the signal holds, or nil.
func (g RiskSignal) ValidFrom() *kg.Date { return optDate(g.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (g RiskSignal) ValidTo() *kg.Date { return optDate(g.Validity.To) }

// Path is a walk between two entities, read for one date.
type Path struct {
	EntityIDs     []string
	Relationships []Relationship
	AsOf          kg.Date
}

// Length is the number of relationships in the path.
func (p Path) Length() int { return len(p.Relationships) }
