package neo4jstore

import (
	"fmt"

	"riskgraph/internal/store"
)

// moment is the (valid day, recorded time) a read answers for, with the Cypher conditions that
// pick the facts visible then. Statements take it as $asOf and, when KnownAt is set, $knownAt.
//
// A condition has two parts, so that the facts that never changed (nearly all) pay only what
// they paid before versions were kept:
//   - the compact test, on the top-level validFrom/validTo: as known now, the two comparisons
//     it always was; as known at an earlier time, also txFrom at or before then. A fact with
//     a history stores an empty top-level interval, so it always fails this test;
//   - for a fact with a history (hSup set), a search of its rows for one recorded by then and
//     not superseded by then (as known now: current) that holds on the day.
//
// Reads that match names or words do the same: the top-level properties (and the indexes)
// answer for a compact fact, and the row found by the search must match for a history.
type moment store.At

// params adds the moment's parameters to p and returns p.
func (m moment) params(p map[string]any) map[string]any {
	p["asOf"] = int64(m.AsOf)
	if m.KnownAt != 0 {
		p["knownAt"] = int64(m.KnownAt)
	}
	return p
}

// at is the moment as a store.At, for viewOf.
func (m moment) at() store.At { return store.At(m) }

// node is the condition that node variable v (an entity or a signal) is visible.
func (m moment) node(v string) string { return m.nodeMatching(v, "") }

// nodeMatching is node, with match (a condition on the row index vi) also required of the
// visible row of a history.
func (m moment) nodeMatching(v, match string) string {
	return m.fact(v, fmt.Sprintf("%[1]s.validFrom <= $asOf AND %[1]s.validTo > $asOf", v), match)
}

// rel is the condition that relationship variable v is visible; a compact relationship
// leaves its open validity bounds out (see relCols).
func (m moment) rel(v string) string {
	return m.fact(v, fmt.Sprintf("coalesce(%[1]s.validFrom, 0) <= $asOf AND coalesce(%[1]s.validTo, %[2]d) > $asOf", v, openEnd), "")
}

// fact is the visibility condition of v given the test of its top-level interval.
func (m moment) fact(v, span, match string) string {
	compact := span
	if m.KnownAt != 0 {
		compact = fmt.Sprintf("coalesce(%s.txFrom, 0) <= $knownAt AND %s", v, span)
	}
	row := m.row(v, "vi")
	if match != "" {
		row += " AND " + match
	}
	// A CASE rather than OR: the planner rewrites an OR into a union of two index seeks (and a
	// Distinct), which doubles the cost of every lookup; a CASE it leaves as one filter, and
	// it evaluates the branches in order.
	return fmt.Sprintf("(CASE WHEN %[2]s THEN true WHEN %[1]s.hSup IS NULL THEN false "+
		"ELSE any(vi IN range(0, size(%[1]s.hSup) - 1) WHERE %[3]s) END)", v, compact, row)
}

// row is the condition that row i of v's history is visible.
func (m moment) row(v, i string) string {
	days := fmt.Sprintf("%[1]s.hFrom[%[2]s] <= $asOf AND %[1]s.hTo[%[2]s] > $asOf", v, i)
	if m.KnownAt == 0 {
		return fmt.Sprintf("%[1]s.hSup[%[2]s] = %[3]d AND %[4]s", v, i, current, days)
	}
	return fmt.Sprintf("%[1]s.hRec[%[2]s] <= $knownAt AND %[1]s.hSup[%[2]s] > $knownAt AND %[3]s", v, i, days)
}
