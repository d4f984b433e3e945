package neo4jstore

import (
	"context"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/db"

	"riskgraph/internal/kg"
	"riskgraph/internal/store"
)

// TestStatementsUseIndexes runs the store's point and neighbourhood reads and its writes with
// a trace on, then asks the server to EXPLAIN every statement they sent, with the same
// parameters, and fails when a plan scans all nodes, a whole label or a relationship index
// instead of seeking (by index, or by element id).
func TestStatementsUseIndexes(t *testing.T) {
	s := openShared(t)
	ctx := context.Background()
	if _, err := s.Apply(ctx, star(20), "test"); err != nil {
		t.Fatal(err)
	}
	// Plans cached by earlier tests may have been made on an empty database, where every
	// scan costs nothing; what this test asks is which plan the graph as it is gets.
	if err := s.raw.write(ctx, func(tx *txn) error {
		_, err := tx.run(ctx, "CALL db.clearQueryCaches()", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	type stmt struct {
		cypher string
		params map[string]any
	}
	var mu sync.Mutex
	var sent []stmt
	s.raw.trace = func(c string, p map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, stmt{c, p})
	}
	defer func() { s.raw.trace = nil }()

	ops := []struct {
		name string
		run  func() error
	}{
		{"Entities", func() error {
			_, err := s.Entities(ctx, []string{"vendor:v001", "government:ru"}, store.AsOf(0))
			return err
		}},
		{"List by kind", func() error {
			_, err := s.List(ctx, store.ListQuery{Kind: kg.KindVendor, Page: store.Page{First: 5}})
			return err
		}},
		{"List by kind after a cursor", func() error {
			_, err := s.List(ctx, store.ListQuery{Kind: kg.KindProduct, Page: store.Page{First: 5, After: store.EncodeCursor("product:p004")}})
			return err
		}},
		{"List by name", func() error {
			_, err := s.List(ctx, store.ListQuery{Order: store.ByName, Page: store.Page{First: 5}})
			return err
		}},
		{"List by name of a kind after a cursor", func() error {
			_, err := s.List(ctx, store.ListQuery{Kind: kg.KindProduct, Order: store.ByName, Page: store.Page{First: 5, After: store.EncodeCursor("product 4", "product:p004")}})
			return err
		}},
		{"Relationships", func() error {
			_, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v001", "government:ru"}})
			return err
		}},
		{"Relationships out, typed", func() error {
			_, err := s.Relationships(ctx, store.RelQuery{EntityIDs: []string{"vendor:v001"}, Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}})
			return err
		}},
		{"Signals", func() error {
			_, err := s.Signals(ctx, []string{"vendor:v001", "government:ru"}, store.AsOf(0))
			return err
		}},
		{"Apply new and changed rows", func() error {
			b := star(2)
			b.Entities = append(b.Entities, kg.Entity{ID: "vendor:new", Kind: kg.KindVendor, Name: "New"})
			b.Entities[1].Name = "Renamed"
			b.Relationships = append(b.Relationships, kg.Relationship{Type: kg.RelMakes, From: "vendor:new", To: "product:p005"})
			b.Relationships[0].Confidence = 0.5
			b.Signals = []kg.RiskSignal{{ID: "signal:new", EntityID: "vendor:v007", Dimension: kg.DimSanctions, Severity: 0.5}}
			_, err := s.Apply(ctx, b, "test")
			return err
		}},
		{"Retract", func() error {
			_, err := s.Apply(ctx, retraction(kg.NewDate(2030, time.January, 1), "vendor:v010", kg.RelationshipID("vendor:v011", kg.RelMakes, "product:p011"),
				kg.RelationshipID("vendor:v012", kg.RelHeadquarteredIn, "government:ru"), "signal:new"), "test")
			return err
		}},
		{"Tree", func() error {
			_, err := s.Tree(ctx, store.TreeQuery{Roots: []string{"vendor:v001", "vendor:v002"}, Root: store.ProjectFull,
				Branches: []store.Branch{
					{Direction: kg.Out, Types: []kg.RelType{kg.RelMakes}, IDsOnly: true, End: store.ProjectName, Branches: []store.Branch{
						{Direction: kg.In, Page: store.Page{First: 50}, End: store.ProjectName},
					}},
					{Page: store.Page{First: 3, After: store.EncodeCursor("vendor:v001-MAKES->product:p000")}, End: store.ProjectFull},
				}})
			return err
		}},
		{"Neighbourhood", func() error {
			_, err := s.Neighbourhood(ctx, store.NeighbourhoodQuery{Roots: []string{"product:p000"}, MaxHops: 2})
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			mu.Lock()
			sent = nil
			mu.Unlock()
			if err := op.run(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			stmts := sent
			mu.Unlock()
			if len(stmts) == 0 {
				t.Fatal("no statement was sent")
			}
			for _, st := range stmts {
				ops := explain(t, s.raw, st.cypher, st.params)
				for _, o := range ops {
					// A range walk of a relationship index stands for a scan of every
					// relationship of the type: reads here must expand from their entities.
					if strings.HasPrefix(o, "AllNodesScan") || strings.HasPrefix(o, "NodeByLabelScan") ||
						strings.Contains(o, "RelationshipIndexScan") || strings.Contains(o, "RelationshipUniqueIndexScan") ||
						strings.Contains(o, "RelationshipTypeScan") || strings.Contains(o, "AllRelationshipsScan") ||
						strings.Contains(o, "IndexSeekByRange") && strings.Contains(o, "Relationship") {
						t.Errorf("plan of\n%s\nhas %s (operators: %v)", st.cypher, o, ops)
					}
				}
				// A list by name walks each kind's name index in order and stops at the page:
				// a PartialTop per kind, and no Sort of a whole kind.
				if strings.HasPrefix(op.name, "List by name") &&
					(!slices.Contains(ops, "PartialTop@neo4j") || slices.Contains(ops, "Sort@neo4j")) {
					t.Errorf("plan of\n%s\ndoes not walk the name index in order (operators: %v)", st.cypher, ops)
				}
				if !t.Failed() {
					t.Logf("operators: %v", ops)
				}
			}
		})
	}
}

// wirePlan is the plan as the driver decoded it. The driver's Plan.Children (v5.28) hands
// out its last child for every child (it takes the address of its loop variable, and its
// module is on go 1.18), so a walk through it never sees the other branches of a Union or an
// Apply; the walk reads the decoded children instead.
func wirePlan(t *testing.T, p neo4j.Plan) *db.Plan {
	t.Helper()
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct || v.Elem().NumField() == 0 ||
		v.Elem().Field(0).Type() != reflect.TypeFor[*db.Plan]() {
		t.Fatalf("the driver's plan is a %T, not a wrapper of *db.Plan: update wirePlan", p)
	}
	return (*db.Plan)(unsafe.Pointer(v.Elem().Field(0).Pointer()))
}

// explain returns the operator names of the plan of cypher, depth first; with
// RISKGRAPH_TEST_PLANS set it also logs the plan, one operator a line.
func explain(t *testing.T, s *Store, cypher string, params map[string]any) []string {
	t.Helper()
	ctx := context.Background()
	sess := s.session(ctx, neo4j.AccessModeWrite) // EXPLAIN runs nothing, writes included
	defer sess.Close(ctx)
	res, err := sess.Run(ctx, "EXPLAIN "+cypher, params)
	if err != nil {
		t.Fatalf("explain %s: %v", cypher, err)
	}
	sum, err := res.Consume(ctx)
	if err != nil {
		t.Fatalf("explain %s: %v", cypher, err)
	}
	if sum.Plan() == nil {
		t.Fatalf("no plan for %s", cypher)
	}
	var ops []string
	var walk func(p db.Plan, depth int)
	walk = func(p db.Plan, depth int) {
		ops = append(ops, p.Operator)
		if os.Getenv("RISKGRAPH_TEST_PLANS") != "" {
			t.Logf("%s%s %v", strings.Repeat("  ", depth), p.Operator, p.Arguments["Details"])
		}
		for _, c := range p.Children {
			walk(c, depth+1)
		}
	}
	walk(*wirePlan(t, sum.Plan()), 0)
	return ops
}
