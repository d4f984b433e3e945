package service

import "riskgraph/internal/report"

// DecodedSnapshots lists the ids of the snapshots whose decoded scores s keeps, for tests.
func DecodedSnapshots(s *Service) []string {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	ids := make([]string, len(s.snapCache))
	for i, d := range s.snapCache {
		ids[i] = d.id
	}
	return ids
}

// KeptPasses is how many whole-graph passes s keeps, for tests.
func KeptPasses(s *Service) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.passes)
}

// QualityFact is a fact offered to a data-quality list, for tests.
type QualityFact struct {
	Group int
	ID    string
}

// ListQuality offers facts to one data-quality list, in order, and returns the ids it lists
// and the count it keeps.
func ListQuality(facts []QualityFact) ([]string, int) {
	var l qualityList
	n := 0
	for _, f := range facts {
		id := f.ID
		l.note(&n, f.Group, id, func() listedFact { return listedFact{ref: report.FactRef{ID: id}} })
	}
	ids := make([]string, len(l.facts))
	for i, f := range l.facts {
		ids[i] = f.ref.ID
	}
	return ids, n
}
