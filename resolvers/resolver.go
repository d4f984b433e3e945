// Package resolvers translates GraphQL to the domain and back. It holds no business logic and
// no queries: every read and write goes to internal/service, reads of nested fields through
// per-operation loaders that batch them.
package resolvers

import (
	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// Resolver is the root resolver; one per server, shared by all operations.
type Resolver struct {
	Service *service.Service
}

// lastDay is a date on which every fact that has begun and not ended holds: where a source's
// publication day (its first) is read from.
const lastDay kg.Date = 99991231
