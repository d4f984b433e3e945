// Package resolvers translates GraphQL to the domain and back. It holds no business logic and no
// queries: reads go through per-operation loaders to the store, use cases to internal/service.
package resolvers

import (
	"riskgraph/internal/service"
	"riskgraph/internal/store"
)

// Resolver is the root resolver; one per server, shared by all operations.
type Resolver struct {
	Store   store.Store
	Service *service.Service
}

// Limits of list arguments.
const (
	maxPaths = 100
)
