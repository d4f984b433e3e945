package neo4jstore

import (
	"strings"
	"testing"

	"riskgraph/internal/kg"
)

// TestCreateRelsShapesTheStatementByColumn checks that createRels leaves out the columns no
// row holds, sends a column every row shares once, and sends the others row by row.
func TestCreateRelsShapesTheStatementByColumn(t *testing.T) {
	var c relCols
	rows := []kg.Relationship{
		{Type: kg.RelMakes, From: "vendor:a", To: "product:a", Note: "first"},
		{Type: kg.RelMakes, From: "vendor:b", To: "product:b", Confidence: 0.5},
	}
	for _, r := range rows {
		r.Version = &kg.Version{RecordedAt: 42, RecordedBy: "loader"}
		c.add(r, r.ID())
	}
	stmt, params := c.createRels("MAKES", 0, len(rows), []string{"ea", "eb"}, []string{"pa", "pb"})
	for _, want := range []string{"id: $id[i]", "note: $note[i]", "confidence: $confidence[i]", "txFrom: $txFrom,", "txBy: $txBy}"} {
		if !strings.Contains(stmt, want) {
			t.Errorf("statement lacks %q:\n%s", want, stmt)
		}
	}
	for _, absent := range []string{"inferred", "validFrom", "validTo", "sources", "share", "obligation"} {
		if strings.Contains(stmt, absent) {
			t.Errorf("statement names %s, which no row holds:\n%s", absent, stmt)
		}
		if _, ok := params[absent]; ok {
			t.Errorf("parameter %s sent, though no row holds it", absent)
		}
	}
	if params["txBy"] != "loader" || params["txFrom"] != int64(42) {
		t.Errorf("shared columns = %v, %v; want loader, 42 once", params["txBy"], params["txFrom"])
	}
	if got, ok := params["note"].([]any); !ok || len(got) != 2 || got[0] != "first" || got[1] != nil {
		t.Errorf("note column = %#v; want [first <nil>]", params["note"])
	}
}
