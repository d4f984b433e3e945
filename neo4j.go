package main

import (
	"context"
	"fmt"

	"riskgraph/internal/store"
	"riskgraph/internal/store/neo4jstore"
)

// openNeo4j connects to Neo4j and sets up its schema (constraints and indexes, idempotently).
func openNeo4j(ctx context.Context, c config) (store.Store, error) {
	s, err := neo4jstore.Open(ctx, neo4jstore.Config{
		URI: c.Neo4jURI, User: c.Neo4jUser, Password: c.Neo4jPassword, Database: c.Neo4jDatabase,
	})
	if err != nil {
		return nil, fmt.Errorf("open neo4j store at %s: %w", c.Neo4jURI, err)
	}
	return s, nil
}
