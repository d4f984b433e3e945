package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// nestedQuery is the analyst's nested read (the peer benchmark's nested3 shape) on the seed:
// a vendor, its products, who sells and who uses each, where it is headquartered and which
// laws apply to it. NESTED_AS_OF is replaced by nothing (one tree read) or by a nested asOf
// equal to the root's date, which the tree plan leaves to the loaders: the same question,
// answered level by level.
const nestedQuery = `query($id: ID!, $asOf: Date!, $first: Int!) { entity(id: $id, asOf: $asOf) { id name
  makes: relationships(direction: OUT, types: [MAKES], first: 20 NESTED_AS_OF) { pageInfo { hasNextPage endCursor } edges { cursor node { id type to { id name kind
    soldBy: relationships(direction: IN, types: [SELLS], first: $first NESTED_AS_OF) { pageInfo { hasNextPage } edges { node { from { name } } } }
    usedBy: relationships(direction: IN, types: [USES], first: $first NESTED_AS_OF) { edges { node { validFrom from { name description aliases } } } } } } } }
  hq: relationships(direction: OUT, types: [HEADQUARTERED_IN] NESTED_AS_OF) { edges { node { to { ... on Entity { name aliases } } } } }
  laws: relationships(direction: IN, types: [APPLIES_TO], first: 200 NESTED_AS_OF) { edges { node { sources { excerpt } from { id name signals { id } } } } } } }`

// namesQuery asks only what the tree holds as it is (ids, kinds, names, pages, cursors), so
// the tree answers it without gqlgen's executor (resolvers.AnswerTrees); NESTED_AS_OF as in
// nestedQuery.
const namesQuery = `query($id: ID!, $asOf: Date!, $first: Int!) { entity(id: $id, asOf: $asOf) { id name kind
  makes: relationships(direction: OUT, types: [MAKES], first: 20 NESTED_AS_OF) { pageInfo { hasNextPage endCursor } edges { cursor node { id type to { __typename id name
    soldBy: relationships(direction: IN, types: [SELLS], first: $first NESTED_AS_OF) { pageInfo { hasNextPage } edges { node { fromId from { name } } } }
    usedBy: relationships(direction: IN, types: [USES], first: $first NESTED_AS_OF) { edges { node { from { ... on Entity { id kind } } } } } } } } }
  hq: relationships(direction: OUT, types: [HEADQUARTERED_IN] NESTED_AS_OF) { edges { node { to { name } } } }
  laws: relationships(direction: IN, types: [APPLIES_TO], first: 200 NESTED_AS_OF) { edges { node { from { id name } } } } } }`

// TestNestedReadIsOneTree: the nested read answers what the loaders answer level by level,
// on both backends, whatever page size, whether the tree's answer is walked by the executor
// or written straight from the tree; on Neo4j the tree costs one statement for the whole
// query.
func TestNestedReadIsOneTree(t *testing.T) { onEachBackend(t, testNestedReadIsOneTree) }

func testNestedReadIsOneTree(t *testing.T, f *fixture) {
	for _, query := range []string{nestedQuery, namesQuery} {
		checkNestedRead(t, f, query)
	}
	tree := strings.ReplaceAll(nestedQuery, "NESTED_AS_OF", "")
	if !strings.Contains(string(f.do(t, tree, map[string]any{"id": "vendor:kaspersky-lab", "asOf": "2017-09-01", "first": 100}).Data), "Best Buy") {
		t.Error("the tree lost Best Buy, which sold Kaspersky's products until 2017-09-08")
	}
	if rt, ok := f.store.Store.(interface{ RoundTrips() int64 }); ok {
		// Only the root, its products and their sellers and users: one statement in all.
		q := `query($id: ID!) { entity(id: $id, asOf: "2017-09-01") { id name
		  makes: relationships(direction: OUT, types: [MAKES], first: 20) { edges { node { to { name
		    soldBy: relationships(direction: IN, types: [SELLS], first: 600) { edges { node { from { name } } } }
		    usedBy: relationships(direction: IN, types: [USES], first: 600) { edges { node { from { name } } } } } } } }
		  hq: relationships(direction: OUT, types: [HEADQUARTERED_IN], first: 20) { edges { node { to { name } } } } } }`
		before := rt.RoundTrips()
		if r := f.do(t, q, map[string]any{"id": "vendor:kaspersky-lab"}); len(r.Errors) > 0 {
			t.Fatalf("nested3: %+v", r.Errors)
		}
		if n := rt.RoundTrips() - before; n != 1 {
			t.Errorf("nested3 cost %d Cypher statements, want 1", n)
		}
	}
	// A missing root is NOT_FOUND, as without the tree, after one read.
	for _, query := range []string{nestedQuery, namesQuery} {
		reads := f.store.reads.Load()
		r := f.do(t, strings.ReplaceAll(query, "NESTED_AS_OF", ""), map[string]any{"id": "vendor:nobody", "asOf": "2017-09-01", "first": 5})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
			t.Errorf("missing root: %+v", r.Errors)
		}
		if n := f.store.reads.Load() - reads; n != 1 {
			t.Errorf("missing root: %d store reads, want 1", n)
		}
	}
}

// checkNestedRead compares the answers of query read as one tree and level by level, and
// counts the store reads of each.
func checkNestedRead(t *testing.T, f *fixture, query string) {
	t.Helper()
	tree := strings.ReplaceAll(query, "NESTED_AS_OF", "")
	levels := strings.ReplaceAll(query, "NESTED_AS_OF", ", asOf: $asOf")
	for _, vars := range []map[string]any{
		{"id": "vendor:kaspersky-lab", "asOf": "2017-09-01", "first": 100},
		{"id": "vendor:kaspersky-lab", "asOf": "2017-12-31", "first": 1},
		{"id": "government:russian-federation", "asOf": "2017-12-31", "first": 5},
	} {
		reads := f.store.reads.Load()
		want := f.do(t, levels, vars)
		levelReads := f.store.reads.Load() - reads
		reads = f.store.reads.Load()
		got := f.do(t, tree, vars)
		if len(want.Errors) > 0 || len(got.Errors) > 0 {
			t.Fatalf("%v: errors level by level %+v, as a tree %+v", vars, want.Errors, got.Errors)
		}
		if !bytes.Equal(compact(t, got.Data), compact(t, want.Data)) {
			t.Errorf("%v: as a tree\n%s\nlevel by level\n%s", vars, got.Data, want.Data)
		}
		if r := f.store.reads.Load() - reads; r > 2 || levelReads < 4 {
			t.Errorf("%v: %d store reads as a tree, %d level by level; want at most 2 (the tree, the signals) and at least 4", vars, r, levelReads)
		}
	}
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return buf.Bytes()
}
