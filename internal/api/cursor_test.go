package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEdgeCursorsWhenAsked: an edge's cursor is encoded only when the query selects it, and
// however it selects it (directly, through a fragment on the connection or on the edge, under
// a true @include) each cursor starts the next page right after its edge; a cursor left out
// by @include(if: false) is not in the answer.
func TestEdgeCursorsWhenAsked(t *testing.T) {
	f := newFixture(t)
	type page struct {
		Edges []struct {
			Cursor *string `json:"cursor"`
			Node   struct {
				ID string `json:"id"`
			} `json:"node"`
		} `json:"edges"`
	}
	read := func(query string, vars map[string]any, pick func(data map[string]json.RawMessage) json.RawMessage) page {
		t.Helper()
		res := f.do(t, query, vars)
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %+v", query, res.Errors)
		}
		var data map[string]json.RawMessage
		if err := json.Unmarshal(res.Data, &data); err != nil {
			t.Fatal(err)
		}
		var p page
		if err := json.Unmarshal(pick(data), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rels := func(data map[string]json.RawMessage) json.RawMessage {
		var e struct {
			Relationships json.RawMessage `json:"relationships"`
		}
		if err := json.Unmarshal(data["entity"], &e); err != nil {
			t.Fatal(err)
		}
		return e.Relationships
	}
	const after = `query($after: String) { entity(id: "vendor:kaspersky-lab", asOf: "2017-09-01") {
	  relationships(first: 1, after: $after) { edges { node { id } } } } }`
	for _, q := range []string{
		`{ entity(id: "vendor:kaspersky-lab", asOf: "2017-09-01") { relationships { edges { cursor node { id } } } } }`,
		`fragment C on RelationshipConnection { edges { cursor } }
		 query { entity(id: "vendor:kaspersky-lab", asOf: "2017-09-01") { relationships { ...C edges { node { id } } } } }`,
		`{ entity(id: "vendor:kaspersky-lab", asOf: "2017-09-01") { relationships { edges { ... on RelationshipEdge { cursor } node { id } } } } }`,
		`query($c: Boolean!) { entity(id: "vendor:kaspersky-lab", asOf: "2017-09-01") { relationships { edges { cursor @include(if: $c) node { id } } } } }`,
	} {
		var vars map[string]any
		if strings.Contains(q, "$c") {
			vars = map[string]any{"c": true}
		}
		p := read(q, vars, rels)
		if len(p.Edges) < 3 {
			t.Fatalf("%s: %d edges, want at least 3", q, len(p.Edges))
		}
		for i, e := range p.Edges[:len(p.Edges)-1] {
			if e.Cursor == nil || *e.Cursor == "" {
				t.Fatalf("%s: edge %d has no cursor", q, i)
			}
			next := read(after, map[string]any{"after": *e.Cursor}, rels)
			if len(next.Edges) != 1 || next.Edges[0].Node.ID != p.Edges[i+1].Node.ID {
				t.Errorf("%s: after edge %d's cursor %+v, want %s", q, i, next.Edges, p.Edges[i+1].Node.ID)
			}
		}
	}
	p := read(`query($c: Boolean!) { entity(id: "vendor:kaspersky-lab", asOf: "2017-09-01") { relationships { edges { cursor @include(if: $c) node { id } } } } }`,
		map[string]any{"c": false}, rels)
	for i, e := range p.Edges {
		if e.Cursor != nil {
			t.Errorf("edge %d: cursor %q left out by @include(if: false) is in the answer", i, *e.Cursor)
		}
	}

	list := func(data map[string]json.RawMessage) json.RawMessage { return data["entities"] }
	got := read(`{ entities(kind: Product, first: 2) { edges { cursor node { id } } } }`, nil, list)
	if len(got.Edges) != 2 || got.Edges[0].Cursor == nil {
		t.Fatalf("entities: %+v", got.Edges)
	}
	next := read(`query($a: String) { entities(kind: Product, first: 1, after: $a) { edges { node { id } } } }`,
		map[string]any{"a": *got.Edges[0].Cursor}, list)
	if len(next.Edges) != 1 || next.Edges[0].Node.ID != got.Edges[1].Node.ID {
		t.Errorf("entities after the first cursor: %+v, want %s", next.Edges, got.Edges[1].Node.ID)
	}
}

// TestEntitiesByName: entities(orderBy: NAME) pages through the seed in name order ignoring
// case, ties by id; the edge cursors and the end cursors both continue the order.
func TestEntitiesByName(t *testing.T) {
	f := newFixture(t)
	type page struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
	}
	const q = `query($first: Int, $after: String) { entities(orderBy: NAME, asOf: "2017-12-31", first: $first, after: $after) {
	  edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`
	read := func(first int, after string) page {
		t.Helper()
		vars := map[string]any{"first": first}
		if after != "" {
			vars["after"] = after
		}
		res := f.do(t, q, vars)
		if len(res.Errors) > 0 {
			t.Fatalf("entities by name: %+v", res.Errors)
		}
		var data struct {
			Entities page `json:"entities"`
		}
		if err := json.Unmarshal(res.Data, &data); err != nil {
			t.Fatal(err)
		}
		return data.Entities
	}
	all := read(1000, "")
	if len(all.Edges) < 5 || all.PageInfo.HasNextPage {
		t.Fatalf("the whole seed by name: %d entities, hasNextPage %v", len(all.Edges), all.PageInfo.HasNextPage)
	}
	for i := 1; i < len(all.Edges); i++ {
		a, b := all.Edges[i-1].Node, all.Edges[i].Node
		ka, kb := strings.ToLower(a.Name), strings.ToLower(b.Name)
		if ka > kb || (ka == kb && a.ID >= b.ID) {
			t.Errorf("%s (%q) comes before %s (%q)", a.ID, a.Name, b.ID, b.Name)
		}
	}
	var paged []string
	for p, after := (page{}), ""; ; after = p.PageInfo.EndCursor {
		p = read(3, after)
		for _, e := range p.Edges {
			paged = append(paged, e.Node.ID)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		if len(paged) > len(all.Edges) {
			t.Fatal("pagination does not end")
		}
	}
	for i, e := range all.Edges {
		if i >= len(paged) || paged[i] != e.Node.ID {
			t.Fatalf("pages of 3 by end cursor: %v, want the order of one page", paged)
		}
		if i+1 < len(all.Edges) {
			if next := read(1, e.Cursor); len(next.Edges) != 1 || next.Edges[0].Node.ID != all.Edges[i+1].Node.ID {
				t.Errorf("after the cursor of %s: %+v, want %s", e.Node.ID, next.Edges, all.Edges[i+1].Node.ID)
			}
		}
	}
}
