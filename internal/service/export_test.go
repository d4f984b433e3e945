package service

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
