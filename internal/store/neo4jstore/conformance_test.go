package neo4jstore

import (
	"testing"

	"riskgraph/internal/store"
	"riskgraph/internal/store/storetest"
)

// TestConformance runs the suite every backend passes, on a real Neo4j.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openShared(t).raw })
}
