package neo4jstore

// RoundTrips is the number of Cypher statements this store has sent to the server since it
// was opened: what tests count to show a request's cost does not grow with its page size.
func (s *Store) RoundTrips() int64 { return s.roundTrips.Load() }
