package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"riskgraph/internal/kg"
	"riskgraph/internal/match"
	"riskgraph/internal/store"
)

// Limits of a match request.
const (
	MaxMatchCandidates = 100 // candidates in one request
	DefaultMatchFirst  = 3   // matches returned per candidate when none is asked for
	MaxMatchFirst      = 20
)

// MatchResult is one candidate's best entities.
type MatchResult struct {
	Candidate match.Candidate
	At        At
	Verdict   match.Verdict
	Matches   []match.Match // best first; Target.ID names the entity
}

// Match finds, for each candidate (a name as a supplier list or a search box gives it, with
// optional aliases, country, kind and ids), the entities it most likely names, with a score
// in [0,1] and the reasons for it, and says whether that is a MATCH, AMBIGUOUS or NONE. The
// store retrieves targets by search keys; match scores them, the same way on every backend.
// It makes one retrieval per candidate and two reads for all of them (ids given, and the
// countries of the targets).
func (s *Service) Match(ctx context.Context, cands []match.Candidate, at At, first int) ([]MatchResult, error) {
	switch {
	case len(cands) == 0:
		return nil, nil
	case len(cands) > MaxMatchCandidates:
		return nil, kg.OverLimit("candidates", "%d candidates; the limit is %d a request", len(cands), MaxMatchCandidates)
	case first < 0 || first > MaxMatchFirst:
		return nil, kg.Invalid("first", "first %d must be between 1 and %d", first, MaxMatchFirst)
	case first == 0:
		first = DefaultMatchFirst
	}
	at.AsOf = store.ResolveAsOf(at.AsOf)
	pools := make([][]kg.Entity, len(cands))
	var given []string
	for i, c := range cands {
		field := fmt.Sprintf("candidates[%d]", i)
		if strings.TrimSpace(c.Name) == "" {
			return nil, kg.Invalid(field+".name", "a candidate needs a name")
		}
		if c.Kind != "" && !c.Kind.Valid() {
			return nil, kg.Invalid(field+".kind", "unknown kind %q", c.Kind)
		}
		for j, id := range c.IDs {
			if err := kg.CheckEntityID(fmt.Sprintf("%s.ids[%d]", field, j), id); err != nil {
				return nil, err
			}
		}
		given = append(given, c.IDs...)
		if strings.Contains(c.Name, ":") && kg.CheckEntityID("", strings.TrimSpace(c.Name)) == nil {
			given = append(given, strings.TrimSpace(c.Name)) // a pasted id
		}
		got, err := s.store.MatchTargets(ctx, store.MatchQuery{Names: append([]string{c.Name}, c.Aliases...), AsOf: at.AsOf, KnownAt: at.KnownAt})
		if err != nil {
			return nil, fmt.Errorf("retrieve targets for %s: %w", field, err)
		}
		pools[i] = got
	}
	byID, err := s.entitiesByID(ctx, given, at)
	if err != nil {
		return nil, err
	}
	var all []kg.Entity
	for _, p := range pools {
		all = append(all, p...)
	}
	for _, e := range byID {
		all = append(all, e)
	}
	country, err := s.countries(ctx, all, at)
	if err != nil {
		return nil, err
	}
	target := func(e kg.Entity) match.Target {
		return match.Target{ID: e.ID, Kind: e.Kind, Name: e.Name, Aliases: e.Aliases, Country: country[e.ID]}
	}
	out := make([]MatchResult, len(cands))
	for i, c := range cands {
		ts := make([]match.Target, 0, len(pools[i])+len(c.IDs))
		for _, e := range pools[i] {
			ts = append(ts, target(e))
		}
		for _, id := range append(slices.Clone(c.IDs), strings.TrimSpace(c.Name)) {
			if e, ok := byID[id]; ok {
				ts = append(ts, target(e))
			}
		}
		ms := match.Best(c, ts, first)
		out[i] = MatchResult{Candidate: c, At: at, Verdict: match.Classify(ms), Matches: ms}
	}
	return out, nil
}

// entitiesByID reads the entities with these ids, in chunks the store accepts.
func (s *Service) entitiesByID(ctx context.Context, ids []string, at At) (map[string]kg.Entity, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) <= store.MaxIDs { // one read: its map is the answer
		out, err := s.store.Entities(ctx, ids, at)
		if err != nil {
			return nil, fmt.Errorf("read %d entities: %w", len(ids), err)
		}
		return out, nil
	}
	out := map[string]kg.Entity{}
	for part := range slices.Chunk(ids, store.MaxIDs) {
		got, err := s.store.Entities(ctx, part, at)
		if err != nil {
			return nil, fmt.Errorf("read %d entities: %w", len(part), err)
		}
		for id, e := range got {
			out[id] = e
		}
	}
	return out, nil
}

// countries says which country each entity belongs to, for matching: a government is its
// own; anything else is where it is HEADQUARTERED_IN, or what its "country" or "jurisdiction"
// attribute says.
func (s *Service) countries(ctx context.Context, es []kg.Entity, at At) (map[string]string, error) {
	out := map[string]string{}
	var ids []string
	for _, e := range es {
		switch {
		case e.Kind == kg.KindGovernment:
			out[e.ID] = e.Name
		default:
			for _, a := range e.Attributes {
				if a.Key == "country" || a.Key == "jurisdiction" {
					out[e.ID] = a.Value
				}
			}
			ids = append(ids, e.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	hq := map[string]string{} // entity → government id
	var govs []string
	for part := range slices.Chunk(ids, store.MaxIDs) {
		rels, err := s.rels(ctx, part, kg.Out, at, kg.RelHeadquarteredIn)
		if err != nil {
			return nil, err
		}
		for id, rs := range rels {
			if len(rs) > 0 {
				hq[id] = rs[0].To
				govs = append(govs, rs[0].To)
			}
		}
	}
	names, err := s.entitiesByID(ctx, govs, at)
	if err != nil {
		return nil, err
	}
	for id, g := range hq {
		if e, ok := names[g]; ok {
			out[id] = e.Name
		}
	}
	return out, nil
}
