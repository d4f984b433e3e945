// Command riskgraph serves the vendor-risk knowledge graph over GraphQL, with a playground, on
// an embedded store (default) or Neo4j, and runs the batch jobs beside it: seed, report,
// synth, export and import. `riskgraph help` lists the commands and `riskgraph CMD --help`
// their flags; internal/cli holds them all.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"os"

	"riskgraph/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
