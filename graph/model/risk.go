package model

import (
	"riskgraph/internal/kg"
	"riskgraph/internal/risk"
)

// RiskScore is one entity's score in one dimension (the explanation's headline numbers).
type RiskScore = risk.Explanation

// Exposure is an explanation of one entity's score, as computed for a moment.
type Exposure struct {
	risk.Explanation
	KnownAt kg.Stamp
}

func (e Exposure) moment() Moment { return Moment{AsOf: e.AsOf, KnownAt: e.KnownAt} }

// Contributions are the explanation's risk sources, strongest first.
func (e Exposure) Contributions() []Contribution {
	out := make([]Contribution, len(e.Explanation.Contributions))
	for i, c := range e.Explanation.Contributions {
		out[i] = Contribution{Contribution: c, Moment: e.moment()}
	}
	return out
}

// TopPaths are the first n contributions that reach the entity through relationships.
func (e Exposure) TopPaths(first *int) []Contribution {
	n := 3
	if first != nil {
		n = *first
	}
	chained := e.Explanation.Chained(n)
	out := make([]Contribution, len(chained))
	for i, c := range chained {
		out[i] = Contribution{Contribution: c, Moment: e.moment()}
	}
	return out
}

// Contribution is one risk source of a score, read for a moment.
type Contribution struct {
	risk.Contribution
	Moment
}

// Signal is the signal at the origin of the risk.
func (c Contribution) Signal() RiskSignal {
	return RiskSignal{RiskSignal: c.Contribution.Signal, Moment: c.Moment}
}

// Hops is the number of relationships the risk crossed.
func (c Contribution) Hops() int { return len(c.Chain) }

// Steps is the chain, oriented the way risk flows.
func (c Contribution) Steps() []ExposureStep {
	out := make([]ExposureStep, len(c.Chain))
	for i, l := range c.Chain {
		out[i] = ExposureStep{Link: l, Moment: c.Moment}
	}
	return out
}

// ExposureStep is one relationship of a risk chain, read for a moment.
type ExposureStep struct {
	risk.Link
	Moment
}

// ValidFrom is the first day the relationship holds, or nil.
func (s ExposureStep) ValidFrom() *kg.Date { return optDate(s.Validity.From) }

// ValidTo is the first day it no longer holds, or nil.
func (s ExposureStep) ValidTo() *kg.Date { return optDate(s.Validity.To) }

// Sources are the relationship's citations.
func (s ExposureStep) Sources() []Citation { return citations(s.Link.Sources, s.Moment) }
